// deno-lint-ignore-file no-console -- a report script: printing is its job
/**
 * Campaign measurements that are whole runs rather than micro-benchmarks (`deno task
 * bench:campaign`):
 *
 * 1. With 100 ms of latency on every call and concurrency 50, the total time against the
 *    ideal (contacts x 3 calls x latency / concurrency), in the same run.
 * 2. `run` on a 100,000-contact CSV with mock services, as a subprocess: killed with SIGKILL
 *    partway, restarted, completed; peak RSS of each process from /proc (VmHWM).
 * 3. Loading contacts files through `run`: a 200,000-row CSV, and a 50 MB CSV with a stray
 *    quote on its first row; rows per second and peak RSS until the load is done.
 * 4. The campaign rate of `run` with mock services and the JSON log file on: 30,000 contacts
 *    with the ledger on disk, against the same run with the ledger in memory (`--db :memory:`,
 *    the baseline: no commit reaches a file), in the same process tree, one after the other.
 *
 * Every `run` child starts with the `start` task's flags (permissions and V8 heap), in a
 * folder of its own, as a user's `deno task start run ...` would.
 */
import { createAgent } from "../src/agent/mod.ts";
import { seededRandom, systemClock } from "../src/clock/mod.ts";
import { parseConfig } from "../src/config/mod.ts";
import { InMemoryCampaignStore, SqliteCampaignStore } from "../src/ledger/mod.ts";
import { createMockServices } from "../src/services/mod.ts";
import type { Contact } from "../src/domain/mod.ts";
import { campaignRate, generatedWorkspace, startRunArgs } from "./_run.ts";
import { phoneNumber } from "../tests/_support/phone_numbers.ts";

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
    phone: phoneNumber(i),
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
  const dir = await generatedWorkspace("campaign-100k-", rows);
  const args = startRunArgs();
  const spawn = () =>
    new Deno.Command(Deno.execPath(), {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();

  const started = performance.now();
  const first = spawn();
  const firstStatus = first.status;
  const firstPeak = peakRss(first.pid, firstStatus);
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  first.kill("SIGKILL");
  await firstStatus;
  let completedAtKill = 0;
  {
    await using store = new SqliteCampaignStore(`${dir}/data/ledger.db`);
    completedAtKill = (await store.counts("default")).completed;
  }
  const second = spawn();
  const secondStatus = second.status;
  const secondPeak = peakRss(second.pid, secondStatus);
  const { code } = await secondStatus;
  const elapsed = performance.now() - started;
  await using store = new SqliteCampaignStore(`${dir}/data/ledger.db`);
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

/**
 * Loads a generated contacts file through `run` and stops it once loaded (the "loaded ..."
 * line): rows per second and the peak RSS of the load.
 */
async function loadOnly(name: string, rows: number, firstRow?: string) {
  const dir = await generatedWorkspace("contacts-load-", rows, firstRow);
  const bytes = (await Deno.stat(`${dir}/contacts.csv`)).size;
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: startRunArgs(),
    cwd: dir,
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const status = child.status;
  const peak = peakRss(child.pid, status);
  let loadedLine = "";
  let loadedMs = 0;
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!loadedLine) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const match = /loaded .*invalid/.exec(text);
    if (match) {
      loadedLine = match[0];
      loadedMs = performance.now() - started;
    }
  }
  child.kill("SIGKILL");
  await reader.cancel();
  await status;
  await Deno.remove(dir, { recursive: true });
  return {
    file: name,
    megabytes: Math.round(bytes / 1024 / 1024),
    loaded: loadedLine.replace(/^loaded \S+ into campaign \S+: /, ""),
    rowsPerSecond: Math.round(rows / (loadedMs / 1000)),
    peakRssMiB: Math.round(await peak / 1024 / 1024),
  };
}

{
  const baseline = await campaignRate(30_000, ":memory:");
  const onDisk = await campaignRate(30_000, "data/ledger.db");
  console.log("run, 30,000 contacts, mock services, JSON logs on:", {
    baseline,
    onDisk,
    ratio: Number((onDisk.contactsPerSecond / baseline.contactsPerSecond).toFixed(2)),
  });
}
console.log("contacts load through run:", await loadOnly("200,000 rows", 200_000));
console.log(
  "contacts load through run:",
  await loadOnly(
    "50 MB, stray quote on the first row",
    1_100_000,
    'x0,"Stray Quote,+14155550000,Co',
  ),
);
console.log(
  "latency 100 ms per call, concurrency 50, 1,000 contacts:",
  await latencyRun(1_000, 100, 50),
);
console.log("100,000-contact CSV, killed after 6 s and resumed:", await bigCampaign(100_000));
