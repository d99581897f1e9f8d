/**
 * `text` as a LogTape message template that renders as itself: a sentence already composed
 * reads as plain text in the JSON log (a placeholder's value would be quoted there), and its
 * own braces are doubled so none is taken for a placeholder. Pass the values as properties too.
 */
export function literalMessage(text: string): string {
  return text.replace(/[{}]/g, (brace) => brace + brace);
}
