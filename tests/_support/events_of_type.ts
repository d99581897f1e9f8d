import type { AgentEvent } from "../../src/agent/mod.ts";

/** The events of one type, typed as that kind. */
export function eventsOfType<T extends AgentEvent["type"]>(
  events: readonly AgentEvent[],
  type: T,
): Extract<AgentEvent, { type: T }>[] {
  return events.filter((event): event is Extract<AgentEvent, { type: T }> => event.type === type);
}
