/**
 * The Google Sheets log: service-account tokens and a batched, rate-limited, outbox-backed
 * sink that never appends a row twice.
 * @module
 */
export {
  GoogleAccessToken,
  parseServiceAccountKey,
  type ServiceAccountKey,
  signServiceAccountJwt,
} from "./google_token.ts";
export {
  type SheetRow,
  type SheetsEvent,
  SheetsLogSink,
  type SheetsSinkOptions,
} from "./sheets_log_sink.ts";
export { createSheetsSink, type SheetsDeps } from "./create_sheets_sink.ts";
