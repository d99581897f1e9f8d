/**
 * The call processor and the campaign runner: contacts from the ledger through LLM, TTS and
 * CRM, with graceful degradation, deferral and resume.
 * @module
 */
export {
  CallProcessor,
  idempotencyKey,
  type ProcessorDeps,
  type SaveStep,
  type Step,
  type StepEvent,
} from "./call_processor.ts";
export {
  type CampaignEvent,
  CampaignRunner,
  type CampaignRunnerDeps,
  type CampaignRunnerOptions,
  type RunSignals,
} from "./campaign_runner.ts";
export type {
  ContactProgress,
  ContactResult,
  ContactStatus,
  FailureReason,
  RunSummary,
} from "./contact_result.ts";
export { waitForRecovery } from "./wait_for_recovery.ts";
