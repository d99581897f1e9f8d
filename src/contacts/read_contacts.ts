import { type ContactRow, JsonNumber, toContactRow } from "./contact_row.ts";
import { NumberPlan } from "../domain/mod.ts";
import { csvRecords } from "./csv_records.ts";
import { ContactsFileError, defaultMaxRecordBytes, readLines } from "./read_lines.ts";

/** The formats a contacts file can have, chosen by its extension. */
export type ContactsFormat = "csv" | "jsonl";

/** `.csv` is CSV; `.jsonl`, `.ndjson` and `.json` are JSON Lines. */
export function formatOf(path: string): ContactsFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson") || lower.endsWith(".json")) {
    return "jsonl";
  }
  throw new ContactsFileError(
    `cannot tell the format of "${path}": name it .csv, or .jsonl for JSON Lines`,
  );
}

/**
 * Streams the rows of a contacts file: each is a contact or the reason it is invalid, with its
 * line number. Nothing is held but the row being read (repeated ids are the ledger's to find,
 * see `loadContacts`). Phones are read by `plan` (E.164 only, by default).
 */
export async function* readContacts(
  stream: ReadableStream<Uint8Array>,
  format: ContactsFormat,
  maxRecordBytes = defaultMaxRecordBytes,
  plan: NumberPlan = new NumberPlan(),
): AsyncGenerator<ContactRow> {
  yield* format === "csv"
    ? csvRows(stream, maxRecordBytes, plan)
    : jsonLinesRows(stream, maxRecordBytes, plan);
}

async function* csvRows(
  stream: ReadableStream<Uint8Array>,
  maxRecordBytes: number,
  plan: NumberPlan,
): AsyncGenerator<ContactRow> {
  let header: string[] | undefined;
  for await (const record of csvRecords(readLines(stream, maxRecordBytes), maxRecordBytes)) {
    if ("error" in record) {
      if (!header) {
        throw new ContactsFileError(
          `line ${record.line}: the header row is unreadable: ${record.error}`,
        );
      }
      yield { line: record.line, reason: record.error };
      continue;
    }
    if (!header) {
      header = record.fields.map((name) => name.trim().toLowerCase());
      const missing = ["id", "name", "phone"].filter((column) => !header!.includes(column));
      if (missing.length > 0) {
        throw new ContactsFileError(
          `line ${record.line}: the header row lacks ${
            missing.join(", ")
          }; the first row must name the columns (id,name,phone,...)`,
        );
      }
      continue;
    }
    if (record.fields.length !== header.length) {
      yield {
        line: record.line,
        reason: `has ${record.fields.length} fields, the header has ${header.length}`,
      };
      continue;
    }
    const columns: Record<string, string> = {};
    header.forEach((name, i) => (columns[name] = record.fields[i]));
    yield toContactRow(record.line, columns, plan);
  }
  if (!header) {
    throw new ContactsFileError(
      "the file is empty: a CSV file starts with a header row naming its columns (id,name,phone,...)",
    );
  }
}

async function* jsonLinesRows(
  stream: ReadableStream<Uint8Array>,
  maxRecordBytes: number,
  plan: NumberPlan,
): AsyncGenerator<ContactRow> {
  for await (const line of readLines(stream, maxRecordBytes)) {
    if ("error" in line) {
      yield { line: line.line, reason: line.error };
      continue;
    }
    if (line.text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line.text, keepNumbersAsWritten);
    } catch (error) {
      yield { line: line.line, reason: `not valid JSON (${(error as Error).message})` };
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      yield {
        line: line.line,
        reason: 'must be a JSON object like {"id":..., "name":..., "phone":...}',
      };
      continue;
    }
    yield toContactRow(line.line, value as Record<string, unknown>, plan);
  }
}

/** Keeps each number's own text: an id of 20 digits must not be rounded into another's. */
function keepNumbersAsWritten(
  this: unknown,
  _key: string,
  value: unknown,
  context?: { source?: string },
): unknown {
  return typeof value === "number" && context?.source !== undefined
    ? new JsonNumber(context.source)
    : value;
}
