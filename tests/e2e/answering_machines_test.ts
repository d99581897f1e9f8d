/**
 * Answering machines and opt-out, as a user runs the campaign, against the fake Twilio over
 * sockets answering as a machine for some numbers: for each `campaign.answeringMachine` policy,
 * what Twilio received (MachineDetection, inline TwiML or the TwiML the status server served),
 * the CRM record, and what was paid for. And a 9 pressed on a call: that number is never
 * dialled again.
 */
import assert from "node:assert/strict";
import {
  type FakeCall,
  type FakeTwilioServer,
  startFakeElevenLabs,
  startFakeOpenAi,
  startFakeTwilio,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { fakeServicesConfig, twilioAccount } from "../_support/fake_services_config.ts";
import { freePort } from "../_support/free_port.ts";
import { runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const keys = {
  T_LLM: "llm-key",
  T_TTS: "tts-key",
  T_TEL: twilioAccount.authToken,
  T_CRM: "crm-key",
};

/** Four contacts: c0 and c2 are answered by machines (their greeting ends in a beep). */
const phones = ["+14155551000", "+14155551001", "+14155551002", "+14155551003"];
const machines = new Set([phones[0], phones[2]]);
const rows = phones.map((phone, i) => `c${i},Person ${i},${phone}`);

/** The model writes a message and, asked for one, a voicemail after it. */
const writes = (name: string) => ({
  text:
    `Hello ${name}, this is Alex from Acme about Friday. Can you make it?\nVOICEMAIL: Hi ${name}, Alex from Acme: please call us back about Friday.`,
});

async function campaign(policy: string, extra: { publicUrl?: boolean; config?: object } = {}) {
  const llm = startFakeOpenAi({ apiKey: keys.T_LLM, writes });
  const tts = startFakeElevenLabs({ apiKey: keys.T_TTS });
  const crm = startFakeWebhookCrm({ apiKey: keys.T_CRM });
  const twilio = startFakeTwilio({
    ...twilioAccount,
    ringMs: 20,
    talkMs: 50,
    answeredBy: (to) => machines.has(to) ? "machine_end_beep" : "human",
    presses: (to) => (to === phones[1] ? "9" : undefined),
  });
  const port = freePort();
  const ws = await runWorkspace({
    prefix: `machines-${policy}-`,
    rows,
    config: {
      campaign: { name: "m", answeringMachine: policy },
      server: { port },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      ...extra.config,
      services: fakeServicesConfig({ llm, tts, crm, telephony: twilio }, {
        ...(extra.publicUrl ? { publicBaseUrl: `http://127.0.0.1:${port}` } : {}),
      }),
    },
  });
  const done = await finished(spawnMain(ws.args(), ws.at({ env: keys })));
  return {
    done,
    llm,
    tts,
    crm,
    twilio,
    ws,
    outcome: (id: string) => crm.outcomes.get(`m:${id}`) as Record<string, unknown>,
    async [Symbol.asyncDispose]() {
      await ws[Symbol.asyncDispose]();
      for (const fake of [llm, tts, crm, twilio]) await fake.close();
    },
  };
}

/** Script and voice requests the fakes were paid for, per contact. */
function paidPerPerson(
  t: {
    llm: { requests: { path: string; body?: unknown }[] };
    tts: { requests: { path: string; body?: unknown; result?: string }[] };
  },
) {
  const scripts = t.llm.requests.filter((r) => r.path === "/v1/chat/completions").length;
  const voices = t.tts.requests.filter((r) =>
    r.path.startsWith("/v1/text-to-speech") && r.result === "ok"
  );
  return { scripts, voices: voices.map((r) => String((r.body as { text: string }).text)) };
}

const byTo = (twilio: FakeTwilioServer) => (phone: string): FakeCall[] => twilio.callsTo(phone);

Deno.test("after-beep, without a public URL: Twilio waits for the greeting to end, the same message plays to both, and the CRM says a message was left", async () => {
  await using t = await campaign("after-beep");
  assert.equal(t.done.code, 0, t.done.stderr);
  assert.equal(t.twilio.calls.length, 4);
  for (const call of t.twilio.calls) {
    assert.equal(call.machineDetection, "DetectMessageEnd");
    assert.match(call.twiml ?? "", /^<Response><Say>Hello Person \d/);
    assert.equal(call.url, undefined, "static TwiML: no public URL needed");
  }
  assert.deepEqual(
    [t.outcome("c0").answeredBy, t.outcome("c0").messageLeft],
    ["machine_end_beep", true],
  );
  assert.deepEqual([t.outcome("c1").answeredBy, t.outcome("c1").messageLeft], ["human", undefined]);
  // The voicemail line the model wrote is never said: after-beep plays the message itself.
  for (const call of t.twilio.calls) {
    assert.doesNotMatch(call.twiml ?? "", /VOICEMAIL|call us back/);
  }
  assert.deepEqual(paidPerPerson(t).voices, [], "no public URL: no voice paid for");
});

Deno.test("voicemail: each call's TwiML is served once answered; machines hear the shorter voicemail, people the message; no voice is paid for the voicemail", async () => {
  await using t = await campaign("voicemail", { publicUrl: true });
  assert.equal(t.done.code, 0, t.done.stderr);
  const calls = byTo(t.twilio);
  for (const phone of phones) {
    const [call] = calls(phone);
    assert.equal(call.machineDetection, "DetectMessageEnd");
    assert.match(call.url ?? "", /\/twilio\/twiml\?contact=c\d&dial=\w+$/);
    assert.equal(call.twiml, undefined);
    assert.equal(call.served?.status, 200, `${phone}: the status server answered`);
    if (machines.has(phone)) {
      assert.match(
        call.served!.twiml,
        /^<Response><Say>Hi Person \d, Alex from Acme: please call us back about Friday\.<\/Say><\/Response>$/,
      );
    } else {
      assert.match(call.served!.twiml, /^<Response><Play>http:\/\/127\.0\.0\.1:\d+\/audio\//);
      assert.equal(call.played?.status, 200);
    }
  }
  assert.equal(t.outcome("c2").messageLeft, true);
  assert.equal(t.outcome("c3").answeredBy, "human");
  // One script per contact, one voice per contact (the message's): the voicemail costs nothing.
  const paid = paidPerPerson(t);
  assert.equal(paid.scripts, 4);
  assert.equal(paid.voices.length, 4);
  for (const text of paid.voices) assert.doesNotMatch(text, /VOICEMAIL|call us back/, text);
});

Deno.test("hang-up: machines are hung up on at once, counted, and redialled when the operator asks; people hear the message", async () => {
  await using t = await campaign("hang-up", {
    publicUrl: true,
    config: {
      campaign: {
        name: "m",
        answeringMachine: "hang-up",
        redial: { maxDials: 2, delayMs: 100, onMachine: true },
      },
    },
  });
  assert.equal(t.done.code, 0, t.done.stderr);
  const calls = byTo(t.twilio);
  for (const phone of phones) {
    const made = calls(phone);
    assert.equal(made.length, machines.has(phone) ? 2 : 1, `${phone}: dials`);
    for (const call of made) {
      assert.equal(call.machineDetection, "Enable");
      if (machines.has(phone)) {
        assert.equal(call.served?.answeredBy, "machine_start");
        assert.equal(call.served?.twiml, "<Response><Hangup/></Response>");
        assert.equal(call.endedBy?.status, "completed", "hung up at once");
        assert.equal(call.played, undefined, "nothing played to the machine");
      } else {
        assert.match(call.served?.twiml ?? "", /<Play>/);
      }
    }
  }
  assert.deepEqual(
    [t.outcome("c0").answeredBy, t.outcome("c0").messageLeft, t.outcome("c0").dials],
    ["machine_start", false, 2],
  );
  // Counted: the deferral says why, in the log.
  const log = await Deno.readTextFile(`${t.ws.dir}/logs/agent.jsonl`);
  assert.match(log, /call CA\w+ was answered by a machine \(hung up\): dialled again/);
});

Deno.test("a 9 pressed on a call puts the number on the do-not-call list: the CRM says so, and it is never dialled again", async () => {
  const optOut = { digit: "9", prompt: "To stop these calls, press 9." };
  const config = { campaign: { name: "m", answeringMachine: "play", optOut } };
  await using t = await campaign("play", { publicUrl: true, config });
  assert.equal(t.done.code, 0, t.done.stderr);
  const [pressed] = t.twilio.callsTo(phones[1]);
  assert.match(
    pressed.served?.twiml ?? "",
    /^<Response><Gather input="dtmf" numDigits="1" timeout="5" method="POST" action="http:\/\/127\.0\.0\.1:\d+\/twilio\/gather\?contact=c1&amp;dial=\w+"><Play>.*<\/Play><Say>To stop these calls, press 9\.<\/Say><\/Gather><\/Response>$/,
  );
  assert.equal(pressed.gathered?.digits, "9");
  assert.equal(pressed.gathered?.status, 200);
  assert.match(pressed.gathered!.twiml, /You will not be called again\. Goodbye\..*<Hangup\/>/);
  assert.equal(t.outcome("c1").optedOut, true);
  assert.equal(t.outcome("c0").optedOut, undefined);

  // The same campaign again with that number under another contact: never dialled.
  await Deno.writeTextFile(`${t.ws.dir}/contacts.csv`, `id,name,phone\nc9,Again,${phones[1]}\n`);
  const again = await finished(spawnMain(t.ws.args(), t.ws.at({ env: keys })));
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /1 skipped \(not to be called\)/);
  assert.equal(t.twilio.callsTo(phones[1]).length, 1, "dialled once, before the 9");
  const skipped = t.crm.outcomes.get("m:c9") as { skipped?: { reason: string } };
  assert.equal(skipped.skipped?.reason, "do-not-call");
});
