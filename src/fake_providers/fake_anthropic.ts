import { Hono } from "hono";
import { systemClock } from "../clock/mod.ts";
import type { FaultKind } from "../services/mod.ts";
import { acceptsKey, type FakeOptions, fakeScriptFor } from "./fake_openai.ts";
import {
  type FakeErrorResponse,
  FakeProviderState,
  type FakeServer,
  type HttpFaultRule,
  serveFake,
} from "./fake_server.ts";

let nextRequest = 1;

const anthropicError = (type: string, message: string, details?: Record<string, string>) => ({
  type: "error",
  error: { type, message, ...(details ? { details } : {}) },
  request_id: `req_fake${nextRequest++}`,
});

/** Anthropic's error responses, as the provider publishes them (`docs/providers.md`). */
export function anthropicErrorFor(kind: FaultKind, rule: HttpFaultRule): FakeErrorResponse {
  switch (kind) {
    case "rate-limit":
      return {
        status: 429,
        body: anthropicError(
          "rate_limit_error",
          "This request would exceed the rate limit for your organization of 50 requests per minute.",
        ),
        headers: {
          ...(rule.retryAfterMs === undefined
            ? {}
            : { "retry-after": String(Math.ceil(rule.retryAfterMs / 1000)) }),
          "anthropic-ratelimit-requests-remaining": "0",
        },
      };
    case "quota":
      return {
        status: 429,
        body: anthropicError(
          "rate_limit_error",
          "You have reached your specified API usage limits. You will regain access on 2027-01-01 at 00:00 UTC.",
          { error_code: "enforced_spend_limit_reached" },
        ),
      };
    case "auth":
      return { status: 401, body: anthropicError("authentication_error", "invalid x-api-key") };
    case "invalid-request":
      return {
        status: 400,
        body: anthropicError(
          "invalid_request_error",
          "prompt is too long: 210000 tokens > 200000 maximum",
        ),
      };
    case "not-found":
      return { status: 404, body: anthropicError("not_found_error", "model: claude-missing") };
    default:
      return { status: 529, body: anthropicError("overloaded_error", "Overloaded") };
  }
}

/**
 * A fake Anthropic Messages API: checks `x-api-key` and `anthropic-version`, answers a script
 * built from the request, and follows its fault script.
 */
export function startFakeAnthropic(options: FakeOptions): FakeServer {
  const state = new FakeProviderState(
    "llm",
    options.faults ?? [],
    options.clock ?? systemClock,
    anthropicErrorFor,
  );
  const app = new Hono();
  let nextId = 1;
  const asked = new Map<string, number>();
  app.use("*", async (c, next) => {
    await state.record(c);
    if (!acceptsKey(options, c.req.header("x-api-key"))) {
      const { status, body } = anthropicErrorFor("auth", {});
      return c.json(body, status as 401);
    }
    if (!c.req.header("anthropic-version")) {
      return c.json(
        anthropicError("invalid_request_error", "anthropic-version: header is required"),
        400,
      );
    }
    c.header("request-id", `req_fake${nextId++}`);
    return await next();
  });
  app.get("/v1/models", async (c) =>
    (await state.fault(c, true)) ??
      c.json({
        data: [{
          type: "model",
          id: "claude-haiku-4-5",
          display_name: "Claude Haiku 4.5",
          created_at: "2025-10-01T00:00:00Z",
        }],
        has_more: false,
        first_id: "claude-haiku-4-5",
        last_id: "claude-haiku-4-5",
      }));
  app.post("/v1/messages", async (c) => {
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const request = state.bodyOf(c) as
      | { model?: unknown; max_tokens?: unknown; messages?: { content?: unknown }[] }
      | undefined;
    if (typeof request?.max_tokens !== "number" || !Array.isArray(request.messages)) {
      return c.json(
        anthropicError("invalid_request_error", "max_tokens: Field required"),
        400,
      );
    }
    const { name, script } = fakeScriptFor(
      options,
      String(request.messages.at(-1)?.content ?? ""),
      asked,
    );
    const text = script
      ? script.text
      : `Hello ${name}, this is a fake Claude calling. Do you have a minute?`;
    return c.json({
      id: `msg_fake${nextId}`,
      type: "message",
      role: "assistant",
      model: request.model,
      content: text ? [{ type: "text", text }] : [],
      stop_reason: script?.stopReason ?? "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 60, output_tokens: 18 },
    });
  });
  return serveFake(app, state);
}
