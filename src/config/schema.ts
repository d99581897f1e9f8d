import { z } from "zod";

const nonNegative = (field = "") => z.number(`${field}must be a number`).min(0, "must be >= 0");
const positiveInt = () =>
  z.number("must be a number").int("must be an integer").min(1, "must be >= 1");

/** Retry section; see `config/defaults.ts`. */
export const retrySchema = z.strictObject({
  maxRetries: z.number("must be a number").int("must be an integer").min(0, "must be >= 0")
    .max(20, "must be <= 20"),
  initialDelayMs: nonNegative(),
  base: z.number("must be a number").min(1, "must be >= 1"),
  maxDelayMs: nonNegative(),
  jitter: z.enum(["additive", "full", "equal", "decorrelated", "none"], {
    error: "must be one of additive, full, equal, decorrelated, none",
  }),
  jitterMs: nonNegative(),
  maxRetryAfterMs: nonNegative(),
}).refine((retry) => retry.maxDelayMs >= retry.initialDelayMs, {
  message: "maxDelayMs must be >= initialDelayMs",
  path: ["maxDelayMs"],
});

/** Breaker section; see `config/defaults.ts`. */
export const breakerSchema = z.strictObject({
  mode: z.enum(["consecutive", "failure-rate"], {
    error: "must be consecutive or failure-rate",
  }),
  failureThreshold: positiveInt(),
  failureRateThreshold: z.number("must be a number").gt(0, "must be > 0").max(1, "must be <= 1"),
  slidingWindowSize: positiveInt(),
  minimumCalls: positiveInt(),
  recoveryTimeoutMs: nonNegative(),
  halfOpenMaxCalls: positiveInt(),
  successThreshold: positiveInt(),
  halfOpenRequiresHealthyProbe: z.boolean("must be true or false"),
}).refine((breaker) => breaker.minimumCalls <= breaker.slidingWindowSize, {
  message: "minimumCalls must be <= slidingWindowSize",
  path: ["minimumCalls"],
});

const serviceSchema = z.strictObject({
  timeoutMs: z.number("must be a number").gt(0, "must be > 0"),
  retry: z.record(z.string(), z.unknown()).optional(),
  breaker: z.record(z.string(), z.unknown()).optional(),
});

/** The whole configuration. */
export const configSchema = z.strictObject({
  retry: retrySchema,
  breaker: breakerSchema,
  health: z.strictObject({
    intervalMs: z.number("must be a number").gt(0, "must be > 0"),
    timeoutMs: z.number("must be a number").gt(0, "must be > 0"),
  }),
  services: z.strictObject({ llm: serviceSchema, tts: serviceSchema, crm: serviceSchema }),
  processor: z.strictObject({
    maxPasses: positiveInt(),
    recoveryWaitMs: nonNegative(),
  }),
  campaign: z.strictObject({
    name: z.string("must be a string").min(1, "must not be empty"),
    purpose: z.string("must be a string").min(1, "must not be empty"),
    callerName: z.string("must be a string").min(1, "must not be empty"),
  }),
  logging: z.strictObject({
    filePath: z.string("must be a string"),
    level: z.enum(["trace", "debug", "info", "warning", "error", "fatal"], {
      error: "must be one of trace, debug, info, warning, error, fatal",
    }),
  }),
});

/** The validated configuration. */
export type AgentConfig = z.infer<typeof configSchema>;
/** Names of the pipeline's services. */
export type ServiceName = keyof AgentConfig["services"];
