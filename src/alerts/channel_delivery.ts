import { getLogger } from "@logtape/logtape";
import { type BreakerOptions, CircuitBreaker } from "../breaker/mod.ts";
import type { Clock, Random } from "../clock/mod.ts";
import { errorClass } from "../errors.ts";
import type { Outbox } from "../ledger/mod.ts";
import { RateLimiter, ResilientService } from "../resilience/mod.ts";
import { type RetryOptions, RetryPolicy } from "../retry/mod.ts";
import type { AlertChannel, Notification } from "./alert.ts";

const logger = getLogger(["ai-call-agent", "alerts"]);

/** How a channel's deliveries are made. */
export interface DeliveryOptions {
  retry: RetryOptions;
  breaker: BreakerOptions;
  /** Messages per minute the channel accepts (Telegram: about 20 per chat). */
  perMinute: number;
}

/** What happened to one notification on one channel. */
export interface DeliveryResult {
  channel: string;
  notification: Notification;
  outcome: "delivered" | "outboxed" | "replayed";
  error?: string;
}

/**
 * Delivers notifications to one channel: rate limited, retried, under the channel's own
 * breaker. A notification that cannot be delivered goes to the durable outbox, and so does
 * every one after it while the outbox is not empty, so they are replayed in order. Never
 * throws: a failure is logged and reported.
 */
export class ChannelDelivery implements Disposable {
  readonly channel: AlertChannel;
  readonly breaker: CircuitBreaker;
  readonly #calls: ResilientService;
  readonly #limiter: RateLimiter;
  readonly #outbox: Outbox;
  readonly #clock: Clock;
  readonly #queue: string;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    channel: AlertChannel,
    options: DeliveryOptions,
    deps: { clock: Clock; random: Random; outbox: Outbox },
  ) {
    this.channel = channel;
    this.#clock = deps.clock;
    this.#outbox = deps.outbox;
    this.#queue = `alerts:${channel.name}`;
    // A channel has no health probe: the first delivery after the recovery timeout is the trial.
    this.breaker = new CircuitBreaker(
      `alerts:${channel.name}`,
      { ...options.breaker, halfOpenRequiresHealthyProbe: false },
      deps,
    );
    this.#calls = new ResilientService(`alerts:${channel.name}`, {
      retry: new RetryPolicy(options.retry, deps),
      breaker: this.breaker,
      timeoutMs: channel.timeoutMs ?? 10_000,
    }, deps);
    this.#limiter = new RateLimiter({ perMinute: options.perMinute }, deps);
  }

  /** Clears the delivery's deadline timer. */
  [Symbol.dispose](): void {
    this.#calls[Symbol.dispose]();
  }

  /** Notifications waiting in the outbox. */
  pending(): Promise<number> {
    return this.#outbox.size(this.#queue);
  }

  /** Delivers `notification` (after any waiting in the outbox). Resolves with what happened. */
  deliver(notification: Notification): Promise<DeliveryResult> {
    return this.#serial(async () => {
      if (await this.#outbox.size(this.#queue) > 0) {
        // Older messages wait: this one queues behind them, so the order holds.
        await this.#outbox.enqueue(this.#queue, [JSON.stringify(notification)], this.#clock.now());
        const replayed = await this.#replay();
        const outcome = replayed.has(notification.id) ? "replayed" : "outboxed";
        return { channel: this.channel.name, notification, outcome };
      }
      try {
        await this.#send(notification);
        return { channel: this.channel.name, notification, outcome: "delivered" };
      } catch (error) {
        logger.error("Alert {id} to {channel} failed ({errorClass}); kept in the outbox", {
          id: notification.id,
          channel: this.channel.name,
          errorClass: errorClass(error),
        });
        await this.#outbox.enqueue(this.#queue, [JSON.stringify(notification)], this.#clock.now());
        return {
          channel: this.channel.name,
          notification,
          outcome: "outboxed",
          error: errorClass(error),
        };
      }
    });
  }

  /** Sends what waits in the outbox, oldest first, stopping at the first failure. */
  replay(): Promise<number> {
    return this.#serial(async () => (await this.#replay()).size);
  }

  /** Replays the outbox; resolves with the ids of the notifications it delivered. */
  async #replay(): Promise<Set<string>> {
    const sent = new Set<string>();
    while (true) {
      const [item] = await this.#outbox.peek(this.#queue, 1);
      if (!item) return sent;
      const notification = JSON.parse(item.payload) as Notification;
      try {
        await this.#send(notification);
      } catch {
        await this.#outbox.markAttempt(this.#queue, [item.id]);
        return sent;
      }
      await this.#outbox.ack(this.#queue, [item.id]);
      sent.add(notification.id);
    }
  }

  async #send(notification: Notification): Promise<void> {
    await this.#limiter.take();
    await this.#calls.call((signal) => this.channel.send(notification, signal));
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => {});
    return next;
  }
}
