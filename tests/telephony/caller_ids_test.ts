import assert from "node:assert/strict";
import { CallerIds } from "../../src/telephony/mod.ts";

const pool = ["+12125550100", "+14155550100", "+14155550200", "+447911123456"];

Deno.test("a callee gets a number of its own area code when the pool has one, the same every time", () => {
  const ids = new CallerIds(pool);
  assert.equal(ids.for("+12125559876"), "+12125550100");
  const inSanFrancisco = ids.for("+14155551234");
  assert.ok(["+14155550100", "+14155550200"].includes(inSanFrancisco));
  assert.equal(ids.for("+14155551234"), inSanFrancisco, "a redial comes from the same number");
});

Deno.test("without its area code, a number of its country; without that, any; callees spread evenly", () => {
  const ids = new CallerIds(pool);
  assert.equal(ids.for("+447700900123"), "+447911123456");
  const counts = new Map<string, number>();
  for (let i = 0; i < 3_000; i++) {
    const from = ids.for(`+1303555${String(i).padStart(4, "0")}`); // Denver: no such area here
    counts.set(from, (counts.get(from) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].sort(), ["+12125550100", "+14155550100", "+14155550200"]);
  for (const [from, n] of counts) assert.ok(n > 900 && n < 1_100, `${from}: ${n} of 3,000`);
  const abroad = new CallerIds(["+12125550100"]).for("+4930123456");
  assert.equal(abroad, "+12125550100", "a pool of one is always that one");
});
