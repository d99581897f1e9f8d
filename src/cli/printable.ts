// Control characters in a character class are the point here: they are what gets escaped.
// deno-lint-ignore-file no-control-regex
const unprintable = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * `text` safe to print on a terminal: control characters (ESC, which starts a terminal's escape
 * sequences, NUL, ...) and the Unicode line separators are shown as `\u001b` and the like, never
 * sent raw. A contacts file's content must not clear a screen or rename a window.
 */
export function printable(text: string): string {
  return text.replace(
    unprintable,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
