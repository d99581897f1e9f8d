/**
 * Who may be called, and only once, through `run` as a user starts it, against the fake Twilio
 * over sockets: contacts sharing a number, a create Twilio applies after its answer was lost,
 * a call list that lags behind creates (each with a SIGKILL and an immediate restart),
 * `call-once`, and a do-not-call file edited mid-run. What reached the fake is counted: calls
 * created per number, calls to one number under way at once, and each CRM record's call.
 */
import assert from "node:assert/strict";
import {
  type CreateReceived,
  type FakeTwilioOptions,
  type FakeTwilioServer,
  type FakeWebhookServer,
  startFakeTwilio,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { twilioAccount, twilioTelephonyConfig } from "../_support/fake_services_config.ts";
import { runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

const env = { T_TEL: twilioAccount.authToken, T_CRM: "crm-key" };

/** A campaign run against a fake Twilio and a fake CRM, started as `run` is. */
async function callingWorkspace(options: {
  rows: string[];
  twilio: Partial<FakeTwilioOptions>;
  config?: Record<string, unknown>;
  /** Over `services.telephony`. */
  telephony?: Record<string, unknown>;
  /** Over `services.telephony.twilio`. */
  twilioConfig?: Record<string, unknown>;
}) {
  const twilio = startFakeTwilio({ ...twilioAccount, ...options.twilio });
  const crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  const telephony = twilioTelephonyConfig(twilio, {
    poll: { initialMs: 20, maxMs: 100, withCallbacksMs: 2_000 },
    ...options.telephony,
  }) as { twilio: Record<string, unknown> };
  telephony.twilio = { ...telephony.twilio, ...options.twilioConfig };
  const ws = await runWorkspace({
    prefix: "who-is-called-",
    rows: options.rows,
    config: {
      campaign: { name: "calls" },
      retry: { initialDelayMs: 20, maxDelayMs: 100, jitterMs: 10 },
      health: { intervalMs: 60_000, timeoutMs: 1_000 },
      ...options.config,
      services: {
        telephony,
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
  return {
    twilio,
    crm,
    ws,
    start() {
      const child = spawnMain(ws.args(), ws.at({ env }));
      return { child, ended: finished(child) };
    },
    async [Symbol.asyncDispose]() {
      await ws[Symbol.asyncDispose]();
      await twilio.close();
      await crm.close();
    },
  };
}

/** Resolves at the first create `twilio` reports that `matches`. */
function createSeen(
  twilio: FakeTwilioServer,
  matches: (create: CreateReceived) => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    const subscription = twilio.onCreate((create) => {
      if (!matches(create)) return;
      subscription[Symbol.dispose]();
      resolve();
    });
  });
}

/** Runs until `point`, then kills the run with SIGKILL. */
async function killAt(
  started: { child: Deno.ChildProcess; ended: Promise<{ code: number; stderr: string }> },
  point: Promise<void>,
  what: string,
): Promise<void> {
  const first = await Promise.race([point.then(() => "kill-point" as const), started.ended]);
  if (first !== "kill-point") {
    assert.fail(`the run ended (${first.code}) before ${what}: ${first.stderr}`);
  }
  started.child.kill("SIGKILL");
  assert.equal((await started.ended).code, 137, what);
}

/** The CRM's record for contact `id` of campaign `calls`. */
function outcomeOf(crm: FakeWebhookServer, id: string): Record<string, unknown> {
  const outcome = crm.outcomes.get(`calls:${id}`) as Record<string, unknown> | undefined;
  assert.ok(outcome, `the CRM has ${id}'s outcome`);
  return outcome;
}

/** `n` contacts; `phoneOf(i)` picks contact i's number. */
function rows(n: number, phoneOf: (i: number) => string): string[] {
  return Array.from({ length: n }, (_, i) => `c${i},Person ${i},${phoneOf(i)}`);
}

const numberOf = (i: number) => `+1415${5551000 + i}`;

Deno.test("contacts sharing numbers at concurrency 4, the second create to each number dropped after Twilio made it: each contact records its own call, never two at once to a number", async () => {
  await using t = await callingWorkspace({
    rows: rows(20, (i) => numberOf(i >> 1)),
    twilio: { ringMs: 150, talkMs: 150, createFault: (_, n) => n === 2 ? "drop-after" : undefined },
    config: { processor: { concurrency: 4 } },
    // Ten dropped answers are ten failures: the breaker is told to bear them, so the test is
    // about the numbers, not the outage.
    telephony: { breaker: { failureThreshold: 50 } },
  });
  const { code, stdout, stderr } = await t.start().ended;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /20 completed, 0 failed/);
  assert.deepEqual(t.twilio.overlapping(), [], "no number had two calls under way at once");
  const sids = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const phone = numberOf(i >> 1);
    assert.equal(t.twilio.callsTo(phone).length, 2, `two calls to ${phone}, one per contact`);
    const sid = outcomeOf(t.crm, `c${i}`).callSid as string;
    assert.ok(
      t.twilio.callsTo(phone).some((call) => call.sid === sid),
      `c${i} names a call to its number`,
    );
    sids.add(sid);
  }
  assert.equal(sids.size, 20, "every contact recorded its own call");
});

Deno.test("one after the other on one number, the later create applied after its deadline: the later contact adopts its own call, not the earlier contact's", async () => {
  await using t = await callingWorkspace({
    rows: rows(2, () => numberOf(0)),
    twilio: {
      ringMs: 0,
      talkMs: 0,
      applyLateMs: 1_000,
      createFault: (_, n) => n === 2 ? "apply-late" : undefined,
    },
    config: { processor: { concurrency: 1 } },
    telephony: { timeoutMs: 300 },
    twilioConfig: { lostDialSettleMs: 3_000 },
  });
  const { code, stderr } = await t.start().ended;
  assert.equal(code, 0, stderr);
  await t.twilio.whenIdle();
  const [first, second] = t.twilio.callsTo(numberOf(0));
  assert.equal(t.twilio.calls.length, 2, "one call each");
  assert.equal(outcomeOf(t.crm, "c0").callSid, first.sid);
  assert.equal(outcomeOf(t.crm, "c1").callSid, second.sid, "c1 waited for its own call");
});

Deno.test("a create Twilio applies after the agent was killed mid-create, restarted at once: one call per number", async () => {
  const late = numberOf(2);
  await using t = await callingWorkspace({
    rows: rows(5, numberOf),
    twilio: {
      ringMs: 0,
      talkMs: 0,
      applyLateMs: 1_500,
      createFault: (to, n) => to === late && n === 1 ? "apply-late" : undefined,
    },
    config: { processor: { concurrency: 1 } },
    twilioConfig: { lostDialSettleMs: 4_000 },
  });
  await killAt(
    t.start(),
    createSeen(t.twilio, (create) => create.fault === "apply-late"),
    "c2's create reached Twilio, not yet applied",
  );
  assert.equal(t.twilio.callsTo(late).length, 0, "killed before Twilio applied it");
  const { code, stdout, stderr } = await t.start().ended;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /5 completed/);
  await t.twilio.whenIdle();
  for (let i = 0; i < 5; i++) {
    assert.equal(t.twilio.callsTo(numberOf(i)).length, 1, `calls to c${i}'s number`);
  }
  assert.equal(outcomeOf(t.crm, "c2").callSid, t.twilio.callsTo(late)[0].sid);
});

Deno.test("a call list that lags 2 s behind creates, the agent killed right after Twilio made a call and restarted at once: one call per number", async () => {
  const killed = numberOf(3);
  await using t = await callingWorkspace({
    rows: rows(6, numberOf),
    twilio: {
      ringMs: 0,
      talkMs: 0,
      listLagMs: 2_000,
      createFault: (to, n) => to === killed && n === 1 ? "hang-after" : undefined,
    },
    config: { processor: { concurrency: 1 } },
    twilioConfig: { lostDialSettleMs: 4_000 },
  });
  await killAt(
    t.start(),
    createSeen(t.twilio, (create) => create.stage === "created" && create.to === killed),
    "Twilio created c3's call, its answer pending",
  );
  const { code, stderr } = await t.start().ended;
  assert.equal(code, 0, stderr);
  for (let i = 0; i < 6; i++) {
    assert.equal(t.twilio.callsTo(numberOf(i)).length, 1, `calls to c${i}'s number`);
  }
  assert.equal(outcomeOf(t.crm, "c3").callSid, t.twilio.callsTo(killed)[0].sid);
});

Deno.test("call-once: a later contact on a number already called is skipped, its CRM outcome naming the first contact", async () => {
  await using t = await callingWorkspace({
    rows: rows(3, (i) => numberOf(i === 2 ? 1 : 0)),
    twilio: { ringMs: 0, talkMs: 0 },
    config: { processor: { concurrency: 1 }, campaign: { name: "calls", samePhone: "call-once" } },
  });
  const { code, stdout, stderr } = await t.start().ended;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /2 completed, 0 failed, 0 deferred, 1 skipped \(not to be called\)/);
  assert.equal(t.twilio.callsTo(numberOf(0)).length, 1);
  const skipped = outcomeOf(t.crm, "c1");
  assert.equal(skipped.status, "skipped");
  assert.deepEqual(skipped.skipped, { reason: "duplicate-phone", firstContactId: "c0" });
  assert.equal(skipped.callSid, undefined);
});

Deno.test("a do-not-call number is never dialled, nor one added to the file mid-run; both are skipped and the CRM says why", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/dnc.txt`;
  await Deno.writeTextFile(file, `phone\n# complaints\n+1 415 555 1002\nnot a number 12\n`);
  await using t = await callingWorkspace({
    rows: rows(8, numberOf),
    twilio: {
      ringMs: 0,
      talkMs: 0,
      // c6's number is listed while c4's create is held: before c6's dial, at a known moment.
      holdCreate: (create) =>
        create.to === numberOf(4)
          ? Deno.writeTextFile(file, `${numberOf(6)}\n`, { append: true })
          : undefined,
    },
    config: {
      processor: { concurrency: 1 },
      campaign: { name: "calls", doNotCall: file, doNotCallBadLines: "leave-out" },
    },
  });
  try {
    const { code, stdout, stderr } = await t.start().ended;
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      /do-not-call: 1 number\(s\) from .*dnc\.txt; 1 line\(s\) are not numbers and were left out \(doNotCallBadLines: leave-out\)/,
    );
    assert.match(stderr, /dnc\.txt:4: "not a number 12" has no country code/);
    assert.match(stdout, /6 completed, 0 failed, 0 deferred, 2 skipped/);
    assert.equal(t.twilio.callsTo(numberOf(2)).length, 0, "listed from the start");
    assert.equal(t.twilio.callsTo(numberOf(6)).length, 0, "listed mid-run");
    assert.equal(t.twilio.calls.length, 6);
    for (const id of ["c2", "c6"]) {
      const outcome = outcomeOf(t.crm, id);
      assert.deepEqual([outcome.status, outcome.skipped], ["skipped", { reason: "do-not-call" }]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a do-not-call file in national format, read in contacts.defaultCountry: its numbers are never dialled", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/dnc.txt`;
  // As most US exports write them: ten digits, or with brackets and a dash.
  await Deno.writeTextFile(file, `4155551001\n(415) 555-1003\n`);
  await using t = await callingWorkspace({
    rows: rows(5, numberOf),
    twilio: { ringMs: 0, talkMs: 0 },
    config: {
      contacts: { defaultCountry: "US" },
      campaign: { name: "calls", doNotCall: file },
    },
  });
  try {
    const { code, stdout, stderr } = await t.start().ended;
    assert.equal(code, 0, stderr);
    assert.match(stderr, /do-not-call: 2 number\(s\) from .*dnc\.txt\n/);
    assert.match(stdout, /3 completed, 0 failed, 0 deferred, 2 skipped/);
    assert.equal(t.twilio.callsTo(numberOf(1)).length, 0);
    assert.equal(t.twilio.callsTo(numberOf(3)).length, 0);
    assert.equal(t.twilio.calls.length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a do-not-call file with lines that cannot be read dials no one: exit 2 before any contact is loaded, naming the lines", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [what, bytes] of [
        // National numbers without contacts.defaultCountry: not numbers the agent can read.
        ["national, no country", new TextEncoder().encode("4155551001\n(415) 555-1003\n")],
        // A binary file given by mistake (a spreadsheet's zip, say).
        ["binary", Uint8Array.from({ length: 4_000 }, (_, i) => (i * 7919) % 256)],
      ] as const
    ) {
      const file = `${dir}/dnc-${what.split(" ")[0]}.txt`;
      await Deno.writeFile(file, bytes);
      await using t = await callingWorkspace({
        rows: rows(3, numberOf),
        twilio: { ringMs: 0, talkMs: 0 },
        config: { campaign: { name: "calls", doNotCall: file } },
      });
      const { code, stderr } = await t.start().ended;
      assert.equal(code, 2, `${what}: ${stderr}`);
      assert.match(
        stderr,
        /campaign\.doNotCall .*: \d+ line\(s\) cannot be read as numbers \(lines? [\d, .]+\), so the list may be weaker than meant and no one is called; .* set campaign\.doNotCallBadLines to leave-out/,
        what,
      );
      assert.doesNotMatch(stderr, /loaded contacts\.csv/, `${what}: no contact was loaded`);
      assert.equal(t.twilio.calls.length, 0, `${what}: no one was dialled`);
      assert.equal(t.twilio.count("/2010-04-01"), 0, `${what}: Twilio was not even asked`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("numbers no plan has are refused at load with their line and why; national ones are read in contacts.defaultCountry and dialled in E.164", async () => {
  await using t = await callingWorkspace({
    rows: [
      "c1,Area 000,+10005550100",
      "c2,Country 999,+9991234567",
      "c3,National,(415) 555-0102",
      "c4,Ten digits,4155550103",
      "c5,Too short,+1 415 555 01",
      "c6,E164,+14155550105",
    ],
    twilio: { ringMs: 0, talkMs: 0 },
    config: { contacts: { defaultCountry: "US" } },
  });
  const { code, stdout, stderr } = await t.start().ended;
  assert.equal(code, 1, "invalid rows: exit 1");
  assert.match(stdout, /3 completed, 0 failed, 0 deferred, 3 invalid/);
  assert.match(
    stderr,
    /contacts\.csv:2: phone "\+10005550100" is not in use in the numbering plan of \+1/,
  );
  assert.match(
    stderr,
    /contacts\.csv:3: phone "\+9991234567" has no country calling code any plan knows/,
  );
  assert.match(stderr, /contacts\.csv:6: phone "\+1 415 555 01" has the wrong length/);
  assert.deepEqual(
    t.twilio.calls.map((call) => call.to).sort(),
    ["+14155550102", "+14155550103", "+14155550105"],
  );
  const outcome = outcomeOf(t.crm, "c3");
  assert.equal(outcome.numberType, "fixed-line-or-mobile");
  assert.equal(outcome.phone, "+14155550102");
});

Deno.test("a pool of caller numbers: each callee is called from a number of its own area code where the pool has one, the rest spread over the pool; the CRM records which", async () => {
  const pool = ["+12125550100", "+14155550100", "+13125550100"];
  const phones = [
    ...Array.from({ length: 4 }, (_, i) => `+1212555${1000 + i}`), // New York
    ...Array.from({ length: 4 }, (_, i) => `+1415555${1000 + i}`), // San Francisco
    ...Array.from({ length: 30 }, (_, i) => `+1303555${1000 + i}`), // Denver: none of the pool's
  ];
  await using t = await callingWorkspace({
    rows: phones.map((phone, i) => `c${i},Person ${i},${phone}`),
    twilio: { ringMs: 0, talkMs: 0, from: pool },
    twilioConfig: { from: pool },
    config: { processor: { concurrency: 4 } },
  });
  const { code, stderr } = await t.start().ended;
  assert.equal(code, 0, stderr);
  assert.match(stderr, /telephony: Twilio from \+12125550100, \+14155550100, \+13125550100;/);
  assert.equal(t.twilio.calls.length, phones.length);
  for (const call of t.twilio.calls) {
    if (call.to.startsWith("+1212")) assert.equal(call.from, "+12125550100", call.to);
    if (call.to.startsWith("+1415")) assert.equal(call.from, "+14155550100", call.to);
  }
  const denver = t.twilio.calls.filter((call) => call.to.startsWith("+1303"));
  const used = new Set(denver.map((call) => call.from));
  assert.equal(used.size, 3, "out-of-area callees spread over the whole pool");
  for (const [i, phone] of phones.entries()) {
    const [call] = t.twilio.callsTo(phone);
    assert.equal(outcomeOf(t.crm, `c${i}`).from, call.from, "the CRM records the number used");
  }
});
