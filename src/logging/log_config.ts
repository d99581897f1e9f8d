import { getRotatingFileSink } from "@logtape/file";
import {
  ansiColorFormatter,
  type Config,
  getConsoleSink,
  getTextFormatter,
  jsonLinesFormatter,
  type LogLevel,
  type LogRecord,
  type Sink,
  withFilter,
} from "@logtape/logtape";
import { redactByField, redactByPattern } from "@logtape/redaction";
import { redactText, secretFieldPatterns, secretTextPatterns } from "../redact/mod.ts";

/** Where logs go. */
export interface LogOptions {
  /** JSON Lines file; empty: none. */
  filePath: string;
  /** The file rotates past this size. @default 10 MiB */
  maxBytes?: number;
  /** Rotated files kept. @default 5 */
  maxFiles?: number;
  /** Lowest level recorded. */
  level: LogLevel;
  /** Readable lines on stderr (coloured when `colour`) from `level` up; `false`: none. */
  console: false | { colour: boolean; level?: LogLevel };
  /** Every secret the config named, read live: each is removed from every line, whatever
   * field it hides in. */
  knownSecrets?: ReadonlySet<string>;
}

/**
 * The LogTape configuration for `main.ts` to pass to `configure()`: JSON Lines in a file and
 * readable lines on stderr (stdout stays free for `--json`). Secrets are redacted from both,
 * twice over: fields with secret-looking names, then token patterns in the formatted text (a
 * Telegram `bot<id>:<token>` in a URL, a bearer token).
 */
export function buildLogConfig(options: LogOptions): Config<string, string> {
  const sinks: Record<string, Sink> = {};
  const known = options.knownSecrets;
  const scrub = <F extends (record: LogRecord) => string>(format: F) => (record: LogRecord) => {
    const text = format(record);
    return known && known.size > 0 ? redactText(text, [...known]) : text;
  };
  if (options.filePath) {
    sinks.file = redactByField(
      getRotatingFileSink(options.filePath, {
        formatter: scrub(redactByPattern(jsonLinesFormatter, secretTextPatterns)),
        maxSize: options.maxBytes ?? 10 * 1024 * 1024,
        maxFiles: options.maxFiles ?? 5,
        // Each flush is a write and an fsync: a larger buffer, flushed at least every second,
        // keeps a busy campaign from spending its time in fsync, and the fsync runs off the
        // main thread (nonBlocking) so contacts do not wait for the disk. Every exit path
        // disposes the sinks, which flushes what is left and waits for it.
        bufferSize: 64 * 1024,
        flushInterval: 1000,
        nonBlocking: true,
      }),
      secretFieldPatterns,
    );
  }
  if (options.console) {
    const formatter = scrub(redactByPattern(
      options.console.colour ? ansiColorFormatter : getTextFormatter(),
      secretTextPatterns,
    ));
    sinks.console = withFilter(
      redactByField(
        getConsoleSink({
          formatter,
          levelMap: {
            trace: "error",
            debug: "error",
            info: "error",
            warning: "error",
            error: "error",
            fatal: "error",
          },
        }),
        secretFieldPatterns,
      ),
      options.console.level ?? options.level,
    );
  }
  return {
    reset: true,
    sinks,
    loggers: [
      { category: "ai-call-agent", sinks: Object.keys(sinks), lowestLevel: options.level },
      { category: ["logtape", "meta"], sinks: Object.keys(sinks), lowestLevel: "warning" },
    ],
  };
}
