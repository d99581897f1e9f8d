import type { Clock } from "../clock/mod.ts";

/** How many retries a service may be sent, as a share of its first attempts. */
export interface RetryBudgetOptions {
  /** Retries may be at most this share of first attempts in the window (0.2: one in five). */
  ratio: number;
  /** The window first attempts and retries are counted over. */
  windowMs: number;
  /** Retries always allowed per second of the window, however few first attempts there were. */
  minPerSecond: number;
}

/** First attempts and retries counted in one second of the window. */
interface Bucket {
  second: number;
  firsts: number;
  retries: number;
}

/**
 * A service's retry budget, as Finagle and Linkerd keep one: over the last `windowMs`, retries
 * may be at most `ratio` of first attempts plus `minPerSecond` per second of the window. Shared
 * by every call to the service, so 50 workers retrying a struggling provider together send it
 * at most a fifth more requests, not three times as many. Counted per second, so the window
 * slides a second at a time.
 */
export class RetryBudget {
  readonly options: Readonly<RetryBudgetOptions>;
  readonly #clock: Clock;
  readonly #buckets: Bucket[] = [];

  constructor(options: RetryBudgetOptions, deps: { clock: Clock }) {
    validateRetryBudgetOptions(options);
    this.options = Object.freeze({ ...options });
    this.#clock = deps.clock;
  }

  /** Counts a first attempt: it earns `ratio` of a retry. */
  deposit(): void {
    this.#current().firsts++;
  }

  /** Takes one retry from the budget; false (and nothing taken) when it is spent. */
  tryWithdraw(): boolean {
    const { firsts, retries } = this.spent();
    const seconds = this.options.windowMs / 1_000;
    if (retries >= this.options.ratio * firsts + this.options.minPerSecond * seconds) return false;
    this.#current().retries++;
    return true;
  }

  /** First attempts and retries in the window now. */
  spent(): { firsts: number; retries: number } {
    this.#expire(this.#clock.now());
    let firsts = 0;
    let retries = 0;
    for (const bucket of this.#buckets) {
      firsts += bucket.firsts;
      retries += bucket.retries;
    }
    return { firsts, retries };
  }

  #current(): Bucket {
    // The clock read once: every call to the service passes here.
    const now = this.#clock.now();
    this.#expire(now);
    const second = Math.floor(now / 1_000);
    const last = this.#buckets.at(-1);
    if (last?.second === second) return last;
    const bucket = { second, firsts: 0, retries: 0 };
    this.#buckets.push(bucket);
    return bucket;
  }

  #expire(now: number): void {
    const oldest = Math.floor((now - this.options.windowMs) / 1_000);
    while (this.#buckets.length > 0 && this.#buckets[0].second <= oldest) this.#buckets.shift();
  }
}

/** Throws a RangeError naming the field and its bounds for an unusable budget. */
export function validateRetryBudgetOptions(options: RetryBudgetOptions): void {
  if (!(options.ratio >= 0)) {
    throw new RangeError(`retryBudget.ratio must be >= 0: got ${options.ratio}`);
  }
  if (!(options.windowMs >= 1_000)) {
    throw new RangeError(`retryBudget.windowMs must be >= 1000: got ${options.windowMs}`);
  }
  if (!(options.minPerSecond >= 0)) {
    throw new RangeError(`retryBudget.minPerSecond must be >= 0: got ${options.minPerSecond}`);
  }
}
