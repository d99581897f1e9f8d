import type postgres from "postgres";
import type { Outbox, OutboxItem } from "../campaign_store.ts";
import { outboxItemOf, type OutboxRow } from "../_sql_rows.ts";

/** The outbox queues, drained by one process at a time per queue. */
export class PostgresOutbox implements Outbox {
  constructor(readonly sql: postgres.Sql, readonly owner: string) {}

  async enqueue(queue: string, payloads: readonly string[], now: number): Promise<void> {
    if (payloads.length === 0) return;
    await this.sql`
      INSERT INTO outbox (queue, payload, created_at)
      SELECT ${queue}, p.payload, ${now}
      FROM unnest(${payloads as string[]}::text[]) WITH ORDINALITY AS p(payload, ord)
      ORDER BY p.ord`;
  }

  async peek(queue: string, limit: number): Promise<OutboxItem[]> {
    const rows = await this.sql<OutboxRow[]>`
      SELECT id, payload, attempts FROM outbox WHERE queue = ${queue} ORDER BY id LIMIT ${limit}`;
    return rows.map(outboxItemOf);
  }

  async ack(queue: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this
      .sql`DELETE FROM outbox WHERE queue = ${queue} AND id = ANY(${ids as number[]}::bigint[])`;
  }

  async markAttempt(queue: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sql`UPDATE outbox SET attempts = attempts + 1
      WHERE queue = ${queue} AND id = ANY(${ids as number[]}::bigint[])`;
  }

  async size(queue: string): Promise<number> {
    const [row] = await this.sql`SELECT COUNT(*) AS n FROM outbox WHERE queue = ${queue}`;
    return Number(row.n);
  }

  /** Holds the queue for `ms` unless another live process holds it. */
  async hold(queue: string, now: number, ms: number): Promise<boolean> {
    const rows = await this.sql`
      INSERT INTO outbox_holders (queue, owner, until) VALUES (${queue}, ${this.owner}, ${now + ms})
      ON CONFLICT (queue) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until
      WHERE outbox_holders.owner = EXCLUDED.owner OR outbox_holders.until < ${now}
      RETURNING owner`;
    return rows.length > 0;
  }

  async release(queue: string): Promise<void> {
    await this.sql`DELETE FROM outbox_holders WHERE queue = ${queue} AND owner = ${this.owner}`;
  }
}
