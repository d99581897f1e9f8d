import assert from "node:assert/strict";
import { type CliIo, ExitCode, runCli } from "../../src/cli/mod.ts";
import { version } from "../../src/version.ts";

function fakeIo(files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readTextFile: (path) =>
      path in files ? Promise.resolve(files[path]) : Promise.reject(new Deno.errors.NotFound(path)),
    configureLogging: () => Promise.resolve(),
    isTerminal: false,
  };
  return { io, out, err };
}

Deno.test("--version prints the version", async () => {
  const { io, out } = fakeIo();
  assert.equal(await runCli(["--version"], io), ExitCode.ok);
  assert.deepEqual(out, [version]);
});

Deno.test("--help lists the commands and exit codes", async () => {
  const { io, out } = fakeIo();
  assert.equal(await runCli(["--help"], io), ExitCode.ok);
  assert.match(out.join("\n"), /simulate/);
  assert.match(out.join("\n"), /Exit codes/);
});

Deno.test("no command prints help and exits 2", async () => {
  const { io } = fakeIo();
  assert.equal(await runCli([], io), ExitCode.usage);
});

Deno.test("an unknown command or flag exits 2 with a message", async () => {
  const a = fakeIo();
  assert.equal(await runCli(["dance"], a.io), ExitCode.usage);
  assert.match(a.err[0], /unknown command "dance"/);
  const b = fakeIo();
  assert.equal(await runCli(["simulate", "--sede", "1"], b.io), ExitCode.usage);
  assert.match(b.err.join("\n"), /--sede/);
  const c = fakeIo();
  assert.equal(await runCli(["simulate", "--seed", "abc"], c.io), ExitCode.usage);
  assert.match(c.err.join("\n"), /--seed must be an integer: got "abc"/);
});

Deno.test("simulate --help describes its options", async () => {
  const { io, out } = fakeIo();
  assert.equal(await runCli(["simulate", "--help"], io), ExitCode.ok);
  assert.match(out.join("\n"), /--realtime/);
});

Deno.test("a missing config file exits 2 naming it", async () => {
  const { io, err } = fakeIo();
  assert.equal(await runCli(["simulate", "--config", "nope.json"], io), ExitCode.usage);
  assert.match(err.join("\n"), /--config nope\.json: file not found/);
});

Deno.test("simulate runs in-process on the virtual clock and exits 0", async () => {
  const { io, out } = fakeIo({ "c.json": JSON.stringify({ logging: { filePath: "" } }) });
  assert.equal(await runCli(["simulate", "--config", "c.json", "--json"], io), ExitCode.ok);
  const last = JSON.parse(out.at(-1)!);
  assert.equal(last.type, "summary");
  assert.equal(last.completed, 10);
});
