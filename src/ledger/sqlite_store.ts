import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type Clock, systemClock } from "../clock/mod.ts";
import {
  type Attempts,
  callSidsOf,
  type CampaignStore,
  type ContactRecord,
  crmIdempotencyKey,
  type Deferral,
  type DialRefusal,
  type DoNotCallList,
  emptyCounts,
  type InvalidRow,
  LeaseLostError,
  type LeaseOptions,
  type LoadResult,
  type LoadSource,
  type Outbox,
  type SamePhoneRule,
  type StateCounts,
  type StepOutputs,
} from "./campaign_store.ts";
import {
  type ContactRow,
  invalidRowOf,
  type InvalidRowRow,
  outboxItemOf,
  type OutboxRow,
  recordOf,
} from "./_sql_rows.ts";
import { type CallProgress, type Contact, type ContactState, holdsPhone } from "../domain/mod.ts";

/**
 * The ledger's schema, as ordered migrations: `migrations[n]` takes a ledger from version n to
 * n + 1. Version 1 is the first release's schema (its ledgers were not stamped); a new ledger
 * runs them all. The file is stamped with {@link applicationId} and its version
 * (`PRAGMA user_version`), so a later release can bring an older ledger forward and a
 * database that is not a ledger is never touched.
 */
const migrations: readonly string[] = [
  `
CREATE TABLE IF NOT EXISTS campaigns (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
  campaign TEXT NOT NULL REFERENCES campaigns(name),
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  contact TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','in_progress','completed','failed','deferred','invalid')),
  step TEXT,
  reason TEXT,
  deferrals INTEGER NOT NULL DEFAULT 0,
  deferred_service TEXT,
  script TEXT,
  audio TEXT,
  crm_record_id TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (campaign, id)
);
CREATE INDEX IF NOT EXISTS contacts_by_state ON contacts (campaign, state, seq);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_queue ON outbox (queue, id);
CREATE TABLE IF NOT EXISTS invalid_rows (
  campaign TEXT NOT NULL,
  source TEXT NOT NULL,
  line INTEGER NOT NULL,
  contact_id TEXT,
  reason TEXT NOT NULL,
  PRIMARY KEY (campaign, source, line)
);`,
  // 2: a contact's life is bounded by the attempts it cost, and a deferral has a time.
  `
ALTER TABLE contacts ADD COLUMN attempts TEXT NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN defer_until INTEGER NOT NULL DEFAULT 0;`,
  // 3: the CRM idempotency key is stored with the contact. Contacts already in a ledger keep
  // the key earlier releases sent (`<campaign>:<id>`, unencoded): a receiver that dropped
  // repeats keeps dropping them.
  `
ALTER TABLE contacts ADD COLUMN crm_key TEXT;
UPDATE contacts SET crm_key = campaign || ':' || id;`,
  // 4: which load of which line added a contact: a repeat within one file is found by the
  // ledger, not by a loader holding every id in memory.
  `
ALTER TABLE contacts ADD COLUMN load_id TEXT;
ALTER TABLE contacts ADD COLUMN source_line INTEGER;`,
  // 5: the call step: each dial is recorded before it is sent, then its call and how it ended.
  `
ALTER TABLE contacts ADD COLUMN call_progress TEXT;`,
  // 6: claims are leases: who holds a contact in progress, and until when.
  `
ALTER TABLE contacts ADD COLUMN lease_owner TEXT;
ALTER TABLE contacts ADD COLUMN lease_until INTEGER;`,
  // 7: who may be called. Each contact's number (indexed: who else has it), and the number it
  // is dialling now (not indexed: found through the number, so a dial costs the ledger a read,
  // not an index write); contacts may end skipped; do-not-call lists. SQLite cannot change a
  // CHECK constraint in place: the table is rebuilt. A dial left in doubt by an earlier release
  // holds its number (one per number; the others find it busy).
  `
CREATE TABLE contacts_v7 (
  campaign TEXT NOT NULL REFERENCES campaigns(name),
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  contact TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','in_progress','completed','failed','deferred','skipped','invalid')),
  step TEXT,
  reason TEXT,
  deferrals INTEGER NOT NULL DEFAULT 0,
  deferred_service TEXT,
  script TEXT,
  audio TEXT,
  crm_record_id TEXT,
  updated_at INTEGER NOT NULL,
  attempts TEXT NOT NULL DEFAULT '{}',
  defer_until INTEGER NOT NULL DEFAULT 0,
  crm_key TEXT,
  load_id TEXT,
  source_line INTEGER,
  call_progress TEXT,
  lease_owner TEXT,
  lease_until INTEGER,
  phone TEXT,
  dialing_phone TEXT,
  PRIMARY KEY (campaign, id)
);
INSERT INTO contacts_v7 (campaign, id, seq, contact, state, step, reason, deferrals,
  deferred_service, script, audio, crm_record_id, updated_at, attempts, defer_until, crm_key,
  load_id, source_line, call_progress, lease_owner, lease_until, phone)
SELECT campaign, id, seq, contact, state, step, reason, deferrals, deferred_service, script,
  audio, crm_record_id, updated_at, attempts, defer_until, crm_key, load_id, source_line,
  call_progress, lease_owner, lease_until, json_extract(contact, '$.phone')
FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_v7 RENAME TO contacts;
UPDATE contacts SET dialing_phone = phone WHERE rowid IN (
  SELECT MIN(rowid) FROM contacts
  WHERE state IN ('pending','in_progress','deferred')
    AND json_extract(call_progress, '$.dialing') IS NOT NULL
    AND json_extract(call_progress, '$.final') IS NULL
  GROUP BY phone);
CREATE INDEX contacts_by_state ON contacts (campaign, state, seq);
CREATE INDEX contacts_by_phone ON contacts (phone);
CREATE TABLE do_not_call (
  campaign TEXT NOT NULL,
  phone TEXT NOT NULL,
  version TEXT NOT NULL,
  PRIMARY KEY (campaign, phone)
);`,
];

/** `PRAGMA application_id` of a ledger: "ACAG" in ASCII. */
export const applicationId = 0x41434147;

/** The ledger file cannot be used: not a ledger, newer than this release, or unreadable. */
export class LedgerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LedgerError";
  }
}

const ledgerTables = ["campaigns", "contacts", "outbox", "invalid_rows"];

/** What a contact write does with the number the contact dials (`dialing_phone`). */
type PhoneAction = "take" | "let-go" | "keep";

/** Why `path` cannot be opened as a ledger, said so a person can fix it. */
function ledgerError(path: string, error: unknown): LedgerError | Error {
  // Deno's own permission error says which flag; the caller words it for the task.
  if (error instanceof Deno.errors.NotCapable) return error;
  const message = error instanceof Error ? error.message : String(error);
  const why = /not a database|malformed/i.test(message)
    ? "is not a SQLite database (damaged, or another kind of file); point --db at a new file, or restore it"
    : /database is locked|busy/i.test(message)
    ? "is held by another program (a run holds its ledger alone until it ends); wait for it to end, or point --db at another file"
    : /readonly|read-only/i.test(message)
    ? "is read-only; make it writable, or point --db at a new file"
    : /unable to open/i.test(message)
    ? "cannot be opened (its folder is missing or not writable); check the path given to --db"
    : `cannot be used as a ledger (${message})`;
  return new LedgerError(`${path} ${why}`, { cause: error });
}

type Row = ContactRow;

/** What a contact write did: rows changed (none: the lease is not ours), and its answer. */
interface WriteResult {
  changes: number | bigint;
  value?: unknown;
}

/** A contact write waiting for its group commit. */
interface QueuedWrite {
  contactId: string;
  operation: string;
  write: () => WriteResult;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

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
 */
export class SqliteCampaignStore implements CampaignStore {
  readonly #db: DatabaseSync;
  readonly #statements: Record<string, StatementSync>;
  #closed = false;
  /** Contact writes waiting for the next group commit (its turn is scheduled while any wait). */
  #queued: QueuedWrite[] = [];
  readonly #closing = new AbortController();
  readonly #clock: Clock;
  readonly outbox: Outbox;
  readonly doNotCall: DoNotCallList;
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
    this.#clock = options.clock ?? systemClock;
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
      this.#migrate(path);
      // A ledger that cannot take a write is found now, not at the first contact's step.
      this.#db.exec("BEGIN IMMEDIATE; ROLLBACK;");
    } catch (error) {
      this.#db.close();
      throw error instanceof LedgerError ? error : ledgerError(path, error);
    }
    const prepare = (sql: string) => this.#db.prepare(sql);
    this.#statements = {
      ensureCampaign: prepare("INSERT OR IGNORE INTO campaigns (name, created_at) VALUES (?, ?)"),
      nextSeq: prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM contacts WHERE campaign = ?"),
      addContact: prepare(
        `INSERT OR IGNORE INTO contacts
         (campaign, id, seq, contact, state, crm_key, load_id, source_line, phone, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
      ),
      loadedBy: prepare(
        "SELECT load_id, source_line FROM contacts WHERE campaign = ? AND id = ?",
      ),
      addInvalid: prepare(
        "INSERT OR IGNORE INTO invalid_rows (campaign, source, line, contact_id, reason) VALUES (?, ?, ?, ?, ?)",
      ),
      resume: prepare(
        `UPDATE contacts SET state = 'pending', lease_owner = NULL, lease_until = NULL,
         updated_at = ? WHERE campaign = ? AND state = 'in_progress'`,
      ),
      // By rowid: an IN over (campaign, id) made SQLite walk the whole campaign for each claim.
      claimExpired: prepare(
        `UPDATE contacts SET lease_owner = ?, lease_until = ?, updated_at = ?
         WHERE rowid IN (
           SELECT rowid FROM contacts WHERE campaign = ? AND state = 'in_progress'
           AND lease_until < ? ORDER BY seq LIMIT ?)
         RETURNING *`,
      ),
      claim: prepare(
        `UPDATE contacts SET state = 'in_progress', lease_owner = ?, lease_until = ?, updated_at = ?
         WHERE rowid IN (
           SELECT rowid FROM contacts WHERE campaign = ? AND state = 'pending' ORDER BY seq LIMIT ?)
         RETURNING *`,
      ),
      renew: prepare(
        `UPDATE contacts SET lease_until = ?
         WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      nextLeaseExpiry: prepare(
        `SELECT MIN(lease_until) AS at FROM contacts WHERE campaign = ? AND state = 'in_progress'`,
      ),
      unclaim: prepare(
        `UPDATE contacts SET state = 'pending', lease_owner = NULL, lease_until = NULL,
         updated_at = ? WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      saveStep: prepare(
        `UPDATE contacts SET step = ?, script = COALESCE(?, script), audio = COALESCE(?, audio),
         call_progress = COALESCE(?, call_progress),
         crm_record_id = COALESCE(?, crm_record_id), attempts = COALESCE(?, attempts),
         dialing_phone = CASE ? WHEN 'take' THEN phone WHEN 'let-go' THEN NULL
           ELSE dialing_phone END,
         updated_at = ? WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      dialHolder: prepare(
        `SELECT other.campaign AS campaign, other.id AS id
         FROM contacts me JOIN contacts other ON other.phone = me.phone
           AND other.dialing_phone IS NOT NULL AND NOT (other.campaign = me.campaign AND other.id = me.id)
         WHERE me.campaign = ? AND me.id = ? LIMIT 1`,
      ),
      firstCallerOf: prepare(
        `SELECT other.id AS id FROM contacts me JOIN contacts other
           ON other.phone = me.phone AND other.campaign = me.campaign AND other.id <> me.id
         WHERE me.campaign = ? AND me.id = ?
           AND json_extract(other.call_progress, '$.dials') > 0
         ORDER BY other.seq LIMIT 1`,
      ),
      firstCaller: prepare(
        `SELECT id FROM contacts WHERE phone = ? AND campaign = ? AND id <> ?
         AND json_extract(call_progress, '$.dials') > 0 ORDER BY seq LIMIT 1`,
      ),
      recordedCalls: prepare(
        "SELECT call_progress FROM contacts WHERE phone = ? AND call_progress IS NOT NULL",
      ),
      complete: prepare(
        `UPDATE contacts SET state = 'completed', step = 'done', crm_record_id = ?, reason = NULL,
         attempts = COALESCE(?, attempts), call_progress = COALESCE(?, call_progress),
         dialing_phone = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      fail: prepare(
        `UPDATE contacts SET state = 'failed', reason = ?, attempts = COALESCE(?, attempts),
         call_progress = COALESCE(?, call_progress),
         dialing_phone = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      skip: prepare(
        `UPDATE contacts SET state = 'skipped', step = 'done', reason = ?,
         crm_record_id = COALESCE(?, crm_record_id), attempts = COALESCE(?, attempts),
         dialing_phone = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      defer: prepare(
        `UPDATE contacts SET state = 'deferred', deferred_service = ?, defer_until = ?,
         deferrals = deferrals + 1, reason = ?, attempts = COALESCE(?, attempts),
         call_progress = COALESCE(?, call_progress),
         dialing_phone = CASE ? WHEN 'let-go' THEN NULL ELSE dialing_phone END,
         lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      release: prepare(
        `UPDATE contacts SET state = 'pending', updated_at = ? WHERE campaign = ? AND id IN (
           SELECT id FROM contacts WHERE campaign = ? AND state = 'deferred' AND deferred_service = ?
           AND defer_until <= ? ORDER BY seq LIMIT ?)`,
      ),
      nextDeferredAt: prepare(
        `SELECT MIN(defer_until) AS at FROM contacts
         WHERE campaign = ? AND state = 'deferred' AND defer_until > ?`,
      ),
      failRemaining: prepare(
        `UPDATE contacts SET state = 'failed', reason = ?, dialing_phone = NULL, updated_at = ?
         WHERE campaign = ? AND state IN ('pending', 'deferred')`,
      ),
      deferredServices: prepare(
        "SELECT DISTINCT deferred_service AS service FROM contacts WHERE campaign = ? AND state = 'deferred'",
      ),
      counts: prepare(
        "SELECT state, COUNT(*) AS n FROM contacts WHERE campaign = ? GROUP BY state",
      ),
      invalidCount: prepare("SELECT COUNT(*) AS n FROM invalid_rows WHERE campaign = ?"),
      invalidRows: prepare(
        "SELECT source, line, contact_id, reason FROM invalid_rows WHERE campaign = ? ORDER BY source, line LIMIT ?",
      ),
      get: prepare("SELECT * FROM contacts WHERE campaign = ? AND id = ?"),
      outboxAdd: prepare("INSERT INTO outbox (queue, payload, created_at) VALUES (?, ?, ?)"),
      outboxPeek: prepare(
        "SELECT id, payload, attempts FROM outbox WHERE queue = ? ORDER BY id LIMIT ?",
      ),
      outboxAck: prepare("DELETE FROM outbox WHERE queue = ? AND id = ?"),
      outboxAttempt: prepare(
        "UPDATE outbox SET attempts = attempts + 1 WHERE queue = ? AND id = ?",
      ),
      outboxSize: prepare("SELECT COUNT(*) AS n FROM outbox WHERE queue = ?"),
      doNotCallAdd: prepare(
        `INSERT INTO do_not_call (campaign, phone, version) VALUES (?, ?, ?)
         ON CONFLICT (campaign, phone) DO UPDATE SET version = excluded.version`,
      ),
      doNotCallPrune: prepare("DELETE FROM do_not_call WHERE campaign = ? AND version <> ?"),
      doNotCallHas: prepare("SELECT 1 AS listed FROM do_not_call WHERE campaign = ? AND phone = ?"),
      doNotCallCount: prepare("SELECT COUNT(*) AS n FROM do_not_call WHERE campaign = ?"),
    };
    const statements = this.#statements;
    const transaction = <T>(work: () => T) => this.#transaction(work);
    this.outbox = {
      enqueue(queue, payloads, now) {
        transaction(() =>
          payloads.forEach((payload) => statements.outboxAdd.run(queue, payload, now))
        );
        return Promise.resolve();
      },
      peek(queue, limit) {
        const rows = statements.outboxPeek.all(queue, limit) as unknown as OutboxRow[];
        return Promise.resolve(rows.map(outboxItemOf));
      },
      ack(queue, ids) {
        transaction(() => ids.forEach((id) => statements.outboxAck.run(queue, id)));
        return Promise.resolve();
      },
      markAttempt(queue, ids) {
        transaction(() => ids.forEach((id) => statements.outboxAttempt.run(queue, id)));
        return Promise.resolve();
      },
      size(queue) {
        return Promise.resolve(Number((statements.outboxSize.get(queue) as { n: number }).n));
      },
    };
    this.doNotCall = {
      add(campaign, phones, version) {
        transaction(() =>
          phones.forEach((phone) => statements.doNotCallAdd.run(campaign, phone, version))
        );
        return Promise.resolve();
      },
      prune(campaign, version) {
        return Promise.resolve(Number(statements.doNotCallPrune.run(campaign, version).changes));
      },
      has(campaign, phone) {
        return Promise.resolve(statements.doNotCallHas.get(campaign, phone) !== undefined);
      },
      count(campaign) {
        return Promise.resolve(
          Number((statements.doNotCallCount.get(campaign) as { n: number }).n),
        );
      },
    };
  }

  ensureCampaign(campaign: string, now: number): Promise<void> {
    this.#statements.ensureCampaign.run(campaign, now);
    return Promise.resolve();
  }

  addContacts(
    campaign: string,
    contacts: readonly Contact[],
    now: number,
    load?: LoadSource,
  ): Promise<LoadResult> {
    return Promise.resolve(this.#transaction(() => {
      let seq = Number((this.#statements.nextSeq.get(campaign) as { seq: number }).seq);
      let added = 0;
      const duplicates: LoadResult["duplicates"] = [];
      for (const [index, contact] of contacts.entries()) {
        const result = this.#statements.addContact.run(
          campaign,
          contact.id,
          seq + 1,
          JSON.stringify(contact),
          crmIdempotencyKey(campaign, contact.id),
          load?.id ?? null,
          load?.lines[index] ?? null,
          contact.phone,
          now,
        );
        if (Number(result.changes) > 0) {
          added++;
          seq++;
        } else if (load) {
          const first = this.#statements.loadedBy.get(campaign, contact.id) as {
            load_id: string | null;
            source_line: number | null;
          };
          if (first.load_id === load.id) {
            duplicates.push({ index, firstLine: first.source_line ?? undefined });
          }
        }
      }
      return { added, alreadyLoaded: contacts.length - added - duplicates.length, duplicates };
    }));
  }

  addInvalid(campaign: string, rows: readonly InvalidRow[]): Promise<void> {
    this.#transaction(() => {
      for (const row of rows) {
        this.#statements.addInvalid.run(campaign, row.source, row.line, row.id ?? null, row.reason);
      }
    });
    return Promise.resolve();
  }

  /** Every contact in progress: `run` holds the ledger's lock, so no other process can hold
   * one, and a crashed run's contacts need not wait for their leases to expire. */
  resumeInterrupted(campaign: string, now: number): Promise<number> {
    return Promise.resolve(Number(this.#statements.resume.run(now, campaign).changes));
  }

  async claimNext(campaign: string, now: number): Promise<ContactRecord | undefined> {
    return (await this.claim(campaign, now, 1))[0];
  }

  claim(campaign: string, now: number, limit: number): Promise<ContactRecord[]> {
    const { owner, ms } = this.lease;
    const rows = this.#transaction(() => {
      const expired = this.#statements.claimExpired.all(
        owner,
        now + ms,
        now,
        campaign,
        now,
        limit,
      ) as unknown as Row[];
      const pending = expired.length >= limit ? [] : this.#statements.claim.all(
        owner,
        now + ms,
        now,
        campaign,
        limit - expired.length,
      ) as unknown as Row[];
      return [...expired, ...pending];
    });
    rows.sort((a, b) => Number(a.seq) - Number(b.seq));
    return Promise.resolve(rows.map(recordOf));
  }

  renewLeases(campaign: string, contactIds: readonly string[], now: number): Promise<string[]> {
    const { owner, ms } = this.lease;
    return Promise.resolve(
      this.#transaction(() =>
        contactIds.filter((id) =>
          Number(this.#statements.renew.run(now + ms, campaign, id, owner).changes) === 0
        )
      ),
    );
  }

  nextLeaseExpiry(campaign: string): Promise<number | undefined> {
    const row = this.#statements.nextLeaseExpiry.get(campaign) as { at: number | null };
    return Promise.resolve(row.at === null ? undefined : Number(row.at));
  }

  unclaim(campaign: string, contactIds: readonly string[], now: number): Promise<void> {
    this.#transaction(() => {
      for (const id of contactIds) {
        this.#statements.unclaim.run(now, campaign, id, this.lease.owner);
      }
    });
    return Promise.resolve();
  }

  /**
   * Queues a write that must change the contact (none changed means its lease is not ours) for
   * the next group commit. The promise settles once that commit is done, so a caller never
   * starts the next side effect before this write is durable.
   */
  #leased<T = void>(
    contactId: string,
    operation: string,
    write: () => WriteResult,
  ): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new LedgerError(`the ledger is closed: ${operation} ${contactId} was not written`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const settle = resolve as (value: unknown) => void;
      if (this.#queued.push({ contactId, operation, write, resolve: settle, reject }) === 1) {
        this.#clock.sleep(0, this.#closing.signal).then(this.#commitQueued, () => {});
      }
    });
  }

  /**
   * Commits every queued contact write in one transaction. The workers' writes arrive in
   * different turns of the microtask queue; one turn of the event loop later they are all
   * here, and one commit (one WAL append of the pages they share) replaces one per write.
   * A write refused alone (its lease lost, a constraint) fails alone; an error that ends the
   * transaction, or a commit that fails, fails them all, none of them durable.
   */
  readonly #commitQueued = (): void => {
    const queued = this.#queued;
    this.#queued = [];
    if (queued.length === 0) return;
    let outcomes: ({ value: unknown } | { error: unknown })[];
    try {
      outcomes = this.#transaction(() =>
        queued.map(({ contactId, operation, write }) => {
          try {
            const result = write();
            return Number(result.changes) === 0
              ? { error: new LeaseLostError(contactId, operation) }
              : { value: result.value };
          } catch (error) {
            // An error that ended the transaction (SQLite rolled it back) ends the group:
            // none of its writes is durable, and the rest must not run outside it.
            if (!this.#db.isTransaction) throw error;
            return { error };
          }
        })
      );
    } catch (error) {
      for (const { reject } of queued) reject(error);
      return;
    }
    queued.forEach(({ resolve, reject }, index) => {
      const outcome = outcomes[index];
      if ("error" in outcome) reject(outcome.error);
      else resolve(outcome.value);
    });
  };

  saveStep(
    campaign: string,
    contactId: string,
    step: string,
    outputs: StepOutputs,
    now: number,
    attempts?: Attempts,
    dial?: SamePhoneRule,
  ): Promise<DialRefusal | undefined> {
    const save = (call: CallProgress | undefined) => {
      const action: PhoneAction = !call
        ? "keep"
        : !holdsPhone(call)
        ? "let-go"
        : dial
        ? "take"
        : "keep";
      return this.#statements.saveStep.run(
        step,
        outputs.script ?? null,
        outputs.audio ? JSON.stringify(outputs.audio) : null,
        call ? JSON.stringify(call) : null,
        outputs.crmRecordId ?? null,
        attemptsJson(attempts),
        action,
        now,
        campaign,
        contactId,
        this.lease.owner,
      );
    };
    return this.#leased(contactId, "saving a step", () => {
      // Decided inside the group's transaction: SQLite has one writer, so no other write runs
      // between the check and the save.
      const refusal = dial ? this.#dialRefusal(campaign, contactId, dial) : undefined;
      return { changes: save(refusal ? undefined : outputs.call).changes, value: refusal };
    });
  }

  /** Why the contact may not dial its number now, if it may not (a call-once skip first: it
   * is final, where a busy number only waits). */
  #dialRefusal(campaign: string, contactId: string, rule: SamePhoneRule): DialRefusal | undefined {
    if (rule === "call-once") {
      const first = this.#statements.firstCallerOf.get(campaign, contactId) as
        | { id: string }
        | undefined;
      if (first) return { reason: "called-before", firstContactId: first.id };
    }
    const holder = this.#statements.dialHolder.get(campaign, contactId) as
      | { campaign: string; id: string }
      | undefined;
    if (!holder) return undefined;
    return { reason: "phone-busy", holder: { campaign: holder.campaign, contactId: holder.id } };
  }

  complete(
    campaign: string,
    contactId: string,
    crmRecordId: string,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    return this.#leased(contactId, "completing", () =>
      this.#statements.complete.run(
        crmRecordId,
        attemptsJson(attempts),
        call ? JSON.stringify(call) : null,
        now,
        campaign,
        contactId,
        this.lease.owner,
      ));
  }

  fail(
    campaign: string,
    contactId: string,
    reason: string,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    return this.#leased(contactId, "failing", () =>
      this.#statements.fail.run(
        reason,
        attemptsJson(attempts),
        call ? JSON.stringify(call) : null,
        now,
        campaign,
        contactId,
        this.lease.owner,
      ));
  }

  skip(
    campaign: string,
    contactId: string,
    reason: string,
    now: number,
    attempts?: Attempts,
    crmRecordId?: string,
  ): Promise<void> {
    return this.#leased(contactId, "skipping", () =>
      this.#statements.skip.run(
        reason,
        crmRecordId ?? null,
        attemptsJson(attempts),
        now,
        campaign,
        contactId,
        this.lease.owner,
      ));
  }

  defer(
    campaign: string,
    contactId: string,
    deferral: Deferral,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    const action: PhoneAction = call && !holdsPhone(call) ? "let-go" : "keep";
    return this.#leased(contactId, "deferring", () =>
      this.#statements.defer.run(
        deferral.service,
        deferral.until,
        deferral.reason,
        attemptsJson(attempts),
        call ? JSON.stringify(call) : null,
        action,
        now,
        campaign,
        contactId,
        this.lease.owner,
      ));
  }

  releaseDeferred(campaign: string, service: string, now: number, limit = -1): Promise<number> {
    const result = this.#statements.release.run(now, campaign, campaign, service, now, limit);
    return Promise.resolve(Number(result.changes));
  }

  nextDeferredAt(campaign: string, after: number): Promise<number | undefined> {
    const row = this.#statements.nextDeferredAt.get(campaign, after) as { at: number | null };
    return Promise.resolve(row.at === null ? undefined : Number(row.at));
  }

  failRemaining(campaign: string, reason: string, now: number): Promise<number> {
    const result = this.#statements.failRemaining.run(reason, now, campaign);
    return Promise.resolve(Number(result.changes));
  }

  deferredServices(campaign: string): Promise<string[]> {
    const rows = this.#statements.deferredServices.all(campaign) as { service: string }[];
    return Promise.resolve(rows.map((row) => row.service));
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

  recordedCalls(phone: string): Promise<string[]> {
    const rows = this.#statements.recordedCalls.all(phone) as { call_progress: string }[];
    return Promise.resolve(rows.flatMap((row) => callSidsOf(JSON.parse(row.call_progress))));
  }

  calledBefore(campaign: string, phone: string, contactId: string): Promise<string | undefined> {
    const row = this.#statements.firstCaller.get(phone, campaign, contactId) as
      | { id: string }
      | undefined;
    return Promise.resolve(row?.id);
  }

  invalidRows(campaign: string, limit = 1000): Promise<InvalidRow[]> {
    const rows = this.#statements.invalidRows.all(campaign, limit) as unknown as InvalidRowRow[];
    return Promise.resolve(rows.map(invalidRowOf));
  }

  get(campaign: string, contactId: string): Promise<ContactRecord | undefined> {
    const row = this.#statements.get.get(campaign, contactId) as Row | undefined;
    return Promise.resolve(row ? recordOf(row) : undefined);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      // Writes already asked for are committed, not dropped.
      this.#closing.abort();
      this.#commitQueued();
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Creates or brings the schema up to date, refusing a database that is not a ledger. */
  #migrate(path: string): void {
    const db = this.#db;
    const pragma = (name: string) =>
      Number((db.prepare(`PRAGMA ${name}`).get() as Record<string, number>)[name]);
    const tables = (db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    ).all() as { name: string }[]).map((row) => row.name);
    const stamp = pragma("application_id");
    let version = pragma("user_version");
    if (stamp !== applicationId) {
      const legacy = stamp === 0 && ledgerTables.every((table) => tables.includes(table));
      if (!legacy && tables.length > 0) {
        throw new LedgerError(
          `${path} is not an ai-call-agent ledger (it holds ${tables.slice(0, 5).join(", ")}${
            tables.length > 5 ? ", ..." : ""
          }); nothing in it was changed. Point --db (or ledger.path) at a new file`,
        );
      }
      version = legacy ? 1 : 0; // the first release left its ledgers unstamped
    }
    if (version > migrations.length) {
      throw new LedgerError(
        `${path} is a ledger of schema version ${version}, newer than this release knows (${migrations.length}); run the newer ai-call-agent, or point --db at a new file`,
      );
    }
    db.exec("PRAGMA busy_timeout = 5000;");
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL;");
    db.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
    if (version === migrations.length && stamp === applicationId) return;
    this.#transaction(() => {
      for (let next = version; next < migrations.length; next++) db.exec(migrations[next]);
      db.exec(
        `PRAGMA application_id = ${applicationId}; PRAGMA user_version = ${migrations.length};`,
      );
    });
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      // Some errors end the transaction themselves; rolling back again would hide them.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}

function attemptsJson(attempts: Attempts | undefined): string | null {
  return attempts ? JSON.stringify(attempts) : null;
}
