import { Hono } from "hono";
import { systemClock } from "../clock/mod.ts";
import type { FaultKind } from "../services/mod.ts";
import {
  type FakeErrorResponse,
  FakeProviderState,
  type FakeServer,
  type HttpFaultRule,
  serveFake,
} from "./fake_server.ts";
import { acceptsKey, type FakeOptions } from "./fake_openai.ts";

const detail = (code: string, message: string, type = "invalid_request") => ({
  detail: { type, code, message, status: code, request_id: "req_fake" },
});

/** ElevenLabs' exact error responses, as the provider publishes them (`docs/providers.md`). */
export function elevenLabsErrorFor(kind: FaultKind, rule: HttpFaultRule): FakeErrorResponse {
  switch (kind) {
    case "rate-limit":
      return {
        status: 429,
        body: detail(
          "too_many_concurrent_requests",
          "Too many concurrent requests for your subscription.",
          "rate_limit_error",
        ),
        headers: rule.retryAfterMs === undefined
          ? undefined
          : { "retry-after": String(rule.retryAfterMs / 1000) },
      };
    case "quota":
      // The older shape: only `detail.status`.
      return {
        status: 401,
        body: { detail: { status: "quota_exceeded", message: "This request exceeds your quota." } },
      };
    case "auth":
      return {
        status: 401,
        body: detail("invalid_api_key", "Invalid API key", "authentication_error"),
      };
    case "invalid-request":
      return {
        status: 400,
        body: detail("max_character_limit_exceeded", "Text is longer than the model's limit."),
      };
    case "not-found":
      return {
        status: 400,
        body: detail("voice_not_found", "A voice with that voice_id was not found."),
      };
    default:
      return {
        status: 503,
        body: detail(
          "service_unavailable",
          "The service is temporarily unavailable.",
          "service_unavailable",
        ),
      };
  }
}

/** Options of the fake ElevenLabs. */
export interface FakeElevenLabsOptions extends FakeOptions {
  /** Voices that exist. @default ["21m00Tcm4TlvDq8ikWAM"] */
  voices?: readonly string[];
  /** Longest text accepted. @default 5000 */
  maxCharacters?: number;
}

/** A fake ElevenLabs text-to-speech API: checks `xi-api-key`, returns bytes derived from the text. */
export function startFakeElevenLabs(options: FakeElevenLabsOptions): FakeServer {
  const state = new FakeProviderState(
    "tts",
    options.faults ?? [],
    options.clock ?? systemClock,
    elevenLabsErrorFor,
  );
  const voices = options.voices ?? ["21m00Tcm4TlvDq8ikWAM"];
  const maxCharacters = options.maxCharacters ?? 5000;
  const app = new Hono();
  app.use("*", async (c, next) => {
    await state.record(c);
    if (!acceptsKey(options, c.req.header("xi-api-key"))) {
      const { status, body } = elevenLabsErrorFor("auth", {});
      return c.json(body, status as 401);
    }
    c.header("request-id", `req_${state.requests.length}`);
    return await next();
  });
  app.get(
    "/v1/models",
    async (c) =>
      (await state.fault(c, true)) ??
        c.json([{ model_id: "eleven_multilingual_v2", can_do_text_to_speech: true }]),
  );
  app.post("/v1/text-to-speech/:voiceId", async (c) => {
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    if (!voices.includes(c.req.param("voiceId"))) {
      const { status, body } = elevenLabsErrorFor("not-found", {});
      return c.json(body, status as 400);
    }
    const request = state.bodyOf(c) as { text?: unknown } | undefined;
    if (typeof request?.text !== "string") {
      return c.json(
        { detail: [{ loc: ["body", "text"], msg: "Field required", type: "missing" }] },
        422,
      );
    }
    if (request.text.length > maxCharacters) {
      const { status, body } = elevenLabsErrorFor("invalid-request", {});
      return c.json(body, status as 400);
    }
    // An ID3v2 header with no frames, then bytes derived from the text: audio enough for a
    // client that checks what it was sent.
    const audio = new TextEncoder().encode(
      `ID3\x04\x00\x00\x00\x00\x00\x00FAKEAUDIO:${c.req.query("output_format")}:${request.text}`,
    );
    return c.body(audio, 200, {
      "content-type": "audio/mpeg",
      "character-cost": String(request.text.length),
    });
  });
  return serveFake(app, state);
}
