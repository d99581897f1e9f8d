import type { z } from "zod";
import { channelDefaults, defaultConfig } from "../../config/defaults.ts";
import type { BreakerOptions } from "../breaker/mod.ts";
import { ConfigError } from "../errors.ts";
import { environmentFailureOf } from "../platform/mod.ts";
import type { RetryOptions } from "../retry/mod.ts";
import {
  type AgentConfig,
  breakerSchema,
  type BreakerSettings,
  configSchema,
  type FallbackLink,
  retrySchema,
  type RetrySettings,
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
 * Validates `override` merged over the defaults (each alert channel over its kind's defaults)
 * and resolves every policy once: each service's and the Sheets log's retry and breaker
 * overrides merged over the global sections, the alert channels' retry likewise, and each
 * channel's deadline. Throws {@link ConfigError} listing every problem by path and value.
 */
export function parseConfig(override: unknown = {}): AgentConfig {
  if (!isPlainObject(override)) {
    throw new ConfigError([`config: must be a JSON object, got ${describe(override)}`]);
  }
  const input = withFallbackDefaults(withChannelDefaults(deepMerge(defaultConfig, override)));
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues, input, []));
  const config = parsed.data;
  const problems: string[] = [];
  // An invalid merge is reported; the global section stands in until the throw below.
  const retryOver = (override: unknown, path: string[]): RetrySettings => {
    const effective = deepMerge(config.retry, override ?? {});
    const checked = retrySchema.safeParse(effective);
    if (checked.success) return checked.data;
    problems.push(...formatIssues(checked.error.issues, effective, path));
    return config.retry;
  };
  const breakerOver = (override: unknown, path: string[]): BreakerSettings => {
    const effective = deepMerge(config.breaker, override ?? {});
    const checked = breakerSchema.safeParse(effective);
    if (checked.success) return checked.data;
    problems.push(...formatIssues(checked.error.issues, effective, path));
    return config.breaker;
  };
  const withPolicies = <Section extends { retry?: unknown; breaker?: unknown }>(
    section: Section,
    path: string[],
  ) => ({
    ...section,
    retry: retryOver(section.retry, [...path, "retry"]),
    breaker: breakerOver(section.breaker, [...path, "breaker"]),
  });
  const { llm, tts, telephony, crm } = config.services;
  const resolved: AgentConfig = {
    ...config,
    services: {
      llm: {
        ...withPolicies(llm, ["services", "llm"]),
        fallbacks: llm.fallbacks.map((link, i) =>
          withPolicies(link, ["services", "llm", "fallbacks", String(i)])
        ),
      },
      tts: {
        ...withPolicies(tts, ["services", "tts"]),
        fallbacks: tts.fallbacks.map((link, i) =>
          withPolicies(link, ["services", "tts", "fallbacks", String(i)])
        ),
      },
      telephony: withPolicies(telephony, ["services", "telephony"]),
      crm: withPolicies(crm, ["services", "crm"]),
    },
    alerts: {
      ...config.alerts,
      retry: retryOver(config.alerts.retry, ["alerts", "retry"]),
      channels: Object.fromEntries(
        Object.entries(config.alerts.channels).map(([name, channel]) => [
          name,
          {
            ...channel,
            timeoutMs: ("timeoutMs" in channel && channel.timeoutMs) || config.alerts.timeoutMs,
          },
        ]),
      ),
    },
    sheets: withPolicies(config.sheets, ["sheets"]),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}

/**
 * Each fallback link of the script's and the voice's chain merged over its role: a link takes
 * every setting of `services.<role>` it does not set itself (deadline, bulkhead, retry and
 * breaker overrides, each kind's section, so `services.llm.anthropic.apiKeyEnv` is set once),
 * except its `kind` (its own to name) and `mock` (a mock link has its own fault script).
 */
function withFallbackDefaults(input: unknown): unknown {
  if (!isPlainObject(input) || !isPlainObject(input.services)) return input;
  const services: Record<string, unknown> = { ...input.services };
  for (const role of ["llm", "tts"] as const) {
    const section = services[role];
    if (!isPlainObject(section) || !Array.isArray(section.fallbacks)) continue;
    const { fallbacks, kind: _kind, mock: _mock, ...inherited } = section;
    const base = { ...inherited, mock: defaultConfig.services[role].mock };
    services[role] = {
      ...section,
      fallbacks: fallbacks.map((link) => isPlainObject(link) ? deepMerge(base, link) : link),
    };
  }
  return { ...input, services };
}

/** Each alert channel of known kind merged over that kind's defaults. */
function withChannelDefaults(input: unknown): unknown {
  const channels = isPlainObject(input) && isPlainObject(input.alerts)
    ? input.alerts.channels
    : undefined;
  if (!isPlainObject(channels)) return input;
  const filled: Record<string, unknown> = {};
  for (const [name, channel] of Object.entries(channels)) {
    const kind = isPlainObject(channel) ? channel.kind : undefined;
    filled[name] = typeof kind === "string" && Object.hasOwn(channelDefaults, kind)
      ? deepMerge(channelDefaults[kind as keyof typeof channelDefaults], channel)
      : channel;
  }
  return deepMerge(input, { alerts: { channels: filled } });
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

/** One provider of a role's chain: its service name, where its settings are, and them. */
export interface ChainProvider<Role extends "llm" | "tts"> {
  name: string;
  /** `services.llm`, `services.llm.fallbacks.0`, ...: where its settings (and secrets) are. */
  path: string;
  section: Omit<AgentConfig["services"][Role], "fallbacks">;
}

/** The providers of a role's chain, the primary first (named after the role), then each
 * fallback in order. */
export function chainProviders(
  config: Pick<AgentConfig, "services">,
  role: "llm",
): ChainProvider<"llm">[];
export function chainProviders(
  config: Pick<AgentConfig, "services">,
  role: "tts",
): ChainProvider<"tts">[];
export function chainProviders(
  config: Pick<AgentConfig, "services">,
  role: "llm" | "tts",
): ChainProvider<"llm">[] | ChainProvider<"tts">[] {
  const chain = <Section>(primary: Section, links: readonly (Section & { name: string })[]) => [
    { name: role, path: `services.${role}`, section: primary },
    ...links.map((link, i) => ({
      name: link.name,
      path: `services.${role}.fallbacks.${i}`,
      section: link,
    })),
  ];
  const { llm, tts } = config.services;
  return role === "llm"
    ? chain<ChainProvider<"llm">["section"]>(llm, llm.fallbacks)
    : chain<ChainProvider<"tts">["section"]>(tts, tts.fallbacks);
}

/** The script's and the voice's chains: each link's service name, the primary first (`llm`,
 * `tts`), then each fallback in order. */
export function chainsOf(
  config: Pick<AgentConfig, "services">,
): { llm: string[]; tts: string[] } {
  return {
    llm: chainProviders(config, "llm").map((provider) => provider.name),
    tts: chainProviders(config, "tts").map((provider) => provider.name),
  };
}

/** Each service's policies, as `parseConfig` resolved them: the four pipeline services and
 * every fallback link, by name (each link is a service of its own). */
export function servicePolicies(config: AgentConfig): Record<string, ServicePolicyConfig> {
  type Section = AgentConfig["services"][ServiceName] | FallbackLink;
  const policy = (service: Section): ServicePolicyConfig => ({
    retry: service.retry,
    breaker: service.breaker,
    timeoutMs: service.timeoutMs,
    maxInFlight: "elevenlabs" in service && service.kind === "elevenlabs"
      ? Math.min(service.maxInFlight, service.elevenlabs.maxConcurrency)
      : service.maxInFlight,
    slotWaitMs: service.slotWaitMs,
  });
  const { llm, tts, telephony, crm } = config.services;
  return {
    llm: policy(llm),
    tts: policy(tts),
    telephony: policy(telephony),
    crm: policy(crm),
    ...Object.fromEntries(
      [...llm.fallbacks, ...tts.fallbacks].map((link) => [link.name, policy(link)]),
    ),
  };
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
    const why = environmentFailureOf(error) === "not-found"
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
  for (const key of path) {
    value = isPlainObject(value) || Array.isArray(value)
      ? (value as Record<PropertyKey, unknown>)[key]
      : undefined;
  }
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
