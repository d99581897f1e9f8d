import assert from "node:assert/strict";
import { BreakerRegistry } from "../../src/breaker/mod.ts";
import { VirtualClock } from "../../src/clock/mod.ts";
import { ServiceUnavailableError } from "../../src/errors.ts";
import { HealthChecker, type HealthCheckEvent } from "../../src/health/mod.ts";
import { MockTts } from "../../src/services/mod.ts";
import { breakerOptions } from "../_support/fixtures.ts";

function setup(healUntilMs: number) {
  const clock = new VirtualClock();
  const tts = new MockTts({
    faults: [{ fail: "unavailable", untilMs: healUntilMs }],
  }, { clock });
  const breakers = new BreakerRegistry({ tts: breakerOptions() }, { clock });
  const checker = new HealthChecker([tts], breakers, {
    intervalMs: 10_000,
    timeoutMs: 5_000,
  }, {
    clock,
  });
  const checks: HealthCheckEvent[] = [];
  checker.onCheck((check) => checks.push(check));
  return { clock, tts, breaker: breakers.get("tts"), checker, checks };
}

async function openBreaker(breaker: ReturnType<typeof setup>["breaker"]) {
  for (let i = 0; i < 3; i++) {
    await breaker.execute(() => Promise.reject(new ServiceUnavailableError({ service: "tts" })))
      .catch(() => {});
  }
}

Deno.test("an OPEN breaker stays OPEN while its service's probe is unhealthy", async () => {
  const { clock, breaker, checker } = setup(Infinity);
  await using _ = checker;
  await openBreaker(breaker);
  checker.start();
  await clock.advance(60_000);
  assert.equal(breaker.state, "OPEN");
  assert.equal(checker.status()[0].status, "unhealthy");
  assert.equal(checker.status()[0].consecutiveFailures, 7);
});

Deno.test("a healthy probe after the recovery timeout moves the breaker to HALF_OPEN", async () => {
  const { clock, breaker, checker, checks } = setup(45_000);
  await using _ = checker;
  await openBreaker(breaker);
  checker.start();
  await clock.advance(40_000);
  assert.equal(breaker.state, "OPEN");
  await clock.advance(10_000);
  assert.equal(breaker.state, "HALF_OPEN");
  const change = checks.find((check) => check.changed && check.status === "healthy");
  assert.equal(change?.lastCheckedAt, 50_000);
});

Deno.test("a healthy probe before the recovery timeout does not promote", async () => {
  const { clock, breaker, checker } = setup(0);
  await using _ = checker;
  await openBreaker(breaker);
  checker.start();
  await clock.advance(20_000);
  assert.equal(breaker.state, "OPEN");
  await clock.advance(10_000);
  assert.equal(breaker.state, "HALF_OPEN");
});

Deno.test("a probe that hangs is unhealthy after the probe timeout", async () => {
  const clock = new VirtualClock();
  const tts = new MockTts({ faults: [{ hang: true }] }, { clock });
  const breakers = new BreakerRegistry({ tts: breakerOptions() }, { clock });
  await using checker = new HealthChecker(
    [tts],
    breakers,
    { intervalMs: 10_000, timeoutMs: 5_000 },
    {
      clock,
    },
  );
  const result = clock.run(() => checker.checkAll());
  const [health] = await result;
  assert.equal(health.status, "unhealthy");
  assert.equal(health.latencyMs, 5_000);
  assert.match(health.lastError!, /TimeoutError/);
});

Deno.test("stop ends every loop and leaves no timer behind", async () => {
  const { clock, checker } = setup(0);
  checker.start();
  assert.equal(checker.running, true);
  await clock.advance(25_000);
  await checker.stop();
  assert.equal(checker.running, false);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("probes run at a fixed rate even when a probe is slow", async () => {
  const clock = new VirtualClock();
  const tts = new MockTts({ latencyMs: 1_500 }, { clock });
  const breakers = new BreakerRegistry({ tts: breakerOptions() }, { clock });
  await using checker = new HealthChecker(
    [tts],
    breakers,
    { intervalMs: 10_000, timeoutMs: 5_000 },
    {
      clock,
    },
  );
  const at: number[] = [];
  checker.onCheck((check) => at.push(check.lastCheckedAt!));
  checker.start();
  await clock.advance(35_000);
  assert.deepEqual(at, [1_500, 11_500, 21_500, 31_500]);
});

Deno.test("invalid options throw a RangeError naming the field", () => {
  const clock = new VirtualClock();
  const breakers = new BreakerRegistry({}, { clock });
  assert.throws(
    () =>
      new HealthChecker([], breakers, { intervalMs: 0, timeoutMs: 1 }, {
        clock,
      }),
    /health\.intervalMs must be > 0: got 0/,
  );
});
