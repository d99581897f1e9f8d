/**
 * Logging: the LogTape configuration `main.ts` applies, with secrets redacted from every line.
 * @module
 */
export { buildLogConfig, type LogOptions } from "./log_config.ts";
export {
  defaultLogFileOptions,
  type LogFile,
  type LogFileOptions,
  type LogFiles,
  logFileSink,
} from "./log_file_sink.ts";
export { literalMessage } from "./literal_message.ts";
