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
export { type Behaviour, type FaultKind, type FaultRule, FaultSchedule } from "./fault_schedule.ts";
export {
  createMockServices,
  type MockCallEvent,
  MockCrm,
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
