/**
 * The command line: commands, their arguments and exit codes.
 * @module
 */
export { type CliIo, ExitCode } from "./cli_io.ts";
export { mainHelp, runCli } from "./run_cli.ts";
export { UsageError } from "./usage_error.ts";
export { parseSimulateArgs, simulateHelp } from "./simulate_command.ts";
export { signalExitCode } from "./cli_io.ts";
