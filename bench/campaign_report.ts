// deno-lint-ignore-file no-console -- a report script: printing is its job
/**
 * Campaign measurements that are whole runs rather than micro-benchmarks (`deno task
 * bench:campaign`):
 *
 * 1. With 100 ms of latency on every call and concurrency 50, the total time against the
 *    ideal (contacts x 3 calls x latency / concurrency), in the same run.
 * 2. `run` on a 100,000-contact CSV with mock services, as a subprocess: killed with SIGKILL
 *    partway, restarted, completed; peak RSS of each process from /proc (VmHWM).
 */
import { createAgent } from "../src/agent/mod.ts";
import { seededRandom, systemClock } from "../src/clock/mod.ts";
import { parseConfig } from "../src/config/mod.ts";
import { InMemoryCampaignStore, SqliteCampaignStore } from "../src/ledger/mod.ts";
import { type Contact, createMockServices } from "../src/services/mod.ts";

async function latencyRun(contacts: number, latencyMs: number, concurrency: number) {
  const config = parseConfig({
    processor: { concurrency },
    services: {
      llm: { maxInFlight: concurrency },
      tts: { maxInFlight: concurrency },
      crm: { maxInFlight: concurrency },
    },
  });
  const list: Contact[] = Array.from({ length: contacts }, (_, i) => ({
    id: `c${i}`,
    name: `Contact ${i}`,
    phone: `+1415${String(i).padStart(7, "0")}`,
  }));
  await using store = new InMemoryCampaignStore();
  await store.ensureCampaign(config.campaign.name, 0);
  await store.addContacts(config.campaign.name, list, 0);
  const mock = { latencyMs, faults: [] };
  await using agent = createAgent(config, {
    clock: systemClock,
    random: seededRandom(1),
    services: createMockServices({ llm: mock, tts: mock, crm: mock }, { clock: systemClock }),
    alertChannels: [],
    store,
  });
  const started = performance.now();
  const summary = await agent.runner.run();
  const elapsed = performance.now() - started;
  const ideal = (contacts * 3 * latencyMs) / concurrency;
  return {
    completed: summary.completed,
    elapsedMs: Math.round(elapsed),
    idealMs: ideal,
    ratio: elapsed / ideal,
  };
}

async function peakRss(pid: number, done: Promise<unknown>): Promise<number> {
  let peak = 0;
  let finished = false;
  done.finally(() => (finished = true));
  while (!finished) {
    // Deno reserves /proc to --allow-all, so `cat` reads it (--allow-run).
    const { stdout } = await new Deno.Command("cat", {
      args: [`/proc/${pid}/status`],
      stderr: "null",
    })
      .output();
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(new TextDecoder().decode(stdout))?.[1] ?? 0) * 1024;
    peak = Math.max(peak, hwm);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return peak;
}

async function bigCampaign(rows: number) {
  const dir = await Deno.makeTempDir({ prefix: "campaign-100k-" });
  const file = await Deno.open(`${dir}/contacts.csv`, { write: true, create: true });
  const encoder = new TextEncoder();
  await file.write(encoder.encode("id,name,phone,company\n"));
  for (let start = 0; start < rows; start += 10_000) {
    let chunk = "";
    for (let i = start; i < Math.min(rows, start + 10_000); i++) {
      chunk += `c${i},Contact ${i},+1415${String(i).padStart(7, "0")},Company ${i % 97}\n`;
    }
    await file.write(encoder.encode(chunk));
  }
  file.close();
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ logging: { filePath: `${dir}/agent.jsonl` }, server: { port: 0 } }),
  );
  const args = [
    "run",
    // The same heap settings as the `start` and `compile` tasks.
    "--v8-flags=--max-semi-space-size=4,--max-old-space-size=128",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    new URL("../main.ts", import.meta.url).pathname,
    "run",
    "--contacts",
    `${dir}/contacts.csv`,
    "--db",
    `${dir}/ledger.db`,
    "--config",
    `${dir}/config.json`,
  ];
  const spawn = () =>
    new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "null", stdin: "null" })
      .spawn();

  const started = performance.now();
  const first = spawn();
  const firstStatus = first.status;
  const firstPeak = peakRss(first.pid, firstStatus);
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  first.kill("SIGKILL");
  await firstStatus;
  let completedAtKill = 0;
  {
    await using store = new SqliteCampaignStore(`${dir}/ledger.db`);
    completedAtKill = (await store.counts("default")).completed;
  }
  const second = spawn();
  const secondStatus = second.status;
  const secondPeak = peakRss(second.pid, secondStatus);
  const { code } = await secondStatus;
  const elapsed = performance.now() - started;
  await using store = new SqliteCampaignStore(`${dir}/ledger.db`);
  const counts = await store.counts("default");
  await store.close();
  await Deno.remove(dir, { recursive: true });
  return {
    rows,
    exitCode: code,
    completedAtKill,
    completed: counts.completed,
    elapsedMs: Math.round(elapsed),
    peakRssMiB: [await firstPeak, await secondPeak].map((b) => Math.round(b / 1024 / 1024)),
  };
}

console.log(
  "latency 100 ms per call, concurrency 50, 1,000 contacts:",
  await latencyRun(1_000, 100, 50),
);
console.log("100,000-contact CSV, killed after 6 s and resumed:", await bigCampaign(100_000));
