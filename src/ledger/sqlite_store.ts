import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Contact } from "../services/mod.ts";
import {
  type CampaignStore,
  type ContactRecord,
  type ContactState,
  emptyCounts,
  type InvalidRow,
  type LoadResult,
  type Outbox,
  type OutboxItem,
  type StateCounts,
  type StepOutputs,
} from "./campaign_store.ts";

const schema = `
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
);
`;

interface Row {
  id: string;
  contact: string;
  state: ContactState;
  step: string | null;
  reason: string | null;
  deferrals: number;
  deferred_service: string | null;
  script: string | null;
  audio: string | null;
  crm_record_id: string | null;
}

/**
 * The ledger in one SQLite file (`node:sqlite`), in WAL mode: every transition is one
 * transaction, so a crash at any instant leaves each contact in its last committed state.
 */
export class SqliteCampaignStore implements CampaignStore {
  readonly #db: DatabaseSync;
  readonly #statements: Record<string, StatementSync>;
  #closed = false;
  readonly outbox: Outbox;

  /** Opens (creating if needed) the ledger at `path`; `:memory:` for a throwaway one. */
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
    );
    this.#db.exec(schema);
    const prepare = (sql: string) => this.#db.prepare(sql);
    this.#statements = {
      ensureCampaign: prepare("INSERT OR IGNORE INTO campaigns (name, created_at) VALUES (?, ?)"),
      nextSeq: prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM contacts WHERE campaign = ?"),
      addContact: prepare(
        "INSERT OR IGNORE INTO contacts (campaign, id, seq, contact, state, updated_at) VALUES (?, ?, ?, ?, 'pending', ?)",
      ),
      addInvalid: prepare(
        "INSERT OR IGNORE INTO invalid_rows (campaign, source, line, contact_id, reason) VALUES (?, ?, ?, ?, ?)",
      ),
      resume: prepare(
        "UPDATE contacts SET state = 'pending', updated_at = ? WHERE campaign = ? AND state = 'in_progress'",
      ),
      claim: prepare(
        `UPDATE contacts SET state = 'in_progress', updated_at = ?
         WHERE campaign = ? AND id = (
           SELECT id FROM contacts WHERE campaign = ? AND state = 'pending' ORDER BY seq LIMIT 1)
         RETURNING *`,
      ),
      saveStep: prepare(
        `UPDATE contacts SET step = ?, script = COALESCE(?, script), audio = COALESCE(?, audio),
         crm_record_id = COALESCE(?, crm_record_id), updated_at = ? WHERE campaign = ? AND id = ?`,
      ),
      complete: prepare(
        `UPDATE contacts SET state = 'completed', step = 'done', crm_record_id = ?, reason = NULL,
         updated_at = ? WHERE campaign = ? AND id = ?`,
      ),
      fail: prepare(
        "UPDATE contacts SET state = 'failed', reason = ?, updated_at = ? WHERE campaign = ? AND id = ?",
      ),
      defer: prepare(
        `UPDATE contacts SET state = 'deferred', deferred_service = ?, deferrals = deferrals + 1,
         reason = ?, updated_at = ? WHERE campaign = ? AND id = ?`,
      ),
      release: prepare(
        `UPDATE contacts SET state = 'pending', updated_at = ? WHERE campaign = ? AND id IN (
           SELECT id FROM contacts WHERE campaign = ? AND state = 'deferred' AND deferred_service = ?
           ORDER BY seq LIMIT ?)`,
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
        const rows = statements.outboxPeek.all(queue, limit) as unknown as OutboxItem[];
        return Promise.resolve(
          rows.map((row) => ({
            id: Number(row.id),
            payload: row.payload,
            attempts: Number(row.attempts),
          })),
        );
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
  }

  ensureCampaign(campaign: string, now: number): Promise<void> {
    this.#statements.ensureCampaign.run(campaign, now);
    return Promise.resolve();
  }

  addContacts(campaign: string, contacts: readonly Contact[], now: number): Promise<LoadResult> {
    return Promise.resolve(this.#transaction(() => {
      let seq = Number((this.#statements.nextSeq.get(campaign) as { seq: number }).seq);
      let added = 0;
      for (const contact of contacts) {
        const result = this.#statements.addContact.run(
          campaign,
          contact.id,
          seq + 1,
          JSON.stringify(contact),
          now,
        );
        if (Number(result.changes) > 0) {
          added++;
          seq++;
        }
      }
      return { added, alreadyLoaded: contacts.length - added };
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

  resumeInterrupted(campaign: string, now: number): Promise<number> {
    return Promise.resolve(Number(this.#statements.resume.run(now, campaign).changes));
  }

  claimNext(campaign: string, now: number): Promise<ContactRecord | undefined> {
    const row = this.#statements.claim.get(now, campaign, campaign) as Row | undefined;
    return Promise.resolve(row ? toRecord(row) : undefined);
  }

  saveStep(
    campaign: string,
    contactId: string,
    step: string,
    outputs: StepOutputs,
    now: number,
  ): Promise<void> {
    this.#statements.saveStep.run(
      step,
      outputs.script ?? null,
      outputs.audio ? JSON.stringify(outputs.audio) : null,
      outputs.crmRecordId ?? null,
      now,
      campaign,
      contactId,
    );
    return Promise.resolve();
  }

  complete(campaign: string, contactId: string, crmRecordId: string, now: number): Promise<void> {
    this.#statements.complete.run(crmRecordId, now, campaign, contactId);
    return Promise.resolve();
  }

  fail(campaign: string, contactId: string, reason: string, now: number): Promise<void> {
    this.#statements.fail.run(reason, now, campaign, contactId);
    return Promise.resolve();
  }

  defer(campaign: string, contactId: string, service: string, now: number): Promise<void> {
    this.#statements.defer.run(
      service,
      `waiting for ${service} to recover`,
      now,
      campaign,
      contactId,
    );
    return Promise.resolve();
  }

  releaseDeferred(campaign: string, service: string, now: number, limit = -1): Promise<number> {
    const result = this.#statements.release.run(now, campaign, campaign, service, limit);
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

  invalidRows(campaign: string, limit = 1000): Promise<InvalidRow[]> {
    const rows = this.#statements.invalidRows.all(campaign, limit) as {
      source: string;
      line: number;
      contact_id: string | null;
      reason: string;
    }[];
    return Promise.resolve(rows.map((row) => ({
      source: row.source,
      line: Number(row.line),
      id: row.contact_id ?? undefined,
      reason: row.reason,
    })));
  }

  get(campaign: string, contactId: string): Promise<ContactRecord | undefined> {
    const row = this.#statements.get.get(campaign, contactId) as Row | undefined;
    return Promise.resolve(row ? toRecord(row) : undefined);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}

function toRecord(row: Row): ContactRecord {
  const outputs: StepOutputs = {};
  if (row.script !== null) outputs.script = row.script;
  if (row.audio !== null) outputs.audio = JSON.parse(row.audio);
  if (row.crm_record_id !== null) outputs.crmRecordId = row.crm_record_id;
  return {
    contact: JSON.parse(row.contact),
    state: row.state,
    step: row.step ?? undefined,
    outputs,
    deferrals: Number(row.deferrals),
    deferredService: row.deferred_service ?? undefined,
    reason: row.reason ?? undefined,
  };
}
