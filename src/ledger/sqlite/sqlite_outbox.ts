import type { DatabaseSync } from "node:sqlite";
import type { Outbox, OutboxItem } from "../campaign_store.ts";
import { outboxItemOf, type OutboxRow } from "../_sql_rows.ts";
import { inTransaction } from "./schema.ts";

/** The sinks' outbox queues in the ledger's `outbox` table: each call one transaction. */
export class SqliteOutbox implements Outbox {
  readonly #db: DatabaseSync;
  readonly #add;
  readonly #peek;
  readonly #ack;
  readonly #attempt;
  readonly #size;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#add = db.prepare("INSERT INTO outbox (queue, payload, created_at) VALUES (?, ?, ?)");
    this.#peek = db.prepare(
      "SELECT id, payload, attempts FROM outbox WHERE queue = ? ORDER BY id LIMIT ?",
    );
    this.#ack = db.prepare("DELETE FROM outbox WHERE queue = ? AND id = ?");
    this.#attempt = db.prepare(
      "UPDATE outbox SET attempts = attempts + 1 WHERE queue = ? AND id = ?",
    );
    this.#size = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE queue = ?");
  }

  enqueue(queue: string, payloads: readonly string[], now: number): Promise<void> {
    inTransaction(this.#db, () => {
      for (const payload of payloads) this.#add.run(queue, payload, now);
    });
    return Promise.resolve();
  }

  peek(queue: string, limit: number): Promise<OutboxItem[]> {
    const rows = this.#peek.all(queue, limit) as unknown as OutboxRow[];
    return Promise.resolve(rows.map(outboxItemOf));
  }

  ack(queue: string, ids: readonly number[]): Promise<void> {
    inTransaction(this.#db, () => {
      for (const id of ids) this.#ack.run(queue, id);
    });
    return Promise.resolve();
  }

  markAttempt(queue: string, ids: readonly number[]): Promise<void> {
    inTransaction(this.#db, () => {
      for (const id of ids) this.#attempt.run(queue, id);
    });
    return Promise.resolve();
  }

  size(queue: string): Promise<number> {
    return Promise.resolve(Number((this.#size.get(queue) as { n: number }).n));
  }
}
