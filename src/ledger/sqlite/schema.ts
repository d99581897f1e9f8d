import type { DatabaseSync } from "node:sqlite";
import { isPermissionError } from "../../platform/mod.ts";

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
  // 8: firing alerts in a table of their own (they were a snapshot in an outbox queue).
  `CREATE TABLE firing_alerts (key TEXT PRIMARY KEY, alert TEXT NOT NULL);
INSERT OR REPLACE INTO firing_alerts (key, alert)
  SELECT json_extract(payload, '$.key'), payload FROM outbox
  WHERE queue = 'alerts:firing' AND json_valid(payload) AND json_extract(payload, '$.key') IS NOT NULL
  ORDER BY id;
DELETE FROM outbox WHERE queue = 'alerts:firing';`,
  // 9: which provider (and model) wrote a contact's script, when a chain has more than one.
  `ALTER TABLE contacts ADD COLUMN script_by TEXT;`,
  // 10: what each contact's steps cost, per step, over all runs.
  `ALTER TABLE contacts ADD COLUMN spend TEXT;
CREATE TABLE spend_by_day (campaign TEXT NOT NULL, day TEXT NOT NULL, amount REAL NOT NULL,
  PRIMARY KEY (campaign, day));`,
  // 11: a campaign's last sequence number found at once: each batch of a load asks for it, and
  // without this index the answer scanned every contact already loaded (a 150,000-row load's
  // later batches held the event loop for 50-90 ms each).
  `CREATE INDEX contacts_by_seq ON contacts (campaign, seq);`,
  // 12: scripts rejected before the voice was paid for, per rule.
  `ALTER TABLE contacts ADD COLUMN script_rejections TEXT;`,
  // 13: contacts per state and spend per step kept as they change, so counting them (the
  // progress line, /status, /metrics, the run's summary) reads a few rows: over a million
  // contacts each count held the event loop for ~100 ms, each sum of spend for over a second.
  `
CREATE TABLE state_counts (campaign TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (campaign, state)) WITHOUT ROWID;
INSERT INTO state_counts (campaign, state, n)
  SELECT campaign, state, COUNT(*) FROM contacts GROUP BY campaign, state;
CREATE TRIGGER contacts_counted AFTER INSERT ON contacts BEGIN
  INSERT INTO state_counts (campaign, state, n) VALUES (new.campaign, new.state, 1)
    ON CONFLICT (campaign, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contacts_recounted AFTER UPDATE OF state ON contacts
  WHEN old.state <> new.state BEGIN
  UPDATE state_counts SET n = n - 1 WHERE campaign = old.campaign AND state = old.state;
  INSERT INTO state_counts (campaign, state, n) VALUES (new.campaign, new.state, 1)
    ON CONFLICT (campaign, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contacts_uncounted AFTER DELETE ON contacts BEGIN
  UPDATE state_counts SET n = n - 1 WHERE campaign = old.campaign AND state = old.state;
END;
CREATE TABLE spend_by_step (campaign TEXT NOT NULL, step TEXT NOT NULL, amount REAL NOT NULL,
  PRIMARY KEY (campaign, step)) WITHOUT ROWID;
INSERT INTO spend_by_step (campaign, step, amount)
  SELECT c.campaign, s.key, SUM(s.value) FROM contacts c, json_each(c.spend) s
  WHERE c.spend IS NOT NULL GROUP BY c.campaign, s.key;
CREATE TRIGGER contacts_spend_added AFTER UPDATE OF spend ON contacts
  WHEN new.spend IS NOT old.spend BEGIN
  INSERT INTO spend_by_step (campaign, step, amount)
    SELECT new.campaign, s.key, s.value - COALESCE(json_extract(old.spend, s.fullkey), 0)
    FROM json_each(new.spend) s WHERE true
    ON CONFLICT (campaign, step) DO UPDATE SET amount = amount + excluded.amount;
END;`,
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

/** Why `path` cannot be opened as a ledger, said so a person can fix it. */
export function ledgerError(path: string, error: unknown): LedgerError | Error {
  // Deno's own permission error says which flag; the caller words it for the task.
  if (isPermissionError(error)) return error;
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

/**
 * Creates or brings the ledger's schema up to date in `db` (the file at `path`), refusing a
 * database that is not a ledger and one newer than this release; sets the connection's
 * pragmas (WAL, synchronous NORMAL).
 */
export function migrate(db: DatabaseSync, path: string): void {
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
  inTransaction(db, () => {
    for (let next = version; next < migrations.length; next++) db.exec(migrations[next]);
    db.exec(
      `PRAGMA application_id = ${applicationId}; PRAGMA user_version = ${migrations.length};`,
    );
  });
}

/** Runs `work` in one write transaction of `db` (BEGIN IMMEDIATE): all of it or none. */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    // Some errors end the transaction themselves; rolling back again would hide them.
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
