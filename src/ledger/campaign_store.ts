import type {
  CallProgress,
  Contact,
  ContactState,
  SavedAudio,
  ScriptRejections,
  ScriptSource,
  StepSpend,
} from "../domain/mod.ts";
import type { DialTurns, DoNotCallList } from "./dialing.ts";
import type { Outbox } from "./outbox.ts";
import type { FiringAlerts, SharedState } from "./shared_state.ts";

export { type DialTurns, type DoNotCallList, optOutVersion } from "./dialing.ts";
export type { Outbox, OutboxItem } from "./outbox.ts";
export {
  type AlertClaim,
  type FiringAlerts,
  nextServiceState,
  type ServiceState,
  type SharedState,
} from "./shared_state.ts";

/**
 * How contacts that share a phone number are called (`campaign.samePhone`). `call-each`: every
 * contact is called, one after the other (never two dials to a number at once); `call-once`:
 * the first contact to dial a number is the only one, the later ones are skipped.
 */
export type SamePhoneRule = "call-each" | "call-once";

/** Why a dial was not recorded, so it must not be sent. */
export type DialRefusal =
  | {
    /** Another contact (of this or any campaign in the ledger) is dialling the number now:
     * its call has not ended, or its answer was lost and is still being looked for. */
    reason: "phone-busy";
    holder: { campaign: string; contactId: string };
  }
  | {
    /** `call-once`: another contact of the campaign already dialled the number. */
    reason: "called-before";
    firstContactId: string;
  };

/** What the pipeline saved for a contact: a resumed contact skips the steps already done. */
export interface StepOutputs {
  script?: string;
  /** Which provider of the chain wrote the script, and its model. */
  scriptBy?: ScriptSource;
  /** Scripts the checks rejected so far, per rule (each one paid, none voiced). */
  scriptRejections?: ScriptRejections;
  /** What the contact's steps cost so far, over all runs. */
  spend?: StepSpend;
  /** What this save's step cost, added to the campaign's spend on `day` (the campaign's
   * calendar day) in the same commit: what caps are checked against. */
  cost?: { amount: number; day: string };
  audio?: SavedAudio;
  call?: CallProgress;
  crmRecordId?: string;
}

/** A contact as the ledger holds it. */
export interface ContactRecord {
  /** Who holds the contact's lease while it is in progress, and until when (clock time). */
  lease?: { owner: string; until: number };
  contact: Contact;
  state: ContactState;
  /** The step under way (in_progress) or that last finished. */
  step?: string;
  outputs: StepOutputs;
  /** Times it was deferred (informational: a deferral costs nothing). */
  deferrals: number;
  /** Service whose breaker deferred it. */
  deferredService?: string;
  /** Clock time before which a deferred contact is not taken again. */
  deferredUntil?: number;
  /** Attempts that reached a provider, per step, over all runs: what bounds its life. */
  attempts: Readonly<Record<string, number>>;
  /** The CRM idempotency key, fixed when the contact was added: the same on every retry,
   * every run, and every release. */
  crmKey: string;
  reason?: string;
}

/**
 * The CRM idempotency key of a contact: campaign and id, each percent-encoded, joined by `:`.
 * Unambiguous (campaign `a:b` with id `c` is `a%3Ab:c`; campaign `a` with id `b:c` is
 * `a:b%3Ac`), and unchanged for names without reserved characters (`spring:c1`).
 */
export function crmIdempotencyKey(campaign: string, contactId: string): string {
  return `${encodeURIComponent(campaign)}:${encodeURIComponent(contactId)}`;
}

/** Why and how long a contact is put aside. */
export interface Deferral {
  /** The service it waits for: taken again only once that breaker lets calls through. */
  service: string;
  /** Clock time before which it is not taken again. */
  until: number;
  /** Readable reason, kept in the ledger. */
  reason: string;
}

/** Attempts per step, saved with each transition. */
export type Attempts = Readonly<Record<string, number>>;

/** Contacts per state. */
export type StateCounts = Record<ContactState, number>;

/** What loading a batch of rows did. */
export interface LoadResult {
  added: number;
  /** Already in the campaign from an earlier load (the same file loaded again). */
  alreadyLoaded: number;
  /** Contacts whose id this same load added before: `index` in the batch, and the line the
   * first one came from. */
  duplicates: { index: number; firstLine?: number }[];
}

/** One load of a contacts file, so the ledger can tell a repeat within it from an earlier
 * load's contact (without the loader holding every id in memory). */
export interface LoadSource {
  /** Unique per load. */
  id: string;
  /** Each contact's line in the file, in the batch's order. */
  lines: readonly number[];
}

/** An invalid row of a contacts file. */
export interface InvalidRow {
  source: string;
  line: number;
  id?: string;
  reason: string;
}

/** Who takes leases through a store, and for how long each lasts. */
export interface LeaseOptions {
  /** This process (and run): `pid@host/start`. */
  owner: string;
  /** How long a claim or renewal holds a contact (`ledger.leaseMs`). */
  ms: number;
}

/** A write on a contact this process no longer holds: another took it over after its lease
 * expired (this process stalled longer than `ledger.leaseMs`), or it was never claimed. */
export class LeaseLostError extends Error {
  constructor(readonly contactId: string, operation: string) {
    super(`${operation} of contact ${contactId} refused: this process no longer holds its lease`);
    this.name = "LeaseLostError";
  }
}

/** Loading a campaign's contacts, and the rows that could not be. */
export interface ContactLoading {
  /** Creates the campaign if new. */
  ensureCampaign(campaign: string, now: number): Promise<void>;
  /** Adds contacts that are not in the campaign yet, in order, as pending. */
  addContacts(
    campaign: string,
    contacts: readonly Contact[],
    now: number,
    load?: LoadSource,
  ): Promise<LoadResult>;
  /** Records invalid rows (once per source and line). */
  addInvalid(campaign: string, rows: readonly InvalidRow[]): Promise<void>;
  /** Invalid rows recorded for the campaign, by source and line. */
  invalidRows(campaign: string, limit?: number): Promise<InvalidRow[]>;
}

/** The campaign's contacts waiting to be worked, and the leases of those being worked. */
export interface ContactQueue {
  /**
   * Puts contacts whose holder is gone back to pending, keeping their outputs: every one in
   * progress where this process is the ledger's only user (SQLite, under its lock), those whose
   * lease expired where processes share it.
   */
  resumeInterrupted(campaign: string, now: number): Promise<number>;
  /** Takes the next pending contact, marking it in_progress under this store's lease. */
  claimNext(campaign: string, now: number): Promise<ContactRecord | undefined>;
  /** Takes up to `limit` contacts at once (one transaction): those whose lease expired, then
   * pending ones in order; each is in_progress under this store's lease. */
  claim(campaign: string, now: number, limit: number): Promise<ContactRecord[]>;
  /** Extends the leases of contacts this store holds; returns the ids it no longer holds. */
  renewLeases(campaign: string, contactIds: readonly string[], now: number): Promise<string[]>;
  /** The earliest time a lease held on the campaign expires, if any contact is in progress. */
  nextLeaseExpiry(campaign: string): Promise<number | undefined>;
  /** Puts contacts claimed but never started back to pending (a worker stopping early). */
  unclaim(campaign: string, contactIds: readonly string[], now: number): Promise<void>;
  /** Moves up to `limit` contacts deferred on `service` whose time has come back to pending;
   * returns how many. */
  releaseDeferred(campaign: string, service: string, now: number, limit?: number): Promise<number>;
  /** Services that deferred contacts wait on. */
  deferredServices(campaign: string): Promise<string[]>;
  /** The earliest time after `after` at which a deferred contact's time comes, if any. */
  nextDeferredAt(campaign: string, after: number): Promise<number | undefined>;
  /** Fails every pending and deferred contact with `reason` (the campaign's deadline passed);
   * returns how many. */
  failRemaining(campaign: string, reason: string, now: number): Promise<number>;
}

/**
 * What a contact's steps did, written as they happen, and how its lease ends. Each write
 * changes a contact only while this store holds its lease; otherwise it rejects with
 * {@link LeaseLostError} and changes nothing. A write's promise settles once it is durable.
 */
export interface StepJournal {
  /**
   * Saves one step's output (and the attempts so far) and marks the step reached. With `dial`,
   * `outputs.call` records a new dial of the contact's number: the dial is saved only if no
   * other contact of any campaign in the ledger holds the number ({@link holdsPhone}) and, for
   * `call-once`, no other contact of the campaign dialled it before; otherwise the rest of
   * `outputs` is saved without it and the refusal is returned (`called-before` first: a skip
   * is final, where a busy number only waits). A saved call that no longer
   * holds its number (it ended, or no dial is under way) lets the number go.
   */
  saveStep(
    campaign: string,
    contactId: string,
    step: string,
    outputs: StepOutputs,
    now: number,
    attempts?: Attempts,
    dial?: SamePhoneRule,
  ): Promise<DialRefusal | undefined>;
  /** Marks the contact completed with its CRM record; `call` is the call's end, kept in the
   * same commit when it was not saved on its own. */
  complete(
    campaign: string,
    contactId: string,
    crmRecordId: string,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void>;
  /** Fails the contact; `call` is its call's progress, kept in the same commit when the
   * call was not saved on its own (a call that ended as it was placed). */
  fail(
    campaign: string,
    contactId: string,
    reason: string,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void>;
  /** Marks the contact skipped (not to be called) with `reason`, and its CRM record if the
   * skip was recorded there. */
  skip(
    campaign: string,
    contactId: string,
    reason: string,
    now: number,
    attempts?: Attempts,
    crmRecordId?: string,
  ): Promise<void>;
  /** Puts the contact aside until `deferral.until` and its service lets calls through; `call`
   * as for {@link fail} (a call that ended is then never looked for again when the contact
   * comes back, whatever the CRM did). */
  defer(
    campaign: string,
    contactId: string,
    deferral: Deferral,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void>;
}

/** What the campaign spent: per contact and step, and per calendar day for the caps. */
export interface SpendLedger {
  /** What the campaign's contacts cost so far, per step, over all runs. */
  spendOf(campaign: string): Promise<StepSpend>;
  /** Calls of the campaign counted at an estimate because their provider had not priced them
   * yet (`call.final.estimate`): the contact, the call's id and the estimate. */
  estimatedCallPrices(
    campaign: string,
  ): Promise<{ contactId: string; sid: string; estimate: number }[]>;
  /**
   * Replaces a call's estimated price with the provider's `price`: the contact's call spend and
   * the campaign's spend on the estimate's day change by the difference, once (a call already
   * settled, by this process or another, is left alone). Needs no lease: the contact may have
   * ended. Returns whether it settled the call.
   */
  settleCallPrice(campaign: string, contactId: string, price: number): Promise<boolean>;
  /** What the campaign spent in all, and on `day` (as saves with a `cost` recorded it): where
   * processes share the ledger, every process's spend. */
  spendTotals(campaign: string, day: string): Promise<{ total: number; onDay: number }>;
}

/** The calls recorded to each number, whichever contact dialled it. */
export interface DialRegistry {
  /** Every call any contact of any campaign in the ledger recorded to `phone` (its current
   * call and earlier dials' calls): a call one contact recorded is never another's. */
  recordedCalls(phone: string): Promise<string[]>;
  /** The first contact of `campaign` other than `contactId` (in load order) that dialled
   * `phone`, if any. */
  calledBefore(campaign: string, phone: string, contactId: string): Promise<string | undefined>;
}

/**
 * The durable ledger of campaigns and their contacts, by role. Every call is one transaction.
 * The embedded SQLite store implements it for one process; PostgreSQL for several agent
 * processes on one or more machines. Claims are leases: a contact in progress is held by one
 * owner until its lease expires, and only its holder may record its steps. Nothing outside a
 * store knows which one it is.
 */
export interface CampaignStore
  extends ContactLoading, ContactQueue, StepJournal, SpendLedger, DialRegistry, AsyncDisposable {
  /** Sinks' outboxes live in the same store. */
  readonly outbox: Outbox;
  /** The campaigns' do-not-call lists. */
  readonly doNotCall: DoNotCallList;
  /** Turns to create calls at: one campaign's pace, shared by every process on the ledger. */
  readonly dialTurns: DialTurns;
  /** The alerts firing now. */
  readonly firingAlerts: FiringAlerts;
  /** Whose leases this store takes, and how long they last. */
  readonly lease: LeaseOptions;
  /** Present when other processes may use the ledger at the same time. */
  readonly shared?: SharedState;
  counts(campaign: string): Promise<StateCounts>;
  /** One contact's record, or undefined. */
  get(campaign: string, contactId: string): Promise<ContactRecord | undefined>;
  close(): Promise<void>;
}

/** The call sids `call` recorded: its current call and earlier dials'. */
export function callSidsOf(call: CallProgress | undefined): string[] {
  if (!call) return [];
  return call.sid ? [...call.previousSids, call.sid] : [...call.previousSids];
}

/** Zero for every state. */
export function emptyCounts(): StateCounts {
  return {
    pending: 0,
    in_progress: 0,
    completed: 0,
    failed: 0,
    deferred: 0,
    skipped: 0,
    invalid: 0,
  };
}
