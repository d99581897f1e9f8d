import assert from "node:assert/strict";
import { defaultConfig } from "../../config/defaults.ts";
import { parseConfig, readConfigFile, servicePolicies } from "../../src/config/mod.ts";
import { ConfigError } from "../../src/errors.ts";

function problemsOf(override: unknown): readonly string[] {
  try {
    parseConfig(override);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("with no override the defaults are the config", () => {
  const config = parseConfig();
  assert.deepEqual(config.retry, defaultConfig.retry);
  assert.deepEqual(config.breaker, defaultConfig.breaker);
});

Deno.test("an override merges over the defaults key by key", () => {
  const config = parseConfig({
    retry: { maxRetries: 5 },
    breaker: { mode: "failure-rate" },
  });
  assert.equal(config.retry.maxRetries, 5);
  assert.equal(config.retry.initialDelayMs, 5_000);
  assert.equal(config.breaker.mode, "failure-rate");
});

Deno.test("every problem is listed by path and value", () => {
  const problems = problemsOf({
    retry: { maxRetries: -1, jitter: "random" },
    breaker: { failureThreshold: "three" },
    health: { intervalMs: 0 },
  });
  assert.deepEqual(problems, [
    "retry.maxRetries: must be >= 0, got -1",
    'retry.jitter: must be one of additive, full, equal, decorrelated, none, got "random"',
    'breaker.failureThreshold: must be a number, got "three"',
    "health.intervalMs: must be > 0, got 0",
  ]);
});

Deno.test("an unknown key is named so a typo does not pass silently", () => {
  assert.deepEqual(problemsOf({ retry: { maxRetry: 3 } }), [
    "retry.maxRetry: unknown key; remove it or check its spelling",
  ]);
});

Deno.test("cross-field rules name the field to fix", () => {
  assert.deepEqual(
    problemsOf({ retry: { initialDelayMs: 10_000, maxDelayMs: 1_000 } }),
    [
      "retry.maxDelayMs: maxDelayMs must be >= initialDelayMs, got 1000",
    ],
  );
});

Deno.test("per-service overrides merge over the global sections and are validated", () => {
  const config = parseConfig({
    services: {
      tts: { retry: { maxRetries: 1 }, breaker: { failureThreshold: 5 } },
    },
  });
  const policies = servicePolicies(config);
  assert.equal(policies.tts.retry.maxRetries, 1);
  assert.equal(policies.tts.retry.initialDelayMs, 5_000);
  assert.equal(policies.tts.breaker.failureThreshold, 5);
  assert.equal(policies.llm.retry.maxRetries, 3);
  assert.deepEqual(
    problemsOf({ services: { crm: { retry: { maxRetries: 99 } } } }),
    [
      "services.crm.retry.maxRetries: must be <= 20, got 99",
    ],
  );
});

Deno.test("every policy is resolved once: the Sheets log's and the alerts' sections are whole, each channel has its kind's defaults and a deadline", () => {
  const config = parseConfig({
    retry: { maxRetries: 5 },
    alerts: {
      timeoutMs: 4_000,
      channels: {
        ops: { kind: "telegram", chatId: -100123 },
        mail: {
          kind: "resend",
          from: "agent@example.com",
          to: ["ops@example.com"],
          timeoutMs: 900,
        },
        hook: { kind: "webhook", url: "https://hooks.example.com/a" },
      },
    },
  });
  assert.deepEqual(config.sheets.retry, {
    ...defaultConfig.retry,
    ...defaultConfig.sheets.retry,
    maxRetries: 4,
  });
  assert.deepEqual(config.sheets.breaker, {
    ...defaultConfig.breaker,
    ...defaultConfig.sheets.breaker,
  });
  assert.deepEqual(config.alerts.retry, { ...defaultConfig.retry, maxRetries: 2 });
  assert.deepEqual(config.services.crm.retry, { ...defaultConfig.retry, maxRetries: 5 });
  assert.deepEqual(config.alerts.channels.ops, {
    kind: "telegram",
    chatId: "-100123",
    baseUrl: "https://api.telegram.org",
    tokenEnv: "TELEGRAM_BOT_TOKEN",
    timeoutMs: 4_000,
  });
  assert.deepEqual(
    [config.alerts.channels.mail, config.alerts.channels.hook].map((channel) => [
      channel.kind,
      channel.timeoutMs,
      "apiKeyEnv" in channel ? channel.apiKeyEnv : channel.kind === "webhook" && channel.secretEnv,
    ]),
    [["resend", 900, "RESEND_API_KEY"], ["webhook", 4_000, "ALERT_WEBHOOK_SECRET"]],
  );
  // A resolved config parses to itself: commands that layer overrides over it lose nothing.
  assert.deepEqual(parseConfig(config), config);
});

Deno.test("an invalid merged section names the section's own path", () => {
  assert.deepEqual(problemsOf({ sheets: { retry: { maxRetries: -1 } } }), [
    "sheets.retry.maxRetries: must be >= 0, got -1",
  ]);
  assert.deepEqual(problemsOf({ alerts: { retry: { jitter: "some" } } }), [
    'alerts.retry.jitter: must be one of additive, full, equal, decorrelated, none, got "some"',
  ]);
  assert.deepEqual(
    problemsOf({ alerts: { channels: { ops: { kind: "telegram", chatId: "1", timeoutMs: 0 } } } }),
    ["alerts.channels.ops.timeoutMs: must be > 0, got 0"],
  );
});

Deno.test("a config that is not an object is rejected", () => {
  assert.deepEqual(problemsOf([1, 2]), [
    "config: must be a JSON object, got [1,2]",
  ]);
});

Deno.test("a missing or malformed config file names the file", async () => {
  const missing = () => Promise.reject(new Deno.errors.NotFound("nope"));
  await assert.rejects(
    readConfigFile("x.json", missing),
    /--config x\.json: file not found/,
  );
  await assert.rejects(
    readConfigFile("y.json", () => Promise.resolve("{ nope")),
    /--config y\.json: not valid JSON/,
  );
  assert.deepEqual(
    await readConfigFile("z.json", () => Promise.resolve('{"retry":{}}')),
    {
      retry: {},
    },
  );
});

Deno.test("a duration a timer cannot hold is refused, naming the field and the bound", () => {
  for (
    const [override, path] of [
      [{ health: { intervalMs: 3e9 } }, "health.intervalMs"],
      [{ services: { llm: { timeoutMs: 3e9 } } }, "services.llm.timeoutMs"],
      [{ processor: { recoveryWaitMs: 3e9 } }, "processor.recoveryWaitMs"],
      [{ retry: { maxDelayMs: 3e9 } }, "retry.maxDelayMs"],
    ] as const
  ) {
    assert.throws(
      () => parseConfig(override),
      (error: Error) =>
        new RegExp(
          `${path.replaceAll(".", "\\.")}: must be <= 2147483647 \\(about 24\\.8 days`,
        )
          .test(error.message),
      path,
    );
  }
});

Deno.test("a config file that holds no object, or a number JSON cannot hold, is an error quoting it", async () => {
  for (
    const [text, shown] of [["null", "null"], ["[1,2]", "[1,2]"], [
      '"x"',
      '"x"',
    ], ["42", "42"]]
  ) {
    await assert.rejects(
      readConfigFile("ops.json", () => Promise.resolve(text)),
      (error: Error) =>
        error.message.includes(
          `--config ops.json: must hold a JSON object of settings`,
        ) &&
        error.message.includes(`got ${shown}`),
      text,
    );
  }
  const parsed = await readConfigFile(
    "ops.json",
    () => Promise.resolve('{"retry": {"maxDelayMs": 1e400}}'),
  );
  assert.throws(
    () => parseConfig(parsed),
    /retry\.maxDelayMs: must be a number, got 1e400/,
  );
});

Deno.test("telephony and calling-hours settings name the field and the fix", () => {
  const problems = problemsOf({
    services: { telephony: { kind: "twilio", publicBaseUrl: "ngrok.example" } },
    campaign: { callWindow: { start: "9:00", end: "", timezone: "Mars/Olympus" } },
  });
  const has = (pattern: RegExp) =>
    assert.ok(problems.some((p) => pattern.test(p)), String(pattern));
  has(/^services\.telephony\.twilio\.accountSid: must be your Twilio Account SID/);
  has(/^services\.telephony\.twilio\.from: must be the caller number in E\.164/);
  has(/^services\.telephony\.publicBaseUrl: must be the status server's public http\(s\):\/\/ URL/);
  has(/^campaign\.callWindow\.start: must be a time like 09:00/);
  has(/^campaign\.callWindow\.timezone: must be an IANA time zone/);
  assert.deepEqual(
    problemsOf({ campaign: { callWindow: { start: "09:00", end: "" } } }),
    [
      'campaign.callWindow.end: start and end must both be set (e.g. 09:00 and 20:00) or both be empty, got ""',
    ],
  );
});

Deno.test("a fallback link takes its role's settings it does not set, and is a service of its own", () => {
  const config = parseConfig({
    services: {
      llm: {
        kind: "openai",
        timeoutMs: 12_000,
        retry: { maxRetries: 1 },
        anthropic: { apiKeyEnv: "TEAM_CLAUDE_KEY" },
        mock: { faults: [{ fail: "unavailable" }] },
        fallbacks: [{ name: "claude", kind: "anthropic", anthropic: { model: "claude-x" } }],
      },
      tts: {
        fallbacks: [{ name: "openai-speech", kind: "openai", breaker: { failureThreshold: 2 } }],
      },
    },
  });
  const [claude] = config.services.llm.fallbacks;
  assert.equal(claude.name, "claude");
  assert.equal(claude.kind, "anthropic");
  assert.equal(claude.timeoutMs, 12_000, "the role's deadline");
  assert.equal(claude.anthropic.apiKeyEnv, "TEAM_CLAUDE_KEY", "the role's kind section");
  assert.equal(claude.anthropic.model, "claude-x", "its own setting wins");
  assert.deepEqual(claude.mock.faults, [], "a link has its own fault script, not the role's");
  assert.equal(claude.retry.maxRetries, 1, "the role's retry override, resolved");
  assert.equal(claude.retry.initialDelayMs, 5_000);
  const policies = servicePolicies(config);
  assert.deepEqual(Object.keys(policies), [
    "llm",
    "tts",
    "telephony",
    "crm",
    "claude",
    "openai-speech",
  ]);
  assert.equal(policies["openai-speech"].breaker.failureThreshold, 2);
  assert.equal(policies.tts.breaker.failureThreshold, 3, "a link's override is its own");
  assert.equal(policies.claude.timeoutMs, 12_000);
});

Deno.test("a fallback link without a kind, with a taken name or a bad setting is named by its path", () => {
  assert.deepEqual(
    problemsOf({
      services: {
        llm: { fallbacks: [{ name: "claude" }, { name: "tts", kind: "anthropic" }] },
        tts: {
          fallbacks: [
            { name: "claude", kind: "openai" },
            { name: "Bad Name", kind: "openai", openai: { responseFormat: "ulaw" } },
          ],
        },
      },
    }),
    [
      "services.llm.fallbacks.0.kind: must be mock, openai or anthropic, got nothing",
      'services.llm.fallbacks.1.name: must not be one of llm, tts, telephony, crm, calling-hours, redial, same-phone, got "tts"',
      'services.tts.fallbacks.1.openai.responseFormat: must be mp3, opus, aac, flac, wav or pcm, got "ulaw"',
      'services.tts.fallbacks.1.name: must be a short name like claude or openai-speech (lower-case letters, digits, dashes), got "Bad Name"',
    ],
  );
  assert.deepEqual(
    problemsOf({
      services: {
        llm: { fallbacks: [{ name: "claude", kind: "anthropic" }] },
        tts: { fallbacks: [{ name: "claude", kind: "openai" }] },
      },
    }),
    ['services.tts.fallbacks.0.name: must be unique: claude names another fallback already, got "claude"'],
  );
});
