import assert from "node:assert/strict";
import { systemClock } from "../../src/clock/mod.ts";
import {
  AuthenticationError,
  InvalidRequestError,
  isServiceWide,
  NotFoundError,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
} from "../../src/errors.ts";
import { type HttpFaultRule, startFakeAnthropic } from "../../src/fake_providers/mod.ts";
import { AnthropicLlm } from "../../src/services/mod.ts";

const key = "sk-ant-test-canary-0001";
const contact = {
  id: "c1",
  name: "Ada Lovelace",
  phone: "+14155550100",
  notes: "prefers mornings",
};
const campaign = { name: "spring", purpose: "the spring offer", callerName: "Alex" };

function llmFor(baseUrl: string, apiKey = key) {
  return new AnthropicLlm({
    baseUrl,
    model: "claude-haiku-4-5",
    temperature: 0.5,
    maxTokens: 200,
    apiKey,
  }, { fetch, clock: systemClock });
}

Deno.test("Anthropic client sends the Messages request and returns the script", async () => {
  await using server = startFakeAnthropic({ apiKey: key });
  const script = await llmFor(server.url).writeScript(contact, campaign);
  assert.match(script.text, /Hello Ada Lovelace/);
  assert.equal(script.finishReason, "end_turn", "why the model stopped, in Anthropic's words");
  const request = server.requests[0];
  assert.equal(request.path, "/v1/messages");
  assert.equal(request.headers["x-api-key"], key);
  assert.equal(request.headers["anthropic-version"], "2023-06-01");
  assert.equal(request.headers.authorization, undefined);
  const body = request.body as {
    model: string;
    max_tokens: number;
    temperature: number;
    system: string;
    messages: { role: string; content: string }[];
  };
  assert.equal(body.model, "claude-haiku-4-5");
  assert.equal(body.max_tokens, 200);
  assert.equal(body.temperature, 0.5);
  assert.match(body.system, /\S/, "the system prompt goes in `system`, not in messages");
  assert.deepEqual(body.messages.map((m) => m.role), ["user"]);
  assert.match(body.messages[0].content, /Purpose: the spring offer/);
});

const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };

const rows: { name: string; fault: HttpFaultRule; check: (error: unknown) => boolean }[] = [
  {
    name: "429 rate_limit_error with retry-after is a RateLimitError that waits that long",
    fault: { fail: "rate-limit", retryAfterMs: 2_000 },
    check: (e) => e instanceof RateLimitError && e.retryAfterMs === 2_000,
  },
  {
    name: "429 enforced_spend_limit_reached is a service-wide QuotaExceededError, not a rate limit",
    fault: { fail: "quota" },
    check: (e) =>
      e instanceof QuotaExceededError && isServiceWide(e) &&
      e.code === "enforced_spend_limit_reached",
  },
  {
    name: "400 invalid_request_error naming the spend limit is QuotaExceededError",
    fault: {
      status: 400,
      body: {
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "This organization has reached its spend limit for the workspace.",
        },
      },
    },
    check: (e) => e instanceof QuotaExceededError && isServiceWide(e),
  },
  {
    name: "402 billing_error is QuotaExceededError",
    fault: {
      status: 402,
      body: { type: "error", error: { type: "billing_error", message: "payment required" } },
    },
    check: (e) => e instanceof QuotaExceededError && isServiceWide(e),
  },
  {
    name: "400 invalid_request_error (other) is this contact's InvalidRequestError",
    fault: { fail: "invalid-request" },
    check: (e) => e instanceof InvalidRequestError && !isServiceWide(e),
  },
  {
    name: "413 request_too_large is this contact's InvalidRequestError",
    fault: {
      status: 413,
      body: { type: "error", error: { type: "request_too_large", message: "too large" } },
    },
    check: (e) => e instanceof InvalidRequestError && !isServiceWide(e),
  },
  {
    name: "401 authentication_error is a service-wide AuthenticationError",
    fault: { fail: "auth" },
    check: (e) => e instanceof AuthenticationError && isServiceWide(e),
  },
  {
    name: "403 permission_error is AuthenticationError",
    fault: {
      status: 403,
      body: { type: "error", error: { type: "permission_error", message: "no access" } },
    },
    check: (e) => e instanceof AuthenticationError && isServiceWide(e),
  },
  {
    name: "404 not_found_error (the model) is a service-wide configuration error",
    fault: { fail: "not-found" },
    check: (e) => e instanceof NotFoundError && isServiceWide(e),
  },
  {
    name: "409 conflict_error is transient",
    fault: {
      status: 409,
      body: { type: "error", error: { type: "conflict_error", message: "conflict" } },
    },
    check: (e) => e instanceof ServiceUnavailableError && e.status === 409,
  },
  {
    name: "529 overloaded_error is transient",
    fault: { fail: "unavailable" },
    check: (e) =>
      e instanceof ServiceUnavailableError && e.status === 529 && e.code === "overloaded_error",
  },
  ...[500, 504].map((status) => ({
    name: `${status} is ServiceUnavailableError`,
    fault: { status, body: overloaded },
    check: (e: unknown) => e instanceof ServiceUnavailableError && e.status === status,
  })),
  {
    name: "200 without a content list is a transient malformed response",
    fault: { status: 200, body: { type: "message", model: "claude-haiku-4-5" } },
    check: (e) => e instanceof ServiceUnavailableError && e.code === "malformed_response",
  },
];

for (const row of rows) {
  Deno.test(`Anthropic table: ${row.name}`, async () => {
    await using server = startFakeAnthropic({ apiKey: key, faults: [row.fault] });
    const error = await llmFor(server.url).writeScript(contact, campaign).catch((e) => e);
    assert.ok(row.check(error), `got ${error?.name}: ${error?.message}`);
    assert.doesNotMatch(String(error.message), new RegExp(key));
  });
}

Deno.test("an Anthropic message with no text is a script of no text, with why the model stopped, for the checks to judge", async () => {
  await using server = startFakeAnthropic({
    apiKey: key,
    faults: [{
      status: 200,
      body: {
        type: "message",
        model: "claude-haiku-4-5",
        content: [],
        stop_reason: "refusal",
        usage: { input_tokens: 40, output_tokens: 0 },
      },
    }],
  });
  const script = await llmFor(server.url).writeScript(contact, campaign);
  assert.deepEqual(script, {
    text: "",
    model: "claude-haiku-4-5",
    usage: { inputTokens: 40, outputTokens: 0 },
    finishReason: "refusal",
  });
});

Deno.test("Anthropic errors carry the provider's own words", async () => {
  await using server = startFakeAnthropic({ apiKey: key, faults: [{ fail: "quota" }] });
  const error = await llmFor(server.url).writeScript(contact, campaign).catch((e) => e);
  assert.match(error.message, /HTTP 429 enforced_spend_limit_reached: You have reached/);
});

Deno.test("Anthropic client with a wrong key gets AuthenticationError, and the key is not quoted", async () => {
  await using server = startFakeAnthropic({ apiKey: key });
  const error = await llmFor(server.url, "sk-ant-wrong-canary").writeScript(contact, campaign)
    .catch((e) => e);
  assert.ok(error instanceof AuthenticationError);
  assert.doesNotMatch(error.message, /sk-ant-wrong-canary/);
});

Deno.test("Anthropic probe is GET /v1/models: healthy on a model list, not on a 529 or a 200 of garbage", async () => {
  await using server = startFakeAnthropic({ apiKey: key });
  const llm = llmFor(server.url);
  {
    using _down = server.outage({ fail: "unavailable" });
    await assert.rejects(llm.probe(), ServiceUnavailableError);
  }
  {
    using _garbage = server.outage({ status: 200, body: { ok: true } });
    await assert.rejects(
      llm.probe(),
      (e) => e instanceof ServiceUnavailableError && e.code === "malformed_response",
    );
  }
  await llm.probe();
  assert.equal(server.count("/v1/models", "GET"), 3);
});
