/**
 * The flags a `deno.json` task gives `main.ts` (permissions and V8 flags, for `deno run` or
 * `deno compile`; not `--output`), so tests
 * and benchmarks start the agent exactly as a user's `deno task <name>` would: a task whose
 * permissions are too narrow for what README shows fails here first.
 */
export function taskFlags(task: string): string[] {
  const config = JSON.parse(
    Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)),
  ) as { tasks: Record<string, string> };
  const command = config.tasks[task];
  if (!command) throw new Error(`deno.json has no task "${task}"`);
  const words = command.split(/\s+/);
  const start = words.findIndex((word) => word === "run" || word === "compile") + 1;
  const flags = words.slice(start, words.indexOf("main.ts"));
  const output = flags.indexOf("--output");
  if (output >= 0) flags.splice(output, 2); // the caller says where its binary goes
  return flags;
}
