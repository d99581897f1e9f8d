import type { CampaignStore, ContactRecord, StepOutputs } from "../ledger/mod.ts";
import type { ContactProgress, Step } from "../domain/mod.ts";
import type { ContactResult } from "./contact_result.ts";

/**
 * Writes how a contact's processing ended into the ledger, with its attempts and its call:
 * completed, skipped, failed or deferred (until when, for which service), each with the
 * reason a person reads there.
 */
export async function writeOutcome(
  store: CampaignStore,
  campaign: string,
  id: string,
  result: ContactResult,
  progress: ContactProgress,
  now: number,
): Promise<void> {
  switch (result.status) {
    case "completed":
      await store.complete(
        campaign,
        id,
        result.recordId,
        now,
        progress.attempts,
        progress.call,
      );
      break;
    case "skipped":
      await store.skip(
        campaign,
        id,
        result.firstContactId
          ? `${result.reason}: its number was called for contact ${result.firstContactId}`
          : result.reason,
        now,
        progress.attempts,
        result.recordId,
      );
      break;
    case "failed":
      await store.fail(
        campaign,
        id,
        `${result.reason} at ${
          result.service ?? "processing"
        }: ${result.errorClass}: ${result.message}`,
        now,
        progress.attempts,
        progress.call,
      );
      break;
    case "deferred":
      await store.defer(
        campaign,
        id,
        {
          service: result.service,
          until: result.until,
          reason: `${result.reason} at ${result.service}: ${result.errorClass}: ${result.message}`,
        },
        now,
        progress.attempts,
        progress.call,
      );
  }
}

/** Where a contact's pipeline got to, as the ledger saved it. */
export function progressOf(record: ContactRecord): ContactProgress {
  const { outputs } = record;
  return {
    script: outputs.script === undefined
      ? undefined
      : outputs.scriptBy
      ? { text: outputs.script, by: outputs.scriptBy }
      : { text: outputs.script },
    ...(outputs.scriptRejections ? { scriptRejections: { ...outputs.scriptRejections } } : {}),
    audio: outputs.audio,
    call: outputs.call,
    recordId: outputs.crmRecordId,
    attempts: { ...record.attempts },
    crmKey: record.crmKey,
    ...(outputs.spend ? { spend: { ...outputs.spend } } : {}),
  };
}

/** What the ledger saves at `step` (its output once it finished; before, what it has cost). */
export function outputsOf(step: Step, progress: ContactProgress): StepOutputs {
  switch (step) {
    case "llm":
      return {
        script: progress.script?.text,
        scriptBy: progress.script?.by,
        scriptRejections: progress.scriptRejections,
        spend: progress.spend,
        cost: progress.unsavedCost,
      };
    case "tts":
      // The dial recorded with the speech, when it follows at once.
      return {
        audio: progress.audio,
        call: progress.call?.dialing ? progress.call : undefined,
        spend: progress.spend,
        cost: progress.unsavedCost,
      };
    case "call":
      return { call: progress.call, spend: progress.spend, cost: progress.unsavedCost };
    case "crm":
      // The CRM's record is saved with the completion: before, only the step's attempts are.
      return {};
  }
}
