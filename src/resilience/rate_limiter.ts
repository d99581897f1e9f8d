import type { Clock } from "../clock/mod.ts";

/**
 * A token bucket on an injected clock: at most `perMinute` takes per rolling minute, with
 * bursts up to `burst`. `take()` waits for a token; waiters are served in order.
 */
export class RateLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #updatedAt: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: { perMinute: number; burst?: number }, deps: { clock: Clock }) {
    if (!(options.perMinute > 0)) {
      throw new RangeError(`rate limit perMinute must be > 0: got ${options.perMinute}`);
    }
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst ?? Math.max(1, Math.min(options.perMinute, 5));
    this.#clock = deps.clock;
    this.#tokens = this.#burst;
    this.#updatedAt = deps.clock.now();
  }

  /** Resolves when a token is taken. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#takeNow(signal));
    this.#queue = turn.catch(() => {});
    return turn;
  }

  async #takeNow(signal?: AbortSignal): Promise<void> {
    this.#refill();
    if (this.#tokens < 1) {
      await this.#clock.sleep(Math.ceil((1 - this.#tokens) / this.#perMs), signal);
      this.#refill();
    }
    this.#tokens -= 1;
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#perMs);
    this.#updatedAt = now;
  }
}
