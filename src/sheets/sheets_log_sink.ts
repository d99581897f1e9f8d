import type { NetworkDeps } from "../http/mod.ts";
import { getLogger } from "@logtape/logtape";
import type { BreakerOptions, CircuitBreaker } from "../breaker/mod.ts";
import { type Clock, every, type Periodic, type Random } from "../clock/mod.ts";
import {
  AuthenticationError,
  describeError,
  InvalidRequestError,
  NotFoundError,
} from "../errors.ts";
import { Emitter } from "../events/mod.ts";
import type { Outbox, OutboxItem } from "../ledger/mod.ts";
import {
  type DeliveryHealthEvent,
  type DeliveryHealthStatus,
  type DeliveryStatus,
  DurableDelivery,
} from "../delivery/mod.ts";
import { literalMessage } from "../logging/mod.ts";
import type { RetryOptions } from "../retry/mod.ts";
import type { Tracing } from "../tracing/mod.ts";
import type { GoogleAccessToken } from "./google_token.ts";
import { SheetsClient } from "./sheets_client.ts";
import type { SheetRow } from "./sheet_row.ts";

const logger = getLogger(["ai-call-agent", "sheets"]);

/** Settings of the Sheets sink. */
export interface SheetsSinkOptions {
  baseUrl: string;
  spreadsheetId: string;
  /** Sheet and columns, e.g. `Log!A:I`. */
  range: string;
  /** Rows per append. */
  batchRows: number;
  /** Longest a row waits before its batch goes out. */
  flushIntervalMs: number;
  /** Appends per minute, under Google's 60 per user. */
  maxWritesPerMinute: number;
  timeoutMs: number;
  retry: RetryOptions;
  breaker: BreakerOptions;
  /** How long without an append going through, from the first failed attempt, before the
   * outage is `stalled` (alerted). */
  stalledAfterMs: number;
}

/** What the sink announces: deliveries, and problems a person must fix. */
export type SheetsEvent =
  | { type: "appended"; rows: number; skippedAsDuplicates: number }
  | { type: "failed"; rows: number; errorClass: string; message: string }
  /** An append failed after appends went through: said once per outage, at its first failure
   * (not once a whole retry schedule gave up). */
  | { type: "unavailable"; errorClass: string; message: string; backlog: number }
  /** No append went through for `stalledAfterMs` since the outage began. */
  | { type: "stalled"; errorClass: string; message: string; backlog: number; sinceMs: number }
  /** Rows go out again after an outage. */
  | { type: "recovered"; backlog: number; downMs: number }
  | { type: "configuration-error"; errorClass: string; message: string }
  | { type: "dead-lettered"; rows: number; message: string };

/**
 * Logs one row per contact outcome to a Google Sheet without ever slowing the calls: `append`
 * puts the row in the durable outbox; a background loop sends the oldest rows in batches of
 * `batchRows` through one `values.append` each, under a rate limit and its own retry and
 * breaker. Rows that cannot be sent stay in the outbox, in order, and go out once Sheets
 * recovers. Append is not idempotent, so a batch whose earlier attempt failed ambiguously is
 * first checked against the row ids already in the sheet: no row is appended twice.
 */
export class SheetsLogSink implements AsyncDisposable {
  static readonly queue = "sheets";
  static readonly deadLetters = "sheets:dead";
  readonly breaker: CircuitBreaker;
  readonly #options: SheetsSinkOptions;
  readonly #client: SheetsClient;
  readonly #clock: Clock;
  readonly #delivery: DurableDelivery;
  readonly #events = new Emitter<SheetsEvent>();
  #loop?: { controller: AbortController; periodic: Periodic };
  #flushing?: Promise<void>;
  /** Whether the last batch failed: a state change is logged and announced once. */
  #failing = false;

  constructor(
    options: SheetsSinkOptions,
    deps: NetworkDeps & {
      clock: Clock;
      random: Random;
      outbox: Outbox;
      token: GoogleAccessToken;
      /** Each append attempt is a client span (`sheets attempt`), its requests under it. */
      tracing?: Tracing;
    },
  ) {
    this.#options = options;
    this.#clock = deps.clock;
    this.#client = new SheetsClient(options, deps);
    this.#delivery = new DurableDelivery(SheetsLogSink.queue, {
      retry: options.retry,
      breaker: options.breaker,
      perMinute: options.maxWritesPerMinute,
      timeoutMs: options.timeoutMs,
      stalledAfterMs: options.stalledAfterMs,
    }, deps);
    this.breaker = this.#delivery.breaker;
    this.#delivery.health.onEvent((event) => void this.#onHealth(event));
  }

  /** Where delivery stands now (delivering, failing since when and why, stalled). */
  health(): DeliveryHealthStatus {
    return this.#delivery.health.status();
  }

  /** Stops sending now (a run's exit waited long enough): unsent rows stay in the outbox. */
  cutShort(): void {
    this.#delivery.cutShort();
  }

  /** One log line and one event per change of state: the first failed append, the outage
   * stalling, appends going through again. */
  async #onHealth(event: DeliveryHealthEvent): Promise<void> {
    const backlog = await this.pending().catch(() => -1);
    switch (event.type) {
      case "failing": {
        const failure = describeError(event.error);
        logger.warn(
          literalMessage(
            `Sheets log: an append failed (${failure.errorClass}: ${failure.message}); ${backlog} rows wait in the outbox and go out once Sheets answers`,
          ),
          { ...failure, backlog },
        );
        this.#events.emit({ type: "unavailable", ...failure, backlog });
        return;
      }
      case "stalled": {
        const failure = describeError(event.error);
        const sinceMs = this.#clock.now() - event.since;
        logger.error(
          literalMessage(
            `Sheets log: no append has gone through for ${
              Math.round(sinceMs / 1000)
            } s (${failure.errorClass}: ${failure.message}); ${backlog} rows wait`,
          ),
          { ...failure, backlog, sinceMs },
        );
        this.#events.emit({ type: "stalled", ...failure, backlog, sinceMs });
        return;
      }
      case "delivering":
        logger.info(
          literalMessage(
            `Sheets log delivers again after ${
              Math.round(event.downMs / 1000)
            } s; ${backlog} rows waiting`,
          ),
          { backlog, downMs: event.downMs },
        );
        this.#events.emit({ type: "recovered", backlog, downMs: event.downMs });
        return;
    }
  }

  onEvent(listener: (event: SheetsEvent) => void): Disposable {
    return this.#events.on(listener);
  }

  /** Rows waiting to be sent. */
  pending(): Promise<number> {
    return this.#delivery.pending();
  }

  /** The log's delivery, as a status page shows it, with the rows kept aside as rejected. */
  async status(): Promise<DeliveryStatus & { deadLetters: number }> {
    return {
      ...await this.#delivery.status(),
      deadLetters: await this.#delivery.size(SheetsLogSink.deadLetters),
    };
  }

  /** Queues a row durably; never throws into the caller, never waits for Sheets. */
  append(row: SheetRow): void {
    this.#delivery.enqueue([JSON.stringify(row)]).then(
      async () => {
        // While Sheets is failing the loop's own interval paces the tries: a full batch does
        // not wake it for one more refusal per row.
        if (this.#failing || this.breaker.state === "OPEN") return;
        if (await this.pending() >= this.#options.batchRows) this.#loop?.periodic.wake();
      },
    ).catch((error) => logger.error("Could not queue a Sheets row: {error}", { error }));
  }

  /** Starts the background loop. */
  start(): void {
    if (this.#loop) return;
    const controller = new AbortController();
    const periodic = every(this.#clock, this.#options.flushIntervalMs, () => this.flush(), {
      signal: controller.signal,
    });
    this.#loop = { controller, periodic };
  }

  /** Stops the loop after one last flush attempt; unsent rows stay in the outbox. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    this.#loop = undefined;
    loop?.controller.abort();
    await loop?.periodic.done;
    await this.flush();
    this.#delivery[Symbol.dispose]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
  /** Sends every full or waiting batch now (one at a time); stops at the first failure. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushAll().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async #flushAll(): Promise<void> {
    // One batch at a time (flush() never runs two of these at once): the rows keep their order.
    while (await this.#sendBatch());
  }

  /**
   * Sends the oldest batch; true when it is done with (appended or dead-lettered). Append is
   * not idempotent: after a failed attempt (here, or in an earlier run: the batch is marked
   * before it is sent) the rows may have reached the sheet anyway (a timeout after Google
   * appended), so the row ids are read back and only the missing rows appended.
   */
  async #sendBatch(): Promise<boolean> {
    let mayBeThere: boolean | undefined;
    const outcome = await this.#delivery.sendOldest(
      this.#options.batchRows,
      async (items, { signal, take }) => {
        mayBeThere ??= items.some((item) => item.attempts > 0);
        const rows = items.map((item) => JSON.parse(item.payload) as SheetRow);
        const present = mayBeThere ? await this.#client.rowIds(signal) : new Set<string>();
        const missing = rows.filter((row) => !present.has(row.rowId));
        if (missing.length > 0) {
          // Counted at the moment it is sent, after any token fetch.
          await this.#client.append(missing, signal, async () => {
            await take();
            // From here on the rows may be in the sheet, whatever this attempt ends with (a
            // deadline can end it while the append is applied): any later try reads back.
            mayBeThere = true;
          });
        }
        return rows.length - missing.length;
      },
    );
    if (!outcome) return false;
    if (!outcome.ok) return this.#onFailure(outcome.error, outcome.items);
    const skipped = outcome.result;
    this.#failing = false;
    this.#events.emit({
      type: "appended",
      rows: outcome.items.length - skipped,
      skippedAsDuplicates: skipped,
    });
    return true;
  }

  async #onFailure(error: unknown, batch: OutboxItem[]): Promise<boolean> {
    // A breaker's refusal names the provider's failure that opened it.
    const failure = describeError(error);
    if (error instanceof AuthenticationError || error instanceof NotFoundError) {
      // 403 (sheet not shared with the service account) or 404: a person must fix the config.
      this.#events.emit({ type: "configuration-error", ...failure });
      this.#failing = true;
      this.#events.emit({ type: "failed", rows: batch.length, ...failure });
      return false;
    } else if (error instanceof InvalidRequestError) {
      // 400: this batch can never be appended (a cell over 50,000 characters...). Keep it aside.
      await this.#delivery.moveTo(batch, SheetsLogSink.deadLetters);
      this.#events.emit({ type: "dead-lettered", rows: batch.length, message: error.message });
      return true;
    }
    // The outage itself is told by the delivery's health (at its first failed attempt).
    this.#failing = true;
    this.#events.emit({ type: "failed", rows: batch.length, ...failure });
    return false;
  }
}
