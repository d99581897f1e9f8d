/**
 * The one error taxonomy of the agent. Service wrappers map raw failures into it;
 * retry, breaker and processor decide what to do by class alone.
 *
 * - {@link TransientError}: worth retrying (503, 429, timeouts, network).
 * - {@link PermanentError}: retrying cannot help (bad key, bad input, quota gone).
 * - {@link CircuitOpenError}: the service's breaker refused the call without calling it.
 * - {@link ConfigError}: the configuration or environment is unusable.
 *
 * @module
 */

/** Whether an error means every call to the service will fail, or only this contact's. */
export type ErrorScope = "service" | "contact";

/** Fields every service error carries. */
export interface ServiceErrorOptions {
  /** Name of the service that failed (`llm`, `tts`, `crm`, ...). */
  service: string;
  /** Human-readable detail; never contains a secret. */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** HTTP status, when the failure came from a response. */
  status?: number;
  /** Provider's error code (`rate_limit_exceeded`, `voice_not_found`, ...). */
  code?: string;
}

/** Base of every error a service call can end with. */
export abstract class ServiceError extends Error {
  /** Service that failed. */
  readonly service: string;
  /** HTTP status of the response, if any. */
  readonly status?: number;
  /** Provider's own error code, if any. */
  readonly code?: string;
  /** `service`: every call will fail (bad key, quota gone); `contact`: only this one. */
  abstract readonly scope: ErrorScope;
  /** Whether a retry may succeed. */
  abstract readonly retryable: boolean;

  constructor(defaultMessage: string, options: ServiceErrorOptions) {
    super(`${options.service}: ${options.message ?? defaultMessage}`, { cause: options.cause });
    this.name = new.target.name;
    this.service = options.service;
    this.status = options.status;
    this.code = options.code;
  }
}

/** A failure that may go away by itself: retry it. Always service-wide. */
export abstract class TransientError extends ServiceError {
  readonly retryable = true;
  readonly scope: ErrorScope = "service";
}

/** The service said it is unavailable (5xx) or answered with something unusable. */
export class ServiceUnavailableError extends TransientError {
  constructor(options: ServiceErrorOptions) {
    super("service unavailable", options);
  }
}

/** The service asked us to slow down. */
export class RateLimitError extends TransientError {
  /** How long the service asked us to wait, when it said (Retry-After). */
  readonly retryAfterMs?: number;
  constructor(options: ServiceErrorOptions & { retryAfterMs?: number }) {
    super("rate limited", options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Our own deadline for the call passed. */
export class TimeoutError extends TransientError {
  /** The deadline that passed. */
  readonly timeoutMs: number;
  constructor(options: ServiceErrorOptions & { timeoutMs: number }) {
    super(`timed out after ${options.timeoutMs} ms`, options);
    this.timeoutMs = options.timeoutMs;
  }
}

/** The request never got an answer: DNS, refused, reset, TLS. */
export class ConnectionError extends TransientError {
  constructor(options: ServiceErrorOptions) {
    super("connection failed", options);
  }
}

/** Options of a permanent error: its scope can be chosen where the class has no fixed one. */
export interface PermanentErrorOptions extends ServiceErrorOptions {
  /** Overrides the class's default scope. */
  scope?: ErrorScope;
}

/** A failure a retry cannot fix. */
export abstract class PermanentError extends ServiceError {
  readonly retryable = false;
  readonly scope: ErrorScope;
  constructor(defaultMessage: string, defaultScope: ErrorScope, options: PermanentErrorOptions) {
    super(defaultMessage, options);
    this.scope = options.scope ?? defaultScope;
  }
}

/** Bad or missing credentials: service-wide. */
export class AuthenticationError extends PermanentError {
  constructor(options: PermanentErrorOptions) {
    super("authentication failed", "service", options);
  }
}

/** The request for this contact is invalid (bad input, text too long): contact-only by default. */
export class InvalidRequestError extends PermanentError {
  constructor(options: PermanentErrorOptions) {
    super("invalid request", "contact", options);
  }
}

/**
 * Something named in the request does not exist. A missing model or voice is configuration,
 * so service-wide; a missing record is contact-only. Callers choose with `scope`.
 */
export class NotFoundError extends PermanentError {
  constructor(options: PermanentErrorOptions) {
    super("not found", "contact", options);
  }
}

/** Credits or quota are used up: service-wide until someone pays or the quota resets. */
export class QuotaExceededError extends PermanentError {
  constructor(options: PermanentErrorOptions) {
    super("quota exceeded", "service", options);
  }
}

/** The failures the taxonomy names: a provider's error table and a mock's fault rule both
 * speak of these, and {@link errorOfKind} alone turns one into its class. */
export type FailureKind =
  | "unavailable"
  | "rate-limit"
  | "timeout"
  | "connection"
  | "auth"
  | "invalid-request"
  | "not-found"
  | "quota";

/** Every {@link FailureKind}, in the order messages list them. */
export const failureKinds: readonly FailureKind[] = [
  "unavailable",
  "rate-limit",
  "timeout",
  "connection",
  "auth",
  "invalid-request",
  "not-found",
  "quota",
];

/** What a failure of some kind carries; the status is the kind's usual one unless given. */
export interface FailureOptions extends PermanentErrorOptions {
  /** For `rate-limit`: the wait the service asked for. */
  retryAfterMs?: number;
}

/**
 * The one mapping from a failure's kind to its class (and so to whether it is retried and what
 * it stops: a contact or the service). Scope is the class's unless `options.scope` says
 * otherwise, as a provider's table does for a missing model or voice.
 */
export function errorOfKind(kind: FailureKind, options: FailureOptions): ServiceError {
  const { retryAfterMs, scope, ...common } = options;
  switch (kind) {
    case "unavailable":
      return new ServiceUnavailableError({ status: 503, ...common });
    case "rate-limit":
      return new RateLimitError({ status: 429, ...common, retryAfterMs });
    case "timeout":
      return new TimeoutError({ ...common, timeoutMs: 0 });
    case "connection":
      return new ConnectionError(common);
    case "auth":
      return new AuthenticationError({ status: 401, ...common, scope });
    case "invalid-request":
      return new InvalidRequestError({ status: 400, ...common, scope });
    case "not-found":
      return new NotFoundError({ status: 404, ...common, scope });
    case "quota":
      return new QuotaExceededError({ status: 429, ...common, scope });
  }
}

/**
 * The service's breaker is OPEN (or HALF_OPEN and full): the service was not called. A
 * breaker hands out one instance per state, so `remainingMs` is read live.
 */
export class CircuitOpenError extends Error {
  /** Service whose breaker refused the call. */
  readonly service: string;
  /** Why the breaker opened, when known. */
  readonly reason?: string;
  readonly #remainingMs: () => number;
  constructor(
    options: {
      service: string;
      /** Time until the breaker may try again: a value, or a function read each time. */
      remainingMs: number | (() => number);
      message?: string;
      reason?: string;
      cause?: unknown;
    },
  ) {
    super(
      `${options.service}: ${options.message ?? "circuit open"}${
        options.reason ? ` (${options.reason})` : ""
      }`,
      { cause: options.cause },
    );
    this.name = "CircuitOpenError";
    this.service = options.service;
    this.reason = options.reason;
    const remaining = options.remainingMs;
    this.#remainingMs = typeof remaining === "number" ? () => remaining : remaining;
  }

  /** Time until the breaker may let a trial through; 0 when it only waits for a healthy
   * probe, `Infinity` while an operator holds it open. */
  get remainingMs(): number {
    return Math.max(0, this.#remainingMs());
  }
}

/**
 * A retry loop stopped while the failure was still worth retrying: its retries ran out, or
 * the service asked for a longer pause than anyone should wait in a loop. Keeps why, how many
 * attempts were made, and the last failure as `cause`.
 */
export class RetriesExhaustedError extends Error {
  readonly service: string;
  /** `exhausted`: every retry failed; `retry-after-too-long`: the service asked for a longer
   * pause; `retry-budget`: the service's retry budget had no retry left. */
  readonly reason: "exhausted" | "retry-after-too-long" | "retry-budget";
  readonly attempts: number;
  /** The pause the service asked for (`retry-after-too-long`). */
  readonly retryAfterMs?: number;
  declare readonly cause: unknown;
  constructor(options: {
    service: string;
    reason: "exhausted" | "retry-after-too-long" | "retry-budget";
    attempts: number;
    cause: unknown;
    retryAfterMs?: number;
  }) {
    super(
      `${options.service}: ${
        options.reason === "exhausted"
          ? `gave up after ${options.attempts} attempt(s)`
          : options.reason === "retry-budget"
          ? `gave up after ${options.attempts} attempt(s): its retry budget is spent (too many retries for its requests)`
          : `asked to wait ${Math.round((options.retryAfterMs ?? 0) / 1000)} s (Retry-After)`
      }: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`,
      { cause: options.cause },
    );
    this.name = "RetriesExhaustedError";
    this.service = options.service;
    this.reason = options.reason;
    this.attempts = options.attempts;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** No slot with the service freed up within `slotWaitMs`: the service was not called. */
export class SlotWaitTimeoutError extends Error {
  readonly service: string;
  readonly waitedMs: number;
  constructor(options: { service: string; waitedMs: number }) {
    super(
      `${options.service}: no free slot within ${options.waitedMs} ms (maxInFlight reached)`,
    );
    this.name = "SlotWaitTimeoutError";
    this.service = options.service;
    this.waitedMs = options.waitedMs;
  }
}

/** The configuration or environment cannot be used. `problems` lists each by path. */
export class ConfigError extends Error {
  /** One line per problem: `retry.maxRetries: must be >= 0, got -1`. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`, options);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Whether `error` says every call to its service will fail. */
export function isServiceWide(error: unknown): boolean {
  return error instanceof ServiceError && !error.retryable && error.scope === "service";
}

/** Whether `error` is worth retrying. */
export function isTransient(error: unknown): error is TransientError {
  return error instanceof TransientError;
}

/** A short class name for logs and metrics: `RateLimitError`, `TypeError`, `unknown`. */
export function errorClass(error: unknown): string {
  return error instanceof Error ? error.name : "unknown";
}

/** How long a provider's own words may run in a report. */
const reportedMessageLength = 500;

/**
 * What an error says, for a log line, an alert or a status page: its class, and its message
 * with the provider's own words (code and message) as the client put them, cut to a readable
 * length. A breaker's refusal says what opened it: the failure it last counted. Secrets are
 * kept out of messages where they are made (the HTTP client) and again by every sink.
 */
export function describeError(error: unknown): { errorClass: string; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  const behind = (error instanceof CircuitOpenError || error instanceof RetriesExhaustedError) &&
      error.cause instanceof Error
    ? ` (last failure ${error.cause.name}: ${error.cause.message})`
    : "";
  const text = error instanceof RetriesExhaustedError ? message : message + behind;
  return {
    errorClass: errorClass(error),
    message: text.length > reportedMessageLength
      ? `${text.slice(0, reportedMessageLength - 1)}…`
      : text,
  };
}
