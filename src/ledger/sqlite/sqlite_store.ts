import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type Clock, systemClock } from "../../clock/mod.ts";
import {
  type CampaignStore,
  type ContactLoading,
  type ContactQueue,
  type ContactRecord,
  type DialRegistry,
  type DialTurns,
  type DoNotCallList,
  emptyCounts,
  type FiringAlerts,
  type LeaseOptions,
  type Outbox,
  type SpendLedger,
  type StateCounts,
  type StepJournal,
} from "../campaign_store.ts";
import { type ContactRow, recordOf } from "../_sql_rows.ts";
import type { ContactState } from "../../domain/mod.ts";
import { GroupCommit } from "./group_commit.ts";
import { LedgerError, ledgerError, migrate } from "./schema.ts";
import { LocalDialTurns } from "../memory/local_dial_turns.ts";
import { SqliteContactLoading } from "./sqlite_contact_loading.ts";
import { SqliteContactQueue } from "./sqlite_contact_queue.ts";
import { SqliteContactWrites } from "./sqlite_contact_writes.ts";
import { SqliteDialRegistry } from "./sqlite_dial_registry.ts";
import { SqliteDoNotCallList } from "./sqlite_do_not_call.ts";
import { SqliteFiringAlerts } from "./sqlite_firing_alerts.ts";
import { SqliteOutbox } from "./sqlite_outbox.ts";
import { SqliteSpendLedger } from "./sqlite_spend_ledger.ts";

/** How a ledger file is opened. */
export interface SqliteLedgerOptions {
  /**
   * `exclusive` (the default): this store holds the file alone until it is closed (SQLite's
   * `locking_mode = EXCLUSIVE`, its WAL index in this process's memory), so a commit takes no
   * file locks; no other connection can read or write it meanwhile. `shared`: several stores
   * may use one file at once, their leases keeping them apart, each commit taking SQLite's
   * file locks.
   */
  access?: "exclusive" | "shared";
  /** Waits the one turn that gathers contact writes into a group commit. @default systemClock */
  clock?: Clock;
}

/**
 * The ledger in one SQLite file (`node:sqlite`), in WAL mode. A contact's transition is
 * committed before its promise settles (the transitions of one turn together, a group commit),
 * so a crash at any instant leaves each contact in its last committed state and no step's side
 * effect starts before the previous step is durable.
 * Put together from its roles, one file each: loading, the queue and its leases, the step
 * journal, spend, the dial registry.
 */
export class SqliteCampaignStore implements CampaignStore {
  readonly #db: DatabaseSync;
  readonly #statements: Record<string, StatementSync>;
  readonly #writes: GroupCommit;
  readonly #loading: ContactLoading;
  readonly #queue: ContactQueue;
  readonly #journal: StepJournal;
  readonly #spend: SpendLedger;
  readonly #registry: DialRegistry;
  #closed = false;
  readonly outbox: Outbox;
  readonly doNotCall: DoNotCallList;
  /** One process works a SQLite ledger at a time: its turns are its own. */
  readonly dialTurns: DialTurns = new LocalDialTurns();
  readonly firingAlerts: FiringAlerts;
  readonly lease: LeaseOptions;

  /**
   * Opens (creating if needed) the ledger at `path`; `:memory:` for a throwaway one. Brings an
   * older ledger up to date. Throws {@link LedgerError} for a database that is not a ledger
   * (nothing in it is changed), one written by a newer release, or one another program holds.
   */
  constructor(
    path: string,
    lease: LeaseOptions = { owner: "this-process", ms: 30_000 },
    options: SqliteLedgerOptions = {},
  ) {
    this.lease = lease;
    try {
      this.#db = new DatabaseSync(path);
    } catch (error) {
      throw ledgerError(path, error);
    }
    try {
      // Before the first read: the lock is then taken at once and the WAL index never shared.
      if ((options.access ?? "exclusive") === "exclusive") {
        this.#db.exec("PRAGMA locking_mode = EXCLUSIVE;");
      }
      migrate(this.#db, path);
      // A ledger that cannot take a write is found now, not at the first contact's step.
      this.#db.exec("BEGIN IMMEDIATE; ROLLBACK;");
    } catch (error) {
      this.#db.close();
      throw error instanceof LedgerError ? error : ledgerError(path, error);
    }
    const db = this.#db;
    this.#statements = {
      counts: db.prepare("SELECT state, n FROM state_counts WHERE campaign = ?"),
      invalidCount: db.prepare("SELECT COUNT(*) AS n FROM invalid_rows WHERE campaign = ?"),
      get: db.prepare("SELECT * FROM contacts WHERE campaign = ? AND id = ?"),
    };
    this.#writes = new GroupCommit(db, options.clock ?? systemClock);
    const spend = new SqliteSpendLedger(db);
    this.#spend = spend;
    this.#loading = new SqliteContactLoading(db);
    this.#queue = new SqliteContactQueue(db, lease);
    this.#journal = new SqliteContactWrites(db, lease, this.#writes, spend);
    this.#registry = new SqliteDialRegistry(db);
    this.outbox = new SqliteOutbox(db);
    this.doNotCall = new SqliteDoNotCallList(db);
    this.firingAlerts = new SqliteFiringAlerts(db);
  }

  ensureCampaign(
    ...a: Parameters<ContactLoading["ensureCampaign"]>
  ): ReturnType<ContactLoading["ensureCampaign"]> {
    return this.#loading.ensureCampaign(...a);
  }
  addContacts(
    ...a: Parameters<ContactLoading["addContacts"]>
  ): ReturnType<ContactLoading["addContacts"]> {
    return this.#loading.addContacts(...a);
  }
  addInvalid(
    ...a: Parameters<ContactLoading["addInvalid"]>
  ): ReturnType<ContactLoading["addInvalid"]> {
    return this.#loading.addInvalid(...a);
  }
  invalidRows(
    ...a: Parameters<ContactLoading["invalidRows"]>
  ): ReturnType<ContactLoading["invalidRows"]> {
    return this.#loading.invalidRows(...a);
  }
  resumeInterrupted(
    ...a: Parameters<ContactQueue["resumeInterrupted"]>
  ): ReturnType<ContactQueue["resumeInterrupted"]> {
    return this.#queue.resumeInterrupted(...a);
  }
  claimNext(...a: Parameters<ContactQueue["claimNext"]>): ReturnType<ContactQueue["claimNext"]> {
    return this.#queue.claimNext(...a);
  }
  claim(...a: Parameters<ContactQueue["claim"]>): ReturnType<ContactQueue["claim"]> {
    return this.#queue.claim(...a);
  }
  renewLeases(
    ...a: Parameters<ContactQueue["renewLeases"]>
  ): ReturnType<ContactQueue["renewLeases"]> {
    return this.#queue.renewLeases(...a);
  }
  nextLeaseExpiry(
    ...a: Parameters<ContactQueue["nextLeaseExpiry"]>
  ): ReturnType<ContactQueue["nextLeaseExpiry"]> {
    return this.#queue.nextLeaseExpiry(...a);
  }
  unclaim(...a: Parameters<ContactQueue["unclaim"]>): ReturnType<ContactQueue["unclaim"]> {
    return this.#queue.unclaim(...a);
  }
  releaseDeferred(
    ...a: Parameters<ContactQueue["releaseDeferred"]>
  ): ReturnType<ContactQueue["releaseDeferred"]> {
    return this.#queue.releaseDeferred(...a);
  }
  deferredServices(
    ...a: Parameters<ContactQueue["deferredServices"]>
  ): ReturnType<ContactQueue["deferredServices"]> {
    return this.#queue.deferredServices(...a);
  }
  nextDeferredAt(
    ...a: Parameters<ContactQueue["nextDeferredAt"]>
  ): ReturnType<ContactQueue["nextDeferredAt"]> {
    return this.#queue.nextDeferredAt(...a);
  }
  failRemaining(
    ...a: Parameters<ContactQueue["failRemaining"]>
  ): ReturnType<ContactQueue["failRemaining"]> {
    return this.#queue.failRemaining(...a);
  }
  saveStep(...a: Parameters<StepJournal["saveStep"]>): ReturnType<StepJournal["saveStep"]> {
    return this.#journal.saveStep(...a);
  }
  complete(...a: Parameters<StepJournal["complete"]>): ReturnType<StepJournal["complete"]> {
    return this.#journal.complete(...a);
  }
  fail(...a: Parameters<StepJournal["fail"]>): ReturnType<StepJournal["fail"]> {
    return this.#journal.fail(...a);
  }
  skip(...a: Parameters<StepJournal["skip"]>): ReturnType<StepJournal["skip"]> {
    return this.#journal.skip(...a);
  }
  defer(...a: Parameters<StepJournal["defer"]>): ReturnType<StepJournal["defer"]> {
    return this.#journal.defer(...a);
  }
  spendOf(...a: Parameters<SpendLedger["spendOf"]>): ReturnType<SpendLedger["spendOf"]> {
    return this.#spend.spendOf(...a);
  }
  estimatedCallPrices(
    ...a: Parameters<SpendLedger["estimatedCallPrices"]>
  ): ReturnType<SpendLedger["estimatedCallPrices"]> {
    return this.#spend.estimatedCallPrices(...a);
  }
  settleCallPrice(
    ...a: Parameters<SpendLedger["settleCallPrice"]>
  ): ReturnType<SpendLedger["settleCallPrice"]> {
    return this.#spend.settleCallPrice(...a);
  }
  spendTotals(
    ...a: Parameters<SpendLedger["spendTotals"]>
  ): ReturnType<SpendLedger["spendTotals"]> {
    return this.#spend.spendTotals(...a);
  }
  recordedCalls(
    ...a: Parameters<DialRegistry["recordedCalls"]>
  ): ReturnType<DialRegistry["recordedCalls"]> {
    return this.#registry.recordedCalls(...a);
  }
  calledBefore(
    ...a: Parameters<DialRegistry["calledBefore"]>
  ): ReturnType<DialRegistry["calledBefore"]> {
    return this.#registry.calledBefore(...a);
  }

  counts(campaign: string): Promise<StateCounts> {
    const counts = emptyCounts();
    for (
      const row of this.#statements.counts.all(campaign) as { state: ContactState; n: number }[]
    ) {
      counts[row.state] = Number(row.n);
    }
    counts.invalid += Number((this.#statements.invalidCount.get(campaign) as { n: number }).n);
    return Promise.resolve(counts);
  }

  get(campaign: string, contactId: string): Promise<ContactRecord | undefined> {
    const row = this.#statements.get.get(campaign, contactId) as ContactRow | undefined;
    return Promise.resolve(row ? recordOf(row) : undefined);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      // Writes already asked for are committed, not dropped.
      this.#writes.close();
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
