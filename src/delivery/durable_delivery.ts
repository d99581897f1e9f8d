import { type BreakerOptions, CircuitBreaker } from "../breaker/mod.ts";
import type { Clock, Random } from "../clock/mod.ts";
import type { Outbox, OutboxItem } from "../ledger/mod.ts";
import { RateLimiter, ResilientService, type SentRequest } from "../resilience/mod.ts";
import type { Tracing } from "../tracing/mod.ts";
import { isServiceWide, isTransient } from "../errors.ts";
import { type RetryOptions, RetryPolicy } from "../retry/mod.ts";
import { DeliveryHealth, type DeliveryHealthStatus } from "./delivery_health.ts";

/** How long one process may hold a shared queue: longer than a send with its retries. */
const holdMs = 120_000;
/** How often a process waiting for a shared queue asks again. */
const holdPollMs = 100;

/** A delivery's state, as `/status` shows it (times as ISO strings). */
export interface DeliveryStatus {
  breaker: string;
  lastErrorClass: string | null;
  delivery: DeliveryHealthStatus["state"];
  failingSince: string | null;
  lastError: string | null;
  lastDeliveredAt: string | null;
  /** Payloads waiting in the outbox. */
  pending: number;
}

/** How a sink's deliveries are made. */
export interface DurableDeliveryOptions {
  retry: RetryOptions;
  breaker: BreakerOptions;
  /** Sends per rolling minute the destination accepts. */
  perMinute: number;
  /** Deadline of one attempt. */
  timeoutMs: number;
  /** How long without a delivery, from the first failed attempt, before the destination counts
   * as stalled (worth an alert). */
  stalledAfterMs: number;
}

/** What a send gets besides the items: its deadline's signal, and the rate limit. */
export interface SendContext {
  signal: AbortSignal;
  /** Counts one request against the rate limit, waiting for room: call it right before the
   * request goes out (after any token fetch). It counts until the send is over, so no minute
   * holds more than the limit as the destination counts arrivals. */
  take(): Promise<void>;
}

/** How sending the oldest waiting items went; `undefined` when none wait. */
export type SendResult<R> =
  | { ok: true; items: OutboxItem[]; result: R }
  | { ok: false; items: OutboxItem[]; error: unknown };

/**
 * The delivery every durable sink shares (each alert channel, the Sheets log): payloads wait in
 * a queue of the ledger's outbox and go out oldest first, one batch at a time, under a rolling
 * rate limit, retried, behind the sink's own breaker. A sink has no health probe: the first send
 * after the breaker's recovery timeout is the trial. Items are marked attempted before they are
 * sent, so after a crash mid-send the next try knows they may have arrived; they leave the
 * queue only once sent. Work that reads and sends the queue runs one at a time
 * ({@link serial}), so order holds.
 */
export class DurableDelivery implements Disposable {
  readonly breaker: CircuitBreaker;
  readonly queue: string;
  /** Whether the destination takes what is sent, attempt by attempt. */
  readonly health: DeliveryHealth;
  /** Aborted by {@link cutShort}: no send starts after it, and those in flight are abandoned. */
  readonly #cut = new AbortController();
  readonly #calls: ResilientService;
  readonly #limiter: RateLimiter;
  readonly #outbox: Outbox;
  readonly #clock: Clock;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    name: string,
    options: DurableDeliveryOptions,
    deps: { clock: Clock; random: Random; outbox: Outbox; tracing?: Tracing },
  ) {
    this.queue = name;
    this.#clock = deps.clock;
    this.#outbox = deps.outbox;
    this.breaker = new CircuitBreaker(name, {
      ...options.breaker,
      halfOpenRequiresHealthyProbe: false,
    }, deps);
    this.#calls = new ResilientService(name, {
      retry: new RetryPolicy(options.retry, deps),
      breaker: this.breaker,
      timeoutMs: options.timeoutMs,
    }, deps);
    this.#limiter = new RateLimiter({ perMinute: options.perMinute }, deps);
    this.health = new DeliveryHealth(options.stalledAfterMs, deps);
  }

  /** Clears the deadline and health timers. */
  [Symbol.dispose](): void {
    this.#calls[Symbol.dispose]();
    this.health[Symbol.dispose]();
  }

  /**
   * Stops sending now (the end of a run has waited long enough): a send in flight is abandoned
   * (its items stay in the queue, marked attempted) and no send starts after this. What is
   * left goes out on the next run.
   */
  cutShort(): void {
    this.#cut.abort(new DOMException("delivery cut short at exit", "AbortError"));
  }

  /** Adds payloads at the end of the queue, durably. */
  enqueue(payloads: readonly string[]): Promise<void> {
    return this.#outbox.enqueue(this.queue, payloads, this.#clock.now());
  }

  /** Payloads waiting. */
  pending(): Promise<number> {
    return this.#outbox.size(this.queue);
  }

  /** Where this delivery stands, as a status page shows it: its breaker, whether it
   * delivers (from its first failed attempt on), and what waits. */
  async status(): Promise<DeliveryStatus> {
    const health = this.health.status();
    const breaker = this.breaker.snapshot();
    const iso = (at: number | undefined) => at === undefined ? null : new Date(at).toISOString();
    return {
      breaker: breaker.state,
      lastErrorClass: breaker.lastErrorClass ?? null,
      delivery: health.state,
      failingSince: iso(health.since),
      lastError: health.state === "delivering" ? null : health.lastError ?? null,
      lastDeliveredAt: iso(health.lastDeliveredAt),
      pending: await this.pending(),
    };
  }

  /**
   * Sends the oldest `limit` waiting items through one call of `send` (retried, under the
   * breaker and a deadline per attempt; the wait for the rate limit's room is in no deadline).
   * Sent items leave the queue; on failure they stay, marked attempted, and the error is
   * returned, not thrown.
   */
  async sendOldest<R>(
    limit: number,
    send: (items: OutboxItem[], context: SendContext) => Promise<R>,
  ): Promise<SendResult<R> | undefined> {
    const outbox = this.#outbox;
    if (!outbox.hold || !outbox.release) return await this.#sendOldest(limit, send);
    // Where processes share the ledger, one sends the queue at a time: the oldest items go
    // out in order and once, whoever put them there. A holder that died frees it at holdMs.
    while (!(await outbox.hold(this.queue, this.#clock.now(), holdMs))) {
      if (this.#cut.signal.aborted) return undefined;
      await this.#clock.sleep(holdPollMs, this.#cut.signal).catch(() => {});
    }
    try {
      return await this.#sendOldest(limit, send);
    } finally {
      await outbox.release(this.queue).catch(() => {});
    }
  }

  async #sendOldest<R>(
    limit: number,
    send: (items: OutboxItem[], context: SendContext) => Promise<R>,
  ): Promise<SendResult<R> | undefined> {
    const cut = this.#cut.signal;
    if (cut.aborted) return undefined;
    const items = await this.#outbox.peek(this.queue, limit);
    if (items.length === 0) return undefined;
    const ids = items.map((item) => item.id);
    await this.#outbox.markAttempt(this.queue, ids);
    let result: R;
    try {
      await this.#limiter.whenFree(cut);
      result = await this.#calls.call(async (signal) => {
        const sent: SentRequest[] = [];
        try {
          return await send(items, {
            signal,
            take: async () => void sent.push(await this.#limiter.take(signal)),
          });
        } finally {
          for (const request of sent) request.done();
        }
      }, {
        signal: cut,
        // What the destination answered, each attempt: an outage is news at its first failure.
        onAttemptFailed: (error) => {
          if (isTransient(error) || isServiceWide(error)) this.health.attemptFailed(error);
        },
      });
    } catch (error) {
      if (cut.aborted) return undefined; // cut short: the items wait for the next run
      return { ok: false, items, error };
    }
    this.health.delivered();
    await this.#outbox.ack(this.queue, ids);
    return { ok: true, items, result };
  }

  /** Moves items out of the queue into `queue` (dead letters: they can never be sent). */
  /** Payloads waiting in another queue of the outbox (where `moveTo` puts them aside). */
  size(queue: string): Promise<number> {
    return this.#outbox.size(queue);
  }

  async moveTo(items: readonly OutboxItem[], queue: string): Promise<void> {
    await this.#outbox.enqueue(queue, items.map((item) => item.payload), this.#clock.now());
    await this.#outbox.ack(this.queue, items.map((item) => item.id));
  }

  /** Runs `work` after the work queued before it, whatever that ended with. */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => {});
    return next;
  }
}
