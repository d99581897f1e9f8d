/**
 * Fake provider servers on 127.0.0.1 that answer like the real APIs (routes, auth, success
 * bodies, the exact error bodies the providers publish, see `docs/providers.md`), driven by a fault script.
 * Tests and `simulate --providers http` use them.
 * @module
 */
export {
  type FakeErrorResponse,
  FakeProviderState,
  type FakeServer,
  type HttpFaultRule,
  type RecordedRequest,
  serveFake,
} from "./fake_server.ts";
export { type FakeOptions, type FakeScript, startFakeOpenAi } from "./fake_openai.ts";
export { startFakeAnthropic } from "./fake_anthropic.ts";
export { type FakeElevenLabsOptions, startFakeElevenLabs } from "./fake_elevenlabs.ts";
export { type FakeWebhookServer, startFakeWebhookCrm } from "./fake_crm.ts";
export { type FakeHubSpotServer, startFakeHubSpot } from "./fake_hubspot.ts";
export { type FakeSheetsServer, startFakeSheets } from "./fake_sheets.ts";
export {
  type CreateFault,
  type CreateReceived,
  type FakeCall,
  type FakeTwilioOptions,
  type FakeTwilioServer,
  startFakeTwilio,
} from "./fake_twilio.ts";
