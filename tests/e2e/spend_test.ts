/**
 * What a campaign spent, as a user runs it: the fakes report usage and prices as the real
 * providers do (tokens in the body, ElevenLabs' character-cost, Twilio's price), and the spend
 * the agent records equals what the fakes billed, to the cent.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import {
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeSheets,
  startFakeTwilio,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { SqliteCampaignStore } from "../../src/ledger/mod.ts";
import { fakeServicesConfig, twilioAccount } from "../_support/fake_services_config.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const prices = {
  llm: { "gpt-4o-mini": { inputPerMillion: 150, outputPerMillion: 600 } },
  tts: { elevenlabs: { perThousandCharacters: 0.3 } },
  telephony: { twilio: { perMinute: 0.014 } },
};

const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const googleKey = JSON.stringify({
  client_email: "agent@p.iam.gserviceaccount.com",
  private_key: privateKey,
});

Deno.test("the campaign's recorded spend equals what the fakes billed, to the cent, in the CRM, the Sheets log and the summary", async () => {
  const contacts = 30;
  await using llm = startFakeOpenAi({
    apiKey: "llm-key",
    faults: [{ fail: "unavailable", calls: 2 }],
  });
  await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
  // Twilio's own price (0.02 a minute) is what counts, not the configured estimate (0.014).
  await using twilio = startFakeTwilio({
    ...twilioAccount,
    durationS: 65,
    pricePerMinute: 0.02,
  });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  await using sheets = startFakeSheets({ publicKey });
  await using ws = await runWorkspace({
    prefix: "spend-",
    rows: contactRows(contacts),
    config: {
      processor: { concurrency: 8 },
      retry: { initialDelayMs: 20, maxDelayMs: 50, jitterMs: 5 },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      pricing: prices,
      services: fakeServicesConfig({ llm, tts, crm, telephony: twilio }),
      sheets: {
        enabled: true,
        spreadsheetId: "sheet-1",
        baseUrl: sheets.url,
        tokenUrl: sheets.tokenUrl,
        flushIntervalMs: 50,
      },
    },
  });
  const done = await finished(spawnMain(
    ws.args(),
    ws.at({
      env: {
        T_LLM: "llm-key",
        T_TTS: "tts-key",
        T_TEL: twilioAccount.authToken,
        T_CRM: "crm-key",
        GOOGLE_SERVICE_ACCOUNT_JSON: googleKey,
      },
    }),
  ));
  assert.equal(done.code, 0, done.stderr);

  // What each fake billed, from what it answered.
  const llmBill = llm.requests.filter((r) => r.path === "/v1/chat/completions" && r.result === "ok")
    .length * (50 * 150 + 20 * 600) / 1_000_000;
  const ttsBill =
    tts.requests.filter((r) => r.path.startsWith("/v1/text-to-speech") && r.result === "ok")
      .reduce((sum, r) => sum + String((r.body as { text: string }).text).length, 0) * 0.3 / 1_000;
  const callBill = twilio.calls.length * Math.ceil(65 / 60) * 0.02;
  const billed = llmBill + ttsBill + callBill;

  const outcomes = [...crm.outcomes.values()] as { spend?: { total: number; call?: number } }[];
  assert.equal(outcomes.length, contacts);
  const recorded = outcomes.reduce((sum, o) => sum + (o.spend?.total ?? 0), 0);
  assert.ok(Math.abs(recorded - billed) < 0.005, `recorded ${recorded}, billed ${billed}`);
  assert.ok(
    outcomes.every((o) => Math.abs((o.spend?.call ?? 0) - 0.04) < 1e-9),
    "each call at Twilio's price: two started minutes at 0.02",
  );
  // The Sheets log's last column: what each contact cost.
  assert.equal(sheets.rows.length, contacts);
  const inSheet = sheets.rows.reduce((sum, row) => sum + Number(row.at(-1)), 0);
  assert.ok(Math.abs(inSheet - billed) < 0.005, `the sheet says ${inSheet}, billed ${billed}`);
  const summary = /spent (\d+\.\d+) USD \((\d+\.\d+) per completed contact\)/.exec(
    done.stdout + done.stderr,
  );
  assert.ok(summary, done.stdout + done.stderr);
  assert.ok(
    Math.abs(Number(summary[1]) - billed) < 0.005,
    `summary ${summary[1]}, billed ${billed}`,
  );
  assert.ok(Math.abs(Number(summary[2]) - billed / contacts) < 0.0001);
});

/** A script costs 0.07 here (50 input and 20 output tokens at 1,000 per million); speech at
 * the default price, the mock call nothing. */
const dearScripts = {
  llm: { "gpt-4o-mini": { inputPerMillion: 1_000, outputPerMillion: 1_000 } },
  tts: {},
  telephony: {},
};
const scriptCost = (50 + 20) * 1_000 / 1_000_000;

Deno.test("a campaign cap stops new work within the requests in flight, the rest wait as budget, and a raised cap lets them finish", async () => {
  const contacts = 40;
  const concurrency = 4;
  const cap = 0.7;
  await using llm = startFakeOpenAi({ apiKey: "llm-key" });
  await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  const config = (campaignCap: number) => ({
    processor: { concurrency, recoveryWaitMs: 200 },
    health: { intervalMs: 60_000, timeoutMs: 1_000 },
    pricing: dearScripts,
    budget: { campaign: campaignCap },
    services: fakeServicesConfig({ llm, tts, crm }),
  });
  await using ws = await runWorkspace({
    prefix: "spend-cap-",
    rows: contactRows(contacts),
    config: config(cap),
  });
  const env = { T_LLM: "llm-key", T_TTS: "tts-key", T_CRM: "crm-key" };
  const first = await finished(spawnMain(ws.args(), ws.at({ env })));
  assert.equal(first.code, 4, `exit ${first.code}: ${first.stdout + first.stderr}`);
  assert.match(first.stderr, /wait for a spend cap \(budget\)/);
  const scripts = () =>
    llm.requests.filter((r) => r.path === "/v1/chat/completions" && r.result === "ok").length;
  // What the fakes billed: the scripts, and ElevenLabs' characters at the default price.
  const speeches = tts.requests.filter((r) =>
    r.path.startsWith("/v1/text-to-speech") && r.result === "ok"
  ).map((r) => String((r.body as { text: string }).text).length * 0.3 / 1_000);
  const billed = scripts() * scriptCost + speeches.reduce((a, b) => a + b, 0);
  const dearest = Math.max(scriptCost, ...speeches);
  assert.ok(billed >= cap, `stopped at ${billed}, before the cap`);
  assert.ok(
    billed <= cap + concurrency * dearest + 1e-9,
    `billed ${billed}: the cap passed by more than the requests in flight`,
  );
  const completed = crm.outcomes.size;
  assert.match(
    first.stdout + first.stderr,
    new RegExp(`${completed} completed, 0 failed, ${contacts - completed} deferred`),
  );
  const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
  assert.match(log, /"reason":"budget"/, "the rest wait as budget, not failed");
  assert.match(log, /campaign spend cap reached/, "the critical alert at the cap");

  // The owner raises the cap and runs again: the waiting contacts are taken again.
  await Deno.writeTextFile(
    `${ws.dir}/config.json`,
    JSON.stringify({
      logging: { filePath: "logs/agent.jsonl" },
      server: { port: 0 },
      ...config(100),
    }),
  );
  const second = await finished(spawnMain(ws.args(), ws.at({ env })));
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(
    second.stdout + second.stderr,
    new RegExp(`${contacts} completed, 0 failed, 0 deferred`),
  );
  assert.equal(crm.outcomes.size, contacts);
  assert.equal(scripts(), contacts, "no script paid twice across the stop");
});

Deno.test("a contact whose own spend reaches budget.perContact ends failed as over-budget before its next paid step", async () => {
  await using llm = startFakeOpenAi({ apiKey: "llm-key" });
  await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  await using ws = await runWorkspace({
    prefix: "spend-per-contact-",
    rows: contactRows(3),
    config: {
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      pricing: dearScripts,
      budget: { perContact: scriptCost / 2 },
      services: fakeServicesConfig({ llm, tts, crm }),
    },
  });
  const done = await finished(spawnMain(
    ws.args(),
    ws.at({ env: { T_LLM: "llm-key", T_TTS: "tts-key", T_CRM: "crm-key" } }),
  ));
  assert.equal(done.code, 1, done.stderr);
  assert.match(done.stdout + done.stderr, /0 completed, 3 failed, 0 deferred/);
  assert.equal(
    tts.requests.filter((r) => r.path.startsWith("/v1/text-to-speech")).length,
    0,
    "no voice paid for a contact already over its cap",
  );
  const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
  assert.match(log, /"reason":"over-budget"/);
});

Deno.test("a call Twilio had not priced when it ended counts at the estimate, then at Twilio's price once it says", async () => {
  const contacts = 6;
  let priced = false;
  await using llm = startFakeOpenAi({ apiKey: "llm-key" });
  await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
  await using twilio = startFakeTwilio({
    ...twilioAccount,
    durationS: 65,
    pricePerMinute: 0.02,
    priced: () => priced,
  });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  await using ws = await runWorkspace({
    prefix: "spend-estimate-",
    rows: contactRows(contacts),
    config: {
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      pricing: { tts: { elevenlabs: { perThousandCharacters: 0 } } },
      services: fakeServicesConfig({ llm, tts, crm, telephony: twilio }),
    },
  });
  const env = {
    T_LLM: "llm-key",
    T_TTS: "tts-key",
    T_TEL: twilioAccount.authToken,
    T_CRM: "crm-key",
  };
  const callSpend = async () => {
    await using store = new SqliteCampaignStore(ws.db);
    return {
      calls: (await store.spendOf("default")).call ?? 0,
      counted: (await store.spendTotals("default", "")).total,
      all: Object.values(await store.spendOf("default")).reduce((a, b) => a + b, 0),
    };
  };
  const first = await finished(spawnMain(ws.args(), ws.at({ env })));
  assert.equal(first.code, 0, first.stderr);
  const estimate = 2 * 0.014; // two started minutes at the configured price
  const outcomes = [...crm.outcomes.values()] as { spend?: { call?: number } }[];
  assert.ok(outcomes.every((o) => Math.abs((o.spend?.call ?? 0) - estimate) < 1e-9));
  const before = await callSpend();
  assert.ok(Math.abs(before.calls - contacts * estimate) < 1e-9, `estimates: ${before.calls}`);

  priced = true;
  const second = await finished(spawnMain(ws.args(), ws.at({ env })));
  assert.equal(second.code, 0, second.stderr);
  const after = await callSpend();
  assert.ok(Math.abs(after.calls - contacts * 0.04) < 1e-9, `settled: ${after.calls}`);
  assert.ok(
    Math.abs(after.counted - after.all) < 1e-9,
    "the caps' count follows the settled prices",
  );
  const summary = /spent (\d+\.\d+) USD/.exec(second.stdout + second.stderr);
  assert.ok(summary && Math.abs(Number(summary[1]) - after.all) < 0.0001, second.stdout);
});

Deno.test("a per-contact cap ends an endless-redial contact as over-budget, each dial billed", async () => {
  await using llm = startFakeOpenAi({ apiKey: "llm-key" });
  await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
  // The line is always busy, and each attempt is billed 0.01 (a carrier's connection fee).
  await using twilio = startFakeTwilio({
    ...twilioAccount,
    outcomeOf: () => "busy",
    pricePerAttempt: 0.01,
  });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  await using ws = await runWorkspace({
    prefix: "spend-redial-",
    rows: contactRows(1),
    config: {
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      pricing: { llm: {}, tts: { elevenlabs: { perThousandCharacters: 0 } } },
      campaign: { redial: { maxDials: 20, delayMs: 1 } },
      budget: { perContact: 0.05 },
      services: fakeServicesConfig({ llm, tts, crm, telephony: twilio }),
    },
  });
  const done = await finished(spawnMain(
    ws.args(),
    ws.at({
      env: { T_LLM: "llm-key", T_TTS: "tts-key", T_TEL: twilioAccount.authToken, T_CRM: "crm-key" },
    }),
  ));
  assert.equal(done.code, 1, done.stderr);
  assert.match(done.stdout + done.stderr, /0 completed, 1 failed, 0 deferred/);
  assert.equal(twilio.calls.length, 5, "five dials at 0.01 reach the cap of 0.05: no sixth");
  const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
  assert.match(log, /"reason":"over-budget"/);
});
