import { type Clock, type Random, throwIfAborted } from "../clock/mod.ts";
import {
  CircuitOpenError,
  isTransient,
  RateLimitError,
  RetriesExhaustedError,
  SlotWaitTimeoutError,
} from "../errors.ts";
import { Emitter } from "../events/mod.ts";
import { type BackoffOptions, nextDelay } from "./backoff.ts";
import type { RetryBudget } from "./retry_budget.ts";
import type { RetryHalt } from "./retry_halt.ts";

/** Retry parameters; defaults live in `config/defaults.ts`. */
export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt; 0 disables retrying. */
  maxRetries: number;
  /** A Retry-After longer than this gives up at once instead of waiting. */
  maxRetryAfterMs: number;
}

/** Why a retry loop stopped without a result. */
export type GiveUpReason =
  | "permanent"
  | "not-repeatable"
  | "exhausted"
  | "retry-after-too-long"
  | "retry-budget"
  | "circuit-open"
  | "no-slot"
  | "aborted";

/** Free-form labels that travel with a call's events (service, contactId, ...). */
export type CallContext = Readonly<Record<string, string | undefined>>;

/** What a retry loop announces. `attempt` counts from 1. */
export type RetryEvent =
  | { type: "attempt"; attempt: number; context: CallContext }
  | { type: "success"; attempt: number; context: CallContext }
  | {
    type: "retry";
    attempt: number;
    delayMs: number;
    retryAfterMs?: number;
    error: unknown;
    context: CallContext;
  }
  | {
    type: "give-up";
    attempt: number;
    reason: GiveUpReason;
    error: unknown;
    context: CallContext;
  };

/** Per-call options of {@link RetryPolicy.execute}. */
export interface RetryCallOptions {
  /** Aborting stops the loop at once, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /** Labels copied into every event of this call. */
  context?: CallContext;
  /** Stops the loop before or during a wait, e.g. when the breaker opens: no waiting 20 s
   * to call a service known to be down. The loop rejects with the halt's error. */
  halt?: RetryHalt;
  /**
   * Whether the request may be sent again after this transient failure. A request that is not
   * idempotent (a phone call's create) may have taken effect when its answer was lost: the
   * loop then stops with the failure itself (`not-repeatable`) and the caller finds out what
   * happened before anything is sent again. @default every transient failure may be repeated
   */
  mayRepeat?: (error: unknown) => boolean;
  /**
   * Attempts this call may make at most, when the caller's own cap is nearer than the
   * policy's `maxRetries` (a contact with few attempts left at a step): the loop gives up as
   * `exhausted` once that many were made. @default maxRetries + 1
   */
  maxAttempts?: number;
}

const noContext: CallContext = Object.freeze({});

/**
 * Retries transient failures with exponential backoff and jitter. The policy holds no
 * per-call state, so one instance serves any number of concurrent calls.
 */
export class RetryPolicy {
  readonly options: Readonly<RetryOptions>;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #events = new Emitter<RetryEvent>();
  readonly #budget?: RetryBudget;

  /** With `budget`, every call's first attempt earns retries and each retry spends one: a
   * retry the budget refuses ends the call (`retry-budget`). */
  constructor(
    options: RetryOptions,
    deps: { clock: Clock; random: Random; budget?: RetryBudget },
  ) {
    validateRetryOptions(options);
    this.options = Object.freeze({ ...options });
    this.#clock = deps.clock;
    this.#random = deps.random;
    this.#budget = deps.budget;
  }

  /** Subscribes to every attempt, delay, success and give-up. */
  onEvent(listener: (event: RetryEvent) => void): Disposable {
    return this.#events.on(listener);
  }

  /**
   * Calls `fn` until it succeeds, fails permanently, or the retries run out. Gives up with the
   * permanent error itself, the halt's error (the breaker opened), the signal's reason, or a
   * {@link RetriesExhaustedError} that keeps why (`exhausted`, `retry-after-too-long`), how
   * many attempts were made and the last failure.
   */
  async execute<T>(
    fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
    options: RetryCallOptions = {},
  ): Promise<T> {
    const { signal, halt, maxAttempts = Infinity } = options;
    if (!(maxAttempts >= 1)) {
      throw new RangeError(`maxAttempts must be at least 1: got ${maxAttempts}`);
    }
    signal?.throwIfAborted();
    const context = options.context ?? noContext;
    const events = this.#events;
    let previousDelay = this.options.initialDelayMs;
    this.#budget?.deposit();
    for (let attempt = 1;; attempt++) {
      if (events.hasListeners) events.emit({ type: "attempt", attempt, context });
      let error: unknown;
      try {
        const result = await fn(attempt, signal);
        if (events.hasListeners) events.emit({ type: "success", attempt, context });
        return result;
      } catch (caught) {
        error = caught;
      }
      // A transient failure that left the breaker OPEN ends the loop as circuit-open even on
      // the last attempt: the service is down, not this contact's call.
      const halted = isTransient(error) && !signal?.aborted ? halt?.check() : undefined;
      const decided = halted
        ? "circuit-open"
        : isTransient(error) && options.mayRepeat?.(error) === false && !signal?.aborted
        ? "not-repeatable"
        : this.#decide(error, attempt, previousDelay, signal, maxAttempts);
      // A retry is sent only if the service's budget has one left.
      const decision = typeof decided !== "string" && this.#budget?.tryWithdraw() === false
        ? "retry-budget"
        : decided;
      if (typeof decision === "string") {
        if (events.hasListeners) {
          events.emit({ type: "give-up", attempt, reason: decision, error, context });
        }
        throw this.#giveUpError(decision, error, attempt, context, signal, halted);
      }
      previousDelay = decision.delayMs;
      if (events.hasListeners) events.emit({ type: "retry", attempt, ...decision, error, context });
      await this.#wait(decision.delayMs, attempt, context, signal, halt);
      throwIfAborted(signal);
    }
  }

  #giveUpError(
    reason: GiveUpReason,
    error: unknown,
    attempts: number,
    context: CallContext,
    signal?: AbortSignal,
    halted?: Error,
  ): unknown {
    switch (reason) {
      case "aborted":
        return signal!.reason;
      case "circuit-open":
        return halted ?? error;
      case "no-slot":
      case "permanent":
      case "not-repeatable":
        return error;
      case "exhausted":
      case "retry-after-too-long":
      case "retry-budget":
        return new RetriesExhaustedError({
          service: context.service ?? (error as { service?: string })?.service ?? "unknown",
          reason,
          attempts,
          cause: error,
          retryAfterMs: error instanceof RateLimitError ? error.retryAfterMs : undefined,
        });
    }
  }

  async #wait(
    delayMs: number,
    attempt: number,
    context: CallContext,
    signal?: AbortSignal,
    halt?: RetryHalt,
  ): Promise<void> {
    let waitSignal = signal;
    let subscription: Disposable | undefined;
    if (halt) {
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      const haltSubscription = halt.subscribe((error) => controller.abort(error));
      subscription = {
        [Symbol.dispose]: () => {
          signal?.removeEventListener("abort", onAbort);
          haltSubscription[Symbol.dispose]();
        },
      };
      waitSignal = controller.signal;
    }
    try {
      await this.#clock.sleep(delayMs, waitSignal);
    } catch (reason) {
      const why: GiveUpReason = signal?.aborted ? "aborted" : "circuit-open";
      if (this.#events.hasListeners) {
        this.#events.emit({ type: "give-up", attempt, reason: why, error: reason, context });
      }
      throw reason;
    } finally {
      subscription?.[Symbol.dispose]();
    }
  }

  #decide(
    error: unknown,
    attempt: number,
    previousDelay: number,
    signal: AbortSignal | undefined,
    maxAttempts: number,
  ): GiveUpReason | { delayMs: number; retryAfterMs?: number } {
    if (signal?.aborted) return "aborted";
    if (error instanceof CircuitOpenError) return "circuit-open";
    if (error instanceof SlotWaitTimeoutError) return "no-slot";
    if (!isTransient(error)) return "permanent";
    if (attempt > this.options.maxRetries || attempt >= maxAttempts) return "exhausted";
    const backoff = nextDelay(this.options, attempt - 1, previousDelay, this.#random);
    if (error instanceof RateLimitError && error.retryAfterMs !== undefined) {
      if (error.retryAfterMs > this.options.maxRetryAfterMs) return "retry-after-too-long";
      return { delayMs: Math.max(backoff, error.retryAfterMs), retryAfterMs: error.retryAfterMs };
    }
    return { delayMs: backoff };
  }
}

/** Throws a RangeError naming the field and its bounds for any unusable retry option. */
export function validateRetryOptions(options: RetryOptions): void {
  const check = (field: keyof RetryOptions, ok: boolean, rule: string) => {
    if (!ok) throw new RangeError(`retry.${field} ${rule}: got ${options[field]}`);
  };
  check(
    "maxRetries",
    Number.isInteger(options.maxRetries) && options.maxRetries >= 0 &&
      options.maxRetries <= 20,
    "must be an integer between 0 and 20",
  );
  check("initialDelayMs", options.initialDelayMs >= 0, "must be >= 0");
  check("base", options.base >= 1, "must be >= 1");
  check("maxDelayMs", options.maxDelayMs >= options.initialDelayMs, "must be >= initialDelayMs");
  check("jitterMs", options.jitterMs >= 0, "must be >= 0");
  check("maxRetryAfterMs", options.maxRetryAfterMs >= 0, "must be >= 0");
}
