import type postgres from "postgres";
import { callSidsOf, type DialRegistry } from "../campaign_store.ts";

/** The calls recorded to each number, read from the contacts' rows in PostgreSQL. */
export class PostgresDialRegistry implements DialRegistry {
  constructor(readonly sql: postgres.Sql) {}

  async recordedCalls(phone: string): Promise<string[]> {
    const rows = await this.sql<{ call_progress: string }[]>`
      SELECT call_progress FROM contacts WHERE phone = ${phone} AND call_progress IS NOT NULL`;
    return rows.flatMap((row) => callSidsOf(JSON.parse(row.call_progress)));
  }

  async calledBefore(
    campaign: string,
    phone: string,
    contactId: string,
  ): Promise<string | undefined> {
    return await firstCaller(this.sql, campaign, phone, contactId);
  }
}

/** The first contact of `campaign` other than `contactId` (load order) that dialled `phone`. */
async function firstCaller(
  sql: postgres.Sql,
  campaign: string,
  phone: string,
  contactId: string,
): Promise<string | undefined> {
  const [row] = await sql<{ id: string }[]>`
    SELECT id FROM contacts WHERE phone = ${phone} AND campaign = ${campaign}
      AND id <> ${contactId} AND call_progress IS NOT NULL
      AND (call_progress::json->>'dials')::int > 0
    ORDER BY seq LIMIT 1`;
  return row?.id;
}
