/**
 * The call processor: contacts through LLM, TTS and CRM, with graceful degradation.
 * @module
 */
export {
  CallProcessor,
  type ProcessorDeps,
  type ProcessorEvent,
  type ProcessorOptions,
  type Step,
} from "./call_processor.ts";
export type {
  ContactProgress,
  ContactResult,
  ContactStatus,
  FailureReason,
  RunSummary,
} from "./contact_result.ts";
export { waitForRecovery } from "./wait_for_recovery.ts";
