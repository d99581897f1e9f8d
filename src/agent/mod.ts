/**
 * The assembled agent: every component built from config and wired to one event stream.
 * @module
 */
export type { AgentEvent } from "./agent_event.ts";
export { type Agent, type AgentDeps, createAgent, processorOptions } from "./create_agent.ts";
export { logToSheets } from "./log_to_sheets.ts";
export { narrate, summaryLine, timestamp } from "./describe_event.ts";
export { progressLine, reportProgress } from "./progress.ts";
export { logAgentEvent } from "./log_agent_event.ts";
