// deno-lint-ignore-file no-console -- a report script: printing is its job
/**
 * `/status` and `/metrics` under load from wrk on loopback while a campaign runs, against a
 * bare `Deno.serve` answering a fixed JSON in the same run; and the campaign's throughput with
 * and without that load (`deno task bench:server`, needs wrk from Debian). Then `/healthz`
 * latency (p50, p99) while a campaign with zero-latency services and the SQLite ledger runs as
 * fast as it can: the case where nothing would ever wait for the event loop.
 */
import { createAgent } from "../src/agent/mod.ts";
import { seededRandom, systemClock } from "../src/clock/mod.ts";
import { parseConfig } from "../src/config/mod.ts";
import { InMemoryCampaignStore, SqliteCampaignStore } from "../src/ledger/mod.ts";
import { createStatusApp } from "../src/server/mod.ts";
import { createMockServices } from "../src/services/mod.ts";
import type { Contact } from "../src/domain/mod.ts";
import { phoneNumber } from "../tests/_support/phone_numbers.ts";

const seconds = 5;

/** wrk's latency percentiles, in ms, for `url` under `connections` connections. */
async function wrkLatency(url: string, connections: number): Promise<Record<string, number>> {
  const { stdout } = await new Deno.Command("wrk", {
    args: ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", url],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(stdout);
  const ms = (label: string) => {
    const match = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(text);
    if (!match) return NaN;
    const value = Number(match[1]);
    return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
  };
  return { p50: ms("50%"), p99: ms("99%") };
}

async function wrk(url: string): Promise<number> {
  const { stdout } = await new Deno.Command("wrk", {
    args: ["-t1", "-c16", `-d${seconds}s`, url],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(stdout);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? 0);
}

const contacts: Contact[] = Array.from({ length: 200_000 }, (_, i) => ({
  id: `c${i}`,
  name: `Contact ${i}`,
  phone: phoneNumber(i),
}));
const config = parseConfig({
  processor: { concurrency: 32 },
  services: { llm: { maxInFlight: 32 }, tts: { maxInFlight: 32 }, crm: { maxInFlight: 32 } },
});
const store = new InMemoryCampaignStore();
await store.ensureCampaign(config.campaign.name, 0);
await store.addContacts(config.campaign.name, contacts, 0);
const mock = { latencyMs: 5, faults: [] };
const agent = createAgent(config, {
  clock: systemClock,
  random: seededRandom(1),
  services: createMockServices({ llm: mock, tts: mock, crm: mock }, { clock: systemClock }),
  store,
});
const status = createStatusApp({ agent, clock: systemClock, version: "bench" });
const app = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, status.fetch);
const fixed = JSON.stringify({ status: "ok", version: "bench", uptimeSeconds: 1 });
const bare = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response(fixed, { headers: { "content-type": "application/json" } }),
);

// A second bare server answers a fixed copy of a /status document: the same bytes, no work.
let sameSize = new Uint8Array();
const bareSameSize = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response(sameSize, { headers: { "content-type": "application/json" } }),
);

const completed = async () => (await store.counts(config.campaign.name)).completed;
async function throughput(
  load?: () => Promise<number>,
): Promise<{ perSecond: number; rps?: number }> {
  const before = await completed();
  const started = performance.now();
  const rps = load
    ? await load()
    : await new Promise<undefined>((r) => setTimeout(() => r(undefined), seconds * 1000));
  const perSecond = ((await completed()) - before) / ((performance.now() - started) / 1000);
  return { perSecond: Math.round(perSecond), rps };
}

const running = agent.runner.run();
await new Promise((r) => setTimeout(r, 1_000)); // warm up
const quiet = await throughput();
// The bare server shares the process and the running campaign, as the status app does.
const underBare = await throughput(() => wrk(`http://127.0.0.1:${bare.addr.port}/`));
const bareRps = underBare.rps!;
sameSize = new Uint8Array(
  await (await fetch(`http://127.0.0.1:${app.addr.port}/status`)).arrayBuffer(),
);
const bareSameSizeRps = (await throughput(() => wrk(`http://127.0.0.1:${bareSameSize.addr.port}/`)))
  .rps!;
const underStatus = await throughput(() => wrk(`http://127.0.0.1:${app.addr.port}/status`));
const underMetrics = await throughput(() => wrk(`http://127.0.0.1:${app.addr.port}/metrics`));
const quietAfter = await throughput();

const report = {
  bareDenoServeRps: Math.round(bareRps),
  statusRps: Math.round(underStatus.rps!),
  statusVsBare: Number((underStatus.rps! / bareRps).toFixed(2)),
  statusBytes: sameSize.byteLength,
  bareSameSizeRps: Math.round(bareSameSizeRps),
  statusVsBareSameSize: Number((underStatus.rps! / bareSameSizeRps).toFixed(2)),
  metricsRps: Math.round(underMetrics.rps!),
  metricsVsBare: Number((underMetrics.rps! / bareRps).toFixed(2)),
  campaignPerSecondQuiet: Math.round((quiet.perSecond + quietAfter.perSecond) / 2),
  campaignPerSecondUnderBareLoad: underBare.perSecond,
  campaignPerSecondUnderStatusLoad: underStatus.perSecond,
  campaignPerSecondUnderMetricsLoad: underMetrics.perSecond,
};
console.log(report);

// The fast case: zero-latency services, the synchronous SQLite ledger, as fast as it goes.
{
  const fastStore = new SqliteCampaignStore(":memory:");
  const fastConfig = parseConfig({});
  await fastStore.ensureCampaign(fastConfig.campaign.name, 0);
  await fastStore.addContacts(fastConfig.campaign.name, contacts.slice(0, 100_000), 0);
  const fastAgent = createAgent(fastConfig, {
    clock: systemClock,
    random: seededRandom(1),
    services: createMockServices({}, { clock: systemClock }),
    store: fastStore,
  });
  const fastStatus = createStatusApp({ agent: fastAgent, clock: systemClock, version: "bench" });
  const fastServer = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    fastStatus.fetch,
  );
  void fastAgent.runner.run();
  await new Promise((r) => setTimeout(r, 500));
  const latency = await wrkLatency(`http://127.0.0.1:${fastServer.addr.port}/healthz`, 4);
  const done = (await fastStore.counts(fastConfig.campaign.name)).completed;
  console.log({
    healthzDuringFastCampaign: { p50Ms: latency.p50, p99Ms: latency.p99 },
    contactsCompletedMeanwhile: done,
    goal: "p99 under 100 ms",
  });
}
console.log(
  `campaign throughput under load: ${
    (report.campaignPerSecondUnderStatusLoad / report.campaignPerSecondQuiet).toFixed(2)
  }x (status), ${
    (report.campaignPerSecondUnderMetricsLoad / report.campaignPerSecondQuiet).toFixed(2)
  }x (metrics) of quiet`,
);
Deno.exit(0); // the 200,000-contact campaign is still running: this is a measurement, not a run
void running;
