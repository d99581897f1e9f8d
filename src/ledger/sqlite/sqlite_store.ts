import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type Clock, systemClock } from "../../clock/mod.ts";
import {
  type Attempts,
  callSidsOf,
  type CampaignStore,
  type ContactRecord,
  crmIdempotencyKey,
  type Deferral,
  type DialRefusal,
  type DialTurns,
  type DoNotCallList,
  emptyCounts,
  type FiringAlerts,
  type InvalidRow,
  type LeaseOptions,
  type LoadResult,
  type LoadSource,
  type Outbox,
  type SamePhoneRule,
  type StateCounts,
  type StepOutputs,
} from "../campaign_store.ts";
import {
  type ContactRow,
  estimatedCallOf,
  invalidRowOf,
  type InvalidRowRow,
  recordOf,
} from "../_sql_rows.ts";
import { settleEstimate, type StepSpend, totalSpend } from "../../domain/mod.ts";
import {
  type CallProgress,
  type Contact,
  type ContactState,
  holdsPhone,
} from "../../domain/mod.ts";
import { GroupCommit } from "./group_commit.ts";
import { inTransaction, LedgerError, ledgerError, migrate } from "./schema.ts";
import { LocalDialTurns } from "../memory/local_dial_turns.ts";
import { SqliteDoNotCallList } from "./sqlite_do_not_call.ts";
import { SqliteFiringAlerts } from "./sqlite_firing_alerts.ts";
import { SqliteOutbox } from "./sqlite_outbox.ts";

/** What a contact write does with the number the contact dials (`dialing_phone`). */
type PhoneAction = "take" | "let-go" | "keep";

type Row = ContactRow;

/** How a ledger file is opened. */
export interface SqliteLedgerOptions {
  /**
   * `exclusive` (the default): this store holds the file alone until it is closed (SQLite's
   * `locking_mode = EXCLUSIVE`, its WAL index in this process's memory), so a commit takes no
   * file locks; no other connection can read or write it meanwhile. `shared`: several stores
   * may use one file at once, their leases keeping them apart, each commit taking SQLite's
   * file locks.
   */
  access?: "exclusive" | "shared";
  /** Waits the one turn that gathers contact writes into a group commit. @default systemClock */
  clock?: Clock;
}

/**
 * The ledger in one SQLite file (`node:sqlite`), in WAL mode. A contact's transition is
 * committed before its promise settles (the transitions of one turn together, a group commit),
 * so a crash at any instant leaves each contact in its last committed state and no step's side
 * effect starts before the previous step is durable.
 */
export class SqliteCampaignStore implements CampaignStore {
  readonly #db: DatabaseSync;
  readonly #statements: Record<string, StatementSync>;
  readonly #writes: GroupCommit;
  #closed = false;
  readonly outbox: Outbox;
  readonly doNotCall: DoNotCallList;
  /** One process works a SQLite ledger at a time: its turns are its own. */
  readonly dialTurns: DialTurns = new LocalDialTurns();
  readonly firingAlerts: FiringAlerts;
  readonly lease: LeaseOptions;

  /**
   * Opens (creating if needed) the ledger at `path`; `:memory:` for a throwaway one. Brings an
   * older ledger up to date. Throws {@link LedgerError} for a database that is not a ledger
   * (nothing in it is changed), one written by a newer release, or one another program holds.
   */
  constructor(
    path: string,
    lease: LeaseOptions = { owner: "this-process", ms: 30_000 },
    options: SqliteLedgerOptions = {},
  ) {
    this.lease = lease;
    try {
      this.#db = new DatabaseSync(path);
    } catch (error) {
      throw ledgerError(path, error);
    }
    try {
      // Before the first read: the lock is then taken at once and the WAL index never shared.
      if ((options.access ?? "exclusive") === "exclusive") {
        this.#db.exec("PRAGMA locking_mode = EXCLUSIVE;");
      }
      migrate(this.#db, path);
      // A ledger that cannot take a write is found now, not at the first contact's step.
      this.#db.exec("BEGIN IMMEDIATE; ROLLBACK;");
    } catch (error) {
      this.#db.close();
      throw error instanceof LedgerError ? error : ledgerError(path, error);
    }
    const prepare = (sql: string) => this.#db.prepare(sql);
    this.#statements = {
      ensureCampaign: prepare("INSERT OR IGNORE INTO campaigns (name, created_at) VALUES (?, ?)"),
      nextSeq: prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM contacts WHERE campaign = ?"),
      addContact: prepare(
        `INSERT OR IGNORE INTO contacts
         (campaign, id, seq, contact, state, crm_key, load_id, source_line, phone, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
      ),
      loadedBy: prepare(
        "SELECT load_id, source_line FROM contacts WHERE campaign = ? AND id = ?",
      ),
      addInvalid: prepare(
        "INSERT OR IGNORE INTO invalid_rows (campaign, source, line, contact_id, reason) VALUES (?, ?, ?, ?, ?)",
      ),
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
      saveStep: prepare(
        `UPDATE contacts SET step = ?, script = COALESCE(?, script),
         script_by = COALESCE(?, script_by), script_rejections = COALESCE(?, script_rejections),
         spend = COALESCE(?, spend), audio = COALESCE(?, audio),
         call_progress = COALESCE(?, call_progress),
         crm_record_id = COALESCE(?, crm_record_id), attempts = COALESCE(?, attempts),
         dialing_phone = CASE ? WHEN 'take' THEN phone WHEN 'let-go' THEN NULL
           ELSE dialing_phone END,
         updated_at = ? WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      dialHolder: prepare(
        `SELECT other.campaign AS campaign, other.id AS id
         FROM contacts me JOIN contacts other ON other.phone = me.phone
           AND other.dialing_phone IS NOT NULL AND NOT (other.campaign = me.campaign AND other.id = me.id)
         WHERE me.campaign = ? AND me.id = ? LIMIT 1`,
      ),
      firstCallerOf: prepare(
        `SELECT other.id AS id FROM contacts me JOIN contacts other
           ON other.phone = me.phone AND other.campaign = me.campaign AND other.id <> me.id
         WHERE me.campaign = ? AND me.id = ?
           AND json_extract(other.call_progress, '$.dials') > 0
         ORDER BY other.seq LIMIT 1`,
      ),
      firstCaller: prepare(
        `SELECT id FROM contacts WHERE phone = ? AND campaign = ? AND id <> ?
         AND json_extract(call_progress, '$.dials') > 0 ORDER BY seq LIMIT 1`,
      ),
      recordedCalls: prepare(
        "SELECT call_progress FROM contacts WHERE phone = ? AND call_progress IS NOT NULL",
      ),
      complete: prepare(
        `UPDATE contacts SET state = 'completed', step = 'done', crm_record_id = ?, reason = NULL,
         attempts = COALESCE(?, attempts), call_progress = COALESCE(?, call_progress),
         dialing_phone = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      fail: prepare(
        `UPDATE contacts SET state = 'failed', reason = ?, attempts = COALESCE(?, attempts),
         call_progress = COALESCE(?, call_progress),
         dialing_phone = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      skip: prepare(
        `UPDATE contacts SET state = 'skipped', step = 'done', reason = ?,
         crm_record_id = COALESCE(?, crm_record_id), attempts = COALESCE(?, attempts),
         dialing_phone = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
      ),
      defer: prepare(
        `UPDATE contacts SET state = 'deferred', deferred_service = ?, defer_until = ?,
         deferrals = deferrals + 1, reason = ?, attempts = COALESCE(?, attempts),
         call_progress = COALESCE(?, call_progress),
         dialing_phone = CASE ? WHEN 'let-go' THEN NULL ELSE dialing_phone END,
         lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE campaign = ? AND id = ? AND state = 'in_progress' AND lease_owner = ?`,
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
      spends: prepare("SELECT spend FROM contacts WHERE campaign = ? AND spend IS NOT NULL"),
      addSpend: prepare(
        `INSERT INTO spend_by_day (campaign, day, amount) VALUES (?, ?, ?)
         ON CONFLICT (campaign, day) DO UPDATE SET amount = amount + excluded.amount`,
      ),
      estimatedCalls: prepare(
        `SELECT id, call_progress FROM contacts
         WHERE campaign = ? AND call_progress LIKE '%"estimate":{%'`,
      ),
      callAndSpend: prepare(
        "SELECT call_progress, spend FROM contacts WHERE campaign = ? AND id = ?",
      ),
      settleCall: prepare(
        "UPDATE contacts SET call_progress = ?, spend = ? WHERE campaign = ? AND id = ?",
      ),
      spendTotals: prepare(
        `SELECT COALESCE(SUM(amount), 0) AS total,
           COALESCE(SUM(CASE WHEN day = ? THEN amount END), 0) AS on_day
         FROM spend_by_day WHERE campaign = ?`,
      ),
      counts: prepare(
        "SELECT state, COUNT(*) AS n FROM contacts WHERE campaign = ? GROUP BY state",
      ),
      invalidCount: prepare("SELECT COUNT(*) AS n FROM invalid_rows WHERE campaign = ?"),
      invalidRows: prepare(
        "SELECT source, line, contact_id, reason FROM invalid_rows WHERE campaign = ? ORDER BY source, line LIMIT ?",
      ),
      get: prepare("SELECT * FROM contacts WHERE campaign = ? AND id = ?"),
    };
    this.#writes = new GroupCommit(this.#db, options.clock ?? systemClock);
    this.outbox = new SqliteOutbox(this.#db);
    this.doNotCall = new SqliteDoNotCallList(this.#db);
    this.firingAlerts = new SqliteFiringAlerts(this.#db);
  }

  ensureCampaign(campaign: string, now: number): Promise<void> {
    this.#statements.ensureCampaign.run(campaign, now);
    return Promise.resolve();
  }

  addContacts(
    campaign: string,
    contacts: readonly Contact[],
    now: number,
    load?: LoadSource,
  ): Promise<LoadResult> {
    return Promise.resolve(this.#transaction(() => {
      let seq = Number((this.#statements.nextSeq.get(campaign) as { seq: number }).seq);
      let added = 0;
      const duplicates: LoadResult["duplicates"] = [];
      for (const [index, contact] of contacts.entries()) {
        const result = this.#statements.addContact.run(
          campaign,
          contact.id,
          seq + 1,
          JSON.stringify(contact),
          crmIdempotencyKey(campaign, contact.id),
          load?.id ?? null,
          load?.lines[index] ?? null,
          contact.phone,
          now,
        );
        if (Number(result.changes) > 0) {
          added++;
          seq++;
        } else if (load) {
          const first = this.#statements.loadedBy.get(campaign, contact.id) as {
            load_id: string | null;
            source_line: number | null;
          };
          if (first.load_id === load.id) {
            duplicates.push({ index, firstLine: first.source_line ?? undefined });
          }
        }
      }
      return { added, alreadyLoaded: contacts.length - added - duplicates.length, duplicates };
    }));
  }

  addInvalid(campaign: string, rows: readonly InvalidRow[]): Promise<void> {
    this.#transaction(() => {
      for (const row of rows) {
        this.#statements.addInvalid.run(campaign, row.source, row.line, row.id ?? null, row.reason);
      }
    });
    return Promise.resolve();
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
      ) as unknown as Row[];
      const pending = expired.length >= limit ? [] : this.#statements.claim.all(
        owner,
        now + ms,
        now,
        campaign,
        limit - expired.length,
      ) as unknown as Row[];
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

  saveStep(
    campaign: string,
    contactId: string,
    step: string,
    outputs: StepOutputs,
    now: number,
    attempts?: Attempts,
    dial?: SamePhoneRule,
  ): Promise<DialRefusal | undefined> {
    const save = (call: CallProgress | undefined) => {
      const action: PhoneAction = !call
        ? "keep"
        : !holdsPhone(call)
        ? "let-go"
        : dial
        ? "take"
        : "keep";
      return this.#statements.saveStep.run(
        step,
        outputs.script ?? null,
        outputs.scriptBy ? JSON.stringify(outputs.scriptBy) : null,
        outputs.scriptRejections ? JSON.stringify(outputs.scriptRejections) : null,
        outputs.spend ? JSON.stringify(outputs.spend) : null,
        outputs.audio ? JSON.stringify(outputs.audio) : null,
        call ? JSON.stringify(call) : null,
        outputs.crmRecordId ?? null,
        attemptsJson(attempts),
        action,
        now,
        campaign,
        contactId,
        this.lease.owner,
      );
    };
    return this.#writes.write(contactId, "saving a step", () => {
      // Decided inside the group's transaction: SQLite has one writer, so no other write runs
      // between the check and the save.
      const refusal = dial ? this.#dialRefusal(campaign, contactId, dial) : undefined;
      const changes = save(refusal ? undefined : outputs.call).changes;
      // The step's cost counts toward the campaign's caps in the same commit as the step.
      if (changes > 0 && outputs.cost) {
        this.#statements.addSpend.run(campaign, outputs.cost.day, outputs.cost.amount);
      }
      return { changes, value: refusal };
    });
  }

  /** Why the contact may not dial its number now, if it may not (a call-once skip first: it
   * is final, where a busy number only waits). */
  #dialRefusal(campaign: string, contactId: string, rule: SamePhoneRule): DialRefusal | undefined {
    if (rule === "call-once") {
      const first = this.#statements.firstCallerOf.get(campaign, contactId) as
        | { id: string }
        | undefined;
      if (first) return { reason: "called-before", firstContactId: first.id };
    }
    const holder = this.#statements.dialHolder.get(campaign, contactId) as
      | { campaign: string; id: string }
      | undefined;
    if (!holder) return undefined;
    return { reason: "phone-busy", holder: { campaign: holder.campaign, contactId: holder.id } };
  }

  complete(
    campaign: string,
    contactId: string,
    crmRecordId: string,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    return this.#writes.write(contactId, "completing", () =>
      this.#statements.complete.run(
        crmRecordId,
        attemptsJson(attempts),
        call ? JSON.stringify(call) : null,
        now,
        campaign,
        contactId,
        this.lease.owner,
      ));
  }

  fail(
    campaign: string,
    contactId: string,
    reason: string,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    return this.#writes.write(contactId, "failing", () =>
      this.#statements.fail.run(
        reason,
        attemptsJson(attempts),
        call ? JSON.stringify(call) : null,
        now,
        campaign,
        contactId,
        this.lease.owner,
      ));
  }

  skip(
    campaign: string,
    contactId: string,
    reason: string,
    now: number,
    attempts?: Attempts,
    crmRecordId?: string,
  ): Promise<void> {
    return this.#writes.write(contactId, "skipping", () =>
      this.#statements.skip.run(
        reason,
        crmRecordId ?? null,
        attemptsJson(attempts),
        now,
        campaign,
        contactId,
        this.lease.owner,
      ));
  }

  defer(
    campaign: string,
    contactId: string,
    deferral: Deferral,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    const action: PhoneAction = call && !holdsPhone(call) ? "let-go" : "keep";
    return this.#writes.write(contactId, "deferring", () =>
      this.#statements.defer.run(
        deferral.service,
        deferral.until,
        deferral.reason,
        attemptsJson(attempts),
        call ? JSON.stringify(call) : null,
        action,
        now,
        campaign,
        contactId,
        this.lease.owner,
      ));
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

  estimatedCallPrices(
    campaign: string,
  ): Promise<{ contactId: string; sid: string; estimate: number }[]> {
    const rows = this.#statements.estimatedCalls.all(campaign) as {
      id: string;
      call_progress: string;
    }[];
    return Promise.resolve(rows.flatMap((row) => estimatedCallOf(row) ?? []));
  }

  settleCallPrice(campaign: string, contactId: string, price: number): Promise<boolean> {
    return Promise.resolve(inTransaction(this.#db, () => {
      const row = this.#statements.callAndSpend.get(campaign, contactId) as
        | { call_progress: string | null; spend: string | null }
        | undefined;
      const settled = row && settleEstimate(
        row.call_progress ? JSON.parse(row.call_progress) : undefined,
        row.spend ? JSON.parse(row.spend) : undefined,
        price,
      );
      if (!settled) return false;
      this.#statements.settleCall.run(
        JSON.stringify(settled.call),
        JSON.stringify(settled.spend),
        campaign,
        contactId,
      );
      this.#statements.addSpend.run(campaign, settled.day, settled.delta);
      return true;
    }));
  }

  spendTotals(campaign: string, day: string): Promise<{ total: number; onDay: number }> {
    const row = this.#statements.spendTotals.get(day, campaign) as {
      total: number;
      on_day: number;
    };
    return Promise.resolve({ total: Number(row.total), onDay: Number(row.on_day) });
  }

  spendOf(campaign: string): Promise<StepSpend> {
    const rows = this.#statements.spends.all(campaign) as { spend: string }[];
    return Promise.resolve(totalSpend(rows.map((row) => JSON.parse(row.spend))));
  }

  counts(campaign: string): Promise<StateCounts> {
    const counts = emptyCounts();
    for (
      const row of this.#statements.counts.all(campaign) as { state: ContactState; n: number }[]
    ) {
      counts[row.state] = Number(row.n);
    }
    counts.invalid += Number((this.#statements.invalidCount.get(campaign) as { n: number }).n);
    return Promise.resolve(counts);
  }

  recordedCalls(phone: string): Promise<string[]> {
    const rows = this.#statements.recordedCalls.all(phone) as { call_progress: string }[];
    return Promise.resolve(rows.flatMap((row) => callSidsOf(JSON.parse(row.call_progress))));
  }

  calledBefore(campaign: string, phone: string, contactId: string): Promise<string | undefined> {
    const row = this.#statements.firstCaller.get(phone, campaign, contactId) as
      | { id: string }
      | undefined;
    return Promise.resolve(row?.id);
  }

  invalidRows(campaign: string, limit = 1000): Promise<InvalidRow[]> {
    const rows = this.#statements.invalidRows.all(campaign, limit) as unknown as InvalidRowRow[];
    return Promise.resolve(rows.map(invalidRowOf));
  }

  get(campaign: string, contactId: string): Promise<ContactRecord | undefined> {
    const row = this.#statements.get.get(campaign, contactId) as Row | undefined;
    return Promise.resolve(row ? recordOf(row) : undefined);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      // Writes already asked for are committed, not dropped.
      this.#writes.close();
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #transaction<T>(work: () => T): T {
    return inTransaction(this.#db, work);
  }
}

function attemptsJson(attempts: Attempts | undefined): string | null {
  return attempts ? JSON.stringify(attempts) : null;
}
