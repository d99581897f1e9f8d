import assert from "node:assert/strict";
import {
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { fakeServicesConfig } from "../_support/fake_services_config.ts";
import { hangReached } from "../_support/hang_reached.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const contacts = 40;

// A holder killed with SIGKILL leaves its lock file but not its lock (the OS drops it): the
// crash-restart test's runs after each SIGKILL would be refused otherwise.

Deno.test("a second run on a SQLite ledger in use exits 2 naming the first; the first completes every contact once", async () => {
  // The first run's first LLM call hangs until its 1 s timeout: the moment the second starts.
  await using llm = startFakeOpenAi({ apiKey: "llm-key", faults: [{ hang: true, calls: 1 }] });
  await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  await using ws = await runWorkspace({
    prefix: "second-run-",
    rows: contactRows(contacts),
    config: {
      campaign: { name: "shared" },
      processor: { concurrency: 4 },
      retry: { initialDelayMs: 20, maxDelayMs: 100, jitterMs: 10 },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      services: fakeServicesConfig({ llm, tts, crm }, {
        audioDir: "audio",
        llm: { timeoutMs: 1_000 },
      }),
    },
  });
  const at = ws.at({ env: { T_LLM: "llm-key", T_TTS: "tts-key", T_CRM: "crm-key" } });

  const first = spawnMain(ws.args(), at);
  const firstEnded = finished(first);
  await hangReached(llm);
  const second = await finished(spawnMain(ws.args(), at));
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
});
