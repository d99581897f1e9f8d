import type { Severity } from "../alerts/mod.ts";
import type { BreakerState } from "../breaker/mod.ts";
import type { HealthStatus } from "../health/mod.ts";
import type {
  CampaignEvent,
  ContactStatus,
  DeferReason,
  FailureReason,
  RunSummary,
} from "../processor/mod.ts";
import type { SheetsEvent } from "../sheets/mod.ts";
import type { SkipReason } from "../domain/mod.ts";

/** An attempt that reached a service ended (debug): a request sent, never a refused try. */
export interface AttemptEvent {
  type: "attempt";
  service: string;
  contactId?: string;
  /** 1 for a call's first attempt; more for retries. */
  attempt: number;
  durationMs: number;
  /** `success`, or the class of the error it ended with. */
  outcome: string;
}

/** An attempt failed and another follows after `delayMs`. */
export interface RetryAgentEvent {
  type: "retry";
  service?: string;
  contactId?: string;
  attempt: number;
  delayMs: number;
  retryAfterMs?: number;
  errorClass: string;
  /** What the failure said: the provider's own code and message, as its client put them. */
  error: string;
}

/** The retry policy stopped: why, after which attempt. */
export interface GiveUpEvent {
  type: "give-up";
  service?: string;
  contactId?: string;
  attempt: number;
  reason: string;
  errorClass: string;
  /** What the last failure said (a breaker's refusal: the failure that opened it). */
  error: string;
}

/** A breaker changed state. */
export interface BreakerEvent {
  type: "breaker";
  service: string;
  from: BreakerState;
  to: BreakerState;
  reason: string;
  /** Opening on failures: what the last of them said. */
  lastError?: string;
}

/** A health probe's result. */
export interface HealthEvent {
  type: "health";
  service: string;
  status: HealthStatus;
  from: HealthStatus;
  latencyMs?: number;
  /** The class of the probe's error, when it failed. */
  errorClass?: string;
  /** What the probe's failure said. */
  error?: string;
  changed: boolean;
  breakerState?: BreakerState;
}

/** How a contact's processing ended this time, flattened for logs and `--json`. */
export interface ContactDoneEvent {
  type: "contact-done";
  contactId: string;
  status: ContactStatus;
  /** The service it failed at or waits for; unset when completed or skipped. */
  service?: string;
  errorClass?: string;
  reason?: FailureReason | DeferReason | SkipReason;
  /** Skipped as `duplicate-phone`: the contact that was called on the number. */
  firstContactId?: string;
  /** Completed: which fallback of each chain served it, if any did. */
  fallbacks?: { script?: string; voice?: string };
  /** Failed or deferred: what the service (or the rule) said. */
  error?: string;
  deferrals: number;
}

/** What the alert manager did with an alert: queued, suppressed, or delivered per channel. */
export interface AlertEvent {
  type: "alert";
  /** `queued`, `suppressed:<why>`, or a channel's `delivered` / `outboxed` / `replayed`. */
  decision: string;
  channel?: string;
  channels?: string[];
  notificationId?: string;
  key: string;
  severity: Severity;
  status: "firing" | "resolved";
  summary: string;
  service?: string;
  contactId?: string;
  errorClass?: string;
  /** A channel's failure: what the channel's provider said. */
  error?: string;
}

/** The Sheets log's own events, under one type; `event` says which. */
export type SheetsAgentEvent =
  & { type: "sheets"; event: SheetsEvent["type"] }
  & Partial<
    & Omit<Extract<SheetsEvent, { type: "appended" }>, "type">
    & Omit<Extract<SheetsEvent, { type: "failed" }>, "type">
    & Omit<Extract<SheetsEvent, { type: "unavailable" }>, "type">
    & Omit<Extract<SheetsEvent, { type: "stalled" }>, "type">
    & Omit<Extract<SheetsEvent, { type: "recovered" }>, "type">
  >;

/** A call a mock or fake provider received (simulation). */
export interface ServiceCallEvent {
  type: "service-call";
  service: string;
  operation: string;
  result: string;
  breakerState: BreakerState;
}

/** The simulation's tally of HTTP requests each fake provider received. */
export interface ProviderRequestsEvent {
  type: "provider-requests";
  requests: Record<string, number>;
}

/** The run's summary. */
export type SummaryEvent = { type: "summary" } & RunSummary;

/** The simulation found a promise broken. */
export interface InvariantViolatedEvent {
  type: "invariant-violated";
  reason: string;
}

/**
 * One record per thing that happened, merged from every component: the simulation's
 * narrative, `--json` output and the logs are all views of this stream, and each `switch` on
 * `type` is checked to cover every kind. `t` is clock time since the run started.
 */
export type AgentEvent =
  & { t: number }
  & (
    | AttemptEvent
    | RetryAgentEvent
    | GiveUpEvent
    | BreakerEvent
    | HealthEvent
    | Exclude<CampaignEvent, { type: "contact-done" }>
    | ContactDoneEvent
    | AlertEvent
    | SheetsAgentEvent
    | ServiceCallEvent
    | ProviderRequestsEvent
    | SummaryEvent
    | InvariantViolatedEvent
  );

/** An event before the agent stamps its time. */
export type UntimedAgentEvent = AgentEvent extends infer E
  ? E extends unknown ? Omit<E, "t"> : never
  : never;

/** Ends a `switch` over every event type: it fails to compile when a type is left out, and
 * ignores (returns undefined for) an event of a type this build does not know. */
export function unreachableEvent(event: never): undefined {
  void event;
  return undefined;
}
