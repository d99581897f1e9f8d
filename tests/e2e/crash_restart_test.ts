import assert from "node:assert/strict";
import {
  type FakeServer,
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { fakeServicesConfig } from "../_support/fake_services_config.ts";
import { hangReached } from "../_support/hang_reached.ts";
import { runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const names = [
  "Ada Lovelace",
  "Grace Hopper",
  "Alan Turing",
  "Katherine Johnson",
  "Edsger Dijkstra",
  "Barbara Liskov",
];

function successfulCallsPerContact(
  fake: FakeServer,
  path: string,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of fake.requests) {
    if (!request.path.startsWith(path) || request.result !== "ok") continue;
    const text = JSON.stringify(request.body);
    const name = names.find((n) => text.includes(n)) ?? "?";
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

Deno.test("killed with SIGKILL before, during and after each step, the campaign completes each contact exactly once", async () => {
  // Kill points, in order: during c1's LLM call; during c1's TTS call (its script saved);
  // at the CRM after it stored c1's outcome but before it answered; during c3's LLM call,
  // after c2 completed.
  await using llm = startFakeOpenAi({
    apiKey: "llm-key",
    faults: [{ hang: true, calls: 1 }, { calls: 2 }, { hang: true, calls: 1 }],
  });
  await using tts = startFakeElevenLabs({
    apiKey: "tts-key",
    faults: [{ hang: true, calls: 1 }],
  });
  await using crm = startFakeWebhookCrm({
    apiKey: "crm-key",
    faults: [{ hangAfter: true, calls: 1 }],
  });
  await using ws = await runWorkspace({
    prefix: "crash-test-",
    rows: names.map((name, i) => `c${i + 1},${name},+1415555010${i}`),
    config: {
      campaign: { name: "crash" },
      processor: { concurrency: 1 },
      retry: { initialDelayMs: 20, maxDelayMs: 100, jitterMs: 10 },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      services: fakeServicesConfig({ llm, tts, crm }, { audioDir: "audio" }),
    },
  });
  const args = ws.args();
  const env = { T_LLM: "llm-key", T_TTS: "tts-key", T_CRM: "crm-key" };

  const killAt = async (point: Promise<void>) => {
    const child = spawnMain(args, { env, cwd: ws.dir });
    const ended = finished(child);
    const first = await Promise.race([
      point.then(() => "kill-point" as const),
      ended,
    ]);
    if (first !== "kill-point") {
      assert.fail(
        `the run ended (${first.code}) before its kill point: ${first.stderr}`,
      );
    }
    child.kill("SIGKILL");
    assert.notEqual((await ended).code, 0);
  };
  for (
    const point of [hangReached(llm), hangReached(tts), hangReached(crm)]
  ) await killAt(point);
  // The last LLM hang: armed only now so it is not confused with the first.
  await killAt(hangReached(llm));

  const final = await finished(spawnMain(args, { env, cwd: ws.dir }));
  assert.equal(final.code, 0, final.stderr);
  assert.match(
    final.stdout,
    /campaign crash: 6 completed, 0 failed, 0 deferred of 6/,
  );

  assert.equal(
    crm.outcomes.size,
    6,
    "every contact is recorded exactly once at the CRM",
  );
  assert.deepEqual(
    [...crm.outcomes.keys()].sort(),
    names.map((_, i) => `crash:c${i + 1}`),
  );
  assert.equal(
    crm.duplicates,
    1,
    "the retry after the CRM crash was dropped by its idempotency key",
  );
  for (
    const [path, fake] of [["/v1/chat/completions", llm], [
      "/v1/text-to-speech",
      tts,
    ]] as const
  ) {
    const counts = successfulCallsPerContact(fake, path);
    assert.equal(counts.size, 6, `${path}: every contact was served`);
    for (const [name, n] of counts) {
      assert.equal(n, 1, `${name} cost ${n} successful calls to ${path}`);
    }
  }
});
