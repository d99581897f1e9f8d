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
import { type HttpFaultRule, startFakeElevenLabs } from "../../src/fake_providers/mod.ts";
import { ElevenLabsTts, sha256Hex } from "../../src/services/mod.ts";

const key = "xi-canary-key-0002";
const voice = "21m00Tcm4TlvDq8ikWAM";

function ttsFor(
  baseUrl: string,
  overrides: Partial<ConstructorParameters<typeof ElevenLabsTts>[0]> = {},
) {
  const written = new Map<string, Uint8Array>();
  const tts = new ElevenLabsTts({
    baseUrl,
    voiceId: voice,
    modelId: "eleven_multilingual_v2",
    outputFormat: "mp3_44100_128",
    voiceSettings: { stability: 0.5 },
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

Deno.test("ElevenLabs client posts the text and writes the audio under a content-derived name", async () => {
  await using server = startFakeElevenLabs({ apiKey: key });
  const { tts, written } = ttsFor(server.url);
  const audio = await tts.synthesize({ text: "Hello Ada" });
  const request = server.requests[0];
  assert.equal(request.path, `/v1/text-to-speech/${voice}`);
  assert.equal(request.headers["xi-api-key"], key);
  assert.deepEqual(request.body, {
    text: "Hello Ada",
    model_id: "eleven_multilingual_v2",
    voice_settings: { stability: 0.5 },
  });
  assert.equal(
    new TextDecoder().decode(audio.bytes),
    "ID3\x04\0\0\0\0\0\0FAKEAUDIO:mp3_44100_128:Hello Ada",
  );
  assert.equal(audio.characterCost, 9);
  assert.equal(audio.format, "mp3_44100_128");
  assert.equal(audio.path, `audio/${sha256Hex(audio.bytes)}.mp3`);
  assert.deepEqual(written.get(audio.path!), audio.bytes);
});

Deno.test("the telephony format is asked for in the query", async () => {
  await using server = startFakeElevenLabs({ apiKey: key });
  const { tts } = ttsFor(server.url, { outputFormat: "ulaw_8000" });
  const audio = await tts.synthesize({ text: "Hi" });
  assert.equal(
    new TextDecoder().decode(audio.bytes),
    "ID3\x04\0\0\0\0\0\0FAKEAUDIO:ulaw_8000:Hi",
  );
  assert.match(audio.path!, /\.ulaw\.raw$/);
});

const rows: {
  name: string;
  fault?: HttpFaultRule;
  setup?: Partial<ConstructorParameters<typeof ElevenLabsTts>[0]>;
  text?: string;
  check: (e: unknown) => boolean;
}[] = [
  ...[
    "too_many_concurrent_requests",
    "concurrent_limit_exceeded",
    "system_busy",
    "rate_limit_exceeded",
  ].map((code) => ({
    name: `429 ${code} is a RateLimitError`,
    fault: {
      status: 429,
      body: {
        detail: {
          type: "rate_limit_error",
          code,
          message: "slow",
          status: code,
        },
      },
    },
    check: (e: unknown) => e instanceof RateLimitError && e.code === code,
  })),
  {
    name: "429 with Retry-After carries it",
    fault: { fail: "rate-limit", retryAfterMs: 2_000 },
    check: (e) => e instanceof RateLimitError && e.retryAfterMs === 2_000,
  },
  {
    name: "401 quota_exceeded (old shape, detail.status only) is service-wide QuotaExceededError",
    fault: { fail: "quota" },
    check: (e) => e instanceof QuotaExceededError && isServiceWide(e),
  },
  {
    name: "400 quota_exceeded is QuotaExceededError",
    fault: {
      status: 400,
      body: { detail: { code: "quota_exceeded", message: "over" } },
    },
    check: (e) => e instanceof QuotaExceededError,
  },
  {
    name: "401 invalid_api_key is service-wide AuthenticationError",
    setup: { apiKey: "xi-wrong" },
    check: (e) => e instanceof AuthenticationError && isServiceWide(e),
  },
  {
    name: "400 max_character_limit_exceeded is this contact's InvalidRequestError",
    text: "x".repeat(6_000),
    check: (e) => e instanceof InvalidRequestError && !isServiceWide(e),
  },
  {
    name: "422 validation error is InvalidRequestError",
    fault: {
      status: 422,
      body: {
        detail: [{
          loc: ["body", "text"],
          msg: "Field required",
          type: "missing",
        }],
      },
    },
    check: (e) => e instanceof InvalidRequestError && e.status === 422,
  },
  {
    name: "400 voice_not_found is a service-wide configuration error",
    setup: { voiceId: "no-such-voice" },
    check: (e) => e instanceof NotFoundError && isServiceWide(e),
  },
  {
    name: "401 voice_not_found is a service-wide configuration error",
    fault: {
      status: 401,
      body: { detail: { status: "voice_not_found", message: "gone" } },
    },
    check: (e) => e instanceof NotFoundError && isServiceWide(e),
  },
  {
    name: "403 only_for_creator+ is service-wide",
    fault: {
      status: 403,
      body: { detail: { code: "only_for_creator+", message: "upgrade" } },
    },
    check: (e) => e instanceof AuthenticationError && isServiceWide(e),
  },
  ...[500, 503].map((status) => ({
    name: `${status} is ServiceUnavailableError`,
    fault: {
      status,
      body: { detail: { code: "service_unavailable", message: "down" } },
    },
    check: (e: unknown) => e instanceof ServiceUnavailableError && e.status === status,
  })),
];

for (const row of rows) {
  Deno.test(`ElevenLabs table: ${row.name}`, async () => {
    await using server = startFakeElevenLabs({
      apiKey: key,
      faults: row.fault ? [row.fault] : [],
    });
    const { tts } = ttsFor(server.url, row.setup);
    const error = await tts.synthesize({ text: row.text ?? "Hello" }).catch((
      e,
    ) => e);
    assert.ok(row.check(error), `got ${error?.name}: ${error?.message}`);
    assert.doesNotMatch(String(error.message), /canary|xi-wrong/);
  });
}

Deno.test("ElevenLabs probe is GET /v1/models", async () => {
  await using server = startFakeElevenLabs({ apiKey: key });
  await ttsFor(server.url).tts.probe();
  assert.equal(server.count("/v1/models", "GET"), 1);
});

const audioCases: {
  format: string;
  type: string;
  bytes: number[];
  ok: boolean;
}[] = [
  {
    format: "mp3_44100_128",
    type: "audio/mpeg",
    bytes: [0x49, 0x44, 0x33, 4, 0],
    ok: true,
  },
  {
    format: "mp3_44100_128",
    type: "audio/mpeg",
    bytes: [0xff, 0xfb, 0x90, 0x64],
    ok: true,
  },
  {
    format: "mp3_44100_128",
    type: "audio/mpeg",
    bytes: [...new TextEncoder().encode("{not")],
    ok: false,
  },
  {
    format: "mp3_44100_128",
    type: "application/json",
    bytes: [0xff, 0xfb, 0x90],
    ok: false,
  },
  {
    format: "mp3_44100_128",
    type: "text/html",
    bytes: [0x49, 0x44, 0x33],
    ok: false,
  },
  { format: "pcm_16000", type: "audio/pcm", bytes: [1, 2, 3, 4], ok: true },
  { format: "pcm_16000", type: "audio/pcm", bytes: [1, 2, 3], ok: false },
  {
    format: "wav_44100",
    type: "audio/wav",
    bytes: [...new TextEncoder().encode("RIFF\0\0\0\0WAVEfmt ")],
    ok: true,
  },
  {
    format: "wav_44100",
    type: "audio/wav",
    bytes: [...new TextEncoder().encode("RIFX\0\0\0\0WAVE")],
    ok: false,
  },
  {
    format: "opus_48000_64",
    type: "audio/ogg",
    bytes: [...new TextEncoder().encode("OggS\0")],
    ok: true,
  },
  { format: "ulaw_8000", type: "audio/basic", bytes: [0x7f, 0xff], ok: true },
  { format: "ulaw_8000", type: "audio/basic", bytes: [], ok: false },
];

for (const row of audioCases) {
  Deno.test(`audio check: ${row.format} as ${row.type}, ${row.bytes.length} bytes is ${row.ok ? "audio" : "malformed"}`, async () => {
    const stub = (() =>
      Promise.resolve(
        new Response(new Uint8Array(row.bytes), {
          headers: { "content-type": row.type },
        }),
      )) as typeof fetch;
    const tts = new ElevenLabsTts({
      baseUrl: "https://api.elevenlabs.io",
      voiceId: voice,
      modelId: "eleven_multilingual_v2",
      outputFormat: row.format,
      audioDir: "",
      apiKey: key,
    }, { fetch: stub, clock: systemClock, writeFile: () => Promise.resolve() });
    const result = await tts.synthesize({ text: "Hi" }).catch((e) => e);
    if (row.ok) {
      assert.equal(result.bytes?.length, row.bytes.length);
    } else {
      assert.ok(
        result instanceof ServiceUnavailableError,
        `got ${result?.name}`,
      );
      assert.equal(result.code, "malformed_response");
    }
  });
}
