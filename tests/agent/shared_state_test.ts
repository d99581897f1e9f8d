/**
 * What processes sharing a ledger share: a breaker one of them opens (failures, a long
 * Retry-After) holds the service open for all, a successful trial anywhere lets all resume,
 * and one message goes out per outage, not one per process. Two agents' parts on one virtual
 * clock, sharing one state (the PostgreSQL store's own semantics are in the store contract).
 */
import assert from "node:assert/strict";
import { ServiceStateSharing } from "../../src/agent/share_service_states.ts";
import { ChannelDelivery, MemoryAlertChannel, RoutingAlertManager } from "../../src/alerts/mod.ts";
import { BreakerRegistry } from "../../src/breaker/mod.ts";
import { seededRandom, VirtualClock } from "../../src/clock/mod.ts";
import { CircuitOpenError, ServiceUnavailableError } from "../../src/errors.ts";
import { Emitter } from "../../src/events/mod.ts";
import { ServiceCaller } from "../../src/resilience/mod.ts";
import { RetryPolicy } from "../../src/retry/mod.ts";
import { InMemoryFiringAlerts, InMemoryOutbox } from "../../src/ledger/mod.ts";
import { breakerOptions, retryOptions } from "../_support/fixtures.ts";
import { MemorySharedState } from "../_support/memory_shared_state.ts";

const unavailable = () =>
  Promise.reject(new ServiceUnavailableError({ service: "tts", message: "503" }));

function agents() {
  const clock = new VirtualClock({ start: 1_000_000 });
  const shared = new MemorySharedState();
  const make = (owner: string) => {
    const breakers = new BreakerRegistry({ tts: breakerOptions({ recoveryTimeoutMs: 30_000 }) }, {
      clock,
    });
    const probes = new Emitter<{ service: string; status: "healthy" | "unhealthy" }>();
    const sharing = new ServiceStateSharing(breakers, shared, {
      clock,
      owner,
      probeIntervalMs: 10_000,
    });
    sharing.followProbes({ onCheck: (listener) => probes.on(listener) });
    const tts = breakers.get("tts");
    /** A probe of TTS: told to the breaker and the sharing, as the health checker does. */
    const probe = (healthy: boolean) => {
      tts.reportProbe(healthy);
      probes.emit({ service: "tts", status: healthy ? "healthy" : "unhealthy" });
    };
    return { breakers, sharing, tts, probe };
  };
  return { clock, shared, make, a: make("a"), b: make("b") };
}

Deno.test("a service one agent found down is open for the others until its recovery time; a trial that succeeds anywhere closes it everywhere", async () => {
  const { clock, shared, a, b } = agents();
  using _a = a.sharing;
  using _b = b.sharing;
  for (let i = 0; i < 3; i++) await a.tts.execute(unavailable).catch(() => {});
  assert.equal(a.tts.state, "OPEN");
  await a.sharing.flush();
  assert.deepEqual(
    [shared.states.get("tts")?.openUntil, shared.states.get("tts")?.by],
    [clock.now() + 30_000, "a"],
  );
  await b.sharing.sync();
  assert.equal(b.tts.state, "OPEN", "B defers without paying its own three failures");
  assert.match(b.tts.snapshot().openReason ?? "", /^another agent found it down: 3 consecutive/);
  assert.equal(b.tts.remainingMs(), 30_000);
  await b.sharing.flush();
  assert.equal(shared.states.get("tts")?.by, "a", "what B applied is not published back");

  // A's trial succeeds after the recovery time: B resumes at its next read.
  await clock.advance(30_000);
  a.tts.reportProbe(true);
  assert.equal(a.tts.state, "HALF_OPEN");
  await a.tts.execute(() => Promise.resolve("ok"));
  assert.equal(a.tts.state, "CLOSED");
  await a.sharing.flush();
  await b.sharing.sync();
  assert.equal(b.tts.state, "CLOSED");
  assert.match(b.tts.snapshot().openReason ?? "", /3 consecutive/, "its last opening's reason");
});

Deno.test("a long Retry-After one agent was given pauses the service for all until that time", async () => {
  const { clock, a, b } = agents();
  using _a = a.sharing;
  using _b = b.sharing;
  a.tts.pauseFor(120_000, "asked to wait 120 s (Retry-After)");
  await a.sharing.flush();
  await b.sharing.sync();
  assert.equal(b.tts.state, "OPEN");
  assert.equal(b.tts.remainingMs(), 120_000);
  await clock.advance(60_000);
  await b.sharing.sync();
  assert.equal(b.tts.remainingMs(), 60_000, "a state already applied is not applied again");
});

Deno.test("an operator's forced opening holds every agent, open on its own or not, until an operator lets it go on any agent", async () => {
  const { clock, make, a, b } = agents();
  using _a = a.sharing;
  using _b = b.sharing;
  // Both agents open on their own failures.
  for (const agent of [a, b]) {
    for (let i = 0; i < 3; i++) await agent.tts.execute(unavailable).catch(() => {});
  }
  await a.sharing.sync();
  await b.sharing.sync();
  // The operator stops TTS on A.
  a.tts.forceOpen("forced open by operator (admin API)", { by: "a", at: clock.now() });
  await a.sharing.flush();
  await b.sharing.sync();
  assert.equal(b.tts.forced, true, "B, already open, honours the operator's hold");
  assert.deepEqual(b.tts.snapshot().forcedBy, { by: "a", at: clock.now() });
  // B's recovery time passes and its probe finds TTS up: no trial, and no release for all.
  await clock.advance(60_000);
  b.probe(true);
  assert.equal(b.tts.state, "OPEN");
  await b.sharing.flush();
  await a.sharing.sync();
  assert.equal(a.tts.forced, true);
  // An agent started during the hold reads it.
  const c = make("c");
  using _c = c.sharing;
  await c.sharing.sync();
  assert.equal(c.tts.forced, true);
  assert.equal(c.tts.state, "OPEN");
  // The operator lets it go on C: every agent resumes.
  c.tts.reset("closed by operator (admin API)");
  await c.sharing.flush();
  await a.sharing.sync();
  await b.sharing.sync();
  assert.deepEqual([a.tts.state, b.tts.state, c.tts.state], ["CLOSED", "CLOSED", "CLOSED"]);
  assert.equal(a.tts.forced || b.tts.forced, false);
});

Deno.test("a hold lasts as long as an agent still finds the service down: an agent started after the first recovery time is held too", async () => {
  const { clock, make, a } = agents();
  using _a = a.sharing;
  for (let i = 0; i < 3; i++) await a.tts.execute(unavailable).catch(() => {});
  await a.sharing.flush();
  // A's probes keep failing after the recovery time: each extends the hold for all.
  await clock.advance(25_000);
  a.probe(false);
  await clock.advance(10_000);
  a.probe(false);
  await a.sharing.flush();
  const late = make("late");
  using _late = late.sharing;
  await late.sharing.sync();
  assert.equal(late.tts.state, "OPEN", "35 s after the opening, the service is still held");
  assert.equal(late.tts.remainingMs(), 30_000, "until 30 s after A's last failed probe");
  // A finds it up again: its trial succeeds, and the hold ends for all.
  await clock.advance(20_000);
  a.probe(true);
  await a.tts.execute(() => Promise.resolve("ok"));
  await a.sharing.flush();
  await late.sharing.sync();
  assert.equal(late.tts.state, "CLOSED");
});

Deno.test("a request another agent's hold covers is refused before it is sent, without waiting for the next read", async () => {
  const { clock, a, b } = agents();
  using _a = a.sharing;
  using _b = b.sharing;
  using caller = new ServiceCaller({
    tts: {
      retry: new RetryPolicy(retryOptions({ maxRetries: 0 }), { clock, random: seededRandom(1) }),
      breaker: b.tts,
      timeoutMs: 1_000,
      beforeSend: () => b.sharing.refresh(),
    },
  }, { clock });
  a.tts.forceOpen("forced open by operator (admin API)", { by: "a", at: clock.now() });
  await a.sharing.flush();
  let sent = 0;
  await assert.rejects(
    caller.call("tts", () => (sent++, Promise.resolve("ok"))),
    CircuitOpenError,
  );
  assert.equal(sent, 0, "B learned of the hold just before sending");
});

/** One agent's alert manager, with one in-memory channel, on a ledger shared with others. */
function alertingAgent(
  clock: VirtualClock,
  shared: MemorySharedState,
  firing: InMemoryFiringAlerts,
) {
  const channel = new MemoryAlertChannel();
  const delivery = new ChannelDelivery(channel, {
    retry: retryOptions({ maxRetries: 0 }),
    breaker: breakerOptions(),
    perMinute: 60,
    stalledAfterMs: 20_000,
    timeoutMs: 10_000,
  }, { clock, random: seededRandom(1), outbox: new InMemoryOutbox() });
  const manager = new RoutingAlertManager(
    {
      groupWaitMs: 0,
      repeatIntervalMs: 3_600_000,
      routes: { critical: ["memory"], error: ["memory"], warning: ["memory"], info: [] },
    },
    [delivery],
    { clock, shared, firing },
  );
  return { channel, manager };
}

Deno.test("two agents raising the same outage send one message, and one resolve", async () => {
  const clock = new VirtualClock();
  const shared = new MemorySharedState();
  const firing = new InMemoryFiringAlerts();
  const make = () => alertingAgent(clock, shared, firing);
  const a = make();
  const b = make();
  const outage = {
    key: "breaker-open:tts",
    severity: "critical" as const,
    summary: "tts circuit breaker opened",
    labels: { service: "tts" },
  };
  a.manager.raise(outage);
  b.manager.raise(outage);
  await a.manager.flush();
  await b.manager.flush();
  assert.equal(a.channel.sent.length + b.channel.sent.length, 1, "one message for the outage");
  a.manager.resolve(outage.key);
  b.manager.resolve(outage.key);
  await a.manager.flush();
  await b.manager.flush();
  const resolves = [...a.channel.sent, ...b.channel.sent].filter((x) => x.status === "resolved");
  assert.equal(resolves.length, 1, "one resolve");
  a.manager[Symbol.dispose]();
  b.manager[Symbol.dispose]();
});

Deno.test("an agent that restarts during an outage another agent announced still resolves it", async () => {
  const clock = new VirtualClock();
  const shared = new MemorySharedState();
  const firing = new InMemoryFiringAlerts();
  const make = () => alertingAgent(clock, shared, firing);
  const announcer = make();
  announcer.manager.raise({
    key: "breaker-open:tts",
    severity: "critical",
    summary: "tts circuit breaker opened",
    labels: { service: "tts" },
  });
  await announcer.manager.flush();
  announcer.manager[Symbol.dispose]();
  const restarted = make();
  await restarted.manager.restore();
  assert.deepEqual(restarted.manager.firing().map((alert) => alert.key), ["breaker-open:tts"]);
  restarted.manager.resolve("breaker-open:tts", "tts answers again");
  await restarted.manager.flush();
  assert.deepEqual(restarted.channel.sent.map((alert) => alert.status), ["resolved"]);
  restarted.manager[Symbol.dispose]();
});
