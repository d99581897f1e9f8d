import type { DatabaseSync, StatementSync } from "node:sqlite";
import {
  type ContactLoading,
  crmIdempotencyKey,
  type InvalidRow,
  type LoadResult,
  type LoadSource,
} from "../campaign_store.ts";
import { invalidRowOf, type InvalidRowRow } from "../_sql_rows.ts";
import type { Contact } from "../../domain/mod.ts";
import { inTransaction } from "./schema.ts";
/** Loading contacts into the SQLite ledger: a batch in one transaction, in the file's order. */
export class SqliteContactLoading implements ContactLoading {
  readonly #statements: Record<string, StatementSync>;
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    const prepare = (sql: string) => db.prepare(sql);
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
      invalidRows: prepare(
        "SELECT source, line, contact_id, reason FROM invalid_rows WHERE campaign = ? ORDER BY source, line LIMIT ?",
      ),
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

  invalidRows(campaign: string, limit = 1000): Promise<InvalidRow[]> {
    const rows = this.#statements.invalidRows.all(campaign, limit) as unknown as InvalidRowRow[];
    return Promise.resolve(rows.map(invalidRowOf));
  }

  #transaction<T>(work: () => T): T {
    return inTransaction(this.#db, work);
  }
}
