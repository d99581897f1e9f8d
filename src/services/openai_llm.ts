import { ServiceUnavailableError } from "../errors.ts";
import { HttpClient, type HttpDeps } from "../http/mod.ts";
import { openAiErrors } from "./_openai_errors.ts";
import { callScript } from "./_call_script.ts";
import { defaultSystemPrompt, scriptRequest } from "./script_prompt.ts";
import type { CallScript, CampaignSettings, LlmService, ServiceCallOptions } from "./types.ts";
import { probeModelList } from "./_health_probe.ts";
import type { Contact } from "../domain/mod.ts";

/** Settings of the OpenAI-compatible LLM client. */
export interface OpenAiLlmOptions {
  /** Any Chat Completions-compatible gateway. */
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

interface ChatCompletion {
  model?: unknown;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[];
}

/** Writes call scripts with an OpenAI-compatible Chat Completions API. */
export class OpenAiLlm implements LlmService {
  readonly name: string;
  readonly genAi: { provider: string; model: string };
  readonly #http: HttpClient;
  readonly #options: OpenAiLlmOptions;

  constructor(
    options: OpenAiLlmOptions,
    deps: HttpDeps,
    name = "llm",
  ) {
    this.name = name;
    this.genAi = { provider: "openai", model: options.model };
    this.#options = options;
    this.#http = new HttpClient({
      service: name,
      baseUrl: options.baseUrl,
      headers: { authorization: `Bearer ${options.apiKey}` },
      errors: openAiErrors,
      secrets: () => [options.apiKey, ...(options.secrets?.() ?? [])],
    }, deps);
  }

  async writeScript(
    contact: Contact,
    campaign: CampaignSettings,
    options: ServiceCallOptions = {},
  ): Promise<CallScript> {
    const completion = await this.#http.json<ChatCompletion>({
      method: "POST",
      path: "/chat/completions",
      json: {
        model: this.#options.model,
        temperature: this.#options.temperature,
        max_tokens: this.#options.maxTokens,
        messages: [
          { role: "system", content: this.#options.systemPrompt ?? defaultSystemPrompt },
          { role: "user", content: scriptRequest(contact, campaign) },
        ],
      },
      signal: options.signal,
    });
    // A completion whose message says nothing (content null or empty, a refusal) is an answer
    // the provider billed, for the processor's checks to judge; a body with no message at all
    // is not a completion.
    const choice = completion?.choices?.[0];
    const message = choice?.message;
    const content = message?.content;
    if (
      typeof message !== "object" || message === null ||
      (typeof content !== "string" && content !== null && content !== undefined)
    ) {
      throw new ServiceUnavailableError({
        service: this.name,
        status: 200,
        code: "malformed_response",
        message: "HTTP 200 without choices[0].message",
      });
    }
    return callScript(content ?? "", {
      model: typeof completion.model === "string" ? completion.model : this.#options.model,
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
      finishReason: choice?.finish_reason,
      refusal: message.refusal,
    });
  }

  /** Healthy when the model list can be read: a 200 that is not one (a proxy's page, garbage)
   * is unhealthy, as a chat completion's would be. */
  probe(options: ServiceCallOptions = {}): Promise<void> {
    return probeModelList(this.#http, this.name, "/models", options.signal);
  }
}
