/**
 * No one is dialled twice, whatever kills the agent around a call's creation. `run` is started
 * as a user starts it and killed with SIGKILL at each point; the fake Twilio counts the calls
 * it created per number.
 */
import assert from "node:assert/strict";
import { startFakeTwilio, startFakeWebhookCrm } from "../../src/fake_providers/mod.ts";
import { twilioAccount, twilioTelephonyConfig } from "../_support/fake_services_config.ts";
import { hangReached } from "../_support/hang_reached.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

Deno.test("killed with SIGKILL before the create, after Twilio created the call, and after the ledger recorded it, and with a dropped create: one call per contact", async () => {
  // Telephony requests, in order (one contact at a time; a call ends as soon as it is made):
  // run 1: c0's create hangs before Twilio acts -> kill.
  // run 2: c0's list reads find nothing over the settle time (five reads), its create
  //        succeeds; c1's create is made by Twilio, then never answered -> kill.
  // run 3: c1's first list read finds the call and adopts it; c1's CRM write hangs -> kill
  //        (the call is in the ledger).
  // run 4: c1 goes straight to the CRM; c2's create is made and its connection dropped: the
  //        list read adopts it in the same run; c3 and c4 are called normally.
  await using twilio = startFakeTwilio({
    ...twilioAccount,
    ringMs: 0,
    talkMs: 0,
    faults: [
      { hang: true, calls: 1, probeHealthy: true },
      { calls: 6, probeHealthy: true },
      { hangAfter: true, calls: 1, probeHealthy: true },
      { calls: 1, probeHealthy: true },
      { dropAfter: true, calls: 1, probeHealthy: true },
    ],
  });
  await using crm = startFakeWebhookCrm({
    apiKey: "crm-key",
    faults: [{ calls: 1, probeHealthy: true }, { hang: true, calls: 1, probeHealthy: true }],
  });
  await using ws = await runWorkspace({
    prefix: "call-kill-",
    rows: contactRows(5),
    config: {
      campaign: { name: "calls" },
      processor: { concurrency: 1 },
      retry: { initialDelayMs: 20, maxDelayMs: 100, jitterMs: 10 },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      services: {
        telephony: twilioTelephonyConfig(twilio),
        crm: {
          kind: "webhook",
          webhook: {
            url: `${crm.url}/outcomes`,
            healthUrl: `${crm.url}/health`,
            tokenEnv: "T_CRM",
          },
        },
      },
    },
  });
  const env = { T_TEL: twilioAccount.authToken, T_CRM: "crm-key" };
  const start = () => {
    const child = spawnMain(ws.args(), ws.at({ env }));
    return { child, ended: finished(child) };
  };
  const killAt = async (point: Promise<void>, what: string) => {
    const { child, ended } = start();
    const first = await Promise.race([point.then(() => "kill-point" as const), ended]);
    if (first !== "kill-point") {
      assert.fail(`the run ended (${first.code}) before ${what}: ${first.stderr}`);
    }
    child.kill("SIGKILL");
    assert.equal((await ended).code, 137, what);
  };

  await killAt(hangReached(twilio), "c0's create reached Twilio (not acted on)");
  assert.equal(twilio.calls.length, 0);
  await killAt(hangReached(twilio), "Twilio created c1's call, its answer pending");
  assert.equal(twilio.calls.length, 2, "c0's call, and c1's that the agent never heard of");
  await killAt(hangReached(crm), "c1's outcome at the CRM, its call in the ledger");

  const last = start();
  const { code, stdout, stderr } = await last.ended;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /5 completed, 0 failed/);
  assert.match(
    stderr,
    /telephony: Twilio from \+14155550000; calls speak the script with <Say> .* followed by polling/,
  );

  const phones = contactRows(5).map((row) => row.split(",")[2]);
  for (const phone of phones) {
    assert.equal(twilio.callsTo(phone).length, 1, `calls created to ${phone}`);
  }
  assert.equal(twilio.calls.length, 5);
  assert.equal(crm.outcomes.size, 5);
  for (const [i, phone] of phones.entries()) {
    const outcome = crm.outcomes.get(`calls:c${i}`) as Record<string, unknown>;
    assert.equal(
      outcome.callSid,
      twilio.callsTo(phone)[0].sid,
      `c${i}'s CRM record names its call`,
    );
  }
});
