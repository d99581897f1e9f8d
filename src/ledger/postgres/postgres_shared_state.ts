import type postgres from "postgres";
import {
  type AlertClaim,
  nextServiceState,
  type ServiceState,
  type SharedState,
} from "../campaign_store.ts";
import type { PostgresRoundTrips, ServiceStateRow } from "./postgres_round_trips.ts";

/** Service states and alert claims, shared by every process on the database. */
export class PostgresSharedState implements SharedState {
  constructor(
    readonly sql: postgres.Sql,
    readonly owner: string,
    readonly roundTrips: PostgresRoundTrips,
  ) {}

  /** Read with the contact writes of the same turn, in their round trip, when there are some. */
  async serviceStates(): Promise<ServiceState[]> {
    return (await this.roundTrips.readServiceStates()).map(stateOf);
  }

  async publishServiceState(
    state: ServiceState,
    options: { operator?: boolean } = {},
  ): Promise<void> {
    // Read and written under the row's lock: what another process publishes at the same
    // moment is merged by the same rule, not overwritten.
    await this.sql.begin(async (tx) => {
      const [row] = await tx<ServiceStateRow[]>`
        SELECT service, open_until, forced, reason, by, at FROM service_states
        WHERE service = ${state.service} FOR UPDATE`;
      const next = nextServiceState(
        row ? stateOf(row) : undefined,
        state,
        options.operator ?? false,
      );
      if (!next) return;
      await tx`
        INSERT INTO service_states (service, open_until, forced, reason, by, at)
        VALUES (${next.service}, ${next.openUntil}, ${next.forced}, ${next.reason}, ${next.by},
          ${next.at})
        ON CONFLICT (service) DO UPDATE SET open_until = EXCLUDED.open_until,
          forced = EXCLUDED.forced, reason = EXCLUDED.reason, by = EXCLUDED.by, at = EXCLUDED.at`;
    });
  }

  async claimAlerts(
    alerts: readonly AlertClaim[],
    now: number,
    repeatMs: number,
  ): Promise<AlertClaim[]> {
    const claimed: AlertClaim[] = [];
    for (const alert of alerts) {
      const rows = alert.status === "firing"
        ? await this.sql`
          INSERT INTO alert_states (key, status, sent_at, by)
          VALUES (${alert.key}, 'firing', ${now}, ${this.owner})
          ON CONFLICT (key) DO UPDATE SET status = 'firing', sent_at = EXCLUDED.sent_at,
            by = EXCLUDED.by
          WHERE alert_states.status <> 'firing' OR alert_states.sent_at <= ${now - repeatMs}
          RETURNING key`
        : await this.sql`
          UPDATE alert_states SET status = 'resolved', sent_at = ${now}, by = ${this.owner}
          WHERE key = ${alert.key} AND status = 'firing'
          RETURNING key`;
      if (rows.length > 0) claimed.push(alert);
    }
    return claimed;
  }
}

/** A service state as PostgreSQL returns it (BIGINTs as text). */
function stateOf(row: ServiceStateRow): ServiceState {
  return {
    service: row.service,
    openUntil: Number(row.open_until),
    forced: row.forced,
    reason: row.reason,
    by: row.by,
    at: Number(row.at),
  };
}
