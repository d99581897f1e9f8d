import { getLogger } from "@logtape/logtape";
import type { BreakerOptions, CircuitBreaker } from "../breaker/mod.ts";
import type { Clock, Random } from "../clock/mod.ts";
import type { Tracing } from "../tracing/mod.ts";
import { describeError } from "../errors.ts";
import type { Outbox } from "../ledger/mod.ts";
import { type DeliveryHealth, type DeliveryStatus, DurableDelivery } from "../delivery/mod.ts";
import { literalMessage } from "../logging/mod.ts";
import type { RetryOptions } from "../retry/mod.ts";
import type { AlertChannel, Notification } from "./alert.ts";

const logger = getLogger(["ai-call-agent", "alerts"]);

/** How a channel's deliveries are made. */
export interface DeliveryOptions {
  retry: RetryOptions;
  breaker: BreakerOptions;
  /** Messages per minute the channel accepts (Telegram: about 20 per chat). */
  perMinute: number;
  /** Deadline of one delivery attempt. */
  timeoutMs: number;
  /** How long without a message going through, from the first failed attempt, before the
   * channel counts as stalled (alerted on the other channels). */
  stalledAfterMs: number;
}

/** What happened to one notification on one channel. */
export interface DeliveryResult {
  channel: string;
  notification: Notification;
  outcome: "delivered" | "outboxed" | "replayed";
  /** Why it was not delivered: the error's class, and what the channel's provider said. */
  errorClass?: string;
  error?: string;
}

/**
 * Delivers notifications to one channel through its {@link DurableDelivery} (queue
 * `alerts:<channel>`): rate limited, retried, under the channel's own breaker. Each
 * notification joins the channel's queue and the queue is sent oldest first, so one that
 * cannot be delivered waits there, and every one after it waits behind it: they go out in
 * order once the channel answers. Never throws: a failure is logged and reported.
 */
export class ChannelDelivery implements Disposable {
  readonly channel: AlertChannel;
  readonly breaker: CircuitBreaker;
  readonly #delivery: DurableDelivery;

  constructor(
    channel: AlertChannel,
    options: DeliveryOptions,
    deps: { clock: Clock; random: Random; outbox: Outbox; tracing?: Tracing },
  ) {
    this.channel = channel;
    this.#delivery = new DurableDelivery(`alerts:${channel.name}`, {
      retry: options.retry,
      breaker: options.breaker,
      perMinute: options.perMinute,
      timeoutMs: options.timeoutMs,
      stalledAfterMs: options.stalledAfterMs,
    }, deps);
    this.breaker = this.#delivery.breaker;
  }

  /** Whether the channel takes messages, attempt by attempt. */
  get health(): DeliveryHealth {
    return this.#delivery.health;
  }

  /** Stops sending now (a run's exit waited long enough): unsent messages stay queued. */
  cutShort(): void {
    this.#delivery.cutShort();
  }

  /** Clears the delivery's deadline timer. */
  [Symbol.dispose](): void {
    this.#delivery[Symbol.dispose]();
  }

  /** Notifications waiting in the outbox. */
  pending(): Promise<number> {
    return this.#delivery.pending();
  }

  /** The channel's delivery, as a status page shows it. */
  async status(): Promise<{ name: string } & DeliveryStatus> {
    return { name: this.channel.name, ...await this.#delivery.status() };
  }

  /** Delivers `notification` (after any waiting in the outbox). Resolves with what happened. */
  deliver(notification: Notification): Promise<DeliveryResult> {
    return this.#delivery.serial(async () => {
      const waitingBefore = await this.#delivery.pending();
      await this.#delivery.enqueue([JSON.stringify(notification)]);
      const { sent, error } = await this.#replay();
      const result = { channel: this.channel.name, notification };
      if (sent.has(notification.id)) {
        return { ...result, outcome: waitingBefore > 0 ? "replayed" : "delivered" };
      }
      if (waitingBefore === 0) {
        const failure = describeError(error);
        logger.error(
          literalMessage(
            `Alert ${notification.id} to ${this.channel.name} failed (${failure.errorClass}: ${failure.message}); kept in the outbox`,
          ),
          { id: notification.id, channel: this.channel.name, ...failure },
        );
        return {
          ...result,
          outcome: "outboxed",
          errorClass: failure.errorClass,
          error: failure.message,
        };
      }
      return { ...result, outcome: "outboxed" };
    });
  }

  /** Sends what waits in the outbox, oldest first, stopping at the first failure. */
  replay(): Promise<number> {
    return this.#delivery.serial(async () => (await this.#replay()).sent.size);
  }

  /** Sends the queue, oldest first, until it is empty or a send fails. */
  async #replay(): Promise<{ sent: Set<string>; error?: unknown }> {
    const sent = new Set<string>();
    while (true) {
      const outcome = await this.#delivery.sendOldest(1, async ([item], { signal, take }) => {
        const notification = JSON.parse(item.payload) as Notification;
        await take();
        await this.channel.send(notification, signal);
        return notification.id;
      });
      if (!outcome) return { sent };
      if (!outcome.ok) return { sent, error: outcome.error };
      sent.add(outcome.result);
    }
  }
}
