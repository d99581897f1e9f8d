import type { DatabaseSync, StatementSync } from "node:sqlite";
import type {
  Attempts,
  Deferral,
  DialRefusal,
  LeaseOptions,
  SamePhoneRule,
  StepJournal,
  StepOutputs,
} from "../campaign_store.ts";
import type { CallProgress } from "../../domain/mod.ts";
import { phoneActionOf } from "../_sql_rows.ts";
import type { GroupCommit } from "./group_commit.ts";
import type { SqliteSpendLedger } from "./sqlite_spend_ledger.ts";

/**
 * The step journal in the SQLite ledger: each write is queued for the next group commit (the
 * writes of one turn in one transaction, see {@link GroupCommit}); a dial is decided inside it
 * (SQLite has one writer), and a step's cost is added to the day's spend in the same commit.
 */
export class SqliteContactWrites implements StepJournal {
  readonly #statements: Record<string, StatementSync>;
  readonly #writes: GroupCommit;
  readonly #spend: SqliteSpendLedger;

  constructor(
    db: DatabaseSync,
    readonly lease: LeaseOptions,
    writes: GroupCommit,
    spend: SqliteSpendLedger,
  ) {
    this.#writes = writes;
    this.#spend = spend;
    const prepare = (sql: string) => db.prepare(sql);
    this.#statements = {
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
    };
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
      const action = phoneActionOf(call, dial !== undefined);
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
        this.#spend.add(campaign, outputs.cost.day, outputs.cost.amount);
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
    const action = phoneActionOf(call, false);
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
}

function attemptsJson(attempts: Attempts | undefined): string | null {
  return attempts ? JSON.stringify(attempts) : null;
}
