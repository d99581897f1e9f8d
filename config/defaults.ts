/**
 * Every retry, breaker, health and timeout parameter of the agent, in one place. A JSON file
 * given with `--config` is merged over these values; `services.<name>.retry` and
 * `services.<name>.breaker` override the global sections for one service. README's
 * "Configuration" section documents each key.
 */
export const defaultConfig = {
  retry: {
    /** Retries after the first attempt. */
    maxRetries: 3,
    /** Delay before the first retry: delays are 5 s, 10 s, 20 s (+ jitter). */
    initialDelayMs: 5_000,
    /** Growth factor: delay = initialDelayMs * base^attempt + jitter. */
    base: 2,
    /** No delay exceeds this, jitter included. */
    maxDelayMs: 60_000,
    /** additive | full | equal | decorrelated | none */
    jitter: "additive",
    /** Width of the additive jitter, [0, jitterMs). */
    jitterMs: 1_000,
    /** A Retry-After above this gives up at once. */
    maxRetryAfterMs: 60_000,
  },
  breaker: {
    /** consecutive | failure-rate */
    mode: "consecutive",
    /** Consecutive failed attempts that open the breaker. */
    failureThreshold: 3,
    /** Failure share that opens it in failure-rate mode. */
    failureRateThreshold: 0.5,
    /** Calls in the failure-rate window. */
    slidingWindowSize: 20,
    /** Calls needed in the window before a rate is judged. */
    minimumCalls: 10,
    /** Time OPEN before a trial may go through. */
    recoveryTimeoutMs: 30_000,
    /** Trial calls at once while HALF_OPEN. */
    halfOpenMaxCalls: 1,
    /** Successful trials that close it. */
    successThreshold: 1,
    /** OPEN waits for a healthy probe too, so no contact is spent on a dead service. */
    halfOpenRequiresHealthyProbe: true,
  },
  health: {
    /** Time between probes of one service. */
    intervalMs: 10_000,
    /** A probe slower than this is unhealthy. */
    timeoutMs: 5_000,
  },
  services: {
    llm: { timeoutMs: 30_000 },
    tts: { timeoutMs: 30_000 },
    crm: { timeoutMs: 10_000 },
  },
  processor: {
    /** Passes over the contacts; later passes retry contacts skipped by an open breaker. */
    maxPasses: 3,
    /** Longest wait for an open breaker to let calls through before the next pass. */
    recoveryWaitMs: 600_000,
  },
  campaign: {
    name: "default",
    purpose: "a short follow-up on your recent enquiry",
    callerName: "Alex from Acme",
  },
  logging: {
    /** JSON Lines log file; empty string: no file. */
    filePath: "logs/agent.jsonl",
    /** Lowest level written: trace | debug | info | warning | error | fatal */
    level: "info",
  },
} as const;
