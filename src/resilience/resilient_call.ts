import type { CircuitBreaker } from "../breaker/mod.ts";
import type { CallContext, RetryCallOptions, RetryPolicy } from "../retry/mod.ts";

/** Per-call options of {@link resilientCall}. */
export interface ResilientCallOptions {
  signal?: AbortSignal;
  context?: CallContext;
}

const noContext: CallContext = Object.freeze({});

/**
 * Retry outside, breaker inside: every attempt passes the breaker, so each failed attempt is
 * counted, an OPEN breaker rejects at once, and a breaker that opens while the loop waits
 * stops the loop.
 *
 * The first attempt is run here rather than through `retry.execute`, so that a success costs
 * one promise beyond the call's own; the retry loop only starts when an attempt fails.
 */
export function resilientCall<T>(
  retry: RetryPolicy,
  breaker: CircuitBreaker,
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  options: ResilientCallOptions = {},
): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const context = options.context ?? noContext;
  const retryOptions: RetryCallOptions = options.context === undefined && signal === undefined
    ? breaker.retryOptions
    : { signal, context, halt: breaker.haltWhenOpen };
  const attempt = (n: number) => breaker.execute(() => fn(n, signal), signal);
  const observed = retry.observed;
  if (observed) retry.notify({ type: "attempt", attempt: 1, context });
  let permit: number;
  try {
    permit = breaker.acquire();
  } catch (error) {
    return retry.continueAfterFailure(attempt, error, retryOptions);
  }
  let pending: Promise<T>;
  try {
    pending = fn(1, signal);
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    observed
      ? (result) => {
        breaker.recordSuccess(permit);
        retry.notify({ type: "success", attempt: 1, context });
        return result;
      }
      : breaker.successHandler(permit),
    (error) => {
      breaker.recordFailure(permit, error, signal);
      return retry.continueAfterFailure(attempt, error, retryOptions);
    },
  );
}
