/**
 * The services of the pipeline (LLM, TTS, CRM): their interfaces and fault-injecting mocks.
 * @module
 */
export type {
  CallOutcome,
  CallScript,
  CampaignSettings,
  Contact,
  CrmService,
  LlmService,
  ProbedService,
  ServiceCallOptions,
  Services,
  SpeechAudio,
  TtsService,
} from "./types.ts";
export {
  type Behaviour,
  faultError,
  type FaultKind,
  type FaultRule,
  FaultSchedule,
} from "./fault_schedule.ts";
export {
  createMockServices,
  type MockCallEvent,
  MockCrm,
  MockLlm,
  type MockOptions,
  type MockServicesOptions,
  MockTts,
} from "./mock_services.ts";
export { createServices, type ServiceDeps } from "./create_services.ts";
export { OpenAiLlm, type OpenAiLlmOptions } from "./openai_llm.ts";
export {
  ElevenLabsTts,
  type ElevenLabsTtsOptions,
  sha256Hex,
  type VoiceSettings,
} from "./elevenlabs_tts.ts";
export { WebhookCrm, type WebhookCrmOptions } from "./webhook_crm.ts";
export { HubSpotCrm, type HubSpotCrmOptions } from "./hubspot_crm.ts";
export { defaultSystemPrompt, scriptRequest } from "./script_prompt.ts";
export { openAiErrors } from "./_openai_errors.ts";
export { elevenLabsErrors } from "./_elevenlabs_errors.ts";
export { webhookErrors } from "./_webhook_errors.ts";
export { hubSpotErrors } from "./_hubspot_errors.ts";
