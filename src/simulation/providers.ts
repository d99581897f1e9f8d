import { basename } from "node:path";
import type { Clock } from "../clock/mod.ts";
import { serveLoopback } from "../platform/mod.ts";
import { telephonyRoutes } from "../server/mod.ts";
import type { CallLinks, CallUpdates } from "../telephony/mod.ts";
import { type AgentConfig, deepMerge, parseConfig } from "../config/mod.ts";
import {
  type FakeServer,
  type HttpFaultRule,
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeTwilio,
  startFakeWebhookCrm,
} from "../fake_providers/mod.ts";
import {
  createMockServices,
  createServices,
  type MockCallEvent,
  type MockOptions,
  type Services,
} from "../services/mod.ts";
import type { Scenario } from "./scenario.ts";

/** Where the simulation's services come from, and how to watch the calls they receive. */
export interface SimulationProviders extends AsyncDisposable {
  /** The config the agent runs with (real adapters point at the fakes). */
  config: AgentConfig;
  services: Services;
  /** Every call a provider receives, probes excluded. */
  callSources: { onCall(listener: (event: MockCallEvent) => void): Disposable }[];
  /** Requests each provider received (HTTP only): the fakes count them. */
  requestCounts(): Record<string, number>;
  /**
   * HTTP only: the agent's public side, which the fake Twilio reaches as Twilio reaches a
   * status server through `services.telephony.publicBaseUrl` (it fetches the audio a call
   * plays and posts the call's status). `answer` starts answering with the agent's links and
   * call updates, once the agent exists; `linksKey` is what the links are signed with.
   */
  publicSide?: {
    linksKey: Uint8Array;
    answer(agent: { callLinks?: CallLinks; calls: CallUpdates }): void;
  };
}

/** In-memory mocks following the scenario's scripts. */
export function mockProviders(
  config: AgentConfig,
  scenario: Scenario,
  clock: Clock,
): SimulationProviders {
  const services = createMockServices(scenario.mocks, { clock });
  return {
    config,
    services,
    callSources: [
      services.llm,
      services.tts,
      services.telephony,
      services.crm,
      ...services.fallbacks.llm,
      ...services.fallbacks.tts,
    ],
    requestCounts: () => ({}),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

const keys = {
  llm: "sim-openai-key",
  tts: "sim-elevenlabs-key",
  telephony: "sim-twilio-auth-token",
  crm: "sim-crm-token",
  speech: "sim-openai-speech-key",
};
const twilioAccount = `AC${"5".repeat(32)}`;
const twilioFrom = "+14155550000";

/** Where the simulated voices "write" their audio: a name only, the files are kept in memory. */
const simulatedAudioDir = "simulated-audio";

/** The scenario's mock script as an HTTP fault script; latency is left out (see docs/providers.md, Mocks and fake providers). */
function httpFaults(options?: MockOptions): HttpFaultRule[] {
  return (options?.faults ?? []).map(({ latencyMs: _latency, ...rule }) => rule);
}

/**
 * The real HTTP clients (OpenAI, ElevenLabs, Twilio, webhook CRM) against fake provider servers on
 * 127.0.0.1, over real sockets, following the same scenario.
 */
export function httpProviders(
  config: AgentConfig,
  scenario: Scenario,
  deps: { clock: Clock; fetch: typeof fetch },
): SimulationProviders {
  const { clock } = deps;
  // The agent's public side: up first, so its address is in the config; it answers once the
  // agent exists. The voices' audio is kept in memory (simulate writes no audio files).
  let answering: ((request: Request) => Response | Promise<Response>) | undefined;
  const publicServer = serveLoopback(
    (request) => answering?.(request) ?? new Response("starting", { status: 503 }),
    "simulation public side error",
  );
  const audio = new Map<string, Uint8Array>();
  const llm = startFakeOpenAi({ apiKey: keys.llm, clock, faults: httpFaults(scenario.mocks.llm) });
  const tts = startFakeElevenLabs({
    apiKey: keys.tts,
    clock,
    faults: httpFaults(scenario.mocks.tts),
  });
  const telephony = startFakeTwilio({
    accountSid: twilioAccount,
    authToken: keys.telephony,
    from: twilioFrom,
    clock,
    fetch: deps.fetch,
    faults: httpFaults(scenario.mocks.telephony),
    ringMs: 1_000,
    talkMs: scenario.mocks.telephony?.callMs ?? 3_000,
    outcomeOf: scenario.mocks.telephony?.outcomeOf,
  });
  const crm = startFakeWebhookCrm({
    apiKey: keys.crm,
    clock,
    faults: httpFaults(scenario.mocks.crm),
  });
  // Each fallback voice of the story is OpenAI's speech endpoint, a fake of its own.
  const voices = Object.entries(scenario.mocks.fallbacks?.tts ?? {}).map(([name, mock]) => ({
    name,
    fake: startFakeOpenAi({ apiKey: keys.speech, clock, service: name, faults: httpFaults(mock) }),
  }));
  const fakes: [string, FakeServer][] = [
    ["llm", llm],
    ["tts", tts],
    ["telephony", telephony],
    ["crm", crm],
    ...voices.map(({ name, fake }): [string, FakeServer] => [name, fake]),
  ];
  const httpConfig = parseConfig(deepMerge(config, {
    services: {
      llm: { kind: "openai", openai: { baseUrl: llm.baseUrl, apiKeyEnv: "SIM_LLM_KEY" } },
      tts: {
        kind: "elevenlabs",
        elevenlabs: { baseUrl: tts.url, apiKeyEnv: "SIM_TTS_KEY", audioDir: simulatedAudioDir },
        fallbacks: voices.map(({ name, fake }) => ({
          name,
          kind: "openai",
          openai: {
            baseUrl: fake.baseUrl,
            apiKeyEnv: "SIM_SPEECH_KEY",
            audioDir: simulatedAudioDir,
          },
        })),
      },
      telephony: {
        kind: "twilio",
        publicBaseUrl: `http://127.0.0.1:${publicServer.port}`,
        twilio: {
          baseUrl: telephony.url,
          accountSid: twilioAccount,
          from: twilioFrom,
          authTokenEnv: "SIM_TWILIO_TOKEN",
        },
      },
      crm: {
        kind: "webhook",
        webhook: {
          url: `${crm.url}/outcomes`,
          healthUrl: `${crm.url}/health`,
          tokenEnv: "SIM_CRM_TOKEN",
        },
      },
    },
  }));
  const env: Record<string, string> = {
    SIM_LLM_KEY: keys.llm,
    SIM_TTS_KEY: keys.tts,
    SIM_TWILIO_TOKEN: keys.telephony,
    SIM_CRM_TOKEN: keys.crm,
    SIM_SPEECH_KEY: keys.speech,
  };
  const services = createServices(httpConfig, {
    clock,
    fetch: deps.fetch,
    env: (name) => env[name],
    writeFile: (path, bytes) => (audio.set(basename(path), bytes), Promise.resolve()),
  });
  return {
    config: httpConfig,
    services,
    callSources: fakes.map(([, fake]) => fake),
    requestCounts: () =>
      Object.fromEntries(fakes.map(([name, fake]) => [name, fake.requests.length])),
    publicSide: {
      linksKey: crypto.getRandomValues(new Uint8Array(32)),
      answer(agent) {
        const routes = telephonyRoutes({
          callLinks: agent.callLinks,
          calls: agent.calls,
          twilioAuthToken: keys.telephony,
          openAudio: (name) => {
            const bytes = audio.get(name);
            if (!bytes) return Promise.reject(new Error(`no audio ${name}`));
            return Promise.resolve(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream());
          },
        });
        answering = (request) => routes.fetch(request);
      },
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(fakes.map(([, fake]) => fake.close()));
      await publicServer.shutdown();
    },
  };
}
