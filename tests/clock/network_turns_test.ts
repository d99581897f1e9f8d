import assert from "node:assert/strict";
import { networkTurns, VirtualClock } from "../../src/clock/mod.ts";

Deno.test("network turns: a timer's turn once 20 ms of work have passed, none in between", async () => {
  const clock = new VirtualClock();
  const turn = networkTurns(clock);
  const turnedAt: number[] = [];
  for (let slice = 0; slice < 10; slice++) {
    await clock.advance(7); // a slice of work
    const turning = turn();
    if (clock.pendingTimers > 0) {
      turnedAt.push(clock.now());
      await clock.advance(1);
    }
    await turning;
  }
  // 7 ms slices: due after the third (21 ms), then 21 ms after each turn's end.
  assert.deepEqual(turnedAt, [21, 43, 65]);
  assert.equal(clock.pendingTimers, 0, "no timer left behind");
});

Deno.test("network turns: many callers share one timer, and go on one by one, each checking again after the one before has worked", async () => {
  // A clock the test moves by hand, so the callers' work itself takes time.
  let now = 0;
  const timers: (() => void)[] = [];
  const clock = { now: () => now, sleep: () => new Promise<void>((fire) => timers.push(fire)) };
  const settle = async () => {
    for (let i = 0; i < 50; i++) await Promise.resolve();
  };
  const turn = networkTurns(clock);
  now = 25; // the loop has been held 25 ms
  const wentOn: string[] = [];
  const worker = async (name: string) => {
    await turn();
    wentOn.push(`${name}@${now}`);
    now += 15; // its work, up to its next wait
  };
  const working = ["a", "b", "c"].map(worker);
  await settle();
  assert.equal(timers.length, 1, "one timer for all three");
  now += 1;
  timers.shift()!(); // the turn: a goes on, then b (15 ms into the slice), not c (30 ms)
  await settle();
  assert.deepEqual(wentOn, ["a@26", "b@41"]);
  assert.equal(timers.length, 1, "c waits for the next turn");
  now += 1;
  timers.shift()!();
  await Promise.all(working);
  assert.deepEqual(wentOn, ["a@26", "b@41", "c@57"]);
  assert.equal(timers.length, 0);
});

Deno.test("network turns made whenCrowded: none until the work says the loop is crowded, then for a second", async () => {
  const clock = new VirtualClock();
  const turn = networkTurns(clock, { whenCrowded: true });
  await clock.advance(100);
  await turn();
  assert.equal(clock.pendingTimers, 0, "not crowded: no turn however long the work");
  turn.crowded();
  const turning = turn();
  assert.equal(clock.pendingTimers, 1, "crowded: a turn");
  await clock.advance(1);
  await turning;
  await clock.advance(1_000);
  await turn();
  assert.equal(clock.pendingTimers, 0, "a second later, no more");
});
