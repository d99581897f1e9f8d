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
import {
  type HttpFaultRule,
  startFakeHubSpot,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { type CallOutcome, HubSpotCrm, WebhookCrm } from "../../src/services/mod.ts";

const token = "crm-canary-token-0003";
const outcome: CallOutcome = {
  campaign: "spring",
  contactId: "c1",
  contactName: "Ada Lovelace",
  phone: "+14155550100",
  status: "completed",
  script: "Hello Ada",
  audioFormat: "mp3_44100_128",
  audioBytes: 1234,
  voice: "audio",
  callSid: "CA00000000000000000000000000000001",
  dials: 1,
  at: Date.parse("2026-11-28T12:00:00Z"),
};
const deps = { fetch, clock: systemClock };

Deno.test("webhook CRM posts the outcome with an Idempotency-Key; a repeat stores nothing twice", async () => {
  await using server = startFakeWebhookCrm({ apiKey: token });
  const crm = new WebhookCrm({ url: `${server.url}/outcomes`, token }, deps);
  const first = await crm.recordOutcome(outcome, {
    idempotencyKey: "spring:c1",
  });
  const again = await crm.recordOutcome(outcome, {
    idempotencyKey: "spring:c1",
  });
  assert.equal(first.recordId, again.recordId);
  assert.equal(server.outcomes.size, 1);
  assert.equal(server.duplicates, 1);
  const request = server.requests[0];
  assert.equal(request.headers["idempotency-key"], "spring:c1");
  assert.equal(request.headers.authorization, `Bearer ${token}`);
  assert.equal((request.body as { at: string }).at, "2026-11-28T12:00:00.000Z");
  assert.equal((request.body as { contactId: string }).contactId, "c1");
});

const webhookRows: {
  name: string;
  fault: HttpFaultRule;
  check: (e: unknown) => boolean;
}[] = [
  {
    name: "408 is transient",
    fault: { status: 408, body: {} },
    check: (e) => e instanceof ServiceUnavailableError,
  },
  {
    name: "429 is a RateLimitError with Retry-After",
    fault: { fail: "rate-limit", retryAfterMs: 2_000 },
    check: (e) => e instanceof RateLimitError && e.retryAfterMs === 2_000,
  },
  ...[500, 502, 503].map((status) => ({
    name: `${status} is transient`,
    fault: { status, body: {} },
    check: (e: unknown) => e instanceof ServiceUnavailableError,
  })),
  {
    name: "401 is service-wide auth",
    fault: { fail: "auth" },
    check: (e) => e instanceof AuthenticationError && isServiceWide(e),
  },
  {
    name: "404 is service-wide (wrong URL)",
    fault: { fail: "not-found" },
    check: (e) => e instanceof NotFoundError && isServiceWide(e),
  },
  {
    name: "422 rejects this outcome only",
    fault: { fail: "invalid-request" },
    check: (e) => e instanceof InvalidRequestError && !isServiceWide(e),
  },
];

for (const row of webhookRows) {
  Deno.test(`webhook table: ${row.name}`, async () => {
    await using server = startFakeWebhookCrm({ faults: [row.fault] });
    const crm = new WebhookCrm({ url: `${server.url}/outcomes` }, deps);
    const error = await crm.recordOutcome(outcome, { idempotencyKey: "k" })
      .catch((e) => e);
    assert.ok(row.check(error), `got ${error?.name}: ${error?.message}`);
  });
}

Deno.test("webhook probe: healthy when reachable, unhealthy on 5xx or bad credentials", async () => {
  await using down = startFakeWebhookCrm({
    apiKey: token,
    faults: [{ fail: "unavailable" }],
  });
  const downCrm = new WebhookCrm({
    url: `${down.url}/outcomes`,
    healthUrl: `${down.url}/health`,
    token,
  }, deps);
  await assert.rejects(downCrm.probe(), ServiceUnavailableError);
  await using server = startFakeWebhookCrm({ apiKey: token });
  const crm = new WebhookCrm({
    url: `${server.url}/outcomes`,
    healthUrl: `${server.url}/health`,
    token,
  }, deps);
  await crm.probe();
  const noHealthRoute = new WebhookCrm(
    { url: `${server.url}/outcomes`, token },
    deps,
  );
  await noHealthRoute.probe(); // GET /outcomes: 404, but the receiver answered
  const wrongToken = new WebhookCrm({
    url: `${server.url}/outcomes`,
    healthUrl: `${server.url}/health`,
    token: "nope",
  }, deps);
  await assert.rejects(wrongToken.probe(), AuthenticationError);
});

Deno.test("HubSpot CRM finds or creates the contact and logs an associated call", async () => {
  await using server = startFakeHubSpot({ apiKey: token });
  const crm = new HubSpotCrm({ baseUrl: server.url, token }, deps);
  const { recordId } = await crm.recordOutcome(outcome, {
    idempotencyKey: "spring:c1",
  });
  assert.equal(server.contacts.length, 1);
  assert.equal(server.contacts[0].properties.phone, "+14155550100");
  assert.equal(server.calls.length, 1);
  const call = server.calls[0];
  assert.equal(call.id, recordId);
  assert.equal(call.properties.hs_call_title, "AI call spring:c1");
  assert.equal(call.properties.hs_call_direction, "OUTBOUND");
  assert.equal(call.properties.hs_timestamp, "2026-11-28T12:00:00.000Z");
  assert.deepEqual(call.associations, [{
    to: { id: server.contacts[0].id },
    types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 194 }],
  }]);
  assert.equal(server.requests[0].headers.authorization, `Bearer ${token}`);
});

Deno.test("HubSpot: a repeat with the same idempotency key reuses the call", async () => {
  await using server = startFakeHubSpot({ apiKey: token });
  const crm = new HubSpotCrm({ baseUrl: server.url, token }, deps);
  const a = await crm.recordOutcome(outcome, { idempotencyKey: "spring:c1" });
  const b = await crm.recordOutcome(outcome, { idempotencyKey: "spring:c1" });
  assert.equal(a.recordId, b.recordId);
  assert.equal(server.calls.length, 1);
});

Deno.test("HubSpot: 409 'Contact already exists. Existing ID: N' is resolved, not retried", async () => {
  await using server = startFakeHubSpot({
    apiKey: token,
    faults: [
      { calls: 1 }, // calls search
      { status: 200, body: { total: 0, results: [] }, calls: 1 }, // contact search misses
      {
        status: 409,
        body: {
          status: "error",
          message: "Contact already exists. Existing ID: 777",
          category: "CONFLICT",
        },
        calls: 1,
      },
    ],
  });
  const crm = new HubSpotCrm({ baseUrl: server.url, token }, deps);
  await crm.recordOutcome(outcome, { idempotencyKey: "spring:c9" });
  const created = server.calls[0];
  assert.deepEqual((created.associations as { to: { id: string } }[])[0].to, {
    id: "777",
  });
  assert.equal(
    server.count("/crm/v3/objects/contacts", "POST"),
    2,
    "one search, one create",
  );
});

const hubSpotRows: {
  name: string;
  fault: HttpFaultRule;
  check: (e: unknown) => boolean;
}[] = [
  {
    name: "429 TEN_SECONDLY_ROLLING is a RateLimitError waiting about 10 s",
    fault: { fail: "rate-limit" },
    check: (e) => e instanceof RateLimitError && e.retryAfterMs === 10_000,
  },
  {
    name: "429 DAILY is a service-wide QuotaExceededError",
    fault: { fail: "quota" },
    check: (e) => e instanceof QuotaExceededError && isServiceWide(e),
  },
  {
    name: "400 is InvalidRequestError",
    fault: { fail: "invalid-request" },
    check: (e) => e instanceof InvalidRequestError,
  },
  {
    name: "401 is AuthenticationError",
    fault: { fail: "auth" },
    check: (e) => e instanceof AuthenticationError,
  },
  {
    name: "403 is AuthenticationError",
    fault: {
      status: 403,
      body: {
        status: "error",
        message: "scope missing",
        category: "MISSING_SCOPES",
      },
    },
    check: (e) => e instanceof AuthenticationError,
  },
  {
    name: "404 is NotFoundError",
    fault: { fail: "not-found" },
    check: (e) => e instanceof NotFoundError,
  },
  ...[500, 502, 503, 504].map((status) => ({
    name: `${status} is transient`,
    fault: {
      status,
      body: { status: "error", message: "down", category: "INTERNAL" },
    },
    check: (e: unknown) => e instanceof ServiceUnavailableError,
  })),
];

for (const row of hubSpotRows) {
  Deno.test(`HubSpot table: ${row.name}`, async () => {
    await using server = startFakeHubSpot({
      apiKey: token,
      faults: [row.fault],
    });
    const crm = new HubSpotCrm({ baseUrl: server.url, token }, deps);
    const error = await crm.recordOutcome(outcome, { idempotencyKey: "k" })
      .catch((e) => e);
    assert.ok(row.check(error), `got ${error?.name}: ${error?.message}`);
    assert.doesNotMatch(String(error.message), /canary/);
  });
}
