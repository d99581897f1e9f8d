import assert from "node:assert/strict";
import { Hono } from "hono";
import { systemClock, VirtualClock } from "../../src/clock/mod.ts";
import {
  ConnectionError,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
} from "../../src/errors.ts";
import { FakeProviderState, type HttpFaultRule, serveFake } from "../../src/fake_providers/mod.ts";
import { type ErrorTable, HttpClient, parseRetryAfter } from "../../src/http/mod.ts";

const table: ErrorTable = {
  provider: "test",
  rules: [],
  readError: (json) => ({
    code: (json as { code?: string }).code,
    message: (json as { message?: string }).message,
  }),
};

/** A server that answers every request per its fault script, else 200 `{"ok":true}`. */
function startServer(faults: HttpFaultRule[], clock = systemClock) {
  const state = new FakeProviderState(
    "test",
    faults,
    clock,
    () => ({ status: 503, body: { code: "down" } }),
  );
  const app = new Hono();
  app.all("*", async (c) => {
    await state.record(c);
    return (await state.fault(c)) ??
      c.json({ ok: true, padding: "x".repeat(2_000) });
  });
  return serveFake(app, state);
}

function client(
  baseUrl: string,
  clock = systemClock,
  extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {},
) {
  return new HttpClient({ service: "test", baseUrl, errors: table, ...extra }, {
    fetch,
    clock,
  });
}

Deno.test("a 2xx JSON body is parsed", async () => {
  await using server = startServer([]);
  const body = await client(server.url).json<{ ok: boolean }>({
    method: "GET",
    path: "/x",
  });
  assert.equal(body.ok, true);
  assert.equal(server.count("/x", "GET"), 1);
});

Deno.test("Retry-After is read in all three forms", () => {
  const now = Date.parse("2026-11-28T12:00:00Z");
  assert.equal(
    parseRetryAfter(new Headers({ "retry-after-ms": "1500.5" }), now),
    1500.5,
  );
  assert.equal(
    parseRetryAfter(new Headers({ "retry-after": "7" }), now),
    7_000,
  );
  assert.equal(
    parseRetryAfter(
      new Headers({ "retry-after": "Sat, 28 Nov 2026 12:00:30 GMT" }),
      now,
    ),
    30_000,
  );
  assert.equal(
    parseRetryAfter(
      new Headers({ "retry-after": "Sat, 28 Nov 2026 11:00:00 GMT" }),
      now,
    ),
    0,
  );
  assert.equal(
    parseRetryAfter(new Headers({ "retry-after": "soon" }), now),
    undefined,
  );
  assert.equal(parseRetryAfter(new Headers(), now), undefined);
  assert.equal(
    parseRetryAfter(
      new Headers({ "retry-after-ms": "250", "retry-after": "9" }),
      now,
    ),
    250,
    "retry-after-ms wins",
  );
});

Deno.test("Retry-After on a real 429 reaches the RateLimitError", async () => {
  await using server = startServer([
    {
      status: 429,
      body: { code: "slow_down" },
      headers: { "retry-after": "3" },
      calls: 1,
    },
    {
      status: 429,
      body: { code: "slow_down" },
      headers: { "retry-after-ms": "450" },
      calls: 1,
    },
    {
      status: 429,
      body: { code: "slow_down" },
      headers: { "retry-after": new Date(Date.now() + 60_000).toUTCString() },
      calls: 1,
    },
  ]);
  const http = client(server.url);
  const waits: number[] = [];
  for (let i = 0; i < 3; i++) {
    await assert.rejects(
      http.request({ method: "GET", path: "/" }),
      (error) => {
        assert.ok(error instanceof RateLimitError);
        waits.push(error.retryAfterMs!);
        return true;
      },
    );
  }
  assert.equal(waits[0], 3_000);
  assert.equal(waits[1], 450);
  assert.ok(
    waits[2] > 55_000 && waits[2] <= 60_000,
    `HTTP-date gave ${waits[2]}`,
  );
});

Deno.test("the caller's abort ends a request at once", async () => {
  const clock = new VirtualClock();
  await using server = startServer([{ hang: true }]);
  const controller = new AbortController();
  const call = client(server.url, clock).request({
    method: "GET",
    path: "/",
    signal: controller.signal,
  });
  call.catch(() => {});
  await server.waitForRequests(1);
  controller.abort(new Error("shutdown"));
  await assert.rejects(call, /shutdown/);
});

Deno.test("a refused connection gives ConnectionError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assert.rejects(
    client(`http://127.0.0.1:${port}`).request({ method: "GET", path: "/" }),
    ConnectionError,
  );
});

Deno.test("a dropped connection mid-body gives ConnectionError", async () => {
  await using server = startServer([{ drop: true }]);
  await assert.rejects(
    client(server.url).json({ method: "GET", path: "/" }),
    ConnectionError,
  );
});

Deno.test("a 200 with a malformed body is a transient error", async () => {
  await using server = startServer([{ malformed: true }]);
  await assert.rejects(
    client(server.url).json({ method: "GET", path: "/" }),
    (error) => {
      assert.ok(error instanceof ServiceUnavailableError);
      assert.equal(error.code, "malformed_response");
      return true;
    },
  );
});

Deno.test("an oversized body is refused without reading it all", async () => {
  await using server = startServer([]);
  await assert.rejects(
    client(server.url, systemClock, { maxBodyBytes: 1_024 }).request({
      method: "GET",
      path: "/",
    }),
    (error) =>
      error instanceof ServiceUnavailableError &&
      error.code === "response_too_large",
  );
});

Deno.test("an oversized error body is cut, and still classified", async () => {
  await using server = startServer([{
    status: 503,
    body: { code: "down", message: "y".repeat(100_000) },
  }]);
  await assert.rejects(
    client(server.url, systemClock, { maxErrorBodyBytes: 1_024 }).request({
      method: "GET",
      path: "/",
    }),
    (error) => error instanceof ServiceUnavailableError && error.status === 503,
  );
});

Deno.test("no secret from the URL or the body reaches an error message", async () => {
  const canary = "sk-canary-4f9a2b7c1d";
  const telegram = "123456789:AAH-canaryTokenValue_xyz";
  await using server = startServer([{
    status: 400,
    body: { code: "bad", message: `bad key ${canary}` },
  }]);
  const http = client(`${server.url}/bot${telegram}`, systemClock, {
    headers: { authorization: `Bearer ${canary}` },
    secrets: [canary],
  });
  const error = await http.request({ method: "GET", path: "/sendMessage" })
    .catch((e) => e);
  assert.doesNotMatch(String(error.message), new RegExp(canary));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const refused = client(
    `http://127.0.0.1:${port}/bot${telegram}`,
    systemClock,
    {
      secrets: [canary],
    },
  );
  const connectionError = await refused.request({
    method: "GET",
    path: "/getMe",
  }).catch((e) => e);
  assert.ok(connectionError instanceof ConnectionError);
  for (
    const text of [
      connectionError.message,
      String(connectionError.cause),
      connectionError.stack,
    ]
  ) {
    assert.doesNotMatch(String(text), /AAH-canaryTokenValue/);
  }
});

Deno.test("a baseUrl that is not http(s) is a TypeError naming it", () => {
  assert.throws(
    () => client("ftp://x"),
    /test: baseUrl must start with http:\/\/ or https:\/\/: got "ftp:\/\/x"/,
  );
});

Deno.test("a redirect to another host is not followed: the key and body stay home", async () => {
  await using elsewhere = startServer([]);
  for (const status of [302, 307, 308]) {
    await using server = startServer([{
      status,
      body: {},
      headers: { location: `${elsewhere.url}/steal?key=sk-canary-redirect` },
    }]);
    const http = client(server.url, systemClock, {
      headers: { "xi-api-key": "sk-canary-redirect" },
      secrets: () => ["sk-canary-redirect"],
    });
    const error = await http.request({
      method: "POST",
      path: "/v1/tts",
      json: { text: "hi" },
    })
      .catch((e) => e);
    assert.ok(error instanceof NotFoundError, `${status}: got ${error?.name}`);
    assert.equal(
      error.scope,
      "service",
      "a redirect means the base URL is wrong for every call",
    );
    // The target's host, never its path or query (a redirect may carry a token there).
    assert.match(
      error.message,
      new RegExp(`HTTP ${status} redirect to 127\\.0\\.0\\.1:\\d+ not followed`),
    );
    assert.doesNotMatch(error.message, /sk-canary-redirect/);
  }
  assert.equal(elsewhere.requests.length, 0, "nothing reached the other host");
});

Deno.test("a provider echoing another service's key in its error leaks nothing", async () => {
  const otherKey = "sk-other-service-key-1234";
  await using server = startServer([{
    status: 400,
    body: { code: "bad", message: `upstream said: key ${otherKey} is invalid` },
  }]);
  const known = ["own-key-5678", otherKey];
  const http = client(server.url, systemClock, { secrets: () => known });
  const error = await http.request({ method: "GET", path: "/" }).catch((e) => e);
  assert.match(error.message, /\[REDACTED\] is invalid/);
  assert.doesNotMatch(error.message, /sk-other-service-key/);
});

Deno.test("a URL that carries a secret or a contact's data goes out through the untraced fetch, when one is given", async () => {
  const used: string[] = [];
  const stub = (name: string): typeof fetch => (input) => {
    used.push(`${name} ${new URL(String(input)).pathname}`);
    return Promise.resolve(Response.json({ ok: true }));
  };
  const deps = {
    fetch: stub("fetch"),
    freshFetch: stub("fresh"),
    untracedFetch: stub("untraced"),
    clock: systemClock,
  };
  const plain = new HttpClient({ service: "t", baseUrl: "http://x.test", errors: table }, deps);
  await plain.json({ method: "GET", path: "/calls" });
  await plain.json({ method: "GET", path: "/calls?To=+1", privateUrl: true });
  await plain.json({ method: "POST", path: "/create" });
  const telegram = new HttpClient(
    { service: "t", baseUrl: "http://x.test/bot1:token", errors: table, privateUrls: true },
    deps,
  );
  await telegram.json({ method: "GET", path: "/getMe" });
  // Tracing off: no untraced fetch, every request goes as it would anyway.
  const off = new HttpClient(
    { service: "t", baseUrl: "http://x.test/bot1:token", errors: table, privateUrls: true },
    { ...deps, untracedFetch: undefined },
  );
  await off.json({ method: "GET", path: "/getMe" });
  assert.deepEqual(used, [
    "fetch /calls",
    "untraced /calls",
    "fresh /create",
    "untraced /bot1:token/getMe",
    "fetch /bot1:token/getMe",
  ]);
});
