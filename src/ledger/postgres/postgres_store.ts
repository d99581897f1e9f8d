import postgres from "postgres";
import {
  type CampaignStore,
  type ContactLoading,
  type ContactQueue,
  type ContactRecord,
  type DialRegistry,
  type DialTurns,
  type DoNotCallList,
  emptyCounts,
  type FiringAlerts,
  type LeaseOptions,
  type Outbox,
  type SharedState,
  type SpendLedger,
  type StateCounts,
  type StepJournal,
} from "../campaign_store.ts";
import { type ContactRow, recordOf } from "../_sql_rows.ts";
import { LedgerError } from "../sqlite/schema.ts";
import type { ContactState } from "../../domain/mod.ts";
import { migrate } from "./migrations.ts";
import { PostgresContactLoading } from "./postgres_contact_loading.ts";
import { PostgresContactQueue } from "./postgres_contact_queue.ts";
import { PostgresContactWrites } from "./postgres_contact_writes.ts";
import { PostgresDialRegistry } from "./postgres_dial_registry.ts";
import { PostgresDialTurns } from "./postgres_dial_turns.ts";
import { PostgresDoNotCallList } from "./postgres_do_not_call.ts";
import { PostgresFiringAlerts } from "./postgres_firing_alerts.ts";
import { PostgresOutbox } from "./postgres_outbox.ts";
import { PostgresRoundTrips } from "./postgres_round_trips.ts";
import { PostgresSharedState } from "./postgres_shared_state.ts";
import { PostgresSpendLedger } from "./postgres_spend_ledger.ts";

type Sql = postgres.Sql;

/**
 * The ledger in PostgreSQL, for several agent processes on one or more machines working one
 * campaign, put together from its roles (one file each): loading, the queue and its leases,
 * the step journal (a process's writes of one turn in one round trip), spend, the dial
 * registry; and what processes must agree on: each service's state, who sends each alert, who
 * drains each outbox, the dial turns. Create it with {@link PostgresCampaignStore.open}, which
 * creates or migrates the schema.
 */
export class PostgresCampaignStore implements CampaignStore {
  readonly outbox: Outbox;
  readonly shared: SharedState;
  readonly doNotCall: DoNotCallList;
  readonly dialTurns: DialTurns;
  readonly firingAlerts: FiringAlerts;
  readonly lease: LeaseOptions;
  readonly #sql: Sql;
  readonly #loading: ContactLoading;
  readonly #queue: ContactQueue;
  readonly #roundTrips: PostgresRoundTrips;
  readonly #journal: StepJournal;
  readonly #spend: SpendLedger;
  readonly #registry: DialRegistry;
  #closed = false;

  private constructor(sql: Sql, lease: LeaseOptions, connections: number) {
    this.#sql = sql;
    this.lease = lease;
    this.outbox = new PostgresOutbox(sql, lease.owner);
    this.#roundTrips = new PostgresRoundTrips(sql, lease.owner, connections);
    this.shared = new PostgresSharedState(sql, lease.owner, this.#roundTrips);
    this.doNotCall = new PostgresDoNotCallList(sql);
    this.dialTurns = new PostgresDialTurns(sql);
    this.firingAlerts = new PostgresFiringAlerts(sql);
    this.#loading = new PostgresContactLoading(sql);
    this.#queue = new PostgresContactQueue(sql, lease);
    this.#journal = new PostgresContactWrites(this.#roundTrips);
    this.#spend = new PostgresSpendLedger(sql);
    this.#registry = new PostgresDialRegistry(sql);
  }

  /**
   * Connects to `url` and brings the schema up to date (one process at a time). Throws a
   * {@link LedgerError} naming what is wrong (unreachable, refused, not our schema's version)
   * without the URL's password.
   */
  static async open(
    url: string,
    lease: LeaseOptions,
    options: { max?: number } = {},
  ): Promise<PostgresCampaignStore> {
    const connections = options.max ?? 4;
    const sql = postgres(url, {
      max: connections,
      onnotice: () => {},
      connect_timeout: 10,
      // The process's own time zone and application name, for operators reading pg_stat_activity.
      connection: { application_name: "ai-call-agent" },
    });
    try {
      await migrate(sql);
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => {});
      if (error instanceof LedgerError) throw error;
      throw new LedgerError(
        `the PostgreSQL ledger cannot be used: ${withoutSecrets(error, url)}`,
        { cause: error },
      );
    }
    // One connection is left to claims, renewals and reads while the rest carry writes.
    return new PostgresCampaignStore(sql, lease, Math.max(1, connections - 1));
  }

  ensureCampaign(
    ...a: Parameters<ContactLoading["ensureCampaign"]>
  ): ReturnType<ContactLoading["ensureCampaign"]> {
    return this.#loading.ensureCampaign(...a);
  }
  addContacts(
    ...a: Parameters<ContactLoading["addContacts"]>
  ): ReturnType<ContactLoading["addContacts"]> {
    return this.#loading.addContacts(...a);
  }
  addInvalid(
    ...a: Parameters<ContactLoading["addInvalid"]>
  ): ReturnType<ContactLoading["addInvalid"]> {
    return this.#loading.addInvalid(...a);
  }
  invalidRows(
    ...a: Parameters<ContactLoading["invalidRows"]>
  ): ReturnType<ContactLoading["invalidRows"]> {
    return this.#loading.invalidRows(...a);
  }
  resumeInterrupted(
    ...a: Parameters<ContactQueue["resumeInterrupted"]>
  ): ReturnType<ContactQueue["resumeInterrupted"]> {
    return this.#queue.resumeInterrupted(...a);
  }
  claimNext(...a: Parameters<ContactQueue["claimNext"]>): ReturnType<ContactQueue["claimNext"]> {
    return this.#queue.claimNext(...a);
  }
  claim(...a: Parameters<ContactQueue["claim"]>): ReturnType<ContactQueue["claim"]> {
    return this.#queue.claim(...a);
  }
  renewLeases(
    ...a: Parameters<ContactQueue["renewLeases"]>
  ): ReturnType<ContactQueue["renewLeases"]> {
    return this.#queue.renewLeases(...a);
  }
  nextLeaseExpiry(
    ...a: Parameters<ContactQueue["nextLeaseExpiry"]>
  ): ReturnType<ContactQueue["nextLeaseExpiry"]> {
    return this.#queue.nextLeaseExpiry(...a);
  }
  unclaim(...a: Parameters<ContactQueue["unclaim"]>): ReturnType<ContactQueue["unclaim"]> {
    return this.#queue.unclaim(...a);
  }
  releaseDeferred(
    ...a: Parameters<ContactQueue["releaseDeferred"]>
  ): ReturnType<ContactQueue["releaseDeferred"]> {
    return this.#queue.releaseDeferred(...a);
  }
  deferredServices(
    ...a: Parameters<ContactQueue["deferredServices"]>
  ): ReturnType<ContactQueue["deferredServices"]> {
    return this.#queue.deferredServices(...a);
  }
  nextDeferredAt(
    ...a: Parameters<ContactQueue["nextDeferredAt"]>
  ): ReturnType<ContactQueue["nextDeferredAt"]> {
    return this.#queue.nextDeferredAt(...a);
  }
  failRemaining(
    ...a: Parameters<ContactQueue["failRemaining"]>
  ): ReturnType<ContactQueue["failRemaining"]> {
    return this.#queue.failRemaining(...a);
  }
  saveStep(...a: Parameters<StepJournal["saveStep"]>): ReturnType<StepJournal["saveStep"]> {
    return this.#journal.saveStep(...a);
  }
  complete(...a: Parameters<StepJournal["complete"]>): ReturnType<StepJournal["complete"]> {
    return this.#journal.complete(...a);
  }
  fail(...a: Parameters<StepJournal["fail"]>): ReturnType<StepJournal["fail"]> {
    return this.#journal.fail(...a);
  }
  skip(...a: Parameters<StepJournal["skip"]>): ReturnType<StepJournal["skip"]> {
    return this.#journal.skip(...a);
  }
  defer(...a: Parameters<StepJournal["defer"]>): ReturnType<StepJournal["defer"]> {
    return this.#journal.defer(...a);
  }
  spendOf(...a: Parameters<SpendLedger["spendOf"]>): ReturnType<SpendLedger["spendOf"]> {
    return this.#spend.spendOf(...a);
  }
  estimatedCallPrices(
    ...a: Parameters<SpendLedger["estimatedCallPrices"]>
  ): ReturnType<SpendLedger["estimatedCallPrices"]> {
    return this.#spend.estimatedCallPrices(...a);
  }
  settleCallPrice(
    ...a: Parameters<SpendLedger["settleCallPrice"]>
  ): ReturnType<SpendLedger["settleCallPrice"]> {
    return this.#spend.settleCallPrice(...a);
  }
  spendTotals(
    ...a: Parameters<SpendLedger["spendTotals"]>
  ): ReturnType<SpendLedger["spendTotals"]> {
    return this.#spend.spendTotals(...a);
  }
  recordedCalls(
    ...a: Parameters<DialRegistry["recordedCalls"]>
  ): ReturnType<DialRegistry["recordedCalls"]> {
    return this.#registry.recordedCalls(...a);
  }
  calledBefore(
    ...a: Parameters<DialRegistry["calledBefore"]>
  ): ReturnType<DialRegistry["calledBefore"]> {
    return this.#registry.calledBefore(...a);
  }

  async counts(campaign: string): Promise<StateCounts> {
    const counts = emptyCounts();
    const rows = await this.#sql<{ state: ContactState; n: string }[]>`
      SELECT state, COUNT(*) AS n FROM contacts WHERE campaign = ${campaign} GROUP BY state`;
    for (const row of rows) counts[row.state] = Number(row.n);
    const [invalid] = await this.#sql`
      SELECT COUNT(*) AS n FROM invalid_rows WHERE campaign = ${campaign}`;
    counts.invalid += Number(invalid.n);
    return counts;
  }

  async get(campaign: string, contactId: string): Promise<ContactRecord | undefined> {
    const [row] = await this.#sql<ContactRow[]>`
      SELECT * FROM contacts WHERE campaign = ${campaign} AND id = ${contactId}`;
    return row ? recordOf(row) : undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#roundTrips.close();
    await this.#sql.end({ timeout: 5 });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The error's message, with the connection URL and its password taken out. */
function withoutSecrets(error: unknown, url: string): string {
  let message = error instanceof Error ? error.message : String(error);
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // Not a URL the WHATWG parser reads (a key=value string): nothing to take out but itself.
  }
  for (const secret of [url, password]) {
    if (secret) message = message.replaceAll(secret, "[redacted]");
  }
  return message;
}
