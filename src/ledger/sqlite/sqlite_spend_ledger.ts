import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { SpendLedger } from "../campaign_store.ts";
import { estimatedCallOf } from "../_sql_rows.ts";
import { settleEstimate, type StepSpend } from "../../domain/mod.ts";
import { inTransaction } from "./schema.ts";
/** What the campaign spent, in the SQLite ledger: per contact (its row's `spend`) and per
 * calendar day (`spend_by_day`). */
export class SqliteSpendLedger implements SpendLedger {
  readonly #statements: Record<string, StatementSync>;
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    const prepare = (sql: string) => db.prepare(sql);
    this.#statements = {
      // Kept per step as contacts' spend changes (schema 13): a sum over every contact would
      // hold the event loop for a second on a million of them.
      spends: prepare("SELECT step, amount FROM spend_by_step WHERE campaign = ? ORDER BY step"),
      addSpend: prepare(
        `INSERT INTO spend_by_day (campaign, day, amount) VALUES (?, ?, ?)
         ON CONFLICT (campaign, day) DO UPDATE SET amount = amount + excluded.amount`,
      ),
      estimatedCalls: prepare(
        `SELECT id, call_progress FROM contacts
         WHERE campaign = ? AND call_progress LIKE '%"estimate":{%'`,
      ),
      callAndSpend: prepare(
        "SELECT call_progress, spend FROM contacts WHERE campaign = ? AND id = ?",
      ),
      settleCall: prepare(
        "UPDATE contacts SET call_progress = ?, spend = ? WHERE campaign = ? AND id = ?",
      ),
      spendTotals: prepare(
        `SELECT COALESCE(SUM(amount), 0) AS total,
           COALESCE(SUM(CASE WHEN day = ? THEN amount END), 0) AS on_day
         FROM spend_by_day WHERE campaign = ?`,
      ),
    };
  }

  estimatedCallPrices(
    campaign: string,
  ): Promise<{ contactId: string; sid: string; estimate: number }[]> {
    const rows = this.#statements.estimatedCalls.all(campaign) as {
      id: string;
      call_progress: string;
    }[];
    return Promise.resolve(rows.flatMap((row) => estimatedCallOf(row) ?? []));
  }

  settleCallPrice(campaign: string, contactId: string, price: number): Promise<boolean> {
    return Promise.resolve(inTransaction(this.#db, () => {
      const row = this.#statements.callAndSpend.get(campaign, contactId) as
        | { call_progress: string | null; spend: string | null }
        | undefined;
      const settled = row && settleEstimate(
        row.call_progress ? JSON.parse(row.call_progress) : undefined,
        row.spend ? JSON.parse(row.spend) : undefined,
        price,
      );
      if (!settled) return false;
      this.#statements.settleCall.run(
        JSON.stringify(settled.call),
        JSON.stringify(settled.spend),
        campaign,
        contactId,
      );
      this.add(campaign, settled.day, settled.delta);
      return true;
    }));
  }

  spendTotals(campaign: string, day: string): Promise<{ total: number; onDay: number }> {
    const row = this.#statements.spendTotals.get(day, campaign) as {
      total: number;
      on_day: number;
    };
    return Promise.resolve({ total: Number(row.total), onDay: Number(row.on_day) });
  }

  spendOf(campaign: string): Promise<StepSpend> {
    const rows = this.#statements.spends.all(campaign) as {
      step: keyof StepSpend;
      amount: number;
    }[];
    return Promise.resolve(Object.fromEntries(rows.map((row) => [row.step, row.amount])));
  }

  /** Adds `amount` to the campaign's spend on `day`, in the caller's transaction. */
  add(campaign: string, day: string, amount: number): void {
    this.#statements.addSpend.run(campaign, day, amount);
  }
}
