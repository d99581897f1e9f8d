/**
 * docs/configuration.md documents every key of config/defaults.ts with its default: each key's
 * row names it in full, and its default column shows the value the code starts from. A key
 * added to the defaults, or a default changed, without the reference following, fails here.
 */
import assert from "node:assert/strict";
import { channelDefaults, defaultConfig } from "../../config/defaults.ts";

const reference = await Deno.readTextFile(
  new URL("../../docs/configuration.md", import.meta.url),
);

/** Rows of the reference's tables, as their cells (code spans keep their backticks). */
const rows = reference.split("\n")
  .filter((line) => line.startsWith("| "))
  .map((line) => line.slice(1, -1).split(" | ").map((cell) => cell.trim()));

/** How the reference writes a default: numbers as digits, text in backticks, "" as empty. */
function written(value: unknown): string {
  if (typeof value === "string") return value === "" ? "empty" : `\`${value}\``;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return `\`${JSON.stringify(value)}\``;
}

/** Every leaf of the defaults, by dotted path: a list or an empty object is one leaf. */
function leaves(value: unknown, path: string[] = []): [string, unknown][] {
  if (
    typeof value !== "object" || value === null || Array.isArray(value) ||
    Object.keys(value).length === 0
  ) return [[path.join("."), value]];
  return Object.entries(value).flatMap(([key, inner]) => leaves(inner, [...path, key]));
}

Deno.test("every key of config/defaults.ts has a row in docs/configuration.md with its default", () => {
  const problems: string[] = [];
  for (const [path, value] of leaves(defaultConfig)) {
    const row = rows.find((cells) => cells[0] === `\`${path}\``);
    if (!row) problems.push(`${path}: no row`);
    else if (row[1] !== written(value)) {
      problems.push(`${path}: the row says ${row[1]}, the default is ${written(value)}`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("every alert channel kind's defaults have a row in docs/configuration.md", () => {
  const problems: string[] = [];
  for (const [kind, defaults] of Object.entries(channelDefaults)) {
    if (!rows.some((cells) => cells[0] === `\`${kind}\``)) problems.push(`${kind}: no row`);
    for (const [key, value] of Object.entries(defaults)) {
      const row = rows.find((cells) => cells[0] === `\`${kind}\`` && cells[1] === `\`${key}\``);
      if (!row) problems.push(`${kind}.${key}: no row`);
      else if (row[2] !== written(value)) {
        problems.push(`${kind}.${key}: the row says ${row[2]}, the default is ${written(value)}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
