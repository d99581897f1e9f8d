import assert from "node:assert/strict";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { readStatusUrl } from "../_support/run_status.ts";
import { endChild, spawnMain } from "../_support/spawn_main.ts";

Deno.test("a running campaign serves its status over a real socket, obeys the admin token, and stops on Ctrl-C", async () => {
  await using ws = await runWorkspace({
    prefix: "run-server-",
    rows: contactRows(30),
    config: {
      processor: { concurrency: 2, shutdownGraceMs: 2_000 },
      services: { llm: { mock: { latencyMs: 200, faults: [] } } },
    },
  });
  const child = spawnMain(
    ws.args(),
    ws.at({ env: { AGENT_ADMIN_TOKEN: "op-token" } }),
  );
  const stdout = new Response(child.stdout).text();
  let drained: Promise<string> | undefined;
  try {
    const line = await readStatusUrl(child);
    drained = line.stderr;
    const base = line.url;
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      return { status: response.status, text: await response.text() };
    };
    assert.equal((await get("/healthz")).status, 200);
    assert.equal((await get("/readyz")).status, 200);
    assert.match(
      (await get("/metrics")).text,
      /ai_call_agent_breaker_state\{service="tts"\} 0/,
    );
    assert.match((await get("/")).text, /<title>ai-call-agent<\/title>/);
    const post = (path: string, token?: string) =>
      fetch(`${base}${path}`, {
        method: "POST",
        headers: token ? { authorization: `Bearer ${token}` } : {},
      })
        .then(async (r) => ({ status: r.status, body: await r.text() }));
    assert.equal((await post("/admin/breakers/tts/open")).status, 401);
    assert.equal(
      (await post("/admin/breakers/tts/open", "op-token")).status,
      200,
    );
    const notReady = await get("/readyz");
    assert.equal(notReady.status, 503);
    assert.match(notReady.text, /tts circuit breaker is OPEN/);
    assert.equal(
      (await post("/admin/breakers/tts/close", "op-token")).status,
      200,
    );
    assert.equal((await get("/readyz")).status, 200);
    // A body sent without a Content-Length (chunked), as curl and proxies may send it: the
    // route answers, and nothing is printed on stderr for it (see the end of the test).
    const chunked = await fetch(`${base}/admin/breakers/tts/reset`, {
      method: "POST",
      headers: { authorization: "Bearer op-token" },
      body: ReadableStream.from([new TextEncoder().encode("{}")]),
    });
    assert.equal(chunked.status, 200, await chunked.text());
    const huge = await fetch(`${base}/admin/breakers/tts/reset`, {
      method: "POST",
      headers: { authorization: "Bearer op-token" },
      body: ReadableStream.from([new Uint8Array(4096)]),
    });
    assert.equal(huge.status, 413, await huge.text());
    const status = JSON.parse((await get("/status")).text);
    assert.equal(status.campaign.name, "default");
    assert.equal(status.campaign.total, 30);
    // The process the ledger's lock names, so an operator can tell agents apart.
    assert.equal(status.process.pid, child.pid);
    const holder = JSON.parse(await Deno.readTextFile(`${ws.dir}/data/ledger.db.lock`));
    assert.deepEqual(status.process, { pid: holder.pid, host: holder.host });
    assert.match(
      (await get("/metrics")).text,
      new RegExp(
        `^ai_call_agent_info\\{version="[^"]+",pid="${child.pid}",host="[^"]+"\\} 1$`,
        "m",
      ),
    );
    child.kill("SIGINT");
    const { code } = await child.status;
    assert.equal(code, 130);
    assert.match(await stdout, /campaign default: \d+ completed/);
    const stderr = await drained;
    assert.doesNotMatch(stderr, /Deno\.serve|legacy|Warning/, "no runtime warning on stderr");
  } finally {
    await endChild(child, stdout, drained);
  }
});

Deno.test("however fast the services, the status endpoint answers and Ctrl-C acts during the run", async () => {
  // Zero-latency mocks and a synchronous ledger: work that never waits on anything would
  // keep the event loop from the server, the progress timer and the signal handler.
  await using ws = await runWorkspace({ prefix: "run-responsive-", rows: contactRows(40_000) });
  const child = spawnMain(
    ws.args(),
    ws.at(),
  );
  const stdout = new Response(child.stdout).text();
  let drained: Promise<string> | undefined;
  try {
    const line = await readStatusUrl(child);
    drained = line.stderr;
    let answered = 0;
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${line.url}/healthz`);
      if (response.ok) answered++;
      await response.body?.cancel();
    }
    assert.equal(
      answered,
      10,
      "every probe was answered while contacts were being worked",
    );
    child.kill("SIGINT");
    const { code } = await child.status;
    assert.equal(code, 130);
    const summary = await stdout;
    const processed = Number(/(\d+) completed/.exec(summary)?.[1]);
    assert.ok(
      processed < 40_000,
      `SIGINT acted during the run (${processed} completed)`,
    );
    assert.match(summary, /not yet processed/);
  } finally {
    await endChild(child, stdout, drained);
  }
});
