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
export { type SheetsEvent, SheetsLogSink, type SheetsSinkOptions } from "./sheets_log_sink.ts";
export { sheetColumns, type SheetRow } from "./sheet_row.ts";
export { SheetsClient } from "./sheets_client.ts";
export { createSheetsSink, type SheetsDeps } from "./create_sheets_sink.ts";
