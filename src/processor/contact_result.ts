import type { CallScript, SpeechAudio } from "../services/mod.ts";

/** How one contact ended. */
export type ContactStatus = "completed" | "failed" | "skipped";

/** Why a contact failed. */
export type FailureReason = "permanent" | "retries-exhausted" | "internal-error";

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

/** Counts at the end of a run. */
export interface RunSummary {
  total: number;
  completed: number;
  failed: number;
  skipped: number;
  passes: number;
  /** Clock time the run took. */
  durationMs: number;
}

/** Where a contact's pipeline got to: a resumed contact skips the steps already done. */
export interface ContactProgress {
  script?: CallScript;
  audio?: SpeechAudio;
  recordId?: string;
}
