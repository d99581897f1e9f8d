import assert from "node:assert/strict";
import { BreakerRegistry } from "../../src/breaker/mod.ts";
import { VirtualClock } from "../../src/clock/mod.ts";
import { CircuitOpenError, ServiceUnavailableError, TimeoutError } from "../../src/errors.ts";
import { Bulkhead, ServiceCaller } from "../../src/resilience/mod.ts";
import { RetryPolicy } from "../../src/retry/mod.ts";
import { breakerOptions, constantRandom, retryOptions } from "../_support/fixtures.ts";

function setup(timeoutMs = 30_000) {
  const clock = new VirtualClock();
  const breakers = new BreakerRegistry({ tts: breakerOptions() }, { clock });
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: constantRandom(0),
  });
  const caller = new ServiceCaller(
    { tts: { retry, breaker: breakers.get("tts"), timeoutMs } },
    { clock },
  );
  return { clock, breakers, caller };
}

Deno.test("the third failed attempt opens the breaker and the loop stops without waiting 20 s", async () => {
  const { clock, breakers, caller } = setup();
  const calledAt: number[] = [];
  const result = clock.run(() =>
    caller.call("tts", () => {
      calledAt.push(clock.now());
      return Promise.reject(new ServiceUnavailableError({ service: "tts" }));
    })
  );
  await assert.rejects(result, (error) => {
    assert.ok(error instanceof CircuitOpenError);
    return true;
  });
  assert.deepEqual(calledAt, [0, 5_000, 15_000]);
  assert.equal(clock.now(), 15_000, "no 20 s wait after the breaker opened");
  assert.equal(breakers.get("tts").state, "OPEN");
});

Deno.test("a breaker opened by another caller stops a retry loop in its wait", async () => {
  const { clock, breakers, caller } = setup();
  let calls = 0;
  const result = caller.call("tts", () => {
    calls++;
    return Promise.reject(new ServiceUnavailableError({ service: "tts" }));
  });
  result.catch(() => {});
  await clock.advance(1_000);
  breakers.get("tts").forceOpen();
  await assert.rejects(result, CircuitOpenError);
  assert.equal(calls, 1);
  assert.equal(clock.now(), 1_000);
});

Deno.test("an attempt past its deadline becomes a TimeoutError and counts as a failure", async () => {
  const { clock, breakers, caller } = setup(2_000);
  const signals: AbortSignal[] = [];
  const result = clock.run(() =>
    caller.call("tts", (signal) => {
      signals.push(signal);
      return new Promise<never>(() => {});
    })
  );
  await assert.rejects(result, CircuitOpenError);
  assert.equal(signals.length, 3);
  assert.ok(
    signals.every((signal) => signal.aborted && signal.reason instanceof TimeoutError),
  );
  assert.match(breakers.get("tts").snapshot().lastErrorClass!, /TimeoutError/);
});

Deno.test("an unknown service is a RangeError naming the known ones", () => {
  const { caller } = setup();
  assert.throws(
    () => caller.call("sms", () => Promise.resolve()),
    /known services are tts/,
  );
});

Deno.test("a wait for a slot is not part of the attempt's deadline", async () => {
  const clock = new VirtualClock();
  const breakers = new BreakerRegistry({ tts: breakerOptions() }, { clock });
  const retry = new RetryPolicy(retryOptions(), {
    clock,
    random: constantRandom(0),
  });
  const caller = new ServiceCaller({
    tts: {
      retry,
      breaker: breakers.get("tts"),
      timeoutMs: 1_000,
      bulkhead: new Bulkhead(1, "tts"),
      slotWaitMs: 10_000,
    },
  }, { clock });
  const outcomes: string[] = [];
  caller.onAttemptEnd((a) => outcomes.push(`${a.outcome}@${clock.now()}`));
  const slow = () => clock.sleep(800).then(() => "done");
  const results = await clock.run(() =>
    Promise.all([
      caller.call("tts", slow),
      caller.call("tts", slow),
      caller.call("tts", slow),
    ])
  );
  assert.deepEqual(results, ["done", "done", "done"]);
  assert.deepEqual(outcomes, ["success@800", "success@1600", "success@2400"]);
});

Deno.test("deadlines share one timer per service, and each attempt still ends at its own", async () => {
  const clock = new VirtualClock();
  const breakers = new BreakerRegistry({ tts: breakerOptions({ failureThreshold: 10 }) }, {
    clock,
  });
  const retry = new RetryPolicy(retryOptions({ maxRetries: 0 }), { clock, random: Math.random });
  using caller = new ServiceCaller(
    { tts: { retry, breaker: breakers.get("tts"), timeoutMs: 1_000 } },
    { clock },
  );
  const ended: string[] = [];
  caller.onAttemptEnd((a) => ended.push(`${a.outcome}@${clock.now()}`));
  const hang = () => new Promise<never>(() => {});
  const quick = () => clock.sleep(50).then(() => "ok");
  const calls: Promise<unknown>[] = [];
  let peakTimers = 0;
  await clock.run(async () => {
    calls.push(caller.call("tts", hang).catch((e) => e));
    await clock.sleep(100);
    calls.push(caller.call("tts", quick));
    await clock.sleep(100);
    calls.push(caller.call("tts", hang).catch((e) => e));
    peakTimers = clock.pendingTimers; // two hanging attempts in flight
    await Promise.all(calls);
  });
  assert.deepEqual(ended, ["success@150", "TimeoutError@1000", "TimeoutError@1200"]);
  assert.equal(peakTimers, 1, "two attempts in flight, one deadline timer");
  caller[Symbol.dispose]();
  assert.equal(clock.pendingTimers, 0, "disposing clears the shared timer");
});

Deno.test("beforeAttempt is awaited before each attempt is admitted, and its refusal sends nothing", async () => {
  const { clock, caller } = setup();
  const order: string[] = [];
  let attempt = 0;
  await assert.rejects(
    clock.run(() =>
      caller.call("tts", () => {
        order.push(`sent ${++attempt}`);
        return Promise.reject(new ServiceUnavailableError({ service: "tts" }));
      }, {
        maxAttempts: 2,
        beforeAttempt: () => (order.push(`before ${attempt + 1}`), Promise.resolve()),
      })
    ),
  );
  assert.deepEqual(order, ["before 1", "sent 1", "before 2", "sent 2"]);
  let sent = 0;
  await assert.rejects(
    clock.run(() =>
      caller.call("tts", () => (sent++, Promise.resolve("ok")), {
        beforeAttempt: () => Promise.reject(new Error("the ledger refused")),
      })
    ),
    /the ledger refused/,
  );
  assert.equal(sent, 0);
});
