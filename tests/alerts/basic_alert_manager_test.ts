import assert from "node:assert/strict";
import {
  type Alert,
  type AlertDelivery,
  BasicAlertManager,
  MemoryAlertChannel,
} from "../../src/alerts/mod.ts";
import { VirtualClock } from "../../src/clock/mod.ts";
import { contacts, testAgent } from "../_support/agent.ts";

const alert = {
  key: "breaker-open:tts",
  severity: "critical" as const,
  summary: "tts down",
  labels: {},
};

Deno.test("a resolve goes out only for an alert that fires", async () => {
  const memory = new MemoryAlertChannel();
  const manager = new BasicAlertManager([memory], { clock: new VirtualClock() });
  manager.resolve("breaker-open:tts");
  manager.raise(alert);
  manager.resolve("breaker-open:tts");
  manager.resolve("breaker-open:tts");
  await manager.flush();
  assert.deepEqual(memory.sent.map((a: Alert) => a.status), ["firing", "resolved"]);
  assert.equal(manager.firing().length, 0);
});

Deno.test("a failing channel is reported, never thrown, and other channels still get the alert", async () => {
  const memory = new MemoryAlertChannel();
  const broken = { name: "broken", send: () => Promise.reject(new Error("down")) };
  const manager = new BasicAlertManager([broken, memory], { clock: new VirtualClock() });
  const deliveries: AlertDelivery[] = [];
  manager.onDelivery((d) => deliveries.push(d));
  manager.raise(alert);
  await manager.flush();
  assert.equal(memory.sent.length, 1);
  assert.deepEqual(deliveries.map((d) => `${d.channel}:${d.delivered}`).sort(), [
    "broken:false",
    "memory:true",
  ]);
});

Deno.test("a breaker opening raises a critical alert and its closing resolves it", async () => {
  const t = testAgent({ tts: { faults: [{ fail: "unavailable", untilMs: 40_000 }] } });
  await using _ = t.agent;
  await t.runCampaign(contacts(3));
  await t.agent.alerts.flush();
  const breakerAlerts = t.alerts.sent.filter((a) => a.key === "breaker-open:tts");
  assert.deepEqual(breakerAlerts.map((a) => `${a.severity}:${a.status}`), [
    "critical:firing",
    "critical:resolved",
  ]);
  assert.equal(breakerAlerts[0].labels.service, "tts");
});
