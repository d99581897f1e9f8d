import assert from "node:assert/strict";
import type { AgentEvent } from "../../src/agent/mod.ts";
import { eventsOfType } from "../_support/events_of_type.ts";
import { runMain, tempConfig } from "../_support/run_main.ts";

Deno.test("simulate --json --seed 1 tells the outage story in a checkable timeline", async () => {
  await using config = await tempConfig();
  const { code, stdout, stderr } = await runMain([
    "simulate",
    "--json",
    "--seed",
    "1",
    "--config",
    config.path,
  ], { cwd: config.dir });
  assert.equal(code, 0, stderr);
  const events: AgentEvent[] = stdout.trim().split("\n").map((line) => JSON.parse(line));

  const ttsCalls = eventsOfType(events, "service-call").filter((e) => e.service === "tts");
  const failedCalls = ttsCalls.filter((e) => e.result === "ServiceUnavailableError");
  assert.equal(failedCalls.length, 3);
  const [first, second, third] = failedCalls.map((e) => e.t);
  const callLatency = 300;
  const gap1 = second - first - callLatency;
  const gap2 = third - second - callLatency;
  assert.ok(gap1 >= 5_000 && gap1 < 6_000, `first retry after ${gap1} ms`);
  assert.ok(gap2 >= 10_000 && gap2 < 11_000, `second retry after ${gap2} ms`);

  const transitions = eventsOfType(events, "breaker").filter((e) => e.service === "tts");
  assert.deepEqual(transitions.map((e) => `${e.from}->${e.to}`), [
    "CLOSED->OPEN",
    "OPEN->HALF_OPEN",
    "HALF_OPEN->CLOSED",
  ]);
  const [opened, halfOpen] = transitions;
  assert.equal(
    opened.t,
    third + callLatency,
    "the breaker opens on the third failure",
  );
  assert.ok(
    ttsCalls.every((call) => call.breakerState !== "OPEN"),
    "no ElevenLabs call while the breaker is OPEN",
  );
  assert.ok(!ttsCalls.some((call) => call.t > opened.t && call.t < halfOpen.t));
  assert.ok(
    halfOpen.t - opened.t >= 30_000,
    "HALF_OPEN only after the recovery timeout",
  );

  const deferred = eventsOfType(events, "contact-done").filter((e) => e.status === "deferred");
  assert.ok(
    deferred.length >= 5,
    "contacts were deferred while the breaker was open",
  );
  const summary = eventsOfType(events, "summary")[0];
  assert.deepEqual([
    summary.completed,
    summary.failed,
    summary.deferred,
    summary.total,
  ], [
    10,
    0,
    0,
    10,
  ]);

  const alerts = eventsOfType(events, "alert").filter((e) =>
    e.decision === "delivered" && e.channel === "memory"
  );
  assert.deepEqual(alerts.map((e) => `${e.severity}:${e.status}`), [
    "critical:firing",
    "critical:resolved",
  ]);

  const logLines = (await Deno.readTextFile(config.logFile)).trim().split("\n");
  const records = logLines.map((line) => JSON.parse(line));
  const retryRecord = records.find((r) => r.properties?.type === "retry");
  assert.equal(retryRecord.logger, "ai-call-agent.retry");
  assert.equal(retryRecord.properties.service, "tts");
  assert.equal(typeof retryRecord.properties.delayMs, "number");
  assert.ok(
    records.some((r) => r.logger === "ai-call-agent.breaker" && r.properties.to === "OPEN"),
  );
});

Deno.test("simulate is reproducible with the same seed and differs with another", async () => {
  await using config = await tempConfig();
  const run = async (seed: string) =>
    (await runMain([
      "simulate",
      "--json",
      "--seed",
      seed,
      "--config",
      config.path,
    ], {
      cwd: config.dir,
    })).stdout;
  const [a, b, c] = await Promise.all([run("7"), run("7"), run("8")]);
  assert.equal(a, b);
  assert.notEqual(a, c);
});

Deno.test("simulate prints a readable narrative with simulated timestamps", async () => {
  await using config = await tempConfig();
  const { code, stdout } = await runMain(
    ["simulate", "--config", config.path],
    {
      cwd: config.dir,
    },
  );
  assert.equal(code, 0);
  assert.match(
    stdout,
    /T\+\s+\d+\.\ds {2}⚡ ElevenLabs breaker CLOSED → OPEN: 3 consecutive failures/,
  );
  assert.match(stdout, /↷ c05 deferred: ElevenLabs breaker is open/);
  assert.match(stdout, /breaker stays OPEN/);
  assert.match(
    stdout,
    /■ campaign simulation: 10 completed, 0 failed, 0 deferred of 10/,
  );
});

Deno.test("an invalid config exits 2 and lists every problem", async () => {
  await using config = await tempConfig({
    retry: { maxRetries: -1 },
    breaker: { failureThreshold: 0 },
  });
  const { code, stderr, stdout } = await runMain([
    "simulate",
    "--config",
    config.path,
  ], {
    cwd: config.dir,
  });
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /retry\.maxRetries: must be >= 0, got -1/);
  assert.match(stderr, /breaker\.failureThreshold: must be >= 1, got 0/);
});

Deno.test("when the breaker stays open past the wait, deferred contacts stay deferred and the run exits 0", async () => {
  await using config = await tempConfig({
    processor: { recoveryWaitMs: 10_000 },
  });
  const { code, stdout } = await runMain(
    ["simulate", "--config", config.path],
    {
      cwd: config.dir,
    },
  );
  assert.equal(code, 0, "deferred contacts are a valid end state");
  // Seven wait for ElevenLabs; the busy contact waits for its redial.
  assert.match(stdout, /8 deferred of 10/);
});

Deno.test("simulate --providers http tells the same story through the real clients over sockets", async () => {
  await using config = await tempConfig();
  const { code, stdout, stderr } = await runMain(
    [
      "simulate",
      "--providers",
      "http",
      "--json",
      "--seed",
      "1",
      "--config",
      config.path,
    ],
    { cwd: config.dir },
  );
  assert.equal(code, 0, stderr);
  const events: AgentEvent[] = stdout.trim().split("\n").map((line) => JSON.parse(line));
  const transitions = eventsOfType(events, "breaker").filter((e) => e.service === "tts");
  assert.deepEqual(transitions.map((e) => `${e.from}->${e.to}`), [
    "CLOSED->OPEN",
    "OPEN->HALF_OPEN",
    "HALF_OPEN->CLOSED",
  ]);
  const failed = eventsOfType(events, "service-call").filter((e) =>
    e.service === "tts" && e.result === "unavailable"
  );
  assert.equal(failed.length, 3);
  const gap1 = failed[1].t - failed[0].t;
  const gap2 = failed[2].t - failed[1].t;
  assert.ok(gap1 >= 5_000 && gap1 < 6_000, `first retry after ${gap1} ms`);
  assert.ok(gap2 >= 10_000 && gap2 < 11_000, `second retry after ${gap2} ms`);
  assert.ok(
    eventsOfType(events, "service-call").every((e) => e.breakerState !== "OPEN"),
    "no request reached a provider whose breaker was OPEN",
  );
  const requests = eventsOfType(events, "provider-requests")[0].requests;
  assert.ok(
    requests.llm >= 10 && requests.tts >= 13 && requests.crm >= 10,
    JSON.stringify(requests),
  );
  // Eleven calls through the real Twilio client: ten contacts, one dialled again after busy.
  const calls = eventsOfType(events, "service-call").filter((e) =>
    e.service === "telephony" && e.operation.startsWith("POST ")
  );
  assert.equal(calls.length, 11, JSON.stringify(requests));
  const dialled = eventsOfType(events, "step-done").filter((e) => e.step === "call");
  assert.deepEqual(
    dialled.filter((e) => e.contactId === "c02").map((e) => e.detail),
    ["busy, played the audio, dial 1", "completed after 4 s, played the audio, dial 2"],
  );
  // Twilio fetched each call's voice from the simulation's public side, as it would through a
  // tunnel: every call played the voice that was paid for.
  assert.ok(
    dialled.every((e) => e.detail?.includes("played the audio")),
    JSON.stringify(dialled.map((e) => e.detail)),
  );
  const summary = eventsOfType(events, "summary")[0];
  assert.deepEqual([summary.completed, summary.failed, summary.deferred], [
    10,
    0,
    0,
  ]);
});

Deno.test("simulate --config replays the outage the config describes instead of the seed's", async () => {
  // Every LLM call fails with a bad key: the story is the LLM's, not ElevenLabs'.
  await using config = await tempConfig({
    services: { llm: { mock: { latencyMs: 100, faults: [{ fail: "auth" }] } } },
    processor: { recoveryWaitMs: 5_000 },
  });
  const { code, stdout } = await runMain(
    ["simulate", "--config", config.path],
    {
      cwd: config.dir,
    },
  );
  assert.equal(code, 0, "deferred contacts are a valid end state");
  assert.match(
    stdout,
    /LLM breaker CLOSED → OPEN: service-wide AuthenticationError/,
  );
  assert.match(stdout, /0 completed, 0 failed, 10 deferred/);
  assert.doesNotMatch(stdout, /ElevenLabs breaker/);
});

for (const providers of ["mock", "http"]) {
  Deno.test(`simulate --scenario fallback (${providers}): the fallback voice speaks while ElevenLabs is down, and nothing once ElevenLabs is back`, async () => {
    await using config = await tempConfig();
    const { code, stdout, stderr } = await runMain([
      "simulate",
      "--scenario",
      "fallback",
      "--providers",
      providers,
      "--json",
      "--config",
      config.path,
    ], { cwd: config.dir });
    assert.equal(code, 0, stderr);
    const events: AgentEvent[] = stdout.trim().split("\n").map((line) => JSON.parse(line));
    const summary = eventsOfType(events, "summary")[0];
    assert.deepEqual([summary.completed, summary.failed, summary.deferred], [10, 0, 0]);
    const deferred = eventsOfType(events, "contact-done").filter((e) => e.status === "deferred");
    assert.deepEqual(
      deferred.map((e) => e.reason),
      ["redial"],
      "the outage deferred no contact: only the busy line waits for its redial",
    );
    const spoken = eventsOfType(events, "step-done").filter((e) => e.step === "tts" && !e.reused);
    const byProvider = (provider: string) =>
      spoken.filter((e) => e.provider === provider).map((e) => e.contactId);
    assert.ok(byProvider("backup-voice").length >= 3, JSON.stringify(byProvider("backup-voice")));
    const recovered = eventsOfType(events, "breaker").find((e) =>
      e.service === "tts" && e.to === "HALF_OPEN"
    );
    assert.ok(recovered, "ElevenLabs' breaker let a trial through again");
    const after = spoken.filter((e) => e.t > recovered.t);
    assert.ok(after.every((e) => e.provider === "tts"), "nothing on the fallback once it is back");
    if (providers === "mock") {
      // Over sockets the fakes answer at once and every contact is spoken before ElevenLabs
      // is back; with the mocks' latency the last ones are spoken by it again.
      assert.ok(after.length > 0, "ElevenLabs speaks again");
    }
    assert.ok(
      eventsOfType(events, "service-call").every((e) => e.breakerState !== "OPEN"),
      "no request reached a provider whose breaker was OPEN",
    );
    const alerts = eventsOfType(events, "alert").filter((e) => e.key === "fallback:tts");
    assert.ok(alerts.some((e) => e.status === "firing"), "told when the voice left its primary");
    if (providers === "mock") {
      assert.ok(alerts.some((e) => e.status === "resolved"), "and when it came back");
    }
  });
}

Deno.test("an unknown --scenario is a usage error naming the ones there are", async () => {
  const { code, stderr } = await runMain(["simulate", "--scenario", "flood"]);
  assert.equal(code, 2);
  assert.match(stderr, /--scenario must be seed or fallback: got "flood"/);
});

Deno.test("simulate --html writes the story as one page where the task may write; elsewhere it says where it may", async () => {
  await using config = await tempConfig();
  const { code, stderr } = await runMain([
    "simulate",
    "--html",
    "logs/story.html",
    "--config",
    config.path,
  ], { cwd: config.dir });
  assert.equal(code, 0, stderr);
  assert.match(stderr, /wrote the story to logs\/story\.html/);
  const page = await Deno.readTextFile(`${config.dir}/logs/story.html`);
  assert.equal(page.match(/<g class="contact"/g)?.length, 10, "a lane per contact");
  const tts = page.slice(page.indexOf('data-service="tts"'));
  assert.deepEqual(
    [...tts.slice(0, tts.indexOf("</g>")).matchAll(/data-state="(\w+)"/g)].map((m) => m[1]),
    ["CLOSED", "OPEN", "HALF_OPEN", "CLOSED"],
    "the voice's outage, on the time axis",
  );
  assert.match(page, /class="done" data-status="deferred"/);
  assert.match(page, /class="alert"/);
  assert.match(page, /10 completed, 0 failed, 0 deferred of 10/);

  const refused = await runMain(["simulate", "--html", "story.html"], { cwd: config.dir });
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /--html story\.html: this task may not write there;.*--html logs\/simulation\.html/,
  );
});

Deno.test("a log file simulate may not write is refused naming logging.filePath and where simulate may write", async () => {
  await using config = await tempConfig({ logging: { filePath: "data/agent.jsonl" } });
  const { code, stderr } = await runMain(["simulate", "--config", config.path], {
    cwd: config.dir,
  });
  assert.equal(code, 2);
  assert.match(
    stderr,
    /logging\.filePath data\/agent\.jsonl: this task may not write there; `deno task simulate` may write only under \.\/logs/,
  );
});
