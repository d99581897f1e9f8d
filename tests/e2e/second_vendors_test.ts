/**
 * The second vendors as a user runs them: `run` with Anthropic writing the scripts and OpenAI's
 * speech endpoint speaking them, against fakes over sockets, counted at the fakes.
 */
import assert from "node:assert/strict";
import {
  startFakeAnthropic,
  startFakeOpenAi,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const contacts = 30;
const keys = { llm: "sk-ant-e2e-canary", tts: "sk-speech-e2e-canary", crm: "crm-e2e-canary" };

Deno.test("run with kind anthropic and kind openai speech: every contact once, retries honoured, no key logged", async () => {
  // Anthropic overloaded for two requests; OpenAI speech rate-limited for three.
  await using llm = startFakeAnthropic({
    apiKey: keys.llm,
    faults: [{ fail: "unavailable", calls: 2 }],
  });
  await using tts = startFakeOpenAi({
    apiKey: keys.tts,
    service: "tts",
    faults: [{ fail: "rate-limit", retryAfterMs: 20, calls: 3 }],
  });
  await using crm = startFakeWebhookCrm({ apiKey: keys.crm });
  await using ws = await runWorkspace({
    prefix: "second-vendors-",
    rows: contactRows(contacts),
    config: {
      processor: { concurrency: 4 },
      retry: { initialDelayMs: 20, maxDelayMs: 100, jitterMs: 10 },
      breaker: { failureThreshold: 10 },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      services: {
        llm: { kind: "anthropic", anthropic: { baseUrl: llm.url, apiKeyEnv: "T_LLM" } },
        tts: {
          kind: "openai",
          openai: { baseUrl: tts.baseUrl, apiKeyEnv: "T_TTS", voice: "coral", audioDir: "audio" },
        },
        crm: {
          kind: "webhook",
          webhook: {
            url: `${crm.url}/outcomes`,
            healthUrl: `${crm.url}/health`,
            tokenEnv: "T_CRM",
          },
        },
      },
    },
  });
  const run = await finished(spawnMain(
    ws.args(),
    ws.at({ env: { T_LLM: keys.llm, T_TTS: keys.tts, T_CRM: keys.crm } }),
  ));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout + run.stderr, new RegExp(`${contacts} completed, 0 failed`));

  const results = (server: { requests: { path: string; result?: string }[] }, path: string) =>
    server.requests.filter((r) => r.path === path).map((r) => r.result);
  const scripts = results(llm, "/v1/messages");
  assert.equal(scripts.filter((r) => r === "ok").length, contacts, "one paid script per contact");
  assert.equal(scripts.length, contacts + 2, "the two overloaded answers were retried");
  const speech = results(tts, "/v1/audio/speech");
  assert.equal(speech.filter((r) => r === "ok").length, contacts, "one paid synthesis per contact");
  assert.equal(speech.length, contacts + 3, "the three rate-limited answers were retried");
  assert.ok(
    llm.requests.filter((r) => r.path === "/v1/messages")
      .every((r) => r.headers["x-api-key"] === keys.llm && r.headers["anthropic-version"]),
  );
  assert.equal(crm.outcomes.size, contacts, "one outcome per contact at the CRM");

  const audio = [...Deno.readDirSync(`${ws.dir}/audio`)].map((entry) => entry.name);
  assert.equal(audio.length, contacts, "each contact's speech is its own file");
  assert.ok(audio.every((name) => /^[0-9a-f]{64}\.mp3$/.test(name)), audio.join(" "));

  const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
  for (const key of Object.values(keys)) {
    assert.ok(!log.includes(key) && !run.stderr.includes(key), `${key} leaked`);
  }
});
