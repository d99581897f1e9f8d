// deno-lint-ignore-file no-console -- a report script: printing is its job
/**
 * Named fault scenarios through the real OpenAI, ElevenLabs and webhook clients against the
 * fake providers over sockets (`deno task bench:faults`). Every figure comes from what the
 * fakes counted, not from what the agent says it did:
 *
 * - contacts completed / failed / deferred (the ledger, at the end);
 * - paid LLM and TTS requests per completed contact (requests the fake answered 200);
 * - requests that reached a service while its breaker was OPEN (checked as each arrives);
 * - breaker openings, and false ones (openings while the provider answered every call).
 *
 * Goals (docs/benchmarks.md): 0 contacts failed by outages that end within the campaign, at most 1.0 paid
 * LLM and TTS request per completed contact (plus those in flight at a crash), 0 requests to
 * an OPEN service, 0 false openings when a provider is slow but answering.
 */
import { createAgent } from "../src/agent/mod.ts";
import { seededRandom, systemClock } from "../src/clock/mod.ts";
import { deepMerge, parseConfig } from "../src/config/mod.ts";
import {
  type FakeServer,
  type HttpFaultRule,
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeWebhookCrm,
} from "../src/fake_providers/mod.ts";
import { InMemoryCampaignStore, SqliteCampaignStore } from "../src/ledger/mod.ts";
import { createServices } from "../src/services/mod.ts";
import { taskFlags } from "../tests/_support/task_flags.ts";
import { fakeServicesConfig } from "../tests/_support/fake_services_config.ts";
import { contactRows, runWorkspace } from "../tests/_support/run_workspace.ts";

const keys = {
  T_LLM: "bench-llm",
  T_TTS: "bench-tts",
  T_CRM: "bench-crm",
  T_SPEECH: "bench-speech",
};

interface Row {
  scenario: string;
  completed: number;
  failed: number;
  deferred: number;
  /** Contacts put aside during the run (each deferral), whether or not they completed later. */
  deferrals: number;
  paidLlm: number;
  paidTts: number;
  /** What the campaign recorded it spent, per completed contact (default pricing). */
  spendPerCompleted: number;
  toOpen: number;
  openings: number;
  falseOpenings: number;
  seconds: number;
}

function fakes(faults: { llm?: HttpFaultRule[]; tts?: HttpFaultRule[] }) {
  return {
    llm: startFakeOpenAi({ apiKey: keys.T_LLM, faults: faults.llm }),
    tts: startFakeElevenLabs({ apiKey: keys.T_TTS, faults: faults.tts }),
    crm: startFakeWebhookCrm({ apiKey: keys.T_CRM }),
  };
}

function servicesConfig(f: ReturnType<typeof fakes>, audioDir = "") {
  return { services: fakeServicesConfig(f, { audioDir }) };
}

const paid = (fake: FakeServer, path: string) =>
  fake.requests.filter((r) => r.path.startsWith(path) && r.result === "ok").length;

/** One scenario in this process: the agent on the system clock, the fakes beside it. */
async function inProcess(
  scenario: string,
  contacts: number,
  faults: { llm?: HttpFaultRule[]; tts?: HttpFaultRule[] },
  override: Record<string, unknown>,
  healthyProvider = false,
  /** A fallback voice (OpenAI speech) following this script, when the scenario has one. */
  fallbackVoice?: HttpFaultRule[],
): Promise<Row> {
  const f = fakes(faults);
  const speech = fallbackVoice
    ? startFakeOpenAi({ apiKey: keys.T_SPEECH, service: "openai-speech", faults: fallbackVoice })
    : undefined;
  const chain = speech
    ? {
      services: {
        tts: {
          fallbacks: [{
            name: "openai-speech",
            kind: "openai",
            openai: { baseUrl: speech.baseUrl, apiKeyEnv: "T_SPEECH", audioDir: "" },
          }],
        },
      },
    }
    : {};
  const config = parseConfig(deepMerge(
    deepMerge({
      logging: { filePath: "" },
      health: { intervalMs: 200, timeoutMs: 1_000 },
      retry: { initialDelayMs: 100, maxDelayMs: 1_000, jitterMs: 50 },
      breaker: { recoveryTimeoutMs: 500 },
      processor: { concurrency: 4, recoveryWaitMs: 30_000 },
    }, servicesConfig(f)),
    deepMerge(chain, override),
  ));
  await using store = new InMemoryCampaignStore();
  await store.ensureCampaign(config.campaign.name, 0);
  await store.addContacts(
    config.campaign.name,
    Array.from({ length: contacts }, (_, i) => ({
      id: `c${i + 1}`,
      name: `Contact ${i + 1}`,
      phone: `+1415${String(5550000 + i)}`,
    })),
    0,
  );
  await using agent = createAgent(config, {
    store,
    clock: systemClock,
    random: seededRandom(1),
    services: createServices(config, {
      clock: systemClock,
      fetch,
      env: (name) => keys[name as keyof typeof keys],
      writeFile: () => Promise.resolve(),
    }),
  });
  let toOpen = 0;
  const watched: [string, FakeServer][] = [["llm", f.llm], ["tts", f.tts], ["crm", f.crm]];
  if (speech) watched.push(["openai-speech", speech]);
  for (const [service, fake] of watched) {
    fake.onCall(() => {
      if (agent.breakers.get(service).state === "OPEN") toOpen++;
    });
  }
  let deferrals = 0;
  agent.runner.onEvent((event) => {
    if (event.type === "contact-done" && event.result.status === "deferred") deferrals++;
  });
  let openings = 0;
  agent.breakers.onStateChange((change) => change.to === "OPEN" && openings++);
  const started = performance.now();
  agent.start();
  let summary;
  try {
    summary = await agent.runner.run();
  } finally {
    await agent.stop();
    await Promise.all([f.llm.close(), f.tts.close(), f.crm.close(), speech?.close()]);
  }
  return {
    scenario,
    completed: summary.completed,
    failed: summary.failed,
    deferred: summary.deferred,
    deferrals,
    paidLlm: paid(f.llm, "/v1/chat/completions"),
    paidTts: paid(f.tts, "/v1/text-to-speech") + (speech ? paid(speech, "/v1/audio/speech") : 0),
    spendPerCompleted: (summary.spend?.total ?? 0) / Math.max(1, summary.completed),
    toOpen,
    openings,
    falseOpenings: healthyProvider ? openings : 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/** `run` as a subprocess with the start task's flags, killed with SIGKILL mid-run, resumed. */
async function killAndResume(contacts: number): Promise<Row> {
  const f = fakes({ llm: [{ latencyMs: 30 }], tts: [{ latencyMs: 30 }] });
  try {
    await using ws = await runWorkspace({
      prefix: "faults-kill-",
      rows: contactRows(contacts),
      config: { processor: { concurrency: 8 }, ...servicesConfig(f, "audio") },
    });
    const flags = taskFlags("start");
    const main = new URL("../main.ts", import.meta.url).pathname;
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", ...flags, main, ...ws.args()],
        cwd: ws.dir,
        env: keys,
        stdout: "null",
        stderr: "null",
      }).spawn();
    const started = performance.now();
    const first = run();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    first.kill("SIGKILL");
    await first.status;
    const second = await run().status;
    if (!second.success) throw new Error(`the resumed run exited ${second.code}`);
    await using store = new SqliteCampaignStore(ws.db);
    const counts = await store.counts("default");
    // Both runs log to the workspace's file: each deferral is a contact-done line.
    const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
    const deferrals = log.match(/"type":"contact-done","contactId":"[^"]*","status":"deferred"/g);
    return {
      scenario: "SIGKILL mid-run, then resume",
      completed: counts.completed,
      failed: counts.failed,
      deferred: counts.deferred,
      deferrals: deferrals?.length ?? 0,
      paidLlm: paid(f.llm, "/v1/chat/completions"),
      paidTts: paid(f.tts, "/v1/text-to-speech"),
      spendPerCompleted: Object.values(await store.spendOf("default")).reduce((a, b) => a + b, 0) /
        Math.max(1, counts.completed),
      toOpen: 0,
      openings: 0,
      falseOpenings: 0,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await Promise.all([f.llm.close(), f.tts.close(), f.crm.close()]);
  }
}

const now = () => Date.now();
const rows: Row[] = [];
{
  const t = now();
  rows.push(
    await inProcess("LLM quota window (3 s), probe healthy", 60, {
      llm: [{ fail: "quota", probeHealthy: true, fromMs: t + 300, untilMs: t + 3_300 }],
      tts: [{ latencyMs: 50 }],
    }, {}),
  );
}
{
  const t = now();
  const outages = Array.from({ length: 6 }, (_, i) => ({
    fail: "unavailable" as const,
    fromMs: t + 500 + i * 1_500,
    untilMs: t + 900 + i * 1_500,
  }));
  rows.push(
    await inProcess("flapping TTS (6 outages of 0.4 s)", 360, {
      tts: [...outages, { latencyMs: 100 }],
    }, { breaker: { halfOpenRequiresHealthyProbe: false } }),
  );
}
rows.push(
  await inProcess(
    "slow but healthy TTS (600 ms, 4 workers, 2 slots)",
    12,
    {
      tts: [{ latencyMs: 600 }],
    },
    { services: { tts: { timeoutMs: 1_000, elevenlabs: { maxConcurrency: 2 } } } },
    true,
  ),
);
{
  const t = now();
  rows.push(
    await inProcess("TTS 401 for 2 s, then fixed", 40, {
      tts: [{ fail: "auth", untilMs: t + 2_000 }, { latencyMs: 50 }],
    }, {}),
  );
}
{
  const t = now();
  rows.push(
    await inProcess(
      "TTS down 3 s with an OpenAI speech fallback",
      400,
      { tts: [{ fail: "unavailable", fromMs: t + 500, untilMs: t + 3_500 }, { latencyMs: 50 }] },
      {},
      false,
      [{ latencyMs: 50 }],
    ),
  );
}
rows.push(await killAndResume(400));

const fixed = (n: number) => n.toFixed(2);
console.log(
  "| scenario | completed | failed | deferred | deferrals during the run | paid LLM / completed | paid TTS / completed | spend / completed (USD) | requests to an OPEN service | breaker openings (false) | seconds |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const row of rows) {
  console.log(
    `| ${row.scenario} | ${row.completed} | ${row.failed} | ${row.deferred} | ${row.deferrals} | ${
      fixed(row.paidLlm / Math.max(1, row.completed))
    } | ${fixed(row.paidTts / Math.max(1, row.completed))} | ${
      row.spendPerCompleted.toFixed(5)
    } | ${row.toOpen} | ${row.openings} (${row.falseOpenings}) | ${row.seconds.toFixed(1)} |`,
  );
}
