/** How the breaker decides to open. */
export type TripMode = "consecutive" | "failure-rate";

/** Circuit breaker parameters; defaults live in `config/defaults.ts`. */
export interface BreakerOptions {
  /** `consecutive`: open after `failureThreshold` failures in a row; `failure-rate`: open when
   * the share of failures in the last `slidingWindowSize` calls reaches `failureRateThreshold`.
   * @default "consecutive" */
  mode: TripMode;
  /** Failures in a row that open the breaker (consecutive mode). @default 3 */
  failureThreshold: number;
  /** Share of failed calls, 0 to 1, that opens the breaker (failure-rate mode). @default 0.5 */
  failureRateThreshold: number;
  /** Calls the failure rate is computed over (failure-rate mode). @default 20 */
  slidingWindowSize: number;
  /** No failure rate is judged before this many calls are in the window. @default 10 */
  minimumCalls: number;
  /** Time OPEN before a trial call may be let through. @default 30000 */
  recoveryTimeoutMs: number;
  /** Trial calls admitted at once while HALF_OPEN; more are rejected. @default 1 */
  halfOpenMaxCalls: number;
  /** Successful trials that close the breaker. @default 1 */
  successThreshold: number;
  /** Whether OPEN waits for a healthy probe (as well as the recovery timeout) before
   * HALF_OPEN, so that no contact is spent testing a dead service. @default true */
  halfOpenRequiresHealthyProbe: boolean;
  /** A HALF_OPEN breaker whose trial has not finished after this long reopens (a trial that
   * never settles must not hold it half-open forever). @default 120000 */
  halfOpenMaxWaitMs: number;
}

/** Throws a RangeError naming the field for any unusable breaker option. */
export function validateBreakerOptions(options: BreakerOptions): void {
  const check = (field: keyof BreakerOptions, ok: boolean, rule: string) => {
    if (!ok) throw new RangeError(`breaker.${field} ${rule}: got ${options[field]}`);
  };
  const positiveInteger = (n: number) => Number.isInteger(n) && n >= 1;
  check(
    "mode",
    options.mode === "consecutive" || options.mode === "failure-rate",
    'must be "consecutive" or "failure-rate"',
  );
  check("failureThreshold", positiveInteger(options.failureThreshold), "must be an integer >= 1");
  check(
    "failureRateThreshold",
    options.failureRateThreshold > 0 &&
      options.failureRateThreshold <= 1,
    "must be in (0, 1]",
  );
  check("slidingWindowSize", positiveInteger(options.slidingWindowSize), "must be an integer >= 1");
  check(
    "minimumCalls",
    positiveInteger(options.minimumCalls) &&
      options.minimumCalls <= options.slidingWindowSize,
    "must be an integer in [1, slidingWindowSize]",
  );
  check("recoveryTimeoutMs", options.recoveryTimeoutMs >= 0, "must be >= 0");
  check("halfOpenMaxCalls", positiveInteger(options.halfOpenMaxCalls), "must be an integer >= 1");
  check("successThreshold", positiveInteger(options.successThreshold), "must be an integer >= 1");
  check("halfOpenMaxWaitMs", options.halfOpenMaxWaitMs > 0, "must be > 0");
}
