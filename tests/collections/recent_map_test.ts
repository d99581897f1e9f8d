import assert from "node:assert/strict";
import { RecentMap } from "../../src/collections/mod.ts";

Deno.test("a recent map keeps at least its most recent entries and never more than twice that", () => {
  const map = new RecentMap<string, number>(3);
  for (let i = 1; i <= 6; i++) map.set(`k${i}`, i);
  assert.equal(map.size, 6, "up to twice `keep`");
  map.set("k2", 20); // set again: now the most recent
  assert.deepEqual([...map.keys()], ["k1", "k3", "k4", "k5", "k6", "k2"]);
  map.set("k7", 7); // past twice `keep`: the three most recent stay
  assert.deepEqual([...map.entries()], [["k6", 6], ["k2", 20], ["k7", 7]]);
});
