/**
 * The HTTP stack never sends a request a second time on its own. Against a raw server that
 * reads a POST, acts on it, and closes the connection without answering (on a connection the
 * client's pool would otherwise reuse), every client whose request has no idempotency key the
 * provider honours sees exactly one request arrive and an ambiguous ConnectionError for the
 * caller to resolve. Keyed requests may be sent again, always with the same key.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { SendGridEmailChannel, TelegramChannel } from "../../src/alerts/mod.ts";
import { ResendEmailChannel, WebhookAlertChannel } from "../../src/alerts/mod.ts";
import { systemClock } from "../../src/clock/mod.ts";
import { ConnectionError } from "../../src/errors.ts";
import { createFreshConnectionFetch } from "../../src/platform/mod.ts";
import { InMemoryOutbox } from "../../src/ledger/mod.ts";
import {
  ElevenLabsTts,
  HubSpotCrm,
  OpenAiLlm,
  TwilioTelephony,
  WebhookCrm,
} from "../../src/services/mod.ts";
import { GoogleAccessToken, SheetsLogSink } from "../../src/sheets/mod.ts";
import { type RawRequest, startDropAfterReadServer } from "../_support/drop_after_read_server.ts";
import { breakerOptions, retryOptions } from "../_support/fixtures.ts";

/** Leaves an idle keep-alive connection to the server in the process's shared pool. */
async function warmUp(url: string): Promise<void> {
  await (await fetch(`${url}/warm`)).text();
}

const notification = {
  id: "ntf_1",
  severity: "critical" as const,
  alerts: [{
    key: "breaker-open:tts",
    severity: "critical" as const,
    summary: "tts down",
    labels: {},
    status: "firing" as const,
    at: 0,
  }],
  at: 0,
};

const outcome = {
  campaign: "spring",
  contactId: "c1",
  contactName: "Ada Lovelace",
  phone: "+14155550100",
  status: "completed" as const,
  script: "Hello",
  audioFormat: "mp3_44100_128",
  audioBytes: 10,
  voice: "audio" as const,
  callSid: "CA00000000000000000000000000000001",
  dials: 1,
  at: 0,
};

const once: [
  string,
  (r: RawRequest) => boolean,
  (url: string, deps: Deps) => Promise<unknown>,
][] = [
  [
    "OpenAI chat completion",
    (r) => r.path.endsWith("/chat/completions"),
    (url, deps) =>
      new OpenAiLlm({
        baseUrl: `${url}/v1`,
        model: "gpt-4o-mini",
        temperature: 0.7,
        maxTokens: 100,
        apiKey: "k",
      }, deps).writeScript(
        { id: "c1", name: "Ada", phone: "+14155550100" },
        { name: "x", purpose: "y", callerName: "z" },
      ),
  ],
  [
    "ElevenLabs synthesis",
    (r) => r.path.startsWith("/v1/text-to-speech"),
    (url, deps) =>
      new ElevenLabsTts({
        baseUrl: url,
        voiceId: "v",
        modelId: "m",
        outputFormat: "mp3_44100_128",
        audioDir: "",
        apiKey: "k",
      }, { ...deps, writeFile: () => Promise.resolve() }).synthesize({
        text: "Hi",
      }),
  ],
  [
    "HubSpot call create",
    (r) => r.method === "POST" && r.path === "/crm/v3/objects/calls",
    (url, deps) =>
      new HubSpotCrm({ baseUrl: url, token: "t" }, deps).recordOutcome(
        outcome,
        {
          idempotencyKey: "spring:c1",
        },
      ),
  ],
  [
    "Twilio call create (a second copy would ring the person twice)",
    (r) => r.method === "POST" && r.path.endsWith("/Calls.json"),
    (url, deps) =>
      new TwilioTelephony({
        baseUrl: url,
        accountSid: `AC${"0".repeat(32)}`,
        from: ["+14155550000"],
        authToken: "t",
        ringTimeoutS: 30,
        machineDetection: "",
        clockSkewMs: 60_000,
      }, deps).dial({ to: "+14155550100", say: "Hello" }),
  ],
  [
    "Telegram sendMessage",
    (r) => r.path.endsWith("/sendMessage"),
    (url, deps) =>
      new TelegramChannel(
        { baseUrl: url, token: "123:abc", chatId: "1" },
        deps,
      ).send(notification),
  ],
  [
    "SendGrid mail send",
    (r) => r.path === "/v3/mail/send",
    (url, deps) =>
      new SendGridEmailChannel({
        baseUrl: url,
        apiKey: "k",
        from: "a@x.io",
        to: ["b@x.io"],
      }, deps).send(notification),
  ],
];

type Deps = {
  fetch: typeof fetch;
  freshFetch: typeof fetch;
  clock: typeof systemClock;
};

/** HubSpot searches find nothing; a created contact has an id; everything else is `{}`. */
function answer(request: RawRequest) {
  if (request.path.endsWith("/search")) {
    return { status: 200, body: '{"results":[]}' };
  }
  return { status: 200, body: '{"ok":true,"id":"1","result":{}}' };
}

for (const [name, drop, send] of once) {
  Deno.test(`${name} is never sent twice by the HTTP stack when the connection drops after it was read`, async () => {
    await using server = startDropAfterReadServer({ drop, answer });
    using freshFetch = createFreshConnectionFetch();
    await warmUp(server.url);
    const error = await send(server.url, {
      fetch,
      freshFetch,
      clock: systemClock,
    }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(
      error instanceof ConnectionError,
      `got ${error?.name}: ${error?.message}`,
    );
    assert.equal(
      server.requests.filter(drop).length,
      1,
      "the provider received it once",
    );
  });
}

Deno.test("a Sheets append dropped after it was applied is sent once, and its batch is kept for a read-back", async () => {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const isAppend = (r: RawRequest) => r.path.includes(":append");
  await using server = startDropAfterReadServer({
    drop: isAppend,
    answer: (r) =>
      r.path === "/token"
        ? { status: 200, body: '{"access_token":"ya29.t","expires_in":3600}' }
        : { status: 200, body: '{"values":[]}' },
  });
  using freshFetch = createFreshConnectionFetch();
  await warmUp(server.url);
  const deps = { fetch, freshFetch, clock: systemClock };
  const outbox = new InMemoryOutbox();
  const token = new GoogleAccessToken(
    { client_email: "a@b.iam.gserviceaccount.com", private_key: privateKey },
    { tokenUrl: `${server.url}/token` },
    deps,
  );
  const sink = new SheetsLogSink({
    baseUrl: server.url,
    spreadsheetId: "sheet-1",
    range: "Log!A:I",
    batchRows: 50,
    flushIntervalMs: 5_000,
    maxWritesPerMinute: 50,
    stalledAfterMs: 20_000,
    timeoutMs: 5_000,
    retry: retryOptions({ maxRetries: 0 }),
    breaker: breakerOptions(),
  }, { ...deps, random: Math.random, outbox, token });
  await outbox.enqueue(SheetsLogSink.queue, [
    JSON.stringify({
      rowId: "r1",
      time: "t",
      campaign: "c",
      contactId: "c1",
      outcome: "completed",
    }),
  ], 0);
  await sink.stop(); // flushes once more, then clears its deadline timer
  assert.equal(
    server.requests.filter(isAppend).length,
    1,
    "the append reached Sheets once",
  );
  const [kept] = await outbox.peek(SheetsLogSink.queue, 10);
  assert.equal(
    kept.attempts,
    1,
    "marked, so the next try reads the sheet back first",
  );
});

const keyed: [string, string, (url: string, deps: Deps) => Promise<unknown>][] = [
  [
    "webhook CRM",
    "/outcomes",
    (url, deps) =>
      new WebhookCrm({ url: `${url}/outcomes` }, deps).recordOutcome(
        outcome,
        {
          idempotencyKey: "spring:c1",
        },
      ),
  ],
  [
    "Resend email",
    "/emails",
    (url, deps) =>
      new ResendEmailChannel({
        baseUrl: url,
        apiKey: "k",
        from: "a@x.io",
        to: ["b@x.io"],
      }, deps).send(notification),
  ],
  [
    "webhook alert",
    "/alerts",
    (url, deps) =>
      new WebhookAlertChannel({
        url: `${url}/alerts`,
        secret: "s",
      }, deps)
        .send(notification),
  ],
];

for (const [name, path, send] of keyed) {
  Deno.test(`${name} carries the same Idempotency-Key on every copy the provider receives`, async () => {
    const drop = (r: RawRequest) => r.path === path;
    await using server = startDropAfterReadServer({ drop });
    using freshFetch = createFreshConnectionFetch();
    await warmUp(server.url);
    await send(server.url, { fetch, freshFetch, clock: systemClock }).catch(
      () => {},
    );
    const copies = server.requests.filter(drop);
    assert.ok(copies.length >= 1);
    const keys = new Set(copies.map((r) => r.headers["idempotency-key"]));
    assert.equal(keys.size, 1, `keys: ${[...keys]}`);
    assert.ok([...keys][0], "a key was sent");
  });
}
