import type { Contact } from "../services/mod.ts";

/** A contacts-file row: a valid contact, or the reason it is not. */
export type ContactRow =
  | { line: number; contact: Contact }
  | { line: number; id?: string; reason: string };

const e164 = /^\+[1-9]\d{6,14}$/;
const known = new Set(["id", "name", "phone", "purpose", "notes"]);

/**
 * Validates one row's columns into a {@link Contact}: `id`, `name` and `phone` (E.164) are
 * required; `purpose` and `notes` are used as such; every other column passes through to
 * the script prompt in `fields`.
 */
export function toContactRow(line: number, columns: Record<string, unknown>): ContactRow {
  const text = (key: string) => {
    const value = columns[key];
    if (value === undefined || value === null) return "";
    return typeof value === "string" ? value.trim() : String(value).trim();
  };
  const id = text("id");
  if (!id) return { line, reason: "missing id: every row needs an id column value" };
  if (id.length > 200) {
    return { line, id: id.slice(0, 40), reason: "id is longer than 200 characters" };
  }
  const name = text("name");
  if (!name) return { line, id, reason: "missing name" };
  const rawPhone = text("phone");
  const phone = rawPhone.replace(/[\s().-]/g, "");
  if (!e164.test(phone)) {
    return {
      line,
      id,
      reason: rawPhone
        ? `phone "${rawPhone}" is not E.164: write it as + country code and number, e.g. +14155550100`
        : "missing phone",
    };
  }
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(columns)) {
    if (!known.has(key) && value !== undefined && value !== null && String(value).trim() !== "") {
      fields[key] = typeof value === "string" ? value.trim() : JSON.stringify(value);
    }
  }
  const contact: Contact = { id, name, phone };
  if (text("purpose")) contact.purpose = text("purpose");
  if (text("notes")) contact.notes = text("notes");
  if (Object.keys(fields).length > 0) contact.fields = fields;
  return { line, contact };
}
