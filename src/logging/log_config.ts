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
import type { Clock } from "../clock/mod.ts";
import { redactText, secretFieldPatterns, secretTextPatterns } from "../redact/mod.ts";
import { type LogFiles, logFileSink } from "./log_file_sink.ts";
import type { TraceIds } from "../tracing/mod.ts";

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
export function buildLogConfig(
  options: LogOptions,
  deps: { files: LogFiles; clock: Clock; traceIds?: () => TraceIds | undefined },
): Config<string, string> {
  const sinks: Record<string, Sink> = {};
  const known = options.knownSecrets;
  const scrub = <F extends (record: LogRecord) => string>(format: F) => (record: LogRecord) => {
    const text = format(record);
    return known && known.size > 0 ? redactText(text, [...known]) : text;
  };
  if (options.filePath) {
    // Lines reach the file within 100 ms (all a SIGKILL can lose) in one write per batch;
    // syncs to the disk run in the background. Every exit path disposes the sinks.
    sinks.file = withTraceIds(
      deps.traceIds,
      redactByField(
        logFileSink(
          options.filePath,
          scrub(redactByPattern(jsonLinesFormatter, secretTextPatterns)),
          deps,
          {
            ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
            ...(options.maxFiles ? { maxFiles: options.maxFiles } : {}),
          },
        ),
        secretFieldPatterns,
      ),
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

/** A sink whose records carry the active span's `trace_id` and `span_id` (when tracing is on
 * and a span is active), so a log line leads to its trace. */
function withTraceIds(traceIds: (() => TraceIds | undefined) | undefined, sink: Sink): Sink {
  if (!traceIds) return sink;
  return (record) => {
    const ids = traceIds();
    sink(
      ids
        ? {
          ...record,
          properties: { ...record.properties, trace_id: ids.traceId, span_id: ids.spanId },
        }
        : record,
    );
  };
}
