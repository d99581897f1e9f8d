import type { StateCounts } from "../ledger/mod.ts";

/** How one contact's processing ended. `skipped`: a breaker was open (it will be deferred). */
export type ContactStatus = "completed" | "failed" | "skipped";

/** Why a contact failed. */
export type FailureReason =
  | "permanent"
  | "retries-exhausted"
  | "internal-error"
  | "deferrals-exhausted";

/** The outcome of processing one contact. */
export type ContactResult =
  | { contactId: string; status: "completed"; recordId: string }
  | {
    contactId: string;
    status: "failed";
    service?: string;
    reason: FailureReason;
    errorClass: string;
    message: string;
    /** Whether the error means every call to the service will fail. */
    serviceWide: boolean;
  }
  | {
    contactId: string;
    status: "skipped";
    /** Service whose breaker was open. */
    service: string;
    remainingMs: number;
  };

/** Where a contact's pipeline got to: a resumed contact skips the steps already done. */
export interface ContactProgress {
  script?: { text: string };
  audio?: { format: string; byteLength: number; path?: string; sha256?: string };
  recordId?: string;
}

/** Counts at the end of a run, from the ledger. */
export interface RunSummary extends StateCounts {
  campaign: string;
  /** Contacts in the campaign (invalid rows included). */
  total: number;
  /** Clock time the run took. */
  durationMs: number;
  /** Why the run stopped: all done, deferred contacts still waiting, or shutdown. */
  ended: "finished" | "waiting-for-recovery" | "shutdown";
}
