/**
 * What a campaign spent, as a user runs it: the fakes report usage and prices as the real
 * providers do (tokens in the body, ElevenLabs' character-cost, Twilio's price), and the spend
 * the agent records equals what the fakes billed, to the cent.
 */
import assert from "node:assert/strict";
import {
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeTwilio,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { fakeServicesConfig, twilioAccount } from "../_support/fake_services_config.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const prices = {
  llm: { "gpt-4o-mini": { inputPerMillion: 150, outputPerMillion: 600 } },
  tts: { elevenlabs: { perThousandCharacters: 0.3 } },
  telephony: { twilio: { perMinute: 0.014 } },
};

Deno.test("the campaign's recorded spend equals what the fakes billed, to the cent", async () => {
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
  await using ws = await runWorkspace({
    prefix: "spend-",
    rows: contactRows(contacts),
    config: {
      processor: { concurrency: 8 },
      retry: { initialDelayMs: 20, maxDelayMs: 50, jitterMs: 5 },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      pricing: prices,
      services: fakeServicesConfig({ llm, tts, crm, telephony: twilio }),
    },
  });
  const done = await finished(spawnMain(
    ws.args(),
    ws.at({
      env: { T_LLM: "llm-key", T_TTS: "tts-key", T_TEL: twilioAccount.authToken, T_CRM: "crm-key" },
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
