/**
 * An operator's stop holds for every agent, and what one agent knows is down stays down for
 * all: three agents on one campaign in a real PostgreSQL (the suite's throwaway cluster), each
 * with its own keys, so the fake ElevenLabs and OpenAI count each agent's requests (syntheses
 * and probes alike). The operator acts through each agent's own admin route.
 */
import assert from "node:assert/strict";
import { type Agent, type AgentEvent, createAgent } from "../../src/agent/mod.ts";
import { seededRandom, systemClock } from "../../src/clock/mod.ts";
import { deepMerge, parseConfig } from "../../src/config/mod.ts";
import {
  type FakeServer,
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { createFreshConnectionFetch } from "../../src/platform/mod.ts";
import { PostgresCampaignStore } from "../../src/ledger/mod.ts";
import type { RunSummary } from "../../src/processor/mod.ts";
import { createStatusApp } from "../../src/server/mod.ts";
import { createServices } from "../../src/services/mod.ts";
import { contacts } from "../_support/agent.ts";
import { fakeServicesConfig } from "../_support/fake_services_config.ts";
import { postgresUnavailable, startPostgres } from "../_support/postgres.ts";
import { nameUnless } from "../_support/skip.ts";

const agentNames = ["a", "b", "c"];

/** The fakes every agent calls, each agent with keys of its own. */
function startFakes() {
  const keys = (service: string) => agentNames.map((name) => `${service}-${name}`);
  const llm = startFakeOpenAi({ apiKey: "llm-a", otherKeys: keys("llm") });
  // Each synthesis takes a moment, so requests are in flight when an agent learns something.
  const tts = startFakeElevenLabs({
    apiKey: "tts-a",
    otherKeys: keys("tts"),
    faults: [{ latencyMs: 20 }],
  });
  const crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  return {
    llm,
    tts,
    crm,
    async [Symbol.asyncDispose]() {
      await Promise.all([llm.close(), tts.close(), crm.close()]);
    },
  };
}

type Fakes = ReturnType<typeof startFakes>;

/** The requests `fake` received with agent `name`'s key (only POSTs, the paid ones, when
 * `paid`). */
function requestsOf(fake: FakeServer, name: string, paid = false): number {
  return fake.requests.filter((r) =>
    (r.headers["xi-api-key"] === `tts-${name}` ||
      r.headers.authorization === `Bearer llm-${name}`) && (!paid || r.method === "POST")
  ).length;
}

/** One agent working the shared campaign, with its admin route (`override` over its config). */
async function startAgent(
  name: string,
  url: string,
  fakes: Fakes,
  override: Record<string, unknown> = {},
) {
  const store = await PostgresCampaignStore.open(url, { owner: name, ms: 30_000 });
  const config = parseConfig(deepMerge({
    logging: { filePath: "" },
    campaign: { name: "shared" },
    processor: { concurrency: 2, recoveryWaitMs: 120_000 },
    health: { intervalMs: 100, timeoutMs: 1_000 },
    retry: { maxRetries: 0, initialDelayMs: 10, maxDelayMs: 10, jitterMs: 0 },
    breaker: { failureThreshold: 2, recoveryTimeoutMs: 300 },
    services: fakeServicesConfig(fakes),
  }, override));
  const env: Record<string, string> = {
    T_LLM: `llm-${name}`,
    T_TTS: `tts-${name}`,
    T_CRM: "crm-key",
  };
  const freshFetch = createFreshConnectionFetch();
  const agent: Agent = createAgent(config, {
    store,
    clock: systemClock,
    random: seededRandom(1),
    services: createServices(config, {
      clock: systemClock,
      fetch,
      freshFetch,
      env: (variable) => env[variable],
      writeFile: () => Promise.resolve(),
    }),
    alertChannels: [],
  });
  const events: AgentEvent[] = [];
  agent.events.on((event) => events.push(event));
  const status = createStatusApp({
    agent,
    clock: systemClock,
    version: "test",
    adminToken: "admin-token",
  });
  agent.start();
  await agent.readSharedState();
  const drain = new AbortController();
  const running = agent.runner.run({ drain: drain.signal });
  return {
    name,
    agent,
    events,
    tts: agent.breakers.get("tts"),
    /** The operator, on this agent's admin route. */
    async operator(action: "open" | "close"): Promise<void> {
      const response = await status.fetch(
        new Request(`http://127.0.0.1/admin/breakers/tts/${action}`, {
          method: "POST",
          headers: { authorization: "Bearer admin-token" },
        }),
      );
      assert.equal(response.status, 200, await response.text());
    },
    /** This agent's /status entry for TTS. */
    async ttsStatus(): Promise<Record<string, unknown>> {
      const response = await status.fetch(new Request("http://127.0.0.1/status"));
      const body = await response.json() as {
        services: { service: string; breaker: Record<string, unknown> }[];
      };
      return body.services.find((s) => s.service === "tts")!.breaker;
    },
    finished: running,
    async [Symbol.asyncDispose]() {
      drain.abort();
      await running.catch(() => {});
      await agent[Symbol.asyncDispose]();
      status[Symbol.dispose]();
      freshFetch[Symbol.dispose]();
      await store.close();
    },
  };
}

/** Resolves once `ready()` holds, looking every 20 ms (the agents run on the real clock). */
async function until(ready: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1_500; i++) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never happened: ${what}`);
}

/** Lets the agents run for `ms` of real time: how long they had to do what they must not. */
const meanwhile = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const completed = (events: AgentEvent[]) =>
  events.filter((e) => e.type === "contact-done" && e.status === "completed").length;

const postgresMissing = await postgresUnavailable();
Deno.test({
  name: nameUnless(
    "three agents on one PostgreSQL campaign: an operator's stop holds for all, and a hold lasts as long as the service is down",
    postgresMissing,
  ),
  ignore: postgresMissing !== undefined,
  async fn(t) {
    if (postgresMissing) return;
    const pg = await startPostgres();
    if (typeof pg === "string") throw new Error(pg);
    await using _cluster = pg;

    await t.step(
      "a forced opening while the others are already open holds on every agent, survives their trials, holds an agent started later, and the operator's close on any agent resumes all",
      async () => {
        const url = await pg.newDatabase();
        await using fakes = startFakes();
        {
          await using loader = await PostgresCampaignStore.open(url, { owner: "loader", ms: 1 });
          await loader.ensureCampaign("shared", 0);
          await loader.addContacts("shared", contacts(200), 0);
        }
        await using a = await startAgent("a", url, fakes);
        await using b = await startAgent("b", url, fakes);
        await until(() => completed(a.events) + completed(b.events) >= 10, "contacts completed");
        // TTS goes down: both agents open on their own 503s.
        const outage = fakes.tts.outage({ fail: "unavailable" });
        await until(() => a.tts.state === "OPEN" && b.tts.state === "OPEN", "both opened");
        // The operator stops TTS on A; then TTS comes back.
        await a.operator("open");
        await until(
          async () => (await a.agent.store.shared!.serviceStates()).some((s) => s.forced),
          "the forced opening is shared",
        );
        const before = { a: requestsOf(fakes.tts, "a"), b: requestsOf(fakes.tts, "b") };
        outage[Symbol.dispose]();
        // B's recovery time passes many times over, its probe would find TTS up: no trial.
        await meanwhile(1_000);
        assert.equal(b.tts.forced, true, "B honours the operator's hold");
        assert.deepEqual(
          { a: requestsOf(fakes.tts, "a"), b: requestsOf(fakes.tts, "b") },
          before,
          "no synthesis and no probe reached TTS from A or B during the hold",
        );
        for (const agent of [a, b]) {
          const status = await agent.ttsStatus();
          assert.equal(status.state, "OPEN");
          assert.equal(status.forced, true);
          assert.equal(
            (status.forcedBy as { agent: string }).agent,
            "a",
            `/status on ${agent.name}`,
          );
        }
        // An agent started during the hold reads it and sends nothing to TTS.
        await using c = await startAgent("c", url, fakes);
        await until(() => c.events.some((e) => e.type === "waiting-for-recovery"), "C waits");
        await meanwhile(500);
        assert.equal(c.tts.forced, true);
        assert.equal(requestsOf(fakes.tts, "c"), 0, "C sent nothing to TTS");
        assert.equal(
          requestsOf(fakes.llm, "c", true),
          0,
          "nor paid for a script it could not voice",
        );
        // The operator lets TTS go on C: every agent resumes and the campaign completes.
        await c.operator("close");
        const summaries = await Promise.all([a.finished, b.finished, c.finished]) as RunSummary[];
        for (const summary of summaries) assert.equal(summary.ended, "finished");
        assert.equal(summaries[0].completed, 200);
        assert.ok(requestsOf(fakes.tts, "b") > before.b, "B called TTS again once let go");
      },
    );

    await t.step(
      "an agent started during a long outage that outlasts the recovery time sends nothing to the service another agent still finds down",
      async () => {
        const url = await pg.newDatabase();
        await using fakes = startFakes();
        {
          await using loader = await PostgresCampaignStore.open(url, { owner: "loader", ms: 1 });
          await loader.ensureCampaign("shared", 0);
          await loader.addContacts("shared", contacts(60), 0);
        }
        const outage = fakes.tts.outage({ fail: "unavailable" });
        await using a = await startAgent("a", url, fakes);
        await until(() => a.tts.state === "OPEN", "A opened");
        // A's probes keep failing well past the 300 ms recovery time.
        await until(
          () =>
            a.events.filter((e) =>
              e.type === "health" && e.service === "tts" && e.status === "unhealthy"
            )
              .length >= 6,
          "A's probes failed six times",
        );
        await using b = await startAgent("b", url, fakes);
        await until(() => b.events.some((e) => e.type === "waiting-for-recovery"), "B waits");
        await meanwhile(1_000);
        assert.equal(requestsOf(fakes.tts, "b"), 0, "B sent no synthesis and no probe to TTS");
        assert.equal(
          requestsOf(fakes.llm, "b", true),
          0,
          "nor a paid LLM request for a contact TTS would stop",
        );
        // TTS recovers: A's probe and trial find it up, and the hold ends for both.
        outage[Symbol.dispose]();
        const [ofA, ofB] = await Promise.all([a.finished, b.finished]) as RunSummary[];
        assert.deepEqual(
          [ofA.ended, ofB.ended, ofA.completed],
          ["finished", "finished", 60],
          JSON.stringify([ofA, ofB]),
        );
      },
    );

    await t.step(
      "an operator's stop while every agent is busy: no agent sends a request it had not already started",
      async () => {
        const url = await pg.newDatabase();
        await using fakes = startFakes();
        {
          await using loader = await PostgresCampaignStore.open(url, { owner: "loader", ms: 1 });
          await loader.ensureCampaign("shared", 0);
          await loader.addContacts("shared", contacts(300), 0);
        }
        await using a = await startAgent("a", url, fakes);
        await using b = await startAgent("b", url, fakes);
        await using c = await startAgent("c", url, fakes);
        await until(
          () => completed(a.events) > 5 && completed(b.events) > 5 && completed(c.events) > 5,
          "all three working",
        );
        // The moment the stop is in the ledger, each agent has at most its TTS slots (2) in flight.
        const stopped = a.operator("open");
        await until(
          async () => (await a.agent.store.shared!.serviceStates()).some((s) => s.forced),
          "the forced opening is shared",
        );
        const atStop = fakes.tts.requests.filter((r) => r.path.startsWith("/v1/")).length;
        await stopped;
        await meanwhile(1_000);
        const after = fakes.tts.requests.filter((r) => r.path.startsWith("/v1/")).length - atStop;
        assert.ok(after <= 3 * 2, `TTS requests that arrived after the stop was shared: ${after}`);
        await until(() => [a, b, c].every((agent) => agent.tts.forced), "every agent holds it");
        await b.operator("close");
        const summaries = await Promise.all([a.finished, b.finished, c.finished]) as RunSummary[];
        assert.equal(summaries[0].completed, 300);
      },
    );
  },
});
