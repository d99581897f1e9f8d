import type { DialRequest } from "./types.ts";

/** Twilio's limit on an inline `Twiml` parameter. */
const maxTwimlChars = 4_000;

/**
 * The TwiML a call runs: `<Play>` the audio URL when there is one, else `<Say>` the script
 * (cut at a sentence end to stay within Twilio's 4,000 characters).
 */
export function twimlFor(request: DialRequest): string {
  if (request.audioUrl) return `<Response><Play>${escapeXml(request.audioUrl)}</Play></Response>`;
  const open = "<Response><Say>";
  const close = "</Say></Response>";
  let text = request.say;
  let body = escapeXml(text);
  while (open.length + body.length + close.length > maxTwimlChars) {
    const cut = Math.max(
      text.lastIndexOf(". ", text.length - 2),
      text.lastIndexOf("? ", text.length - 2),
      text.lastIndexOf("! ", text.length - 2),
    );
    text = cut > 0 ? text.slice(0, cut + 1) : text.slice(0, Math.floor(text.length * 0.9));
    body = escapeXml(text);
  }
  return open + body + close;
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) =>
      c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === "&"
        ? "&amp;"
        : c === '"'
        ? "&quot;"
        : "&apos;",
  );
}
