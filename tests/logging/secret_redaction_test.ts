import assert from "node:assert/strict";
import { logDeps } from "../_support/log_deps.ts";
import { configure, getLogger, reset } from "@logtape/logtape";
import { createAgent } from "../../src/agent/mod.ts";
import { MemoryAlertChannel } from "../../src/alerts/mod.ts";
import { seededRandom, systemClock } from "../../src/clock/mod.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { startFakeOpenAi } from "../../src/fake_providers/mod.ts";
import { logAgentEvent } from "../../src/agent/mod.ts";
import { buildLogConfig } from "../../src/logging/mod.ts";
import { redactText } from "../../src/redact/mod.ts";
import { InMemoryCampaignStore } from "../../src/ledger/mod.ts";
import { createServices } from "../../src/services/mod.ts";
import { contacts } from "../_support/agent.ts";

const canary = "sk-canary-7d1e9f3a5b";

Deno.test("redactText removes Telegram tokens, bearer tokens and known secrets", () => {
  const text =
    `GET https://api.telegram.org/bot123456:AAE-x_y/sendMessage Authorization: Bearer abc.def-123 key=${canary}`;
  const redacted = redactText(text, [canary]);
  assert.equal(
    redacted,
    "GET https://api.telegram.org/bot[REDACTED]/sendMessage Authorization: Bearer [REDACTED] key=[REDACTED]",
  );
});

Deno.test("a canary key appears in no log line and no alert when the provider echoes it", async () => {
  const dir = await Deno.makeTempDir();
  const logFile = `${dir}/agent.jsonl`;
  await configure(
    buildLogConfig({ filePath: logFile, level: "debug", console: false }, logDeps),
  );
  try {
    await using server = startFakeOpenAi({
      apiKey: canary,
      faults: [
        {
          status: 401,
          body: {
            error: {
              message: `Incorrect API key provided: ${canary}.`,
              type: "invalid_request_error",
              code: "invalid_api_key",
            },
          },
        },
      ],
    });
    const config = parseConfig({
      services: {
        llm: { kind: "openai", openai: { baseUrl: server.baseUrl } },
      },
      retry: { initialDelayMs: 1, maxDelayMs: 10, jitterMs: 0 },
      processor: { recoveryWaitMs: 0 },
    });
    const memory = new MemoryAlertChannel();
    await using store = new InMemoryCampaignStore();
    await store.ensureCampaign(config.campaign.name, 0);
    await store.addContacts(config.campaign.name, contacts(2), 0);
    await using agent = createAgent(config, {
      store,
      clock: systemClock,
      random: seededRandom(1),
      services: createServices(config, {
        clock: systemClock,
        fetch,
        env: (name) => (name === "OPENAI_API_KEY" ? canary : undefined),
        writeFile: () => Promise.resolve(),
      }),
      alertChannels: [memory],
    });
    agent.events.on(logAgentEvent);
    await agent.runner.run();
    assert.equal(
      (await store.get(config.campaign.name, "c1"))?.state,
      "deferred",
    );
    await agent.alerts.flush();
    assert.ok(memory.sent.length >= 1);
    for (const alert of memory.sent) {
      assert.doesNotMatch(JSON.stringify(alert), /canary/);
    }
  } finally {
    await reset();
  }
  const log = await Deno.readTextFile(logFile);
  await Deno.remove(dir, { recursive: true });
  assert.match(log, /AuthenticationError/, "the failure was logged");
  assert.doesNotMatch(log, /canary/);
});

Deno.test("a Telegram token in a logged URL or message is redacted, and the file rotates by size", async () => {
  const dir = await Deno.makeTempDir();
  const logFile = `${dir}/agent.jsonl`;
  await configure(
    buildLogConfig({
      filePath: logFile,
      level: "debug",
      console: false,
      maxBytes: 2_000,
      maxFiles: 3,
    }, logDeps),
  );
  try {
    const logger = getLogger(["ai-call-agent", "test"]);
    for (let i = 0; i < 40; i++) {
      logger.warn(
        "POST https://api.telegram.org/bot123456:AAE-canaryToken_x/sendMessage failed: {detail}",
        {
          detail: "Authorization: Bearer canary-bearer.value",
          url: "https://api.telegram.org/bot123456:AAE-canaryToken_x/getMe",
          apiKey: canary,
        },
      );
    }
  } finally {
    await reset();
  }
  const files = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
  assert.ok(files.length > 1 && files.length <= 4, `rotated files: ${files}`);
  const texts = await Promise.all(
    files.map((name) => Deno.readTextFile(`${dir}/${name}`)),
  );
  for (const text of texts) assert.doesNotMatch(text, /canary/);
  assert.ok(texts.some((text) => text.includes("bot[REDACTED]")));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a secret one service's error echoes from another is kept out of log lines and alerts", async () => {
  const ttsKey = "el-canary-other-service-42";
  const dir = await Deno.makeTempDir();
  const logFile = `${dir}/agent.jsonl`;
  const knownSecrets = new Set<string>();
  await configure(
    buildLogConfig({
      filePath: logFile,
      level: "debug",
      console: false,
      knownSecrets,
    }, logDeps),
  );
  try {
    await using server = startFakeOpenAi({
      apiKey: "llm-key-1234",
      faults: [{
        status: 400,
        body: {
          error: {
            message: `proxy forwarded xi-api-key ${ttsKey}`,
            code: "bad",
          },
        },
      }],
    });
    const config = parseConfig({
      services: {
        llm: { kind: "openai", openai: { baseUrl: server.baseUrl } },
        tts: { kind: "elevenlabs" },
      },
      processor: { recoveryWaitMs: 0 },
    });
    const env: Record<string, string> = {
      OPENAI_API_KEY: "llm-key-1234",
      ELEVENLABS_API_KEY: ttsKey,
    };
    const memory = new MemoryAlertChannel();
    await using store = new InMemoryCampaignStore();
    await store.ensureCampaign(config.campaign.name, 0);
    await store.addContacts(config.campaign.name, contacts(1), 0);
    await using agent = createAgent(config, {
      store,
      clock: systemClock,
      random: seededRandom(1),
      services: createServices(config, {
        clock: systemClock,
        fetch,
        env: (name) => env[name],
        writeFile: () => Promise.resolve(),
        knownSecrets,
      }),
      alertChannels: [memory],
      knownSecrets,
    });
    agent.events.on(logAgentEvent);
    getLogger(["ai-call-agent", "test"]).error(
      "a line that quotes it raw: {x}",
      { x: ttsKey },
    );
    await agent.runner.run();
    await agent.alerts.flush();
    assert.ok(memory.sent.length >= 1);
    for (const alert of memory.sent) {
      assert.doesNotMatch(JSON.stringify(alert), /el-canary/);
    }
  } finally {
    await reset();
  }
  const log = await Deno.readTextFile(logFile);
  await Deno.remove(dir, { recursive: true });
  assert.match(log, /InvalidRequestError/, "the failure was logged");
  assert.doesNotMatch(log, /el-canary/);
});
