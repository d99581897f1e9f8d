import assert from "node:assert/strict";
import { CallWindow } from "../../src/telephony/mod.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => ms === undefined ? "open" : new Date(ms).toISOString();
const window = new CallWindow({ start: "09:00", end: "20:00", timezone: "UTC" });

Deno.test("one instant is inside the window in one zone and outside it in others", () => {
  const now = at("2026-11-30T13:30:00Z"); // Monday
  // New York is 08:30: opens at 09:00 local, 14:00 UTC (EST, UTC-5).
  assert.equal(iso(window.nextOpening(now, "America/New_York")), "2026-11-30T14:00:00.000Z");
  // London is 13:30: open now.
  assert.equal(iso(window.nextOpening(now, "Europe/London")), "open");
  // Tokyo is 22:30: closed until 09:00 tomorrow local, 00:00 UTC on the 1st.
  assert.equal(iso(window.nextOpening(now, "Asia/Tokyo")), "2026-12-01T00:00:00.000Z");
  // Without a zone of its own, a contact uses the campaign's.
  assert.equal(iso(window.nextOpening(now)), "open");
});

Deno.test("the end is exclusive and the start inclusive", () => {
  assert.equal(iso(window.nextOpening(at("2026-11-30T09:00:00Z"))), "open");
  assert.equal(iso(window.nextOpening(at("2026-11-30T19:59:59Z"))), "open");
  assert.equal(iso(window.nextOpening(at("2026-11-30T20:00:00Z"))), "2026-12-01T09:00:00.000Z");
  assert.equal(iso(window.nextOpening(at("2026-11-30T08:59:00Z"))), "2026-11-30T09:00:00.000Z");
});

Deno.test("daylight saving: 09:00 in New York is 13:00 UTC in summer and 14:00 in winter, across the change", () => {
  const ny = "America/New_York";
  // Saturday 7 March 2026, 21:00 EST: the clocks go forward at 02:00 on Sunday the 8th.
  assert.equal(iso(window.nextOpening(at("2026-03-08T02:00:00Z"), ny)), "2026-03-08T13:00:00.000Z");
  // Saturday 31 October 2026, 22:00 EDT: they go back at 02:00 on Sunday 1 November.
  assert.equal(iso(window.nextOpening(at("2026-11-01T02:00:00Z"), ny)), "2026-11-01T14:00:00.000Z");
});

Deno.test("a window past midnight (20:00 to 02:00) is open late and closed in the day", () => {
  const night = new CallWindow({ start: "20:00", end: "02:00", timezone: "Europe/Berlin" });
  assert.equal(iso(night.nextOpening(at("2026-11-30T23:30:00Z"))), "open"); // 00:30 local
  assert.equal(iso(night.nextOpening(at("2026-11-30T20:00:00Z"))), "open"); // 21:00 local
  // 12:00 local: opens at 20:00 local, 19:00 UTC.
  assert.equal(iso(night.nextOpening(at("2026-11-30T11:00:00Z"))), "2026-11-30T19:00:00.000Z");
});

Deno.test("a bad window or zone is refused with the field and the fix", () => {
  assert.throws(
    () => new CallWindow({ start: "9am", end: "20:00", timezone: "UTC" }),
    /campaign\.callWindow: start and end must be different HH:MM times/,
  );
  assert.throws(
    () => new CallWindow({ start: "09:00", end: "20:00", timezone: "Mars/Olympus" }),
    /campaign\.callWindow\.timezone: "Mars\/Olympus" is not an IANA time zone/,
  );
});
