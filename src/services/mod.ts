/**
 * The services of the pipeline (LLM, TTS, telephony, CRM): their interfaces and fault-injecting mocks.
 * @module
 */
export {
  type CallAnswer,
  type CallOutcome,
  type CallScript,
  type CallState,
  type CallStatus,
  type CampaignSettings,
  type CrmService,
  type DialRequest,
  type FindCallQuery,
  isCallStatus,
  isFinalCallStatus,
  type LlmService,
  type ProbedService,
  type ServiceCallOptions,
  type Services,
  type SpeechAudio,
  type TelephonyService,
  type TtsService,
} from "./types.ts";
export { type Behaviour, type FaultKind, type FaultRule, FaultSchedule } from "./fault_schedule.ts";
export {
  createMockServices,
  type MockCallEvent,
  MockCrm,
  type MockOptions,
  type MockServicesOptions,
  MockTelephony,
  MockTts,
} from "./mock_services.ts";
export { TwilioTelephony } from "./twilio_telephony.ts";
export { isSignedByTwilio, twilioSignature } from "./twilio_signature.ts";
export { createServices, type ServiceDeps } from "./create_services.ts";
export { OpenAiLlm, type OpenAiLlmOptions } from "./openai_llm.ts";
export { AnthropicLlm, type AnthropicLlmOptions } from "./anthropic_llm.ts";
export { ElevenLabsTts, type ElevenLabsTtsOptions, type VoiceSettings } from "./elevenlabs_tts.ts";
export { OpenAiTts, type OpenAiTtsOptions } from "./openai_tts.ts";
export { sha256Hex } from "./_audio_file.ts";
export { WebhookCrm, type WebhookCrmOptions } from "./webhook_crm.ts";
export { HubSpotCrm, type HubSpotCrmOptions } from "./hubspot_crm.ts";
export { splitVoicemail } from "./script_prompt.ts";
