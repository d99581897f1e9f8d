import { finished, spawnMain } from "./spawn_main.ts";

/** Runs `main.ts` in a subprocess, as a user would, and collects its output. */
export function runMain(
  args: string[],
  options: { permissions?: string[]; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return finished(spawnMain(args, options));
}

/** A config file in a temporary folder whose logs also go there. */
export async function tempConfig(
  override: Record<string, unknown> = {},
): Promise<{ dir: string; path: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "ai-call-agent-test-" });
  const path = `${dir}/config.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({ logging: { filePath: `${dir}/agent.jsonl` }, ...override }),
  );
  return {
    dir,
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
