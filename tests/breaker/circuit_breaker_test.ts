import assert from "node:assert/strict";
import { BreakerRegistry, type BreakerStateChange, CircuitBreaker } from "../../src/breaker/mod.ts";
import { VirtualClock } from "../../src/clock/mod.ts";
import {
  AuthenticationError,
  CircuitOpenError,
  InvalidRequestError,
  QuotaExceededError,
  ServiceUnavailableError,
} from "../../src/errors.ts";
import { breakerOptions } from "../_support/fixtures.ts";

const unavailable = () => Promise.reject(new ServiceUnavailableError({ service: "tts" }));
const ok = () => Promise.resolve("ok");

function setup(overrides = {}) {
  const clock = new VirtualClock();
  const breaker = new CircuitBreaker("tts", breakerOptions(overrides), {
    clock,
  });
  const changes: BreakerStateChange[] = [];
  breaker.onStateChange((change) => changes.push(change));
  return { clock, breaker, changes };
}

async function fail(breaker: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) {
    await breaker.execute(unavailable).catch(() => {});
  }
}

Deno.test("breaker opens after 3 consecutive failures", async () => {
  const { breaker, changes } = setup();
  await fail(breaker, 2);
  assert.equal(breaker.state, "CLOSED");
  await fail(breaker, 1);
  assert.equal(breaker.state, "OPEN");
  assert.equal(changes.length, 1);
  assert.match(
    changes[0].reason,
    /3 consecutive failures \(ServiceUnavailableError\)/,
  );
});

Deno.test("a success resets the consecutive count", async () => {
  const { breaker } = setup();
  await fail(breaker, 2);
  await breaker.execute(ok);
  await fail(breaker, 2);
  assert.equal(breaker.state, "CLOSED");
});

Deno.test("OPEN rejects with CircuitOpenError and never calls the service", async () => {
  const { breaker, clock } = setup();
  await fail(breaker, 3);
  await clock.advance(10_000);
  let called = false;
  await assert.rejects(
    breaker.execute(() => {
      called = true;
      return ok();
    }),
    (error) => error instanceof CircuitOpenError && error.remainingMs === 20_000,
  );
  assert.equal(called, false);
});

Deno.test("OPEN waits for a healthy probe after the recovery timeout before HALF_OPEN", async () => {
  const { breaker, clock } = setup();
  await fail(breaker, 3);
  breaker.reportProbe(true);
  assert.equal(
    breaker.state,
    "OPEN",
    "a healthy probe before the timeout changes nothing",
  );
  await clock.advance(30_000);
  breaker.reportProbe(false);
  assert.equal(breaker.state, "OPEN", "an unhealthy probe keeps it OPEN");
  await assert.rejects(breaker.execute(ok), CircuitOpenError);
  breaker.reportProbe(true);
  assert.equal(breaker.state, "HALF_OPEN");
});

Deno.test("without the probe rule, the first call after the timeout is the trial", async () => {
  const { breaker, clock } = setup({ halfOpenRequiresHealthyProbe: false });
  await fail(breaker, 3);
  await clock.advance(30_000);
  assert.equal(await breaker.execute(ok), "ok");
  assert.equal(breaker.state, "CLOSED");
});

Deno.test("HALF_OPEN with two concurrent calls lets one through and rejects the other", async () => {
  const { breaker, clock } = setup();
  await fail(breaker, 3);
  await clock.advance(30_000);
  breaker.reportProbe(true);
  let calls = 0;
  let release!: () => void;
  const slow = () => {
    calls++;
    return new Promise<string>((resolve) => (release = () => resolve("ok")));
  };
  const first = breaker.execute(slow);
  await assert.rejects(breaker.execute(slow), CircuitOpenError);
  assert.equal(calls, 1);
  release();
  assert.equal(await first, "ok");
  assert.equal(breaker.state, "CLOSED");
});

Deno.test("a failed trial reopens the breaker and restarts the timer", async () => {
  const { breaker, clock, changes } = setup();
  await fail(breaker, 3);
  await clock.advance(30_000);
  breaker.reportProbe(true);
  await fail(breaker, 1);
  assert.equal(breaker.state, "OPEN");
  assert.equal(breaker.remainingMs(), 30_000);
  assert.deepEqual(changes.map((c) => c.to), ["OPEN", "HALF_OPEN", "OPEN"]);
});

Deno.test("successThreshold trials are needed to close", async () => {
  const { breaker, clock } = setup({
    successThreshold: 2,
    halfOpenMaxCalls: 2,
  });
  await fail(breaker, 3);
  await clock.advance(30_000);
  breaker.reportProbe(true);
  await breaker.execute(ok);
  assert.equal(breaker.state, "HALF_OPEN");
  await breaker.execute(ok);
  assert.equal(breaker.state, "CLOSED");
});

Deno.test("service-wide permanent errors open the breaker at once", async () => {
  for (
    const error of [
      new AuthenticationError({ service: "tts" }),
      new QuotaExceededError({ service: "tts" }),
    ]
  ) {
    const { breaker, changes } = setup();
    await breaker.execute(() => Promise.reject(error)).catch(() => {});
    assert.equal(breaker.state, "OPEN");
    assert.match(changes[0].reason, new RegExp(`service-wide ${error.name}`));
  }
});

Deno.test("contact-specific permanent errors do not count", async () => {
  const { breaker } = setup();
  for (let i = 0; i < 10; i++) {
    await breaker.execute(() => Promise.reject(new InvalidRequestError({ service: "tts" }))).catch(
      () => {},
    );
  }
  assert.equal(breaker.state, "CLOSED");
  assert.equal(breaker.snapshot().consecutiveFailures, 0);
});

Deno.test("a failure after the caller aborted is not counted", async () => {
  const { breaker } = setup();
  const controller = new AbortController();
  controller.abort();
  for (let i = 0; i < 5; i++) {
    await breaker.execute(unavailable, controller.signal).catch(() => {});
  }
  assert.equal(breaker.state, "CLOSED");
});

Deno.test("failure-rate mode opens at the threshold once minimumCalls are in the window", async () => {
  const { breaker } = setup({
    mode: "failure-rate",
    failureRateThreshold: 0.5,
    slidingWindowSize: 10,
    minimumCalls: 6,
  });
  await fail(breaker, 3);
  assert.equal(breaker.state, "CLOSED", "3 failures are under minimumCalls");
  await breaker.execute(ok);
  await breaker.execute(ok);
  assert.equal(breaker.state, "CLOSED");
  await breaker.execute(ok);
  assert.equal(
    breaker.state,
    "OPEN",
    "3 of 6 is 50%: judged after the success too",
  );
});

Deno.test("failure-rate mode judges after every outcome: nine failures then a success open it", async () => {
  const { breaker } = setup({
    mode: "failure-rate",
    failureRateThreshold: 0.5,
    slidingWindowSize: 20,
    minimumCalls: 10,
  });
  await fail(breaker, 9);
  assert.equal(breaker.state, "CLOSED", "9 calls are under minimumCalls");
  await breaker.execute(ok);
  assert.equal(breaker.state, "OPEN");
  assert.match(
    breaker.snapshot().openReason!,
    /failure rate 90% over 10 calls/,
  );
});

Deno.test("failure-rate mode forgets outcomes that slid out of the window", async () => {
  const { breaker } = setup({
    mode: "failure-rate",
    failureRateThreshold: 0.5,
    slidingWindowSize: 4,
    minimumCalls: 4,
  });
  await fail(breaker, 1);
  for (let i = 0; i < 4; i++) await breaker.execute(ok);
  await fail(breaker, 1);
  assert.equal(breaker.state, "CLOSED", "1 of the last 4 failed");
  assert.deepEqual([
    breaker.snapshot().windowCalls,
    breaker.snapshot().windowFailures,
  ], [4, 1]);
});

Deno.test("a slow call admitted while CLOSED cannot close a breaker that reopened", async () => {
  const { breaker, clock } = setup();
  let release!: () => void;
  const slow = breaker.execute(() =>
    new Promise<string>((resolve) => (release = () => resolve("late")))
  );
  await fail(breaker, 3);
  await clock.advance(30_000);
  breaker.reportProbe(true);
  release();
  await slow;
  assert.equal(breaker.state, "HALF_OPEN", "the stale success was ignored");
});

Deno.test("forceOpen holds the breaker open until reset", async () => {
  const { breaker, clock, changes } = setup();
  breaker.forceOpen();
  await clock.advance(60_000);
  breaker.reportProbe(true);
  assert.equal(breaker.state, "OPEN");
  assert.equal(breaker.snapshot().forced, true);
  breaker.reset();
  assert.equal(breaker.state, "CLOSED");
  assert.deepEqual(changes.map((c) => c.reason), [
    "forced open by operator",
    "reset by operator",
  ]);
});

Deno.test("a listener that throws does not corrupt the state machine", async () => {
  const clock = new VirtualClock();
  const breaker = new CircuitBreaker("tts", breakerOptions(), { clock });
  breaker.onStateChange(() => {
    throw new Error("bad listener");
  });
  const seen: string[] = [];
  breaker.onStateChange((change) => seen.push(change.to));
  await fail(breaker, 3);
  assert.equal(breaker.state, "OPEN");
  assert.deepEqual(seen, ["OPEN"]);
});

Deno.test("invalid options throw a RangeError naming the field", () => {
  const clock = new VirtualClock();
  assert.throws(
    () =>
      new CircuitBreaker("tts", breakerOptions({ failureThreshold: 0 }), {
        clock,
      }),
    /breaker\.failureThreshold must be an integer >= 1: got 0/,
  );
});

Deno.test("the registry builds one breaker per service and merges their changes", async () => {
  const clock = new VirtualClock();
  const registry = new BreakerRegistry(
    { llm: breakerOptions(), tts: breakerOptions({ failureThreshold: 1 }) },
    { clock },
  );
  const changes: BreakerStateChange[] = [];
  registry.onStateChange((change) => changes.push(change));
  await registry.get("tts").execute(unavailable).catch(() => {});
  assert.deepEqual(changes.map((c) => `${c.service}:${c.to}`), ["tts:OPEN"]);
  assert.equal(registry.get("llm").state, "CLOSED");
  assert.throws(
    () => registry.get("sms"),
    /no circuit breaker for service "sms": known services are llm, tts/,
  );
});

Deno.test("without the probe rule, the state itself turns HALF_OPEN at the recovery time and says so", async () => {
  const { breaker, clock, changes } = setup({
    halfOpenRequiresHealthyProbe: false,
  });
  await fail(breaker, 3);
  await clock.advance(29_999);
  assert.equal(breaker.state, "OPEN");
  await clock.advance(1);
  assert.equal(breaker.state, "HALF_OPEN", "read without any call");
  assert.deepEqual(changes.map((c) => c.to), ["OPEN", "HALF_OPEN"]);
});

Deno.test("forceOpen on an OPEN breaker is announced, and it reports no recovery time", async () => {
  const { breaker, clock, changes } = setup();
  await fail(breaker, 3);
  breaker.forceOpen("forced open by operator (admin API)");
  assert.deepEqual(
    changes.map((c) => `${c.from}->${c.to}: ${c.reason}`).slice(1),
    [
      "OPEN->OPEN: forced open by operator (admin API)",
    ],
  );
  await clock.advance(60_000);
  assert.equal(breaker.remainingMs(), Infinity);
  assert.equal(breaker.snapshot().remainingMs, Infinity);
  const error = await breaker.execute(ok).catch((e) => e);
  assert.ok(error instanceof CircuitOpenError);
  assert.equal(error.remainingMs, Infinity);
});

Deno.test("a HALF_OPEN trial that never settles reopens the breaker after halfOpenMaxWaitMs", async () => {
  const { breaker, clock } = setup({ halfOpenMaxWaitMs: 5_000 });
  await fail(breaker, 3);
  await clock.advance(30_000);
  breaker.reportProbe(true);
  const hung = breaker.execute(() => new Promise<never>(() => {}));
  hung.catch(() => {});
  await clock.advance(4_999);
  assert.equal(breaker.state, "HALF_OPEN");
  await clock.advance(1);
  assert.equal(breaker.state, "OPEN");
  assert.match(
    breaker.snapshot().openReason!,
    /trial call unfinished after 5000 ms/,
  );
});

Deno.test("execute with an already-aborted signal does not call the function", async () => {
  const { breaker } = setup();
  const controller = new AbortController();
  controller.abort(new Error("gone"));
  let called = false;
  await assert.rejects(
    breaker.execute(() => {
      called = true;
      return ok();
    }, controller.signal),
    /gone/,
  );
  assert.equal(called, false);
});

Deno.test("a pause the service asked for holds the breaker open until then", async () => {
  const { breaker, clock } = setup();
  breaker.pauseFor(120_000, "asked to wait 120 s (Retry-After)");
  assert.equal(breaker.state, "OPEN");
  await clock.advance(60_000);
  breaker.reportProbe(true);
  assert.equal(
    breaker.state,
    "OPEN",
    "the recovery timeout alone does not end a pause",
  );
  await clock.advance(60_000);
  breaker.reportProbe(true);
  assert.equal(breaker.state, "HALF_OPEN");
});

Deno.test("a fail-fast rejection is one shared error per opening, with the time read live", async () => {
  const { breaker, clock } = setup();
  await fail(breaker, 3);
  const first = await breaker.execute(ok).catch((e) => e);
  await clock.advance(10_000);
  const second = await breaker.execute(ok).catch((e) => e);
  assert.equal(first, second);
  assert.equal(second.remainingMs, 20_000);
});
