/** Contacts files of any shape: stray quotes, giant fields, wrong types, in flat memory. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ContactRow,
  type CsvRecord,
  csvRecords,
  readContacts,
  readLines,
} from "../../src/contacts/mod.ts";
import { phoneNumber } from "../_support/phone_numbers.ts";

const encoder = new TextEncoder();

/** A stream of `text` cut into chunks at the given offsets. */
function streamOf(
  text: string | Uint8Array,
  cuts: number[] = [],
): ReadableStream<Uint8Array> {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  const points = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((
    a,
    b,
  ) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const point of [...points, bytes.length]) {
    if (point > at) chunks.push(bytes.slice(at, point));
    at = Math.max(at, point);
  }
  return ReadableStream.from(chunks);
}

const rows = (text: string, maxRecordBytes?: number) =>
  Array.fromAsync(readContacts(streamOf(text), "csv", maxRecordBytes));
const invalid = (list: ContactRow[]) =>
  list.filter((r) => "reason" in r) as { line: number; reason: string }[];
const validCount = (list: ContactRow[]) => list.filter((r) => "contact" in r).length;

function csvWith(first: string, count: number): string {
  const lines = ["id,name,phone", first];
  for (let i = 2; i <= count; i++) {
    lines.push(`c${i},Person ${i},${phoneNumber(i)}`);
  }
  return lines.join("\n") + "\n";
}

Deno.test("one unclosed quote costs one row, at the line it opened; the rest of the file loads", async () => {
  // 1,001 data rows; the first opens a quote it never closes.
  const result = await rows(csvWith('c1,"Ada Lovelace,+14155550001', 1_001));
  assert.equal(validCount(result), 1_000);
  assert.deepEqual(invalid(result).map((r) => r.line), [2]);
  assert.match(
    invalid(result)[0].reason,
    /quoted field opened here is not closed within 65536 bytes|never closed/,
  );
});

Deno.test("a stray quote in a long file is cut off at the record cap, and loading resumes at the next line", async () => {
  const result = await rows(
    csvWith('c1,"Ada Lovelace,+14155550001', 20_000),
    4_096,
  );
  assert.equal(validCount(result), 19_999);
  assert.deepEqual(invalid(result).map((r) => `${r.line}`), ["2"]);
  assert.match(
    invalid(result)[0].reason,
    /not closed within 4096 bytes \(contacts\.maxRecordBytes\)/,
  );
});

Deno.test("a field bigger than the cap is one invalid row, whether quoted or not", async () => {
  const giant = "x".repeat(5 * 1024 * 1024);
  for (
    const field of [giant, `"${giant}"`]
  ) {
    const result = await rows(
      `id,name,phone\nc1,Ada,+14155550001\nc2,${field},+14155550002\nc3,Grace,+14155550003\n`,
    );
    assert.equal(validCount(result), 2);
    assert.deepEqual(invalid(result).map((r) => r.line), [3]);
    assert.match(invalid(result)[0].reason, /65536 bytes/);
  }
});

Deno.test("a quoted field over the cap across lines: one invalid row where it opened, then the next line is read anew", async () => {
  // Resuming at the next line reads the rest of the giant field as a row of its own: too few
  // fields, so invalid too. Nothing is loaded wrongly, and what follows loads.
  const result = await rows(
    `id,name,phone\nc1,Ada,+14155550001\nc2,"${"x".repeat(30_000)}\n${
      "x".repeat(40_000)
    }",+14155550002\nc3,Grace,+14155550003\n`,
  );
  assert.equal(validCount(result), 2);
  assert.deepEqual(invalid(result).map((r) => r.reason.slice(0, 30)), [
    "a quoted field opened here is ",
    "has 2 fields, the header has 3",
  ]);
});

Deno.test("each physical line longer than the cap is its own invalid row", async () => {
  const long = "x".repeat(100_000);
  const result = await rows(
    `id,name,phone\nc1,Ada,+14155550001\nc2,"${long}\n${long}",+14155550002\nc3,Grace,+14155550003\n`,
  );
  assert.equal(validCount(result), 2);
  assert.deepEqual(invalid(result).map((r) => r.line), [3, 4]);
});

Deno.test("JSON Lines: ids keep every digit, and every field's type is checked with a reason", async () => {
  const lines = [
    '{"id": 12345678901234567890, "name": "A", "phone": "+14155550001"}',
    '{"id": 12345678901234567891, "name": "B", "phone": "+14155550002"}',
    '{"id": "c3", "name": {"first": "Ada"}, "phone": "+14155550003"}',
    '{"id": 1.5, "name": "D", "phone": "+14155550004"}',
    '{"id": "c5", "name": "E", "phone": 14155550005}',
    '{"id": "c6", "name": "F", "phone": "+14155550006", "tags": ["a"]}',
    '{"id": "c7", "name": "G\\u0000", "phone": "+14155550007"}',
    '{"id": true, "name": "H", "phone": "+14155550008"}',
    '{"id": "c9", "name": "I", "phone": "+14155550009", "age": 42, "vip": true}',
  ];
  const result = await Array.fromAsync(
    readContacts(streamOf(lines.join("\n")), "jsonl"),
  );
  const contacts = result.filter((r) => "contact" in r).map((r) => "contact" in r && r.contact);
  assert.deepEqual(contacts.map((c) => c && c.id), [
    "12345678901234567890",
    "12345678901234567891",
    "c9",
  ]);
  assert.deepEqual(contacts[2] && contacts[2].fields, {
    age: "42",
    vip: "true",
  });
  assert.deepEqual(invalid(result).map((r) => `${r.line}: ${r.reason}`), [
    "3: name must be text, got an object",
    "4: id 1.5 is not a whole number; write ids as text",
    "5: phone must be text, got number",
    "6: tags must be text, got a list",
    "7: name holds control characters (such as NUL or ESC); remove them",
    "8: id true is not a whole number; write ids as text",
  ]);
});

Deno.test("a line longer than the cap is skipped without being held, in CSV and JSON Lines", async () => {
  const long = "y".repeat(200_000);
  const jsonl = `{"id":"a","name":"A","phone":"+14155550001"}\n{"id":"${long}"}\n` +
    `{"id":"b","name":"B","phone":"+14155550002"}\n`;
  const result = await Array.fromAsync(
    readContacts(streamOf(jsonl, [10, 70_000, 150_000]), "jsonl"),
  );
  assert.equal(validCount(result), 2);
  assert.deepEqual(invalid(result).map((r) => r.line), [2]);
});

// ---- the parser against a reference, on generated files ----

/** How RFC 4180 writes a field: quoted when it must be (or when asked), quotes doubled. */
function writeField(field: string, quote: boolean): string {
  return quote || /[",\n]/.test(field) || field === "" ? `"${field.replaceAll('"', '""')}"` : field;
}

const fieldArb = fc.string({
  unit: fc.constantFrom("a", "b", "Z", "é", "日", " ", ",", '"', "\n", "1"),
  maxLength: 12,
});
// A line of nothing but spaces is a blank line, and blank lines are skipped: a one-field
// record of spaces is written quoted.
const recordArb = fc.array(fc.tuple(fieldArb, fc.boolean()), {
  minLength: 1,
  maxLength: 5,
})
  .map((record): [string, boolean][] =>
    record.length === 1 && record[0][0].trim() === "" ? [[record[0][0], true]] : record
  );

Deno.test("the CSV parser reads generated files exactly as written: quotes, doubled quotes, line breaks, CRLF, BOM, any chunking", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(recordArb, { minLength: 1, maxLength: 20 }),
      fc.boolean(),
      fc.boolean(),
      fc.array(fc.nat({ max: 2_000 }), { maxLength: 6 }),
      async (records, crlf, bom, cuts) => {
        const expected = records.map((r) => r.map(([field]) => field));
        const text = records.map((r) => r.map(([f, q]) => writeField(f, q)).join(","))
          .join(crlf ? "\r\n" : "\n") + "\n";
        const bytes = encoder.encode((bom ? "\uFEFF" : "") + text);
        const parsed: CsvRecord[] = await Array.fromAsync(
          csvRecords(readLines(streamOf(bytes, cuts), 1 << 20), 1 << 20),
        );
        assert.deepEqual(
          parsed.map((r) => "fields" in r ? r.fields : r.error),
          expected,
        );
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("a file cut anywhere keeps every record before the cut, and never throws", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(recordArb, { minLength: 1, maxLength: 15 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      async (records, where) => {
        const written = records.map((r) => r.map(([f, q]) => writeField(f, q)).join(",") + "\n");
        const text = written.join("");
        const cut = Math.floor(text.length * where);
        let complete = 0;
        for (
          let at = 0;
          complete < written.length && at + written[complete].length <= cut;
        ) {
          at += written[complete].length;
          complete++;
        }
        const parsed = await Array.fromAsync(
          csvRecords(readLines(streamOf(text.slice(0, cut))), 4_096),
        );
        const expected = records.slice(0, complete).map((r) => r.map(([field]) => field));
        assert.deepEqual(
          parsed.slice(0, complete).map((r) => "fields" in r ? r.fields : r.error),
          expected,
        );
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("a repeated id is invalid after its first line, found by the ledger; invalid rows are counted past 1,000", async () => {
  const { loadContacts } = await import("../../src/contacts/mod.ts");
  const { SqliteCampaignStore, InMemoryCampaignStore } = await import(
    "../../src/ledger/mod.ts"
  );
  for (
    const store of [
      new SqliteCampaignStore(":memory:"),
      new InMemoryCampaignStore(),
    ]
  ) {
    await using _ = store;
    let turns = 0;
    const lines = [
      "id,name,phone",
      "c1,Ada,+14155550001",
      "c2,Grace,+14155550002",
    ];
    for (let i = 0; i < 1_500; i++) lines.push(`bad${i},No Phone,`);
    lines.push("c1,Again,+14155550003");
    const text = lines.join("\n") + "\n";
    const report = await loadContacts(store, "x", {
      path: "f.csv",
      rows: readContacts(streamOf(text), "csv"),
    }, { now: () => 0, batchSize: 100, turn: () => Promise.resolve(void turns++) });
    assert.equal(turns, 15, "the event loop is given a turn after each full batch");
    assert.equal(report.added, 2);
    assert.equal(report.invalidCount, 1_501);
    assert.equal(
      report.invalid.length,
      1_000,
      "a bounded sample for the report",
    );
    const rows = await store.invalidRows("x", 10_000);
    assert.equal(rows.length, 1_501);
    assert.equal(rows.at(-1)?.reason, "duplicate id c1 (first on line 2)");
    const again = await loadContacts(store, "x", {
      path: "f.csv",
      rows: readContacts(streamOf(text), "csv"),
    }, { now: () => 0 });
    assert.deepEqual(
      [again.added, again.alreadyLoaded],
      [0, 3],
      "a reload is not a duplicate",
    );
  }
});
