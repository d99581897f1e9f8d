import type { Random } from "../clock/mod.ts";

/** How random spread is added to the exponential delay. */
export type JitterMode = "additive" | "full" | "equal" | "decorrelated" | "none";

/** The shape of the backoff curve. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  initialDelayMs: number;
  /** Growth factor per retry. */
  base: number;
  /** No delay exceeds this, jitter included. */
  maxDelayMs: number;
  /**
   * `additive`: `initial * base^attempt + U[0, jitterMs)` (the user's formula; near the
   * cap the exponential part stops at `maxDelayMs - jitterMs`, so delays stay spread);
   * `full`: `U[0, exp)`; `equal`: `exp/2 + U[0, exp/2)`;
   * `decorrelated`: `U[initial, previous * 3)` (AWS architecture blog's variants);
   * `none`: the bare exponential.
   */
  jitter: JitterMode;
  /** Width of the additive jitter. */
  jitterMs: number;
}

/**
 * The delay before retry number `attempt + 1` (`attempt` counts from 0). Pure: the same
 * inputs give the same delay; `previousDelayMs` only matters to decorrelated jitter.
 */
export function nextDelay(
  options: BackoffOptions,
  attempt: number,
  previousDelayMs: number,
  random: Random,
): number {
  const { initialDelayMs, base, maxDelayMs } = options;
  const exponential = Math.min(maxDelayMs, initialDelayMs * Math.pow(base, attempt));
  switch (options.jitter) {
    case "none":
      return exponential;
    case "additive": {
      // The spread is kept under the cap too: once capped, retries still do not line up.
      const jitter = Math.min(options.jitterMs, maxDelayMs);
      return Math.min(exponential, maxDelayMs - jitter) + random() * jitter;
    }
    case "full":
      return random() * exponential;
    case "equal":
      return exponential / 2 + random() * (exponential / 2);
    case "decorrelated": {
      // Capping the range rather than the draw keeps capped delays spread out.
      const upper = Math.min(maxDelayMs, Math.max(initialDelayMs, previousDelayMs * 3));
      return initialDelayMs + random() * (upper - initialDelayMs);
    }
  }
}
