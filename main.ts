/**
 * ai-call-agent's entry point: builds the process-level dependencies, runs the command line,
 * flushes the logs and exits with the command's code.
 * @module
 */
import { configure, dispose } from "@logtape/logtape";
import { dirname } from "node:path";
import { buildLogConfig, redactText } from "./src/logging/mod.ts";
import { runCli } from "./src/cli/mod.ts";

const encoder = new TextEncoder();
const writeLine = (file: typeof Deno.stdout, line: string) => {
  let bytes = encoder.encode(line + "\n");
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
};
let code: number;
try {
  code = await runCli(Deno.args, {
    out: (line) => writeLine(Deno.stdout, line),
    err: (line) => writeLine(Deno.stderr, line),
    readTextFile: (path) => Deno.readTextFile(path),
    isTerminal: Deno.stdout.isTerminal(),
    env: (name) => Deno.env.get(name),
    fetch: globalThis.fetch,
    writeFile: async (path, bytes) => {
      await Deno.mkdir(dirname(path), { recursive: true });
      await Deno.writeFile(path, bytes);
    },
    configureLogging: async (options) => {
      if (options.filePath) await Deno.mkdir(dirname(options.filePath), { recursive: true });
      await configure(buildLogConfig(options));
    },
  });
} catch (error) {
  const detail = error instanceof Error ? error.stack ?? error.message : String(error);
  writeLine(Deno.stderr, `ai-call-agent: unexpected error: ${redactText(detail)}`);
  code = 70;
} finally {
  await dispose();
}
Deno.exit(code!);
