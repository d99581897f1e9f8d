import assert from "node:assert/strict";
import { VirtualClock } from "../../src/clock/mod.ts";
import { SlotWaitTimeoutError } from "../../src/errors.ts";
import { Bulkhead } from "../../src/resilience/mod.ts";

Deno.test("a bulkhead runs at most its limit at once and the rest in order", async () => {
  const bulkhead = new Bulkhead(2);
  const releases: (() => void)[] = [];
  const started: number[] = [];
  const calls = [1, 2, 3, 4].map((n) =>
    bulkhead.run(() =>
      new Promise<number>((resolve) => {
        started.push(n);
        releases.push(() => resolve(n));
      })
    )
  );
  await Promise.resolve();
  assert.deepEqual(started, [1, 2]);
  assert.equal(bulkhead.queued, 2);
  releases[0]();
  await calls[0];
  await Promise.resolve();
  assert.deepEqual(started, [1, 2, 3]);
  releases[1]();
  releases[2]();
  await Promise.all(calls.slice(1, 3));
  await Promise.resolve();
  releases[3]();
  assert.deepEqual(await Promise.all(calls), [1, 2, 3, 4]);
  assert.equal(bulkhead.active, 0);
});

Deno.test("a caller that aborts while queued leaves the queue without running", async () => {
  const bulkhead = new Bulkhead(1);
  let release!: () => void;
  const first = bulkhead.run(() => new Promise<void>((resolve) => (release = resolve)));
  const controller = new AbortController();
  let ran = false;
  const second = bulkhead.run(() => {
    ran = true;
    return Promise.resolve();
  }, controller.signal);
  controller.abort(new Error("gave up"));
  await assert.rejects(second, /gave up/);
  release();
  await first;
  assert.equal(ran, false);
  assert.equal(bulkhead.active, 0);
  assert.equal(bulkhead.queued, 0);
});

Deno.test("a bad limit is a RangeError naming it", () => {
  assert.throws(
    () => new Bulkhead(0, "tts.maxConcurrency"),
    /tts\.maxConcurrency: concurrency limit must be an integer >= 1: got 0/,
  );
});

Deno.test("a wait for a slot is bounded on its own: SlotWaitTimeoutError, and the caller never runs", async () => {
  const clock = new VirtualClock();
  const bulkhead = new Bulkhead(1, "tts");
  let release!: () => void;
  const first = bulkhead.run(() => new Promise<void>((resolve) => (release = resolve)));
  let ran = false;
  const second = bulkhead.run(() => {
    ran = true;
    return Promise.resolve();
  }, { waitMs: 2_000, clock });
  second.catch(() => {});
  await clock.advance(2_000);
  await assert.rejects(second, (error) => {
    assert.ok(error instanceof SlotWaitTimeoutError);
    assert.match(error.message, /tts: no free slot within 2000 ms/);
    return true;
  });
  release();
  await first;
  assert.equal(ran, false);
  assert.equal(bulkhead.queued, 0);
  assert.equal(clock.pendingTimers, 0);
});
