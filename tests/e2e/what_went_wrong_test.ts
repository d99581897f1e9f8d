/**
 * What the agent tells its operator when something goes wrong, tried as an operator would,
 * against fake providers over sockets: the provider's own words in the log and the alerts (a
 * secret among them redacted), a Sheets outage seen within seconds and alerted within the
 * configured time, an exit that does not wait out a Sheets retry schedule, and a CRM failing
 * after a finished call that never makes the call step look for the call again.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import {
  type FakeSheetsServer,
  startFakeElevenLabs,
  startFakeSheets,
} from "../../src/fake_providers/mod.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { readStatusUrl, waitForCounts } from "../_support/run_status.ts";
import { endChild, finished, spawnMain } from "../_support/spawn_main.ts";
import { eventsOfType } from "../_support/events_of_type.ts";
import { httpAgent } from "../_support/http_agent.ts";
import { twilioAccount } from "../_support/fake_services_config.ts";

/** The JSON log's lines: time, message, and properties. */
async function logLines(dir: string) {
  return (await Deno.readTextFile(`${dir}/logs/agent.jsonl`)).split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) =>
      JSON.parse(line) as {
        "@timestamp": string;
        level: string;
        message: string;
        properties: Record<string, unknown>;
      }
    );
}

const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const googleKey = JSON.stringify({
  client_email: "agent@p.iam.gserviceaccount.com",
  private_key: privateKey,
});

/** `sheets` pointing at a fake Sheets, with the rest of `extra` over it. */
const sheetsAt = (fake: FakeSheetsServer, extra: Record<string, unknown> = {}) => ({
  enabled: true,
  spreadsheetId: "sheet-1",
  baseUrl: fake.url,
  tokenUrl: fake.tokenUrl,
  ...extra,
});

Deno.test("ElevenLabs' own words, not a class name, reach the log, stderr and the alert; the key it echoes does not", async () => {
  const canary = "el-canary-key-9f3";
  await using tts = startFakeElevenLabs({
    apiKey: canary,
    faults: [{
      status: 401,
      body: {
        detail: {
          status: "invalid_api_key",
          message: `Invalid API key ${canary}: the key was revoked on 2026-11-30`,
        },
      },
    }],
  });
  await using ws = await runWorkspace({
    prefix: "wrong-words-",
    rows: contactRows(3),
    config: {
      processor: { recoveryWaitMs: 0 },
      alerts: { groupWaitMs: 0 },
      services: {
        tts: { kind: "elevenlabs", elevenlabs: { baseUrl: tts.url, apiKeyEnv: "T_TTS" } },
      },
    },
  });
  const { code, stdout, stderr } = await finished(
    spawnMain(ws.args(), ws.at({ env: { T_TTS: canary } })),
  );
  assert.equal(code, 1, stderr);
  const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
  const words = /HTTP 401 invalid_api_key: Invalid API key \[REDACTED\]: the key was revoked/;
  assert.match(log, words, "the breaker's opening says what ElevenLabs said");
  assert.match(stderr, words, "and so does stderr");
  const alert = (await logLines(ws.dir)).find((line) =>
    line.message.startsWith("ALERT") && /circuit breaker opened/.test(line.message)
  );
  assert.match(String(alert?.properties.details), words, "and the alert's details");
  for (const text of [log, stderr, stdout]) assert.ok(!text.includes(canary), "no key anywhere");
});

Deno.test("a Sheets outage is in the log at its first failed append, in /status at once, alerted after stalledAfterMs, and resolved when rows flow again", async () => {
  await using sheets = startFakeSheets({ publicKey });
  await using ws = await runWorkspace({
    prefix: "sheets-outage-",
    rows: contactRows(200),
    config: {
      processor: { concurrency: 2 },
      alerts: { groupWaitMs: 0 },
      services: { llm: { mock: { latencyMs: 60, faults: [] } } },
      // Under Google's 60 writes a minute for the whole run: a quota spent early would hold
      // the last rows past the exit.
      sheets: sheetsAt(sheets, {
        flushIntervalMs: 400,
        batchRows: 20,
        maxWritesPerMinute: 60,
        stalledAfterMs: 1_000,
        retry: { initialDelayMs: 200, maxDelayMs: 400, jitterMs: 0 },
        breaker: { recoveryTimeoutMs: 300 },
      }),
    },
  });
  const child = spawnMain(ws.args(), ws.at({ env: { GOOGLE_SERVICE_ACCOUNT_JSON: googleKey } }));
  const stdout = new Response(child.stdout).text();
  let stderr: Promise<string> | undefined;
  let outageEnded = 0;
  try {
    const status = await readStatusUrl(child);
    stderr = status.stderr;
    await waitForCounts(status.url, (counts) => counts.completed >= 10);
    const down = sheets.outage({ fail: "unavailable" });
    // Seen at once: /status says Sheets is failing long before a retry schedule gives up.
    const sheetsStatus = async () =>
      ((await (await fetch(`${status.url}/status`)).json()) as {
        sheets: { delivery: string; lastError: string | null };
      }).sheets;
    let seen = await sheetsStatus();
    while (seen.delivery === "delivering") seen = await sheetsStatus();
    assert.match(seen.lastError ?? "", /HTTP 503/);
    while ((await sheetsStatus()).delivery !== "stalled") {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    down[Symbol.dispose]();
    outageEnded = Date.now();
    assert.equal((await child.status).code, 0, await stdout);
  } finally {
    await endChild(child, stdout, stderr);
  }
  const lines = await logLines(ws.dir);
  const at = (pattern: RegExp) => {
    const line = lines.find((l) => pattern.test(l.message));
    assert.ok(line, `a log line ${pattern}`);
    return Date.parse(line["@timestamp"]);
  };
  const firstFailure = at(
    /Sheets log: an append failed \(ServiceUnavailableError: sheets: HTTP 503/,
  );
  const stalled = at(/Sheets log: no append has gone through for 1 s/);
  const alerted = at(/ALERT firing \[warning\] Google Sheets log cannot deliver rows: .*HTTP 503/);
  const resumed = at(/Sheets log delivers again/);
  const resolved = at(/ALERT resolved .*Google Sheets log delivers again/);
  assert.ok(firstFailure <= stalled && stalled <= alerted, "failing, then stalled and alerted");
  assert.ok(alerted < outageEnded, "alerted while Sheets was still down");
  assert.ok(resumed >= outageEnded && resolved >= resumed, "resolved once rows flowed again");
  assert.equal(
    new Set(sheets.rows.map((row) => row[0])).size,
    200,
    "every contact's row arrived once after the outage",
  );
});

Deno.test("run does not wait out the Sheets retry schedule at exit: what is not sent waits in the ledger (exit 3)", async () => {
  await using sheets = startFakeSheets({ publicKey, faults: [{ fail: "unavailable" }] });
  await using ws = await runWorkspace({
    prefix: "bounded-exit-",
    rows: contactRows(3),
    config: {
      processor: { exitFlushMs: 300 },
      // A schedule of five attempts over 75 s, were it waited for.
      sheets: sheetsAt(sheets, {
        flushIntervalMs: 60_000,
        retry: { maxRetries: 4, initialDelayMs: 5_000, maxDelayMs: 40_000 },
      }),
    },
  });
  const { code, stdout, stderr } = await finished(
    spawnMain(ws.args(), ws.at({ env: { GOOGLE_SERVICE_ACCOUNT_JSON: googleKey } })),
  );
  assert.equal(code, 3, stderr);
  assert.match(stdout, /3 completed, .*3 Sheets row\(s\) waiting/);
  const appends = sheets.requests.filter((r) => r.method === "POST" && r.path.includes(":append"));
  assert.equal(appends.length, 1, "one attempt, not the whole schedule");
});

Deno.test("a CRM failing after the call ended: the call is not looked for, read or dialled again", async () => {
  await using t = httpAgent(
    {},
    {
      processor: { concurrency: 1 },
      breaker: { recoveryTimeoutMs: 200 },
      retry: { maxRetries: 1, initialDelayMs: 20, maxDelayMs: 50, jitterMs: 0 },
    },
    { ringMs: 0, talkMs: 0 },
  );
  const down = t.fakes.crm.outage({ fail: "unavailable" });
  setTimeout(() => down[Symbol.dispose](), 1_500);
  const { summary, records } = await t.runCampaign(2);
  assert.equal(summary.completed, 2);
  const twilio = t.fakes.telephony!;
  const calls = `/2010-04-01/Accounts/${twilioAccount.accountSid}/Calls`;
  assert.equal(twilio.count(`${calls}.json`, "POST"), 2, "one create per contact");
  assert.equal(twilio.count(`${calls}.json`, "GET"), 0, "no list read");
  assert.equal(twilio.count(`${calls}/`, "GET"), 0, "no call read");
  for (const record of records) assert.equal(record.attempts.call, 1);
  assert.equal(eventsOfType(t.events, "call-adopted").length, 0);
  assert.ok(t.fakes.crm.requests.some((r) => r.result !== "ok"), "the CRM did fail");
});
