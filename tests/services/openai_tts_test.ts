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
import { OpenAiTts, sha256Hex } from "../../src/services/mod.ts";

const key = "sk-speech-canary-0003";

function ttsFor(
  baseUrl: string,
  overrides: Partial<ConstructorParameters<typeof OpenAiTts>[0]> = {},
) {
  const written = new Map<string, Uint8Array>();
  const tts = new OpenAiTts({
    baseUrl,
    model: "gpt-4o-mini-tts",
    voice: "coral",
    responseFormat: "mp3",
    instructions: "",
    audioDir: "audio",
    apiKey: key,
    ...overrides,
  }, {
    fetch,
    clock: systemClock,
    writeFile: (path, bytes) => {
      written.set(path, bytes);
      return Promise.resolve();
    },
  });
  return { tts, written };
}

Deno.test("OpenAI speech posts the script to /audio/speech and writes the audio under a content-derived name", async () => {
  await using server = startFakeOpenAi({ apiKey: key, service: "tts" });
  const { tts, written } = ttsFor(server.baseUrl);
  const audio = await tts.synthesize({ text: "Hello Ada" });
  const request = server.requests[0];
  assert.equal(request.path, "/v1/audio/speech");
  assert.equal(request.headers.authorization, `Bearer ${key}`);
  assert.deepEqual(request.body, {
    model: "gpt-4o-mini-tts",
    voice: "coral",
    input: "Hello Ada",
    response_format: "mp3",
  });
  assert.equal(
    new TextDecoder().decode(audio.bytes),
    "ID3\x04\0\0\0\0\0\0FAKEAUDIO:mp3:Hello Ada",
  );
  assert.equal(audio.format, "mp3");
  assert.equal(audio.path, `audio/${sha256Hex(audio.bytes)}.mp3`);
  assert.deepEqual(written.get(audio.path!), audio.bytes);
});

Deno.test("OpenAI speech sends instructions only when set, and asks for the configured format", async () => {
  await using server = startFakeOpenAi({ apiKey: key, service: "tts" });
  const { tts } = ttsFor(server.baseUrl, {
    responseFormat: "wav",
    instructions: "warm, unhurried",
  });
  const audio = await tts.synthesize({ text: "Hi" });
  const body = server.requests[0].body as Record<string, unknown>;
  assert.equal(body.response_format, "wav");
  assert.equal(body.instructions, "warm, unhurried");
  assert.match(audio.path!, /\.wav$/);
});

Deno.test("a script over 4,096 characters is this contact's InvalidRequestError, and nothing is sent", async () => {
  await using server = startFakeOpenAi({ apiKey: key, service: "tts" });
  const { tts } = ttsFor(server.baseUrl);
  const error = await tts.synthesize({ text: "a".repeat(4_097) }).catch((e) => e);
  assert.ok(error instanceof InvalidRequestError && !isServiceWide(error), String(error));
  assert.match(error.message, /4097 characters; OpenAI speech takes at most 4096/);
  assert.equal(server.count("/v1/audio/speech"), 0);
  await tts.synthesize({ text: "a".repeat(4_096) });
  assert.equal(server.count("/v1/audio/speech"), 1);
});

const rows: { name: string; fault: HttpFaultRule; check: (error: unknown) => boolean }[] = [
  {
    name: "429 rate_limit_exceeded is a RateLimitError with its retry-after-ms",
    fault: { fail: "rate-limit", retryAfterMs: 900 },
    check: (e) => e instanceof RateLimitError && e.retryAfterMs === 900,
  },
  {
    name: "429 insufficient_quota is a service-wide QuotaExceededError",
    fault: { fail: "quota" },
    check: (e) => e instanceof QuotaExceededError && isServiceWide(e),
  },
  {
    name: "400 is this contact's InvalidRequestError",
    fault: { fail: "invalid-request" },
    check: (e) => e instanceof InvalidRequestError && !isServiceWide(e),
  },
  {
    name: "401 is a service-wide AuthenticationError",
    fault: { fail: "auth" },
    check: (e) => e instanceof AuthenticationError && isServiceWide(e),
  },
  {
    name: "404 (the model) is a service-wide configuration error",
    fault: { fail: "not-found" },
    check: (e) => e instanceof NotFoundError && isServiceWide(e),
  },
  {
    name: "503 is ServiceUnavailableError",
    fault: { fail: "unavailable" },
    check: (e) => e instanceof ServiceUnavailableError && e.status === 503,
  },
  {
    name: "a 200 that is JSON, not audio, is a transient malformed response",
    fault: { status: 200, body: { error: "not audio" } },
    check: (e) => e instanceof ServiceUnavailableError && e.code === "malformed_response",
  },
];

for (const row of rows) {
  Deno.test(`OpenAI speech table: ${row.name}`, async () => {
    await using server = startFakeOpenAi({ apiKey: key, service: "tts", faults: [row.fault] });
    const { tts, written } = ttsFor(server.baseUrl);
    const error = await tts.synthesize({ text: "Hello" }).catch((e) => e);
    assert.ok(row.check(error), `got ${error?.name}: ${error?.message}`);
    assert.doesNotMatch(String(error.message), new RegExp(key));
    assert.equal(written.size, 0, "nothing is saved from a failed synthesis");
  });
}

Deno.test("OpenAI speech probe is GET /models: healthy on a model list only", async () => {
  await using server = startFakeOpenAi({ apiKey: key, service: "tts" });
  const { tts } = ttsFor(server.baseUrl);
  {
    using _garbage = server.outage({ status: 200, body: "<html>proxy</html>" });
    await assert.rejects(
      tts.probe(),
      (e) => e instanceof ServiceUnavailableError && e.code === "malformed_response",
    );
  }
  await tts.probe();
  assert.equal(server.count("/v1/models", "GET"), 2);
});
