// deno-lint-ignore-file no-console -- a report script: printing is its job
/**
 * Is the status endpoint responsive through a whole run (`deno task bench:healthz`)? `run` on
 * 150,000 contacts with zero-latency mock services and the SQLite ledger on disk, loading
 * included, while this process, from outside, asks `GET /healthz` once every 50 ms on a new
 * connection each time (`Connection: close`, a client that never reuses one), from the moment
 * the port answers until the run exits. Reports the latency's p50, p99 and worst, and when the
 * slowest answers came (seconds since the first answer), with the run's own summary line.
 * `deno task bench:healthz 20000 --in-flight 1000`: that many contacts at once, each mock call
 * lasting 3 s (the concurrency and every service's bulkhead set to it).
 */
import { parseArgs } from "node:util";
import { freePort } from "../tests/_support/free_port.ts";
import { generatedWorkspace, startRunArgs } from "./_run.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { "in-flight": { type: "string" } },
  allowPositionals: true,
});
const contacts = Number(positionals[0] ?? 150_000);
const inFlight = values["in-flight"] ? Number(values["in-flight"]) : undefined;
const everyMs = 50;

const dir = await generatedWorkspace("healthz-", contacts);
if (inFlight) {
  const bulkhead = { maxInFlight: inFlight };
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({
      logging: { filePath: "logs/agent.jsonl" },
      server: { port: 0 },
      processor: { concurrency: inFlight },
      services: {
        llm: bulkhead,
        tts: bulkhead,
        telephony: { ...bulkhead, mock: { latencyMs: 0, faults: [], callMs: 3_000 } },
        crm: bulkhead,
      },
    }),
  );
}
const port = freePort();
const child = new Deno.Command(Deno.execPath(), {
  args: startRunArgs("--port", String(port)),
  cwd: dir,
  stdout: "piped",
  stderr: "null",
  stdin: "null",
}).spawn();
const output = new Response(child.stdout).text();
let running = true;
const status = child.status.finally(() => (running = false));

const samples: { at: number; ms: number }[] = [];
let firstAnswer: number | undefined;
let refused = 0;
const asking: Promise<void>[] = [];
const ask = async () => {
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const sent = performance.now();
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
      client,
      headers: { connection: "close" },
    });
    await response.body?.cancel();
    const ms = performance.now() - sent;
    firstAnswer ??= sent;
    samples.push({ at: sent, ms });
  } catch {
    if (firstAnswer === undefined) refused++; // not listening yet
  }
};
while (running) {
  asking.push(ask());
  await new Promise((resolve) => setTimeout(resolve, everyMs));
}
await Promise.all(asking);
const { code } = await status;
const summary = (await output).trim().split("\n").at(-1);
await Deno.remove(dir, { recursive: true });

const sorted = samples.map((s) => s.ms).toSorted((a, b) => a - b);
const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const slowest = samples.toSorted((a, b) => b.ms - a.ms).slice(0, 5).map((s) => ({
  atS: Number(((s.at - firstAnswer!) / 1000).toFixed(1)),
  ms: Math.round(s.ms),
}));
console.log(
  `GET /healthz every ${everyMs} ms on a new connection, ${contacts} contacts${
    inFlight ? `, ${inFlight} in flight` : ""
  }:`,
  {
    exitCode: code,
    run: summary,
    asked: samples.length,
    beforeListening: refused,
    p50: Number(quantile(0.5).toFixed(1)),
    p99: Number(quantile(0.99).toFixed(1)),
    worst: Number(sorted.at(-1)!.toFixed(1)),
    slowest,
  },
);
