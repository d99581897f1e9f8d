import assert from "node:assert/strict";
import { seededRandom, VirtualClock } from "../../src/clock/mod.ts";
import {
  AuthenticationError,
  CircuitOpenError,
  InvalidRequestError,
  RateLimitError,
  RetriesExhaustedError,
  ServiceUnavailableError,
} from "../../src/errors.ts";
import { type RetryEvent, RetryPolicy } from "../../src/retry/mod.ts";
import { constantRandom, retryOptions } from "../_support/fixtures.ts";

const unavailable = () => new ServiceUnavailableError({ service: "tts", status: 503 });

function failingTimes<T>(
  times: number,
  error: () => Error,
  value: T,
  clock: VirtualClock,
) {
  const calledAt: number[] = [];
  const fn = () => {
    calledAt.push(clock.now());
    return calledAt.length <= times ? Promise.reject(error()) : Promise.resolve(value);
  };
  return { fn, calledAt };
}

Deno.test("transient failures are retried at 5 s, 10 s and 20 s plus seeded jitter", async () => {
  const clock = new VirtualClock();
  const random = seededRandom(1);
  const expectedJitter = [random(), random(), random()].map((r) => r * 1_000);
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: seededRandom(1),
  });
  const { fn, calledAt } = failingTimes(3, unavailable, "ok", clock);
  const result = await clock.run(() => retry.execute(fn));
  assert.equal(result, "ok");
  const gaps = calledAt.slice(1).map((t, i) => t - calledAt[i]);
  assert.deepEqual(gaps, [
    5_000 + expectedJitter[0],
    10_000 + expectedJitter[1],
    20_000 + expectedJitter[2],
  ]);
});

Deno.test("retries stop after maxRetries with a typed give-up that keeps the last error", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: constantRandom(0),
  });
  const events: RetryEvent[] = [];
  using _ = retry.onEvent((event) => events.push(event));
  const { fn, calledAt } = failingTimes(10, unavailable, "never", clock);
  await assert.rejects(clock.run(() => retry.execute(fn)), (error) => {
    assert.ok(error instanceof RetriesExhaustedError);
    assert.equal(error.reason, "exhausted");
    assert.equal(error.attempts, 4);
    assert.ok(error.cause instanceof ServiceUnavailableError);
    return true;
  });
  assert.equal(calledAt.length, 4);
  const last = events.at(-1)!;
  assert.equal(last.type, "give-up");
  assert.equal(last.type === "give-up" && last.reason, "exhausted");
  assert.deepEqual(
    events.filter((e) => e.type === "retry").map((e) => e.type === "retry" && e.delayMs),
    [
      5_000,
      10_000,
      20_000,
    ],
  );
});

Deno.test("permanent errors are not retried", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: constantRandom(0),
  });
  for (
    const error of [
      new AuthenticationError({ service: "llm" }),
      new InvalidRequestError({ service: "llm" }),
      new TypeError("bug"),
    ]
  ) {
    let calls = 0;
    await assert.rejects(
      retry.execute(() => {
        calls++;
        return Promise.reject(error);
      }),
      (thrown) => thrown === error,
    );
    assert.equal(calls, 1);
  }
});

Deno.test("a circuit-open rejection ends the loop at once", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: constantRandom(0),
  });
  let calls = 0;
  await assert.rejects(
    retry.execute(() => {
      calls++;
      return Promise.reject(
        new CircuitOpenError({ service: "tts", remainingMs: 1 }),
      );
    }),
    CircuitOpenError,
  );
  assert.equal(calls, 1);
  assert.equal(clock.now(), 0);
});

Deno.test("Retry-After longer than the backoff is waited in full", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions({ jitterMs: 0 }), {
    clock,
    random: constantRandom(0),
  });
  const { fn, calledAt } = failingTimes(
    1,
    () => new RateLimitError({ service: "llm", retryAfterMs: 12_000 }),
    "ok",
    clock,
  );
  await clock.run(() => retry.execute(fn));
  assert.equal(calledAt[1] - calledAt[0], 12_000);
});

Deno.test("Retry-After shorter than the backoff still waits the backoff", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions({ jitterMs: 0 }), {
    clock,
    random: constantRandom(0),
  });
  const { fn, calledAt } = failingTimes(
    1,
    () => new RateLimitError({ service: "llm", retryAfterMs: 1_000 }),
    "ok",
    clock,
  );
  await clock.run(() => retry.execute(fn));
  assert.equal(calledAt[1] - calledAt[0], 5_000);
});

Deno.test("Retry-After above maxRetryAfterMs gives up at once", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: constantRandom(0),
  });
  const events: RetryEvent[] = [];
  using _ = retry.onEvent((event) => events.push(event));
  const { fn, calledAt } = failingTimes(
    1,
    () => new RateLimitError({ service: "llm", retryAfterMs: 3_600_000 }),
    "ok",
    clock,
  );
  await assert.rejects(retry.execute(fn), (error) => {
    assert.ok(error instanceof RetriesExhaustedError);
    assert.equal(error.reason, "retry-after-too-long");
    assert.ok(error.cause instanceof RateLimitError);
    return true;
  });
  assert.equal(calledAt.length, 1);
  const last = events.at(-1)!;
  assert.equal(last.type === "give-up" && last.reason, "retry-after-too-long");
});

Deno.test("an abort during the wait cancels it and rejects with the reason", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: constantRandom(0),
  });
  const controller = new AbortController();
  const { fn, calledAt } = failingTimes(5, unavailable, "ok", clock);
  const call = retry.execute(fn, { signal: controller.signal });
  call.catch(() => {});
  await clock.advance(1_000);
  controller.abort(new Error("shutting down"));
  await assert.rejects(call, /shutting down/);
  assert.equal(calledAt.length, 1);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("a halt that fires during the wait stops the loop without another call", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: constantRandom(0),
  });
  let stop: ((error: Error) => void) | undefined;
  const halt = {
    check: () => undefined,
    subscribe: (callback: (error: Error) => void) => {
      stop = callback;
      return { [Symbol.dispose]: () => (stop = undefined) };
    },
  };
  const { fn, calledAt } = failingTimes(5, unavailable, "ok", clock);
  const call = retry.execute(fn, { halt });
  call.catch(() => {});
  await clock.advance(2_000);
  stop!(new CircuitOpenError({ service: "tts", remainingMs: 30_000 }));
  await assert.rejects(call, CircuitOpenError);
  assert.equal(calledAt.length, 1);
  assert.equal(stop, undefined, "the halt subscription is disposed");
});

Deno.test("events report every attempt with its context", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: constantRandom(0),
  });
  const events: RetryEvent[] = [];
  using _ = retry.onEvent((event) => events.push(event));
  const { fn } = failingTimes(1, unavailable, "ok", clock);
  await clock.run(() => retry.execute(fn, { context: { service: "tts", contactId: "c1" } }));
  assert.deepEqual(events.map((e) => `${e.type}:${e.attempt}`), [
    "attempt:1",
    "retry:1",
    "attempt:2",
    "success:2",
  ]);
  assert.ok(events.every((e) => e.context.contactId === "c1"));
});

Deno.test("one policy serves concurrent calls without sharing their state", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: constantRandom(0),
  });
  const a = failingTimes(2, unavailable, "a", clock);
  const b = failingTimes(0, unavailable, "b", clock);
  const results = await clock.run(() => Promise.all([retry.execute(a.fn), retry.execute(b.fn)]));
  assert.deepEqual(results, ["a", "b"]);
  assert.deepEqual(a.calledAt, [0, 5_000, 15_000]);
});

Deno.test("invalid options throw a RangeError naming the field", () => {
  const clock = new VirtualClock();
  assert.throws(
    () =>
      new RetryPolicy(retryOptions({ maxRetries: -1 }), {
        clock,
        random: Math.random,
      }),
    /retry\.maxRetries must be an integer between 0 and 20: got -1/,
  );
});

Deno.test("a call's own cap (maxAttempts) stops the loop before the policy's maxRetries", async () => {
  const clock = new VirtualClock();
  const retry = new RetryPolicy(retryOptions(), { clock, random: constantRandom(0) });
  const { fn, calledAt } = failingTimes(10, unavailable, "never", clock);
  await assert.rejects(clock.run(() => retry.execute(fn, { maxAttempts: 2 })), (error) => {
    assert.ok(error instanceof RetriesExhaustedError);
    assert.equal(error.reason, "exhausted");
    assert.equal(error.attempts, 2);
    return true;
  });
  assert.equal(calledAt.length, 2);
  await assert.rejects(retry.execute(fn, { maxAttempts: 0 }), RangeError);
});
