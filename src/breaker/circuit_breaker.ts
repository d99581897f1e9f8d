import type { Clock } from "../clock/mod.ts";
import {
  CircuitOpenError,
  errorClass,
  isServiceWide,
  PermanentError,
  ServiceError,
} from "../errors.ts";
import { Emitter } from "../events/mod.ts";
import { type BreakerOptions, validateBreakerOptions } from "./breaker_options.ts";
import { OutcomeWindow } from "./outcome_window.ts";

/** The three states of a breaker. */
export type BreakerState = "CLOSED" | "OPEN" | "HALF_OPEN";

/** Announced on every state change. */
export interface BreakerStateChange {
  service: string;
  from: BreakerState;
  to: BreakerState;
  /** Why: `3 consecutive failures`, `service-wide AuthenticationError`, `trial succeeded`... */
  reason: string;
  /** Clock time of the change. */
  at: number;
}

/** A point-in-time view of a breaker, for status pages and metrics. */
export interface BreakerSnapshot {
  service: string;
  state: BreakerState;
  /** Whether an operator forced it open: it stays OPEN until reset. */
  forced: boolean;
  consecutiveFailures: number;
  windowCalls: number;
  windowFailures: number;
  /** Time until OPEN may turn HALF_OPEN; 0 when not OPEN or already due. */
  remainingMs: number;
  /** Clock time it last opened, if ever. */
  openedAt?: number;
  /** Class of the last failure it counted. */
  lastErrorClass?: string;
  halfOpenInFlight: number;
}

/** What a finished call means to the breaker. */
type Verdict = "success" | "failure" | "service-wide" | "ignored";

/**
 * A circuit breaker for one service. CLOSED counts failed attempts; OPEN rejects at once with
 * {@link CircuitOpenError} without calling the service; HALF_OPEN admits at most
 * `halfOpenMaxCalls` trials at once. Contact-specific permanent errors and errors outside the
 * taxonomy (our own bugs) are ignored; service-wide
 * ones open it at once. Results of calls admitted before a state change are ignored, so a slow
 * call that started while CLOSED cannot close a breaker that has since reopened.
 */
export class CircuitBreaker {
  readonly service: string;
  readonly options: Readonly<BreakerOptions>;
  readonly #clock: Clock;
  readonly #changes = new Emitter<BreakerStateChange>();
  readonly #window: OutcomeWindow;
  #state: BreakerState = "CLOSED";
  #generation = 0;
  #consecutiveFailures = 0;
  #openedAt?: number;
  #forced = false;
  #halfOpenInFlight = 0;
  #halfOpenSuccesses = 0;
  #lastErrorClass?: string;

  constructor(service: string, options: BreakerOptions, deps: { clock: Clock }) {
    validateBreakerOptions(options);
    this.service = service;
    this.options = Object.freeze({ ...options });
    this.#clock = deps.clock;
    this.#window = new OutcomeWindow(options.slidingWindowSize);
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** Subscribes to state changes; a throwing listener cannot break the breaker. */
  onStateChange(listener: (change: BreakerStateChange) => void): Disposable {
    return this.#changes.on(listener);
  }

  /**
   * Calls `fn` if the breaker admits it, and counts its outcome. Rejects with
   * {@link CircuitOpenError} without calling `fn` when OPEN, or HALF_OPEN with every trial
   * slot taken. A failure after `signal` aborted is the caller giving up, and is not counted.
   */
  execute<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    // Not an async function: one promise less per call on the hot path.
    let permit: number;
    try {
      permit = this.acquire();
    } catch (error) {
      return Promise.reject(error);
    }
    let pending: Promise<T>;
    try {
      pending = fn();
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(this.successHandler(permit), (error) => {
      this.recordFailure(permit, error, signal);
      throw error;
    });
  }

  /**
   * The low-level half of {@link execute}, for callers that compose their own pipeline: admits
   * a call and returns its permit, or throws {@link CircuitOpenError}. Every permit must be
   * settled with {@link recordSuccess} or {@link recordFailure}.
   */
  acquire(): number {
    const generation = this.#admit();
    // A permit is the state generation it was admitted in, and whether it is a trial.
    return generation * 2 + (this.#state === "HALF_OPEN" ? 1 : 0);
  }

  /** Settles `permit` as a success. */
  recordSuccess(permit: number): void {
    this.#settle(permit >> 1, (permit & 1) === 1, "success");
  }

  /** Settles `permit` as failed with `error`; not counted if `signal` had aborted. */
  recordFailure(permit: number, error: unknown, signal?: AbortSignal): void {
    this.#settle(
      permit >> 1,
      (permit & 1) === 1,
      signal?.aborted ? "ignored" : verdictOf(error),
      error,
    );
  }

  /**
   * A `then` handler that records success for `permit` and passes the result on; shared by
   * every call of one state generation, so a success allocates nothing.
   */
  successHandler(permit: number): <T>(result: T) => T {
    if (this.#successHandler?.permit !== permit) {
      this.#successHandler = {
        permit,
        handle: (result) => {
          this.recordSuccess(permit);
          return result;
        },
      };
    }
    return this.#successHandler.handle;
  }

  #successHandler?: { permit: number; handle: <T>(result: T) => T };

  /**
   * A halt for retry loops: stop at once when this breaker is or becomes OPEN, rather than
   * wait to call a service known to be down.
   */
  readonly haltWhenOpen = {
    check: (): Error | undefined =>
      this.#state === "OPEN"
        ? new CircuitOpenError({ service: this.service, remainingMs: this.remainingMs() })
        : undefined,
    subscribe: (stop: (error: Error) => void): Disposable =>
      this.#changes.on((change) => {
        if (change.to === "OPEN") {
          stop(new CircuitOpenError({ service: this.service, remainingMs: this.remainingMs() }));
        }
      }),
  };

  /** Retry-call options with only {@link haltWhenOpen}, shared to save an allocation per call. */
  readonly retryOptions = Object.freeze({ halt: this.haltWhenOpen });

  /** Time until OPEN may turn HALF_OPEN: 0 when not OPEN or already due. */
  remainingMs(): number {
    if (this.#state !== "OPEN" || this.#openedAt === undefined) return 0;
    return Math.max(0, this.#openedAt + this.options.recoveryTimeoutMs - this.#clock.now());
  }

  /**
   * Told by the health checker how the service's probe went. A healthy probe moves an OPEN
   * breaker whose recovery timeout has passed to HALF_OPEN; an unhealthy one keeps it OPEN.
   */
  reportProbe(healthy: boolean): void {
    if (healthy && this.#state === "OPEN" && !this.#forced && this.remainingMs() === 0) {
      this.#transition("HALF_OPEN", "recovery timeout passed and health probe is healthy");
    }
  }

  /** Opens the breaker and keeps it open until {@link reset} (operator action). */
  forceOpen(reason = "forced open by operator"): void {
    this.#forced = true;
    if (this.#state !== "OPEN") this.#open(reason);
  }

  /** Closes the breaker and clears its counters (operator action). */
  reset(reason = "reset by operator"): void {
    this.#forced = false;
    this.#clearCounts();
    if (this.#state !== "CLOSED") this.#transition("CLOSED", reason);
  }

  snapshot(): BreakerSnapshot {
    return {
      service: this.service,
      state: this.#state,
      forced: this.#forced,
      consecutiveFailures: this.#consecutiveFailures,
      windowCalls: this.#window.calls,
      windowFailures: this.#window.failures,
      remainingMs: this.remainingMs(),
      openedAt: this.#openedAt,
      lastErrorClass: this.#lastErrorClass,
      halfOpenInFlight: this.#halfOpenInFlight,
    };
  }

  #admit(): number {
    if (this.#state === "OPEN") {
      if (!this.#forced && !this.options.halfOpenRequiresHealthyProbe && this.remainingMs() === 0) {
        this.#transition("HALF_OPEN", "recovery timeout passed");
      } else {
        throw this.#rejection(this.remainingMs());
      }
    }
    if (this.#state === "HALF_OPEN") {
      if (this.#halfOpenInFlight >= this.options.halfOpenMaxCalls) {
        throw this.#rejection(0, "circuit half-open, trial calls in flight");
      }
      this.#halfOpenInFlight++;
    }
    return this.#generation;
  }

  /**
   * A fail-fast rejection without a stack trace: capturing one costs microseconds, and its
   * stack would only ever point here.
   */
  #rejection(remainingMs: number, message?: string): CircuitOpenError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new CircuitOpenError({ service: this.service, remainingMs, message });
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  #settle(generation: number, trial: boolean, verdict: Verdict, error?: unknown): void {
    if (generation !== this.#generation) return; // admitted before a state change: stale
    if (trial) this.#halfOpenInFlight--;
    if (verdict === "ignored") return;
    if (verdict === "success") return this.#onSuccess(trial);
    this.#lastErrorClass = errorClass(error);
    if (verdict === "service-wide") return this.#open(`service-wide ${this.#lastErrorClass}`);
    this.#onFailure(trial);
  }

  #onSuccess(trial: boolean): void {
    if (trial) {
      const successes = ++this.#halfOpenSuccesses;
      if (successes >= this.options.successThreshold) {
        this.#clearCounts();
        this.#transition("CLOSED", `${successes} trial call(s) succeeded`);
      }
      return;
    }
    this.#consecutiveFailures = 0;
    if (this.options.mode === "failure-rate") this.#window.record(false);
  }

  #onFailure(trial: boolean): void {
    if (trial) return this.#open(`trial call failed (${this.#lastErrorClass})`);
    this.#consecutiveFailures++;
    if (this.options.mode === "consecutive") {
      if (this.#consecutiveFailures >= this.options.failureThreshold) {
        this.#open(`${this.#consecutiveFailures} consecutive failures (${this.#lastErrorClass})`);
      }
      return;
    }
    this.#window.record(true);
    const { calls, failures } = this.#window;
    if (
      calls >= this.options.minimumCalls && failures / calls >= this.options.failureRateThreshold
    ) {
      this.#open(`failure rate ${Math.round((failures / calls) * 100)}% over ${calls} calls`);
    }
  }

  #open(reason: string): void {
    this.#openedAt = this.#clock.now();
    this.#clearCounts();
    this.#transition("OPEN", reason);
  }

  #clearCounts(): void {
    this.#consecutiveFailures = 0;
    this.#window.clear();
    this.#halfOpenSuccesses = 0;
    this.#halfOpenInFlight = 0;
  }

  #transition(to: BreakerState, reason: string): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.#halfOpenSuccesses = 0;
    this.#halfOpenInFlight = 0;
    if (this.#changes.hasListeners) {
      this.#changes.emit({ service: this.service, from, to, reason, at: this.#clock.now() });
    }
  }
}

function verdictOf(error: unknown): Verdict {
  // Service wrappers map every provider failure into the taxonomy; anything else (a
  // TypeError from our own code) is a bug, not the service's failure.
  if (!(error instanceof ServiceError)) return "ignored";
  if (isServiceWide(error)) return "service-wide";
  if (error instanceof PermanentError) return "ignored"; // this contact's problem, not the service's
  return "failure";
}
