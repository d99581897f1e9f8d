/** A folder to run `main.ts run` in as a user would: the contacts file, the config, and the
 * arguments that point at them (the ledger under ./data, which the start task may write). */
export interface RunWorkspace extends AsyncDisposable {
  dir: string;
  /** The ledger, where `run` writes it. */
  db: string;
  /** `run --contacts contacts.csv --db data/ledger.db --config config.json`, then `extra`. */
  args(...extra: string[]): string[];
  /** Spawn options that run in the workspace: the task's write permissions are relative to it. */
  at(options?: { env?: Record<string, string> }): { env?: Record<string, string>; cwd: string };
}

/** The arguments of `run` on a workspace's files: the contacts, the ledger under ./data (which
 * the start task may write), the config. */
export const runArgs: readonly string[] = [
  "run",
  "--contacts",
  "contacts.csv",
  "--db",
  "data/ledger.db",
  "--config",
  "config.json",
];

/** `n` contact rows, ids `c0`..., each with its own valid phone number. */
export function contactRows(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `c${i},Person ${i},+1415${5551000 + i}`);
}

/**
 * Writes `contacts.csv` (`header`, then `rows`) and `config.json` (logs to `logs/agent.jsonl`,
 * status server on any free port, then `config` over them) in a new folder.
 */
export async function runWorkspace(options: {
  prefix?: string;
  rows: string[];
  header?: string;
  config?: Record<string, unknown>;
}): Promise<RunWorkspace> {
  const dir = await Deno.makeTempDir({ prefix: options.prefix ?? "run-" });
  await Deno.writeTextFile(
    `${dir}/contacts.csv`,
    [options.header ?? "id,name,phone", ...options.rows].join("\n") + "\n",
  );
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({
      logging: { filePath: "logs/agent.jsonl" },
      server: { port: 0 },
      ...options.config,
    }),
  );
  return {
    dir,
    db: `${dir}/data/ledger.db`,
    args: (...extra) => [...runArgs, ...extra],
    at: (spawn = {}) => ({ ...spawn, cwd: dir }),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
