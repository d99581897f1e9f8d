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
