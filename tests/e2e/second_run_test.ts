import assert from "node:assert/strict";
import {
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const contacts = 40;

// A holder killed with SIGKILL leaves its lock file but not its lock (the OS drops it): the
// crash-restart test's runs after each SIGKILL would be refused otherwise.

Deno.test("a second run on a SQLite ledger in use exits 2 naming the first; the first completes every contact once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "second-run-" });
  // The first run's first LLM call hangs until its 1 s timeout: the moment the second starts.
  await using llm = startFakeOpenAi({ apiKey: "llm-key", faults: [{ hang: true, calls: 1 }] });
  await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  try {
    const rows = Array.from(
      { length: contacts },
      (_, i) => `c${i},Person ${i},+1415555${1000 + i}`,
    );
    await Deno.writeTextFile(`${dir}/contacts.csv`, ["id,name,phone", ...rows].join("\n") + "\n");
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({
        campaign: { name: "shared" },
        server: { port: 0 },
        processor: { concurrency: 4 },
        retry: { initialDelayMs: 20, maxDelayMs: 100, jitterMs: 10 },
        health: { intervalMs: 60_000, timeoutMs: 1_000 },
        services: {
          llm: {
            kind: "openai",
            timeoutMs: 1_000,
            openai: { baseUrl: llm.baseUrl, apiKeyEnv: "T_LLM" },
          },
          tts: {
            kind: "elevenlabs",
            elevenlabs: { baseUrl: tts.url, apiKeyEnv: "T_TTS", audioDir: "audio" },
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
      }),
    );
    const args = [
      "run",
      "--contacts",
      "contacts.csv",
      "--db",
      "data/ledger.db",
      "--config",
      "config.json",
    ];
    const env = { T_LLM: "llm-key", T_TTS: "tts-key", T_CRM: "crm-key" };

    const first = spawnMain(args, { env, cwd: dir });
    const firstEnded = finished(first);
    await new Promise<void>((resolve) => {
      const subscription = llm.onCall((call) => {
        if (call.result !== "hang") return;
        subscription[Symbol.dispose]();
        resolve();
      });
    });
    const second = await finished(spawnMain(args, { env, cwd: dir }));
    assert.equal(second.code, 2, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`--db data/ledger\\.db: is in use by another agent \\(pid ${first.pid} on \\S+`),
    );
    assert.match(second.stderr, /give this run its own --db/);
    assert.doesNotMatch(second.stderr, /loaded contacts\.csv/, "refused before loading anything");

    const done = await firstEnded;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout + done.stderr, new RegExp(`${contacts} completed, 0 failed`));
    assert.equal(crm.outcomes.size, contacts, "one outcome per contact at the CRM");
    assert.equal(crm.duplicates, 0, "no contact's outcome was sent twice");
    const scripted = llm.requests.filter((r) => r.result === "ok").length;
    assert.equal(scripted, contacts, "one paid script per contact");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
