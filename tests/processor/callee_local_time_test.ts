/**
 * Calling hours in the callee's local time when the file has no `timezone` column: the zone
 * comes from the number's area (libphonenumber's time zone map). On the virtual clock, with the
 * contacts read from a file as `run` reads them.
 */
import assert from "node:assert/strict";
import { readContacts } from "../../src/contacts/mod.ts";
import { type Contact, localTime, NumberPlan } from "../../src/domain/mod.ts";
import { testAgent } from "../_support/agent.ts";

/** Contacts from a CSV file with no timezone column: New York, Chicago, Denver, Los Angeles and
 * Honolulu numbers, four of each. */
async function contactsFromFile(): Promise<Contact[]> {
  const areas = ["212", "312", "303", "415", "808"];
  const lines = ["id,name,phone"];
  areas.forEach((area, a) => {
    for (let i = 0; i < 4; i++) lines.push(`c${a}${i},Person ${a}${i},+1${area}555${1000 + i}`);
  });
  const stream = new Blob([lines.join("\n") + "\n"]).stream();
  const contacts: Contact[] = [];
  for await (const row of readContacts(stream, "csv", undefined, new NumberPlan())) {
    assert.ok("contact" in row, JSON.stringify(row));
    contacts.push(row.contact);
  }
  return contacts;
}

Deno.test("a file without a timezone column: every dial falls inside its callee's own 09:00-17:00, read from the number's area", async () => {
  const contacts = await contactsFromFile();
  assert.deepEqual(
    [...new Set(contacts.map((c) => c.numberZones?.join()))],
    [
      "America/New_York",
      "America/Chicago",
      "America/Denver",
      "America/Los_Angeles",
      "Pacific/Honolulu",
    ],
  );
  // 12:00 UTC: 07:00 in New York, 02:00 in Honolulu. The campaign's own zone is Los Angeles.
  const start = Date.parse("2026-12-08T12:00:00Z");
  const t = testAgent(
    {},
    {
      campaign: { callWindow: { start: "09:00", end: "17:00", timezone: "America/Los_Angeles" } },
      processor: { concurrency: 4 },
    },
    undefined,
    [],
    start,
  );
  await using _ = t.agent;
  const { summary, records } = await t.runCampaign(contacts);
  assert.equal(summary.completed, contacts.length);
  const dials = [...t.services.telephony.calls.values()];
  assert.equal(dials.length, contacts.length);
  for (const dial of dials) {
    const contact = contacts.find((c) => c.phone === dial.to)!;
    const zone = contact.numberZones![0];
    const local = localTime(dial.createdAt, zone);
    const minute = local.hour * 60 + local.minute;
    assert.ok(
      minute >= 9 * 60 && minute < 17 * 60,
      `${contact.id} (${zone}) dialled at ${local.hour}:${String(local.minute).padStart(2, "0")}`,
    );
  }
  // New York's contacts went first, Honolulu's last: each when its own window opened.
  const first = (area: string) =>
    Math.min(...dials.filter((d) => d.to.startsWith(`+1${area}`)).map((d) => d.createdAt));
  assert.ok(first("212") < first("312") && first("312") < first("303"));
  assert.ok(first("303") < first("415") && first("415") < first("808"));
  assert.equal(first("212"), Date.parse("2026-12-08T14:00:00Z"), "09:00 in New York");
  assert.deepEqual(records.get("c40")!.contact.numberZones, ["Pacific/Honolulu"]);
});

Deno.test("a number whose area spans two zones is called only while the window is open in both", async () => {
  // +1 208 (Idaho) spans Boise (Mountain) and Los Angeles (Pacific): 09:00 in Los Angeles is
  // the first time both are inside 09:00-17:00.
  const contact: Contact = {
    id: "id1",
    name: "Idaho",
    phone: "+12085551000",
    numberZones: new NumberPlan().zonesOf("+12085551000"),
  };
  assert.deepEqual(contact.numberZones, ["America/Boise", "America/Los_Angeles"]);
  const t = testAgent(
    {},
    {
      campaign: { callWindow: { start: "09:00", end: "17:00", timezone: "America/New_York" } },
    },
    undefined,
    [],
    Date.parse("2026-12-08T15:00:00Z"),
  );
  await using _ = t.agent;
  await t.runCampaign([contact]);
  const [dial] = [...t.services.telephony.calls.values()];
  assert.equal(dial.createdAt, Date.parse("2026-12-08T17:00:00Z"), "09:00 Pacific, 10:00 Mountain");
});
