import { z } from "zod";
import { longestTimerMs } from "../clock/mod.ts";
import { isCountry, isE164, isTimeZone } from "../domain/mod.ts";
import { failureKinds } from "../errors.ts";

/** A time in milliseconds, from 0 up to what a timer can hold. */
const duration = () =>
  z.number("must be a number").min(0, "must be >= 0").max(
    longestTimerMs,
    `must be <= ${longestTimerMs} (about 24.8 days, the longest a timer can wait)`,
  );
/** A time in milliseconds, above 0. */
const positiveDuration = () => duration().gt(0, "must be > 0");
const positiveInt = () =>
  z.number("must be a number").int("must be an integer").min(1, "must be >= 1");

/** Retry section; see `config/defaults.ts`. */
export const retrySchema = z.strictObject({
  maxRetries: z.number("must be a number").int("must be an integer").min(0, "must be >= 0")
    .max(20, "must be <= 20"),
  initialDelayMs: duration(),
  base: z.number("must be a number").min(1, "must be >= 1"),
  maxDelayMs: duration(),
  jitter: z.enum(["additive", "full", "equal", "decorrelated", "none"], {
    error: "must be one of additive, full, equal, decorrelated, none",
  }),
  jitterMs: duration(),
  maxRetryAfterMs: duration(),
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
  recoveryTimeoutMs: duration(),
  halfOpenMaxCalls: positiveInt(),
  successThreshold: positiveInt(),
  halfOpenRequiresHealthyProbe: z.boolean("must be true or false"),
  halfOpenMaxWaitMs: positiveDuration(),
}).refine((breaker) => breaker.minimumCalls <= breaker.slidingWindowSize, {
  message: "minimumCalls must be <= slidingWindowSize",
  path: ["minimumCalls"],
});

const text = () => z.string("must be a string");
/** An amount of money: a number, 0 or more. */
const price = () => z.number("must be a number (a price)").min(0, "must be >= 0");
const url = () =>
  z.string("must be a string").regex(/^https?:\/\/\S+$/, "must be an http:// or https:// URL");
const envName = () =>
  z.string("must be a string").regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    "must be the name of an environment variable (letters, digits, _)",
  );

const faultRuleSchema = z.strictObject({
  fail: z.enum(failureKinds, { error: `must be one of ${failureKinds.join(", ")}` }).optional(),
  calls: positiveInt().optional(),
  fromMs: duration().optional(),
  untilMs: duration().optional(),
  latencyMs: duration().optional(),
  hang: z.boolean("must be true or false").optional(),
  retryAfterMs: duration().optional(),
});

const mockSchema = z.strictObject({
  latencyMs: duration(),
  faults: z.array(faultRuleSchema, "must be a list of fault rules"),
});

const common = {
  timeoutMs: positiveDuration(),
  maxInFlight: positiveInt(),
  slotWaitMs: positiveDuration(),
  retry: z.record(z.string(), z.unknown()).optional(),
  breaker: z.record(z.string(), z.unknown()).optional(),
  mock: mockSchema,
};

/** One provider of the script: the primary, or a link of its fallback chain. */
const llmProviderSchema = z.strictObject({
  ...common,
  kind: z.enum(["mock", "openai", "anthropic"], { error: "must be mock, openai or anthropic" }),
  openai: z.strictObject({
    baseUrl: url(),
    model: text().min(1, "must not be empty"),
    temperature: z.number("must be a number").min(0, "must be >= 0").max(2, "must be <= 2"),
    maxTokens: positiveInt(),
    systemPrompt: text(),
    apiKeyEnv: envName(),
  }),
  anthropic: z.strictObject({
    baseUrl: url(),
    model: text().min(1, "must not be empty"),
    temperature: z.number("must be a number").min(0, "must be >= 0").max(1, "must be <= 1"),
    maxTokens: positiveInt(),
    systemPrompt: text(),
    apiKeyEnv: envName(),
  }),
});

/** One provider of the voice: the primary, or a link of its fallback chain. */
const ttsProviderSchema = z.strictObject({
  ...common,
  kind: z.enum(["mock", "elevenlabs", "openai"], { error: "must be mock, elevenlabs or openai" }),
  elevenlabs: z.strictObject({
    baseUrl: url(),
    voiceId: text().min(1, "must not be empty"),
    modelId: text().min(1, "must not be empty"),
    outputFormat: text().regex(/^[a-z0-9]+_\d+(_\d+)?$/, "must be like mp3_44100_128 or ulaw_8000"),
    voiceSettings: z.strictObject({
      stability: z.number("must be a number").min(0).max(1).optional(),
      similarity_boost: z.number("must be a number").min(0).max(1).optional(),
      style: z.number("must be a number").min(0).max(1).optional(),
      use_speaker_boost: z.boolean("must be true or false").optional(),
      speed: z.number("must be a number").min(0.5).max(2).optional(),
    }),
    audioDir: text(),
    maxConcurrency: positiveInt(),
    apiKeyEnv: envName(),
  }),
  openai: z.strictObject({
    baseUrl: url(),
    model: text().min(1, "must not be empty"),
    voice: text().min(1, "must not be empty"),
    responseFormat: z.enum(["mp3", "opus", "aac", "flac", "wav", "pcm"], {
      error: "must be mp3, opus, aac, flac, wav or pcm",
    }),
    instructions: text(),
    audioDir: text(),
    apiKeyEnv: envName(),
  }),
});

/** Service names a fallback link may not take: the pipeline's services and what deferrals
 * that wait for a time are filed under. */
const reservedNames = ["llm", "tts", "telephony", "crm", "calling-hours", "redial", "same-phone"];

/** A fallback link's name: its service's name in breakers, metrics, /status and alerts. */
const linkName = () =>
  text().regex(
    /^[a-z][a-z0-9-]{0,39}$/,
    "must be a short name like claude or openai-speech (lower-case letters, digits, dashes)",
  ).refine((name) => !reservedNames.includes(name), {
    message: `must not be one of ${reservedNames.join(", ")}`,
  });

/** A role's chain: its primary provider and the ordered providers that stand in while it is
 * down. */
const llmSchema = llmProviderSchema.extend({
  fallbacks: z.array(
    llmProviderSchema.extend({ name: linkName() }),
    "must be a list of providers",
  ),
});
const ttsSchema = ttsProviderSchema.extend({
  fallbacks: z.array(
    ttsProviderSchema.extend({ name: linkName() }),
    "must be a list of providers",
  ),
});

const crmSchema = z.strictObject({
  ...common,
  kind: z.enum(["mock", "webhook", "hubspot"], { error: "must be mock, webhook or hubspot" }),
  webhook: z.strictObject({
    url: text(),
    healthUrl: text(),
    tokenEnv: z.union([z.literal(""), envName()]),
  }),
  hubspot: z.strictObject({ baseUrl: url(), tokenEnv: envName() }),
}).superRefine((crm, context) => {
  if (crm.kind !== "webhook") return;
  for (const field of ["url", "healthUrl"] as const) {
    const value = crm.webhook[field];
    if ((field === "url" || value !== "") && !/^https?:\/\/\S+$/.test(value)) {
      context.addIssue({
        code: "custom",
        path: ["webhook", field],
        message: field === "url"
          ? "must be the receiver's http:// or https:// URL when kind is webhook"
          : "must be an http:// or https:// URL, or empty",
      });
    }
  }
});

const telephonySchema = z.strictObject({
  ...common,
  kind: z.enum(["mock", "twilio"], { error: "must be mock or twilio" }),
  mock: mockSchema.extend({ callMs: duration() }),
  twilio: z.strictObject({
    baseUrl: url(),
    accountSid: text(),
    from: z.union([text(), z.array(text(), "must be a number or a list of numbers")], {
      error: "must be the caller number (E.164), or a list of them",
    }),
    authTokenEnv: envName(),
    ringTimeoutS: positiveInt().max(600, "must be <= 600"),
    machineDetection: z.enum(["", "Enable", "DetectMessageEnd"], {
      error: 'must be "", Enable or DetectMessageEnd',
    }),
    clockSkewMs: duration(),
    lostDialSettleMs: duration(),
  }),
  publicBaseUrl: z.string("must be a string").regex(
    /^(https?:\/\/\S+)?$/,
    "must be the status server's public http(s):// URL, or empty",
  ),
  audioUrlTtlMs: positiveDuration(),
  callsPerSecond: z.number("must be a number").gt(0, "must be > 0 (Twilio's default is 1)").max(
    1_000,
    "must be <= 1000",
  ),
  fallbackToSay: z.boolean("must be true or false"),
  poll: z.strictObject({
    initialMs: positiveDuration(),
    maxMs: positiveDuration(),
    withCallbacksMs: positiveDuration(),
  }),
}).superRefine((telephony, context) => {
  if (telephony.kind !== "twilio") return;
  if (!/^AC[0-9a-fA-F]{32}$/.test(telephony.twilio.accountSid)) {
    context.addIssue({
      code: "custom",
      path: ["twilio", "accountSid"],
      message: "must be your Twilio Account SID (AC followed by 32 hex digits) when kind is twilio",
    });
  }
  const from = callerNumbers(telephony.twilio.from);
  if (from.length === 0 || !from.every(isE164)) {
    context.addIssue({
      code: "custom",
      path: ["twilio", "from"],
      message:
        "must be the caller number in E.164 (e.g. +14155550100), or a list of the account's numbers, when kind is twilio",
    });
  }
});

const hhmm = () =>
  z.string("must be a string").regex(
    /^(([01]\d|2[0-3]):[0-5]\d)?$/,
    "must be a time like 09:00 (24-hour HH:MM), or empty",
  );

const channelSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("log") }),
  z.strictObject({
    kind: z.literal("telegram"),
    baseUrl: url(),
    chatId: z.union([z.string(), z.number()], "must be the chat id").transform(String),
    tokenEnv: envName(),
    timeoutMs: positiveDuration().optional(),
    perMinute: positiveInt().optional(),
  }),
  z.strictObject({
    kind: z.enum(["resend", "sendgrid"]),
    baseUrl: url(),
    from: text().min(3, "must be the sender address"),
    to: z.array(text().min(3), "must be a list of addresses").min(
      1,
      "must name at least one address",
    ),
    apiKeyEnv: envName(),
    timeoutMs: positiveDuration().optional(),
    perMinute: positiveInt().optional(),
  }),
  z.strictObject({
    kind: z.literal("webhook"),
    url: url(),
    secretEnv: envName(),
    timeoutMs: positiveDuration().optional(),
    perMinute: positiveInt().optional(),
  }),
], { error: "must have kind telegram, resend, sendgrid, webhook or log" });

const routeSchema = z.array(text(), "must be a list of channel names");

/** The whole configuration. */
export const configSchema = z.strictObject({
  retry: retrySchema,
  retryBudget: z.strictObject({
    ratio: z.number("must be a number").min(0, "must be >= 0"),
    windowMs: duration().min(1_000, "must be >= 1000"),
    minPerSecond: z.number("must be a number").min(0, "must be >= 0"),
  }),
  breaker: breakerSchema,
  health: z.strictObject({
    intervalMs: positiveDuration(),
    timeoutMs: positiveDuration(),
  }),
  services: z.strictObject({
    llm: llmSchema,
    tts: ttsSchema,
    telephony: telephonySchema,
    crm: crmSchema,
  }).superRefine((services, context) => {
    const seen = new Set<string>();
    for (const role of ["llm", "tts"] as const) {
      services[role].fallbacks.forEach((link, index) => {
        if (seen.has(link.name)) {
          context.addIssue({
            code: "custom",
            path: [role, "fallbacks", index, "name"],
            message: `must be unique: ${link.name} names another fallback already`,
          });
        }
        seen.add(link.name);
      });
    }
  }),
  processor: z.strictObject({
    concurrency: positiveInt().max(1_000, "must be <= 1000"),
    maxAttemptsPerStep: positiveInt().max(1_000, "must be <= 1000"),
    recoveryWaitMs: duration(),
    shutdownGraceMs: duration(),
    exitFlushMs: duration(),
  }),
  script: z.strictObject({
    maxCharacters: positiveInt().max(4_000, "must be <= 4000 (Twilio's <Say> takes 4,000)"),
    reject: z.strictObject({
      unfinished: z.boolean("must be true or false"),
      empty: z.boolean("must be true or false"),
      refusal: z.boolean("must be true or false"),
      placeholder: z.boolean("must be true or false"),
      tooLong: z.boolean("must be true or false"),
    }),
  }),
  server: z.strictObject({
    enabled: z.boolean("must be true or false"),
    host: text().min(1, "must not be empty"),
    port: z.number("must be a number").int("must be an integer").min(0, "must be >= 0").max(
      65_535,
      "must be <= 65535",
    ),
    adminTokenEnv: envName(),
    progressIntervalMs: positiveDuration(),
  }),
  contacts: z.strictObject({
    defaultCountry: z.string("must be a string").refine(
      (code) => code === "" || isCountry(code),
      "must be a two-letter country code whose numbering plan is known (US, GB, DE...), or empty",
    ),
    maxRecordBytes: positiveInt().min(1_024, "must be >= 1024").max(
      16_777_216,
      "must be <= 16777216 (16 MiB)",
    ),
  }),
  ledger: z.strictObject({
    kind: z.enum(["sqlite", "postgres"], { error: "must be sqlite or postgres" }),
    path: z.string("must be a string").min(1, "must not be empty"),
    urlEnv: envName(),
    leaseMs: positiveDuration().min(1_000, "must be >= 1000"),
  }),
  alerts: z.strictObject({
    groupWaitMs: duration(),
    repeatIntervalMs: duration(),
    replayIntervalMs: positiveDuration(),
    perMinute: positiveInt(),
    retry: z.record(z.string(), z.unknown()),
    stalledAfterMs: positiveDuration(),
    timeoutMs: positiveDuration(),
    routes: z.strictObject({
      critical: routeSchema,
      error: routeSchema,
      warning: routeSchema,
      info: routeSchema,
    }),
    channels: z.record(z.string(), channelSchema),
  }),
  sheets: z.strictObject({
    enabled: z.boolean("must be true or false"),
    spreadsheetId: text(),
    range: text().regex(/^[^!]+![A-Z]+\d*:[A-Z]+\d*$/, "must be like Log!A:I"),
    keyFile: text(),
    keyEnv: envName(),
    batchRows: positiveInt().max(10_000, "must be <= 10000"),
    flushIntervalMs: positiveDuration(),
    maxWritesPerMinute: positiveInt().max(
      60,
      "must be <= 60 (Google's quota)",
    ),
    timeoutMs: positiveDuration(),
    baseUrl: url(),
    tokenUrl: url(),
    retry: z.record(z.string(), z.unknown()),
    breaker: z.record(z.string(), z.unknown()),
    stalledAfterMs: positiveDuration(),
  }).refine((sheets) => !sheets.enabled || sheets.spreadsheetId !== "", {
    message: "must be set when sheets.enabled is true",
    path: ["spreadsheetId"],
  }),
  campaign: z.strictObject({
    name: z.string("must be a string").min(1, "must not be empty"),
    purpose: z.string("must be a string").min(1, "must not be empty"),
    callerName: z.string("must be a string").min(1, "must not be empty"),
    deadline: z.string("must be a string").refine(
      (value) =>
        value === "" || (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))),
      "must be an ISO 8601 time like 2026-12-01T18:00:00Z, or empty",
    ),
    callWindow: z.strictObject({
      start: hhmm(),
      end: hhmm(),
      timezone: z.string("must be a string").refine(
        isTimeZone,
        "must be an IANA time zone such as America/New_York or Europe/Berlin",
      ),
    }).refine((window) => (window.start === "") === (window.end === ""), {
      message: "start and end must both be set (e.g. 09:00 and 20:00) or both be empty",
      path: ["end"],
    }).refine((window) => window.start === "" || window.start !== window.end, {
      message: "must differ from start",
      path: ["end"],
    }),
    redial: z.strictObject({
      maxDials: positiveInt().max(20, "must be <= 20"),
      delayMs: duration(),
      onMachine: z.boolean("must be true or false"),
    }),
    answeringMachine: z.enum(["play", "after-beep", "voicemail", "hang-up"], {
      error: "must be play, after-beep, voicemail or hang-up",
    }),
    optOut: z.strictObject({
      digit: z.string("must be a string").regex(
        /^[0-9*#]?$/,
        "must be one key (0-9, * or #), or empty",
      ),
      prompt: text().min(1, "must not be empty"),
      confirmation: text().min(1, "must not be empty"),
    }),
    samePhone: z.enum(["call-each", "call-once"], { error: "must be call-each or call-once" }),
    doNotCall: z.string("must be a string (the path of a do-not-call file), or empty"),
    doNotCallBadLines: z.enum(["stop", "leave-out"], { error: "must be stop or leave-out" }),
  }),
  budget: z.strictObject({
    campaign: price(),
    daily: price(),
    perContact: price(),
    warnAt: z.array(
      z.number("must be a number").gt(0, "must be > 0").lt(1, "must be < 1"),
      "must be a list of shares of a cap, like [0.5, 0.8]",
    ),
  }),
  pricing: z.strictObject({
    asOf: text(),
    currency: text().min(1, "must name a currency, like USD"),
    llm: z.record(
      z.string(),
      z.strictObject({ inputPerMillion: price(), outputPerMillion: price() }),
      "must map model names to their prices",
    ),
    tts: z.record(
      z.string(),
      z.strictObject({ perThousandCharacters: price() }),
      "must map kinds of voice to their prices",
    ),
    telephony: z.record(
      z.string(),
      z.strictObject({ perMinute: price() }),
      "must map kinds of telephony to their prices",
    ),
  }),
  logging: z.strictObject({
    filePath: z.string("must be a string"),
    level: z.enum(["trace", "debug", "info", "warning", "error", "fatal"], {
      error: "must be one of trace, debug, info, warning, error, fatal",
    }),
    maxBytes: positiveInt(),
    maxFiles: positiveInt(),
  }),
}).superRefine((config, context) => {
  // Telling a machine from a person, or hearing a key pressed, needs Twilio to reach the
  // status server while the call is answered.
  const { telephony } = config.services;
  if (telephony.kind !== "twilio" || telephony.publicBaseUrl) return;
  const { answeringMachine, optOut } = config.campaign;
  if (answeringMachine === "voicemail" || answeringMachine === "hang-up") {
    context.addIssue({
      code: "custom",
      path: ["campaign", "answeringMachine"],
      message:
        `${answeringMachine} needs services.telephony.publicBaseUrl: Twilio asks the status server what to play once it knows who answered; set it, or use after-beep (works without it)`,
    });
  }
  if (optOut.digit) {
    context.addIssue({
      code: "custom",
      path: ["campaign", "optOut", "digit"],
      message:
        "needs services.telephony.publicBaseUrl: Twilio posts the key pressed to the status server; set it, or leave digit empty",
    });
  }
});

/** The caller numbers `services.telephony.twilio.from` names: one, or a pool. */
export function callerNumbers(from: string | readonly string[]): string[] {
  return (typeof from === "string" ? [from] : [...from]).filter((number) => number !== "");
}

/** Retry options, as validated. */
export type RetrySettings = z.output<typeof retrySchema>;
/** Breaker options, as validated. */
export type BreakerSettings = z.output<typeof breakerSchema>;

/** The configuration as the schema checks it: overrides not yet merged. */
export type ParsedConfig = z.output<typeof configSchema>;

/** A section whose `retry` and `breaker` overrides are resolved over the global ones. */
type WithPolicies<Section> = Omit<Section, "retry" | "breaker"> & {
  retry: RetrySettings;
  breaker: BreakerSettings;
};

/** A role's chain with every link's policies resolved. */
type WithChain<Section extends { fallbacks: readonly unknown[] }> =
  & WithPolicies<Omit<Section, "fallbacks">>
  & { fallbacks: WithPolicies<Section["fallbacks"][number]>[] };

/** A fallback link of the script's or the voice's chain, resolved. */
export type FallbackLink =
  | AgentConfig["services"]["llm"]["fallbacks"][number]
  | AgentConfig["services"]["tts"]["fallbacks"][number];

/** One alert channel's configuration, its kind's defaults and its deadline filled in. */
export type ChannelConfig = z.output<typeof channelSchema> & { timeoutMs: number };

/** Names of the pipeline's services. */
export type ServiceName = keyof ParsedConfig["services"];

/**
 * The validated configuration, every policy resolved: each service's, the Sheets log's and the
 * alert channels' retry and breaker options are whole (their overrides merged over the global
 * sections), and each channel has its deadline. Built by `parseConfig` alone.
 */
export type AgentConfig = Omit<ParsedConfig, "services" | "alerts" | "sheets"> & {
  services: {
    llm: WithChain<ParsedConfig["services"]["llm"]>;
    tts: WithChain<ParsedConfig["services"]["tts"]>;
    telephony: WithPolicies<ParsedConfig["services"]["telephony"]>;
    crm: WithPolicies<ParsedConfig["services"]["crm"]>;
  };
  alerts: Omit<ParsedConfig["alerts"], "retry" | "channels"> & {
    retry: RetrySettings;
    channels: Record<string, ChannelConfig>;
  };
  sheets: WithPolicies<ParsedConfig["sheets"]>;
};
