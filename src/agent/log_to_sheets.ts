import type { SheetsLogSink } from "../sheets/mod.ts";
import type { RoutingAlertManager } from "../alerts/mod.ts";
import type { BreakerRegistry } from "../breaker/mod.ts";
import type { AgentConfig } from "../config/mod.ts";
import type { Emitter } from "../events/mod.ts";
import type { CampaignRunner } from "../processor/mod.ts";
import type { AgentEvent } from "./agent_event.ts";
import type { ScriptRejections } from "../domain/mod.ts";

/** `scripts rejected: placeholder 1, refusal 2`, or empty when none was. */
function rejected(rejections: ScriptRejections): string {
  const counts = Object.entries(rejections).map(([rule, count]) => `${rule} ${count}`);
  return counts.length > 0 ? `scripts rejected: ${counts.join(", ")}` : "";
}

/** `answered by machine_end_beep, message left`, `opted out`: what a person reading the log
 * needs beyond the outcome (a person answering is the usual case, not said). */
function answered(
  answer: { answeredBy?: string; messageLeft?: boolean; optedOut?: boolean } | undefined,
): string {
  if (!answer) return "";
  return [
    answer.answeredBy && answer.answeredBy !== "human" ? `answered by ${answer.answeredBy}` : "",
    answer.messageLeft === undefined ? "" : answer.messageLeft ? "message left" : "no message left",
    answer.optedOut ? "opted out" : "",
  ].filter(Boolean).join(", ");
}

/** What the Sheets rows are made from, and where Sheets problems are told. */
export interface SheetsRowSources {
  config: Pick<AgentConfig, "campaign">;
  runner: CampaignRunner;
  breakers: BreakerRegistry;
  events: Emitter<AgentEvent>;
  startedAt: number;
  alerts: RoutingAlertManager;
}

/**
 * One Sheets row per contact outcome (completed, failed, deferred): time, campaign, contact,
 * outcome, service, error class, attempts, the service's breaker state, and a unique row id.
 * Sheets problems become events and alerts.
 */
export function logToSheets(
  agent: SheetsRowSources,
  sink: Pick<SheetsLogSink, "append" | "onEvent">,
  now: () => number,
): Disposable[] {
  const campaign = agent.config.campaign.name;
  const subscriptions = [agent.runner.onEvent((event) => {
    if (event.type !== "contact-done") return;
    const { result } = event;
    const ended = result.status === "failed" || result.status === "deferred";
    const service = ended ? result.service ?? "" : "";
    sink.append({
      rowId: crypto.randomUUID(),
      time: new Date(now()).toISOString(),
      campaign,
      contactId: result.contactId,
      outcome: result.status,
      service,
      // A skipped contact's reason (do-not-call, duplicate-phone) stands where an error would.
      errorClass: ended ? result.errorClass : result.status === "skipped" ? result.reason : "",
      // The ledger's count: requests that reached a provider, over all runs.
      attempts: Object.values(event.attempts).reduce((sum, n) => sum + (n ?? 0), 0),
      breakerState: service && agent.breakers.has(service) ? agent.breakers.get(service).state : "",
      spend: Object.values(event.spend).reduce((sum, cost) => sum + (cost ?? 0), 0),
      // A completed contact's detail says which fallback served it, if any did; any
      // contact's, which scripts were rejected before its voice was paid for.
      detail: [
        result.status !== "completed" ? result.message : "",
        result.status === "completed" && result.fallbacks?.script
          ? `script by fallback ${result.fallbacks.script}`
          : "",
        result.status === "completed" && result.fallbacks?.voice
          ? `voice by fallback ${result.fallbacks.voice}`
          : "",
        answered(event.answer),
        // (a contact failed as script-rejected says them in its message already)
        result.status === "failed" && result.reason === "script-rejected"
          ? ""
          : rejected(event.scriptRejections),
      ].filter(Boolean).join("; "),
    });
  })];
  subscriptions.push(sink.onEvent((event) => {
    agent.events.emit({ t: now() - agent.startedAt, ...event, type: "sheets", event: event.type });
    if (event.type === "configuration-error") {
      agent.alerts.raise({
        key: "sheets-config",
        severity: "critical",
        summary: `Google Sheets log refused the rows: ${event.errorClass}: ${event.message}`,
        details: `${
          event.message.replace(/\.+$/, "")
        }. Share the sheet with the service account and check spreadsheetId; rows wait in the outbox.`,
        labels: { service: "sheets", campaign },
      });
    } else if (event.type === "stalled") {
      agent.alerts.raise({
        key: "sheets-unavailable",
        severity: "warning",
        summary: `Google Sheets log cannot deliver rows: ${event.errorClass}: ${event.message}`,
        details: `No append has gone through for ${
          Math.round(event.sinceMs / 1000)
        } s; ${event.backlog} rows wait in the ledger's outbox and go out in order once Sheets answers again.`,
        labels: { service: "sheets", campaign },
      });
    } else if (event.type === "recovered") {
      agent.alerts.resolve(
        "sheets-unavailable",
        `Google Sheets log delivers again (${event.backlog} rows still to send)`,
      );
    } else if (event.type === "appended") {
      agent.alerts.resolve("sheets-config", "Google Sheets log accepts rows again");
    } else if (event.type === "dead-lettered") {
      agent.alerts.raise({
        key: "sheets-dead-letter",
        severity: "error",
        summary:
          `Google Sheets rejected ${event.rows} rows; they are kept aside in the outbox (sheets:dead)`,
        details: event.message,
        labels: { service: "sheets", campaign },
      });
    }
  }));
  return subscriptions;
}
