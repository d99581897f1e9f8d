import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { ContactQueue, ContactRecord, LeaseOptions } from "../campaign_store.ts";
import { type ContactRow, recordOf } from "../_sql_rows.ts";
import { inTransaction } from "./schema.ts";
/** The campaign's queue in the SQLite ledger: claims in the campaign's order, by rowid, each
 * batch in one transaction; leases as for every store (one process holds the file). */
export class SqliteContactQueue implements ContactQueue {
  readonly #statements: Record<string, StatementSync>;
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync, readonly lease: LeaseOptions) {
    this.#db = db;
    const prepare = (sql: string) => db.prepare(sql);
    this.#statements = {
      resume: prepare(
        `UPDATE contacts SET state = 'pending', lease_owner = NULL, lease_until = NULL,
         updated_at = ? WHERE campaign = ? AND state = 'in_progress'`,
      ),
      // By rowid: an IN over (campaign, id) made SQLite walk the whole campaign for each claim.
      claimExpired: prepare(
        `UPDATE contacts SET lease_owner = ?, lease_until = ?, updated_at = ?
         WHERE rowid IN (
           SELECT rowid FROM contacts WHERE campaign = ? AND state = 'in_progress'
           AND lease_until < ? ORDER BY seq LIMIT ?)
         RETURNING *`,
      ),
      claim: prepare(
        `UPDATE contacts SET state = 'in_progress', lease_owner = ?, lease_until = ?, updated_at = ?
         WHERE rowid IN (
           SELECT rowid FROM contacts WHERE campaign = ? AND state = 'pending' ORDER BY seq LIMIT ?)
         RETURNING *`,
      ),
      renew: prepare(
        `UPDATE contacts SET lease_until = ?
         WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      nextLeaseExpiry: prepare(
        `SELECT MIN(lease_until) AS at FROM contacts WHERE campaign = ? AND state = 'in_progress'`,
      ),
      unclaim: prepare(
        `UPDATE contacts SET state = 'pending', lease_owner = NULL, lease_until = NULL,
         updated_at = ? WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      release: prepare(
        `UPDATE contacts SET state = 'pending', updated_at = ? WHERE campaign = ? AND id IN (
           SELECT id FROM contacts WHERE campaign = ? AND state = 'deferred' AND deferred_service = ?
           AND defer_until <= ? ORDER BY seq LIMIT ?)`,
      ),
      nextDeferredAt: prepare(
        `SELECT MIN(defer_until) AS at FROM contacts
         WHERE campaign = ? AND state = 'deferred' AND defer_until > ?`,
      ),
      failRemaining: prepare(
        `UPDATE contacts SET state = 'failed', reason = ?, dialing_phone = NULL, updated_at = ?
         WHERE campaign = ? AND state IN ('pending', 'deferred')`,
      ),
      deferredServices: prepare(
        "SELECT DISTINCT deferred_service AS service FROM contacts WHERE campaign = ? AND state = 'deferred'",
      ),
    };
  }

  /** Every contact in progress: `run` holds the ledger's lock, so no other process can hold
   * one, and a crashed run's contacts need not wait for their leases to expire. */
  resumeInterrupted(campaign: string, now: number): Promise<number> {
    return Promise.resolve(Number(this.#statements.resume.run(now, campaign).changes));
  }

  async claimNext(campaign: string, now: number): Promise<ContactRecord | undefined> {
    return (await this.claim(campaign, now, 1))[0];
  }

  claim(campaign: string, now: number, limit: number): Promise<ContactRecord[]> {
    const { owner, ms } = this.lease;
    const rows = this.#transaction(() => {
      const expired = this.#statements.claimExpired.all(
        owner,
        now + ms,
        now,
        campaign,
        now,
        limit,
      ) as unknown as ContactRow[];
      const pending = expired.length >= limit ? [] : this.#statements.claim.all(
        owner,
        now + ms,
        now,
        campaign,
        limit - expired.length,
      ) as unknown as ContactRow[];
      return [...expired, ...pending];
    });
    rows.sort((a, b) => Number(a.seq) - Number(b.seq));
    return Promise.resolve(rows.map(recordOf));
  }

  renewLeases(campaign: string, contactIds: readonly string[], now: number): Promise<string[]> {
    const { owner, ms } = this.lease;
    return Promise.resolve(
      this.#transaction(() =>
        contactIds.filter((id) =>
          Number(this.#statements.renew.run(now + ms, campaign, id, owner).changes) === 0
        )
      ),
    );
  }

  nextLeaseExpiry(campaign: string): Promise<number | undefined> {
    const row = this.#statements.nextLeaseExpiry.get(campaign) as { at: number | null };
    return Promise.resolve(row.at === null ? undefined : Number(row.at));
  }

  unclaim(campaign: string, contactIds: readonly string[], now: number): Promise<void> {
    this.#transaction(() => {
      for (const id of contactIds) {
        this.#statements.unclaim.run(now, campaign, id, this.lease.owner);
      }
    });
    return Promise.resolve();
  }

  releaseDeferred(campaign: string, service: string, now: number, limit = -1): Promise<number> {
    const result = this.#statements.release.run(now, campaign, campaign, service, now, limit);
    return Promise.resolve(Number(result.changes));
  }

  nextDeferredAt(campaign: string, after: number): Promise<number | undefined> {
    const row = this.#statements.nextDeferredAt.get(campaign, after) as { at: number | null };
    return Promise.resolve(row.at === null ? undefined : Number(row.at));
  }

  failRemaining(campaign: string, reason: string, now: number): Promise<number> {
    const result = this.#statements.failRemaining.run(reason, now, campaign);
    return Promise.resolve(Number(result.changes));
  }

  deferredServices(campaign: string): Promise<string[]> {
    const rows = this.#statements.deferredServices.all(campaign) as { service: string }[];
    return Promise.resolve(rows.map((row) => row.service));
  }

  #transaction<T>(work: () => T): T {
    return inTransaction(this.#db, work);
  }
}
