/**
 * The call step's rules on the virtual clock, against a scripted provider whose creates may
 * take effect after their answer was lost and whose call list may lag: a lost dial is looked
 * for over the settle time before anyone is dialled again, a call another contact recorded is
 * never adopted, and the ledger's refusals stop a dial before it is sent.
 */
import assert from "node:assert/strict";
import { processorOptions } from "../../src/agent/mod.ts";
import { BreakerRegistry } from "../../src/breaker/mod.ts";
import { VirtualClock } from "../../src/clock/mod.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { TimeoutError } from "../../src/errors.ts";
import type { DialRefusal, SamePhoneRule } from "../../src/ledger/mod.ts";
import {
  type CallingOptions,
  CallStep,
  type CallStepRun,
  ContactNotCalled,
  NumberBusy,
} from "../../src/processor/mod.ts";
import { ServiceCaller } from "../../src/resilience/mod.ts";
import { RetryPolicy } from "../../src/retry/mod.ts";
import type {
  CallState,
  DialRequest,
  FindCallQuery,
  TelephonyService,
} from "../../src/services/mod.ts";
import { CallUpdates } from "../../src/telephony/mod.ts";
import { breakerOptions, constantRandom, retryOptions } from "../_support/fixtures.ts";
import type { CallProgress, Contact, ContactProgress } from "../../src/domain/mod.ts";

/** What the provider does with one create. */
type CreateScript = "ok" | { lostAnswer: true; appliedAfterMs?: number } | { neverPlaced: true };

/** A provider that creates calls as scripted and lists them `listLagMs` after creation. */
class ScriptedTelephony implements TelephonyService {
  readonly name = "telephony";
  readonly calls: { sid: string; to: string; createdAt: number }[] = [];
  readonly listReads: number[] = [];
  readonly dials: number[] = [];
  constructor(
    readonly clock: VirtualClock,
    readonly script: CreateScript[],
    readonly listLagMs = 0,
  ) {}

  async dial(request: DialRequest): Promise<CallState> {
    this.dials.push(this.clock.now());
    const next = this.script.shift() ?? "ok";
    const create = () => {
      const call = {
        sid: `CA${this.calls.length + 1}`,
        to: request.to,
        createdAt: this.clock.now(),
      };
      this.calls.push(call);
      return call;
    };
    if (next === "ok") return { ...create(), status: "completed", durationS: 1 };
    if ("neverPlaced" in next) throw new TimeoutError({ service: this.name, timeoutMs: 1 });
    if (next.appliedAfterMs) {
      // Applied later, on the provider's side, whatever became of the request.
      this.clock.sleep(next.appliedAfterMs).then(create);
    } else {
      create();
    }
    await Promise.resolve();
    throw new TimeoutError({ service: this.name, timeoutMs: 1 });
  }

  findCalls(query: FindCallQuery): Promise<CallState[]> {
    this.listReads.push(this.clock.now());
    return Promise.resolve(
      this.calls.filter((call) =>
        call.to === query.to && call.createdAt >= query.since - 60_000 &&
        call.createdAt + this.listLagMs <= this.clock.now()
      ).map((call) => ({ ...call, status: "completed" as const, durationS: 1 })),
    );
  }

  getCall(sid: string): Promise<CallState> {
    return Promise.resolve({ sid, status: "completed", durationS: 1 });
  }

  probe(): Promise<void> {
    return Promise.resolve();
  }
}

const contact: Contact = { id: "c1", name: "Ann", phone: "+14155550100" };

function setup(
  script: CreateScript[],
  options: { listLagMs?: number; recorded?: string[]; calling?: Partial<CallingOptions> } = {},
) {
  const clock = new VirtualClock();
  const telephony = new ScriptedTelephony(clock, script, options.listLagMs);
  const breakers = new BreakerRegistry({
    telephony: breakerOptions({ failureThreshold: 100 }),
  }, { clock });
  const retry = new RetryPolicy(retryOptions({ maxRetries: 3 }), {
    clock,
    random: constantRandom(0),
  });
  const caller = new ServiceCaller(
    { telephony: { retry, breaker: breakers.get("telephony"), timeoutMs: 15_000 } },
    { clock },
  );
  const updates = new CallUpdates(clock);
  const saves: (SamePhoneRule | undefined)[] = [];
  const step = new CallStep({
    telephony,
    caller,
    clock,
    updates,
    ledger: {
      recordedCalls: () => Promise.resolve(options.recorded ?? []),
      calledBefore: () => Promise.resolve(undefined),
    },
  }, {
    ...processorOptions(parseConfig()).calling,
    lostDialSettleMs: 30_000,
    ...options.calling,
  });
  const progress: ContactProgress & { call: CallProgress } = {
    attempts: {},
    call: { dials: 0, previousSids: [] },
  };
  const adopted: string[] = [];
  const run = (save: (dial?: SamePhoneRule) => Promise<DialRefusal | undefined> = (dial) => {
    saves.push(dial);
    return Promise.resolve(undefined);
  }): CallStepRun => ({
    contact,
    progress,
    campaign: "spring",
    script: "Hello",
    attempt: (fn, attemptOptions) =>
      caller.call("telephony", fn, { mayRepeat: attemptOptions?.mayRepeat }),
    save,
    onAdopted: (sid) => adopted.push(sid),
  });
  return { clock, telephony, step, progress, run, adopted, saves, updates, caller };
}

Deno.test("a create applied 4.5 s after its answer was lost is found by a later look and adopted: one call", async () => {
  const t = setup([{ lostAnswer: true, appliedAfterMs: 4_500 }]);
  using _ = t.caller;
  const { state } = await t.clock.run(() => t.step.run(t.run()));
  assert.equal(t.telephony.calls.length, 1, "one call placed");
  assert.deepEqual(t.telephony.dials, [0], "dialled once");
  assert.deepEqual(t.adopted, [state.sid]);
  assert.deepEqual(
    t.telephony.listReads,
    [0, 7_500],
    "looked at once, then found at the next look",
  );
});

Deno.test("a list that lags 3 s behind creates: the lost dial's call is found, not dialled again", async () => {
  const t = setup([{ lostAnswer: true }], { listLagMs: 3_000 });
  using _ = t.caller;
  await t.clock.run(() => t.step.run(t.run()));
  assert.equal(t.telephony.calls.length, 1);
  assert.deepEqual(t.telephony.dials, [0]);
  assert.deepEqual(t.telephony.listReads, [0, 7_500]);
});

Deno.test("a lost dial that placed nothing is looked for five times over the settle time, then dialled once more", async () => {
  const t = setup([{ neverPlaced: true }]);
  using _ = t.caller;
  const { state } = await t.clock.run(() => t.step.run(t.run()));
  assert.deepEqual(t.telephony.listReads, [0, 7_500, 15_000, 22_500, 30_000]);
  assert.deepEqual(t.telephony.dials, [0, 30_000], "dialled again only after the last look");
  assert.equal(state.sid, "CA1");
  assert.equal(t.progress.call.dials, 1, "the lost dial placed nothing: one dial in all");
  assert.deepEqual(t.saves, ["call-each", "call-each"], "each dial recorded under the rule");
});

Deno.test("a status callback naming the lost dial's marker adopts its call at once", async () => {
  const t = setup([{ neverPlaced: true }], { calling: { lostDialSettleMs: 60_000 } });
  using _ = t.caller;
  const running = t.clock.run(async () => {
    const result = t.step.run(t.run());
    await t.clock.sleep(2_000);
    t.updates.publish(
      { sid: "CApushed", status: "completed", durationS: 3 },
      t.progress.call.dialing!.marker,
    );
    return await result;
  });
  const { state } = await running;
  assert.equal(state.sid, "CApushed");
  assert.deepEqual(t.adopted, ["CApushed"]);
  assert.deepEqual(t.telephony.dials, [0]);
  assert.deepEqual(t.telephony.listReads, [0], "woken by the callback, not the next look");
});

Deno.test("a listed call another contact recorded is never adopted; the call nearest the dial's time is", async () => {
  const t = setup([{ lostAnswer: true, appliedAfterMs: 1_000 }], { recorded: ["CA1"] });
  using _ = t.caller;
  // Someone else's call to the same number, 20 s before this dial: within the clock skew.
  t.telephony.calls.push({ sid: "CA1", to: contact.phone, createdAt: -20_000 });
  const { state } = await t.clock.run(() => t.step.run(t.run()));
  assert.equal(state.sid, "CA2", "its own call, which showed up after the first look");
  assert.deepEqual(t.telephony.dials, [0]);
});

Deno.test("the ledger's refusal stops a dial before it is sent, and leaves no dial in the progress", async () => {
  for (
    const [refusal, expected] of [
      [{ reason: "phone-busy", holder: { campaign: "spring", contactId: "c0" } }, NumberBusy],
      [{ reason: "called-before", firstContactId: "c0" }, ContactNotCalled],
    ] as const
  ) {
    const t = setup(["ok"]);
    using _ = t.caller;
    await assert.rejects(
      t.clock.run(() => t.step.run(t.run(() => Promise.resolve(refusal)))),
      expected,
    );
    assert.deepEqual(t.telephony.dials, []);
    assert.deepEqual(t.progress.call, { dials: 0, previousSids: [] });
  }
});

Deno.test("a number on the do-not-call list is never dialled, also when listed after its dial was lost", async () => {
  const listed = new Set<string>();
  const t = setup([{ neverPlaced: true }], { calling: { lostDialSettleMs: 0 } });
  using _ = t.caller;
  const step = new CallStep({
    ...t.step.deps,
    doNotCall: { has: (p) => Promise.resolve(listed.has(p)) },
  }, t.step.options);
  const saved: unknown[] = [];
  const run = t.run((dial) => {
    saved.push(structuredClone(t.progress.call));
    if (!dial) return Promise.resolve(undefined);
    listed.add(contact.phone); // listed while the first dial is under way
    return Promise.resolve(undefined);
  });
  await assert.rejects(t.clock.run(() => step.run(run)), ContactNotCalled);
  assert.deepEqual(t.telephony.dials, [0], "the lost dial was looked for, not dialled again");
  assert.deepEqual(t.telephony.listReads, [0]);
  assert.equal(t.progress.call.dialing, undefined, "the number is let go");
  await assert.rejects(step.screen(contact, { attempts: {} }, "spring"), ContactNotCalled);
});
