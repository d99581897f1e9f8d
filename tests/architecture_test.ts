/**
 * The shape of the code, checked: no import cycle between the folders of `src/`, and a folder
 * reaches another only through its `mod.ts`. Only `main.ts` and `src/platform/` call Deno's API. Read from `deno info --json` of the entry point,
 * so what is checked is the graph the binary is built from.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const src = new URL("src/", root).href;

async function moduleGraph(): Promise<{ from: string; to: string }[]> {
  const { stdout, success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(success, new TextDecoder().decode(stderr));
  const info = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
    }[];
  };
  const edges: { from: string; to: string }[] = [];
  for (const module of info.modules) {
    if (!module.specifier.startsWith(src)) continue;
    for (const dependency of module.dependencies ?? []) {
      const to = dependency.code?.specifier ?? dependency.type?.specifier;
      if (to?.startsWith(src)) edges.push({ from: module.specifier, to });
    }
  }
  return edges;
}

/** `agent` for `src/agent/create_agent.ts`; the file's name for files directly in `src/`. */
const folderOf = (specifier: string) => specifier.slice(src.length).split("/")[0];

Deno.test("no import cycle between the folders of src/", async () => {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of await moduleGraph()) {
    const [a, b] = [folderOf(from), folderOf(to)];
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
  }
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (node: string, path: string[]) => {
    state.set(node, "open");
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") {
        cycles.push([...path.slice(path.indexOf(next)), next].join(" -> "));
      } else if (!state.has(next)) {
        visit(next, [...path, next]);
      }
    }
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node, [node]);
  assert.deepEqual(cycles, []);
});

Deno.test("a folder of src/ reaches another only through its mod.ts", async () => {
  const sideDoors = (await moduleGraph())
    .filter(({ from, to }) =>
      folderOf(from) !== folderOf(to) && to.slice(src.length).includes("/") &&
      !to.endsWith("/mod.ts")
    )
    .map(({ from, to }) => `${from.slice(src.length)} imports ${to.slice(src.length)}`);
  assert.deepEqual(sideDoors, []);
});

Deno.test("only main.ts and src/platform/ speak Deno's API", async () => {
  const speakers: string[] = [];
  for (const { from } of await moduleGraph()) {
    const path = from.slice(src.length);
    if (path.startsWith("platform/") || speakers.includes(path)) continue;
    const code = (await Deno.readTextFile(new URL(from)))
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    if (/\bDeno\.\w/.test(code)) speakers.push(path);
  }
  assert.deepEqual(speakers, []);
});
