/**
 * Limits calls in flight to one service (providers cap concurrent requests per plan). Callers
 * beyond the limit wait in order; a caller whose signal aborts while waiting leaves the queue.
 */
export class Bulkhead {
  readonly limit: number;
  #active = 0;
  readonly #queue: { start: () => void; cancel: (reason: unknown) => void }[] = [];

  constructor(limit: number, readonly name = "bulkhead") {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`${name}: concurrency limit must be an integer >= 1: got ${limit}`);
    }
    this.limit = limit;
  }

  /** Calls in flight. */
  get active(): number {
    return this.#active;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Runs `fn` once a slot is free. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.#active >= this.limit) await this.#wait(signal);
    else this.#active++;
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next.start(); // the slot passes straight to the next caller
      else this.#active--;
    }
  }

  #wait(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        cancel: reject,
      };
      const onAbort = () => {
        const index = this.#queue.indexOf(entry);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(entry);
    });
  }
}
