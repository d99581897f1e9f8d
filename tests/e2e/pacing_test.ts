/**
 * Calls per second, as the provider counts them at arrival: four `run` processes on one
 * PostgreSQL campaign share one pace; and a calling window that closes while calls wait in the
 * provider's queue: those calls are canceled before they ring. Counted at the fake Twilio.
 */
import assert from "node:assert/strict";
import { startFakeTwilio, startFakeWebhookCrm } from "../../src/fake_providers/mod.ts";
import { twilioAccount, twilioTelephonyConfig } from "../_support/fake_services_config.ts";
import { freePort } from "../_support/free_port.ts";
import { postgresUnavailable, startPostgres } from "../_support/postgres.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { nameUnless } from "../_support/skip.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const missing = await postgresUnavailable();
const env = { T_TEL: twilioAccount.authToken, T_CRM: "crm-key" };

const crmConfig = (crm: { url: string }) => ({
  kind: "webhook",
  webhook: { url: `${crm.url}/outcomes`, healthUrl: `${crm.url}/health`, tokenEnv: "T_CRM" },
});

Deno.test({
  name: nameUnless(
    "four agents on one PostgreSQL campaign at callsPerSecond 2: no second at the fake Twilio holds more than 2 creates, over 200 calls",
    missing,
  ),
  ignore: missing !== undefined,
  async fn() {
    const pg = await startPostgres();
    if (typeof pg === "string") throw new Error(pg);
    await using _cluster = pg;
    await using twilio = startFakeTwilio({ ...twilioAccount, ringMs: 0, talkMs: 0 });
    await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
    const contacts = 200;
    const rows = contactRows(contacts);
    const workspaces = await Promise.all([0, 1, 2, 3].map(() =>
      runWorkspace({
        prefix: "pacing-",
        rows,
        config: {
          campaign: { name: "paced" },
          ledger: { kind: "postgres", leaseMs: 5_000 },
          processor: { concurrency: 8 },
          health: { intervalMs: 60_000, timeoutMs: 1_000 },
          services: {
            telephony: twilioTelephonyConfig(twilio, {
              callsPerSecond: 2,
              poll: { initialMs: 20, maxMs: 100, withCallbacksMs: 2_000 },
            }),
            crm: crmConfig(crm),
          },
        },
      })
    ));
    try {
      const ended = await Promise.all(workspaces.map((ws) =>
        finished(spawnMain(
          ["run", "--contacts", "contacts.csv", "--config", "config.json"],
          ws.at({ env: { ...env, AGENT_DATABASE_URL: pg.url } }),
        ))
      ));
      for (const { code, stderr } of ended) assert.equal(code, 0, stderr.slice(-2_000));
      const creates = twilio.requests
        .filter((r) => r.method === "POST" && r.path.endsWith("/Calls.json"))
        .map((r) => r.at)
        .sort((a, b) => a - b);
      assert.equal(creates.length, contacts, "one create per contact");
      // Any window of one second: the most creates it holds.
      let most = 0;
      for (let i = 0, j = 0; j < creates.length; j++) {
        while (creates[j] - creates[i] >= 1_000) i++;
        most = Math.max(most, j - i + 1);
      }
      assert.ok(most <= 2, `a one-second window held ${most} creates`);
      const agentsThatCalled = new Set(twilio.calls.map((call) => call.from)).size;
      assert.equal(agentsThatCalled, 1, "one caller number");
    } finally {
      for (const ws of workspaces) await ws[Symbol.asyncDispose]();
    }
  },
});

Deno.test("a window closing while calls wait in Twilio's queue: those calls are canceled before they ring, counted, and the contacts wait for the window", async () => {
  // Twilio places one call a second; the agent creates a hundred at once, so its queue runs
  // past the window's close (the next minute's start): the calls still queued then are
  // canceled.
  await using twilio = startFakeTwilio({
    ...twilioAccount,
    ringMs: 100,
    talkMs: 100,
    callsPerSecond: 1,
  });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  const now = new Date();
  const hhmm = (date: Date) =>
    `${String(date.getUTCHours()).padStart(2, "0")}:${
      String(date.getUTCMinutes()).padStart(2, "0")
    }`;
  // The window closes at the top of the next minute, at least 8 s away (time to start and
  // create the calls; else the next minute's).
  let close = new Date(Math.ceil((now.getTime() + 1) / 60_000) * 60_000);
  if (close.getTime() - now.getTime() < 8_000) close = new Date(close.getTime() + 60_000);
  const open = new Date(close.getTime() - 120_000);
  const port = freePort();
  await using ws = await runWorkspace({
    prefix: "window-close-",
    // Calling hours read in UTC for everyone (the numbers' own zone is Los Angeles').
    header: "id,name,phone,timezone",
    rows: contactRows(100).map((row) => `${row},UTC`),
    config: {
      campaign: {
        name: "closing",
        callWindow: { start: hhmm(open), end: hhmm(close), timezone: "UTC" },
      },
      processor: { concurrency: 50 },
      server: { port },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      services: {
        telephony: twilioTelephonyConfig(twilio, {
          poll: { initialMs: 100, maxMs: 500, withCallbacksMs: 2_000 },
        }),
        crm: crmConfig(crm),
      },
    },
  });
  const child = spawnMain(ws.args(), ws.at({ env }));
  // The run waits for the next window (tomorrow): stop it once the close has passed.
  const ended = finished(child);
  // While Twilio holds calls in its queue, /status says its calls per second hold them up.
  let status: { calls?: { providerCpsBottleneck?: boolean; note?: string } } = {};
  while (!status.calls?.providerCpsBottleneck && Date.now() < close.getTime()) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    status = await fetch(`http://127.0.0.1:${port}/status`).then((r) => r.json()).catch(() => ({}));
  }
  assert.equal(status.calls?.providerCpsBottleneck, true, JSON.stringify(status.calls));
  assert.match(status.calls?.note ?? "", /the account's calls per second are what holds calls up/);
  while (Date.now() < close.getTime() + 3_000) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill("SIGINT");
  const { code, stderr } = await ended;
  assert.equal(code, 130, stderr);
  const canceled = twilio.calls.filter((call) => call.endedBy?.status === "canceled");
  assert.ok(canceled.length > 0, "some calls were still queued at the close");
  for (const call of canceled) {
    assert.ok(call.endedBy!.at >= close.getTime(), "canceled at the close, not before");
    assert.ok(call.endedBy!.at < call.ringAt, "canceled before it rang");
  }
  const rang = twilio.calls.filter((call) => call.endedBy?.status !== "canceled");
  for (const call of rang) {
    assert.ok(
      call.ringAt < close.getTime(),
      `a call rang at ${new Date(call.ringAt).toISOString()}, after the close`,
    );
  }
  assert.ok(rang.length > 0, "the calls queued before the close rang");
  const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
  const told = log.split("\n").filter((line) => line.includes('"type":"call-canceled"'));
  assert.equal(told.length, canceled.length, "each cancel is counted in the log");
});
