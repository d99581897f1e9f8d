import { errorOfKind, type ErrorScope, type FailureKind, type ServiceError } from "../errors.ts";

/** What a provider's error response says, read once by the HTTP core. */
export interface ErrorResponse {
  service: string;
  status: number;
  /** Provider's error code from the body (`rate_limit_exceeded`, `voice_not_found`...). */
  code?: string;
  /** Provider's message from the body, redacted and cut short. */
  message?: string;
  /** Parsed Retry-After, if the response had one. */
  retryAfterMs?: number;
  /** Parsed JSON body, if it was JSON. */
  json?: unknown;
}

/** The failures a response can say (a timeout or a dropped connection is no response). */
export type ErrorKind = Exclude<FailureKind, "timeout" | "connection">;

/** One row of a provider's error table. A row without `codes` matches any code. */
export interface ErrorRule {
  status: number | readonly number[];
  codes?: readonly string[];
  kind: ErrorKind;
  /** Overrides the class's default scope (e.g. a missing model is service-wide). */
  scope?: ErrorScope;
  /** A fixed wait when the provider's rule implies one (HubSpot's ten-second window). */
  retryAfterMs?: number;
}

/** A provider's table: its rows in order, and how to read the code from its error body. */
export interface ErrorTable {
  provider: string;
  rules: readonly ErrorRule[];
  /** Reads the provider's error code and message out of its JSON error body. */
  readError(json: unknown): { code?: string; message?: string };
  /** Reads a wait the body asks for (Telegram's `parameters.retry_after`), if any. */
  retryAfterMs?(json: unknown): number | undefined;
}

/**
 * Turns a provider's error response into the taxonomy: the first matching row of `table`
 * decides; with none, 5xx and 408 are transient, 429 a rate limit, 401/403 authentication,
 * other 4xx this contact's invalid request.
 */
export function classifyResponse(table: ErrorTable, response: ErrorResponse): ServiceError {
  const rule = table.rules.find((row) =>
    (typeof row.status === "number"
      ? row.status === response.status
      : row.status.includes(response.status)) &&
    (row.codes === undefined || (response.code !== undefined && row.codes.includes(response.code)))
  );
  return makeError(rule?.kind ?? defaultKind(response.status), response, rule);
}

function defaultKind(status: number): ErrorKind {
  if (status === 429) return "rate-limit";
  if (status >= 500 || status === 408) return "unavailable";
  if (status === 401 || status === 403) return "auth";
  return "invalid-request";
}

function makeError(kind: ErrorKind, response: ErrorResponse, rule?: ErrorRule): ServiceError {
  return errorOfKind(kind, {
    service: response.service,
    status: response.status,
    code: response.code,
    scope: rule?.scope,
    retryAfterMs: response.retryAfterMs ?? rule?.retryAfterMs,
    message: `HTTP ${response.status}${response.code ? ` ${response.code}` : ""}${
      response.message ? `: ${response.message}` : ""
    }`,
  });
}
