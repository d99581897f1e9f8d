import { type Agent, type AgentDeps, type AgentEvent, createAgent } from "../../src/agent/mod.ts";
import { type AlertChannel, MemoryAlertChannel } from "../../src/alerts/mod.ts";
import { seededRandom, VirtualClock } from "../../src/clock/mod.ts";
import { parseConfig } from "../../src/config/mod.ts";
import {
  type CampaignStore,
  type ContactRecord,
  InMemoryCampaignStore,
} from "../../src/ledger/mod.ts";
import type { RunSummary } from "../../src/processor/mod.ts";
import { createMockServices, type MockServicesOptions } from "../../src/services/mod.ts";
import type { Contact } from "../../src/domain/mod.ts";

export interface TestAgent {
  clock: VirtualClock;
  services: ReturnType<typeof createMockServices>;
  alerts: MemoryAlertChannel;
  agent: Agent;
  store: CampaignStore;
  events: AgentEvent[];
  /** Loads `contacts`, runs the campaign on the virtual clock (health checker on) and returns
   * the summary and every contact's record. */
  runCampaign(
    contacts: readonly Contact[],
    options?: { health?: boolean },
  ): Promise<{ summary: RunSummary; records: Map<string, ContactRecord> }>;
}

/** An agent on a virtual clock with mock services, an in-memory ledger and alert channel. */
export function testAgent(
  mocks: MockServicesOptions = {},
  configOverride: unknown = {},
  ledger: CampaignStore | ((clock: VirtualClock) => CampaignStore) = new InMemoryCampaignStore(),
  extraChannels: AlertChannel[] = [],
  clockStart = 0,
  deps: Pick<AgentDeps, "doNotCall" | "tracing" | "networkTurns"> = {},
): TestAgent {
  const clock = new VirtualClock({ start: clockStart });
  // A store that waits for turns (the SQLite ledger's group commit) waits on this clock.
  const store = typeof ledger === "function" ? ledger(clock) : ledger;
  const services = createMockServices(mocks, { clock });
  const alerts = new MemoryAlertChannel();
  const config = parseConfig(configOverride);
  const agent: Agent = createAgent(config, {
    clock,
    random: seededRandom(1),
    services,
    alertChannels: [alerts, ...extraChannels],
    store,
    callLinksKey: "test-links-key",
    ...deps,
  });
  const events: AgentEvent[] = [];
  agent.events.on((event) => events.push(event));
  const campaign = config.campaign.name;
  return {
    clock,
    services,
    alerts,
    agent,
    store,
    events,
    async runCampaign(list, options = {}) {
      await store.ensureCampaign(campaign, clock.now());
      await store.addContacts(campaign, list, clock.now());
      const summary = await clock.run(async () => {
        if (options.health !== false) agent.start();
        try {
          return await agent.runner.run();
        } finally {
          await agent.stop();
        }
      });
      const records = new Map<string, ContactRecord>();
      for (const contact of list) {
        records.set(contact.id, (await store.get(campaign, contact.id))!);
      }
      return { summary, records };
    },
  };
}

/** `n` valid contacts `c1`..`cn`. */
export function contacts(n: number): Contact[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `c${i + 1}`,
    name: `Contact ${i + 1}`,
    phone: `+1415555${String(1000 + i)}`,
  }));
}
