import { defaultConfig } from "../../config/defaults.ts";
import type { BreakerOptions } from "../../src/breaker/mod.ts";
import type { RetryOptions } from "../../src/retry/mod.ts";

/** The default retry options from `config/defaults.ts`, with overrides. */
export function retryOptions(
  overrides: Partial<RetryOptions> = {},
): RetryOptions {
  return { ...defaultConfig.retry, ...overrides };
}

/** The default breaker options from `config/defaults.ts`, with overrides. */
export function breakerOptions(
  overrides: Partial<BreakerOptions> = {},
): BreakerOptions {
  return { ...defaultConfig.breaker, ...overrides };
}

/** A random source that always returns `value`. */
export const constantRandom = (value: number): () => number => () => value;
