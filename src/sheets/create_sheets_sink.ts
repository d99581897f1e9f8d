import type { NetworkDeps } from "../http/mod.ts";
import type { Clock, Random } from "../clock/mod.ts";
import type { AgentConfig } from "../config/mod.ts";
import { ConfigError } from "../errors.ts";
import type { Outbox } from "../ledger/mod.ts";
import { GoogleAccessToken, parseServiceAccountKey } from "./google_token.ts";
import { SheetsLogSink } from "./sheets_log_sink.ts";
import type { Tracing } from "../tracing/mod.ts";

/** What the Sheets sink needs from outside. */
export interface SheetsDeps extends NetworkDeps {
  clock: Clock;
  random: Random;
  outbox: Outbox;
  env: (name: string) => string | undefined;
  readTextFile: (path: string) => Promise<string>;
  /** Collects every secret read (here, the service account's private key). */
  knownSecrets?: Set<string>;
  /** Where append attempts become spans. */
  tracing?: Tracing;
}

/**
 * Builds the Sheets sink when `sheets.enabled`, reading the service-account key from
 * `keyFile` or the variable `keyEnv`; a missing or malformed key is a ConfigError (exit 2).
 */
export async function createSheetsSink(
  config: AgentConfig,
  deps: SheetsDeps,
): Promise<SheetsLogSink | undefined> {
  const sheets = config.sheets;
  if (!sheets.enabled) return undefined;
  let keyText: string | undefined;
  let source: string;
  if (sheets.keyFile) {
    source = `sheets.keyFile ${sheets.keyFile}`;
    try {
      keyText = await deps.readTextFile(sheets.keyFile);
    } catch (error) {
      throw new ConfigError([
        `${source}: cannot read it (${(error as Error).name}); give the path of the JSON key`,
      ]);
    }
  } else {
    source = `sheets.keyEnv ${sheets.keyEnv}`;
    keyText = deps.env(sheets.keyEnv)?.trim();
    if (!keyText) {
      throw new ConfigError([
        `sheets.keyEnv: environment variable ${sheets.keyEnv} is not set; export the service account's JSON key, or set sheets.keyFile`,
      ]);
    }
  }
  const key = parseServiceAccountKey(keyText, source);
  deps.knownSecrets?.add(key.private_key);
  const token = new GoogleAccessToken(key, { tokenUrl: sheets.tokenUrl }, deps);
  return new SheetsLogSink({
    baseUrl: sheets.baseUrl,
    spreadsheetId: sheets.spreadsheetId,
    range: sheets.range,
    batchRows: sheets.batchRows,
    flushIntervalMs: sheets.flushIntervalMs,
    maxWritesPerMinute: sheets.maxWritesPerMinute,
    timeoutMs: sheets.timeoutMs,
    retry: sheets.retry,
    breaker: sheets.breaker,
    stalledAfterMs: sheets.stalledAfterMs,
  }, { ...deps, token });
}
