import assert from "node:assert/strict";
import { createStatusApp, loopbackHosts } from "../../src/server/mod.ts";
import { ServiceUnavailableError } from "../../src/errors.ts";
import { contacts, testAgent } from "../_support/agent.ts";

const token = "admin-canary-token";

async function setup(adminToken?: string) {
  const t = testAgent({}, { processor: { concurrency: 1 } });
  const status = createStatusApp({
    agent: t.agent,
    clock: t.clock,
    version: "9.9.9",
    instance: { pid: 4242, host: "agent-1" },
    adminToken,
  });
  await t.runCampaign(contacts(3), { health: false });
  return { ...t, status, app: status.app };
}

Deno.test("GET /healthz is 200 while the process works", async () => {
  const t = await setup();
  await using _ = t.agent;
  using _s = t.status;
  const response = await t.app.request("/healthz");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ok" });
});

Deno.test("GET /readyz is 200 when ready and 503 with the reason when a breaker is OPEN", async () => {
  const t = await setup();
  await using _ = t.agent;
  using _s = t.status;
  assert.equal((await t.app.request("/readyz")).status, 200);
  t.agent.breakers.get("tts").forceOpen();
  const response = await t.app.request("/readyz");
  assert.equal(response.status, 503);
  assert.deepEqual(await response.json(), {
    ready: false,
    reasons: ["tts circuit breaker is OPEN (forced by an operator on this agent)"],
  });
});

Deno.test("GET /status reports version, progress, breakers, health, alerts and outboxes", async () => {
  const t = await setup();
  await using _ = t.agent;
  using _s = t.status;
  await t.agent.breakers.get("llm").execute(() =>
    Promise.reject(new ServiceUnavailableError({ service: "llm" }))
  )
    .catch(() => {});
  const status = await (await t.app.request("/status")).json();
  assert.equal(status.version, "9.9.9");
  assert.deepEqual(status.process, { pid: 4242, host: "agent-1" });
  assert.equal(status.campaign.counts.completed, 3);
  assert.equal(status.campaign.total, 3);
  const llm = status.services.find((s: { service: string }) => s.service === "llm");
  assert.equal(llm.breaker.state, "CLOSED");
  assert.equal(llm.breaker.consecutiveFailures, 1);
  assert.equal(llm.breaker.lastErrorClass, "ServiceUnavailableError");
  assert.ok("health" in llm);
  assert.deepEqual(Object.keys(status.outboxes).sort(), [
    "alerts:log",
    "alerts:memory",
  ]);
  const events = await (await t.app.request("/events")).json();
  assert.ok(
    Array.isArray(events) &&
      events.some((e: { type: string }) => e.type === "contact-done"),
  );
});

Deno.test("GET /metrics has calls, retries, breaker state, transitions, contacts, alerts and latency", async () => {
  const t = await setup();
  await using _ = t.agent;
  using _s = t.status;
  t.agent.breakers.get("crm").forceOpen();
  const response = await t.app.request("/metrics");
  assert.match(
    response.headers.get("content-type")!,
    /text\/plain; version=0\.0\.4/,
  );
  const text = await response.text();
  for (
    const line of [
      /^ai_call_agent_breaker_state\{service="crm"\} 2$/m,
      /^ai_call_agent_breaker_state\{service="llm"\} 0$/m,
      /^ai_call_agent_breaker_transitions_total\{service="crm",from="CLOSED",to="OPEN"\} 1$/m,
      /^ai_call_agent_contacts\{state="completed"\} 3$/m,
      /^# TYPE ai_call_agent_call_duration_seconds histogram$/m,
      /^# TYPE ai_call_agent_retries_total counter$/m,
      /^# TYPE ai_call_agent_alerts_total counter$/m,
      /^ai_call_agent_contact_outcomes_total\{outcome="completed"\} 3$/m,
      /^ai_call_agent_info\{version="9\.9\.9",pid="4242",host="agent-1"\} 1$/m,
    ]
  ) assert.match(text, line);
});

Deno.test("GET / serves the self-contained dashboard", async () => {
  const t = await setup();
  await using _ = t.agent;
  using _s = t.status;
  const html = await (await t.app.request("/")).text();
  assert.match(html, /<title>ai-call-agent<\/title>/);
  assert.match(html, /fetch\("\/status"/);
  assert.doesNotMatch(html, /<script src=|<link [^>]*href="http/);
});

Deno.test("admin routes are off without a configured token", async () => {
  const t = await setup();
  await using _ = t.agent;
  using _s = t.status;
  const response = await t.app.request("/admin/breakers/tts/open", {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 404);
  assert.equal(t.agent.breakers.get("tts").state, "CLOSED");
});

Deno.test("admin routes with the token open, close and reset a breaker; wrong or missing token: 401, nothing changes", async () => {
  const t = await setup(token);
  await using _ = t.agent;
  using _s = t.status;
  const post = (
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ) => t.app.request(path, { method: "POST", headers, body });
  const tts = t.agent.breakers.get("tts");
  assert.equal((await post("/admin/breakers/tts/open")).status, 401);
  assert.equal(
    (await post("/admin/breakers/tts/open", { authorization: "Bearer wrong" }))
      .status,
    401,
  );
  assert.equal(
    (await post("/admin/breakers/tts/open", { authorization: token })).status,
    401,
  );
  assert.equal(tts.state, "CLOSED");
  const opened = await post("/admin/breakers/tts/open", {
    authorization: `Bearer ${token}`,
  });
  assert.equal(opened.status, 200);
  assert.deepEqual(await opened.json(), { service: "tts", state: "OPEN" });
  assert.equal(tts.snapshot().forced, true);
  assert.equal(
    (await post("/admin/breakers/tts/close", {
      authorization: `Bearer ${token}`,
    })).status,
    200,
  );
  assert.equal(tts.state, "CLOSED");
  await post("/admin/breakers/tts/open", { authorization: `Bearer ${token}` });
  assert.equal(
    (await post("/admin/breakers/tts/reset", {
      authorization: `Bearer ${token}`,
    })).status,
    200,
  );
  assert.equal(tts.state, "CLOSED");
  assert.equal(
    (await post("/admin/breakers/sms/open", {
      authorization: `Bearer ${token}`,
    })).status,
    404,
  );
  assert.equal(
    (await post("/admin/breakers/tts/explode", {
      authorization: `Bearer ${token}`,
    })).status,
    404,
  );
  const big = await post("/admin/breakers/tts/open", {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
  }, "x".repeat(5_000));
  assert.equal(big.status, 413);
  assert.equal(tts.state, "CLOSED", "a refused request changes nothing");
});

Deno.test("the retries metric counts retries sent, not retries cancelled when the breaker opened", async () => {
  // Two contacts fail at once; the first schedules a retry, the second's failure opens the
  // breaker, and the scheduled retry is cancelled: nothing was retried.
  const t = testAgent({
    llm: {
      faults: [{ fail: "unavailable", calls: 1, latencyMs: 10 }, {
        fail: "unavailable",
        latencyMs: 50,
      }],
    },
  }, {
    processor: { concurrency: 2, recoveryWaitMs: 1_000 },
    breaker: { failureThreshold: 2 },
  });
  await using _ = t.agent;
  using status = createStatusApp({
    agent: t.agent,
    clock: t.clock,
    version: "9.9.9",
  });
  await t.runCampaign(contacts(2), { health: false });
  assert.ok(t.events.some((e) => e.type === "retry"), "a retry was scheduled");
  const metrics = await (await status.app.request("/metrics")).text();
  assert.doesNotMatch(
    metrics,
    /ai_call_agent_retries_total\{service="llm"\} [1-9]/,
  );
  assert.equal(t.services.llm.callCount, 2, "two calls, no retry sent");
});

Deno.test("a forced-open breaker reports no time to half-open in /status", async () => {
  const t = await setup();
  await using _ = t.agent;
  using _s = t.status;
  t.agent.breakers.get("crm").forceOpen();
  t.clock.advance(60_000);
  const body = await (await t.app.request("/status")).json();
  const crm = body.services.find((s: { service: string }) => s.service === "crm");
  assert.equal(
    crm.breaker.msToHalfOpen,
    null,
    "held open until an operator resets it",
  );
});

Deno.test("the bearer scheme is case-insensitive, and a wrong token still changes nothing", async () => {
  const t = await setup(token);
  await using _ = t.agent;
  using _s = t.status;
  const post = (authorization: string) =>
    t.app.request("/admin/breakers/tts/open", {
      method: "POST",
      headers: { authorization },
    });
  assert.equal((await post(`bearer ${token}`)).status, 200);
  assert.equal(t.agent.breakers.get("tts").state, "OPEN");
  assert.equal((await post(`BEARER ${token}`)).status, 200);
  t.agent.breakers.get("tts").reset();
  assert.equal((await post("bearer not-the-token")).status, 401);
  assert.equal(t.agent.breakers.get("tts").state, "CLOSED");
});

Deno.test("bound to loopback, the app answers only loopback host names (no DNS rebinding)", async () => {
  const t = testAgent();
  await using _ = t.agent;
  using status = createStatusApp({
    agent: t.agent,
    clock: t.clock,
    version: "1",
    allowedHosts: loopbackHosts("127.0.0.1"),
  });
  const get = (host: string, path = "/status") =>
    status.fetch(
      new Request(`http://127.0.0.1:8080${path}`, { headers: { host } }),
    );
  for (
    const host of [
      "127.0.0.1:8080",
      "localhost:8080",
      "[::1]:8080",
      "LOCALHOST",
    ]
  ) {
    assert.equal((await get(host)).status, 200, host);
  }
  for (
    const host of ["evil.example:8080", "evil.example", "127.0.0.1.nip.io:8080"]
  ) {
    const response = await get(host);
    assert.equal(response.status, 421, host);
    await response.body?.cancel();
  }
  assert.equal((await get("evil.example", "/events")).status, 421);
  assert.equal(
    loopbackHosts("0.0.0.0"),
    undefined,
    "a public bind answers any host",
  );
});

Deno.test("with a voice chain, /status shows the link a contact gets and what each served; ready until every link is OPEN", async () => {
  const t = testAgent({
    tts: { faults: [{ fail: "auth" }] },
    fallbacks: { tts: { "backup-voice": {} } },
  }, {
    processor: { concurrency: 1 },
    services: { tts: { fallbacks: [{ name: "backup-voice", kind: "mock" }] } },
  });
  await using _ = t.agent;
  using status = createStatusApp({ agent: t.agent, clock: t.clock, version: "1" });
  await t.runCampaign(contacts(4), { health: false });
  const document = await (await status.app.request("/status")).json();
  assert.deepEqual(document.chains.tts, {
    links: ["tts", "backup-voice"],
    active: "backup-voice",
    onFallback: true,
    served: { tts: 0, "backup-voice": 4 },
  });
  assert.deepEqual(document.chains.llm, {
    links: ["llm"],
    active: "llm",
    onFallback: false,
    served: { llm: 4 },
  });
  assert.ok(
    document.services.some((s: { service: string }) => s.service === "backup-voice"),
    "the fallback has a tile of its own",
  );
  assert.equal((await status.app.request("/readyz")).status, 200, "the chain still calls");
  t.agent.breakers.get("backup-voice").forceOpen();
  const response = await status.app.request("/readyz");
  assert.equal(response.status, 503);
  assert.equal((await response.json()).reasons.length, 2);
  const metrics = await (await status.app.request("/metrics")).text();
  assert.match(metrics, /ai_call_agent_steps_served_total\{step="tts",provider="backup-voice"\} 4/);
  assert.match(metrics, /ai_call_agent_breaker_state\{service="backup-voice"\} 2/);
  assert.match(metrics, /ai_call_agent_chain_links_up\{role="tts"\} 0/);
  assert.match(metrics, /ai_call_agent_chain_links_up\{role="llm"\} 1/);
});

Deno.test("an OPEN breaker's status says when its next trial may go, and whether a healthy probe must come first", async () => {
  const t = testAgent({ tts: { faults: [{ fail: "unavailable" }] } }, {
    processor: { concurrency: 1, recoveryWaitMs: 0 },
    retry: { maxRetries: 0 },
    breaker: { failureThreshold: 1, recoveryTimeoutMs: 30_000 },
  });
  await using _ = t.agent;
  using status = createStatusApp({ agent: t.agent, clock: t.clock, version: "1", cacheMs: 0 });
  await t.runCampaign(contacts(1), { health: false });
  const document = await (await status.app.request("/status")).json();
  const tts = document.services.find((s: { service: string }) => s.service === "tts");
  assert.equal(tts.breaker.state, "OPEN");
  assert.equal(tts.breaker.nextTrial.afterHealthyProbe, true);
  assert.ok(tts.breaker.nextTrial.inMs > 0 && tts.breaker.nextTrial.inMs <= 30_000);
  assert.equal(
    Date.parse(tts.breaker.nextTrial.at),
    t.clock.now() + tts.breaker.nextTrial.inMs,
  );
  const llm = document.services.find((s: { service: string }) => s.service === "llm");
  assert.equal(llm.breaker.nextTrial, null, "no trial to wait for on a CLOSED breaker");
  t.agent.breakers.get("tts").forceOpen();
  const forced = await (await status.app.request("/status")).json();
  assert.equal(
    forced.services.find((s: { service: string }) => s.service === "tts").breaker.nextTrial,
    null,
    "only an operator ends a forced opening",
  );
});
