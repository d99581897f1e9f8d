import type {
  Attempts,
  Deferral,
  DialRefusal,
  SamePhoneRule,
  StepJournal,
  StepOutputs,
} from "../campaign_store.ts";
import type { CallProgress } from "../../domain/mod.ts";
import { phoneActionOf } from "../_sql_rows.ts";
import type { PostgresRoundTrips } from "./postgres_round_trips.ts";

/**
 * The step journal in PostgreSQL: each write becomes one row of a batch (see
 * {@link PostgresRoundTrips}), applied by `apply_contact_writes` as the stores applied writes
 * one by one: under the contact's lease, a dial under its number's lock, a step's cost added to
 * the campaign's spend of its day in the same commit.
 */
export class PostgresContactWrites implements StepJournal {
  constructor(readonly roundTrips: PostgresRoundTrips) {}

  saveStep(
    campaign: string,
    contactId: string,
    step: string,
    outputs: StepOutputs,
    now: number,
    attempts?: Attempts,
    dial?: SamePhoneRule,
  ): Promise<DialRefusal | undefined> {
    const call = outputs.call;
    return this.roundTrips.write("saving a step", {
      campaign,
      id: contactId,
      now,
      step,
      script: outputs.script,
      script_by: json(outputs.scriptBy),
      script_rejections: json(outputs.scriptRejections),
      spend: json(outputs.spend),
      audio: json(outputs.audio),
      call: json(call),
      crm_record_id: outputs.crmRecordId,
      attempts: json(attempts),
      action: phoneActionOf(call, dial !== undefined),
      dial,
      cost_amount: outputs.cost?.amount,
      cost_day: outputs.cost?.day,
    });
  }

  async complete(
    campaign: string,
    contactId: string,
    crmRecordId: string,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    await this.roundTrips.write("completing", {
      campaign,
      id: contactId,
      now,
      state: "completed",
      step: "done",
      set_reason: true,
      crm_record_id: crmRecordId,
      attempts: json(attempts),
      call: json(call),
      action: "let-go",
    });
  }

  async fail(
    campaign: string,
    contactId: string,
    reason: string,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    await this.roundTrips.write("failing", {
      campaign,
      id: contactId,
      now,
      state: "failed",
      set_reason: true,
      reason,
      attempts: json(attempts),
      call: json(call),
      action: "let-go",
    });
  }

  async skip(
    campaign: string,
    contactId: string,
    reason: string,
    now: number,
    attempts?: Attempts,
    crmRecordId?: string,
  ): Promise<void> {
    await this.roundTrips.write("skipping", {
      campaign,
      id: contactId,
      now,
      state: "skipped",
      step: "done",
      set_reason: true,
      reason,
      crm_record_id: crmRecordId,
      attempts: json(attempts),
      action: "let-go",
    });
  }

  async defer(
    campaign: string,
    contactId: string,
    deferral: Deferral,
    now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    await this.roundTrips.write("deferring", {
      campaign,
      id: contactId,
      now,
      state: "deferred",
      set_reason: true,
      reason: deferral.reason,
      deferred_service: deferral.service,
      defer_until: deferral.until,
      attempts: json(attempts),
      call: json(call),
      action: phoneActionOf(call, false),
    });
  }
}

function json(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}
