/**
 * Every paid request buys something the person called hears, counted at independent fakes over
 * sockets, as a user runs the campaign: no voice is paid for a call that cannot play it; no
 * voice for a script the checks reject; and no contact's attempts at a step pass
 * `processor.maxAttemptsPerStep`, retries included.
 */
import assert from "node:assert/strict";
import {
  type FakeScript,
  startFakeAnthropic,
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeTwilio,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { fakeServicesConfig, twilioAccount } from "../_support/fake_services_config.ts";
import { freePort } from "../_support/free_port.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const keys = {
  T_LLM: "llm-key",
  T_TTS: "tts-key",
  T_TEL: twilioAccount.authToken,
  T_CRM: "crm-key",
};

/** Voice requests ElevenLabs billed, per person the text names. */
function voicesPerPerson(tts: { requests: { path: string; body?: unknown; result?: string }[] }) {
  const voiced = new Map<string, number>();
  for (const request of tts.requests) {
    if (!request.path.startsWith("/v1/text-to-speech") || request.result !== "ok") continue;
    const text = String((request.body as { text?: string })?.text ?? "");
    const person = /Person \d+/.exec(text)?.[0] ?? text;
    voiced.set(person, (voiced.get(person) ?? 0) + 1);
  }
  return voiced;
}

/** Script requests a fake LLM answered, per person the prompt names. */
function scriptsPerPerson(llm: { requests: { path: string; body?: unknown }[] }, path: string) {
  const asked = new Map<string, number>();
  for (const request of llm.requests) {
    if (request.path !== path) continue;
    const prompt = JSON.stringify(request.body);
    const person = /Person called: (Person \d+)/.exec(prompt)?.[1] ?? "?";
    asked.set(person, (asked.get(person) ?? 0) + 1);
  }
  return asked;
}

Deno.test("Twilio without a public URL: no voice is paid for, every call speaks with <Say>; with one, one voice per contact, played", async () => {
  const contacts = 6;
  await using llm = startFakeOpenAi({ apiKey: keys.T_LLM });
  await using tts = startFakeElevenLabs({ apiKey: keys.T_TTS });
  await using twilio = startFakeTwilio({ ...twilioAccount, ringMs: 20, talkMs: 20 });
  await using crm = startFakeWebhookCrm({ apiKey: keys.T_CRM });
  {
    await using ws = await runWorkspace({
      prefix: "say-",
      rows: contactRows(contacts),
      config: {
        campaign: { name: "say" },
        health: { intervalMs: 60_000, timeoutMs: 1_000 },
        services: fakeServicesConfig({ llm, tts, crm, telephony: twilio }),
      },
    });
    const done = await finished(spawnMain(ws.args(), ws.at({ env: keys })));
    assert.equal(done.code, 0, done.stderr);
    assert.match(
      done.stderr,
      /calls speak the script with <Say> \(no voice is synthesized or paid for: Twilio fetches the audio it plays from services\.telephony\.publicBaseUrl, which is empty/,
    );
    assert.equal(tts.count("/v1/text-to-speech"), 0, "no voice request reached ElevenLabs");
    assert.equal(tts.count("/v1/"), 0, "not even a probe: a voice no call can play is not watched");
    assert.equal(twilio.calls.length, contacts);
    for (const call of twilio.calls) assert.match(call.twiml ?? "", /^<Response><Say>Hello Person/);
    for (const outcome of crm.outcomes.values()) {
      assert.equal((outcome as { voice: string }).voice, "say");
    }
  }
  twilio.calls.length = 0;
  {
    const port = freePort();
    await using ws = await runWorkspace({
      prefix: "play-",
      rows: contactRows(contacts),
      config: {
        campaign: { name: "play" },
        server: { port },
        health: { intervalMs: 60_000, timeoutMs: 1_000 },
        services: fakeServicesConfig({ llm, tts, crm, telephony: twilio }, {
          publicBaseUrl: `http://127.0.0.1:${port}`,
        }),
      },
    });
    const done = await finished(spawnMain(ws.args(), ws.at({ env: keys })));
    assert.equal(done.code, 0, done.stderr);
    const voiced = voicesPerPerson(tts);
    assert.equal(voiced.size, contacts);
    assert.ok([...voiced.values()].every((n) => n === 1), "one voice per contact");
    assert.equal(twilio.calls.length, contacts);
    for (const call of twilio.calls) {
      assert.match(call.twiml ?? "", /^<Response><Play>http:\/\/127\.0\.0\.1:\d+\/audio\//);
      assert.equal(call.played?.status, 200, "Twilio fetched the voice it plays");
    }
  }
});

/** Prices that make each script and voice cost something, to reconcile with the fakes. */
const pricing = {
  llm: {
    "gpt-4o-mini": { inputPerMillion: 150, outputPerMillion: 600 },
    "claude-haiku-4-5": { inputPerMillion: 100, outputPerMillion: 500 },
  },
  tts: { elevenlabs: { perThousandCharacters: 0.3 } },
  telephony: {},
};

/** Person 0 is cut off, 1 gets an empty answer, 2 a refusal, 3 a placeholder; 4 a good one. */
const badFor: Record<string, FakeScript> = {
  "Person 0": { text: "Hello Person 0, this is Alex from", stopReason: "length" },
  "Person 1": { text: null },
  "Person 2": { text: "", refusal: "I'm sorry, I can't help with that." },
  "Person 3": { text: "Hello Person 3, this is [Your Name] from Acme." },
};

Deno.test("bad scripts are asked again once, then the fallback writes them; no voice is paid for a bad one; every script is billed and counted", async () => {
  const contacts = 5;
  await using openai = startFakeOpenAi({ apiKey: keys.T_LLM, writes: (name) => badFor[name] });
  await using claude = startFakeAnthropic({ apiKey: "claude-key" });
  await using tts = startFakeElevenLabs({ apiKey: keys.T_TTS });
  await using crm = startFakeWebhookCrm({ apiKey: keys.T_CRM });
  await using ws = await runWorkspace({
    prefix: "scripts-",
    rows: contactRows(contacts),
    config: {
      campaign: { name: "scripts" },
      pricing,
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      services: fakeServicesConfig({ llm: openai, tts, crm }, {
        llm: {
          fallbacks: [{
            name: "claude",
            kind: "anthropic",
            anthropic: { baseUrl: claude.url, apiKeyEnv: "T_CLAUDE" },
          }],
        },
      }),
    },
  });
  const done = await finished(
    spawnMain(ws.args(), ws.at({ env: { ...keys, T_CLAUDE: "claude-key" } })),
  );
  assert.equal(done.code, 0, done.stderr);

  // Each bad script asked again once, then the fallback; the good one asked once.
  assert.deepEqual(Object.fromEntries(scriptsPerPerson(openai, "/v1/chat/completions")), {
    "Person 0": 2,
    "Person 1": 2,
    "Person 2": 2,
    "Person 3": 2,
    "Person 4": 1,
  });
  assert.deepEqual(Object.fromEntries(scriptsPerPerson(claude, "/v1/messages")), {
    "Person 0": 1,
    "Person 1": 1,
    "Person 2": 1,
    "Person 3": 1,
  });
  // One voice per contact, and only for the script that was called.
  const voiced = voicesPerPerson(tts);
  assert.deepEqual([...voiced.values()], [1, 1, 1, 1, 1]);
  for (const request of tts.requests.filter((r) => r.path.startsWith("/v1/text-to-speech"))) {
    const text = String((request.body as { text: string }).text);
    assert.doesNotMatch(text, /\[Your Name\]|this is Alex from$|can't help/, text);
  }

  const outcome = (id: string) => crm.outcomes.get(`scripts:${id}`) as Record<string, unknown>;
  assert.deepEqual(outcome("c0").scriptRejections, { unfinished: 2 });
  assert.deepEqual(outcome("c1").scriptRejections, { empty: 2 });
  assert.deepEqual(outcome("c2").scriptRejections, { refusal: 2 });
  assert.deepEqual(outcome("c3").scriptRejections, { placeholder: 2 });
  assert.equal(outcome("c3").scriptProvider, "claude");
  assert.equal(outcome("c4").scriptRejections, undefined, "the good one unchanged");
  assert.equal(outcome("c4").scriptProvider, "llm");

  // Every script the fakes billed is counted, the rejected ones too.
  const billed = (4 * 2 + 1) * (50 * 150 + 20 * 600) / 1e6 + 4 * (60 * 100 + 18 * 500) / 1e6 +
    tts.requests.filter((r) => r.path.startsWith("/v1/text-to-speech") && r.result === "ok")
        .reduce((sum, r) => sum + String((r.body as { text: string }).text).length, 0) *
      0.3 /
      1_000;
  const recorded = [...crm.outcomes.values()].reduce(
    (sum: number, o) => sum + ((o as { spend?: { total: number } }).spend?.total ?? 0),
    0,
  );
  assert.ok(Math.abs(recorded - billed) < 0.005, `recorded ${recorded}, billed ${billed}`);

  // The log says why each was rejected, the script itself only as a short excerpt.
  const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
  const rejections = log.trim().split("\n").map((line) => JSON.parse(line))
    .filter((line) => line.properties?.type === "script-rejected");
  assert.equal(rejections.length, 8);
  assert.ok(
    rejections.some((r) => /placeholder: an unfilled placeholder \[Your Name\]/.test(r.message)),
  );
  assert.ok(!log.includes(keys.T_LLM) && !log.includes("claude-key"), "no key in the log");
});

Deno.test("with no fallback, two bad scripts fail the contact as script-rejected, naming the rule; nothing is voiced or dialled for it", async () => {
  await using openai = startFakeOpenAi({ apiKey: keys.T_LLM, writes: (name) => badFor[name] });
  await using tts = startFakeElevenLabs({ apiKey: keys.T_TTS });
  await using crm = startFakeWebhookCrm({ apiKey: keys.T_CRM });
  await using ws = await runWorkspace({
    prefix: "scripts-nofallback-",
    rows: contactRows(5),
    config: {
      campaign: { name: "nofallback" },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      services: fakeServicesConfig({ llm: openai, tts, crm }),
    },
  });
  const done = await finished(spawnMain(ws.args(), ws.at({ env: keys })));
  assert.equal(done.code, 1, "contacts failed: exit 1");
  assert.match(done.stdout + done.stderr, /1 completed, 4 failed/);
  assert.equal(voicesPerPerson(tts).size, 1, "only Person 4's script was voiced");
  assert.deepEqual([...crm.outcomes.keys()], ["nofallback:c4"]);
  for (
    const [person, rule] of [[0, "unfinished"], [1, "empty"], [2, "refusal"], [3, "placeholder"]]
  ) {
    assert.match(
      done.stderr,
      new RegExp(
        `c${person} failed at LLM: script-rejected \\(ScriptRejected: no script passed the checks.*\\(rejected: ${rule} 2\\)`,
      ),
    );
  }
});

Deno.test("a provider failing every request, 200 contacts at 50 workers, a breaker that never opens: no contact's requests pass the cap, counted at the fake", async () => {
  const contacts = 200;
  await using openai = startFakeOpenAi({ apiKey: keys.T_LLM, faults: [{ fail: "unavailable" }] });
  await using tts = startFakeElevenLabs({ apiKey: keys.T_TTS });
  await using crm = startFakeWebhookCrm({ apiKey: keys.T_CRM });
  await using ws = await runWorkspace({
    prefix: "attempt-cap-",
    rows: contactRows(contacts),
    config: {
      campaign: { name: "cap" },
      processor: { concurrency: 50, maxAttemptsPerStep: 12, recoveryWaitMs: 600_000 },
      // Five attempts a call (5 + 5 + 5 would pass 12), quick retries, a breaker that counts
      // failures by rate and never reaches its threshold, and back soon after a give-up.
      retry: { maxRetries: 4, initialDelayMs: 5, maxDelayMs: 20, jitterMs: 5 },
      breaker: {
        mode: "failure-rate",
        failureRateThreshold: 1,
        minimumCalls: 20,
        slidingWindowSize: 20,
        recoveryTimeoutMs: 20,
      },
      retryBudget: { ratio: 0.5 },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      logging: { level: "warning" },
      services: fakeServicesConfig({ llm: openai, tts, crm }, {
        llm: { breaker: { failureThreshold: 1_000_000, mode: "consecutive" } },
      }),
    },
  });
  const done = await finished(spawnMain(ws.args(), ws.at({ env: keys })));
  assert.equal(done.code, 1, done.stderr.slice(-2_000));
  assert.match(done.stdout + done.stderr, new RegExp(`0 completed, ${contacts} failed`));
  const asked = scriptsPerPerson(openai, "/v1/chat/completions");
  assert.equal(asked.size, contacts);
  const over = [...asked.entries()].filter(([, n]) => n > 12);
  assert.deepEqual(over, [], "contacts that received more than 12 requests");
  assert.ok([...asked.values()].every((n) => n === 12), "each used its 12 attempts");
  assert.equal(tts.count("/v1/text-to-speech"), 0);
});
