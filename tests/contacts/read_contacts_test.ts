import assert from "node:assert/strict";
import {
  type ContactRow,
  ContactsFileError,
  formatOf,
  readContacts,
} from "../../src/contacts/mod.ts";
import { NumberPlan } from "../../src/domain/mod.ts";
import { phoneNumber } from "../_support/phone_numbers.ts";

function streamOf(
  ...chunks: (string | Uint8Array)[]
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(
    chunks.map((c) => typeof c === "string" ? encoder.encode(c) : c),
  );
}

async function rows(
  stream: ReadableStream<Uint8Array>,
  format: "csv" | "jsonl",
  plan?: NumberPlan,
): Promise<ContactRow[]> {
  return await Array.fromAsync(readContacts(stream, format, undefined, plan));
}

const valid = (rows: ContactRow[]) => rows.filter((r) => "contact" in r);
const invalid = (rows: ContactRow[]) =>
  rows.filter((r) => "reason" in r) as { line: number; reason: string }[];

Deno.test("CSV rows become contacts; other columns pass through to the prompt", async () => {
  const result = await rows(
    streamOf(
      "id,name,phone,purpose,company\r\n",
      'c1,Ada Lovelace,+14155550100,the demo,"Analytical, Ltd"\r\n',
      "c2,Grace Hopper,+1 (415) 555-0101,,Navy\r\n",
    ),
    "csv",
  );
  assert.deepEqual(result, [
    {
      line: 2,
      contact: {
        id: "c1",
        name: "Ada Lovelace",
        phone: "+14155550100",
        numberType: "fixed-line-or-mobile",
        numberZones: ["America/Los_Angeles"],
        purpose: "the demo",
        fields: { company: "Analytical, Ltd" },
      },
    },
    {
      line: 3,
      contact: {
        id: "c2",
        name: "Grace Hopper",
        phone: "+14155550101",
        numberType: "fixed-line-or-mobile",
        numberZones: ["America/Los_Angeles"],
        fields: { company: "Navy" },
      },
    },
  ]);
});

Deno.test("quoted fields may hold quotes and line breaks, even across chunks", async () => {
  const result = await rows(
    streamOf(
      'id,name,phone,notes\nc1,"Ada ""the Countess""",+14155550100,"line one\n',
      'line two"\nc2,B,+14155550101,x\n',
    ),
    "csv",
  );
  const [first, second] = valid(result) as {
    line: number;
    contact: { name: string; notes?: string };
  }[];
  assert.equal(first.contact.name, 'Ada "the Countess"');
  assert.equal(first.contact.notes, "line one\nline two");
  assert.equal(second.line, 4);
});

Deno.test("bad rows are reported with their line and reason, and the rest proceed", async () => {
  const result = await rows(
    streamOf(
      "id,name,phone\n",
      "c1,Ada,+14155550100\n",
      ",No Id,+14155550101\n",
      "c3,,+14155550102\n",
      "c4,Bad Phone,555-0103\n",
      "c5,Too,+14155550104,extra\n",
      "c1,Again,+14155550105\n",
      'c6,"unclosed,+14155550106\n',
    ),
    "csv",
  );
  assert.equal(
    valid(result).length,
    2,
    "a repeated id is the ledger's to find (loadContacts)",
  );
  assert.deepEqual(invalid(result).map((r) => `${r.line}: ${r.reason}`), [
    "3: missing id: every row needs an id column value",
    "4: missing name",
    '5: phone "555-0103" has no country code: write it in E.164 (+ country code and number, e.g. +14155550100), or set contacts.defaultCountry (e.g. US) to read national numbers',
    "6: has 4 fields, the header has 3",
    "8: a quoted field opened here is never closed before the end of the file; check for a stray quote",
  ]);
});

Deno.test("a row that is not valid UTF-8 is invalid; the rows after it proceed", async () => {
  const latin1 = new Uint8Array([
    ...new TextEncoder().encode("c2,Jos"),
    0xe9,
    ...new TextEncoder().encode(",+14155550101\n"),
  ]);
  const result = await rows(
    streamOf(
      "id,name,phone\nc1,Ada,+14155550100\n",
      latin1,
      "c3,Ok,+14155550102\n",
    ),
    "csv",
  );
  assert.deepEqual(valid(result).map((r) => "contact" in r && r.contact.id), [
    "c1",
    "c3",
  ]);
  assert.deepEqual(invalid(result).map((r) => `${r.line}: ${r.reason}`), [
    "3: not valid UTF-8; save the file as UTF-8",
  ]);
});

Deno.test("a UTF-8 byte-order mark is skipped; a UTF-16 file is refused with the fix", async () => {
  const bom = new Uint8Array([
    0xef,
    0xbb,
    0xbf,
    ...new TextEncoder().encode("id,name,phone\nc1,A,+14155550100\n"),
  ]);
  assert.equal(valid(await rows(streamOf(bom), "csv")).length, 1);
  const utf16 = new Uint8Array([0xff, 0xfe, 0x69, 0x00]);
  await assert.rejects(
    rows(streamOf(utf16), "csv"),
    (error) =>
      error instanceof ContactsFileError &&
      /UTF-16; save it as UTF-8/.test(error.message),
  );
});

Deno.test("an empty CSV has no header and is refused; an empty JSON Lines file has no rows", async () => {
  await assert.rejects(
    rows(streamOf(""), "csv"),
    /the file is empty: a CSV file starts with a header row/,
  );
  assert.deepEqual(await rows(streamOf(""), "jsonl"), []);
  await assert.rejects(
    rows(streamOf("identifier,name\n"), "csv"),
    /line 1: the header row lacks id, phone/,
  );
});

Deno.test("JSON Lines rows are validated the same way", async () => {
  const result = await rows(
    streamOf(
      '{"id":"c1","name":"Ada","phone":"+14155550100","tier":2}\n',
      "\n",
      "not json\n",
      "[1,2]\n",
      '{"id":"c2","name":"B","phone":"+1"}\n',
    ),
    "jsonl",
  );
  assert.deepEqual(valid(result), [
    {
      line: 1,
      contact: {
        id: "c1",
        name: "Ada",
        phone: "+14155550100",
        numberType: "fixed-line-or-mobile",
        numberZones: ["America/Los_Angeles"],
        fields: { tier: "2" },
      },
    },
  ]);
  assert.deepEqual(invalid(result).map((r) => r.line), [3, 4, 5]);
  assert.match(invalid(result)[0].reason, /not valid JSON/);
});

Deno.test("the format comes from the extension, with a clear error otherwise", () => {
  assert.equal(formatOf("a/b.CSV"), "csv");
  assert.equal(formatOf("x.jsonl"), "jsonl");
  assert.throws(() => formatOf("x.xlsx"), /name it \.csv, or \.jsonl/);
});

Deno.test("a 100,000-row file streams without holding the rows", async () => {
  const encoder = new TextEncoder();
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i === 0) controller.enqueue(encoder.encode("id,name,phone\n"));
      if (i >= 100_000) return controller.close();
      let chunk = "";
      for (let n = 0; n < 1_000; n++, i++) {
        chunk += `c${i},Name ${i},${phoneNumber(i)}\n`;
      }
      controller.enqueue(encoder.encode(chunk));
    },
  });
  let count = 0;
  for await (const row of readContacts(stream, "csv")) {
    if ("contact" in row) count++;
  }
  assert.equal(count, 100_000);
});

Deno.test("a timezone column sets the contact's calling-hours zone; an unknown zone makes the row invalid with the fix", async () => {
  const result = await rows(
    streamOf(
      "id,name,phone,timezone\n",
      "c1,Ada,+14155550100,America/New_York\n",
      "c2,Grace,+14155550101,Mars/Olympus\n",
      "c3,Alan,+14155550102,\n",
    ),
    "csv",
  );
  const [ada, alan] = valid(result).map((r) => "contact" in r ? r.contact : undefined);
  assert.equal(ada?.timezone, "America/New_York");
  assert.equal(ada?.fields, undefined, "timezone is not passed to the prompt as a field");
  assert.equal(alan?.timezone, undefined, "empty: the campaign's zone");
  assert.deepEqual(invalid(result).map((r) => [r.line, r.reason]), [[
    3,
    'timezone "Mars/Olympus" is not an IANA time zone: write it like America/New_York, or leave it empty for the campaign\'s',
  ]]);
});

Deno.test("numbers are checked against the numbering plans: no such area code or country is an invalid row saying why; national numbers need a country", async () => {
  const file = () =>
    streamOf(
      "id,name,phone\n",
      "c1,A,+10005550100\n",
      "c2,B,+9991234567\n",
      "c3,C,(415) 555-0102\n",
      "c4,D,4155550103\n",
      "c5,E,+447911123456\n",
      "c6,F,+1 415 555 01\n",
    );
  const strict = await rows(file(), "csv");
  assert.deepEqual(invalid(strict).map((r) => `${r.line}: ${r.reason}`), [
    '2: phone "+10005550100" is not in use in the numbering plan of +1 (no such area code or range)',
    '3: phone "+9991234567" has no country calling code any plan knows (such as +1 or +44)',
    '4: phone "(415) 555-0102" has no country code: write it in E.164 (+ country code and number, e.g. +14155550100), or set contacts.defaultCountry (e.g. US) to read national numbers',
    '5: phone "4155550103" has no country code: write it in E.164 (+ country code and number, e.g. +14155550100), or set contacts.defaultCountry (e.g. US) to read national numbers',
    '7: phone "+1 415 555 01" has the wrong length for +1',
  ]);
  const us = await rows(file(), "csv", new NumberPlan("US"));
  assert.deepEqual(
    valid(us).map((r) => "contact" in r && `${r.contact.phone} ${r.contact.numberType}`),
    [
      "+14155550102 fixed-line-or-mobile",
      "+14155550103 fixed-line-or-mobile",
      "+447911123456 mobile",
    ],
  );
  assert.deepEqual(invalid(us).map((r) => r.line), [2, 3, 7]);
});
