/**
 * The call processor and the campaign runner: contacts from the ledger through LLM, TTS, the
 * call and the CRM, with graceful degradation, deferral and resume.
 * @module
 */
export {
  type CallingDeps,
  type CallingOptions,
  type CallLedger,
  CallStep,
  type CallStepRun,
  type SaveProgress,
} from "./call_step.ts";
export { ContactNotCalled, NumberBusy } from "./not_called.ts";
export { CallProcessor, type ProcessorDeps, type ProcessorOptions } from "./call_processor.ts";
export type { SaveStep, StepEvent } from "./step_events.ts";
export {
  type CampaignEvent,
  CampaignRunner,
  type CampaignRunnerDeps,
  type CampaignRunnerOptions,
  type RunSignals,
} from "./campaign_runner.ts";
export {
  budgetDeferral,
  type ContactResult,
  type ContactStatus,
  type DeferReason,
  type FailureReason,
  type RunSummary,
} from "./contact_result.ts";
export { settleCallPrices } from "./call_prices.ts";
export { CallInstructions } from "./call_instructions.ts";
