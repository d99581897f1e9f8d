/** The Sheets log through an outage: said once, shown in /status and /metrics, paced, in step. */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { createAgent } from "../../src/agent/mod.ts";
import { MemoryAlertChannel } from "../../src/alerts/mod.ts";
import { seededRandom, VirtualClock } from "../../src/clock/mod.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { InMemoryCampaignStore, InMemoryOutbox } from "../../src/ledger/mod.ts";
import { createStatusApp } from "../../src/server/mod.ts";
import { createMockServices } from "../../src/services/mod.ts";
import { createSheetsSink, type SheetRow, SheetsLogSink } from "../../src/sheets/mod.ts";
import { contacts } from "../_support/agent.ts";
import { json, stubFetch } from "../_support/stub_fetch.ts";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const keyJson = JSON.stringify({
  client_email: "agent@p.iam.gserviceaccount.com",
  private_key: privateKey,
});

/** Google answering 503 to every append before `healthyAt` (virtual time), 200 after. */
function sheetsFetch(clock: VirtualClock, healthyAt: number, tokenDelayMs = 0) {
  const appends: number[] = [];
  const stub = stubFetch((request) => {
    if (request.url.includes("oauth2")) {
      return json({ access_token: "ya29.t", expires_in: 3600 });
    }
    if (request.method === "GET") return json({ values: [] });
    if (clock.now() < healthyAt) {
      return json({
        error: { code: 503, message: "unavailable", status: "UNAVAILABLE" },
      }, 503);
    }
    appends.push(clock.now());
    return json({ updates: {} });
  });
  // The stub reads request bodies for real: the virtual clock waits for that (tracked I/O),
  // then the token endpoint's own delay runs on the clock.
  const tracked: typeof fetch = async (input, init) => {
    const response = await clock.trackIo(stub(input, init));
    if (tokenDelayMs > 0 && String(input).includes("oauth2")) {
      await clock.sleep(tokenDelayMs);
    }
    return response;
  };
  return Object.assign(tracked, { appends, requests: stub.requests });
}

const sheetsConfig = (extra: Record<string, unknown> = {}) =>
  parseConfig({
    sheets: { enabled: true, spreadsheetId: "sheet-1", ...extra },
    processor: { concurrency: 1 },
    services: { llm: { mock: { latencyMs: 500, faults: [] } } },
  });

Deno.test("a Sheets outage raises one warning, resolved once rows go out; one log line per change; seen in /status and /metrics", async () => {
  const clock = new VirtualClock();
  const config = sheetsConfig({ flushIntervalMs: 1_000, batchRows: 5 });
  const fetch = sheetsFetch(clock, 150_000);
  const store = new InMemoryCampaignStore();
  const sheets = await createSheetsSink(config, {
    clock,
    random: seededRandom(1),
    fetch,
    outbox: store.outbox,
    env: (
      name,
    ) => (name === "GOOGLE_SERVICE_ACCOUNT_JSON" ? keyJson : undefined),
    readTextFile: () => Promise.reject(new Error("no file")),
  });
  const memory = new MemoryAlertChannel("ops");
  const agent = createAgent(
    parseConfig({
      ...config,
      alerts: {
        routes: {
          critical: ["*"],
          error: ["*"],
          warning: ["*"],
          info: ["log"],
        },
      },
    }),
    {
      clock,
      random: seededRandom(1),
      services: createMockServices({ llm: { latencyMs: 500 } }, { clock }),
      store,
      sheets,
      alertChannels: [memory],
    },
  );
  await using _ = agent;
  using status = createStatusApp({ agent, clock, version: "t" });
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record) => records.push(record) },
    loggers: [{
      category: ["ai-call-agent", "sheets"],
      sinks: ["memory"],
      lowestLevel: "info",
    }],
  });
  let during: { status: Record<string, unknown>; metrics: string } | undefined;
  try {
    await store.ensureCampaign(config.campaign.name, 0);
    await store.addContacts(config.campaign.name, contacts(60), 0);
    await clock.run(async () => {
      agent.start();
      await agent.runner.run();
      // A whole retry schedule (5 s to 40 s) fails by about 76 s; the breaker then opens.
      await clock.sleep(100_000 - clock.now());
      during = {
        status: await (await status.app.request("/status")).json(),
        metrics: await (await status.app.request("/metrics")).text(),
      };
      await clock.sleep(150_000); // Sheets is back at 150 s; the backlog drains
      await agent.stop();
    });
  } finally {
    await reset();
  }
  const sent = memory.sent.filter((a) => a.key === "sheets-unavailable");
  assert.deepEqual(sent.map((a) => a.status), ["firing", "resolved"]);
  assert.equal(
    sent[1].details,
    undefined,
    "the resolve does not repeat what was wrong",
  );
  // One line when the first append fails, one when the outage stalls, one when rows flow.
  const lines = records.map((r) => String(r.message.join("")));
  assert.equal(lines.filter((l) => /an append failed/.test(l)).length, 1, lines.join("\n"));
  assert.equal(lines.filter((l) => /no append has gone through/.test(l)).length, 1);
  assert.equal(lines.filter((l) => /delivers again/.test(l)).length, 1);
  assert.match(lines.join("\n"), /HTTP 503 UNAVAILABLE/, "Google's own words");
  const sheetsStatus = during!.status.sheets as {
    breaker: string;
    pending: number;
    delivery: string;
    lastError: string;
  };
  assert.ok(sheetsStatus.pending > 0, "the backlog shows in /status");
  assert.equal(sheetsStatus.delivery, "stalled");
  assert.match(sheetsStatus.lastError, /HTTP 503/);
  assert.match(during!.metrics, /ai_call_agent_sink_delivering\{sink="sheets"\} 0/);
  assert.match(
    during!.metrics,
    /ai_call_agent_outbox_items\{queue="sheets"\} [1-9]/,
  );
  assert.match(
    during!.metrics,
    /ai_call_agent_sink_breaker_state\{sink="sheets"\} [0-2]/,
  );
  assert.equal(await sheets!.pending(), 0);
  assert.equal(fetch.appends.length > 0, true);
});

Deno.test("the Sheets log's own breaker lets its whole retry schedule run", async () => {
  // Defaults: 4 retries, 5 s to 60 s; the breaker opens only after 5 failures in a row.
  const clock = new VirtualClock();
  const config = sheetsConfig();
  const fetch = sheetsFetch(clock, 60_000);
  const outbox = new InMemoryOutbox();
  const sheets = (await createSheetsSink(config, {
    clock,
    random: seededRandom(1),
    fetch,
    outbox,
    env: () => keyJson,
    readTextFile: () => Promise.reject(new Error("no file")),
  }))!;
  await outbox.enqueue(
    SheetsLogSink.queue,
    [JSON.stringify({ rowId: "r1" })],
    0,
  );
  const opened: string[] = [];
  sheets.breaker.onStateChange((change) => opened.push(change.to));
  await clock.run(() => sheets.flush());
  assert.equal(fetch.appends.length, 1, "delivered by the last retry");
  assert.ok(
    clock.now() >= 60_000 && clock.now() < 120_000,
    `delivered at ${clock.now()}`,
  );
  assert.deepEqual(opened, [], "the breaker did not cut the schedule short");
});

Deno.test("no window of 60 s holds more appends than maxWritesPerMinute, a slow first token included", async () => {
  const clock = new VirtualClock();
  const config = sheetsConfig({ maxWritesPerMinute: 20, batchRows: 1 });
  const fetch = sheetsFetch(clock, 0, 1_000);
  const outbox = new InMemoryOutbox();
  const sheets = (await createSheetsSink(config, {
    clock,
    random: seededRandom(1),
    fetch,
    outbox,
    env: () => keyJson,
    readTextFile: () => Promise.reject(new Error("no file")),
  }))!;
  const rows: SheetRow[] = Array.from({ length: 45 }, (_, i) => ({
    rowId: `r${i}`,
    time: "",
    campaign: "c",
    contactId: `c${i}`,
    outcome: "completed",
    service: "",
    errorClass: "",
    attempts: 1,
    breakerState: "",
    detail: "",
    spend: 0,
  }));
  await outbox.enqueue(
    SheetsLogSink.queue,
    rows.map((r) => JSON.stringify(r)),
    0,
  );
  await clock.run(() => sheets.flush());
  assert.equal(fetch.appends.length, 45);
  for (const at of fetch.appends) {
    const inWindow = fetch.appends.filter((t) => t >= at && t < at + 60_000).length;
    assert.ok(inWindow <= 20, `${inWindow} appends in the minute from ${at}`);
  }
});
