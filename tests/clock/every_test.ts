import assert from "node:assert/strict";
import { every, VirtualClock } from "../../src/clock/mod.ts";

Deno.test("every ticks at a fixed rate: a slow tick does not push the next ones back", async () => {
  const clock = new VirtualClock();
  const controller = new AbortController();
  const ticks: number[] = [];
  const loop = every(clock, 1_000, async () => {
    ticks.push(clock.now());
    await clock.sleep(ticks.length === 2 ? 400 : 0);
  }, { signal: controller.signal });
  await clock.advance(4_000);
  assert.deepEqual(ticks, [1_000, 2_000, 3_000, 4_000]);
  controller.abort();
  await loop.done;
  assert.equal(clock.pendingTimers, 0, "no timer left behind");
});

Deno.test("every starts at once with startNow, and a tick longer than the interval is followed at once", async () => {
  const clock = new VirtualClock();
  const controller = new AbortController();
  const ticks: number[] = [];
  const loop = every(clock, 1_000, async () => {
    ticks.push(clock.now());
    if (ticks.length === 1) await clock.sleep(2_500);
  }, { signal: controller.signal, startNow: true });
  await clock.advance(3_600);
  assert.deepEqual(ticks, [0, 2_500, 3_500]);
  controller.abort();
  await loop.done;
});

Deno.test("wake runs the next tick now; the rate counts from there", async () => {
  const clock = new VirtualClock();
  const controller = new AbortController();
  const ticks: number[] = [];
  const loop = every(clock, 1_000, () => ticks.push(clock.now()), { signal: controller.signal });
  await clock.advance(300);
  loop.wake();
  await clock.advance(1_000);
  assert.deepEqual(ticks, [300, 1_300]);
  controller.abort();
  await loop.done;
});

Deno.test("stopping ends the loop after the tick under way, and a tick's error ends it too", async () => {
  const clock = new VirtualClock();
  const controller = new AbortController();
  let finished = 0;
  const loop = every(clock, 1_000, async () => {
    await clock.sleep(500);
    finished++;
  }, { signal: controller.signal, startNow: true });
  await clock.advance(100);
  controller.abort();
  await clock.advance(400);
  await loop.done;
  assert.equal(finished, 1, "the tick under way finished; no other started");

  const failing = every(clock, 1_000, () => {
    throw new Error("broken");
  }, { signal: new AbortController().signal, startNow: true });
  await assert.rejects(failing.done, /broken/);
});
