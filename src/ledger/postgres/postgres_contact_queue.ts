import type postgres from "postgres";
import type { ContactQueue, ContactRecord, LeaseOptions } from "../campaign_store.ts";
import { type ContactRow, recordOf } from "../_sql_rows.ts";

/**
 * The campaign's queue in PostgreSQL: claims take batches with `FOR UPDATE SKIP LOCKED` (two
 * processes never take the same contact), as leases this process renews while it works them;
 * a crashed process's contacts are taken over once their leases run out.
 */
export class PostgresContactQueue implements ContactQueue {
  constructor(readonly sql: postgres.Sql, readonly lease: LeaseOptions) {}

  /** Contacts whose lease expired: their holder is gone (a live one renews its leases). */
  async resumeInterrupted(campaign: string, now: number): Promise<number> {
    const result = await this.sql`
      UPDATE contacts SET state = 'pending', lease_owner = NULL, lease_until = NULL,
        updated_at = ${now}
      WHERE campaign = ${campaign} AND state = 'in_progress' AND lease_until < ${now}`;
    return result.count;
  }

  async claimNext(campaign: string, now: number): Promise<ContactRecord | undefined> {
    return (await this.claim(campaign, now, 1))[0];
  }

  async claim(campaign: string, now: number, limit: number): Promise<ContactRecord[]> {
    const { owner, ms } = this.lease;
    const rows = await this.sql<ContactRow[]>`
      WITH expired AS MATERIALIZED (
        SELECT id, seq FROM contacts
        WHERE campaign = ${campaign} AND state = 'in_progress' AND lease_until < ${now}
        ORDER BY seq LIMIT ${limit} FOR UPDATE SKIP LOCKED
      ), waiting AS MATERIALIZED (
        SELECT id, seq FROM contacts
        WHERE campaign = ${campaign} AND state = 'pending'
        ORDER BY seq LIMIT ${limit} FOR UPDATE SKIP LOCKED
      ), picked AS MATERIALIZED (
        SELECT id FROM (SELECT * FROM expired UNION ALL SELECT * FROM waiting) p
        ORDER BY seq LIMIT ${limit}
      )
      UPDATE contacts c SET state = 'in_progress', lease_owner = ${owner},
        lease_until = ${now + ms}, updated_at = ${now}
      FROM picked WHERE c.campaign = ${campaign} AND c.id = picked.id
      RETURNING c.*`;
    return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(recordOf);
  }

  async renewLeases(
    campaign: string,
    contactIds: readonly string[],
    now: number,
  ): Promise<string[]> {
    if (contactIds.length === 0) return [];
    const renewed = await this.sql<{ id: string }[]>`
      UPDATE contacts SET lease_until = ${now + this.lease.ms}
      WHERE campaign = ${campaign} AND id = ANY(${contactIds as string[]}::text[])
        AND state = 'in_progress' AND lease_owner = ${this.lease.owner}
      RETURNING id`;
    const kept = new Set(renewed.map((row) => row.id));
    return contactIds.filter((id) => !kept.has(id));
  }

  async nextLeaseExpiry(campaign: string): Promise<number | undefined> {
    const [row] = await this.sql`
      SELECT MIN(lease_until) AS at FROM contacts
      WHERE campaign = ${campaign} AND state = 'in_progress'`;
    return row.at === null ? undefined : Number(row.at);
  }

  async unclaim(campaign: string, contactIds: readonly string[], now: number): Promise<void> {
    if (contactIds.length === 0) return;
    await this.sql`
      UPDATE contacts SET state = 'pending', lease_owner = NULL, lease_until = NULL,
        updated_at = ${now}
      WHERE campaign = ${campaign} AND id = ANY(${contactIds as string[]}::text[])
        AND state = 'in_progress' AND lease_owner = ${this.lease.owner}`;
  }

  async releaseDeferred(
    campaign: string,
    service: string,
    now: number,
    limit = -1,
  ): Promise<number> {
    // A materialized pick: an IN (subquery with LIMIT) may be evaluated more than once.
    const result = await this.sql`
      WITH picked AS MATERIALIZED (
        SELECT id FROM contacts WHERE campaign = ${campaign} AND state = 'deferred'
          AND deferred_service = ${service} AND defer_until <= ${now}
        ORDER BY seq LIMIT ${limit < 0 ? null : limit} FOR UPDATE SKIP LOCKED)
      UPDATE contacts c SET state = 'pending', updated_at = ${now}
      FROM picked WHERE c.campaign = ${campaign} AND c.id = picked.id`;
    return result.count;
  }

  async deferredServices(campaign: string): Promise<string[]> {
    const rows = await this.sql<{ service: string }[]>`
      SELECT DISTINCT deferred_service AS service FROM contacts
      WHERE campaign = ${campaign} AND state = 'deferred'`;
    return rows.map((row) => row.service);
  }

  async nextDeferredAt(campaign: string, after: number): Promise<number | undefined> {
    const [row] = await this.sql`
      SELECT MIN(defer_until) AS at FROM contacts
      WHERE campaign = ${campaign} AND state = 'deferred' AND defer_until > ${after}`;
    return row.at === null ? undefined : Number(row.at);
  }

  async failRemaining(campaign: string, reason: string, now: number): Promise<number> {
    const result = await this.sql`
      UPDATE contacts SET state = 'failed', reason = ${reason}, dialing_phone = NULL,
        updated_at = ${now}
      WHERE campaign = ${campaign} AND state IN ('pending', 'deferred')`;
    return result.count;
  }
}
