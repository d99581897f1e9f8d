import { parseArgs } from "node:util";
import { systemClock } from "../clock/mod.ts";
import { type AgentConfig, parseConfig, readConfigFile } from "../config/mod.ts";
import { ConfigError } from "../errors.ts";
import { createServices } from "../services/mod.ts";
import { type CliIo, ExitCode } from "./cli_io.ts";
import { UsageError } from "./usage_error.ts";

export const checkConfigHelp = `Usage: ai-call-agent check-config [--config FILE]

Validates the configuration (config/defaults.ts merged with FILE) and the environment: every
service whose kind is real needs its secret's environment variable. Prints the effective
configuration as JSON; secrets are never printed, only whether each variable is set.

Exit codes: 0 valid, 2 invalid (every problem is listed by path).`;

/** The environment variables the config names for secrets, per service in use. */
export function secretVariables(config: AgentConfig): string[] {
  const { llm, tts, crm } = config.services;
  const names: string[] = [];
  if (llm.kind === "openai") names.push(llm.openai.apiKeyEnv);
  if (tts.kind === "elevenlabs") names.push(tts.elevenlabs.apiKeyEnv);
  if (crm.kind === "hubspot") names.push(crm.hubspot.tokenEnv);
  if (crm.kind === "webhook" && crm.webhook.tokenEnv) names.push(crm.webhook.tokenEnv);
  return names;
}

/** Loads `--config` over the defaults, or the defaults alone. */
export async function loadConfig(
  configPath: string | undefined,
  io: Pick<CliIo, "readTextFile">,
): Promise<AgentConfig> {
  return parseConfig(configPath ? await readConfigFile(configPath, io.readTextFile) : {});
}

/** `check-config`: validates config and environment, prints the effective config. */
export async function checkConfigCommand(args: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${checkConfigHelp}`);
  }
  if (values.help) {
    io.out(checkConfigHelp);
    return ExitCode.ok;
  }
  const config = await loadConfig(values.config, io);
  const environment = Object.fromEntries(
    secretVariables(config).map((name) => [name, io.env(name)?.trim() ? "set" : "missing"]),
  );
  try {
    createServices(config, {
      clock: systemClock,
      fetch: io.fetch,
      env: io.env,
      writeFile: io.writeFile,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.out(JSON.stringify({ config, environment }, null, 2));
      throw error;
    }
    throw error;
  }
  io.out(JSON.stringify({ config, environment }, null, 2));
  io.err("configuration is valid");
  return ExitCode.ok;
}
