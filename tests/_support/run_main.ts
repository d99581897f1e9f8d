import { finished, spawnMain, type SpawnOptions } from "./spawn_main.ts";

/** Runs `main.ts` in a subprocess, as a user would, and collects its output. */
export function runMain(
  args: string[],
  options: SpawnOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return finished(spawnMain(args, options));
}

/**
 * A temporary folder to run in, with a config file whose logs go to `logs/` inside it (where
 * the tasks may write). Run with `cwd: dir`.
 */
export async function tempConfig(
  override: Record<string, unknown> = {},
): Promise<{ dir: string; path: string; logFile: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "ai-call-agent-test-" });
  const path = `${dir}/config.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({ logging: { filePath: "logs/agent.jsonl" }, ...override }),
  );
  return {
    dir,
    path,
    logFile: `${dir}/logs/agent.jsonl`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
