import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  type Alert,
  ChannelDelivery,
  type Notification,
  ResendEmailChannel,
  SendGridEmailChannel,
  signWebhook,
  splitMessage,
  TelegramChannel,
  WebhookAlertChannel,
} from "../../src/alerts/mod.ts";
import { VirtualClock } from "../../src/clock/mod.ts";
import {
  AuthenticationError,
  InvalidRequestError,
  isServiceWide,
  NotFoundError,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
} from "../../src/errors.ts";
import { InMemoryOutbox } from "../../src/ledger/mod.ts";
import { breakerOptions, retryOptions } from "../_support/fixtures.ts";
import { json, stubFetch } from "../_support/stub_fetch.ts";

const token = "123456789:AAH-canary_TelegramToken";
const alert: Alert = {
  key: "breaker-open:tts",
  severity: "critical",
  summary: "tts circuit breaker opened: 3 consecutive failures <503> & more",
  details: "Calls fail fast.",
  labels: { service: "tts", campaign: "spring" },
  status: "firing",
  at: Date.parse("2026-11-28T12:00:00Z"),
};
const notification: Notification = {
  id: "ntf_abc",
  severity: "critical",
  alerts: [alert],
  at: alert.at,
};
const clock = new VirtualClock({ start: Date.parse("2026-11-28T12:00:00Z") });

Deno.test("Telegram sends escaped HTML with sendMessage to the chat", async () => {
  const fetch = stubFetch(() => json({ ok: true, result: { message_id: 1 } }));
  const telegram = new TelegramChannel(
    {
      baseUrl: "https://api.telegram.org",
      token,
      chatId: "-1001",
    },
    { fetch, clock },
  );
  await telegram.send(notification);
  const [request] = fetch.requests;
  assert.equal(request.url, `https://api.telegram.org/bot${token}/sendMessage`);
  assert.equal(request.method, "POST");
  const body = JSON.parse(request.body);
  assert.equal(body.chat_id, "-1001");
  assert.equal(body.parse_mode, "HTML");
  assert.deepEqual(body.link_preview_options, { is_disabled: true });
  assert.match(
    body.text,
    /^<b>\[CRITICAL\] 1 firing: tts circuit breaker opened: 3 consecutive failures &lt;503&gt; &amp; more/,
  );
  assert.doesNotMatch(body.text, /<503>/);
});

Deno.test("Telegram splits a message over 4096 characters at line breaks", async () => {
  const long: Notification = {
    ...notification,
    alerts: Array.from(
      { length: 60 },
      (_, i) => ({
        ...alert,
        key: `k${i}`,
        summary: `${"x".repeat(100)} ${i}`,
      }),
    ),
  };
  const fetch = stubFetch(() => json({ ok: true, result: {} }));
  await new TelegramChannel({
    baseUrl: "https://api.telegram.org",
    token,
    chatId: "1",
  }, {
    fetch,
    clock,
  }).send(long);
  assert.ok(fetch.requests.length >= 2);
  for (const request of fetch.requests) {
    assert.ok(JSON.parse(request.body).text.length <= 4096);
  }
  assert.deepEqual(
    splitMessage("ab&amp;cd", 6),
    ["ab", "&amp;c", "d"],
    "never inside an entity",
  );
});

Deno.test("Telegram follows migrate_to_chat_id to the supergroup and sends there", async () => {
  const fetch = stubFetch((_, i) =>
    i === 0
      ? json({
        ok: false,
        error_code: 400,
        description: "Bad Request: group chat was upgraded to a supergroup chat",
        parameters: { migrate_to_chat_id: -1009876 },
      }, 400)
      : json({ ok: true, result: {} })
  );
  const telegram = new TelegramChannel({
    baseUrl: "https://api.telegram.org",
    token,
    chatId: "-42",
  }, {
    fetch,
    clock,
  });
  await telegram.send(notification);
  assert.equal(JSON.parse(fetch.requests[1].body).chat_id, "-1009876");
  assert.equal(telegram.chatId, "-1009876");
});

const telegramRows: {
  name: string;
  response: () => Response;
  check: (e: unknown) => boolean;
}[] = [
  {
    name: "429 honours parameters.retry_after",
    response: () =>
      json({
        ok: false,
        error_code: 429,
        description: "Too Many Requests: retry after 7",
        parameters: { retry_after: 7 },
      }, 429),
    check: (e) => e instanceof RateLimitError && e.retryAfterMs === 7_000,
  },
  {
    name: "400 chat not found is permanent",
    response: () =>
      json({
        ok: false,
        error_code: 400,
        description: "Bad Request: chat not found",
      }, 400),
    check: (e) => e instanceof InvalidRequestError && isServiceWide(e),
  },
  {
    name: "401 is permanent",
    response: () => json({ ok: false, error_code: 401, description: "Unauthorized" }, 401),
    check: (e) => e instanceof AuthenticationError,
  },
  {
    name: "403 bot blocked is permanent",
    response: () =>
      json(
        {
          ok: false,
          error_code: 403,
          description: "Forbidden: bot was blocked by the user",
        },
        403,
      ),
    check: (e) => e instanceof AuthenticationError,
  },
  {
    name: "404 is permanent",
    response: () => json({ ok: false, error_code: 404, description: "Not Found" }, 404),
    check: (e) => e instanceof AuthenticationError,
  },
  {
    name: "502 is transient",
    response: () => json({ ok: false, error_code: 502, description: "Bad Gateway" }, 502),
    check: (e) => e instanceof ServiceUnavailableError,
  },
];

for (const row of telegramRows) {
  Deno.test(`Telegram table: ${row.name}, and the token is redacted`, async () => {
    const fetch = stubFetch(row.response);
    const error = await new TelegramChannel(
      {
        baseUrl: "https://api.telegram.org",
        token,
        chatId: "1",
      },
      { fetch, clock },
    ).send(notification).catch((e) => e);
    assert.ok(row.check(error), `${error?.name}: ${error?.message}`);
    assert.doesNotMatch(`${error.message} ${error.stack}`, /AAH-canary/);
  });
}

Deno.test("a network failure to Telegram does not leak the token from the URL", async () => {
  const fetch = stubFetch((request) => {
    throw new TypeError(
      `error sending request for url (${request.url}): connection refused`,
    );
  });
  const error = await new TelegramChannel(
    {
      baseUrl: "https://api.telegram.org",
      token,
      chatId: "1",
    },
    { fetch, clock },
  ).send(notification).catch((e) => e);
  assert.match(error.message, /bot\[REDACTED\]/);
  assert.doesNotMatch(`${error.message} ${error.cause}`, /AAH-canary/);
});

Deno.test("Resend sends the email with the notification id as Idempotency-Key", async () => {
  const fetch = stubFetch(() => json({ id: "email_1" }));
  await new ResendEmailChannel({
    baseUrl: "https://api.resend.com",
    apiKey: "re_canary",
    from: "agent@example.com",
    to: ["ops@example.com"],
  }, { fetch, clock }).send(notification);
  const [request] = fetch.requests;
  assert.equal(request.url, "https://api.resend.com/emails");
  assert.equal(request.headers.authorization, "Bearer re_canary");
  assert.equal(request.headers["idempotency-key"], "ntf_abc");
  const body = JSON.parse(request.body);
  assert.equal(body.from, "agent@example.com");
  assert.deepEqual(body.to, ["ops@example.com"]);
  assert.match(
    body.subject,
    /^\[CRITICAL\] 1 firing: tts circuit breaker opened/,
  );
  assert.match(body.text, /service=tts campaign=spring/);
  assert.match(body.html, /&lt;503&gt;/);
});

const resendRows: {
  name: string;
  response: () => Response;
  check: (e: unknown) => boolean;
}[] = [
  {
    name: "429 rate_limit_exceeded is transient with its retry-after",
    response: () =>
      json(
        { name: "rate_limit_exceeded", message: "Too many", statusCode: 429 },
        429,
        {
          "retry-after": "1",
        },
      ),
    check: (e) => e instanceof RateLimitError && e.retryAfterMs === 1_000,
  },
  ...["daily_quota_exceeded", "monthly_quota_exceeded"].map((name) => ({
    name: `429 ${name} is permanent`,
    response: () => json({ name, message: "quota", statusCode: 429 }, 429),
    check: (e: unknown) => e instanceof QuotaExceededError,
  })),
  ...[400, 422].map((status) => ({
    name: `${status} is permanent`,
    response: () =>
      json(
        { name: "validation_error", message: "bad", statusCode: status },
        status,
      ),
    check: (e: unknown) => e instanceof InvalidRequestError,
  })),
  ...[401, 403].map((status) => ({
    name: `${status} is permanent`,
    response: () =>
      json(
        { name: "invalid_api_key", message: "bad", statusCode: status },
        status,
      ),
    check: (e: unknown) => e instanceof AuthenticationError,
  })),
  {
    name: "500 is transient",
    response: () =>
      json(
        { name: "internal_server_error", message: "oops", statusCode: 500 },
        500,
      ),
    check: (e) => e instanceof ServiceUnavailableError,
  },
];

for (const row of resendRows) {
  Deno.test(`Resend table: ${row.name}`, async () => {
    const error = await new ResendEmailChannel({
      baseUrl: "https://api.resend.com",
      apiKey: "re_canary",
      from: "a@example.com",
      to: ["b@example.com"],
    }, { fetch: stubFetch(row.response), clock }).send(notification).catch((
      e,
    ) => e);
    assert.ok(row.check(error), `${error?.name}: ${error?.message}`);
    assert.doesNotMatch(error.message, /re_canary/);
  });
}

Deno.test("SendGrid sends v3 mail/send and accepts 202", async () => {
  const fetch = stubFetch((_, i) =>
    i === 0
      ? new Response(null, { status: 202 })
      : json({ errors: [{ message: "denied", field: null }] }, 403)
  );
  const channel = new SendGridEmailChannel({
    baseUrl: "https://api.sendgrid.com",
    apiKey: "SG.canary",
    from: "agent@example.com",
    to: ["ops@example.com"],
  }, { fetch, clock });
  await channel.send(notification);
  const body = JSON.parse(fetch.requests[0].body);
  assert.equal(fetch.requests[0].url, "https://api.sendgrid.com/v3/mail/send");
  assert.deepEqual(body.personalizations, [{
    to: [{ email: "ops@example.com" }],
  }]);
  assert.deepEqual(body.from, { email: "agent@example.com" });
  await assert.rejects(channel.send(notification), AuthenticationError);
});

Deno.test("the webhook channel signs timestamp and body with HMAC-SHA256", async () => {
  const fetch = stubFetch(() => new Response(null, { status: 204 }));
  await new WebhookAlertChannel({
    url: "https://hooks.example.com/alerts",
    secret: "whsec_canary",
  }, {
    fetch,
    clock,
  }).send(notification);
  const [request] = fetch.requests;
  const timestamp = request.headers["x-timestamp"];
  assert.equal(timestamp, String(Math.floor(clock.now() / 1000)));
  const expected = `sha256=${
    createHmac("sha256", "whsec_canary").update(`${timestamp}.${request.body}`)
      .digest("hex")
  }`;
  assert.equal(request.headers["x-signature"], expected);
  assert.equal(signWebhook("whsec_canary", timestamp, request.body), expected);
  assert.equal(request.headers["idempotency-key"], "ntf_abc");
  assert.equal(JSON.parse(request.body).alerts[0].key, "breaker-open:tts");
  assert.doesNotMatch(request.body, /whsec_canary/);
});

Deno.test("webhook channel errors follow the webhook table", async () => {
  for (
    const [status, kind] of [[503, ServiceUnavailableError], [
      429,
      RateLimitError,
    ], [
      401,
      AuthenticationError,
    ], [404, NotFoundError]] as const
  ) {
    const error = await new WebhookAlertChannel({
      url: "https://hooks.example.com/a",
      secret: "s",
    }, {
      fetch: stubFetch(() => json({}, status)),
      clock,
    }).send(notification).catch((e) => e);
    assert.ok(error instanceof kind, `${status}: ${error?.name}`);
  }
});

Deno.test("a channel's delivery failure is reported in the provider's own words: Telegram's chat not found, Resend's sender domain", async () => {
  const cases = [
    {
      channel: new TelegramChannel({
        baseUrl: "https://api.telegram.org",
        token,
        chatId: "-100999",
      }, {
        fetch: stubFetch(() =>
          json({ ok: false, error_code: 400, description: "Bad Request: chat not found" }, 400)
        ),
        clock,
      }),
      words: /InvalidRequestError .*Bad Request: chat not found/,
    },
    {
      channel: new ResendEmailChannel({
        baseUrl: "https://api.resend.com",
        apiKey: "re_canary",
        from: "alerts@unverified.example",
        to: ["ops@example.com"],
      }, {
        fetch: stubFetch(() =>
          json({
            name: "validation_error",
            message:
              "The unverified.example domain is not verified. Please, add and verify your domain on https://resend.com/domains",
            statusCode: 403,
          }, 403)
        ),
        clock,
      }),
      words: /AuthenticationError .*unverified\.example domain is not verified/,
    },
  ];
  for (const { channel, words } of cases) {
    using delivery = new ChannelDelivery(channel, {
      retry: retryOptions({ maxRetries: 0 }),
      breaker: breakerOptions(),
      perMinute: 60,
      stalledAfterMs: 20_000,
      timeoutMs: 10_000,
    }, { clock, random: () => 0, outbox: new InMemoryOutbox() });
    const result = await delivery.deliver(notification);
    assert.equal(result.outcome, "outboxed");
    assert.match(`${result.errorClass} ${result.error}`, words);
    assert.doesNotMatch(String(result.error), /AAH-canary|re_canary/);
  }
});
