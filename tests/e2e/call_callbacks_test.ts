/**
 * With `services.telephony.publicBaseUrl`, `run` hands Twilio signed links: the call plays the
 * synthesized audio from the status server, and its end comes back by signed status callback
 * (no status poll needed). The fake Twilio fetches the audio and posts the callbacks over
 * sockets, as Twilio would through a tunnel.
 */
import assert from "node:assert/strict";
import {
  startFakeElevenLabs,
  startFakeTwilio,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { twilioAccount, twilioTelephonyConfig } from "../_support/fake_services_config.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";
import { freePort } from "../_support/free_port.ts";

Deno.test("run with publicBaseUrl: the call plays the audio from a signed link and ends by signed callback", async () => {
  await using twilio = startFakeTwilio({ ...twilioAccount, ringMs: 200, talkMs: 300 });
  await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  const port = freePort();
  await using ws = await runWorkspace({
    prefix: "call-callbacks-",
    rows: contactRows(3),
    config: {
      campaign: { name: "calls" },
      server: { port },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      services: {
        tts: { kind: "elevenlabs", elevenlabs: { baseUrl: tts.url, apiKeyEnv: "T_TTS" } },
        telephony: twilioTelephonyConfig(twilio, {
          publicBaseUrl: `http://127.0.0.1:${port}`,
        }),
        crm: {
          kind: "webhook",
          webhook: { url: `${crm.url}/outcomes`, tokenEnv: "T_CRM" },
        },
      },
    },
  });
  const child = spawnMain(
    ws.args(),
    ws.at({ env: { T_TTS: "tts-key", T_TEL: twilioAccount.authToken, T_CRM: "crm-key" } }),
  );
  const { code, stdout, stderr } = await finished(child);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /3 completed, 0 failed/);
  assert.match(stderr, /calls play the synthesized audio from http:\/\/127\.0\.0\.1:\d+\/audio\//);

  assert.equal(twilio.calls.length, 3);
  for (const call of twilio.calls) {
    assert.match(
      call.twiml ?? "",
      /^<Response><Play>http:\/\/127\.0\.0\.1:\d+\/audio\/\w+\.mp3\?exp=\d+&amp;sig=/,
    );
    assert.equal(call.played?.status, 200, "Twilio could fetch the audio");
    assert.ok((call.played?.bytes ?? 0) > 0);
    assert.match(call.statusCallback ?? "", /\/twilio\/status\?contact=c\d&dial=\w+$/);
  }
  const finals = twilio.callbacks.filter((c) => c.params.CallStatus === "completed");
  assert.equal(finals.length, 3);
  assert.ok(twilio.callbacks.every((c) => c.status === 204), "every signed callback was taken");
  const reads = twilio.requests.filter((r) =>
    r.method === "GET" && /\/Calls\/CA\w+\.json$/.test(r.path)
  );
  const lastOutcome = Math.max(
    ...crm.requests.filter((r) => r.path === "/outcomes").map((r) => r.at),
  );
  assert.equal(
    reads.filter((r) => r.at < lastOutcome).length,
    0,
    "the callbacks ended the calls: no status poll was needed",
  );
  // A callback carries no price: at the end of the run each call is read once for Twilio's
  // price, which replaces the estimate it was counted at.
  assert.equal(reads.length, 3);
  const outcome = crm.outcomes.get("calls:c0") as Record<string, unknown>;
  assert.equal(outcome.voice, "audio");
  assert.equal(outcome.callSid, twilio.callsTo("+14155551000")[0].sid);
});
