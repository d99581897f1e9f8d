// deno-lint-ignore-file no-console -- a report script: printing is its job
/**
 * Several agents on one campaign (`deno task bench:agents`): contacts per second for 1, 2 and 4
 * `run` processes on one PostgreSQL campaign, against one process on SQLite (the baseline), in
 * the same run, with mock services answering at once and then after 100 ms per call. Each
 * process starts with the `start` task's flags in a folder of its own, as a user's would; the
 * rate is the campaign's contacts over the longest run's own duration (its summary line: the
 * run after loading, start-up excluded). PostgreSQL is a throwaway cluster started here (as in
 * the tests: Debian's postgresql 15, run as the postgres user).
 */
import { startPostgres, type TestPostgres } from "../tests/_support/postgres.ts";
import { contactRows, runWorkspace } from "../tests/_support/run_workspace.ts";
import { finished, spawnMain } from "../tests/_support/spawn_main.ts";
import { countRoundTrips } from "../tests/_support/postgres_round_trips.ts";

const started = await startPostgres();
if (typeof started === "string") {
  console.log(`bench:agents skipped: ${started}`);
  Deno.exit(0);
}
const pg: TestPostgres = started;

interface Case {
  latencyMs: number;
  contacts: number;
  concurrency: number;
}

const cases: Case[] = [
  { latencyMs: 0, contacts: 20_000, concurrency: 8 },
  { latencyMs: 100, contacts: 2_000, concurrency: 50 },
];

/** Runs `processes` agents on one campaign; the campaign's rate in contacts per second.
 * `through`: a port that stands in for PostgreSQL's (the counting proxy). */
async function campaign(
  ledger: "sqlite" | "postgres",
  processes: number,
  { latencyMs, contacts, concurrency }: Case,
  through?: number,
): Promise<number> {
  let url = ledger === "postgres" ? await pg.newDatabase() : "";
  if (through) url = url.replace(/:(\d+)\//, `:${through}/`);
  const mock = { latencyMs, faults: [] };
  const service = { maxInFlight: concurrency, mock };
  const workspaces = await Promise.all(
    Array.from({ length: processes }, () =>
      runWorkspace({
        prefix: "bench-agents-",
        rows: contactRows(contacts),
        config: {
          campaign: { name: "bench" },
          ledger: { kind: ledger },
          processor: { concurrency },
          logging: { filePath: "" },
          services: {
            llm: service,
            tts: service,
            telephony: { ...service, mock: { ...mock, callMs: 0 } },
            crm: service,
          },
        },
      })),
  );
  try {
    const args = ledger === "postgres"
      ? ["run", "--contacts", "contacts.csv", "--config", "config.json"]
      : ["run", "--contacts", "contacts.csv", "--config", "config.json", "--db", "data/l.db"];
    const results = await Promise.all(
      workspaces.map((ws) =>
        finished(spawnMain(args, ws.at({ env: { AGENT_DATABASE_URL: url } })))
      ),
    );
    let longest = 0;
    for (const result of results) {
      if (result.code !== 0) throw new Error(`run exited ${result.code}: ${result.stderr}`);
      const seconds = Number(/ in (\d+(?:\.\d+)?)s$/m.exec(result.stdout)?.[1]);
      longest = Math.max(longest, seconds);
    }
    return Math.round(contacts / longest);
  } finally {
    for (const ws of workspaces) await ws[Symbol.asyncDispose]();
  }
}

/**
 * Requests the agents sent PostgreSQL per contact of the campaign (start-up, loading and the
 * end included), in a run of its own through a proxy that counts them: a run through the proxy
 * is slower, so its rate is not the one given.
 */
async function roundTrips(processes: number, testCase: Case): Promise<number> {
  const target = new URL(pg.url);
  await using proxy = countRoundTrips({ hostname: target.hostname, port: Number(target.port) });
  await campaign("postgres", processes, testCase, proxy.port);
  return Number((proxy.requests() / testCase.contacts).toFixed(2));
}

try {
  for (const testCase of cases) {
    const baseline = await campaign("sqlite", 1, testCase);
    const rows: Record<string, unknown>[] = [{
      ledger: "sqlite",
      processes: 1,
      contactsPerSecond: baseline,
      ratio: 1,
    }];
    for (const processes of [1, 2, 4]) {
      const rate = await campaign("postgres", processes, testCase);
      rows.push({
        ledger: "postgres",
        processes,
        contactsPerSecond: rate,
        ratio: Number((rate / baseline).toFixed(2)),
        roundTripsPerContact: await roundTrips(processes, testCase),
      });
    }
    console.log(
      `${testCase.contacts} contacts, mock services ${testCase.latencyMs} ms per call, concurrency ${testCase.concurrency} per process:`,
    );
    console.table(rows);
  }
} finally {
  await pg[Symbol.asyncDispose]();
}
