import type postgres from "postgres";
import type { FiringAlerts } from "../campaign_store.ts";

/** The alerts firing now, shared by every process on the database: one row, one statement
 * each. */
export class PostgresFiringAlerts implements FiringAlerts {
  constructor(readonly sql: postgres.Sql) {}

  async fire(key: string, alert: string): Promise<void> {
    await this.sql`
      INSERT INTO firing_alerts (key, alert) VALUES (${key}, ${alert})
      ON CONFLICT (key) DO UPDATE SET alert = EXCLUDED.alert`;
  }

  async resolve(key: string): Promise<void> {
    await this.sql`DELETE FROM firing_alerts WHERE key = ${key}`;
  }

  async list(): Promise<string[]> {
    const rows = await this.sql<{ alert: string }[]>`
      SELECT alert FROM firing_alerts ORDER BY key`;
    return rows.map((row) => row.alert);
  }
}
