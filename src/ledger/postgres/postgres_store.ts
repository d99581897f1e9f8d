import postgres from "postgres";
import {
  type CampaignStore,
  type ContactRecord,
  type DialTurns,
  type DoNotCallList,
  emptyCounts,
  type FiringAlerts,
  type LeaseOptions,
  type Outbox,
  type SharedState,
  type StateCounts,
} from "../campaign_store.ts";
import { type ContactRow, recordOf } from "../_sql_rows.ts";
import { LedgerError } from "../sqlite/schema.ts";
import type { ContactState } from "../../domain/mod.ts";
import { migrate } from "./migrations.ts";
import { StoreByRole } from "../store_by_role.ts";
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
export class PostgresCampaignStore extends StoreByRole implements CampaignStore {
  readonly outbox: Outbox;
  readonly shared: SharedState;
  readonly doNotCall: DoNotCallList;
  readonly dialTurns: DialTurns;
  readonly firingAlerts: FiringAlerts;
  readonly lease: LeaseOptions;
  readonly #sql: Sql;
  readonly #roundTrips: PostgresRoundTrips;
  #closed = false;

  private constructor(sql: Sql, lease: LeaseOptions, connections: number) {
    const roundTrips = new PostgresRoundTrips(sql, lease.owner, connections);
    super({
      loading: new PostgresContactLoading(sql),
      queue: new PostgresContactQueue(sql, lease),
      journal: new PostgresContactWrites(roundTrips),
      spend: new PostgresSpendLedger(sql),
      registry: new PostgresDialRegistry(sql),
    });
    this.#sql = sql;
    this.#roundTrips = roundTrips;
    this.lease = lease;
    this.outbox = new PostgresOutbox(sql, lease.owner);
    this.shared = new PostgresSharedState(sql, lease.owner, roundTrips);
    this.doNotCall = new PostgresDoNotCallList(sql);
    this.dialTurns = new PostgresDialTurns(sql);
    this.firingAlerts = new PostgresFiringAlerts(sql);
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
