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
import { ServiceUnavailableError } from "../../src/errors.ts";
import { InMemoryOutbox } from "../../src/ledger/mod.ts";
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
    const sharing = new ServiceStateSharing(breakers, shared, { clock, owner });
    return { breakers, sharing, tts: breakers.get("tts") };
  };
  return { clock, shared, a: make("a"), b: make("b") };
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

Deno.test("an operator's forced opening is not undone by another agent's successful trial", async () => {
  const { a, b } = agents();
  using _a = a.sharing;
  using _b = b.sharing;
  b.tts.forceOpen("maintenance");
  a.tts.forceOpen("maintenance");
  a.tts.reset("back");
  await a.sharing.flush();
  await b.sharing.sync();
  assert.equal(b.tts.state, "OPEN");
});

/** One agent's alert manager, with one in-memory channel, on a ledger shared with others. */
function alertingAgent(clock: VirtualClock, shared: MemorySharedState) {
  const channel = new MemoryAlertChannel();
  const delivery = new ChannelDelivery(channel, {
    retry: retryOptions({ maxRetries: 0 }),
    breaker: breakerOptions(),
    perMinute: 60,
  }, { clock, random: seededRandom(1), outbox: new InMemoryOutbox() });
  const manager = new RoutingAlertManager(
    {
      groupWaitMs: 0,
      repeatIntervalMs: 3_600_000,
      routes: { critical: ["memory"], error: ["memory"], warning: ["memory"], info: [] },
    },
    [delivery],
    { clock, shared },
  );
  return { channel, manager };
}

Deno.test("two agents raising the same outage send one message, and one resolve", async () => {
  const clock = new VirtualClock();
  const shared = new MemorySharedState();
  const make = () => alertingAgent(clock, shared);
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
  const make = () => alertingAgent(clock, shared);
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
