import assert from "node:assert/strict";
import { seededRandom, VirtualClock } from "../../src/clock/mod.ts";
import { DurableDelivery } from "../../src/delivery/mod.ts";
import { ServiceUnavailableError } from "../../src/errors.ts";
import { InMemoryOutbox, type Outbox } from "../../src/ledger/mod.ts";
import { breakerOptions, retryOptions } from "../_support/fixtures.ts";

function setup(perMinute = 60) {
  const clock = new VirtualClock();
  const outbox = new InMemoryOutbox();
  const delivery = new DurableDelivery("sink", {
    retry: retryOptions({ maxRetries: 0 }),
    breaker: breakerOptions({ failureThreshold: 100 }),
    perMinute,
    timeoutMs: 1_000,
    stalledAfterMs: 20_000,
  }, { clock, random: seededRandom(1), outbox });
  return { clock, outbox, delivery };
}

Deno.test("items go out oldest first, a batch at a time, and leave the queue only once sent", async () => {
  const { outbox, delivery } = setup();
  using _delivery = delivery;
  await delivery.enqueue(["a", "b", "c"]);
  const seen: string[][] = [];
  const first = await delivery.sendOldest(2, (items, { take }) => {
    seen.push(items.map((item) => item.payload));
    return take().then(() => items.length);
  });
  assert.deepEqual(first && first.ok && first.result, 2);
  assert.equal(await delivery.pending(), 1);
  const second = await delivery.sendOldest(2, (items) => {
    seen.push(items.map((item) => item.payload));
    return Promise.resolve(items.length);
  });
  assert.ok(second?.ok);
  assert.deepEqual(seen, [["a", "b"], ["c"]]);
  assert.equal(await delivery.sendOldest(2, () => Promise.resolve(0)), undefined);
  assert.equal(await outbox.size("sink"), 0);
});

Deno.test("a failed send keeps its items, marked attempted, and returns the error instead of throwing", async () => {
  const { outbox, delivery } = setup();
  using _delivery = delivery;
  await delivery.enqueue(["a", "b"]);
  const refused = new ServiceUnavailableError({ service: "sink", message: "down" });
  const failed = await delivery.sendOldest(1, (items) => {
    // Seen as peeked: not yet marked by this try.
    assert.equal(items[0].attempts, 0);
    return Promise.reject(refused);
  });
  assert.ok(failed && !failed.ok);
  // Retried as the policy says (here: not at all), then given up on with the service's error.
  assert.match(String(failed.error), /^RetriesExhaustedError: .*sink: down$/);
  const [waiting] = await outbox.peek("sink", 1);
  assert.deepEqual([waiting.payload, waiting.attempts], ["a", 1]);
  // The next try sees it was attempted (it may have arrived).
  const retried = await delivery.sendOldest(1, (items) => Promise.resolve(items[0].attempts));
  assert.deepEqual(retried?.ok && retried.result, 1);
  assert.deepEqual((await outbox.peek("sink", 5)).map((item) => item.payload), ["b"]);
});

Deno.test("moveTo sets items aside in another queue; serial work runs one at a time in order", async () => {
  const { outbox, delivery } = setup();
  using _delivery = delivery;
  await delivery.enqueue(["poison", "fine"]);
  const [poison] = await outbox.peek("sink", 1);
  await delivery.moveTo([poison], "sink:dead");
  assert.deepEqual((await outbox.peek("sink:dead", 5)).map((item) => item.payload), ["poison"]);
  assert.deepEqual((await outbox.peek("sink", 5)).map((item) => item.payload), ["fine"]);

  const order: string[] = [];
  const slow = delivery.serial(async () => {
    await Promise.resolve();
    order.push("first");
    throw new Error("the first fails");
  });
  const next = delivery.serial(() => Promise.resolve(order.push("second")));
  await assert.rejects(slow, /the first fails/);
  await next;
  assert.deepEqual(order, ["first", "second"]);
});

Deno.test("the rate limit spaces sends over a rolling minute of the injected clock", async () => {
  const { clock, delivery } = setup(2);
  using _delivery = delivery;
  await delivery.enqueue(["a", "b", "c"]);
  const sentAt: number[] = [];
  await clock.run(async () => {
    for (let i = 0; i < 3; i++) {
      await delivery.sendOldest(1, async (_items, { take }) => {
        await take();
        sentAt.push(clock.now());
        return 0;
      });
    }
  });
  const start = sentAt[0];
  assert.deepEqual(sentAt.map((at) => at - start), [0, 0, 60_000]);
});

Deno.test("on an outbox several processes share, one sends a queue at a time: the others wait, and nothing goes twice", async () => {
  const clock = new VirtualClock();
  // One queue's holder at a time, as the PostgreSQL outbox keeps it.
  const shared = new InMemoryOutbox();
  let holder: string | undefined;
  const outboxOf = (owner: string): Outbox => ({
    enqueue: (queue, payloads, now) => shared.enqueue(queue, payloads, now),
    peek: (queue, limit) => shared.peek(queue, limit),
    ack: (queue, ids) => shared.ack(queue, ids),
    markAttempt: (queue, ids) => shared.markAttempt(queue, ids),
    size: (queue) => shared.size(queue),
    hold() {
      if (holder !== undefined && holder !== owner) return Promise.resolve(false);
      holder = owner;
      return Promise.resolve(true);
    },
    release() {
      if (holder === owner) holder = undefined;
      return Promise.resolve();
    },
  });
  const deliveryOf = (owner: string) =>
    new DurableDelivery("alerts:ops", {
      retry: retryOptions({ maxRetries: 0 }),
      breaker: breakerOptions({ failureThreshold: 100 }),
      perMinute: 60,
      stalledAfterMs: 20_000,
      timeoutMs: 60_000,
    }, { clock, random: seededRandom(1), outbox: outboxOf(owner) });
  using a = deliveryOf("a");
  using b = deliveryOf("b");
  await a.enqueue(["1", "2"]);
  const sent: string[] = [];
  let finishA!: () => void;
  const send = (items: { payload: string }[]) => {
    sent.push(...items.map((item) => item.payload));
    return Promise.resolve(items.length);
  };
  await clock.run(async () => {
    const first = a.sendOldest(1, (items) => {
      sent.push(...items.map((item) => item.payload));
      return new Promise<number>((resolve) => (finishA = () => resolve(1)));
    });
    await clock.sleep(0);
    const second = b.sendOldest(1, send); // waits: a holds the queue
    await clock.sleep(1_000);
    assert.deepEqual(sent, ["1"], "b did not send while a held the queue");
    finishA();
    await first;
    await second;
  });
  assert.deepEqual(sent, ["1", "2"], "in order, each once");
  assert.equal(await a.pending(), 0);
});
