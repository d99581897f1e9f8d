import assert from "node:assert/strict";
import { seededRandom, systemClock, VirtualClock, withTimeout } from "../../src/clock/mod.ts";

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

Deno.test("withTimeout rejects with the timeout error and aborts the task's signal", async () => {
  const clock = new VirtualClock();
  let taskSignal: AbortSignal | undefined;
  const call = withTimeout(
    clock,
    1_000,
    (signal) => {
      taskSignal = signal;
      return new Promise<never>(() => {});
    },
    () => new Error("deadline passed"),
  );
  call.catch(() => {});
  await clock.advance(999);
  assert.equal(taskSignal?.aborted, false);
  await clock.advance(1);
  await assert.rejects(call, /deadline passed/);
  assert.equal(taskSignal?.aborted, true);
});

Deno.test("withTimeout returns the task's result and leaves no timer behind", async () => {
  const clock = new VirtualClock();
  const result = await withTimeout(
    clock,
    1_000,
    () => Promise.resolve(42),
    () => new Error("x"),
  );
  assert.equal(result, 42);
  await clock.settle();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("withTimeout passes on the caller's abort", async () => {
  const clock = new VirtualClock();
  const controller = new AbortController();
  const call = withTimeout(
    clock,
    1_000,
    () => new Promise<never>(() => {}),
    () => new Error("timeout"),
    controller.signal,
  );
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
