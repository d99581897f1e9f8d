/**
 * The cost of resilience on the success path and on the OPEN fail-fast path: a bare async
 * call against our retry+breaker, cockatiel's and opossum's, in the same run.
 */
import {
  BrokenCircuitError,
  circuitBreaker as cockatielBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleAll,
  handleWhen,
  retry as cockatielRetry,
  wrap,
} from "cockatiel";
import OpossumBreaker from "opossum";
import { CircuitBreaker } from "../src/breaker/mod.ts";
import { seededRandom, systemClock } from "../src/clock/mod.ts";
import { resilientCall } from "../src/resilience/mod.ts";
import { RetryPolicy } from "../src/retry/mod.ts";
import { defaultConfig } from "../config/defaults.ts";

const work = () => Promise.resolve(42);

const retry = new RetryPolicy({ ...defaultConfig.retry }, {
  clock: systemClock,
  random: seededRandom(1),
});
const breaker = new CircuitBreaker("bench", { ...defaultConfig.breaker }, { clock: systemClock });
// The same pair with an event listener attached, as the agent runs it (logs, narrative).
const observedRetry = new RetryPolicy({ ...defaultConfig.retry }, {
  clock: systemClock,
  random: seededRandom(1),
});
let observedEvents = 0;
observedRetry.onEvent(() => observedEvents++);
const observedBreaker = new CircuitBreaker("bench-observed", { ...defaultConfig.breaker }, {
  clock: systemClock,
});
const openBreaker = new CircuitBreaker("bench-open", { ...defaultConfig.breaker }, {
  clock: systemClock,
});
openBreaker.forceOpen();

const cockatielPolicy = wrap(
  cockatielRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
  cockatielBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(3) }),
);
const cockatielOpenBreaker = cockatielBreaker(handleAll, {
  halfOpenAfter: 30_000,
  breaker: new ConsecutiveBreaker(3),
});
// Its retry must not retry the breaker's own rejection (ours stops on it by design).
const cockatielOpen = wrap(
  cockatielRetry(handleWhen((error) => !(error instanceof BrokenCircuitError)), {
    maxAttempts: 3,
    backoff: new ExponentialBackoff(),
  }),
  cockatielOpenBreaker,
);
cockatielOpenBreaker.isolate();

// timeout: false, so opossum does not start a timer per call (its default is a 10 s timer).
const opossum = new OpossumBreaker(work, { timeout: false, volumeThreshold: 3 });

Deno.bench({ name: "bare async call", group: "success", baseline: true }, async () => {
  await work();
});
Deno.bench({ name: "ai-call-agent retry+breaker", group: "success" }, async () => {
  await resilientCall(retry, breaker, work);
});
Deno.bench({ name: "ai-call-agent retry+breaker, observed", group: "success" }, async () => {
  await resilientCall(observedRetry, observedBreaker, work, { context: { service: "bench" } });
});
Deno.bench({ name: "cockatiel retry+breaker", group: "success" }, async () => {
  await cockatielPolicy.execute(work);
});
Deno.bench({ name: "opossum breaker", group: "success" }, async () => {
  await opossum.fire();
});

Deno.bench({ name: "ai-call-agent OPEN fail-fast", group: "open", baseline: true }, async () => {
  await resilientCall(retry, openBreaker, work).catch(() => {});
});
Deno.bench({ name: "cockatiel OPEN fail-fast", group: "open" }, async () => {
  await cockatielOpen.execute(work).catch(() => {});
});
