import assert from "node:assert/strict";
import { type CliIo, ExitCode, runCli } from "../../src/cli/mod.ts";
import { version } from "../../src/version.ts";

function fakeIo(
  files: Record<string, string> = {},
  env: Record<string, string> = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readTextFile: (path) =>
      path in files ? Promise.resolve(files[path]) : Promise.reject(new Deno.errors.NotFound(path)),
    configureLogging: () => Promise.resolve(),
    isTerminal: false,
    env: (name) => env[name],
    fetch: () => Promise.reject(new Error("no network in this test")),
    writeFile: () => Promise.resolve(),
    openFile: (path) =>
      path in files
        ? Promise.resolve(
          ReadableStream.from([new TextEncoder().encode(files[path])]),
        )
        : Promise.reject(new Deno.errors.NotFound(path)),
    statFile: (path) =>
      path in files
        ? Promise.resolve({ size: files[path].length, mtimeMs: 0 })
        : Promise.reject(new Deno.errors.NotFound(path)),
    mkdir: () => Promise.resolve(),
    onShutdownSignal: () => ({ [Symbol.dispose]: () => {} }),
    serve: () => Promise.reject(new Error("no server in this test")),
    errRaw: () => {},
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

Deno.test("no command is bad usage: the help goes to stderr and the exit code is 2", async () => {
  const { io, out, err } = fakeIo();
  assert.equal(await runCli([], io), ExitCode.usage);
  assert.deepEqual(out, []);
  assert.match(err.join("\n"), /Usage: ai-call-agent <command>/);
});

Deno.test("an empty --campaign, --db or --config is a usage error naming the flag", async () => {
  for (const flag of ["--campaign", "--db", "--config"]) {
    const { io, err } = fakeIo({ "c.csv": "id,name,phone\n" });
    assert.equal(
      await runCli(["run", "--contacts", "c.csv", flag, ""], io),
      ExitCode.usage,
    );
    assert.match(err.join("\n"), new RegExp(`${flag} must not be empty`));
  }
});

Deno.test("an unknown command or flag exits 2 with a message", async () => {
  const a = fakeIo();
  assert.equal(await runCli(["dance"], a.io), ExitCode.usage);
  assert.match(a.err[0], /unknown command "dance"/);
  const b = fakeIo();
  assert.equal(await runCli(["simulate", "--sede", "1"], b.io), ExitCode.usage);
  assert.match(b.err.join("\n"), /--sede/);
  const c = fakeIo();
  assert.equal(
    await runCli(["simulate", "--seed", "abc"], c.io),
    ExitCode.usage,
  );
  assert.match(c.err.join("\n"), /--seed must be an integer: got "abc"/);
});

Deno.test("simulate --help describes its options", async () => {
  const { io, out } = fakeIo();
  assert.equal(await runCli(["simulate", "--help"], io), ExitCode.ok);
  assert.match(out.join("\n"), /--realtime/);
});

Deno.test("a missing config file exits 2 naming it", async () => {
  const { io, err } = fakeIo();
  assert.equal(
    await runCli(["simulate", "--config", "nope.json"], io),
    ExitCode.usage,
  );
  assert.match(err.join("\n"), /--config nope\.json: file not found/);
});

Deno.test("simulate runs in-process on the virtual clock and exits 0", async () => {
  const { io, out } = fakeIo({
    "c.json": JSON.stringify({ logging: { filePath: "" } }),
  });
  assert.equal(
    await runCli(["simulate", "--config", "c.json", "--json"], io),
    ExitCode.ok,
  );
  const last = JSON.parse(out.at(-1)!);
  assert.equal(last.type, "summary");
  assert.equal(last.completed, 10);
});

Deno.test("check-config prints the effective config and which secrets are set, never their values", async () => {
  const files = {
    "real.json": JSON.stringify({
      services: { llm: { kind: "openai" }, tts: { kind: "elevenlabs" } },
    }),
  };
  const { io, out } = fakeIo(files, {
    OPENAI_API_KEY: "sk-canary-9",
    ELEVENLABS_API_KEY: "xi-canary-9",
  });
  assert.equal(
    await runCli(["check-config", "--config", "real.json"], io),
    ExitCode.ok,
  );
  const printed = out.join("\n");
  assert.deepEqual(JSON.parse(printed).environment, {
    OPENAI_API_KEY: "set",
    ELEVENLABS_API_KEY: "set",
    AGENT_ADMIN_TOKEN: "missing",
  });
  assert.doesNotMatch(printed, /canary/);
});

Deno.test("a real service without its key exits 2 naming the variable", async () => {
  const files = {
    "real.json": JSON.stringify({
      services: { llm: { kind: "openai" }, crm: { kind: "hubspot" } },
    }),
  };
  const { io, err } = fakeIo(files);
  assert.equal(
    await runCli(["check-config", "--config", "real.json"], io),
    ExitCode.usage,
  );
  const message = err.join("\n");
  assert.match(
    message,
    /services\.llm\.openai\.apiKeyEnv: environment variable OPENAI_API_KEY is not set/,
  );
  assert.match(
    message,
    /services\.crm\.hubspot\.tokenEnv: environment variable HUBSPOT_TOKEN is not set/,
  );
});

Deno.test("the second vendors need their own keys: anthropic and openai speech name their variables", async () => {
  const files = {
    "second.json": JSON.stringify({
      services: { llm: { kind: "anthropic" }, tts: { kind: "openai" } },
    }),
  };
  const missing = fakeIo(files);
  assert.equal(
    await runCli(["check-config", "--config", "second.json"], missing.io),
    ExitCode.usage,
  );
  const message = missing.err.join("\n");
  assert.match(
    message,
    /services\.llm\.anthropic\.apiKeyEnv: environment variable ANTHROPIC_API_KEY is not set/,
  );
  assert.match(
    message,
    /services\.tts\.openai\.apiKeyEnv: environment variable OPENAI_API_KEY is not set/,
  );
  const set = fakeIo(files, { ANTHROPIC_API_KEY: "sk-ant-canary", OPENAI_API_KEY: "sk-canary" });
  assert.equal(await runCli(["check-config", "--config", "second.json"], set.io), ExitCode.ok);
  const printed = set.out.join("\n");
  assert.deepEqual(JSON.parse(printed).environment, {
    ANTHROPIC_API_KEY: "set",
    OPENAI_API_KEY: "set",
    AGENT_ADMIN_TOKEN: "missing",
  });
  assert.doesNotMatch(printed, /canary/);
});

Deno.test("an OpenAI speech format it does not make is a config error naming the field", async () => {
  const files = {
    "f.json": JSON.stringify({
      services: { tts: { kind: "openai", openai: { responseFormat: "ulaw" } } },
    }),
  };
  const { io, err } = fakeIo(files, { OPENAI_API_KEY: "sk-x" });
  assert.equal(await runCli(["check-config", "--config", "f.json"], io), ExitCode.usage);
  assert.match(
    err.join("\n"),
    /services\.tts\.openai\.responseFormat: must be mp3, opus, aac, flac, wav or pcm/,
  );
});

Deno.test("check-config with defaults needs no secret: every service is a mock", async () => {
  const { io } = fakeIo();
  assert.equal(await runCli(["check-config"], io), ExitCode.ok);
});

Deno.test("a webhook CRM without a URL is a config error naming the field", async () => {
  const files = {
    "w.json": JSON.stringify({ services: { crm: { kind: "webhook" } } }),
  };
  const { io, err } = fakeIo(files);
  assert.equal(
    await runCli(["check-config", "--config", "w.json"], io),
    ExitCode.usage,
  );
  assert.match(
    err.join("\n"),
    /services\.crm\.webhook\.url: must be the receiver's http:\/\/ or https:\/\/ URL when kind is webhook/,
  );
});

Deno.test("every command has --help, and the main help lists them all", async () => {
  const main = fakeIo();
  await runCli(["--help"], main.io);
  for (const command of ["run", "simulate", "check-config"]) {
    assert.match(main.out.join("\n"), new RegExp(`\\b${command}\\b`));
    const { io, out } = fakeIo();
    assert.equal(await runCli([command, "--help"], io), ExitCode.ok);
    assert.match(out.join("\n"), new RegExp(`Usage: ai-call-agent ${command}`));
  }
});

Deno.test("run validates its flags before touching anything", async () => {
  const { io, err } = fakeIo();
  assert.equal(
    await runCli(["run", "--contacts", "x.csv", "--port", "70000"], io),
    ExitCode.usage,
  );
  assert.match(
    err.join("\n"),
    /--port must be an integer from 0 to 65535: got "70000"/,
  );
});

Deno.test("check-config lists missing alert-channel and Sheets secrets by path", async () => {
  const files = {
    "a.json": JSON.stringify({
      alerts: {
        channels: {
          ops: { kind: "telegram", chatId: "-1" },
          mail: { kind: "resend", from: "a@x.io", to: ["b@x.io"] },
        },
      },
      sheets: { enabled: true, spreadsheetId: "abc" },
    }),
  };
  const { io, err } = fakeIo(files);
  assert.equal(
    await runCli(["check-config", "--config", "a.json"], io),
    ExitCode.usage,
  );
  const message = err.join("\n");
  assert.match(
    message,
    /alerts\.channels\.ops\.tokenEnv: environment variable TELEGRAM_BOT_TOKEN is not set/,
  );
  assert.match(
    message,
    /alerts\.channels\.mail\.apiKeyEnv: environment variable RESEND_API_KEY is not set/,
  );
  assert.match(
    message,
    /sheets\.keyEnv: environment variable GOOGLE_SERVICE_ACCOUNT_JSON is not set/,
  );
});

Deno.test("text from a contacts file is printed with its control characters escaped", async () => {
  const { printable } = await import("../../src/cli/printable.ts");
  assert.equal(
    printable("a\x1b]0;pwned\x07b\u0000c\td"),
    "a\\u001b]0;pwned\\u0007b\\u0000c\td",
  );
});
