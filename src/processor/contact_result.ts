import type { StateCounts } from "../ledger/mod.ts";
import type { SkipReason } from "../domain/mod.ts";

/**
 * Deferrals that wait for a time, not a service: the contact's calling hours, or the next
 * dial after a busy or unanswered call. No breaker gates them, and a run waits for them as
 * long as it takes.
 */
export const scheduledDeferrals: ReadonlySet<string> = new Set(["calling-hours", "redial"]);

/** What contacts stopped at a spend cap are deferred on: not a service, and no time of day. */
export const budgetDeferral = "budget";

/** How one contact's processing ended this time. */
export type ContactStatus = "completed" | "failed" | "deferred" | "skipped";

/**
 * Why a contact failed for good: its own request was rejected (`permanent`: bad input, an
 * invalid number), its attempts at a step ran out over all runs, the campaign's deadline
 * passed, its own spend reached its cap, no provider wrote a script the checks passed, or our
 * own bug.
 */
export type FailureReason =
  | "permanent"
  | "attempts-exhausted"
  | "deadline-passed"
  | "over-budget"
  | "script-rejected"
  | "internal-error";

/**
 * Why a contact was put aside to be taken again: the service's breaker was open, the service
 * said every call will fail (bad key, quota), its retries ran out on a service that stayed
 * flaky, the service asked for a long pause (Retry-After), or no slot freed up in time; or,
 * for no service's fault, the contact's calling hours are closed, or its call was busy or
 * unanswered and waits to be dialled again, or another contact is dialling its number now.
 */
export type DeferReason =
  | "circuit-open"
  | "service-wide"
  | "retries-exhausted"
  | "paused"
  | "no-slot"
  | "outside-calling-hours"
  | "redial"
  | "same-phone"
  | "budget";

/** The outcome of processing one contact. */
export type ContactResult =
  | {
    contactId: string;
    status: "completed";
    recordId: string;
    /** Which provider of each chain served it, when it was not the primary. */
    fallbacks?: { script?: string; voice?: string };
  }
  | {
    contactId: string;
    status: "skipped";
    reason: SkipReason;
    message: string;
    /** The CRM record saying why it was not called. */
    recordId: string;
    /** `duplicate-phone`: the contact that was called on the number. */
    firstContactId?: string;
  }
  | {
    contactId: string;
    status: "failed";
    service?: string;
    reason: FailureReason;
    errorClass: string;
    message: string;
  }
  | {
    contactId: string;
    status: "deferred";
    /** What it waits for: a service's name, or a time that is no service's (`calling-hours`,
     * `redial`: {@link scheduledDeferrals}, which no breaker gates). One field, as the ledger
     * keeps it, so every layer reads a deferral the same way. */
    service: string;
    reason: DeferReason;
    errorClass: string;
    message: string;
    /** Clock time before which it is not taken again (its service must also let calls
     * through). */
    until: number;
  };

/** Counts at the end of a run, from the ledger. */
export interface RunSummary extends StateCounts {
  campaign: string;
  /** Contacts in the campaign (invalid rows included). */
  total: number;
  /** Clock time the run took. */
  durationMs: number;
  /** Why the run stopped: all done, deferred contacts still waiting, or shutdown. */
  ended: "finished" | "waiting-for-recovery" | "shutdown";
  /** What the campaign's contacts cost so far, over all runs, in `currency`. */
  spend?: { total: number; currency: string };
}
