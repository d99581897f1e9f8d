import type { DatabaseSync } from "node:sqlite";
import { type DoNotCallList, optOutVersion } from "../campaign_store.ts";
import { inTransaction } from "./schema.ts";

/** The campaigns' do-not-call lists in the ledger's `do_not_call` table. */
export class SqliteDoNotCallList implements DoNotCallList {
  readonly #db: DatabaseSync;
  readonly #add;
  readonly #prune;
  readonly #has;
  readonly #count;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#add = db.prepare(
      `INSERT INTO do_not_call (campaign, phone, version) VALUES (?, ?, ?)
       ON CONFLICT (campaign, phone) DO UPDATE SET version = excluded.version
       WHERE do_not_call.version <> '${optOutVersion}'`,
    );
    this.#prune = db.prepare(
      `DELETE FROM do_not_call WHERE campaign = ? AND version <> ? AND version <> '${optOutVersion}'`,
    );
    this.#has = db.prepare("SELECT 1 AS listed FROM do_not_call WHERE campaign = ? AND phone = ?");
    this.#count = db.prepare("SELECT COUNT(*) AS n FROM do_not_call WHERE campaign = ?");
  }

  add(campaign: string, phones: readonly string[], version: string): Promise<void> {
    inTransaction(this.#db, () => {
      for (const phone of phones) this.#add.run(campaign, phone, version);
    });
    return Promise.resolve();
  }

  prune(campaign: string, version: string): Promise<number> {
    return Promise.resolve(Number(this.#prune.run(campaign, version).changes));
  }

  has(campaign: string, phone: string): Promise<boolean> {
    return Promise.resolve(this.#has.get(campaign, phone) !== undefined);
  }

  count(campaign: string): Promise<number> {
    return Promise.resolve(Number((this.#count.get(campaign) as { n: number }).n));
  }
}
