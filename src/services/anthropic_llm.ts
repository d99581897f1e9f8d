import { ServiceUnavailableError } from "../errors.ts";
import { HttpClient, type HttpDeps } from "../http/mod.ts";
import { anthropicErrors } from "./_anthropic_errors.ts";
import { probeModelList } from "./_health_probe.ts";
import { callScript } from "./_call_script.ts";
import { defaultSystemPrompt, scriptRequest } from "./script_prompt.ts";
import type { CallScript, CampaignSettings, LlmService, ServiceCallOptions } from "./types.ts";
import type { Contact } from "../domain/mod.ts";

/** The Messages API version this client speaks (sent as `anthropic-version`). */
export const anthropicVersion = "2023-06-01";

/** Settings of the Anthropic Messages API client. */
export interface AnthropicLlmOptions {
  baseUrl: string;
  model: string;
  temperature: number;
  maxTokens: number;
  /** @default {@link defaultSystemPrompt} */
  systemPrompt?: string;
  /** The API key, read from the environment by the caller. */
  apiKey: string;
  /** Every secret to keep out of messages (this key is always among them). */
  secrets?: () => readonly string[];
}

interface Message {
  model?: unknown;
  usage?: { input_tokens?: unknown; output_tokens?: unknown };
  content?: { type?: unknown; text?: unknown }[];
  stop_reason?: unknown;
}

/** Writes call scripts with Anthropic's Messages API. */
export class AnthropicLlm implements LlmService {
  readonly name: string;
  readonly genAi: { provider: string; model: string };
  readonly #http: HttpClient;
  readonly #options: AnthropicLlmOptions;

  constructor(options: AnthropicLlmOptions, deps: HttpDeps, name = "llm") {
    this.name = name;
    this.genAi = { provider: "anthropic", model: options.model };
    this.#options = options;
    this.#http = new HttpClient({
      service: name,
      baseUrl: options.baseUrl,
      headers: { "x-api-key": options.apiKey, "anthropic-version": anthropicVersion },
      errors: anthropicErrors,
      secrets: () => [options.apiKey, ...(options.secrets?.() ?? [])],
    }, deps);
  }

  async writeScript(
    contact: Contact,
    campaign: CampaignSettings,
    options: ServiceCallOptions = {},
  ): Promise<CallScript> {
    const message = await this.#http.json<Message>({
      method: "POST",
      path: "/v1/messages",
      json: {
        model: this.#options.model,
        max_tokens: this.#options.maxTokens,
        temperature: this.#options.temperature,
        system: this.#options.systemPrompt ?? defaultSystemPrompt,
        messages: [{ role: "user", content: scriptRequest(contact, campaign) }],
      },
      signal: options.signal,
    });
    // A message whose content holds no text (empty, a refusal) is an answer the provider
    // billed, for the processor's checks to judge; a body with no content list is not a message.
    if (!Array.isArray(message?.content)) {
      throw new ServiceUnavailableError({
        service: this.name,
        status: 200,
        code: "malformed_response",
        message: "HTTP 200 without a content list",
      });
    }
    const text = message.content
      .filter((block) => block?.type === "text" && typeof block.text === "string")
      .map((block) => block.text as string)
      .join("");
    return callScript(text, {
      model: typeof message.model === "string" ? message.model : this.#options.model,
      inputTokens: message.usage?.input_tokens,
      outputTokens: message.usage?.output_tokens,
      finishReason: message.stop_reason,
    });
  }

  /** Healthy when the model list can be read: a 200 that is not one is unhealthy. */
  probe(options: ServiceCallOptions = {}): Promise<void> {
    return probeModelList(this.#http, this.name, "/v1/models", options.signal);
  }
}
