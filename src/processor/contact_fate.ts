import {
  CircuitOpenError,
  describeError,
  errorClass,
  isServiceWide,
  RetriesExhaustedError,
  ServiceError,
  SlotWaitTimeoutError,
} from "../errors.ts";
import {
  type FinalCallStatus,
  type ScriptRejections,
  serviceOf,
  type SkipReason,
  type Step,
} from "../domain/mod.ts";
import type { ContactResult, DeferReason } from "./contact_result.ts";

/** What a contact's fate depends on besides what happened: the rules and the time. */
export interface FateRules {
  /** Clock time now. */
  now: number;
  /** Attempts at one step that reached its provider, over all runs, before the contact fails. */
  maxAttemptsPerStep: number;
  /** Busy and unanswered calls are dialled again, `delayMs` apart, up to `maxDials` in all. */
  /** `onMachine`: a call hung up on an answering machine is dialled again too. */
  redial: { maxDials: number; delayMs: number; onMachine?: boolean };
  /** How long a service whose retries ran out is left alone: its breaker's recovery time. */
  recoveryTimeoutMs: (service: string) => number;
  /** How soon a contact whose number another contact is dialling looks again. */
  numberBusyRetryMs: number;
}

/** What happened to a contact at one point of its pipeline. */
export type WhatHappened =
  | { kind: "completed"; recordId: string }
  /** `hungUpOnMachine`: a machine answered and the call hung up on it (no message left). */
  | {
    kind: "call-ended";
    status: FinalCallStatus;
    dials: number;
    sid: string;
    hungUpOnMachine?: boolean;
  }
  | { kind: "outside-calling-hours"; opensAt: number; timezone?: string }
  | {
    kind: "not-to-be-called";
    reason: SkipReason;
    message: string;
    /** The CRM record saying why. */
    recordId: string;
    firstContactId?: string;
  }
  | { kind: "number-busy"; message: string }
  /** A service the contact still needs is refusing calls before anything is spent. */
  | { kind: "breaker-open"; service: string; error: unknown }
  /**
   * A step ended with `error`. `attempts`: the step's attempts that reached the provider, over
   * all runs; `lastFailure`: what the provider itself last answered, if it answered.
   */
  | { kind: "step-failed"; step: Step; error: unknown; attempts: number; lastFailure?: unknown }
  | { kind: "deadline-passed"; deadline: number }
  /** A spend cap stops the contact's next paid step: the campaign's or the day's. */
  | { kind: "budget-reached"; cap: "campaign" | "daily"; until: number; message: string }
  /** The contact's own spend reached `budget.perContact`. */
  | { kind: "over-budget"; message: string }
  /** Every provider of the script's chain wrote scripts the checks rejected (`rejections`, per
   * rule, over all runs; `last`: the last rejection, as its error says it). */
  | { kind: "script-rejected"; rejections: ScriptRejections; last: string };

/**
 * The contact's fate after `happened`: the one place the rules of README's "A contact's fate"
 * table are decided. `"go-on"`: nothing ends it here (a call that ended completed, or with no
 * dial left, goes on to the CRM). Pure: the same input always gives the same fate.
 */
export function contactFate(
  contactId: string,
  happened: Exclude<WhatHappened, { kind: "call-ended" }>,
  rules: FateRules,
): ContactResult;
export function contactFate(
  contactId: string,
  happened: WhatHappened,
  rules: FateRules,
): ContactResult | "go-on";
export function contactFate(
  contactId: string,
  happened: WhatHappened,
  rules: FateRules,
): ContactResult | "go-on" {
  switch (happened.kind) {
    case "completed":
      return { contactId, status: "completed", recordId: happened.recordId };
    case "call-ended": {
      const { status, dials, sid } = happened;
      const machine = happened.hungUpOnMachine === true && rules.redial.onMachine === true;
      if (
        (status !== "busy" && status !== "no-answer" && !machine) || dials >= rules.redial.maxDials
      ) {
        return "go-on";
      }
      const { delayMs } = rules.redial;
      const what = machine ? "answered by a machine (hung up)" : status;
      return waiting(contactId, "redial", "redial", rules.now + delayMs, {
        message: `call ${sid} was ${what}: dialled again in ${Math.round(delayMs / 60_000)} min`,
      });
    }
    case "outside-calling-hours":
      return waiting(contactId, "calling-hours", "outside-calling-hours", happened.opensAt, {
        message: `outside calling hours in ${
          happened.timezone ?? "the campaign's time zone"
        }: opens at ${new Date(happened.opensAt).toISOString()}`,
      });
    case "not-to-be-called":
      return {
        contactId,
        status: "skipped",
        reason: happened.reason,
        message: happened.message,
        recordId: happened.recordId,
        ...(happened.firstContactId ? { firstContactId: happened.firstContactId } : {}),
      };
    case "number-busy":
      return waiting(contactId, "same-phone", "same-phone", rules.now + rules.numberBusyRetryMs, {
        message: happened.message,
      });
    case "breaker-open":
      return deferred(contactId, happened.service, "circuit-open", happened.error, rules);
    case "step-failed":
      return afterFailure(contactId, happened, rules);
    case "deadline-passed":
      return {
        contactId,
        status: "failed",
        errorClass: "none",
        ...deadlinePassed(happened.deadline),
      };
    case "budget-reached":
      return waiting(contactId, "budget", "budget", happened.until, { message: happened.message });
    case "over-budget":
      return {
        contactId,
        status: "failed",
        reason: "over-budget",
        errorClass: "none",
        message: happened.message,
      };
    case "script-rejected": {
      const counts = Object.entries(happened.rejections)
        .map(([rule, count]) => `${rule} ${count}`)
        .join(", ");
      return {
        contactId,
        status: "failed",
        service: "llm",
        reason: "script-rejected",
        errorClass: "ScriptRejected",
        message:
          `no script passed the checks, so none was voiced or called (rejected: ${counts}); the last: ${happened.last}`,
      };
    }
  }
}

/** What every contact not finished at the campaign's deadline fails with. */
export function deadlinePassed(deadline: number): { reason: "deadline-passed"; message: string } {
  return {
    reason: "deadline-passed",
    message: `the campaign's deadline (${new Date(deadline).toISOString()}) passed`,
  };
}

/** The fate of a contact whose step failed (see {@link contactFate}). */
function afterFailure(
  contactId: string,
  { step, error, attempts, lastFailure }: Extract<WhatHappened, { kind: "step-failed" }>,
  rules: FateRules,
): ContactResult {
  // What the service itself last answered explains a give-up better than the give-up does.
  const cause = lastFailure ?? causeOf(error);
  const failed = (reason: "permanent" | "attempts-exhausted", message: string) => ({
    contactId,
    status: "failed" as const,
    service: step,
    reason,
    errorClass: errorClass(reason === "permanent" ? error : cause),
    message,
  });
  const used =
    `${step}: ${attempts} attempts reached the provider over all runs (processor.maxAttemptsPerStep)`;
  if (error instanceof AttemptsExhausted) return failed("attempts-exhausted", used);
  const deferral = deferralOf(error);
  if (deferral) {
    if (attempts >= rules.maxAttemptsPerStep) {
      return failed(
        "attempts-exhausted",
        `${used}; last: ${cause instanceof Error ? cause.message : String(cause)}`,
      );
    }
    return deferred(contactId, serviceOf(step), deferral, error, rules, cause);
  }
  if (error instanceof ServiceError) return failed("permanent", error.message);
  return {
    contactId,
    status: "failed",
    service: step,
    reason: "internal-error",
    errorClass: errorClass(error),
    message: error instanceof Error ? error.message : String(error),
  };
}

/** Put aside for `service`: a service that stayed flaky is not tried again before its
 * breaker's recovery time; one that refused is taken again as soon as it lets calls through. */
function deferred(
  contactId: string,
  service: string,
  reason: DeferReason,
  error: unknown,
  rules: FateRules,
  cause: unknown = error,
): ContactResult {
  const until = reason === "retries-exhausted"
    ? rules.now + rules.recoveryTimeoutMs(service)
    : rules.now;
  // What the service said (the cause behind a give-up or a breaker's refusal), not only that
  // the loop stopped.
  const { errorClass, message } = describeError(cause);
  return { contactId, status: "deferred", service, reason, errorClass, message, until };
}

/** Put aside for a time, not a service: no breaker gates it, no error is blamed. */
function waiting(
  contactId: string,
  service: string,
  reason: DeferReason,
  until: number,
  { message }: { message: string },
): ContactResult {
  return { contactId, status: "deferred", service, reason, errorClass: "none", message, until };
}

/** A step's attempts were used up before this run called it. */
export class AttemptsExhausted extends Error {
  constructor(readonly step: Step) {
    super(`${step}: attempts used up`);
    this.name = "AttemptsExhausted";
  }
}

/** Why `error` defers its contact, or undefined when it does not. */
export function deferralOf(error: unknown): DeferReason | undefined {
  if (error instanceof CircuitOpenError) return "circuit-open";
  if (error instanceof SlotWaitTimeoutError) return "no-slot";
  if (error instanceof RetriesExhaustedError) {
    return error.reason === "retry-after-too-long" ? "paused" : "retries-exhausted";
  }
  if (isServiceWide(error)) return "service-wide";
  if (error instanceof ServiceError && error.retryable) return "retries-exhausted";
  return undefined;
}

/** The failure behind a give-up (what the service answered), for error-class reporting. */
function causeOf(error: unknown): unknown {
  return error instanceof RetriesExhaustedError ? error.cause : error;
}
