/**
 * Fallback chains as a user runs them: `run` against fake providers over sockets, the primary
 * made to fail partway, counted at the fakes (which provider served which contact, in which
 * order), never by wall-clock bounds.
 */
import assert from "node:assert/strict";
import {
  type FakeServer,
  startFakeAnthropic,
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const concurrency = 4;
const keys = { llm: "llm-key", claude: "claude-key", tts: "tts-key", speech: "speech-key" };

/** Each provider takes a moment to answer, so the last third of a run outlasts the
 * primary's recovery (a recovery time, then a healthy probe). */
const answersIn = (latencyMs: number) => ({ faults: [{ latencyMs }] });

/** A setting that keeps a real-socket run short: quick retries, recovery and probes. */
const quick = {
  processor: { concurrency },
  retry: { maxRetries: 1, initialDelayMs: 20, maxDelayMs: 50, jitterMs: 5 },
  breaker: { failureThreshold: 3, recoveryTimeoutMs: 100 },
  health: { intervalMs: 100, timeoutMs: 1_000 },
};

/** The successful requests to `path`, with the person each was for (the script names them). */
function served(fake: FakeServer, path: string, field: "text" | "input" | "messages") {
  return fake.requests.filter((r) => r.path === path && r.result === "ok").map((r) => {
    const body = r.body as Record<string, unknown>;
    const text = field === "messages" ? JSON.stringify(body.messages) : String(body[field]);
    return { at: r.at, person: /Person \d+/.exec(text)?.[0] ?? "?" };
  });
}

/** `run`'s folder with an OpenAI script writer, Anthropic as its fallback, and a CRM. */
function scriptChainWorkspace(
  prefix: string,
  contacts: number,
  fakes: { llm: { baseUrl: string }; claude: { url: string }; crm: { url: string } },
) {
  return runWorkspace({
    prefix,
    rows: contactRows(contacts),
    config: {
      ...quick,
      services: {
        llm: {
          kind: "openai",
          openai: { baseUrl: fakes.llm.baseUrl, apiKeyEnv: "T_LLM" },
          fallbacks: [{
            name: "claude",
            kind: "anthropic",
            anthropic: { baseUrl: fakes.claude.url, apiKeyEnv: "T_CLAUDE" },
          }],
        },
        crm: { kind: "webhook", webhook: { url: `${fakes.crm.url}/outcomes`, tokenEnv: "T_CRM" } },
      },
    },
  });
}

Deno.test("the voice's primary down for the middle third of 300 contacts: the fallback serves exactly those it could not, none deferred, and traffic goes back", async () => {
  const contacts = 300;
  await using llm = startFakeOpenAi({ apiKey: keys.llm });
  await using tts = startFakeElevenLabs({ apiKey: keys.tts, ...answersIn(30) });
  await using speech = startFakeOpenAi({ apiKey: keys.speech, service: "tts", ...answersIn(30) });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  await using ws = await runWorkspace({
    prefix: "fallback-voice-",
    rows: contactRows(contacts),
    config: {
      ...quick,
      services: {
        llm: { kind: "openai", openai: { baseUrl: llm.baseUrl, apiKeyEnv: "T_LLM" } },
        tts: {
          kind: "elevenlabs",
          elevenlabs: { baseUrl: tts.url, apiKeyEnv: "T_TTS", audioDir: "" },
          fallbacks: [{
            name: "openai-speech",
            kind: "openai",
            openai: { baseUrl: speech.baseUrl, apiKeyEnv: "T_SPEECH", audioDir: "" },
          }],
        },
        crm: { kind: "webhook", webhook: { url: `${crm.url}/outcomes`, tokenEnv: "T_CRM" } },
      },
    },
  });
  const run = spawnMain(
    ws.args(),
    ws.at({
      env: { T_LLM: keys.llm, T_TTS: keys.tts, T_SPEECH: keys.speech, T_CRM: "crm-key" },
    }),
  );
  const ended = finished(run);
  // The primary goes down after its first 100 requests and comes back once the fallback has
  // served 100 contacts.
  await tts.waitForRequests(100, "/v1/text-to-speech");
  const outage = tts.outage({ fail: "unavailable" });
  await speech.waitForRequests(100, "/v1/audio/speech");
  outage[Symbol.dispose]();
  const liftedAt = tts.requests.at(-1)!.at;
  const done = await ended;
  assert.equal(done.code, 0, done.stderr);
  assert.match(
    done.stdout + done.stderr,
    new RegExp(`${contacts} completed, 0 failed, 0 deferred`),
  );
  const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
  assert.doesNotMatch(log, /"status":"deferred"/, "no contact waited at any moment");

  const onPrimary = served(tts, "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM", "text");
  const onFallback = served(speech, "/v1/audio/speech", "input");
  assert.equal(onPrimary.length + onFallback.length, contacts, "each contact's voice paid once");
  const everyone = new Set([...onPrimary, ...onFallback].map((s) => s.person));
  assert.equal(everyone.size, contacts, "no contact spoken twice, none left out");
  assert.ok(onFallback.length >= 100 - concurrency, `${onFallback.length} on the fallback`);
  // Back to the primary: once its first synthesis after the outage went through, at most the
  // contacts already under way at the fallback (one per worker) are spoken there.
  const backOnPrimary = Math.min(...onPrimary.filter((s) => s.at > liftedAt).map((s) => s.at));
  assert.ok(Number.isFinite(backOnPrimary), "the primary serves again after the outage");
  const lateOnFallback = onFallback.filter((s) => s.at > backOnPrimary).length;
  assert.ok(lateOnFallback <= concurrency, `${lateOnFallback} on the fallback after the return`);
  // The primary's failures cost at most the breaker's threshold plus what was in flight.
  const failedOnPrimary =
    tts.requests.filter((r) => r.path.startsWith("/v1/text-to-speech") && r.result !== "ok").length;
  assert.ok(failedOnPrimary <= 3 + concurrency * 2, `${failedOnPrimary} failed on the primary`);
});

Deno.test("the script's primary down for the middle third, Anthropic as the fallback: every contact written once, none deferred", async () => {
  const contacts = 120;
  await using llm = startFakeOpenAi({ apiKey: keys.llm, ...answersIn(40) });
  await using claude = startFakeAnthropic({ apiKey: keys.claude, ...answersIn(40) });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  await using ws = await scriptChainWorkspace("fallback-script-", contacts, { llm, claude, crm });
  const ended = finished(spawnMain(
    ws.args(),
    ws.at({ env: { T_LLM: keys.llm, T_CLAUDE: keys.claude, T_CRM: "crm-key" } }),
  ));
  await llm.waitForRequests(40, "/v1/chat/completions");
  const outage = llm.outage({ fail: "unavailable" });
  await claude.waitForRequests(40, "/v1/messages");
  outage[Symbol.dispose]();
  const liftedAt = llm.requests.at(-1)!.at;
  const done = await ended;
  assert.equal(done.code, 0, done.stderr);
  assert.match(
    done.stdout + done.stderr,
    new RegExp(`${contacts} completed, 0 failed, 0 deferred`),
  );
  const onPrimary = served(llm, "/v1/chat/completions", "messages");
  const onFallback = served(claude, "/v1/messages", "messages");
  assert.equal(onPrimary.length + onFallback.length, contacts, "each contact's script paid once");
  assert.equal(new Set([...onPrimary, ...onFallback].map((s) => s.person)).size, contacts);
  assert.ok(onFallback.length >= 40 - concurrency, `${onFallback.length} on the fallback`);
  assert.ok(onPrimary.some((s) => s.at > liftedAt), "the primary writes again after the outage");
  assert.equal(crm.outcomes.size, contacts);
  const outcomes = [...crm.outcomes.values()] as { scriptProvider?: string }[];
  assert.equal(
    outcomes.filter((o) => o.scriptProvider === "claude").length,
    onFallback.length,
    "the CRM outcome says which provider wrote each script",
  );
});

Deno.test("a 401 on the script's primary moves every contact to Anthropic, none dropped", async () => {
  const contacts = 12;
  await using llm = startFakeOpenAi({ apiKey: "the-right-key" });
  await using claude = startFakeAnthropic({ apiKey: keys.claude });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  await using ws = await scriptChainWorkspace("fallback-401-", contacts, { llm, claude, crm });
  const done = await finished(spawnMain(
    ws.args(),
    ws.at({ env: { T_LLM: "a-revoked-key", T_CLAUDE: keys.claude, T_CRM: "crm-key" } }),
  ));
  assert.equal(done.code, 0, done.stderr);
  assert.match(
    done.stdout + done.stderr,
    new RegExp(`${contacts} completed, 0 failed, 0 deferred`),
  );
  assert.equal(served(claude, "/v1/messages", "messages").length, contacts);
  const refused = llm.requests.filter((r) => r.path === "/v1/chat/completions").length;
  assert.ok(refused <= concurrency, `${refused} requests reached the primary that answered 401`);
});
