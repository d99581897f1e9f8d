import { taskFlags } from "./task_flags.ts";

/** How to start `main.ts`. */
export interface SpawnOptions {
  env?: Record<string, string>;
  /** The flags; default: the `deno.json` task a user runs the command with (`simulate` for
   * simulate, `start` for the rest). */
  permissions?: string[];
  /** Working folder: the tasks' write permissions are relative to it. */
  cwd?: string;
}

/** Starts `main.ts` as a child process, as a user's `deno task ...` would. */
export function spawnMain(
  args: string[],
  options: SpawnOptions = {},
): Deno.ChildProcess {
  const mainPath = new URL("../../main.ts", import.meta.url).pathname;
  const flags = options.permissions ??
    taskFlags(args[0] === "simulate" ? "simulate" : "start");
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, mainPath, ...args],
    cwd: options.cwd,
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
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/**
 * Ends a child a test started, however the test went: SIGKILL if it still runs, then waits for
 * it and for the readers of its output (the resource sanitizer).
 */
export async function endChild(
  child: Deno.ChildProcess,
  ...readers: (Promise<unknown> | undefined)[]
): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // already ended
  }
  await child.status;
  await Promise.all(readers.map((reader) => reader?.catch(() => {})));
}
