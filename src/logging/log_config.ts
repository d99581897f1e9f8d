import { getFileSink } from "@logtape/file";
import {
  ansiColorFormatter,
  type Config,
  getConsoleSink,
  getTextFormatter,
  jsonLinesFormatter,
  type LogLevel,
  type Sink,
  withFilter,
} from "@logtape/logtape";
import { redactByField } from "@logtape/redaction";
import { secretFieldPatterns } from "./redact.ts";

/** Where logs go. */
export interface LogOptions {
  /** JSON Lines file; empty: none. */
  filePath: string;
  /** Lowest level recorded. */
  level: LogLevel;
  /** Readable lines on stderr (coloured when `colour`) from `level` up; `false`: none. */
  console: false | { colour: boolean; level?: LogLevel };
}

/**
 * The LogTape configuration for `main.ts` to pass to `configure()`: JSON Lines in a file and
 * readable lines on stderr (stdout stays free for `--json`), secrets redacted from both.
 */
export function buildLogConfig(options: LogOptions): Config<string, string> {
  const sinks: Record<string, Sink> = {};
  if (options.filePath) {
    sinks.file = redactByField(
      getFileSink(options.filePath, { formatter: jsonLinesFormatter, lazy: true }),
      secretFieldPatterns,
    );
  }
  if (options.console) {
    const formatter = options.console.colour ? ansiColorFormatter : getTextFormatter();
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
