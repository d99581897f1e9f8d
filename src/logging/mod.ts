/**
 * Logging: the LogTape configuration `main.ts` applies, redaction, and agent events as
 * structured records.
 * @module
 */
export { buildLogConfig, type LogOptions } from "./log_config.ts";
export { redactText, secretFieldPatterns, secretTextPatterns } from "./redact.ts";
export { logAgentEvent } from "./log_agent_events.ts";
