import assert from "node:assert/strict";
import {
  type AlertChannel,
  type AlertDecision,
  ChannelDelivery,
  MemoryAlertChannel,
  type Notification,
  RoutingAlertManager,
  type Severity,
} from "../../src/alerts/mod.ts";
import { seededRandom, VirtualClock } from "../../src/clock/mod.ts";
import { ServiceUnavailableError } from "../../src/errors.ts";
import { InMemoryCampaignStore, InMemoryOutbox } from "../../src/ledger/mod.ts";
import { breakerOptions, retryOptions } from "../_support/fixtures.ts";
import { contacts, testAgent } from "../_support/agent.ts";

const routes = (all: string[]): Record<Severity, string[]> => ({
  critical: all,
  error: all,
  warning: all,
  info: all,
});

function setup(
  channels: AlertChannel[],
  options: {
    groupWaitMs?: number;
    repeatIntervalMs?: number;
    perMinute?: number;
  } = {},
) {
  const clock = new VirtualClock();
  const outbox = new InMemoryOutbox();
  const deliveries = channels.map((channel) =>
    new ChannelDelivery(channel, {
      retry: retryOptions({
        maxRetries: 1,
        initialDelayMs: 1_000,
        jitterMs: 0,
      }),
      breaker: breakerOptions(),
      perMinute: options.perMinute ?? 60,
      stalledAfterMs: 20_000,
      timeoutMs: 10_000,
    }, { clock, random: seededRandom(1), outbox })
  );
  const manager = new RoutingAlertManager(
    {
      groupWaitMs: options.groupWaitMs ?? 10_000,
      repeatIntervalMs: options.repeatIntervalMs ?? 3_600_000,
      routes: routes(channels.map((c) => c.name)),
    },
    deliveries,
    { clock },
  );
  const decisions: AlertDecision[] = [];
  manager.onDecision((d) => decisions.push(d));
  return { clock, outbox, manager, decisions, deliveries };
}

const alert = (
  key: string,
  severity: Severity = "critical",
  service = "tts",
) => ({
  key,
  severity,
  summary: `${key} happened`,
  labels: { service },
});

Deno.test("alerts arriving within groupWaitMs go out as one message per channel", async () => {
  const memory = new MemoryAlertChannel();
  const { clock, manager } = setup([memory]);
  manager.raise(alert("a"));
  await clock.advance(3_000);
  manager.raise(alert("b", "error", "llm"));
  await clock.advance(6_999);
  assert.equal(memory.notifications.length, 0);
  await clock.advance(1);
  await manager.flush();
  assert.equal(memory.notifications.length, 1);
  assert.deepEqual(memory.notifications[0].alerts.map((a) => a.key), [
    "a",
    "b",
  ]);
  assert.equal(memory.notifications[0].severity, "critical");
});

Deno.test("the same key is not sent again within repeatIntervalMs while it fires", async () => {
  const memory = new MemoryAlertChannel();
  const { clock, manager, decisions } = setup([memory], {
    repeatIntervalMs: 60_000,
  });
  manager.raise(alert("a"));
  await manager.flush();
  manager.raise(alert("a"));
  await clock.advance(30_000);
  manager.raise(alert("a"));
  await manager.flush();
  assert.equal(memory.sent.length, 1);
  assert.equal(
    decisions.filter((d) => d.type === "suppressed" && d.reason === "duplicate")
      .length,
    2,
  );
  await clock.advance(31_000);
  manager.raise(alert("a"));
  await manager.flush();
  assert.equal(memory.sent.length, 2, "a reminder after the repeat interval");
});

Deno.test("a resolve goes out once, only for an alert that fired", async () => {
  const memory = new MemoryAlertChannel();
  const { manager } = setup([memory]);
  manager.resolve("a");
  manager.raise(alert("a"));
  manager.resolve("a");
  manager.resolve("a");
  await manager.flush();
  assert.deepEqual(memory.sent.map((a) => a.status), ["firing", "resolved"]);
  assert.deepEqual(manager.firing(), []);
});

Deno.test("an error about a service whose breaker-open alert fires is inhibited", async () => {
  const memory = new MemoryAlertChannel();
  const { manager, decisions } = setup([memory]);
  manager.raise(alert("breaker-open:tts"));
  manager.raise(alert("contact-failed:c1", "error", "tts"));
  manager.raise(alert("contact-failed:c2", "error", "llm"));
  await manager.flush();
  assert.deepEqual(memory.sent.map((a) => a.key), [
    "breaker-open:tts",
    "contact-failed:c2",
  ]);
  assert.ok(
    decisions.some((d) => d.type === "suppressed" && d.reason === "inhibited"),
  );
});

Deno.test("alerts are routed by severity to their channels only", async () => {
  const pager = new MemoryAlertChannel("pager");
  const chat = new MemoryAlertChannel("chat");
  const clock = new VirtualClock();
  const outbox = new InMemoryOutbox();
  const deliveries = [pager, chat].map((channel) =>
    new ChannelDelivery(channel, {
      retry: retryOptions(),
      breaker: breakerOptions(),
      perMinute: 60,
      stalledAfterMs: 20_000,
      timeoutMs: 10_000,
    }, {
      clock,
      random: seededRandom(1),
      outbox,
    })
  );
  const manager = new RoutingAlertManager(
    {
      groupWaitMs: 0,
      repeatIntervalMs: 0,
      routes: {
        critical: ["pager", "chat"],
        error: ["chat"],
        warning: [],
        info: [],
      },
    },
    deliveries,
    { clock },
  );
  manager.raise(alert("x", "critical"));
  manager.raise(alert("y", "error", "llm"));
  manager.raise(alert("z", "warning", "crm"));
  await manager.flush();
  assert.deepEqual(pager.sent.map((a) => a.key), ["x"]);
  assert.deepEqual(chat.sent.map((a) => a.key), ["x", "y"]);
  assert.throws(
    () =>
      new RoutingAlertManager(
        { groupWaitMs: 0, repeatIntervalMs: 0, routes: { ...routes(["sms"]) } },
        deliveries,
        { clock },
      ),
    /alerts\.routes\.critical: no channel named "sms"; configured: pager, chat/,
  );
});

Deno.test("a failing channel keeps messages in the outbox and replays them in order once it recovers", async () => {
  let down = true;
  const received: Notification[] = [];
  const flaky: AlertChannel = {
    name: "flaky",
    send: (n) => {
      if (down) {
        return Promise.reject(
          new ServiceUnavailableError({ service: "alerts:flaky" }),
        );
      }
      received.push(n);
      return Promise.resolve();
    },
  };
  const memory = new MemoryAlertChannel();
  const { clock, manager, outbox, decisions } = setup([flaky, memory], {
    groupWaitMs: 0,
  });
  for (const key of ["first", "second", "third"]) {
    manager.raise(alert(key, "critical", key));
    await clock.run(() => manager.flush());
  }
  assert.equal(await outbox.size("alerts:flaky"), 3);
  assert.equal(memory.sent.length, 3, "the other channel is not held up");
  assert.ok(
    decisions.some((d) => d.type === "delivery" && d.result.outcome === "outboxed"),
  );
  down = false;
  await clock.advance(30_000); // the channel's breaker opened: wait out its recovery timeout
  await clock.run(() => manager.replay());
  assert.deepEqual(received.flatMap((n) => n.alerts.map((a) => a.key)), [
    "first",
    "second",
    "third",
  ]);
  assert.equal(await outbox.size("alerts:flaky"), 0);
});

Deno.test("the per-channel rate limit holds at most perMinute messages in any minute", async () => {
  const memory = new MemoryAlertChannel();
  const { clock, manager } = setup([memory], {
    groupWaitMs: 0,
    perMinute: 2,
    repeatIntervalMs: 0,
  });
  const sentAt: number[] = [];
  const original = memory.send.bind(memory);
  memory.send = (n) => (sentAt.push(clock.now()), original(n));
  await clock.run(async () => {
    for (let i = 0; i < 4; i++) {
      manager.raise(alert(`k${i}`, "critical", `s${i}`));
      await manager.flush();
    }
  });
  assert.deepEqual(sentAt, [0, 0, 60_000, 60_000]);
});

Deno.test("an outage that defers 100 contacts yields one critical and one resolved message per channel", async () => {
  const telegram = new MemoryAlertChannel("telegram");
  const email = new MemoryAlertChannel("email");
  const agent = testAgent(
    {
      tts: {
        faults: [{ calls: 2 }, { fail: "unavailable", untilMs: 120_000 }],
      },
    },
    {
      processor: { concurrency: 4 },
      alerts: {
        routes: {
          critical: ["*"],
          error: ["*"],
          warning: ["log"],
          info: ["log"],
        },
      },
    },
    undefined,
    [telegram, email],
  );
  await using _agent = agent.agent;
  const { summary } = await agent.runCampaign(contacts(100));
  assert.equal(summary.completed, 100);
  for (const channel of [telegram, email]) {
    assert.equal(
      channel.notifications.length,
      2,
      `${channel.name}: ${JSON.stringify(channel.sent.map((a) => a.key))}`,
    );
    assert.deepEqual(channel.sent.map((a) => `${a.key}:${a.status}`), [
      "breaker-open:tts:firing",
      "breaker-open:tts:resolved",
    ]);
  }
});

Deno.test("messages an earlier run left in a channel's outbox are sent when the agent starts", async () => {
  const store = new InMemoryCampaignStore();
  const left: Notification = {
    id: "ntf_left",
    severity: "critical",
    alerts: [{
      key: "breaker-open:crm",
      severity: "critical",
      summary: "crm down",
      labels: {},
      status: "firing",
      at: 0,
    }],
    at: 0,
  };
  await store.outbox.enqueue("alerts:pager", [JSON.stringify(left)], 0);
  const pager = new MemoryAlertChannel("pager");
  const t = testAgent({}, {}, store, [pager]);
  await using _ = t.agent;
  await t.clock.run(async () => {
    t.agent.start();
    await t.agent.stop();
  });
  assert.deepEqual(pager.notifications.map((n) => n.id), ["ntf_left"]);
  assert.equal(await store.outbox.size("alerts:pager"), 0);
});

Deno.test("an outage alert left firing by an earlier run is resolved once the service answers again", async () => {
  const store = new InMemoryCampaignStore();
  const channel = new MemoryAlertChannel("ops");
  {
    const first = testAgent(
      { llm: { faults: [{ fail: "quota" }] } },
      {
        processor: { recoveryWaitMs: 60_000 },
      },
      store,
      [channel],
    );
    await using _ = first.agent;
    const { summary } = await first.runCampaign(contacts(3));
    assert.equal(summary.deferred, 3);
  }
  assert.deepEqual(channel.sent.map((a) => `${a.key}:${a.status}`), [
    "breaker-open:llm:firing",
  ]);
  // The quota was topped up; a new run (a new process) finds the service healthy.
  const second = testAgent({}, {}, store, [channel]);
  await using _ = second.agent;
  await second.runCampaign([]);
  assert.deepEqual(channel.sent.map((a) => `${a.key}:${a.status}`), [
    "breaker-open:llm:firing",
    "breaker-open:llm:resolved",
  ]);
  assert.equal(second.agent.alerts.firing().length, 0);
});
