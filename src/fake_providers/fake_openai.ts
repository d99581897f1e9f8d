import { Hono } from "hono";
import { type Clock, systemClock } from "../clock/mod.ts";
import type { FaultKind } from "../services/mod.ts";
import {
  type FakeErrorResponse,
  FakeProviderState,
  type FakeServer,
  type HttpFaultRule,
  serveFake,
} from "./fake_server.ts";

/** Options of a fake provider. */
export interface FakeOptions {
  /** The key (or token) the fake accepts. */
  apiKey: string;
  /** More keys it accepts (one account's several agents, told apart by their keys). */
  otherKeys?: readonly string[];
  faults?: readonly HttpFaultRule[];
  clock?: Clock;
  /** A fake model's answer to the `n`-th request (1-based) for the person `name` (the
   * prompt's `Person called:`), billed like any other; undefined: its usual good script. */
  writes?: (name: string, n: number) => FakeScript | undefined;
}

/** What a fake model answers: its text (`null`: none), why it stopped (the provider's own
 * word; default: finished) and, for OpenAI, a refusal apart from the text. */
export interface FakeScript {
  text: string | null;
  stopReason?: string;
  refusal?: string;
}

/** The fake model's answer for the prompt's person: the test's, else `usual(name)`; counts the
 * requests per person in `asked`. */
export function fakeScriptFor(
  options: FakeOptions,
  prompt: string,
  asked: Map<string, number>,
): { name: string; script?: FakeScript } {
  const name = /Person called: (.*)/.exec(prompt)?.[1] ?? "there";
  const n = (asked.get(name) ?? 0) + 1;
  asked.set(name, n);
  return { name, script: options.writes?.(name, n) };
}

/** Whether `given` is one of the keys the fake accepts. */
export function acceptsKey(options: FakeOptions, given: string | undefined): boolean {
  return given !== undefined &&
    (given === options.apiKey || (options.otherKeys ?? []).includes(given));
}

const openAiError = (
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
) => ({
  error: { message, type, param, code },
});

/** OpenAI's exact error responses, as the provider publishes them (`docs/providers.md`). */
export function openAiErrorFor(kind: FaultKind, rule: HttpFaultRule): FakeErrorResponse {
  switch (kind) {
    case "rate-limit":
      return {
        status: 429,
        body: openAiError(
          "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.",
          "requests",
          "rate_limit_exceeded",
        ),
        headers: {
          ...(rule.retryAfterMs === undefined
            ? {}
            : { "retry-after-ms": String(rule.retryAfterMs) }),
          "x-ratelimit-remaining-requests": "0",
          "x-ratelimit-reset-requests": "6s",
        },
      };
    case "quota":
      return {
        status: 429,
        body: openAiError(
          "You exceeded your current quota, please check your plan and billing details.",
          "insufficient_quota",
          "insufficient_quota",
        ),
      };
    case "auth":
      return {
        status: 401,
        body: openAiError(
          "Incorrect API key provided.",
          "invalid_request_error",
          "invalid_api_key",
        ),
      };
    case "invalid-request":
      return {
        status: 400,
        body: openAiError(
          "This model's maximum context length is 128000 tokens.",
          "invalid_request_error",
          "context_length_exceeded",
          "messages",
        ),
      };
    case "not-found":
      return {
        status: 404,
        body: openAiError(
          "The model `gpt-missing` does not exist or you do not have access to it.",
          "invalid_request_error",
          "model_not_found",
        ),
      };
    default:
      return {
        status: 503,
        body: openAiError("The server is overloaded or not ready yet.", "server_error", null),
      };
  }
}

/** The formats `/audio/speech` answers in, and their content types. */
const speechTypes: Record<string, string> = {
  mp3: "audio/mpeg",
  opus: "audio/ogg",
  aac: "audio/aac",
  flac: "audio/flac",
  wav: "audio/wav",
  pcm: "audio/pcm",
};

/** Bytes that start as `format` must (an ID3 tag, a RIFF/WAVE or Ogg header), then `text`. */
function fakeAudio(format: string, text: string): Uint8Array<ArrayBuffer> {
  const header = format === "wav"
    ? "RIFF\x00\x00\x00\x00WAVE"
    : format === "opus"
    ? "OggS"
    : format === "mp3"
    ? "ID3\x04\x00\x00\x00\x00\x00\x00"
    : "";
  const bytes = new TextEncoder().encode(`${header}FAKEAUDIO:${format}:${text}`);
  // PCM is whole 16-bit samples.
  return format === "pcm" && bytes.length % 2 ? new Uint8Array([...bytes, 0]) : bytes;
}

/**
 * A fake OpenAI API under `/v1`: checks the bearer key; Chat Completions answers a script
 * built from the request, `/audio/speech` audio of the asked format made from the input; both
 * follow its fault script. `service` names what it stands for (`llm`, or `tts` when it is the
 * voice).
 */
export function startFakeOpenAi(
  options: FakeOptions & { service?: string },
): FakeServer & { baseUrl: string } {
  const state = new FakeProviderState(
    options.service ?? "llm",
    options.faults ?? [],
    options.clock ?? systemClock,
    openAiErrorFor,
  );
  const app = new Hono();
  let nextId = 1;
  const asked = new Map<string, number>();
  app.use("*", async (c, next) => {
    await state.record(c);
    const auth = c.req.header("authorization") ?? "";
    if (!auth.startsWith("Bearer ") || !acceptsKey(options, auth.slice("Bearer ".length))) {
      const { status, body } = openAiErrorFor("auth", {});
      return c.json(body, status as 401);
    }
    c.header("x-request-id", `req_${nextId++}`);
    return await next();
  });
  app.get("/v1/models", async (c) =>
    (await state.fault(c, true)) ??
      c.json({
        object: "list",
        data: [{ id: "gpt-4o-mini", object: "model", owned_by: "system" }],
      }));
  app.post("/v1/chat/completions", async (c) => {
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const request = state.bodyOf(c) as
      | { messages?: { content?: string }[] }
      | undefined;
    const { name, script } = fakeScriptFor(
      options,
      request?.messages?.at(-1)?.content ?? "",
      asked,
    );
    const content = script
      ? script.text
      : `Hello ${name}, this is a fake assistant calling. Do you have a minute?`;
    return c.json({
      id: `chatcmpl-${nextId}`,
      object: "chat.completion",
      model: "gpt-4o-mini",
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content,
          ...(script?.refusal ? { refusal: script.refusal } : { refusal: null }),
        },
        finish_reason: script?.stopReason ?? "stop",
      }],
      usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 },
    });
  });
  app.post("/v1/audio/speech", async (c) => {
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const request = state.bodyOf(c) as
      | { input?: unknown; response_format?: unknown; voice?: unknown; model?: unknown }
      | undefined;
    const format = typeof request?.response_format === "string" ? request.response_format : "mp3";
    if (
      typeof request?.input !== "string" || request.input.length > 4_096 || !speechTypes[format]
    ) {
      return c.json(
        openAiError(
          typeof request?.input !== "string"
            ? "Missing required parameter: 'input'."
            : request.input.length > 4_096
            ? "[{'type': 'string_too_long', 'loc': ('body', 'input'), 'msg': 'String should have at most 4096 characters'}]"
            : `Invalid value: '${format}'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.`,
          "invalid_request_error",
          null,
          typeof request?.input !== "string" || request.input.length > 4_096
            ? "input"
            : "response_format",
        ),
        400,
      );
    }
    return c.body(fakeAudio(format, request.input), 200, { "content-type": speechTypes[format] });
  });
  const server = serveFake(app, state);
  return { ...server, baseUrl: `${server.url}/v1` };
}
