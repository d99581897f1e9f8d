import type { DatabaseSync } from "node:sqlite";
import type { FiringAlerts } from "../campaign_store.ts";

/** The alerts firing now in the ledger's `firing_alerts` table: one row, one statement each. */
export class SqliteFiringAlerts implements FiringAlerts {
  readonly #fire;
  readonly #resolve;
  readonly #list;

  constructor(db: DatabaseSync) {
    this.#fire = db.prepare(
      `INSERT INTO firing_alerts (key, alert) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET alert = excluded.alert`,
    );
    this.#resolve = db.prepare("DELETE FROM firing_alerts WHERE key = ?");
    this.#list = db.prepare("SELECT alert FROM firing_alerts ORDER BY key");
  }

  fire(key: string, alert: string): Promise<void> {
    this.#fire.run(key, alert);
    return Promise.resolve();
  }

  resolve(key: string): Promise<void> {
    this.#resolve.run(key);
    return Promise.resolve();
  }

  list(): Promise<string[]> {
    return Promise.resolve((this.#list.all() as { alert: string }[]).map((row) => row.alert));
  }
}
