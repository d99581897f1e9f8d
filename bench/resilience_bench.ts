/**
 * The cost of resilience per call, on the path production takes: `ResilientService` (retry with
 * the service's retry budget, bulkhead slot, breaker admission, a deadline per attempt; tracing
 * off, as by default), the composition every service call of the agent goes through, against a
 * bare async call and against cockatiel and opossum composed the same way, in the same run. Then
 * the OPEN fail-fast path.
 */
import {
  BrokenCircuitError,
  bulkhead as cockatielBulkhead,
  circuitBreaker as cockatielBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleAll,
  handleWhen,
  retry as cockatielRetry,
  timeout as cockatielTimeout,
  TimeoutStrategy,
  wrap,
} from "cockatiel";
import OpossumBreaker from "opossum";
import { CircuitBreaker } from "../src/breaker/mod.ts";
import { seededRandom, systemClock } from "../src/clock/mod.ts";
import { Bulkhead, ResilientService } from "../src/resilience/mod.ts";
import { RetryBudget, RetryPolicy } from "../src/retry/mod.ts";
import { defaultConfig } from "../config/defaults.ts";

const work = () => Promise.resolve(42);
const timeoutMs = defaultConfig.services.llm.timeoutMs;
const maxInFlight = defaultConfig.services.llm.maxInFlight;

function production(
  name: string,
  breaker = new CircuitBreaker(name, {
    ...defaultConfig.breaker,
  }, { clock: systemClock }),
): ResilientService {
  return new ResilientService(name, {
    retry: new RetryPolicy({ ...defaultConfig.retry }, {
      clock: systemClock,
      random: seededRandom(1),
      budget: new RetryBudget({ ...defaultConfig.retryBudget }, { clock: systemClock }),
    }),
    breaker,
    timeoutMs,
    bulkhead: new Bulkhead(maxInFlight, name),
    slotWaitMs: defaultConfig.services.llm.slotWaitMs,
  }, { clock: systemClock });
}

const ours = production("bench");
// The same with listeners attached, as the agent runs it (metrics, logs).
const observed = production("bench-observed");
let observedEvents = 0;
observed.onAttemptEnd(() => observedEvents++);
observed.policy.retry.onEvent(() => observedEvents++);
const openBreaker = new CircuitBreaker("bench-open", { ...defaultConfig.breaker }, {
  clock: systemClock,
});
openBreaker.forceOpen();
const oursOpen = production("bench-open", openBreaker);

const cockatielPolicy = wrap(
  cockatielRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
  cockatielBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(3) }),
  cockatielBulkhead(maxInFlight),
  cockatielTimeout(timeoutMs, TimeoutStrategy.Cooperative),
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
  cockatielBulkhead(maxInFlight),
  cockatielTimeout(timeoutMs, TimeoutStrategy.Cooperative),
);
cockatielOpenBreaker.isolate();

// opossum with its timeout and capacity on, as production would need them.
const opossum = new OpossumBreaker(work, { timeout: timeoutMs, capacity: maxInFlight });
const opossumOpen = new OpossumBreaker(work, { timeout: timeoutMs, capacity: maxInFlight });
opossumOpen.open();

Deno.bench({ name: "bare async call", group: "success", baseline: true }, async () => {
  await work();
});
Deno.bench(
  { name: "ai-call-agent ResilientService (production path)", group: "success" },
  async () => {
    await ours.call(work);
  },
);
Deno.bench({ name: "ai-call-agent ResilientService, observed", group: "success" }, async () => {
  await observed.call(work, { context: { contactId: "c1" } });
});
Deno.bench({ name: "cockatiel retry+breaker+bulkhead+timeout", group: "success" }, async () => {
  await cockatielPolicy.execute(work);
});
Deno.bench({ name: "opossum breaker (timeout, capacity)", group: "success" }, async () => {
  await opossum.fire();
});

Deno.bench({ name: "ai-call-agent OPEN fail-fast", group: "open", baseline: true }, async () => {
  await oursOpen.call(work).catch(() => {});
});
Deno.bench({ name: "cockatiel OPEN fail-fast", group: "open" }, async () => {
  await cockatielOpen.execute(work).catch(() => {});
});
Deno.bench({ name: "opossum OPEN fail-fast", group: "open" }, async () => {
  await opossumOpen.fire().catch(() => {});
});
