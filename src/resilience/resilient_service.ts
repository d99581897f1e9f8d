import type { BreakerPermit, CircuitBreaker } from "../breaker/mod.ts";
import { type Clock, Deadlines } from "../clock/mod.ts";
import { CircuitOpenError, errorClass, RetriesExhaustedError, TimeoutError } from "../errors.ts";
import { Emitter } from "../events/mod.ts";
import type { CallContext, RetryHalt, RetryPolicy } from "../retry/mod.ts";
import { noTracing, type OpenSpan, type SpanAttributes, type Tracing } from "../tracing/mod.ts";
import type { Bulkhead } from "./bulkhead.ts";

/** How one service is called: its retry policy, breaker, attempt deadline and bulkhead. */
export interface ServiceCallPolicy {
  retry: RetryPolicy;
  breaker: CircuitBreaker;
  /** Deadline of one attempt, from the moment it is sent (a wait for a slot is not in it). */
  timeoutMs: number;
  /** Limits calls in flight to the service across all callers. */
  bulkhead?: Bulkhead;
  /** Longest wait for a bulkhead slot, on its own clock. @default no bound */
  slotWaitMs?: number;
  /** Run just before a request is admitted (after its slot): where processes share a
   * ledger, it brings the breaker up to date with what the others learned, so a service
   * another process found down is not called. */
  beforeSend?: () => Promise<void>;
}

/**
 * Announced when one attempt that reached the service ends. This is what an attempt means
 * everywhere: a request sent to the provider (a try the breaker or a slot refused is none).
 * The same attempts are counted against the contact in the ledger (`onSent`), in the metrics
 * and in the log.
 */
export interface AttemptEnd {
  service: string;
  /** 1 for the first attempt of a call; more for retries. */
  attempt: number;
  /** The call's labels (contactId, ...). */
  context: CallContext;
  /** Clock time it was sent. */
  sentAt: number;
  durationMs: number;
  /** `success`, or the class of the error it ended with. */
  outcome: string;
}

/** How a call's attempts appear in traces: each attempt that reaches the service is a client
 * span under the span active when the call began. */
export interface AttemptTrace<T = unknown> {
  /** The span's name. @default `<service> attempt` */
  name?: string;
  /** Known before the request goes (a model asked for, an operation). */
  attributes?: SpanAttributes;
  /** Learned from a successful answer (tokens used). */
  fromResult?: (value: T) => SpanAttributes;
}

/** Per-call options of {@link ResilientService.call}. */
export interface ServiceCallOptions<T = unknown> {
  /** Aborting stops the call at once (shutdown): nothing is counted against the service. */
  signal?: AbortSignal;
  /** Labels copied into the call's events (contactId, ...). */
  context?: CallContext;
  /** Called each time an attempt is admitted and sent to the service: the attempts
   * {@link AttemptEnd} announces, counted for this call. */
  onSent?: () => void;
  /** Called when an attempt that was sent fails, with its error (what the service said). */
  onAttemptFailed?: (error: unknown) => void;
  /** Whether the request may be sent again after this transient failure: not after a create
   * whose answer was lost (see the retry policy's `mayRepeat`). @default always */
  mayRepeat?: (error: unknown) => boolean;
  /** Attempts this call may send at most (the caller's cap, when nearer than the retry
   * policy's). @default the policy's */
  maxAttempts?: number;
  /**
   * Awaited just before an attempt is admitted (after its slot, before the breaker's permit):
   * where a count of attempts must survive a crash, the caller makes it durable here. Its
   * rejection ends the call with that error, the attempt unsent.
   */
  beforeAttempt?: () => Promise<void>;
  /** How its attempts appear in traces. */
  trace?: AttemptTrace<T>;
}

/**
 * One service's calls, the one composition every call goes through. The layers, outermost
 * first:
 *
 * 1. **retry** with backoff; it stops as soon as the breaker is OPEN (even mid-wait);
 * 2. **slot**: wait for a free bulkhead slot, bounded by `slotWaitMs` on its own (never the
 *    service's failure, never in the attempt's deadline);
 * 3. **admission**: the breaker decides when the request is about to be sent (first brought
 *    up to date with what other processes sharing the ledger learned, `beforeSend`), so a
 *    request that waited for a slot while the breaker opened is refused, not sent;
 * 4. **deadline**: one per attempt, starting now;
 * 5. the call; its outcome settles the breaker's permit.
 *
 * A service that asks for a pause longer than `maxRetryAfterMs` has its breaker held open
 * for that long, so no caller calls it before the time it asked for.
 */
export class ResilientService implements Disposable {
  readonly name: string;
  readonly policy: Readonly<ServiceCallPolicy>;
  readonly #clock: Clock;
  readonly #attempts = new Emitter<AttemptEnd>();
  readonly #halt: RetryHalt;
  readonly #deadlines: Deadlines;
  readonly #tracing: Tracing;
  /** A call's labels when it brings none of its own. */
  readonly #context: CallContext;

  constructor(
    name: string,
    policy: ServiceCallPolicy,
    deps: { clock: Clock; tracing?: Tracing },
  ) {
    this.name = name;
    this.policy = policy;
    this.#clock = deps.clock;
    this.#tracing = deps.tracing ?? noTracing;
    this.#context = Object.freeze({ service: name });

    const { timeoutMs } = policy;
    this.#deadlines = new Deadlines(
      deps.clock,
      timeoutMs,
      () => new TimeoutError({ service: name, timeoutMs }),
    );
    const { breaker } = policy;
    this.#halt = {
      check: () => breaker.openError(),
      subscribe: (stop) =>
        breaker.onStateChange((change) => {
          if (change.to === "OPEN") stop(breaker.openError() ?? new Error("circuit open"));
        }),
    };
  }

  /** Clears the deadline timer (calls still running are not cut short by it any more). */
  [Symbol.dispose](): void {
    this.#deadlines[Symbol.dispose]();
  }

  /** Subscribes to the end of every attempt that reached the service. */
  onAttemptEnd(listener: (event: AttemptEnd) => void): Disposable {
    return this.#attempts.on(listener);
  }

  /** Calls `fn` through every layer; `fn` gets a signal that aborts at the attempt's deadline. */
  async call<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    options: ServiceCallOptions<T> = {},
  ): Promise<T> {
    const { retry, breaker } = this.policy;
    const context = options.context ? { service: this.name, ...options.context } : this.#context;
    try {
      return await retry.execute(
        (attempt, signal) => this.#attempt(fn, attempt, signal, options),
        {
          signal: options.signal,
          context,
          halt: this.#halt,
          mayRepeat: options.mayRepeat,
          maxAttempts: options.maxAttempts,
        },
      );
    } catch (error) {
      if (error instanceof CircuitOpenError) {
        this.#tracing.event("breaker refused", {
          "ai_call_agent.service": this.name,
          "ai_call_agent.breaker.state": breaker.state,
        });
      }
      if (error instanceof RetriesExhaustedError && error.reason === "retry-after-too-long") {
        breaker.pauseFor(
          error.retryAfterMs ?? 0,
          `asked to wait ${Math.round((error.retryAfterMs ?? 0) / 1000)} s (Retry-After)`,
        );
      }
      throw error;
    }
  }

  #attempt<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    attempt: number,
    signal: AbortSignal | undefined,
    options: ServiceCallOptions<T>,
  ): Promise<T> {
    const { breaker, bulkhead } = this.policy;
    // Refused before queueing when OPEN already: no slot is held for a call that cannot go.
    const refused = breaker.openError();
    if (refused) return Promise.reject(refused);
    const send = () => this.#send(fn, attempt, signal, options);
    if (!bulkhead) return send();
    return bulkhead.run(send, {
      signal,
      waitMs: this.policy.slotWaitMs,
      clock: this.#clock,
    });
  }

  async #send<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    attempt: number,
    signal: AbortSignal | undefined,
    options: ServiceCallOptions<T>,
  ): Promise<T> {
    const { breaker, beforeSend } = this.policy;
    signal?.throwIfAborted();
    if (beforeSend) {
      await beforeSend();
      signal?.throwIfAborted();
    }
    if (options.beforeAttempt) {
      await options.beforeAttempt();
      signal?.throwIfAborted();
    }
    const permit = breaker.acquire();
    options.onSent?.();
    // The clock is read for the attempt's duration only when someone listens for it.
    const started = this.#attempts.hasListeners ? this.#clock.now() : 0;
    // With tracing off (the default) an attempt builds no span name or attributes at all.
    if (!this.#tracing.on) return this.#settled(fn, attempt, signal, options, permit, started);
    const trace = options.trace;
    return this.#tracing.span(trace?.name ?? `${this.name} attempt`, {
      kind: "client",
      attributes: {
        "ai_call_agent.service": this.name,
        "ai_call_agent.attempt": attempt,
        ...trace?.attributes,
      },
    }, (span) => this.#settled(fn, attempt, signal, options, permit, started, span));
  }

  /** Runs the admitted attempt within its deadline and settles its permit by its outcome,
   * which `span` (when traced) is told. */
  async #settled<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    attempt: number,
    signal: AbortSignal | undefined,
    options: ServiceCallOptions<T>,
    permit: BreakerPermit,
    started: number,
    span?: OpenSpan,
  ): Promise<T> {
    const { breaker } = this.policy;
    try {
      const result = await this.#deadlines.run(fn, signal);
      breaker.settle(permit, undefined);
      this.#ended(attempt, options.context, started, "success");
      span?.set({ "ai_call_agent.outcome": "success", ...options.trace?.fromResult?.(result) });
      return result;
    } catch (error) {
      breaker.settle(permit, error ?? new Error("attempt failed"), signal);
      const outcome = errorClass(error);
      this.#ended(attempt, options.context, started, outcome);
      span?.set({ "ai_call_agent.outcome": outcome });
      options.onAttemptFailed?.(error);
      throw error;
    }
  }

  #ended(attempt: number, context: CallContext = {}, started: number, outcome: string): void {
    if (this.#attempts.hasListeners) {
      this.#attempts.emit({
        service: this.name,
        attempt,
        context,
        sentAt: started,
        durationMs: this.#clock.now() - started,
        outcome,
      });
    }
  }
}
