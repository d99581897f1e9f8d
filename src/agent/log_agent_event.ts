import { getLogger, type LogLevel } from "@logtape/logtape";
import { type AgentEvent, unreachableEvent } from "./agent_event.ts";
import { describeEvent } from "./describe_event.ts";
import { literalMessage } from "../logging/mod.ts";

const categories: Record<string, string> = {
  attempt: "retry",
  retry: "retry",
  "give-up": "retry",
  breaker: "breaker",
  health: "health",
  alert: "alerts",
  "service-call": "services",
};

function levelOf(event: AgentEvent): LogLevel | undefined {
  switch (event.type) {
    case "attempt":
    case "service-call":
    case "step-done":
    case "contact-start":
      return "debug";
    case "health":
      return event.changed ? (event.status === "healthy" ? "info" : "warning") : "debug";
    case "retry":
    case "call-adopted":
    case "call-canceled":
    case "fallback":
    case "script-rejected":
    case "lease-lost":
      return "warning";
    case "give-up":
      return "warning";
    case "breaker":
      return event.to === "OPEN" ? "error" : "info";
    case "contact-done":
      // A deferral is normal operation: the contact waits for its service, nothing is lost.
      return event.status === "failed" ? "error" : "info";
    case "invariant-violated":
      return "fatal";
    case "sheets":
      // The sink logs its own changes of state once; these are per batch.
      return event.event === "unavailable"
        ? "warning"
        : event.event === "recovered" || event.event === "dead-lettered"
        ? "info"
        : "debug";
    case "run-start":
    case "resumed":
    case "released":
    case "waiting-for-recovery":
    case "waiting-for-agents":
    case "recovery-wait-over":
    case "deadline-passed":
    case "alert":
    case "provider-requests":
    case "summary":
      return "info";
    default:
      return unreachableEvent(event);
  }
}

/**
 * Writes each agent event as one structured log record, under a category per component
 * (`ai-call-agent.retry`, `.breaker`, `.health`, `.processor`, ...), with its fields
 * (service, contactId, attempt, delayMs, errorClass, from/to state) as properties.
 */
export function logAgentEvent(event: AgentEvent): void {
  const level = levelOf(event);
  if (!level) return;
  const logger = getLogger(["ai-call-agent", categories[event.type] ?? "processor"]);
  // Per-attempt events are debug: skip describing them when nothing records debug.
  if (!logger.isEnabledFor(level)) return;
  const description = describeEvent(event) ?? event.type;
  // The readable line is the message itself, as plain text (a placeholder would be quoted in
  // the JSON log); its own braces are escaped so LogTape reads none of them as placeholders.
  logger[level](literalMessage(description), {
    ...event,
    description,
  });
}
