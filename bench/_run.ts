import { taskFlags } from "../tests/_support/task_flags.ts";
import { runArgs as workspaceRunArgs, runWorkspace } from "../tests/_support/run_workspace.ts";

const main = new URL("../main.ts", import.meta.url).pathname;

/**
 * The campaign rate of `run` (contacts per second, from its summary line) on `rows` generated
 * contacts with mock services and the JSON log file on, the ledger at `db`, started with the
 * `start` task's flags in a folder of its own, and `env` added to its environment.
 */
export async function campaignRate(
  rows: number,
  db: string,
  env: Record<string, string> = {},
): Promise<{ db: string; contactsPerSecond: number }> {
  await using ws = await runWorkspace({
    prefix: "campaign-rate-",
    header: "id,name,phone,company",
    rows: Array.from(
      { length: rows },
      (_, i) => `c${i},Contact ${i},+1415${String(i).padStart(7, "0")},Company ${i % 97}`,
    ),
  });
  const args = ["run", ...taskFlags("start"), main, ...workspaceRunArgs].map((arg) =>
    arg === "data/ledger.db" ? db : arg
  );
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ws.dir,
    env,
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).output();
  const summary = new TextDecoder().decode(stdout);
  const seconds = Number(/ in ([\d.]+)s/.exec(summary)?.[1]);
  if (code !== 0 || !Number.isFinite(seconds)) throw new Error(`run ${db} failed: ${summary}`);
  return { db, contactsPerSecond: Math.round(rows / seconds) };
}
