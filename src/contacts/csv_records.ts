import type { Line } from "./read_lines.ts";

/** A CSV record: its fields, or why it is broken; `line` is where it starts. */
export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

/**
 * RFC 4180 records from decoded lines: quoted fields may hold commas, doubled quotes and
 * line breaks. A record with a bad line or an unclosed quote is reported, and parsing resumes
 * at the next line.
 */
export async function* csvRecords(lines: AsyncIterable<Line>): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let startLine = 0;
  let broken: string | undefined;
  for await (const line of lines) {
    if (!quoted) {
      startLine = line.line;
      fields = [];
      field = "";
      broken = undefined;
    }
    if ("error" in line) {
      // Whatever record this line belongs to is lost; start afresh after it.
      yield { line: startLine, error: line.error };
      quoted = false;
      continue;
    }
    const text = line.text;
    if (!quoted && text.trim() === "") continue;
    let i = 0;
    if (quoted) field += "\n";
    while (i < text.length) {
      const char = text[i];
      if (quoted) {
        if (char === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
          i++;
          if (i < text.length && text[i] !== ",") {
            broken ??= `unexpected text after a closing quote`;
          }
          continue;
        }
        field += char;
        i++;
      } else if (char === ",") {
        fields.push(field);
        field = "";
        i++;
      } else if (char === '"' && field === "") {
        quoted = true;
        i++;
      } else {
        field += char;
        i++;
      }
    }
    if (quoted) continue; // the record goes on on the next line
    fields.push(field);
    yield broken ? { line: startLine, error: broken } : { line: startLine, fields };
  }
  if (quoted) yield { line: startLine, error: "a quoted field is never closed" };
}
