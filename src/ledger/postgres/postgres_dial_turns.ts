import type postgres from "postgres";
import type { DialTurns } from "../campaign_store.ts";

/** Dial turns in the shared database: every process of a campaign takes its turns from one
 * row, so their calls together keep the campaign's pace. */
export class PostgresDialTurns implements DialTurns {
  constructor(readonly sql: postgres.Sql) {}

  async next(campaign: string, now: number, spacingMs: number): Promise<number> {
    const [row] = await this.sql<{ turn: string }[]>`
      INSERT INTO dial_turns (campaign, next_at) VALUES (${campaign}, ${now + spacingMs})
      ON CONFLICT (campaign) DO UPDATE
        SET next_at = GREATEST(dial_turns.next_at, ${now}) + ${spacingMs}
      RETURNING next_at - ${spacingMs} AS turn`;
    return Number(row.turn);
  }
}
