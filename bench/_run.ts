import { taskFlags } from "../tests/_support/task_flags.ts";
import { runArgs } from "../tests/_support/run_workspace.ts";
import { phoneNumber } from "../tests/_support/phone_numbers.ts";

const main = new URL("../main.ts", import.meta.url).pathname;

/** `deno run` of `main.ts run` as the `start` task runs it (its permissions and V8 heap), on a
 * workspace's files, then `extra`. */
export function startRunArgs(...extra: string[]): string[] {
  return ["run", ...taskFlags("start"), main, ...runArgs, ...extra];
}

/**
 * A new folder holding `contacts.csv` (`rows` generated contacts, after `firstRow` if given),
 * written in chunks so a million rows never sit in memory, and `config.json` (logs on, any port).
 */
export async function generatedWorkspace(
  prefix: string,
  rows: number,
  firstRow?: string,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  const file = await Deno.open(`${dir}/contacts.csv`, { write: true, create: true });
  const encoder = new TextEncoder();
  await file.write(encoder.encode(`id,name,phone,company\n${firstRow ? firstRow + "\n" : ""}`));
  for (let start = 0; start < rows; start += 10_000) {
    let chunk = "";
    for (let i = start; i < Math.min(rows, start + 10_000); i++) {
      chunk += `c${i},Contact ${i},${phoneNumber(i)},Company ${i % 97}\n`;
    }
    await file.write(encoder.encode(chunk));
  }
  file.close();
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ logging: { filePath: "logs/agent.jsonl" }, server: { port: 0 } }),
  );
  return dir;
}

/**
 * The campaign rate of `run` (contacts per second, from its summary line; the load is not
 * counted) on `rows` generated contacts with mock services and the JSON log file on, the ledger
 * at `db`, started as the `start` task starts it in a folder of its own, and `env` added to its
 * environment.
 */
export async function campaignRate(
  rows: number,
  db: string,
  env: Record<string, string> = {},
): Promise<{ db: string; contactsPerSecond: number }> {
  const dir = await generatedWorkspace("campaign-rate-", rows);
  try {
    const args = startRunArgs().map((arg) => arg === "data/ledger.db" ? db : arg);
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: dir,
      env,
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    const summary = new TextDecoder().decode(stdout);
    const seconds = Number(/ in ([\d.]+)s/.exec(summary)?.[1]);
    if (code !== 0 || !Number.isFinite(seconds)) throw new Error(`run ${db} failed: ${summary}`);
    return { db, contactsPerSecond: Math.round(rows / seconds) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
