/**
 * Several `run` processes on one PostgreSQL campaign, one of them killed with SIGKILL mid-run:
 * every contact completes, each exactly once at the CRM (one distinct idempotency key per
 * contact), and the only repeated LLM and TTS requests are for contacts the killed process had
 * in flight. Counted at the fakes, over sockets.
 */
import assert from "node:assert/strict";
import {
  type FakeServer,
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { fakeServicesConfig } from "../_support/fake_services_config.ts";
import { postgresUnavailable, startPostgres } from "../_support/postgres.ts";
import { contactRows, type RunWorkspace, runWorkspace } from "../_support/run_workspace.ts";
import { nameUnless } from "../_support/skip.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const missing = await postgresUnavailable();

/** The keys the fakes take, and the shared ledger's URL. */
const agentEnv = (url: string) => ({
  T_LLM: "llm-key",
  T_TTS: "tts-key",
  T_CRM: "crm-key",
  AGENT_DATABASE_URL: url,
});

/** `run` on the workspace's files, as a user starts it (no --db: the ledger is PostgreSQL). */
const runAgent = (ws: RunWorkspace, url: string) =>
  spawnMain(
    ["run", "--contacts", "contacts.csv", "--config", "config.json"],
    ws.at({ env: agentEnv(url) }),
  );

const contactsCount = 3_000;
const concurrency = 8;

Deno.test({
  name: nameUnless(
    "three run processes on one PostgreSQL campaign, one killed with SIGKILL: every contact once",
    missing,
  ),
  ignore: missing !== undefined,
  async fn() {
    const pg = await startPostgres();
    if (typeof pg === "string") throw new Error(pg);
    await using _cluster = pg;
    await using llm = startFakeOpenAi({ apiKey: "llm-key" });
    await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
    await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
    const rows = contactRows(contactsCount);
    // Each agent in its own folder (its own logs), all on the same campaign and database.
    const workspaces = await Promise.all([0, 1, 2, 3].map(() =>
      runWorkspace({
        prefix: "agents-",
        rows,
        config: {
          campaign: { name: "shared" },
          ledger: { kind: "postgres", leaseMs: 2_000 },
          processor: { concurrency },
          health: { intervalMs: 60_000, timeoutMs: 1_000 },
          services: fakeServicesConfig({ llm, tts, crm }, { audioDir: "" }),
        },
      })
    ));
    try {
      const start = (index: number) => {
        const child = runAgent(workspaces[index], pg.url);
        return { child, ended: finished(child) };
      };
      const agents = [0, 1, 2].map(start);
      let exited: string | undefined;
      agents[1].ended.then((result) => (exited = `${result.code}: ${result.stderr}`));
      // Kill the second agent once the campaign is well under way.
      while (crm.outcomes.size < contactsCount / 5) {
        if (exited !== undefined) assert.fail(`the second agent ended before its kill: ${exited}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      agents[1].child.kill("SIGKILL");
      const [first, killed, third] = await Promise.all(agents.map((agent) => agent.ended));
      assert.equal(killed.code, 137);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(third.code, 0, third.stderr);
      // A last run afterwards finds nothing left to do.
      const last = await start(3).ended;
      assert.equal(last.code, 0, last.stderr);
      assert.match(last.stdout, new RegExp(`${contactsCount} completed, 0 failed`));

      assert.equal(crm.outcomes.size, contactsCount, "one distinct key per contact at the CRM");
      const repeats = (path: string, fake: FakeServer) => {
        const perContact = new Map<string, number>();
        for (const request of fake.requests) {
          if (!request.path.startsWith(path) || request.result !== "ok") continue;
          const name = /Person \d+/.exec(JSON.stringify(request.body))?.[0] ?? "?";
          perContact.set(name, (perContact.get(name) ?? 0) + 1);
        }
        assert.equal(perContact.size, contactsCount, `${path}: every contact`);
        return [...perContact.values()].reduce((sum, n) => sum + n - 1, 0);
      };
      // Only what the killed agent had in flight (at most its workers) may have been repeated.
      const llmRepeats = repeats("/v1/chat/completions", llm);
      const ttsRepeats = repeats("/v1/text-to-speech", tts);
      assert.ok(llmRepeats <= concurrency, `LLM requests repeated: ${llmRepeats}`);
      assert.ok(ttsRepeats <= concurrency, `TTS requests repeated: ${ttsRepeats}`);
      assert.ok(crm.duplicates <= concurrency, `CRM repeats (same key): ${crm.duplicates}`);
    } finally {
      for (const ws of workspaces) await ws[Symbol.asyncDispose]();
    }
  },
});

Deno.test({
  name: "a service one agent found down is down for the next: it defers without calling it",
  ignore: missing !== undefined,
  async fn() {
    const pg = await startPostgres();
    if (typeof pg === "string") throw new Error(pg);
    await using _cluster = pg;
    await using llm = startFakeOpenAi({ apiKey: "llm-key" });
    // ElevenLabs answers 503 to everything, its health probe included.
    await using tts = startFakeElevenLabs({ apiKey: "tts-key", faults: [{ fail: "unavailable" }] });
    await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
    const workspaces = await Promise.all([0, 1].map(() =>
      runWorkspace({
        prefix: "agents-outage-",
        rows: contactRows(20),
        config: {
          campaign: { name: "outage" },
          ledger: { kind: "postgres" },
          retry: { maxRetries: 0 },
          processor: { concurrency: 1, recoveryWaitMs: 1_000 },
          health: { intervalMs: 60_000, timeoutMs: 1_000 },
          services: fakeServicesConfig({ llm, tts, crm }, { audioDir: "" }),
        },
      })
    ));
    try {
      const run = (index: number) => finished(runAgent(workspaces[index], pg.url));
      const synthesis = () => tts.count("/v1/text-to-speech", "POST");
      const first = await run(0);
      assert.equal(first.code, 1, "its contacts wait for ElevenLabs");
      assert.equal(synthesis(), 3, "three failures opened the first agent's breaker");
      const second = await run(1);
      assert.equal(second.code, 1);
      assert.match(second.stdout, /0 completed, 0 failed, 20 deferred/);
      assert.equal(synthesis(), 3, "the second agent did not pay its own three failures");
      assert.equal(crm.outcomes.size, 0);
    } finally {
      for (const ws of workspaces) await ws[Symbol.asyncDispose]();
    }
  },
});

Deno.test({
  name: nameUnless(
    "three run processes on one PostgreSQL campaign with one spend cap pass it by no more than their requests in flight",
    missing,
  ),
  ignore: missing !== undefined,
  async fn() {
    const pg = await startPostgres();
    if (typeof pg === "string") throw new Error(pg);
    await using _cluster = pg;
    await using llm = startFakeOpenAi({ apiKey: "llm-key" });
    await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
    await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
    // A script costs 0.07 (50 + 20 tokens at 1,000 per million); speech and calls nothing.
    const scriptCost = 0.07;
    const cap = 3.5;
    const perAgent = 4;
    const workspaces = await Promise.all([0, 1, 2].map(() =>
      runWorkspace({
        prefix: "agents-cap-",
        rows: contactRows(400),
        config: {
          campaign: { name: "capped" },
          ledger: { kind: "postgres" },
          processor: { concurrency: perAgent, recoveryWaitMs: 200 },
          health: { intervalMs: 60_000, timeoutMs: 1_000 },
          pricing: {
            llm: { "gpt-4o-mini": { inputPerMillion: 1_000, outputPerMillion: 1_000 } },
            tts: { elevenlabs: { perThousandCharacters: 0 } },
          },
          budget: { campaign: cap },
          services: fakeServicesConfig({ llm, tts, crm }, { audioDir: "" }),
        },
      })
    ));
    try {
      const results = await Promise.all(workspaces.map((ws) => finished(runAgent(ws, pg.url))));
      for (const result of results) assert.equal(result.code, 4, result.stdout + result.stderr);
      const paid = llm.requests.filter((r) =>
        r.path === "/v1/chat/completions" && r.result === "ok"
      ).length;
      const billed = paid * scriptCost;
      assert.ok(billed >= cap - 1e-9, `the agents stopped at ${billed}, short of the cap`);
      assert.ok(
        billed <= cap + 3 * perAgent * scriptCost + 1e-9,
        `billed ${billed} with a cap of ${cap}: more than the three agents' requests in flight`,
      );
    } finally {
      for (const ws of workspaces) await ws[Symbol.asyncDispose]();
    }
  },
});
