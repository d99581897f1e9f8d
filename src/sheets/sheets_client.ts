import type { Clock, Random } from "../clock/mod.ts";
import { AuthenticationError } from "../errors.ts";
import { type ErrorTable, HttpClient, type NetworkDeps } from "../http/mod.ts";
import type { GoogleAccessToken } from "./google_token.ts";
import { sheetColumns, type SheetRow } from "./sheet_row.ts";

const sheetsErrors: ErrorTable = {
  provider: "google-sheets",
  rules: [
    { status: 429, kind: "rate-limit" },
    { status: 401, kind: "auth" },
    { status: 403, kind: "auth" },
    { status: 404, kind: "not-found", scope: "service" },
    { status: 400, kind: "invalid-request" },
    { status: [500, 502, 503, 504], kind: "unavailable" },
  ],
  readError(json) {
    const error = (json as { error?: { status?: unknown; message?: unknown } })?.error;
    return {
      code: typeof error?.status === "string" ? error.status : undefined,
      message: typeof error?.message === "string" ? error.message : undefined,
    };
  },
};

/**
 * The Sheets API calls the log makes, authorized with the service account's token (refreshed
 * once on a 401): `values.append` of rows, and reading back the row ids.
 */
export class SheetsClient {
  readonly #options: { baseUrl: string; spreadsheetId: string; range: string };
  readonly #http: HttpClient;
  readonly #token: GoogleAccessToken;

  constructor(
    options: { baseUrl: string; spreadsheetId: string; range: string },
    deps: NetworkDeps & {
      clock: Clock;
      random: Random;
      token: GoogleAccessToken;
    },
  ) {
    this.#options = options;
    this.#token = deps.token;
    this.#http = new HttpClient({
      service: "sheets",
      baseUrl: options.baseUrl,
      errors: sheetsErrors,
    }, deps);
  }

  /**
   * Appends `rows` under the range (`values.append`, RAW, INSERT_ROWS). `beforeSend` runs
   * right before the request leaves, after any token fetch (a rate limit's turn is taken
   * there).
   */
  append(
    rows: readonly SheetRow[],
    signal: AbortSignal,
    beforeSend: () => Promise<unknown> = () => Promise.resolve(),
  ): Promise<unknown> {
    return this.#withToken(signal, async (token) => {
      await beforeSend();
      return this.#append(rows, token, signal);
    });
  }

  /** Runs `work` with a token; on a 401, refreshes the token once and runs it again. */
  async #withToken<T>(
    signal: AbortSignal,
    work: (token: string) => Promise<T>,
  ): Promise<T> {
    try {
      return await work(await this.#token.get(signal));
    } catch (error) {
      if (!(error instanceof AuthenticationError && error.status === 401)) throw error;
      this.#token.invalidate();
      return await work(await this.#token.get(signal));
    }
  }

  #append(rows: readonly SheetRow[], token: string, signal: AbortSignal): Promise<unknown> {
    const { spreadsheetId, range } = this.#options;
    return this.#http.json({
      method: "POST",
      path: `/v4/spreadsheets/${encodeURIComponent(spreadsheetId)}/values/${
        encodeURIComponent(range)
      }:append`,
      query: { valueInputOption: "RAW", insertDataOption: "INSERT_ROWS" },
      headers: { authorization: `Bearer ${token}` },
      json: { values: rows.map((row) => sheetColumns.map((column) => row[column])) },
      signal,
    });
  }

  /**
   * The row ids already in the sheet: the first column of the range (`Log!C:L` keeps them in
   * C), read back to tell which rows of a batch an earlier attempt appended.
   */
  async rowIds(signal: AbortSignal): Promise<Set<string>> {
    const { spreadsheetId, range } = this.#options;
    // The row id is the first column of the range (`Log!C:L` keeps it in C).
    const [sheet, columns] = range.split("!");
    const first = /^[A-Z]+/.exec(columns)![0];
    const idColumn = `${sheet}!${first}:${first}`;
    const body = await this.#withToken(
      signal,
      (token) =>
        this.#http.json<{ values?: unknown[][] }>({
          method: "GET",
          path: `/v4/spreadsheets/${encodeURIComponent(spreadsheetId)}/values/${
            encodeURIComponent(idColumn)
          }`,
          headers: { authorization: `Bearer ${token}` },
          signal,
        }),
    );
    return new Set((body.values ?? []).map((row) => String(row[0])));
  }
}
