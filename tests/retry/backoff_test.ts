import assert from "node:assert/strict";
import fc from "fast-check";
import { defaultConfig } from "../../config/defaults.ts";
import { type BackoffOptions, type JitterMode, nextDelay } from "../../src/retry/mod.ts";

const defaults: BackoffOptions = { ...defaultConfig.retry };

Deno.test("default delays are 5 s, 10 s and 20 s plus jitter below 1 s", () => {
  const draws = [0.25, 0.5, 0.75];
  let i = 0;
  const random = () => draws[i++];
  const delays = [0, 1, 2].map((attempt) => nextDelay(defaults, attempt, 0, random));
  assert.deepEqual(delays, [5_250, 10_500, 20_750]);
});

Deno.test("no jitter gives the bare exponential, capped", () => {
  const options = { ...defaults, jitter: "none" as const, maxDelayMs: 15_000 };
  assert.deepEqual(
    [0, 1, 2, 3].map((a) => nextDelay(options, a, 0, Math.random)),
    [
      5_000,
      10_000,
      15_000,
      15_000,
    ],
  );
});

Deno.test("full, equal and decorrelated jitter follow the AWS formulas", () => {
  const half = () => 0.5;
  assert.equal(nextDelay({ ...defaults, jitter: "full" }, 1, 0, half), 5_000);
  assert.equal(nextDelay({ ...defaults, jitter: "equal" }, 1, 0, half), 7_500);
  assert.equal(
    nextDelay({ ...defaults, jitter: "decorrelated" }, 1, 8_000, half),
    14_500,
  );
});

const modes: JitterMode[] = [
  "additive",
  "full",
  "equal",
  "decorrelated",
  "none",
];

Deno.test("every jitter mode stays within its bounds and under the cap", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...modes),
      fc.integer({ min: 0, max: 30 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.integer({ min: 1, max: 10_000 }),
      fc.integer({ min: 1, max: 120_000 }),
      fc.integer({ min: 0, max: 5_000 }),
      fc.double({ min: 1, max: 4, noNaN: true }),
      fc.integer({ min: 0, max: 200_000 }),
      (mode, attempt, draw, initial, capExtra, jitterMs, base, previous) => {
        const options: BackoffOptions = {
          initialDelayMs: initial,
          base,
          maxDelayMs: initial + capExtra,
          jitter: mode,
          jitterMs,
        };
        const delay = nextDelay(options, attempt, previous, () => draw);
        const exponential = Math.min(
          options.maxDelayMs,
          initial * Math.pow(base, attempt),
        );
        assert.ok(
          delay >= 0 && delay <= options.maxDelayMs,
          `${mode}: ${delay} over the cap`,
        );
        switch (mode) {
          case "additive": {
            // Below the cap: exponential + [0, jitter); near it the spread stays under the cap.
            const jitter = Math.min(jitterMs, options.maxDelayMs);
            const floor = Math.min(exponential, options.maxDelayMs - jitter);
            assert.ok(
              delay >= floor && delay < floor + jitter + 1e-9 || jitter === 0,
            );
            break;
          }
          case "full":
            assert.ok(delay <= exponential);
            break;
          case "equal":
            assert.ok(delay >= exponential / 2 && delay <= exponential);
            break;
          case "decorrelated":
            assert.ok(delay >= initial);
            assert.ok(delay <= Math.max(initial, previous * 3));
            break;
          case "none":
            assert.equal(delay, exponential);
        }
      },
    ),
    { numRuns: 2_000 },
  );
});

Deno.test("capped delays still spread: clients at the cap do not retry in step", () => {
  for (const jitter of ["additive", "decorrelated"] as const) {
    const options = { ...defaults, jitter, maxDelayMs: 30_000 };
    const low = nextDelay(options, 10, 60_000, () => 0);
    const high = nextDelay(options, 10, 60_000, () => 0.999);
    assert.ok(
      high - low > 900,
      `${jitter}: ${low} and ${high} are nearly the same instant`,
    );
    assert.ok(high <= 30_000, `${jitter}: ${high} is over the cap`);
  }
});
