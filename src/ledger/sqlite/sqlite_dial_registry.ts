import type { DatabaseSync, StatementSync } from "node:sqlite";
import { callSidsOf, type DialRegistry } from "../campaign_store.ts";
/** The calls recorded to each number, read from the contacts' rows in the SQLite ledger. */
export class SqliteDialRegistry implements DialRegistry {
  readonly #statements: Record<string, StatementSync>;

  constructor(db: DatabaseSync) {
    const prepare = (sql: string) => db.prepare(sql);
    this.#statements = {
      firstCaller: prepare(
        `SELECT id FROM contacts WHERE phone = ? AND campaign = ? AND id <> ?
         AND json_extract(call_progress, '$.dials') > 0 ORDER BY seq LIMIT 1`,
      ),
      recordedCalls: prepare(
        "SELECT call_progress FROM contacts WHERE phone = ? AND call_progress IS NOT NULL",
      ),
    };
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
}
