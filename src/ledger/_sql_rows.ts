import type { ContactRecord, InvalidRow, OutboxItem, StepOutputs } from "./campaign_store.ts";
import { type CallProgress, type ContactState, holdsPhone } from "../domain/mod.ts";

/** A contact's row as the SQL stores hold it (numbers as the driver returns them: SQLite's as
 * numbers, PostgreSQL's BIGINTs as text). */
export interface ContactRow {
  id: string;
  seq: number | string;
  contact: string;
  state: ContactState;
  step: string | null;
  reason: string | null;
  deferrals: number | string;
  deferred_service: string | null;
  defer_until: number | string;
  script: string | null;
  script_by: string | null;
  script_rejections: string | null;
  spend: string | null;
  audio: string | null;
  call_progress: string | null;
  crm_record_id: string | null;
  attempts: string;
  crm_key: string;
  lease_owner: string | null;
  lease_until: number | string | null;
}

/** An invalid row as the SQL stores hold it. */
export interface InvalidRowRow {
  source: string;
  line: number | string;
  contact_id: string | null;
  reason: string;
}

/** The invalid row a stored row holds. */
export function invalidRowOf(row: InvalidRowRow): InvalidRow {
  return {
    source: row.source,
    line: Number(row.line),
    id: row.contact_id ?? undefined,
    reason: row.reason,
  };
}

/** An outbox item as the SQL stores hold it (PostgreSQL's BIGSERIAL id as text). */
export interface OutboxRow {
  id: number | string;
  payload: string;
  attempts: number | string;
}

/** The outbox item a stored row holds. */
export function outboxItemOf(row: OutboxRow): OutboxItem {
  return { id: Number(row.id), payload: row.payload, attempts: Number(row.attempts) };
}

/** The record a stored row holds. */
export function recordOf(row: ContactRow): ContactRecord {
  const outputs: StepOutputs = {};
  if (row.script !== null) outputs.script = row.script;
  if (row.script_by) outputs.scriptBy = JSON.parse(row.script_by);
  if (row.script_rejections) outputs.scriptRejections = JSON.parse(row.script_rejections);
  if (row.spend) outputs.spend = JSON.parse(row.spend);
  if (row.audio !== null) outputs.audio = JSON.parse(row.audio);
  if (row.call_progress !== null) outputs.call = JSON.parse(row.call_progress);
  if (row.crm_record_id !== null) outputs.crmRecordId = row.crm_record_id;
  return {
    contact: JSON.parse(row.contact),
    state: row.state,
    ...(row.state === "in_progress" && row.lease_owner !== null
      ? { lease: { owner: row.lease_owner, until: Number(row.lease_until) } }
      : {}),
    step: row.step ?? undefined,
    outputs,
    deferrals: Number(row.deferrals),
    deferredService: row.deferred_service ?? undefined,
    deferredUntil: row.state === "deferred" ? Number(row.defer_until) : undefined,
    attempts: JSON.parse(row.attempts ?? "{}"),
    crmKey: row.crm_key,
    reason: row.reason ?? undefined,
  };
}

/** A contact's call counted at an estimate, as `estimatedCallPrices` lists it; undefined when
 * its row's call holds no estimate. */
export function estimatedCallOf(
  row: { id: string; call_progress: string },
): { contactId: string; sid: string; estimate: number } | undefined {
  const call = JSON.parse(row.call_progress) as CallProgress;
  const estimate = call.final?.estimate;
  return estimate && call.sid
    ? { contactId: row.id, sid: call.sid, estimate: estimate.amount }
    : undefined;
}

/** What a contact write does with the number the contact dials (`dialing_phone`). */
export type PhoneAction = "take" | "let-go" | "keep";

/** What saving `call` does with the number: a new dial (`dial`) of a call that holds it takes it,
 * a call that no longer holds it lets it go, anything else keeps what is kept. */
export function phoneActionOf(call: CallProgress | undefined, dial: boolean): PhoneAction {
  if (!call) return "keep";
  if (!holdsPhone(call)) return "let-go";
  return dial ? "take" : "keep";
}
