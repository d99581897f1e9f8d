import type postgres from "postgres";
import { type DoNotCallList, optOutVersion } from "../campaign_store.ts";

/** Do-not-call lists in the shared database: every process honours the same numbers. */
export class PostgresDoNotCallList implements DoNotCallList {
  constructor(readonly sql: postgres.Sql) {}

  async add(campaign: string, phones: readonly string[], version: string): Promise<void> {
    if (phones.length === 0) return;
    await this.sql`
      INSERT INTO do_not_call (campaign, phone, version)
      SELECT ${campaign}, p.phone, ${version} FROM unnest(${phones as string[]}::text[]) AS p(phone)
      ON CONFLICT (campaign, phone) DO UPDATE SET version = EXCLUDED.version
      WHERE do_not_call.version <> ${optOutVersion}`;
  }

  async prune(campaign: string, version: string): Promise<number> {
    const result = await this.sql`
      DELETE FROM do_not_call WHERE campaign = ${campaign} AND version <> ${version}
        AND version <> ${optOutVersion}`;
    return result.count;
  }

  async has(campaign: string, phone: string): Promise<boolean> {
    const rows = await this.sql`
      SELECT 1 FROM do_not_call WHERE campaign = ${campaign} AND phone = ${phone}`;
    return rows.length > 0;
  }

  async count(campaign: string): Promise<number> {
    const [row] = await this
      .sql`SELECT COUNT(*) AS n FROM do_not_call WHERE campaign = ${campaign}`;
    return Number(row.n);
  }
}
