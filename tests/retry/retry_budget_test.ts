import assert from "node:assert/strict";
import { seededRandom, VirtualClock } from "../../src/clock/mod.ts";
import { RetriesExhaustedError, ServiceUnavailableError } from "../../src/errors.ts";
import { RetryBudget, RetryPolicy } from "../../src/retry/mod.ts";

Deno.test("a budget allows retries up to its ratio of first attempts plus its minimum", () => {
  const clock = new VirtualClock();
  const budget = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minPerSecond: 1 }, { clock });
  for (let i = 0; i < 100; i++) budget.deposit();
  let granted = 0;
  while (budget.tryWithdraw()) granted++;
  assert.equal(granted, 0.2 * 100 + 1 * 10);
  budget.deposit();
  budget.deposit();
  budget.deposit();
  budget.deposit();
  budget.deposit();
  assert.ok(budget.tryWithdraw(), "five more first attempts earn one more retry");
  assert.ok(!budget.tryWithdraw());
});

Deno.test("what a budget counted leaves the window a second at a time", async () => {
  const clock = new VirtualClock();
  const budget = new RetryBudget({ ratio: 0, windowMs: 2_000, minPerSecond: 1 }, { clock });
  assert.ok(budget.tryWithdraw() && budget.tryWithdraw());
  assert.ok(!budget.tryWithdraw(), "two per window of two seconds");
  await clock.advance(2_000);
  assert.deepEqual(budget.spent(), { firsts: 0, retries: 0 });
  assert.ok(budget.tryWithdraw());
});

Deno.test("a retry the budget refuses ends the call as a service failure, not sent", async () => {
  const clock = new VirtualClock();
  const budget = new RetryBudget({ ratio: 0, windowMs: 10_000, minPerSecond: 0.1 }, { clock });
  const policy = new RetryPolicy({
    maxRetries: 3,
    initialDelayMs: 10,
    base: 2,
    maxDelayMs: 100,
    jitter: "none",
    jitterMs: 0,
    maxRetryAfterMs: 1_000,
  }, { clock, random: seededRandom(1), budget });
  let sent = 0;
  const failing = () => {
    sent++;
    return Promise.reject(new ServiceUnavailableError({ service: "tts", status: 503 }));
  };
  const error = await clock.run(() =>
    policy.execute(failing, { context: { service: "tts" } }).catch((e) => e)
  );
  assert.ok(error instanceof RetriesExhaustedError, String(error));
  assert.equal(error.reason, "retry-budget");
  assert.equal(sent, 2, "the first attempt and the one retry the budget had");
  assert.match(error.message, /retry budget is spent/);
});

Deno.test("an unusable budget is refused, naming the field", () => {
  const clock = new VirtualClock();
  assert.throws(
    () => new RetryBudget({ ratio: -1, windowMs: 10_000, minPerSecond: 1 }, { clock }),
    /retryBudget\.ratio must be >= 0: got -1/,
  );
  assert.throws(
    () => new RetryBudget({ ratio: 0.2, windowMs: 10, minPerSecond: 1 }, { clock }),
    /retryBudget\.windowMs must be >= 1000: got 10/,
  );
});
