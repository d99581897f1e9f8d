import type { NetworkDeps } from "../http/mod.ts";
import type { Clock } from "../clock/mod.ts";
import { type AgentConfig, callerNumbers, chainProviders, SecretReader } from "../config/mod.ts";
import { AnthropicLlm } from "./anthropic_llm.ts";
import { ElevenLabsTts } from "./elevenlabs_tts.ts";
import { OpenAiTts } from "./openai_tts.ts";
import { HubSpotCrm } from "./hubspot_crm.ts";
import { type FaultRule } from "./fault_schedule.ts";
import { MockCrm, MockLlm, type MockOptions, MockTelephony, MockTts } from "./mock_services.ts";
import { TwilioTelephony } from "./twilio_telephony.ts";
import { OpenAiLlm } from "./openai_llm.ts";
import type { LlmService, Services, TtsService } from "./types.ts";
import { WebhookCrm } from "./webhook_crm.ts";

type LlmSection = Omit<AgentConfig["services"]["llm"], "fallbacks">;
type TtsSection = Omit<AgentConfig["services"]["tts"], "fallbacks">;

/** What real services need from the process; `main.ts` passes the real ones. */
export interface ServiceDeps extends NetworkDeps {
  clock: Clock;
  /** Reads an environment variable (the only way secrets come in). */
  env: (name: string) => string | undefined;
  /** Writes a file, creating its folder (TTS audio). */
  writeFile: (path: string, bytes: Uint8Array) => Promise<void>;
  /** Collects every secret read; share one set so every client redacts every secret. */
  knownSecrets?: Set<string>;
}

/**
 * Builds each service from its `kind`. Secrets come from the environment variables the config
 * names; every missing one is listed in one {@link ConfigError} (exit code 2).
 */
export function createServices(config: AgentConfig, deps: ServiceDeps): Services {
  const secrets = new SecretReader(deps.env, deps.knownSecrets);
  const known = () => secrets.known();
  const { telephony, crm } = config.services;
  const startedAt = deps.clock.now();
  const mock = (options: { latencyMs: number; faults: readonly FaultRule[] }): MockOptions => ({
    latencyMs: options.latencyMs,
    // Fault times in config are relative to the start of the run.
    faults: options.faults.map((rule) => ({
      ...rule,
      fromMs: rule.fromMs === undefined ? undefined : startedAt + rule.fromMs,
      untilMs: rule.untilMs === undefined ? undefined : startedAt + rule.untilMs,
    })),
  });

  /** The script's provider a section names, as service `name` (`path`: where its secret's
   * variable is named). */
  const llmClient = (section: LlmSection, name: string, path: string): LlmService => {
    switch (section.kind) {
      case "openai":
        return new OpenAiLlm(
          {
            ...section.openai,
            systemPrompt: section.openai.systemPrompt || undefined,
            secrets: known,
            apiKey: secrets.read(
              `${path}.openai.apiKeyEnv`,
              section.openai.apiKeyEnv,
              "the LLM API key",
            ),
          },
          deps,
          name,
        );
      case "anthropic":
        return new AnthropicLlm(
          {
            ...section.anthropic,
            systemPrompt: section.anthropic.systemPrompt || undefined,
            secrets: known,
            apiKey: secrets.read(
              `${path}.anthropic.apiKeyEnv`,
              section.anthropic.apiKeyEnv,
              "the Anthropic API key",
            ),
          },
          deps,
          name,
        );
      default:
        return new MockLlm(mock(section.mock), deps, name);
    }
  };
  /** The voice a section names, as service `name`. */
  const ttsClient = (section: TtsSection, name: string, path: string): TtsService => {
    switch (section.kind) {
      case "elevenlabs":
        return new ElevenLabsTts(
          {
            ...section.elevenlabs,
            secrets: known,
            apiKey: secrets.read(
              `${path}.elevenlabs.apiKeyEnv`,
              section.elevenlabs.apiKeyEnv,
              "the ElevenLabs API key",
            ),
          },
          deps,
          name,
        );
      case "openai":
        return new OpenAiTts(
          {
            ...section.openai,
            secrets: known,
            apiKey: secrets.read(
              `${path}.openai.apiKeyEnv`,
              section.openai.apiKeyEnv,
              "the OpenAI API key for speech",
            ),
          },
          deps,
          name,
        );
      default:
        return new MockTts(mock(section.mock), deps, name);
    }
  };
  const [llmService, ...llmFallbacks] = chainProviders(config, "llm").map((p) =>
    llmClient(p.section, p.name, p.path)
  );
  const [ttsService, ...ttsFallbacks] = chainProviders(config, "tts").map((p) =>
    ttsClient(p.section, p.name, p.path)
  );
  const fallbacks = { llm: llmFallbacks, tts: ttsFallbacks };

  const telephonyService = telephony.kind === "twilio"
    ? new TwilioTelephony({
      ...telephony.twilio,
      from: callerNumbers(telephony.twilio.from),
      secrets: known,
      authToken: secrets.read(
        "services.telephony.twilio.authTokenEnv",
        telephony.twilio.authTokenEnv,
        "the Twilio auth token",
      ),
    }, deps)
    : new MockTelephony({ ...mock(telephony.mock), callMs: telephony.mock.callMs }, deps);

  let crmService;
  switch (crm.kind) {
    case "webhook":
      crmService = new WebhookCrm({
        url: crm.webhook.url,
        healthUrl: crm.webhook.healthUrl || undefined,
        secrets: known,
        token: crm.webhook.tokenEnv
          ? secrets.read(
            "services.crm.webhook.tokenEnv",
            crm.webhook.tokenEnv,
            "the webhook's bearer token",
          )
          : undefined,
      }, deps);
      break;
    case "hubspot":
      crmService = new HubSpotCrm({
        baseUrl: crm.hubspot.baseUrl,
        secrets: known,
        token: secrets.read(
          "services.crm.hubspot.tokenEnv",
          crm.hubspot.tokenEnv,
          "the HubSpot private app token",
        ),
      }, deps);
      break;
    default:
      crmService = new MockCrm(mock(crm.mock), deps);
  }
  secrets.throwIfMissing();
  return {
    llm: llmService,
    tts: ttsService,
    telephony: telephonyService,
    crm: crmService,
    fallbacks,
  };
}
