import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type Clock, type NetworkTurns, systemClock } from "../../clock/mod.ts";
import {
  type CampaignStore,
  type ContactRecord,
  type DialTurns,
  type DoNotCallList,
  emptyCounts,
  type FiringAlerts,
  type LeaseOptions,
  type Outbox,
  type StateCounts,
} from "../campaign_store.ts";
import { type ContactRow, recordOf } from "../_sql_rows.ts";
import type { ContactState } from "../../domain/mod.ts";
import { GroupCommit } from "./group_commit.ts";
import { LedgerError, ledgerError, migrate } from "./schema.ts";
import { LocalDialTurns } from "../memory/local_dial_turns.ts";
import { StoreByRole } from "../store_by_role.ts";
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
  /** The run's turns of the event loop for the network (`networkTurns`): a group commit waits
   * for one when the loop has been held long enough. @default none */
  networkTurns?: NetworkTurns;
}

/**
 * The ledger in one SQLite file (`node:sqlite`), in WAL mode. A contact's transition is
 * committed before its promise settles (the transitions of one turn together, a group commit),
 * so a crash at any instant leaves each contact in its last committed state and no step's side
 * effect starts before the previous step is durable.
 * Put together from its roles, one file each: loading, the queue and its leases, the step
 * journal, spend, the dial registry.
 */
export class SqliteCampaignStore extends StoreByRole implements CampaignStore {
  readonly #db: DatabaseSync;
  readonly #statements: Record<string, StatementSync>;
  readonly #writes: GroupCommit;
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
    const db = openLedgerFile(path, options.access ?? "exclusive");
    const writes = new GroupCommit(db, options.clock ?? systemClock, options.networkTurns);
    const spend = new SqliteSpendLedger(db);
    super({
      loading: new SqliteContactLoading(db),
      queue: new SqliteContactQueue(db, lease),
      journal: new SqliteContactWrites(db, lease, writes, spend),
      spend,
      registry: new SqliteDialRegistry(db),
    });
    this.lease = lease;
    this.#db = db;
    this.#writes = writes;
    this.#statements = {
      counts: db.prepare("SELECT state, n FROM state_counts WHERE campaign = ?"),
      invalidCount: db.prepare("SELECT COUNT(*) AS n FROM invalid_rows WHERE campaign = ?"),
      get: db.prepare("SELECT * FROM contacts WHERE campaign = ? AND id = ?"),
    };
    this.outbox = new SqliteOutbox(db);
    this.doNotCall = new SqliteDoNotCallList(db);
    this.firingAlerts = new SqliteFiringAlerts(db);
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

/** Opens (creating if needed) the ledger file and brings it up to date; throws
 * {@link LedgerError} for a file that is not a ledger, is newer, or is held elsewhere. */
function openLedgerFile(path: string, access: "exclusive" | "shared"): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (error) {
    throw ledgerError(path, error);
  }
  try {
    // Before the first read: the lock is then taken at once and the WAL index never shared.
    if (access === "exclusive") db.exec("PRAGMA locking_mode = EXCLUSIVE;");
    migrate(db, path);
    // A ledger that cannot take a write is found now, not at the first contact's step.
    db.exec("BEGIN IMMEDIATE; ROLLBACK;");
  } catch (error) {
    db.close();
    throw error instanceof LedgerError ? error : ledgerError(path, error);
  }
  return db;
}
