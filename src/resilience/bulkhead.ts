import type { Clock } from "../clock/mod.ts";
import { SlotWaitTimeoutError } from "../errors.ts";

/** How a caller waits for a slot. */
export interface SlotWaitOptions {
  /** Leaves the queue at once, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /** Longest wait for a slot; then {@link SlotWaitTimeoutError}. @default no bound */
  waitMs?: number;
  /** Clock the wait is measured on (required with `waitMs`). */
  clock?: Clock;
}

interface Waiter {
  start: () => void;
}

/**
 * Limits calls in flight to one service (providers cap concurrent requests per plan). Callers
 * beyond the limit wait in order; one whose signal aborts, or whose `waitMs` passes, leaves
 * the queue without running. A wait is never the service's failure: it is the caller's.
 */
export class Bulkhead {
  readonly limit: number;
  #active = 0;
  readonly #queue: Waiter[] = [];

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
  async run<T>(fn: () => Promise<T>, options: SlotWaitOptions | AbortSignal = {}): Promise<T> {
    const wait = options instanceof AbortSignal ? { signal: options } : options;
    wait.signal?.throwIfAborted();
    if (this.#active >= this.limit) await this.#wait(wait);
    else this.#active++;
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next.start(); // the slot passes straight to the next caller
      else this.#active--;
    }
  }

  #wait({ signal, waitMs, clock }: SlotWaitOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = waitMs !== undefined && clock && Number.isFinite(waitMs)
        ? new AbortController()
        : undefined;
      const leave = (reason: unknown) => {
        const index = this.#queue.indexOf(entry);
        if (index < 0) return;
        this.#queue.splice(index, 1);
        signal?.removeEventListener("abort", onAbort);
        timer?.abort();
        reject(reason);
      };
      const onAbort = () => leave(signal!.reason);
      const entry: Waiter = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          timer?.abort();
          resolve();
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(entry);
      if (timer) {
        clock!.sleep(waitMs!, timer.signal).then(
          () => leave(new SlotWaitTimeoutError({ service: this.name, waitedMs: waitMs! })),
          () => {},
        );
      }
    });
  }
}
