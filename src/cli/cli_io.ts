import type { NetworkDeps } from "../http/mod.ts";
import type { Tracing } from "../tracing/mod.ts";
import type { LogOptions } from "../logging/mod.ts";

/** What commands need from the process; `main.ts` passes the real ones, tests fakes (the network
 * among them, for real provider clients). */
export interface CliIo extends NetworkDeps {
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
  readTextFile(path: string): Promise<string>;
  /** Applies the logging configuration (only `main.ts` may call LogTape's `configure`). */
  configureLogging(options: LogOptions): Promise<void>;
  /** Whether stdout is a terminal (colours, live progress). */
  isTerminal: boolean;
  /** Reads an environment variable: the only way secrets come in. */
  env(name: string): string | undefined;
  /** Spans of `run`'s contacts, steps and attempts. @default none */
  tracing?: Tracing;
  /** Writes a file, creating its folder. */
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
  /** Opens a file for streaming; rejects with Deno's NotFound when it is missing. */
  openFile(path: string): Promise<ReadableStream<Uint8Array>>;
  /** A file's size and modification time (clock ms); rejects as `openFile` does. */
  statFile(path: string): Promise<{ size: number; mtimeMs: number }>;
  /** Creates a folder and its parents. */
  mkdir(path: string): Promise<void>;
  /**
   * Calls `listener` on the first SIGINT or SIGTERM; `main.ts` exits at once on a second one.
   * Dispose to stop listening.
   */
  onShutdownSignal(listener: (signal: "SIGINT" | "SIGTERM") => void): Disposable;
  /** Serves HTTP (only `main.ts` calls `Deno.serve`); resolves once listening. */
  serve(
    handler: (request: Request) => Response | Promise<Response>,
    options: { hostname: string; port: number },
  ): Promise<{ port: number; shutdown(): Promise<void> }>;
  /** Writes text to stderr without a newline (the live progress line). */
  errRaw(text: string): void;
}

/** Exit code of a run stopped by a signal: 128 + the signal's number. */
export const signalExitCode = { SIGINT: 130, SIGTERM: 143 } as const;

/** Exit codes, documented in README. */
export const ExitCode = {
  ok: 0,
  /** Some contacts failed, or the simulation broke an invariant. */
  failed: 1,
  /** Bad usage, or bad config or environment. */
  usage: 2,
  /** Every contact completed, but Sheets rows or alert messages wait undelivered. */
  undelivered: 3,
  /** The contacts left wait only for a spend cap (budget): raise it, or wait for a new day. */
  budget: 4,
} as const;
