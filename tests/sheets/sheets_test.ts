import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createVerify, generateKeyPairSync } from "node:crypto";
import { VirtualClock } from "../../src/clock/mod.ts";
import { InMemoryOutbox } from "../../src/ledger/mod.ts";
import {
  GoogleAccessToken,
  parseServiceAccountKey,
  type SheetRow,
  type SheetsEvent,
  SheetsLogSink,
  signServiceAccountJwt,
} from "../../src/sheets/mod.ts";
import { breakerOptions, retryOptions } from "../_support/fixtures.ts";
import { json, type StubbedRequest, stubFetch } from "../_support/stub_fetch.ts";
import { recordingTracing } from "../_support/recording_tracing.ts";
import type { Tracing } from "../../src/tracing/mod.ts";

const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const key = {
  client_email: "agent@project.iam.gserviceaccount.com",
  private_key: privateKey,
};
const tokenUrl = "https://oauth2.googleapis.com/token";
const start = Date.parse("2026-11-28T12:00:00Z");

const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString());

Deno.test("the JWT has the RS256 header and claims and verifies with the public key", () => {
  const jwt = signServiceAccountJwt(key, tokenUrl, start);
  const [header, claims, signature] = jwt.split(".");
  assert.deepEqual(decode(header), { alg: "RS256", typ: "JWT" });
  assert.deepEqual(decode(claims), {
    iss: key.client_email,
    scope: "https://www.googleapis.com/auth/spreadsheets",
    aud: tokenUrl,
    iat: start / 1000,
    exp: start / 1000 + 3600,
  });
  const verified = createVerify("RSA-SHA256").update(`${header}.${claims}`)
    .verify(
      publicKey,
      Buffer.from(signature, "base64url"),
    );
  assert.equal(verified, true);
});

Deno.test("a malformed key is a config error that names the field, never the key", () => {
  assert.throws(
    () => parseServiceAccountKey("{nope", "sheets.keyFile k.json"),
    /sheets\.keyFile k\.json: not valid JSON/,
  );
  assert.throws(
    () => parseServiceAccountKey(JSON.stringify({ private_key: "x" }), "env"),
    (error: Error) =>
      /client_email is missing/.test(error.message) &&
      /private_key is missing/.test(error.message),
  );
});

function tokenFetch(requests: StubbedRequest[] = []) {
  let issued = 0;
  return stubFetch((request) => {
    requests.push(request);
    return json({
      access_token: `ya29.token-${++issued}`,
      expires_in: 3600,
      token_type: "Bearer",
    });
  });
}

Deno.test("the token request is the JWT-bearer grant; the token is cached and refreshed a minute early", async () => {
  const clock = new VirtualClock({ start });
  const fetch = tokenFetch();
  const token = new GoogleAccessToken(key, { tokenUrl }, { fetch, clock });
  assert.equal(await token.get(), "ya29.token-1");
  const [request] = fetch.requests;
  assert.equal(request.url, tokenUrl);
  assert.equal(
    request.headers["content-type"],
    "application/x-www-form-urlencoded",
  );
  const form = new URLSearchParams(request.body);
  assert.equal(
    form.get("grant_type"),
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
  );
  assert.equal(form.get("assertion")!.split(".").length, 3);
  await clock.advance(3_500_000);
  assert.equal(await token.get(), "ya29.token-1", "cached");
  await clock.advance(50_000);
  assert.equal(
    await token.get(),
    "ya29.token-2",
    "refreshed a minute before expiry",
  );
  token.invalidate();
  assert.equal(await token.get(), "ya29.token-3");
});

/** A fake Sheets API on a stubbed fetch: appends rows, reads column A, fails on demand. */
function fakeSheets(
  options: {
    fail?: (call: number) => Response | undefined;
    appendThenFail?: (call: number) => boolean;
  } = {},
) {
  const sheet: unknown[][] = [];
  /** The sheet's cells as Google keeps them: rows appended to `Log!C:L` start at column C. */
  const grid: unknown[][] = [];
  const column = (letter: string) => letter.charCodeAt(0) - "A".charCodeAt(0);
  const rangeOf = (url: string) =>
    /values\/([^:?/]+![A-Z]+)\d*:([A-Z]+)/.exec(decodeURIComponent(url))!;
  let appendCalls = 0;
  const appendTimes: number[] = [];
  let clockRef: VirtualClock | undefined;
  const fetch = stubFetch((request) => {
    if (request.url === tokenUrl) {
      return json({ access_token: "ya29.t", expires_in: 3600 });
    }
    if (request.method === "GET") {
      const [, start] = rangeOf(request.url);
      const at = column(start.split("!")[1]);
      return json({ range: start, values: grid.map((row) => [row[at] ?? ""]) });
    }
    const call = ++appendCalls;
    appendTimes.push(clockRef?.now() ?? 0);
    const failure = options.fail?.(call);
    if (failure) return failure;
    const rows: unknown[][] = JSON.parse(request.body).values;
    sheet.push(...rows);
    const offset = column(rangeOf(request.url)[1].split("!")[1]);
    grid.push(...rows.map((row) => [...Array(offset).fill(""), ...row]));
    if (options.appendThenFail?.(call)) {
      return json({
        error: { code: 503, message: "backend", status: "UNAVAILABLE" },
      }, 503);
    }
    return json({
      updates: { updatedRows: JSON.parse(request.body).values.length },
    });
  });
  return {
    fetch,
    sheet,
    appendTimes,
    setClock: (c: VirtualClock) => (clockRef = c),
    appendCalls: () => appendCalls,
  };
}

function sinkFor(
  fetch: typeof globalThis.fetch,
  clock: VirtualClock,
  outbox = new InMemoryOutbox(),
  network: (fetch: typeof globalThis.fetch) => typeof globalThis.fetch = (f) => f,
  range = "Log!A:J",
  tracing?: Tracing,
) {
  // The stub reads request bodies for real: the virtual clock must wait for it, not jump to
  // the next timer (an attempt's deadline) meanwhile. `network` adds what happens on the way
  // (transit times on the clock), outside what the clock waits for.
  const stub = fetch;
  fetch = network((input, init) => clock.trackIo(stub(input, init)));
  const token = new GoogleAccessToken(key, { tokenUrl }, { fetch, clock });
  const sink = new SheetsLogSink({
    baseUrl: "https://sheets.googleapis.com",
    spreadsheetId: "sheet-1",
    range,
    batchRows: 50,
    flushIntervalMs: 5_000,
    maxWritesPerMinute: 50,
    stalledAfterMs: 20_000,
    timeoutMs: 10_000,
    retry: retryOptions({ maxRetries: 2, initialDelayMs: 1_000, jitterMs: 0 }),
    breaker: breakerOptions(),
  }, { fetch, clock, random: Math.random, outbox, token, tracing });
  const events: SheetsEvent[] = [];
  sink.onEvent((e) => events.push(e));
  return { sink, events, outbox };
}

const row = (i: number): SheetRow => ({
  rowId: `row-${i}`,
  time: new Date(start + i).toISOString(),
  campaign: "spring",
  contactId: `c${i}`,
  outcome: "completed",
  service: "",
  errorClass: "",
  attempts: 3,
  breakerState: "",
  detail: "",
  spend: 0,
});

Deno.test("rows are batched into one values.append each, with the exact request", async () => {
  const clock = new VirtualClock({ start });
  const fake = fakeSheets();
  const { sink } = sinkFor(fake.fetch, clock);
  for (let i = 0; i < 120; i++) sink.append(row(i));
  await clock.run(() => sink.flush());
  assert.equal(fake.appendCalls(), 3, "120 rows in batches of 50");
  const append = fake.fetch.requests.find((r) =>
    r.method === "POST" && r.url.includes("sheets.googleapis.com")
  )!;
  assert.equal(
    append.url,
    "https://sheets.googleapis.com/v4/spreadsheets/sheet-1/values/Log!A%3AJ:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS",
  );
  assert.equal(append.headers.authorization, "Bearer ya29.t");
  assert.deepEqual(JSON.parse(append.body).values[0], [
    "row-0",
    "2026-11-28T12:00:00.000Z",
    "spring",
    "c0",
    "completed",
    "",
    "",
    3,
    "",
    "",
    0,
  ]);
  assert.deepEqual(
    fake.sheet.map((r) => r[0]),
    Array.from({ length: 120 }, (_, i) => `row-${i}`),
  );
});

Deno.test("appends stay within the writes-per-minute quota", async () => {
  const clock = new VirtualClock({ start });
  const fake = fakeSheets();
  fake.setClock(clock);
  const { sink } = sinkFor(fake.fetch, clock);
  for (let i = 0; i < 50 * 120; i++) sink.append(row(i));
  await clock.run(() => sink.flush());
  assert.equal(fake.appendCalls(), 120);
  for (let i = 0; i + 50 < fake.appendTimes.length; i++) {
    assert.ok(
      fake.appendTimes[i + 50] - fake.appendTimes[i] >= 60_000,
      `51 appends within a minute at ${i}`,
    );
  }
});

Deno.test("no minute of arrivals at Sheets holds more appends than the quota, however long each request takes to arrive", async () => {
  const clock = new VirtualClock({ start });
  const fake = fakeSheets();
  fake.setClock(clock);
  // One append of the first minute (a new connection) takes 50 ms to arrive and 50 ms for its
  // answer to come back; every other request is instant. A minute later, the append the
  // limiter lets out in its place arrives at once.
  let appends = 0;
  const slowNetwork =
    (fetch: typeof globalThis.fetch): typeof globalThis.fetch => async (input, init) => {
      const transit = String(input).includes(":append") && appends++ === 5 ? 50 : 0;
      if (transit) await clock.sleep(transit);
      const response = await fetch(input, init);
      if (transit) await clock.sleep(transit);
      return response;
    };
  const { sink } = sinkFor(fake.fetch, clock, undefined, slowNetwork);
  for (let i = 0; i < 50 * 160; i++) sink.append(row(i));
  await clock.run(() => sink.flush());
  assert.equal(fake.appendCalls(), 160);
  const arrivals = fake.appendTimes;
  for (let i = 0; i + 50 < arrivals.length; i++) {
    assert.ok(
      arrivals[i + 50] - arrivals[i] >= 60_000,
      `51 appends arrived within ${arrivals[i + 50] - arrivals[i]} ms (from append ${i})`,
    );
  }
});

Deno.test("a sink down for the whole run loses no row, and each arrives exactly once after it heals", async () => {
  const clock = new VirtualClock({ start });
  let down = true;
  const fake = fakeSheets({
    fail: () =>
      down
        ? json(
          { error: { code: 503, message: "down", status: "UNAVAILABLE" } },
          503,
        )
        : undefined,
  });
  const { sink, outbox } = sinkFor(fake.fetch, clock);
  for (let i = 0; i < 200; i++) sink.append(row(i));
  await clock.run(() => sink.flush());
  assert.equal(await outbox.size("sheets"), 200);
  down = false;
  await clock.advance(60_000); // past the sink's breaker recovery timeout
  await clock.run(() => sink.flush());
  assert.equal(await outbox.size("sheets"), 0);
  const ids = fake.sheet.map((r) => r[0]);
  assert.equal(ids.length, 200);
  assert.equal(new Set(ids).size, 200);
  assert.deepEqual(
    ids,
    Array.from({ length: 200 }, (_, i) => `row-${i}`),
    "in order",
  );
});

Deno.test("a retried batch whose first append reached the sheet is not appended twice", async () => {
  const clock = new VirtualClock({ start });
  const fake = fakeSheets({ appendThenFail: (call) => call === 1 });
  const { sink, events } = sinkFor(fake.fetch, clock);
  for (let i = 0; i < 10; i++) sink.append(row(i));
  await clock.run(() => sink.flush());
  assert.equal(fake.sheet.length, 10);
  assert.ok(
    events.some((e) => e.type === "appended" && e.skippedAsDuplicates === 10),
  );
});

Deno.test("with a range that does not start at column A, a retried batch is read back from its own first column, not appended twice", async () => {
  const clock = new VirtualClock({ start });
  const fake = fakeSheets({ appendThenFail: (call) => call === 1 });
  const { sink, events } = sinkFor(fake.fetch, clock, undefined, undefined, "Log!C:L");
  for (let i = 0; i < 10; i++) sink.append(row(i));
  await clock.run(() => sink.flush());
  assert.equal(fake.sheet.length, 10, "each row once");
  assert.ok(events.some((e) => e.type === "appended" && e.skippedAsDuplicates === 10));
});

Deno.test("a 401 refreshes the token once; a 403 keeps the rows and reports a configuration error", async () => {
  const clock = new VirtualClock({ start });
  const fake = fakeSheets({
    fail: (call) =>
      call === 1
        ? json({
          error: { code: 401, message: "expired", status: "UNAUTHENTICATED" },
        }, 401)
        : call >= 2
        ? json({
          error: {
            code: 403,
            message: "The caller does not have permission",
            status: "PERMISSION_DENIED",
          },
        }, 403)
        : undefined,
  });
  const { sink, events, outbox } = sinkFor(fake.fetch, clock);
  sink.append(row(1));
  await clock.run(() => sink.flush());
  assert.equal(
    fake.fetch.requests.filter((r) => r.url === tokenUrl).length,
    2,
    "one refresh after the 401",
  );
  assert.ok(
    events.some((e) => e.type === "configuration-error" && /PERMISSION_DENIED/.test(e.message)),
  );
  assert.equal(await outbox.size("sheets"), 1, "the row waits for the fix");
});

Deno.test("a 400 batch is kept aside as dead letters, not dropped, and the rest go on", async () => {
  const clock = new VirtualClock({ start });
  const fake = fakeSheets({
    fail: (call) =>
      call === 1
        ? json({
          error: {
            code: 400,
            message: "cell too long",
            status: "INVALID_ARGUMENT",
          },
        }, 400)
        : undefined,
  });
  const { sink, outbox } = sinkFor(fake.fetch, clock);
  for (let i = 0; i < 60; i++) sink.append(row(i));
  await clock.run(() => sink.flush());
  assert.equal(await outbox.size("sheets:dead"), 50);
  assert.equal(fake.sheet.length, 10);
});

Deno.test("the background loop flushes every flushIntervalMs and stops cleanly", async () => {
  const clock = new VirtualClock({ start });
  const fake = fakeSheets();
  const { sink } = sinkFor(fake.fetch, clock);
  sink.start();
  sink.append(row(1));
  await clock.advance(4_999);
  assert.equal(fake.sheet.length, 0);
  await clock.advance(1);
  await clock.advance(0);
  assert.equal(fake.sheet.length, 1);
  await sink.stop();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("each append attempt is a client span: a failed one marked by class, then the one that went through", async () => {
  const clock = new VirtualClock({ start });
  const fake = fakeSheets({
    fail: (call) =>
      call === 1
        ? json({ error: { code: 503, message: "unavailable", status: "UNAVAILABLE" } }, 503)
        : undefined,
  });
  const tracing = recordingTracing();
  const { sink } = sinkFor(fake.fetch, clock, new InMemoryOutbox(), (f) => f, "Log!A:J", tracing);
  for (let i = 0; i < 3; i++) sink.append(row(i));
  await clock.run(() => sink.flush());
  assert.deepEqual(fake.sheet.map((r) => r[0]), ["row-0", "row-1", "row-2"]);
  assert.deepEqual(
    tracing.spans.map((s) => [s.name, s.kind, s.attributes["ai_call_agent.attempt"], s.failed]),
    [
      ["sheets attempt", "client", 1, "ServiceUnavailableError"],
      ["sheets attempt", "client", 2, undefined],
    ],
  );
  assert.ok(tracing.spans.every((s) => s.ended));
  assert.doesNotMatch(JSON.stringify(tracing.spans), /row-0|ya29/, "no row and no token");
});
