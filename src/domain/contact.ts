import type { NumberType } from "./number_plan.ts";

/** A person to call. `fields` carries any other columns of the contacts file. */
export interface Contact {
  id: string;
  name: string;
  /** E.164, e.g. `+14155550100`. */
  phone: string;
  /** What kind of line the number is, as the numbering plan says (unset in ledgers from before
   * numbers were checked against it). */
  numberType?: NumberType;
  /** The time zones the number's area spans, when the contact has no `timezone` and the plan
   * can tell: calling hours are read in these (open only while open in each). */
  numberZones?: readonly string[];
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

/** The zones a contact's calling hours are read in: its `timezone` column, else its number's
 * area's; undefined: the campaign's. */
export function zonesOf(contact: Contact): readonly string[] | undefined {
  return contact.timezone ? [contact.timezone] : contact.numberZones;
}

/** Why a contact was not called. */
export type SkipReason = "do-not-call" | "duplicate-phone";
