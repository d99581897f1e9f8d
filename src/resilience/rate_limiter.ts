import type { Clock } from "../clock/mod.ts";

/**
 * At most `perMinute` sends in any rolling minute, on an injected clock: the time of each send
 * is kept, and a send waits until the oldest of the last `perMinute` is a minute old. Unlike a
 * token bucket, no window of 60 s ever holds one more. {@link take} records the send at the
 * moment it returns, so call it right before the request goes out (after any token fetch).
 * Waiters are served in order.
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #clock: Clock;
  /** Times of the last `#limit` sends, oldest first. */
  readonly #sent: number[] = [];
  #queue: Promise<void> = Promise.resolve();

  constructor(options: { perMinute: number }, deps: { clock: Clock }) {
    if (!Number.isInteger(options.perMinute) || options.perMinute < 1) {
      throw new RangeError(
        `rate limit perMinute must be an integer >= 1: got ${options.perMinute}`,
      );
    }
    this.#limit = options.perMinute;
    this.#clock = deps.clock;
  }

  /** Resolves when a send is allowed, and records it as sent now. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(async () => {
      await this.#waitForRoom(signal);
      this.#sent.push(this.#clock.now());
      if (this.#sent.length > this.#limit) this.#sent.shift();
    });
    this.#queue = turn.catch(() => {});
    return turn;
  }

  /** Resolves when a send would be allowed, without taking it (a wait outside a deadline). */
  whenFree(signal?: AbortSignal): Promise<void> {
    return this.#queue.then(() => this.#waitForRoom(signal));
  }

  async #waitForRoom(signal?: AbortSignal): Promise<void> {
    if (this.#sent.length < this.#limit) return;
    const wait = this.#sent[0] + 60_000 - this.#clock.now();
    if (wait > 0) await this.#clock.sleep(wait, signal);
  }
}
