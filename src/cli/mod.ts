/**
 * The command line: commands, their arguments and exit codes.
 * @module
 */
export { type CliIo, ExitCode } from "./cli_io.ts";
export { runCli } from "./run_cli.ts";

export { signalExitCode } from "./cli_io.ts";
