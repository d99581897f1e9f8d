/** Starts `main.ts` as a child process, for tests that signal or kill it. */
export function spawnMain(
  args: string[],
  options: { env?: Record<string, string>; permissions?: string[] } = {},
): Deno.ChildProcess {
  const mainPath = new URL("../../main.ts", import.meta.url).pathname;
  return new Deno.Command(Deno.execPath(), {
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
  }).spawn();
}

/** Waits for the child to end and returns its code and output. */
export async function finished(
  child: Deno.ChildProcess,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}
