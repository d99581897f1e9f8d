import { type Agent, type AgentEvent, createAgent } from "../../src/agent/mod.ts";
import { MemoryAlertChannel } from "../../src/alerts/mod.ts";
import { seededRandom, VirtualClock } from "../../src/clock/mod.ts";
import { parseConfig } from "../../src/config/mod.ts";
import {
  type Contact,
  createMockServices,
  type MockServicesOptions,
} from "../../src/services/mod.ts";

export interface TestAgent {
  clock: VirtualClock;
  services: ReturnType<typeof createMockServices>;
  alerts: MemoryAlertChannel;
  agent: Agent;
  events: AgentEvent[];
}

/** An agent on a virtual clock with mock services, an in-memory alert channel and its events. */
export function testAgent(
  mocks: MockServicesOptions = {},
  configOverride: unknown = {},
): TestAgent {
  const clock = new VirtualClock();
  const services = createMockServices(mocks, { clock });
  const alerts = new MemoryAlertChannel();
  const agent: Agent = createAgent(parseConfig(configOverride), {
    clock,
    random: seededRandom(1),
    services,
    alertChannels: [alerts],
  });
  const events: AgentEvent[] = [];
  agent.events.on((event) => events.push(event));
  return { clock, services, alerts, agent, events };
}

/** `n` valid contacts `c1`..`cn`. */
export function contacts(n: number): Contact[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `c${i + 1}`,
    name: `Contact ${i + 1}`,
    phone: `+1415555${String(1000 + i)}`,
  }));
}
