import { ConfigError } from "../errors.ts";
import { type CliIo, ExitCode } from "./cli_io.ts";
import { simulateCommand } from "./simulate_command.ts";
import { runCommand } from "./run_command.ts";
import { ContactsFileError } from "../contacts/mod.ts";
import { checkConfigCommand } from "./check_config_command.ts";
import { UsageError } from "./usage_error.ts";
import { EnvironmentError } from "./environment_error.ts";
import { version } from "../version.ts";

export const mainHelp =
  `ai-call-agent ${version}: keeps an outbound AI calling pipeline alive while its providers fail

Usage: ai-call-agent <command> [options]

Commands:
  run            run or resume a campaign: run --contacts FILE [--campaign NAME] [--db FILE]
  simulate       run the seed scenario (outage, retries, breaker, recovery)
  check-config   validate the config and environment, print the effective config

Options:
  -h, --help       show this help (also: <command> --help)
  -V, --version    print the version

Exit codes: 0 success, 1 contacts failed or an invariant broke, 2 bad usage, config,
environment or contacts file, 3 rows or alerts wait undelivered (the next run sends them),
70 an internal error (a bug), 130/143 stopped by SIGINT/SIGTERM.`;

const commands: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  run: (args, io) => runCommand(args, io),
  simulate: simulateCommand,
  "check-config": checkConfigCommand,
};

/**
 * Runs the command line and returns the exit code. Usage and config errors print their
 * message and return 2; anything else propagates to `main.ts`.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    // Bad usage: the help goes where errors go.
    io.err(mainHelp);
    return ExitCode.usage;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    io.out(mainHelp);
    return ExitCode.ok;
  }
  if (name === "-V" || name === "--version") {
    io.out(version);
    return ExitCode.ok;
  }
  const command = commands[name];
  if (!command) {
    io.err(`unknown command "${name}"; commands: ${Object.keys(commands).join(", ")}\n`);
    io.err(mainHelp);
    return ExitCode.usage;
  }
  try {
    return await command(args, io);
  } catch (error) {
    if (
      error instanceof UsageError || error instanceof ConfigError ||
      error instanceof ContactsFileError || error instanceof EnvironmentError
    ) {
      io.err(`error: ${error.message}`);
      return ExitCode.usage;
    }
    throw error;
  }
}
