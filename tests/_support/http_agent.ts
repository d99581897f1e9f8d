import { type Agent, type AgentEvent, createAgent } from "../../src/agent/mod.ts";
import { MemoryAlertChannel } from "../../src/alerts/mod.ts";
import { seededRandom, systemClock } from "../../src/clock/mod.ts";
import { deepMerge, parseConfig } from "../../src/config/mod.ts";
import {
  type FakeServer,
  type FakeTwilioOptions,
  type FakeTwilioServer,
  type HttpFaultRule,
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeTwilio,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { type ContactRecord, InMemoryCampaignStore } from "../../src/ledger/mod.ts";
import type { RunSummary } from "../../src/processor/mod.ts";
import { createServices } from "../../src/services/mod.ts";
import { createFreshConnectionFetch } from "../../src/platform/mod.ts";
import { contacts } from "./agent.ts";
import { fakeServicesConfig, twilioAccount } from "./fake_services_config.ts";

const keys = { llm: "t-llm-key", tts: "t-tts-key", crm: "t-crm-key" };

/** The real clients, in one process on the system clock, against fake providers on sockets. */
export interface HttpAgent extends AsyncDisposable {
  agent: Agent;
  fakes: {
    llm: FakeServer;
    tts: FakeServer;
    crm: FakeServer & { outcomes: Map<string, unknown> };
    /** Started when the test gives Twilio faults or options; else telephony is the mock. */
    telephony?: FakeTwilioServer;
  };
  events: AgentEvent[];
  alerts: MemoryAlertChannel;
  /** Audio files the TTS client wrote, by path. */
  written: Map<string, Uint8Array>;
  /** Loads `n` contacts and runs the campaign; the health checker runs unless told not to. */
  runCampaign(
    n: number,
    options?: { health?: boolean },
  ): Promise<{ summary: RunSummary; records: ContactRecord[] }>;
}

/** Starts fakes with these fault scripts and an agent whose real clients call them. */
export function httpAgent(
  faults: {
    llm?: HttpFaultRule[];
    tts?: HttpFaultRule[];
    crm?: HttpFaultRule[];
    telephony?: HttpFaultRule[];
  },
  configOverride: Record<string, unknown> = {},
  twilio?: Partial<FakeTwilioOptions>,
): HttpAgent {
  const llm = startFakeOpenAi({ apiKey: keys.llm, faults: faults.llm });
  const tts = startFakeElevenLabs({ apiKey: keys.tts, faults: faults.tts });
  const crm = startFakeWebhookCrm({ apiKey: keys.crm, faults: faults.crm });
  const telephony = faults.telephony || twilio
    ? startFakeTwilio({ ...twilioAccount, faults: faults.telephony, ...twilio })
    : undefined;
  const config = parseConfig(deepMerge({
    logging: { filePath: "" },
    health: { intervalMs: 100, timeoutMs: 1_000 },
    retry: { initialDelayMs: 50, maxDelayMs: 200, jitterMs: 10 },
    services: fakeServicesConfig({ llm, tts, crm, telephony }),
  }, configOverride));
  const env: Record<string, string> = {
    T_LLM: keys.llm,
    T_TTS: keys.tts,
    T_CRM: keys.crm,
    T_TEL: twilioAccount.authToken,
  };
  const written = new Map<string, Uint8Array>();
  // As main.ts does: a dial goes out on a connection never reused.
  const freshFetch = createFreshConnectionFetch();
  const store = new InMemoryCampaignStore();
  const alerts = new MemoryAlertChannel();
  const agent = createAgent(config, {
    store,
    clock: systemClock,
    random: seededRandom(1),
    services: createServices(config, {
      clock: systemClock,
      fetch,
      freshFetch,
      env: (name) => env[name],
      writeFile: (path, bytes) => (written.set(path, bytes), Promise.resolve()),
    }),
    alertChannels: [alerts],
  });
  const events: AgentEvent[] = [];
  agent.events.on((event) => events.push(event));
  const campaign = config.campaign.name;
  return {
    agent,
    fakes: { llm, tts, crm, telephony },
    events,
    alerts,
    written,
    async runCampaign(n, options = {}) {
      const list = contacts(n);
      await store.ensureCampaign(campaign, systemClock.now());
      await store.addContacts(campaign, list, systemClock.now());
      if (options.health !== false) agent.start();
      let summary: RunSummary;
      try {
        summary = await agent.runner.run();
      } finally {
        await agent.stop();
      }
      const records: ContactRecord[] = [];
      for (const contact of list) {
        records.push((await store.get(campaign, contact.id))!);
      }
      return { summary, records };
    },
    async [Symbol.asyncDispose]() {
      await agent[Symbol.asyncDispose]();
      await Promise.all([llm.close(), tts.close(), crm.close(), telephony?.close()]);
      freshFetch[Symbol.dispose]();
    },
  };
}

/** The successful (paid) requests a fake received whose body names `contact`. */
export function paidRequestsFor(
  fake: FakeServer,
  path: string,
  contactName: string,
): number {
  return fake.requests.filter((r) =>
    r.path.startsWith(path) && r.result === "ok" &&
    JSON.stringify(r.body).includes(contactName)
  ).length;
}
