import type { CircuitBreaker } from "../breaker/mod.ts";
import type { CallContext, RetryPolicy } from "../retry/mod.ts";

/** Per-call options of {@link resilientCall}. */
export interface ResilientCallOptions {
  signal?: AbortSignal;
  context?: CallContext;
}

/**
 * Retry outside, breaker inside: every attempt passes the breaker, so each failed attempt is
 * counted, an OPEN breaker rejects at once, and a breaker that opens while the loop waits
 * stops the loop.
 */
export function resilientCall<T>(
  retry: RetryPolicy,
  breaker: CircuitBreaker,
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  options: ResilientCallOptions = {},
): Promise<T> {
  const { signal } = options;
  return retry.execute(
    (attempt) => breaker.execute(() => fn(attempt, signal), signal),
    { signal, context: options.context, halt: breaker.haltWhenOpen },
  );
}
