import { defaultMaxRecordBytes, type Line } from "./read_lines.ts";

/** A CSV record: its fields, or why it is broken; `line` is where it starts. */
export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

/**
 * RFC 4180 records from decoded lines: quoted fields may hold commas, doubled quotes and line
 * breaks. A broken record (a bad line, text after a closing quote) is reported at the line
 * where it started and parsing goes on after it. A quoted field that is never closed within
 * `maxRecordBytes`, or by the end of the file, costs one invalid record at the line where it
 * opened, and parsing resumes at the very next line: one stray quote never swallows the rest
 * of the file, and no record holds more than `maxRecordBytes` in memory.
 */
export async function* csvRecords(
  lines: AsyncIterable<Line>,
  maxRecordBytes = defaultMaxRecordBytes,
): AsyncGenerator<CsvRecord> {
  const source = lines[Symbol.asyncIterator]();
  /** Lines to read again after a runaway quoted field: those after the line it opened on. */
  const replay: Line[] = [];
  /** The lines of the record in progress (only while a quoted field spans lines). */
  const held: Line[] = [];
  const parser = new RecordParser();
  let heldBytes = 0;
  const restartAfterRunaway = (why: string): CsvRecord => {
    const first = held[0];
    replay.unshift(...held.slice(1));
    held.length = 0;
    heldBytes = 0;
    parser.reset();
    return { line: first.line, error: why };
  };
  while (true) {
    let line = replay.shift();
    if (!line) {
      const next = await source.next();
      if (next.done) break;
      line = next.value;
    }
    if ("error" in line) {
      if (held.length > 0) {
        // The record in progress is lost with this line; the line itself is reported too.
        yield { line: held[0].line, error: line.error };
        held.length = 0;
        heldBytes = 0;
        parser.reset();
        continue;
      }
      yield { line: line.line, error: line.error };
      continue;
    }
    if (held.length === 0 && line.text.trim() === "") continue;
    held.push(line);
    heldBytes += line.bytes;
    if (heldBytes > maxRecordBytes) {
      yield restartAfterRunaway(
        `a quoted field opened here is not closed within ${maxRecordBytes} bytes (contacts.maxRecordBytes); check for a stray quote`,
      );
      continue;
    }
    const result = parser.feed(line.text, held.length > 1);
    if (result === "open") continue; // the quoted field goes on on the next line
    const start = held[0].line;
    held.length = 0;
    heldBytes = 0;
    yield result === "broken"
      ? { line: start, error: "unexpected text after a closing quote" }
      : { line: start, fields: parser.take() };
  }
  while (held.length > 0) {
    yield restartAfterRunaway(
      "a quoted field opened here is never closed before the end of the file; check for a stray quote",
    );
    // What followed the stray quote is read again, as its own lines.
    for await (const record of csvRecords(arrayLines(replay.splice(0)), maxRecordBytes)) {
      yield record;
    }
  }
}

async function* arrayLines(lines: Line[]): AsyncGenerator<Line> {
  yield* lines;
}

/** The state of one record across its lines; fields are built from slices, not characters. */
class RecordParser {
  #fields: string[] = [];
  #field: string[] = [];
  #quoted = false;
  #broken = false;

  reset(): void {
    this.#fields = [];
    this.#field = [];
    this.#quoted = false;
    this.#broken = false;
  }

  /** The record's fields, once `feed` said it is complete. */
  take(): string[] {
    const fields = this.#fields;
    this.reset();
    return fields;
  }

  /** Feeds one line; says whether the record is complete, broken, or still open. */
  feed(text: string, continued: boolean): "complete" | "broken" | "open" {
    if (!continued && !text.includes('"')) {
      this.#fields = text.split(","); // the common case: no quotes at all
      return "complete";
    }
    if (continued) this.#field.push("\n");
    let i = 0;
    while (i <= text.length) {
      if (this.#quoted) {
        const quote = text.indexOf('"', i);
        if (quote < 0) {
          this.#field.push(text.slice(i));
          return "open";
        }
        this.#field.push(text.slice(i, quote));
        if (text[quote + 1] === '"') {
          this.#field.push('"');
          i = quote + 2;
          continue;
        }
        this.#quoted = false;
        i = quote + 1;
        if (i < text.length && text[i] !== ",") this.#broken = true;
        continue;
      }
      if (text[i] === '"' && this.#field.length === 0) {
        this.#quoted = true;
        i++;
        continue;
      }
      const comma = text.indexOf(",", i);
      const end = comma < 0 ? text.length : comma;
      this.#field.push(text.slice(i, end));
      this.#fields.push(this.#field.join(""));
      this.#field = [];
      if (comma < 0) break;
      i = comma + 1;
      if (i === text.length) {
        this.#fields.push(""); // a trailing comma: one more, empty field
        break;
      }
    }
    return this.#broken ? "broken" : "complete";
  }
}
