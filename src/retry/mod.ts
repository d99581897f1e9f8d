/**
 * Retry with exponential backoff and jitter: the pure {@link nextDelay} and the
 * {@link RetryPolicy} that applies it to transient failures only.
 * @module
 */
export { type BackoffOptions, type JitterMode, nextDelay } from "./backoff.ts";
export type { RetryHalt } from "./retry_halt.ts";
export { RetryBudget, type RetryBudgetOptions } from "./retry_budget.ts";
export {
  type CallContext,
  type GiveUpReason,
  type RetryCallOptions,
  type RetryEvent,
  type RetryOptions,
  RetryPolicy,
} from "./retry_policy.ts";
