import type { Clock } from "../clock/mod.ts";

/** One send the limiter let out; tell it when the send's answer came back. */
export interface SentRequest {
  /** The send is over (answered, failed or cut off): its minute runs from now. */
  done(): void;
}

/** A send in the window: when it ended (undefined while in flight), and who waits for that. */
interface Slot {
  endedAt?: number;
  ended: Promise<void>;
  end: () => void;
}

/**
 * At most `perMinute` sends in any minute *as the provider counts them*, at their arrival, on
 * an injected clock. A request arrives some time after it leaves (a connection to open, a slow
 * network) and before its answer comes back, so a send is counted from the moment it is taken
 * until its answer is back ({@link SentRequest.done}), and the minute after it runs from then:
 * a new send goes out only once the oldest of the last `perMinute` ended a minute ago. Whatever
 * each request's transit time, no minute of arrivals holds one more. Waiters are served in order.
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #clock: Clock;
  /** The last `#limit` sends, oldest first. */
  readonly #slots: Slot[] = [];
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

  /** Resolves when a send is allowed, counting it from now until it is {@link SentRequest.done}:
   * call it right before the request goes out (after any token fetch). */
  take(signal?: AbortSignal): Promise<SentRequest> {
    const turn = this.#queue.then(async () => {
      await this.#waitForRoom(signal);
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      const slot: Slot = { ended, end };
      this.#slots.push(slot);
      if (this.#slots.length > this.#limit) this.#slots.shift();
      return {
        done: () => {
          if (slot.endedAt !== undefined) return;
          slot.endedAt = this.#clock.now();
          end();
        },
      };
    });
    this.#queue = turn.then(() => {}, () => {});
    return turn;
  }

  /** Resolves when a send would be allowed, without taking it (a wait outside a deadline). */
  whenFree(signal?: AbortSignal): Promise<void> {
    return this.#queue.then(() => this.#waitForRoom(signal));
  }

  async #waitForRoom(signal?: AbortSignal): Promise<void> {
    if (this.#slots.length < this.#limit) return;
    const oldest = this.#slots[0];
    if (oldest.endedAt === undefined) await abortable(oldest.ended, signal);
    const wait = oldest.endedAt! + 60_000 - this.#clock.now();
    if (wait > 0) await this.#clock.sleep(wait, signal);
  }
}

/** `promise`, or the signal's reason if it aborts first. */
function abortable(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
