import type { z } from "zod";
import { defaultConfig } from "../../config/defaults.ts";
import type { BreakerOptions } from "../breaker/mod.ts";
import { ConfigError } from "../errors.ts";
import type { RetryOptions } from "../retry/mod.ts";
import {
  type AgentConfig,
  breakerSchema,
  configSchema,
  retrySchema,
  type ServiceName,
} from "./schema.ts";

/** Merges `override` over `base`: objects key by key, anything else replaced. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) {
    return override === undefined ? base : override;
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = deepMerge(base[key], value);
  return merged;
}

/**
 * Validates `override` merged over the defaults, including each service's own retry and
 * breaker overrides merged over the global sections. Throws {@link ConfigError} listing every
 * problem by path and value.
 */
export function parseConfig(override: unknown = {}): AgentConfig {
  if (!isPlainObject(override)) {
    throw new ConfigError([`config: must be a JSON object, got ${describe(override)}`]);
  }
  const input = deepMerge(defaultConfig, override);
  const parsed = configSchema.safeParse(input);
  const problems = parsed.success ? [] : formatIssues(parsed.error.issues, input, []);
  if (parsed.success) {
    const sections: [unknown, typeof retrySchema | typeof breakerSchema, string[]][] = [
      [deepMerge(parsed.data.retry, parsed.data.alerts.retry), retrySchema, ["alerts", "retry"]],
      [deepMerge(parsed.data.retry, parsed.data.sheets.retry), retrySchema, ["sheets", "retry"]],
      [
        deepMerge(parsed.data.breaker, parsed.data.sheets.breaker),
        breakerSchema,
        ["sheets", "breaker"],
      ],
    ];
    for (const [effective, schema, path] of sections) {
      const checked = schema.safeParse(effective);
      if (!checked.success) problems.push(...formatIssues(checked.error.issues, effective, path));
    }
    for (const [name, service] of Object.entries(parsed.data.services)) {
      for (
        const [section, schema] of [["retry", retrySchema], ["breaker", breakerSchema]] as const
      ) {
        const effective = deepMerge(parsed.data[section], service[section] ?? {});
        const result = schema.safeParse(effective);
        if (!result.success) {
          problems.push(
            ...formatIssues(result.error.issues, effective, ["services", name, section]),
          );
        }
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed.data!;
}

/** Per service: its effective retry and breaker options, attempt deadline and bulkhead. */
export interface ServicePolicyConfig {
  retry: RetryOptions;
  breaker: BreakerOptions;
  timeoutMs: number;
  /** The service's one concurrency limit: `maxInFlight`, capped for ElevenLabs by its plan's
   * `maxConcurrency`. */
  maxInFlight: number;
  slotWaitMs: number;
}

/** Resolves each service's overrides over the global retry and breaker sections. */
export function servicePolicies(config: AgentConfig): Record<ServiceName, ServicePolicyConfig> {
  const policies = {} as Record<ServiceName, ServicePolicyConfig>;
  for (
    const [name, service] of Object.entries(config.services) as [
      ServiceName,
      AgentConfig["services"][ServiceName],
    ][]
  ) {
    policies[name] = {
      retry: deepMerge(config.retry, service.retry ?? {}) as RetryOptions,
      breaker: deepMerge(config.breaker, service.breaker ?? {}) as BreakerOptions,
      timeoutMs: service.timeoutMs,
      maxInFlight: name === "tts" && config.services.tts.kind === "elevenlabs"
        ? Math.min(service.maxInFlight, config.services.tts.elevenlabs.maxConcurrency)
        : service.maxInFlight,
      slotWaitMs: service.slotWaitMs,
    };
  }
  return policies;
}

/**
 * Reads and parses a JSON override file. Throws {@link ConfigError} naming the file when it is
 * missing, unreadable or not JSON.
 */
export async function readConfigFile(
  path: string,
  readTextFile: (path: string) => Promise<string>,
): Promise<unknown> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "file not found"
      : `cannot read it (${(error as Error).name})`;
    throw new ConfigError([`--config ${path}: ${why}; pass the path of a JSON file`], {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, keepOutOfRangeNumbers);
  } catch (error) {
    throw new ConfigError([`--config ${path}: not valid JSON (${(error as Error).message})`], {
      cause: error,
    });
  }
  if (!isPlainObject(parsed)) {
    throw new ConfigError([
      `--config ${path}: must hold a JSON object of settings, like {"retry": {"maxRetries": 5}}; got ${
        describe(parsed)
      }`,
    ]);
  }
  return parsed;
}

/** A number JSON can write but JavaScript cannot hold (`1e400`), kept as written so the
 * error quotes it instead of a mangled `Infinity` or `null`. */
class WrittenNumber {
  constructor(readonly source: string) {}
}

function keepOutOfRangeNumbers(
  this: unknown,
  _key: string,
  value: unknown,
  context?: { source?: string },
): unknown {
  return typeof value === "number" && !Number.isFinite(value) && context?.source
    ? new WrittenNumber(context.source)
    : value;
}

function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  prefix: readonly PropertyKey[],
): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) =>
        `${
          formatPath([...prefix, ...issue.path, key])
        }: unknown key; remove it or check its spelling`
      );
    }
    const path = formatPath([...prefix, ...issue.path]);
    return [`${path}: ${issue.message}, got ${describe(valueAt(input, issue.path))}`];
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "config" : path.map(String).join(".");
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = isPlainObject(value) ? value[key as string] : undefined;
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value instanceof WrittenNumber) return value.source;
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
