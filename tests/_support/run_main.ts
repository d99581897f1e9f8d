/** Runs `main.ts` in a subprocess, as a user would, and collects its output. */
export async function runMain(
  args: string[],
  options: { permissions?: string[]; env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const mainPath = new URL("../../main.ts", import.meta.url).pathname;
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(options.permissions ??
        ["--allow-read", "--allow-write", "--allow-env", "--allow-net=127.0.0.1"]),
      mainPath,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
  });
  const { code, stdout, stderr } = await command.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
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
