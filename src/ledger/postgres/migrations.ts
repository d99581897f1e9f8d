import type postgres from "postgres";
import { LedgerError } from "../sqlite/schema.ts";
import { applyContactWrites } from "./contact_writes_function.ts";

/** Serialises schema changes across processes starting at once (and, hashed with a number,
 * dials to that number). */
export const schemaLock = 0x41434147;

/**
 * The schema, as ordered migrations: `migrations[n]` takes a database from version n to n + 1.
 * Times are clock milliseconds (BIGINT).
 */
export const migrations: readonly string[] = [
  `
CREATE TABLE campaigns (name TEXT PRIMARY KEY, created_at BIGINT NOT NULL);
CREATE SEQUENCE contact_seq;
CREATE TABLE contacts (
  campaign TEXT NOT NULL REFERENCES campaigns(name),
  id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  contact TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','in_progress','completed','failed','deferred','invalid')),
  step TEXT,
  reason TEXT,
  deferrals INTEGER NOT NULL DEFAULT 0,
  deferred_service TEXT,
  defer_until BIGINT NOT NULL DEFAULT 0,
  script TEXT,
  audio TEXT,
  call_progress TEXT,
  crm_record_id TEXT,
  attempts TEXT NOT NULL DEFAULT '{}',
  crm_key TEXT NOT NULL,
  load_id TEXT,
  source_line INTEGER,
  lease_owner TEXT,
  lease_until BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (campaign, id)
);
CREATE INDEX contacts_by_state ON contacts (campaign, state, seq);
CREATE TABLE outbox (
  id BIGSERIAL PRIMARY KEY,
  queue TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE INDEX outbox_by_queue ON outbox (queue, id);
CREATE TABLE outbox_holders (queue TEXT PRIMARY KEY, owner TEXT NOT NULL, until BIGINT NOT NULL);
CREATE TABLE invalid_rows (
  campaign TEXT NOT NULL,
  source TEXT NOT NULL,
  line INTEGER NOT NULL,
  contact_id TEXT,
  reason TEXT NOT NULL,
  PRIMARY KEY (campaign, source, line)
);
CREATE TABLE service_states (
  service TEXT PRIMARY KEY,
  open_until BIGINT NOT NULL,
  reason TEXT NOT NULL,
  by TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE TABLE alert_states (
  key TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  by TEXT NOT NULL
);`,
  // 2: a firing alert's content, so a restarted process can resolve what another raised.
  `ALTER TABLE alert_states ADD COLUMN alert TEXT;`,
  // 3: who may be called. Each contact's number, and the number it is dialling now (unique:
  // two contacts never dial one number at once, whichever process works them); contacts may
  // end skipped; do-not-call lists. A dial left in doubt by an earlier release holds its
  // number (one per number; the others find it busy).
  `
ALTER TABLE contacts ADD COLUMN phone TEXT, ADD COLUMN dialing_phone TEXT;
UPDATE contacts SET phone = contact::json->>'phone';
UPDATE contacts SET dialing_phone = phone WHERE (campaign, id) IN (
  SELECT DISTINCT ON (phone) campaign, id FROM contacts
  WHERE state IN ('pending','in_progress','deferred') AND call_progress IS NOT NULL
    AND call_progress::json->'dialing' IS NOT NULL AND call_progress::json->'final' IS NULL
  ORDER BY phone, seq);
ALTER TABLE contacts DROP CONSTRAINT contacts_state_check;
ALTER TABLE contacts ADD CONSTRAINT contacts_state_check
  CHECK (state IN ('pending','in_progress','completed','failed','deferred','skipped','invalid'));
CREATE INDEX contacts_by_phone ON contacts (phone);
CREATE UNIQUE INDEX contacts_dialing_phone ON contacts (dialing_phone)
  WHERE dialing_phone IS NOT NULL;
CREATE TABLE do_not_call (
  campaign TEXT NOT NULL,
  phone TEXT NOT NULL,
  version TEXT NOT NULL,
  PRIMARY KEY (campaign, phone)
);`,
  // 4: an operator's forced opening is a hold of its own, for every process, until released.
  `ALTER TABLE service_states ADD COLUMN forced BOOLEAN NOT NULL DEFAULT false;`,
  // 5: firing alerts in a table of their own, shared by every process (they were kept with
  // the alert claims).
  `
CREATE TABLE firing_alerts (key TEXT PRIMARY KEY, alert TEXT NOT NULL);
INSERT INTO firing_alerts (key, alert)
  SELECT key, alert FROM alert_states WHERE status = 'firing' AND alert IS NOT NULL;
ALTER TABLE alert_states DROP COLUMN alert;`,
  // 6: which provider (and model) wrote a contact's script, when a chain has more than one.
  `ALTER TABLE contacts ADD COLUMN script_by TEXT;`,
  // 7: what each contact's steps cost, per step, over all runs.
  `ALTER TABLE contacts ADD COLUMN spend TEXT;
CREATE TABLE spend_by_day (campaign TEXT NOT NULL, day TEXT NOT NULL,
  amount DOUBLE PRECISION NOT NULL, PRIMARY KEY (campaign, day));`,
  // 8: scripts rejected before the voice was paid for, per rule.
  `ALTER TABLE contacts ADD COLUMN script_rejections TEXT;`,
  // 9: a campaign's dial turns, shared by its processes (calls per second).
  `CREATE TABLE dial_turns (campaign TEXT PRIMARY KEY, next_at BIGINT NOT NULL);`,
  // 10: the contact writes of one turn of a process in one round trip (see
  // contact_writes_function.ts).
  applyContactWrites(schemaLock),
  // 11: a batch of writes finds each contact by its key. The by-state index led by the
  // campaign let the planner find a batch's rows through it (the whole campaign's entries,
  // once per batch or per write); led by the state, it serves the queue alone. The function
  // again, its lease check made on the row each write's key finds.
  `DROP INDEX contacts_by_state;
CREATE INDEX contacts_by_state ON contacts (state, campaign, seq);
${applyContactWrites(schemaLock)}`,
];

/**
 * Brings the schema in `sql`'s database up to date, one process at a time (an advisory lock
 * held for the transaction). Throws a {@link LedgerError} for a schema newer than this release.
 */
export async function migrate(sql: postgres.Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${schemaLock})`;
    await tx`CREATE TABLE IF NOT EXISTS agent_schema (version INTEGER NOT NULL)`;
    const [row] = await tx`SELECT version FROM agent_schema`;
    const version = row ? Number(row.version) : 0;
    if (version > migrations.length) {
      throw new LedgerError(
        `the PostgreSQL ledger is at schema version ${version}, newer than this release knows (${migrations.length}); run the newer ai-call-agent`,
      );
    }
    for (let next = version; next < migrations.length; next++) {
      await tx.unsafe(migrations[next]);
    }
    if (!row) await tx`INSERT INTO agent_schema (version) VALUES (${migrations.length})`;
    else await tx`UPDATE agent_schema SET version = ${migrations.length}`;
  });
}
