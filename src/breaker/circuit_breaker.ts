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

/** Announced on every state change, and when an operator forces an open breaker open. */
export interface BreakerStateChange {
  service: string;
  from: BreakerState;
  to: BreakerState;
  /** Why: `3 consecutive failures`, `service-wide AuthenticationError`, `trial succeeded`... */
  reason: string;
  /** Clock time of the change. */
  at: number;
  /** Whether an operator holds it open after the change (only an operator's reset ends it). */
  forced: boolean;
  /** Whether an operator made the change ({@link CircuitBreaker.forceOpen},
   * {@link CircuitBreaker.reset}). */
  operator: boolean;
}

/** Who forced a breaker open, and when. */
export interface ForcedBy {
  /** The operator's agent (`pid@host/start`), or the agent whose operator it was. */
  by: string;
  /** Clock time of the forced opening. */
  at: number;
}

/** A point-in-time view of a breaker, for status pages and metrics. */
export interface BreakerSnapshot {
  service: string;
  state: BreakerState;
  /** Whether an operator forced it open: it stays OPEN until reset. */
  forced: boolean;
  /** Who forced it open and when, while it is. */
  forcedBy?: ForcedBy;
  consecutiveFailures: number;
  windowCalls: number;
  windowFailures: number;
  /** Time until OPEN may turn HALF_OPEN: 0 when not OPEN or already due; `Infinity` while
   * an operator holds it open. */
  remainingMs: number;
  /** Clock time it last opened, if ever. */
  openedAt?: number;
  /** Why it last opened. */
  openReason?: string;
  /** Class of the last failure it counted. */
  lastErrorClass?: string;
  /** What the last failure it counted said (its class and message: the provider's words). */
  lastError?: string;
  halfOpenInFlight: number;
}

/**
 * An admitted call, to be settled once with {@link CircuitBreaker.settle}. It remembers the
 * state generation it was admitted in, so the late outcome of an earlier state is ignored.
 */
export interface BreakerPermit {
  readonly generation: number;
  readonly trial: boolean;
}

/** What a finished call means to the breaker. */
type Verdict = "success" | "failure" | "service-wide" | "ignored";

/**
 * A circuit breaker for one service. CLOSED counts failed attempts; OPEN rejects at once with
 * {@link CircuitOpenError} without calling the service; HALF_OPEN admits at most
 * `halfOpenMaxCalls` trials at once. Contact-specific permanent errors and errors outside the
 * taxonomy (our own bugs) are ignored; service-wide ones open it at once. Results of calls
 * admitted before a state change are ignored, so a slow call that started while CLOSED cannot
 * close a breaker that has since reopened.
 *
 * Time-based transitions (OPEN to HALF_OPEN when no probe is required, a HALF_OPEN trial that
 * outlived `halfOpenMaxWaitMs` back to OPEN) are applied by {@link state} itself, the one query
 * every caller uses, and announced like any other change.
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
  #openReason?: string;
  /** Clock time OPEN may turn HALF_OPEN. */
  #retryAt = 0;
  /** Clock time the oldest trial in flight was admitted. */
  #trialSince = 0;
  #forced = false;
  #forcedBy?: ForcedBy;
  #halfOpenInFlight = 0;
  #halfOpenSuccesses = 0;
  #lastErrorClass?: string;
  /** The last failure it counted: the cause its refusals carry. */
  #lastError?: unknown;
  /** One rejection per state generation: a fail-fast call builds no Error of its own. */
  #rejection?: { generation: number; error: CircuitOpenError };
  readonly #permits: [BreakerPermit, BreakerPermit] = [
    { generation: 0, trial: false },
    { generation: 0, trial: true },
  ];

  constructor(service: string, options: BreakerOptions, deps: { clock: Clock }) {
    validateBreakerOptions(options);
    this.service = service;
    this.options = Object.freeze({ ...options });
    this.#clock = deps.clock;
    this.#window = new OutcomeWindow(options.slidingWindowSize);
  }

  /**
   * The state now, with the timeout rules applied: an OPEN breaker whose recovery time has
   * passed turns HALF_OPEN here when no healthy probe is required, and a HALF_OPEN trial that
   * outlived `halfOpenMaxWaitMs` reopens it.
   */
  get state(): BreakerState {
    if (this.#state === "OPEN") {
      if (
        !this.#forced && !this.options.halfOpenRequiresHealthyProbe &&
        this.#clock.now() >= this.#retryAt
      ) {
        this.#transition("HALF_OPEN", "recovery timeout passed");
      }
    } else if (
      this.#state === "HALF_OPEN" && this.#halfOpenInFlight > 0 &&
      this.#clock.now() - this.#trialSince >= this.options.halfOpenMaxWaitMs
    ) {
      this.#open(`trial call unfinished after ${this.options.halfOpenMaxWaitMs} ms`);
    }
    return this.#state;
  }

  /** Subscribes to state changes; a throwing listener cannot break the breaker. */
  onStateChange(listener: (change: BreakerStateChange) => void): Disposable {
    return this.#changes.on(listener);
  }

  /**
   * Calls `fn` if the breaker admits it, and counts its outcome. Rejects with
   * {@link CircuitOpenError} without calling `fn` when OPEN, or HALF_OPEN with every trial
   * slot taken; with `signal.reason`, without calling `fn`, when `signal` has already aborted.
   * A failure after `signal` aborted is the caller giving up, and is not counted.
   */
  async execute<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const permit = this.acquire();
    try {
      const result = await fn();
      this.settle(permit, undefined);
      return result;
    } catch (error) {
      this.settle(permit, error, signal);
      throw error;
    }
  }

  /**
   * Admits one call and returns its permit, or throws {@link CircuitOpenError} (OPEN, or
   * HALF_OPEN with every trial slot taken). Every permit must be settled with {@link settle}.
   */
  acquire(): BreakerPermit {
    const state = this.state;
    if (state === "OPEN") throw this.#rejectionError("circuit open");
    if (state === "HALF_OPEN") {
      if (this.#halfOpenInFlight >= this.options.halfOpenMaxCalls) {
        throw this.#rejectionError("circuit half-open, trial calls in flight");
      }
      if (this.#halfOpenInFlight++ === 0) this.#trialSince = this.#clock.now();
      return this.#permit(true);
    }
    return this.#permit(false);
  }

  /**
   * Settles `permit`: a success when `error` is undefined, else a failure judged by the
   * error's class. Not counted when `signal` had aborted (the caller gave up), nor when the
   * breaker changed state since the permit was issued.
   */
  settle(permit: BreakerPermit, error: unknown, signal?: AbortSignal): void {
    if (permit.generation !== this.#generation) return; // admitted before a state change
    if (permit.trial) this.#halfOpenInFlight--;
    const verdict = error === undefined
      ? "success"
      : signal?.aborted
      ? "ignored"
      : verdictOf(error);
    if (verdict === "ignored") return;
    if (verdict === "success") return this.#onSuccess(permit.trial);
    this.#lastErrorClass = errorClass(error);
    this.#lastError = error;
    if (verdict === "service-wide") return this.#open(`service-wide ${this.#lastErrorClass}`);
    this.#onFailure(permit.trial);
  }

  /** The rejection a call gets now, or undefined if it would be admitted: for retry loops
   * that must stop as soon as the breaker is OPEN. */
  openError(): CircuitOpenError | undefined {
    return this.state === "OPEN" ? this.#rejectionError("circuit open") : undefined;
  }

  /** Time until OPEN may turn HALF_OPEN: 0 when not OPEN or already due; `Infinity` while an
   * operator holds it open. */
  remainingMs(): number {
    if (this.#state !== "OPEN") return 0;
    if (this.#forced) return Infinity;
    return Math.max(0, this.#retryAt - this.#clock.now());
  }

  /**
   * Told by the health checker how the service's probe went. A healthy probe moves an OPEN
   * breaker whose recovery time has passed to HALF_OPEN; an unhealthy one keeps it OPEN.
   */
  reportProbe(healthy: boolean): void {
    if (healthy && this.state === "OPEN" && !this.#forced && this.remainingMs() === 0) {
      this.#transition("HALF_OPEN", "recovery timeout passed and health probe is healthy");
    }
  }

  /**
   * Opens the breaker (or keeps it open) until at least `ms` from now: the service asked for
   * a pause (a Retry-After longer than anyone should wait in a retry loop).
   */
  pauseFor(ms: number, reason: string): void {
    const until = this.#clock.now() + Math.max(0, ms);
    if (this.#state === "OPEN") {
      this.#retryAt = Math.max(this.#retryAt, until);
      return;
    }
    this.#open(reason, until);
  }

  /** Whether an operator holds it open (no trial, probe or time ends that; {@link reset}
   * does). */
  get forced(): boolean {
    return this.#forced;
  }

  /** Opens the breaker and keeps it open until {@link reset} (operator action; `forcedBy` says
   * who and when, this process now by default). Announced even when it was already OPEN, so
   * the operator's action leaves a trace. */
  forceOpen(reason = "forced open by operator", forcedBy?: ForcedBy): void {
    this.#forced = true;
    this.#forcedBy = forcedBy ?? { by: "this agent", at: this.#clock.now() };
    this.#open(reason, undefined, true);
  }

  /** Closes the breaker and clears its counters (operator action). Announced even when it was
   * already CLOSED, as {@link forceOpen} is, so the operator's action leaves a trace. */
  reset(reason = "reset by operator"): void {
    this.#forced = false;
    this.#forcedBy = undefined;
    this.#clearCounts();
    this.#transition("CLOSED", reason, true);
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      service: this.service,
      state,
      forced: this.#forced,
      ...(this.#forcedBy ? { forcedBy: { ...this.#forcedBy } } : {}),
      consecutiveFailures: this.#consecutiveFailures,
      windowCalls: this.#window.calls,
      windowFailures: this.#window.failures,
      remainingMs: this.remainingMs(),
      openedAt: this.#openedAt,
      openReason: this.#openReason,
      lastErrorClass: this.#lastErrorClass,
      ...(this.#lastError instanceof Error
        ? { lastError: `${this.#lastError.name}: ${this.#lastError.message}` }
        : {}),
      halfOpenInFlight: this.#halfOpenInFlight,
    };
  }

  #permit(trial: boolean): BreakerPermit {
    // Permits are shared per generation and kind: admitting a call allocates nothing.
    const index = trial ? 1 : 0;
    let permit = this.#permits[index];
    if (permit.generation !== this.#generation) {
      permit = this.#permits[index] = { generation: this.#generation, trial };
    }
    return permit;
  }

  #rejectionError(message: string): CircuitOpenError {
    const cached = this.#rejection;
    if (cached?.generation === this.#generation && cached.error.message.includes(message)) {
      return cached.error;
    }
    const error = new CircuitOpenError({
      service: this.service,
      message,
      reason: this.#openReason,
      remainingMs: () => this.remainingMs(),
      cause: this.#lastError,
    });
    this.#rejection = { generation: this.#generation, error };
    return error;
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
    if (this.options.mode === "failure-rate") {
      this.#window.record(false);
      this.#judgeRate();
    }
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
    this.#judgeRate();
  }

  /** Failure-rate mode: judged after every recorded outcome once `minimumCalls` are in. */
  #judgeRate(): void {
    const { calls, failures } = this.#window;
    if (
      failures > 0 && calls >= this.options.minimumCalls &&
      failures / calls >= this.options.failureRateThreshold
    ) {
      this.#open(`failure rate ${Math.round((failures / calls) * 100)}% over ${calls} calls`);
    }
  }

  #open(reason: string, until?: number, operator = false): void {
    const now = this.#clock.now();
    this.#openedAt = now;
    this.#openReason = reason;
    this.#retryAt = Math.max(until ?? 0, now + this.options.recoveryTimeoutMs);
    this.#clearCounts();
    this.#transition("OPEN", reason, operator);
  }

  #clearCounts(): void {
    this.#consecutiveFailures = 0;
    this.#window.clear();
    this.#halfOpenSuccesses = 0;
    this.#halfOpenInFlight = 0;
  }

  #transition(to: BreakerState, reason: string, operator = false): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.#halfOpenSuccesses = 0;
    this.#halfOpenInFlight = 0;
    if (this.#changes.hasListeners) {
      this.#changes.emit({
        service: this.service,
        from,
        to,
        reason,
        at: this.#clock.now(),
        forced: this.#forced,
        operator,
      });
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
