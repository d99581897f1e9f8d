import assert from "node:assert/strict";
import { Deadlines, seededRandom, systemClock, VirtualClock } from "../../src/clock/mod.ts";

Deno.test("virtual clock fires timers in time order when advanced", async () => {
  const clock = new VirtualClock();
  const fired: string[] = [];
  clock.sleep(300).then(() => fired.push("300"));
  clock.sleep(100).then(() => fired.push("100"));
  clock.sleep(200).then(() => fired.push("200"));
  await clock.advance(250);
  assert.deepEqual(fired, ["100", "200"]);
  assert.equal(clock.now(), 250);
  await clock.advance(50);
  assert.deepEqual(fired, ["100", "200", "300"]);
});

Deno.test("virtual clock run jumps over minutes of waiting at once", async () => {
  const clock = new VirtualClock();
  const result = await clock.run(async () => {
    await clock.sleep(5_000);
    await clock.sleep(10_000);
    await clock.sleep(20_000);
    return clock.now();
  });
  assert.equal(result, 35_000);
});

Deno.test("virtual clock sleep rejects with the signal's reason and forgets the timer", async () => {
  const clock = new VirtualClock();
  const controller = new AbortController();
  const sleeping = clock.sleep(1_000, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(sleeping, /stop/);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("virtual clock run reports a task that waits on something other than the clock", async () => {
  const clock = new VirtualClock();
  const never = new Promise<void>(() => {});
  await assert.rejects(clock.run(() => never), /no timer pending/);
});

Deno.test("system clock sleep is cancelled by its signal without leaking a timer", async () => {
  const controller = new AbortController();
  const sleeping = systemClock.sleep(60_000, controller.signal);
  controller.abort(new Error("cancelled"));
  await assert.rejects(sleeping, /cancelled/);
});

Deno.test("system clock sleep(0) is one turn of the event loop, ahead of a timer set before it, and cancellable", async () => {
  const order: string[] = [];
  // From a timer's callback, as a worker that yields is: a timer of 0 ms waits its turn.
  await new Promise<void>((done) =>
    setTimeout(() => {
      setTimeout(() => {
        order.push("timer");
        done();
      }, 0);
      systemClock.sleep(0).then(() => order.push("turn"));
    }, 0)
  );
  assert.deepEqual(order, ["turn", "timer"]);
  const controller = new AbortController();
  const cancelled = systemClock.sleep(0, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(cancelled, /stop/);
});

Deno.test("a deadline rejects with the timeout error and aborts the task's signal", async () => {
  const clock = new VirtualClock();
  using deadlines = new Deadlines(clock, 1_000, () => new Error("deadline passed"));
  let taskSignal: AbortSignal | undefined;
  const call = deadlines.run((signal) => {
    taskSignal = signal;
    return new Promise<never>(() => {});
  });
  call.catch(() => {});
  await clock.advance(999);
  assert.equal(taskSignal?.aborted, false);
  await clock.advance(1);
  await assert.rejects(call, /deadline passed/);
  assert.equal(taskSignal?.aborted, true);
});

Deno.test("deadlines share one timer: each attempt ends at its own deadline, a finished one never", async () => {
  const clock = new VirtualClock();
  using deadlines = new Deadlines(clock, 1_000, () => new Error("late"));
  const ended: string[] = [];
  const hang = (name: string) =>
    deadlines.run(() => new Promise<never>(() => {})).catch(() =>
      ended.push(`${name}@${clock.now()}`)
    );
  const first = hang("a");
  await clock.advance(300);
  const done = deadlines.run(() => Promise.resolve("ok"));
  const second = hang("b");
  assert.equal(await done, "ok");
  assert.equal(clock.pendingTimers, 1, "one timer for every attempt");
  await clock.advance(1_000);
  await Promise.all([first, second]);
  assert.deepEqual(ended, ["a@1000", "b@1300"]);
  await clock.settle();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("a deadline returns the task's result and, disposed, leaves no timer behind", async () => {
  const clock = new VirtualClock();
  const deadlines = new Deadlines(clock, 1_000, () => new Error("x"));
  assert.equal(await deadlines.run(() => Promise.resolve(42)), 42);
  deadlines[Symbol.dispose]();
  await clock.settle();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("a deadline passes on the caller's abort", async () => {
  const clock = new VirtualClock();
  using deadlines = new Deadlines(clock, 1_000, () => new Error("timeout"));
  const controller = new AbortController();
  const call = deadlines.run(() => new Promise<never>(() => {}), controller.signal);
  controller.abort(new Error("shutdown"));
  await assert.rejects(call, /shutdown/);
});

Deno.test("seeded random repeats its sequence for the same seed and stays in [0, 1)", () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const first = Array.from({ length: 1000 }, a);
  assert.deepEqual(first, Array.from({ length: 1000 }, b));
  assert.ok(first.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(
    first.slice(0, 5),
    Array.from({ length: 5 }, seededRandom(8)),
  );
  assert.throws(() => seededRandom(1.5), /seed must be an integer/);
});
