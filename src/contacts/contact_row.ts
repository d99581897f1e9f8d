import { type Contact, isTimeZone, type NumberPlan } from "../domain/mod.ts";

/** A contacts-file row: a valid contact, or the reason it is not. */
export type ContactRow =
  | { line: number; contact: Contact }
  | { line: number; id?: string; reason: string };

/**
 * A JSON number as it was written (JSON Lines keeps each number's own text, so a 20-digit id
 * is not rounded into another contact's).
 */
export class JsonNumber {
  constructor(readonly source: string) {}
}

const known = new Set(["id", "name", "phone", "purpose", "notes", "timezone"]);
// Control characters other than tab: they have no place in a name or a note, and printed back
// in a message they could move a terminal's cursor or rename its window.
// deno-lint-ignore no-control-regex
const control = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/**
 * Validates one row's columns into a {@link Contact}: `id`, `name` and `phone` are required
 * text, the phone a number `plan` knows (E.164, or national in its default country), kept in
 * E.164 with its kind of line; `purpose`, `notes` and `timezone` (IANA, for calling hours) are
 * used as such, and without a `timezone` the number's area's zones are kept when the plan can
 * tell them; every other column passes through to the script prompt in `fields`. A value of
 * the wrong type (an object, a list, a fractional or boolean id) makes the row invalid with a
 * reason that names the column.
 */
export function toContactRow(
  line: number,
  columns: Record<string, unknown>,
  plan: NumberPlan,
): ContactRow {
  const problems: string[] = [];
  const text = (key: string, required: boolean): string => {
    const read = textOf(key, columns[key]);
    if (typeof read !== "string") {
      problems.push(read.problem);
      return "";
    }
    if (required && read === "") {
      problems.push(
        key === "id" ? "missing id: every row needs an id column value" : `missing ${key}`,
      );
    }
    return read;
  };
  const id = text("id", true);
  const shownId = id ? id.slice(0, 40) : undefined;
  if (problems.length > 0) return { line, id: shownId, reason: problems[0] };
  if (id.length > 200) return { line, id: shownId, reason: "id is longer than 200 characters" };
  const name = text("name", true);
  const rawPhone = text("phone", true);
  const purpose = text("purpose", false);
  const notes = text("notes", false);
  const timezone = text("timezone", false);
  const fields: Record<string, string> = {};
  for (const key of Object.keys(columns)) {
    if (known.has(key)) continue;
    const value = text(key, false);
    if (value !== "") fields[key] = value;
  }
  if (problems.length > 0) return { line, id, reason: problems[0] };
  const number = plan.read(rawPhone);
  if ("problem" in number) return { line, id, reason: `phone ${number.problem}` };
  if (timezone && !isTimeZone(timezone)) {
    return {
      line,
      id,
      reason:
        `timezone "${timezone}" is not an IANA time zone: write it like America/New_York, or leave it empty for the campaign's`,
    };
  }
  const contact: Contact = { id, name, phone: number.phone, numberType: number.type };
  if (timezone) contact.timezone = timezone;
  else {
    const zones = plan.zonesOf(number.phone);
    if (zones) contact.numberZones = zones;
  }
  if (purpose) contact.purpose = purpose;
  if (notes) contact.notes = notes;
  if (Object.keys(fields).length > 0) contact.fields = fields;
  return { line, contact };
}

/** A column's value as trimmed text, or why it cannot be one. */
function textOf(key: string, value: unknown): string | { problem: string } {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") {
    if (control.test(value)) {
      return { problem: `${key} holds control characters (such as NUL or ESC); remove them` };
    }
    return value.trim();
  }
  if (value instanceof JsonNumber) {
    if (key === "id" && !/^-?\d+$/.test(value.source)) {
      return { problem: `id ${value.source} is not a whole number; write ids as text` };
    }
    if (key === "name" || key === "phone") return { problem: `${key} must be text, got number` };
    return value.source;
  }
  if (typeof value === "number" || typeof value === "boolean") {
    if (key === "id" && (typeof value !== "number" || !Number.isSafeInteger(value))) {
      return { problem: `id ${value} is not a whole number; write ids as text` };
    }
    if (key === "name" || key === "phone") {
      return { problem: `${key} must be text, got ${typeof value}` };
    }
    return String(value);
  }
  return {
    problem: `${key} must be text, got ${Array.isArray(value) ? "a list" : "an object"}`,
  };
}
