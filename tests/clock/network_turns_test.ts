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
