import type postgres from "postgres";
import type { SpendLedger } from "../campaign_store.ts";
import { estimatedCallOf } from "../_sql_rows.ts";
import { settleEstimate, type StepSpend } from "../../domain/mod.ts";

/** What the campaign spent, in PostgreSQL: per contact (its row's `spend`) and per calendar day
 * (`spend_by_day`, one row every process adds to). */
export class PostgresSpendLedger implements SpendLedger {
  constructor(readonly sql: postgres.Sql) {}

  async estimatedCallPrices(
    campaign: string,
  ): Promise<{ contactId: string; sid: string; estimate: number }[]> {
    const rows = await this.sql<{ id: string; call_progress: string }[]>`
      SELECT id, call_progress FROM contacts
      WHERE campaign = ${campaign} AND call_progress LIKE ${'%"estimate":{%'}`;
    return rows.flatMap((row) => estimatedCallOf(row) ?? []);
  }

  async settleCallPrice(campaign: string, contactId: string, price: number): Promise<boolean> {
    // Under the row's lock: two processes settling one call change it once.
    return await this.sql.begin(async (tx) => {
      const [row] = await tx<{ call_progress: string | null; spend: string | null }[]>`
        SELECT call_progress, spend FROM contacts
        WHERE campaign = ${campaign} AND id = ${contactId} FOR UPDATE`;
      const settled = row && settleEstimate(
        row.call_progress ? JSON.parse(row.call_progress) : undefined,
        row.spend ? JSON.parse(row.spend) : undefined,
        price,
      );
      if (!settled) return false;
      await tx`
        UPDATE contacts SET call_progress = ${JSON.stringify(settled.call)},
          spend = ${JSON.stringify(settled.spend)}
        WHERE campaign = ${campaign} AND id = ${contactId}`;
      await addSpend(tx, campaign, { amount: settled.delta, day: settled.day });
      return true;
    });
  }

  async spendTotals(campaign: string, day: string): Promise<{ total: number; onDay: number }> {
    const [row] = await this.sql`
      SELECT COALESCE(SUM(amount), 0) AS total,
        COALESCE(SUM(CASE WHEN day = ${day} THEN amount END), 0) AS on_day
      FROM spend_by_day WHERE campaign = ${campaign}`;
    return { total: Number(row.total), onDay: Number(row.on_day) };
  }

  /** Summed by the server: a campaign's contacts never cross the wire for it. */
  async spendOf(campaign: string): Promise<StepSpend> {
    const rows = await this.sql<{ step: keyof StepSpend; amount: number }[]>`
      SELECT s.key AS step, SUM(s.value::float8) AS amount
      FROM contacts c, json_each_text(c.spend::json) s
      WHERE c.campaign = ${campaign} AND c.spend IS NOT NULL GROUP BY s.key ORDER BY s.key`;
    return Object.fromEntries(rows.map((row) => [row.step, Number(row.amount)]));
  }
}

/** Adds a step's cost to the campaign's spend on its day. */
async function addSpend(
  tx: postgres.TransactionSql,
  campaign: string,
  cost: { amount: number; day: string },
): Promise<void> {
  await tx`
    INSERT INTO spend_by_day (campaign, day, amount) VALUES (${campaign}, ${cost.day}, ${cost.amount})
    ON CONFLICT (campaign, day) DO UPDATE SET amount = spend_by_day.amount + EXCLUDED.amount`;
}
