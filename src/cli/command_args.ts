import { parseArgs, type ParseArgsConfig } from "node:util";
import { type AgentConfig, deepMerge, parseConfig, readConfigFile } from "../config/mod.ts";
import type { CliIo } from "./cli_io.ts";
import type { LogOptions } from "../logging/mod.ts";
import { environmentError } from "./environment_error.ts";
import { UsageError } from "./usage_error.ts";

/**
 * Parses a command's flags strictly (no positionals); an unknown or malformed flag is a
 * {@link UsageError} followed by the command's help.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  help: string,
): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>["values"] {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${help}`);
  }
}

/**
 * A command's configuration: `commandDefaults` under the `--config` file, and `flags` over
 * it, all over `config/defaults.ts`, validated.
 */
export async function loadCommandConfig(
  configPath: string | undefined,
  io: Pick<CliIo, "readTextFile">,
  layers: { commandDefaults?: unknown; flags?: unknown } = {},
): Promise<AgentConfig> {
  const file = configPath ? await readConfigFile(configPath, io.readTextFile) : {};
  return parseConfig(deepMerge(deepMerge(layers.commandDefaults ?? {}, file), layers.flags ?? {}));
}

/**
 * Applies `config.logging`; a log file the task may not write (or whose folder cannot be
 * made) is an EnvironmentError naming `logging.filePath` and the fix (where the task may write:
 * `writableBy`, the start task's folders unless told).
 */
export async function configureCommandLogging(
  config: AgentConfig,
  io: Pick<CliIo, "configureLogging">,
  extra: Pick<LogOptions, "console" | "knownSecrets">,
  writableBy?: string,
): Promise<void> {
  try {
    await io.configureLogging({
      filePath: config.logging.filePath,
      level: config.logging.level,
      maxBytes: config.logging.maxBytes,
      maxFiles: config.logging.maxFiles,
      ...extra,
    });
  } catch (error) {
    throw environmentError(
      `logging.filePath ${config.logging.filePath}`,
      error,
      "write",
      writableBy,
    );
  }
}
