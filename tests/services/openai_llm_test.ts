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
import { type HttpFaultRule, startFakeOpenAi } from "../../src/fake_providers/mod.ts";
import { OpenAiLlm } from "../../src/services/mod.ts";

const key = "sk-test-canary-0001";
const contact = {
  id: "c1",
  name: "Ada Lovelace",
  phone: "+14155550100",
  notes: "prefers mornings",
};
const campaign = {
  name: "spring",
  purpose: "the spring offer",
  callerName: "Alex",
};

function llmFor(baseUrl: string, apiKey = key) {
  return new OpenAiLlm({
    baseUrl,
    model: "gpt-4o-mini",
    temperature: 0.5,
    maxTokens: 200,
    apiKey,
  }, { fetch, clock: systemClock });
}

Deno.test("OpenAI client sends the Chat Completions request and returns the script", async () => {
  await using server = startFakeOpenAi({ apiKey: key });
  const script = await llmFor(server.baseUrl).writeScript(contact, campaign);
  assert.match(script.text, /Hello Ada Lovelace/);
  assert.equal(script.finishReason, "stop", "why the model stopped, in OpenAI's words");
  const request = server.requests[0];
  assert.equal(request.path, "/v1/chat/completions");
  assert.equal(request.headers.authorization, `Bearer ${key}`);
  const body = request.body as {
    model: string;
    temperature: number;
    max_tokens: number;
    messages: { role: string; content: string }[];
  };
  assert.equal(body.model, "gpt-4o-mini");
  assert.equal(body.temperature, 0.5);
  assert.equal(body.max_tokens, 200);
  assert.deepEqual(body.messages.map((m) => m.role), ["system", "user"]);
  assert.match(body.messages[1].content, /Purpose: the spring offer/);
  assert.match(body.messages[1].content, /Notes: prefers mornings/);
});

const rows: {
  name: string;
  fault: HttpFaultRule;
  check: (error: unknown) => boolean;
}[] = [
  {
    name: "429 rate_limit_exceeded is a RateLimitError with its retry-after-ms",
    fault: { fail: "rate-limit", retryAfterMs: 1_250 },
    check: (e) =>
      e instanceof RateLimitError && e.retryAfterMs === 1_250 &&
      e.code === "rate_limit_exceeded",
  },
  {
    name: "429 insufficient_quota is a service-wide QuotaExceededError, not a rate limit",
    fault: { fail: "quota" },
    check: (e) => e instanceof QuotaExceededError && isServiceWide(e),
  },
  {
    name: "429 with type credit_balance_exhausted is QuotaExceededError",
    fault: {
      status: 429,
      body: {
        error: {
          message: "no credit",
          type: "credit_balance_exhausted",
          param: null,
          code: null,
        },
      },
    },
    check: (e) => e instanceof QuotaExceededError,
  },
  {
    name: "400 invalid_request_error is this contact's InvalidRequestError",
    fault: { fail: "invalid-request" },
    check: (e) => e instanceof InvalidRequestError && !isServiceWide(e),
  },
  {
    name: "422 is InvalidRequestError",
    fault: {
      status: 422,
      body: {
        error: { message: "bad", type: "invalid_request_error", code: null },
      },
    },
    check: (e) => e instanceof InvalidRequestError,
  },
  {
    name: "401 is a service-wide AuthenticationError",
    fault: { fail: "auth" },
    check: (e) => e instanceof AuthenticationError && isServiceWide(e),
  },
  {
    name: "403 is AuthenticationError",
    fault: {
      status: 403,
      body: {
        error: {
          message: "region",
          type: "invalid_request_error",
          code: "unsupported_country_region_territory",
        },
      },
    },
    check: (e) => e instanceof AuthenticationError,
  },
  {
    name: "404 model_not_found is a service-wide configuration error",
    fault: { fail: "not-found" },
    check: (e) =>
      e instanceof NotFoundError && isServiceWide(e) &&
      e.code === "model_not_found",
  },
  ...[408, 409].map((status) => ({
    name: `${status} is transient`,
    fault: {
      status,
      body: {
        error: { message: "try again", type: "server_error", code: null },
      },
    },
    check: (e: unknown) => e instanceof ServiceUnavailableError && e.status === status,
  })),
  ...[500, 502, 503, 504].map((status) => ({
    name: `${status} is ServiceUnavailableError`,
    fault: {
      status,
      body: { error: { message: "down", type: "server_error", code: null } },
    },
    check: (e: unknown) => e instanceof ServiceUnavailableError && e.status === status,
  })),
  {
    name: "200 without choices[0].message is a transient malformed response",
    fault: { status: 200, body: { choices: [] } },
    check: (e) => e instanceof ServiceUnavailableError && e.code === "malformed_response",
  },
];

for (const row of rows) {
  Deno.test(`OpenAI table: ${row.name}`, async () => {
    await using server = startFakeOpenAi({ apiKey: key, faults: [row.fault] });
    const error = await llmFor(server.baseUrl).writeScript(contact, campaign)
      .catch((e) => e);
    assert.ok(row.check(error), `got ${error?.name}: ${error?.message}`);
    assert.doesNotMatch(String(error.message), new RegExp(key));
  });
}

Deno.test("an OpenAI completion whose content is null carries the model's refusal, for the checks to judge", async () => {
  await using server = startFakeOpenAi({
    apiKey: key,
    faults: [{
      status: 200,
      body: {
        model: "gpt-4o-mini",
        choices: [{
          index: 0,
          message: { role: "assistant", content: null, refusal: "I can't help with that." },
          finish_reason: "stop",
        }],
        usage: { prompt_tokens: 50, completion_tokens: 7 },
      },
    }],
  });
  const script = await llmFor(server.baseUrl).writeScript(contact, campaign);
  assert.deepEqual(script, {
    text: "",
    model: "gpt-4o-mini",
    usage: { inputTokens: 50, outputTokens: 7 },
    finishReason: "stop",
    refusal: "I can't help with that.",
  });
});

Deno.test("OpenAI client with a wrong key gets AuthenticationError, and the key is not quoted", async () => {
  await using server = startFakeOpenAi({ apiKey: key });
  const error = await llmFor(server.baseUrl, "sk-wrong-canary").writeScript(
    contact,
    campaign,
  )
    .catch((e) => e);
  assert.ok(error instanceof AuthenticationError);
  assert.doesNotMatch(error.message, /sk-wrong-canary/);
});

Deno.test("OpenAI probe is GET /models and follows the fault script", async () => {
  await using server = startFakeOpenAi({
    apiKey: key,
    faults: [{ fail: "unavailable", calls: 1 }],
  });
  const llm = llmFor(server.baseUrl);
  await assert.rejects(llm.probe(), ServiceUnavailableError);
  assert.equal(server.count("/v1/models", "GET"), 1);
});
