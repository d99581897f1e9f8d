/** A person to call. `fields` carries any other columns of the contacts file. */
export interface Contact {
  id: string;
  name: string;
  /** E.164, e.g. `+14155550100`. */
  phone: string;
  /** Why we call this person; falls back to the campaign's purpose. */
  purpose?: string;
  notes?: string;
  /** IANA time zone the calling hours are read in (a `timezone` column); else the campaign's. */
  timezone?: string;
  fields?: Readonly<Record<string, string>>;
}

/** Where a contact is. `deferred`: put aside until its service lets calls through again;
 * `skipped`: not to be called (do-not-call, or its number was called for another contact). */
export type ContactState =
  | "pending"
  | "in_progress"
  | "completed"
  | "failed"
  | "deferred"
  | "skipped"
  | "invalid";

/** Why a contact was not called. */
export type SkipReason = "do-not-call" | "duplicate-phone";
