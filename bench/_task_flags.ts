/**
 * The `deno run` flags a `deno.json` task gives `main.ts` (permissions and V8 flags), so a
 * benchmark starts the agent exactly as a user's `deno task start` would.
 */
export async function taskFlags(task: string): Promise<string[]> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  ) as { tasks: Record<string, string> };
  const command = config.tasks[task];
  if (!command) throw new Error(`deno.json has no task "${task}"`);
  const words = command.split(/\s+/);
  return words.slice(words.indexOf("run") + 1, words.indexOf("main.ts"));
}
