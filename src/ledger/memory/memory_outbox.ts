import type { Outbox, OutboxItem } from "../campaign_store.ts";

/** Outbox queues in memory. */
export class InMemoryOutbox implements Outbox {
  readonly #queues = new Map<string, OutboxItem[]>();
  #nextId = 1;

  #queue(name: string): OutboxItem[] {
    let queue = this.#queues.get(name);
    if (!queue) this.#queues.set(name, queue = []);
    return queue;
  }

  enqueue(queue: string, payloads: readonly string[], _now: number): Promise<void> {
    this.#queue(queue).push(
      ...payloads.map((payload) => ({ id: this.#nextId++, payload, attempts: 0 })),
    );
    return Promise.resolve();
  }

  peek(queue: string, limit: number): Promise<OutboxItem[]> {
    return Promise.resolve(this.#queue(queue).slice(0, limit).map((item) => ({ ...item })));
  }

  ack(queue: string, ids: readonly number[]): Promise<void> {
    const done = new Set(ids);
    this.#queues.set(queue, this.#queue(queue).filter((item) => !done.has(item.id)));
    return Promise.resolve();
  }

  markAttempt(queue: string, ids: readonly number[]): Promise<void> {
    const tried = new Set(ids);
    for (const item of this.#queue(queue)) if (tried.has(item.id)) item.attempts++;
    return Promise.resolve();
  }

  size(queue: string): Promise<number> {
    return Promise.resolve(this.#queue(queue).length);
  }
}
