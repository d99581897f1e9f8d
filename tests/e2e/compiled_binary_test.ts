import assert from "node:assert/strict";
import { nameUnless } from "../_support/skip.ts";
import { taskFlags } from "../_support/task_flags.ts";

/**
 * Compiles the binary with `deno compile` and runs it. `deno compile` needs Deno's base
 * runtime (denort): from DENORT_BIN, or downloaded. Where neither works the test is skipped
 * with the reason printed.
 */
const root = new URL("../../", import.meta.url).pathname;
const output = `${Deno.makeTempDirSync({ prefix: "compiled-" })}/ai-call-agent`;

async function compile(): Promise<{ ok: boolean; reason: string }> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    // The compile task's own flags: the binary gets exactly the permissions users get.
    args: ["compile", ...taskFlags("compile"), "--output", output, "main.ts"],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  if (code === 0) return { ok: true, reason: "" };
  // The cause, without the backtrace Deno prints after it.
  const lines = text.split("\n").map((line) => line.trim()).filter((line) =>
    line && !/^Stack backtrace:|^\d+: <unknown>$/.test(line)
  );
  return { ok: false, reason: lines.slice(-2).join(" | ") };
}

const compiled = await compile();

async function run(args: string[], cwd: string) {
  const { code, stdout, stderr } = await new Deno.Command(output, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

Deno.test({
  name: nameUnless(
    "the compiled binary prints its version, checks its config and runs the simulation",
    compiled.ok
      ? undefined
      : `deno compile could not get its base runtime (set DENORT_BIN=/path/to/denort): ${compiled.reason}`,
  ),
  ignore: !compiled.ok,
  fn: async () => {
    const cwd = Deno.makeTempDirSync();
    const version = await run(["--version"], cwd);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
    const check = await run(["check-config"], cwd);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(
      JSON.parse(check.stdout).config.retry.maxRetries,
      3,
      "defaults are compiled in",
    );
    await Deno.writeTextFile(
      `${cwd}/override.json`,
      JSON.stringify({ retry: { maxRetries: -1 } }),
    );
    const bad = await run(["check-config", "--config", "override.json"], cwd);
    assert.equal(bad.code, 2, "the override file is read at run time");
    const simulation = await run(["simulate", "--json"], cwd);
    assert.equal(simulation.code, 0, simulation.stderr);
    const summary = simulation.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((e) =>
      e.type === "summary"
    );
    assert.equal(summary.completed, 10);
    await Deno.remove(cwd, { recursive: true });
  },
});

Deno.test("deno task compile without a base runtime says how to give it one, and leaves no empty dist/", async () => {
  const hadDist = await Deno.stat(`${root}dist`).then(() => true, () => false);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile"],
    cwd: root,
    env: { DENORT_BIN: "/nonexistent/denort", NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 1, text);
  assert.match(
    text,
    /the binary was not built\. .*DENORT_BIN=\/path\/to\/denort deno task compile/,
  );
  if (!hadDist) {
    assert.equal(
      await Deno.stat(`${root}dist`).then(() => true, () => false),
      false,
    );
  }
});
