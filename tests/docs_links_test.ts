/**
 * The manual's links hold: every relative link in README.md and docs/ names a file of the
 * repository and, with a `#fragment`, a heading of that file (GitHub's anchor rules).
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const pages = [
  "README.md",
  ...[...Deno.readDirSync(new URL("docs/", root))]
    .filter((entry) => entry.name.endsWith(".md"))
    .map((entry) => `docs/${entry.name}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
const anchorOf = (heading: string) =>
  heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");

function anchorsOf(text: string): Set<string> {
  const withoutCode = text.replace(/^```[\s\S]*?^```/gm, "");
  return new Set(
    [...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => anchorOf(heading)),
  );
}

Deno.test("every relative link in README.md and docs/ reaches a file and a heading", () => {
  const broken: string[] = [];
  for (const page of pages) {
    const pageUrl = new URL(page, root);
    const text = Deno.readTextFileSync(pageUrl);
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path, fragment] = target.split("#");
      const file = path === "" ? pageUrl : new URL(path, pageUrl);
      let linked: string;
      try {
        linked = Deno.statSync(file).isDirectory ? "" : Deno.readTextFileSync(file);
      } catch {
        broken.push(`${page}: ${target} (no such file)`);
        continue;
      }
      if (fragment && !anchorsOf(linked).has(fragment)) {
        broken.push(`${page}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
