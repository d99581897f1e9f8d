import type { Clock } from "./clock.ts";

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Options of {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Time the clock starts at. @default 0 */
  start?: number;
  /**
   * Microtask turns to let pass before deciding that nothing but timers is left to run.
   * Deep async call chains need more. @default 1000
   */
  settleTurns?: number;
}

/**
 * A clock that only moves when told to, or, in {@link VirtualClock.run}, jumps straight to the
 * next timer whenever every task is waiting on one. A whole scenario of minutes runs in
 * milliseconds, deterministically. Work driven by it must not wait on real I/O.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];
  readonly #io = new Set<Promise<unknown>>();
  readonly #settleTurns: number;

  constructor(options: VirtualClockOptions = {}) {
    this.#now = options.start ?? 0;
    this.#settleTurns = options.settleTurns ?? 1_000;
  }

  now(): number {
    return this.#now;
  }

  /** Number of sleeps not yet fired. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#remove(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#insert(timer);
    });
  }

  /**
   * Marks `work` as real I/O in flight (a request over a socket): {@link run} will not move
   * time while it is pending, so a loopback round trip takes no virtual time.
   */
  trackIo<T>(work: Promise<T>): Promise<T> {
    const tracked = work.finally(() => this.#io.delete(tracked));
    this.#io.add(tracked);
    return tracked;
  }

  /** Lets pending microtasks run, so that work woken by a timer reaches its next wait. */
  async settle(): Promise<void> {
    for (let i = 0; i < this.#settleTurns; i++) await Promise.resolve();
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms);
    await this.settle();
    while (this.#timers.length > 0 && this.#timers[0].at <= target) {
      this.#fireNext();
      await this.settle();
    }
    this.#now = target;
    await this.settle();
  }

  /**
   * Runs `task` to completion, jumping to the next timer whenever everything waits on one.
   * Rejects if `task` waits on something other than this clock (nothing left to fire), or
   * if it has not finished within `limitMs` of virtual time.
   */
  async run<T>(task: () => Promise<T>, limitMs = 7 * 24 * 3_600_000): Promise<T> {
    const deadline = this.#now + limitMs;
    let settled = false;
    const promise = task().finally(() => {
      settled = true;
    });
    promise.catch(() => {});
    await this.settle();
    while (!settled) {
      if (this.#io.size > 0) {
        await Promise.race([...this.#io]).catch(() => {});
        await this.settle();
        continue;
      }
      let next = this.#timers[0];
      // A very deep chain may still be unwinding: give it more turns before calling it stuck.
      for (let round = 0; !next && !settled && round < 20; round++) {
        await this.settle();
        next = this.#timers[0];
      }
      if (settled) break;
      if (!next) {
        throw new Error(
          "VirtualClock.run: the task waits on something other than the clock (no timer pending)",
        );
      }
      if (next.at > deadline) {
        throw new Error(`VirtualClock.run: task still running after ${limitMs} ms of virtual time`);
      }
      this.#fireNext();
      await this.settle();
    }
    return promise;
  }

  #fireNext(): void {
    const timer = this.#timers.shift()!;
    if (timer.at > this.#now) this.#now = timer.at;
    timer.resolve();
  }

  #insert(timer: Timer): void {
    // Binary search keeps timers ordered by time, then by creation.
    let low = 0;
    let high = this.#timers.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#timers[mid];
      if (other.at < timer.at || (other.at === timer.at && other.seq < timer.seq)) low = mid + 1;
      else high = mid;
    }
    this.#timers.splice(low, 0, timer);
  }

  #remove(timer: Timer): void {
    const index = this.#timers.indexOf(timer);
    if (index >= 0) this.#timers.splice(index, 1);
  }
}
