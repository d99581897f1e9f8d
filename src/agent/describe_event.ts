import { money } from "../spend/mod.ts";
import type { RunSummary } from "../processor/mod.ts";
import {
  type AgentEvent,
  type AlertEvent,
  type ContactDoneEvent,
  unreachableEvent,
} from "./agent_event.ts";

/** What a run's summary adds when deliveries wait in the ledger. */
interface Waiting {
  rowsWaiting: number;
  alertsWaiting: number;
}

const serviceNames: Record<string, string> = {
  llm: "LLM",
  tts: "ElevenLabs",
  telephony: "Telephony",
  crm: "CRM",
  "calling-hours": "calling hours",
  redial: "the redial time",
  "same-phone": "the number's other call",
};

function serviceLabel(service?: string): string {
  return service ? (serviceNames[service] ?? service) : "";
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** `T+ 15.4s` */
export function timestamp(t: number): string {
  return `T+${seconds(t).padStart(7)}`;
}

/**
 * One readable line for an event, or undefined for events the story leaves out (successful
 * attempts, health probes that changed nothing).
 */
export function describeEvent(event: AgentEvent): string | undefined {
  const who = "contactId" in event && event.contactId ? `${event.contactId} ` : "";
  const service = "service" in event ? serviceLabel(event.service) : "";
  switch (event.type) {
    case "run-start":
      return `▶ campaign ${event.campaign}: ${event.contacts} contact(s) to call`;
    case "resumed":
      return `▶ resuming: ${event.contacts} contact(s) were in progress when the last run stopped`;
    case "released":
      if (event.breakerState === "none") {
        return `▶ ${event.contacts} contact(s) waiting for ${service} back in the queue`;
      }
      return `▶ ${service} lets calls through again (${event.breakerState}): ${event.contacts} deferred contact(s) back in the queue`;
    case "retry":
      return `  ${who}${service} failed (${said(event)}), attempt ${event.attempt}; retry in ${
        seconds(event.delayMs)
      }${event.retryAfterMs ? ` (Retry-After ${seconds(event.retryAfterMs)})` : ""}`;
    case "give-up":
      return `  ${who}${service} gave up after attempt ${event.attempt}: ${
        event.reason === "retry-budget"
          ? "retry-budget (its retry budget is spent: no more retries for now)"
          : event.reason
      } (${said(event)})`;
    case "breaker":
      return `⚡ ${service} breaker ${event.from} → ${event.to}: ${event.reason}${
        event.lastError ? `; last failure ${event.lastError}` : ""
      }`;
    case "health":
      return event.changed && event.from !== "unknown" || event.status === "unhealthy"
        ? `  ♥ ${service} health probe: ${event.status}${
          event.errorClass ? ` (${event.error ?? event.errorClass})` : ""
        }${
          event.status === "unhealthy" && event.breakerState === "OPEN"
            ? "; breaker stays OPEN"
            : ""
        }`
        : undefined;
    case "contact-done":
      switch (event.status) {
        case "completed":
          return `✔ ${who}completed${
            event.fallbacks
              ? ` (${
                [
                  event.fallbacks.script ? `script by ${serviceLabel(event.fallbacks.script)}` : "",
                  event.fallbacks.voice ? `voice by ${serviceLabel(event.fallbacks.voice)}` : "",
                ].filter(Boolean).join(", ")
              })`
              : ""
          }`;
        case "skipped":
          return `⊘ ${who}skipped, not called: ${
            event.reason === "do-not-call"
              ? "its number is on the do-not-call list"
              : `its number was already called for ${event.firstContactId ?? "another contact"}`
          }`;
        case "deferred":
          return `↷ ${who}deferred: ${deferralText(event, service)}`;
        default:
          return `✘ ${who}failed at ${service}: ${event.reason} (${said(event)})`;
      }
    case "waiting-for-recovery":
      return `… only deferred contacts left: waiting for ${
        event.services.map(serviceLabel).join(", ")
      }`;
    case "waiting-for-agents":
      return `… ${event.contacts} contact(s) are held by other agents: waiting for them to finish (or their leases to expire)`;
    case "lease-lost":
      return `⚠ ${who}was taken over by another agent (this one held it past its lease): left to that agent`;
    case "call-canceled":
      return `☎ ${who}call ${event.sid} was still queued at Twilio when its calling hours closed: canceled before it rang, called when they open`;
    case "call-adopted":
      return `☎ ${who}a dial whose answer was lost had placed call ${event.sid}: adopted, not dialled again`;
    case "recovery-wait-over":
      return event.recovered ? undefined : `… gave up waiting for recovery`;
    case "deadline-passed":
      return `■ the campaign's deadline passed: ${event.contacts} contact(s) not finished failed`;
    case "alert":
      return describeAlert(event);
    case "summary":
      return `■ ${summaryLine(event)}`;
    case "provider-requests":
      return `■ HTTP requests received by the fake providers: ${
        Object.entries(event.requests).map(([name, n]) => `${serviceLabel(name)} ${n}`).join(", ")
      }`;
    case "invariant-violated":
      return `‼ invariant broken: ${event.reason}`;
    case "step-done":
      return event.step === "call" && event.detail ? `☎ ${who}call ${event.detail}` : undefined;
    case "script-rejected":
      return `✎ ${who}script by ${
        serviceLabel(event.provider)
      } rejected, not voiced (${event.rule}: ${event.detail}); ${
        event.asked < 2 ? "asked again" : `${serviceLabel(event.provider)} is not asked again`
      }`;
    case "fallback":
      return `↪ ${who}${event.step === "llm" ? "script" : "voice"}: ${
        serviceLabel(event.from)
      } could not (${event.errorClass}: ${event.error}); trying ${serviceLabel(event.to)}`;
    case "attempt":
    case "contact-start":
    case "service-call":
    case "sheets":
      return undefined;
    default:
      return unreachableEvent(event);
  }
}

/** `T+ 15.4s  <line>` for events worth telling, undefined for the rest. */
export function narrate(event: AgentEvent): string | undefined {
  const line = describeEvent(event);
  return line === undefined ? undefined : `${timestamp(event.t)}  ${line}`;
}

/** The run's summary line: counts of completed, failed, deferred and skipped contacts. */
export function summaryLine(summary: RunSummary & Partial<Waiting>): string {
  const n = (key: keyof RunSummary | keyof Waiting) => Number(summary[key] ?? 0);
  const parts = [
    `${n("completed")} completed`,
    `${n("failed")} failed`,
    `${n("deferred")} deferred`,
  ];
  if (n("skipped") > 0) parts.push(`${n("skipped")} skipped (not to be called)`);
  if (n("invalid") > 0) parts.push(`${n("invalid")} invalid`);
  if (n("pending") + n("in_progress") > 0) {
    parts.push(`${n("pending") + n("in_progress")} not yet processed`);
  }
  if (n("rowsWaiting") > 0) parts.push(`${n("rowsWaiting")} Sheets row(s) waiting`);
  if (n("alertsWaiting") > 0) parts.push(`${n("alertsWaiting")} alert message(s) waiting`);
  const spend = summary.spend;
  // What it cost, and per completed contact, to reconcile with the providers' bills.
  const cost = spend
    ? `; spent ${money(spend.total)} ${spend.currency}${
      n("completed") > 0 ? ` (${money(spend.total / n("completed"))} per completed contact)` : ""
    }`
    : "";
  return `campaign ${summary.campaign}: ${parts.join(", ")} of ${n("total")} in ${
    seconds(n("durationMs"))
  }${cost}`;
}

/** An error's class and what it said: `ServiceUnavailableError: tts: HTTP 503 ...`. The
 * message already names the service; the class is kept for whoever searches by it. */
function said(event: { errorClass?: string; error?: string }): string {
  if (!event.error) return event.errorClass ?? "unknown";
  return `${event.errorClass}: ${event.error}`;
}

function deferralText(event: ContactDoneEvent, service: string): string {
  switch (event.reason) {
    case "circuit-open":
      return event.errorClass === "CircuitOpenError"
        ? `${service} breaker is open (fail-fast, ${service} not called)`
        : `${service} breaker opened on its failures (${said(event)}); waits for it to recover`;
    case "service-wide":
      return `${service} refused every call (${said(event)}); waits for it to recover`;
    case "paused":
      return `${service} asked for a pause (Retry-After); waits until then`;
    case "outside-calling-hours":
      return "outside its calling hours; called when they open";
    case "redial":
      return "the call was busy or not answered; dialled again later";
    case "same-phone":
      return "another contact's call to the same number has not ended; called after it";
    case "no-slot":
      return `no free ${service} slot in time; taken again shortly`;
    default:
      return `${service} kept failing (${said(event)}); taken again after its recovery time`;
  }
}

function describeAlert(event: AlertEvent): string {
  const label = event.status === "resolved" ? "resolved" : event.severity;
  const what = `[${label}] ${event.summary}`;
  switch (event.decision) {
    case "queued":
      return `🔔 alert ${what} → grouped for ${(event.channels ?? []).join(", ")}`;
    case "delivered":
      return `🔔 sent via ${event.channel}: ${what}`;
    case "outboxed":
      return `🔔 ${event.channel} failed (${said(event)}); kept in the outbox: ${what}`;
    case "replayed":
      return `🔔 sent via ${event.channel} from the outbox: ${what}`;
    default:
      return `🔕 not sent (${String(event.decision).replace("suppressed:", "")}): ${what}`;
  }
}
