/**
 * ai-call-agent's entry point: builds the process-level dependencies (files, network,
 * environment, signals, logging), runs the command line, flushes the logs and exits with the
 * command's code. The only file that touches `Deno.exit`, `Deno.env` or LogTape's `configure`.
 * @module
 */
import { configure, dispose } from "@logtape/logtape";
import { dirname } from "node:path";
import { runCli, signalExitCode } from "./src/cli/mod.ts";
import { createFreshConnectionFetch, createUntracedFetch } from "./src/platform/mod.ts";
import { systemClock } from "./src/clock/mod.ts";
import { buildLogConfig } from "./src/logging/mod.ts";
import { denoLogFiles } from "./src/platform/mod.ts";
import { redactText } from "./src/redact/mod.ts";
import {
  captureContentVariable,
  capturesMessageContent,
  tracingIfExported,
} from "./src/tracing/mod.ts";
import { version } from "./src/version.ts";

const encoder = new TextEncoder();
const writeLine = (file: typeof Deno.stdout, line: string) => {
  let bytes = encoder.encode(line + "\n");
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
};
const mkdir = (path: string) => Deno.mkdir(path, { recursive: true });
let signals = 0;
/** A variable's value, or undefined where the task may not read it (simulate reads none). */
const optionalEnv = (variable: string) =>
  Deno.permissions.querySync({ name: "env", variable }).state === "granted"
    ? Deno.env.get(variable)
    : undefined;
// With OTEL_DENO=true, Deno exports the spans (see docs/operations.md, Traces).
const tracing = tracingIfExported("ai-call-agent", version, {
  captureContent: capturesMessageContent(optionalEnv(captureContentVariable)),
});
// Requests that must not be sent twice go out on connections that are never reused.
using freshFetch = createFreshConnectionFetch();

let code: number;
try {
  code = await runCli(Deno.args, {
    out: (line) => writeLine(Deno.stdout, line),
    err: (line) => writeLine(Deno.stderr, line),
    readTextFile: (path) => Deno.readTextFile(path),
    isTerminal: Deno.stdout.isTerminal(),
    env: (name) => Deno.env.get(name),
    fetch: globalThis.fetch,
    freshFetch,
    tracing,
    untracedFetch: tracing.on ? createUntracedFetch() : undefined,
    writeFile: async (
      path,
      bytes,
    ) => (await mkdir(dirname(path)), await Deno.writeFile(path, bytes)),
    openFile: async (path) => (await Deno.open(path)).readable,
    statFile: async (path) => {
      const { size, mtime } = await Deno.stat(path);
      return { size, mtimeMs: mtime?.getTime() ?? 0 };
    },
    mkdir,
    configureLogging: async (options) => {
      if (options.filePath) await mkdir(dirname(options.filePath));
      await configure(buildLogConfig(options, {
        files: denoLogFiles,
        clock: systemClock,
        traceIds: tracing.on ? tracing.activeIds : undefined,
      }));
    },
    errRaw: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
    serve: (handler, { hostname, port }) =>
      new Promise((resolve) => {
        const server = Deno.serve({
          hostname,
          port,
          onListen: ({ port }) => resolve({ port, shutdown: () => server.shutdown() }),
        }, handler);
      }),
    onShutdownSignal: (listener) => {
      const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
        const handler = () => {
          // A second signal exits at once: every ledger write is one transaction, so this
          // cannot leave it half-written.
          if (++signals > 1) {
            // Flush the logs even on the way out: the file sink writes its buffer at once and
            // syncs it off the main thread, so this is a moment, not a wait on the campaign.
            void dispose().finally(() => Deno.exit(signalExitCode[signal]));
            return;
          }
          listener(signal);
        };
        Deno.addSignalListener(signal, handler);
        return () => Deno.removeSignalListener(signal, handler);
      });
      return { [Symbol.dispose]: () => handlers.forEach((remove) => remove()) };
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
