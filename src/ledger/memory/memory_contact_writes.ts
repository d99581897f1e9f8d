import type {
  Attempts,
  Deferral,
  DialRefusal,
  SamePhoneRule,
  StepJournal,
  StepOutputs,
} from "../campaign_store.ts";
import type { CallProgress } from "../../domain/mod.ts";
import type { MemoryContacts } from "./memory_contacts.ts";
import type { InMemorySpendLedger } from "./memory_spend_ledger.ts";

/** The step journal in memory: each write changes its contact at once, under its lease. */
export class InMemoryContactWrites implements StepJournal {
  constructor(readonly contacts: MemoryContacts, readonly spend: InMemorySpendLedger) {}

  async saveStep(
    campaign: string,
    contactId: string,
    step: string,
    outputs: StepOutputs,
    _now: number,
    attempts?: Attempts,
    dial?: SamePhoneRule,
  ): Promise<DialRefusal | undefined> {
    let refusal: DialRefusal | undefined;
    await this.contacts.write(campaign, contactId, "saving a step", false, attempts, (entry) => {
      const { cost, ...given } = structuredClone(outputs);
      // What a save does not carry stays as it was (as the SQL stores' COALESCE keeps it).
      const saved: StepOutputs = Object.fromEntries(
        Object.entries(given).filter(([, value]) => value !== undefined),
      );
      if (dial) refusal = this.contacts.dialRefusal(entry, dial);
      if (refusal) delete saved.call;
      entry.step = step;
      entry.outputs = { ...entry.outputs, ...saved };
      if (cost) this.spend.add(campaign, cost.day, cost.amount);
      if (saved.call) this.contacts.holdOrRelease(entry);
    });
    return refusal;
  }

  complete(
    campaign: string,
    contactId: string,
    crmRecordId: string,
    _now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    return this.contacts.write(campaign, contactId, "completing", true, attempts, (entry) => {
      Object.assign(entry, { state: "completed", step: "done", reason: undefined });
      entry.outputs.crmRecordId = crmRecordId;
      if (call) entry.outputs.call = structuredClone(call);
      this.contacts.letGo(entry);
    });
  }

  fail(
    campaign: string,
    contactId: string,
    reason: string,
    _now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    return this.contacts.write(campaign, contactId, "failing", true, attempts, (entry) => {
      Object.assign(entry, { state: "failed", reason });
      if (call) entry.outputs.call = structuredClone(call);
      this.contacts.letGo(entry);
    });
  }

  skip(
    campaign: string,
    contactId: string,
    reason: string,
    _now: number,
    attempts?: Attempts,
    crmRecordId?: string,
  ): Promise<void> {
    return this.contacts.write(campaign, contactId, "skipping", true, attempts, (entry) => {
      Object.assign(entry, { state: "skipped", step: "done", reason });
      if (crmRecordId) entry.outputs.crmRecordId = crmRecordId;
      this.contacts.letGo(entry);
    });
  }

  defer(
    campaign: string,
    contactId: string,
    deferral: Deferral,
    _now: number,
    attempts?: Attempts,
    call?: CallProgress,
  ): Promise<void> {
    return this.contacts.write(campaign, contactId, "deferring", true, attempts, (entry) => {
      if (call) {
        entry.outputs.call = structuredClone(call);
        this.contacts.holdOrRelease(entry);
      }
      entry.state = "deferred";
      entry.deferredService = deferral.service;
      entry.deferredUntil = deferral.until;
      entry.deferrals++;
      entry.reason = deferral.reason;
    });
  }
}
