/**
 * The call processor and the campaign runner: contacts from the ledger through LLM, TTS and
 * CRM, with graceful degradation, deferral and resume.
 * @module
 */
export {
  CallProcessor,
  type ProcessorDeps,
  type ProcessorOptions,
  type SaveStep,
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
  DeferReason,
  FailureReason,
  RunSummary,
  Step,
  StepAttempts,
} from "./contact_result.ts";
