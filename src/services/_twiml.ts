import type { CallAnswer, DialRequest } from "./types.ts";

/** Twilio's limit on an inline `Twiml` parameter. */
const maxTwimlChars = 4_000;

/**
 * The TwiML a call runs for `answer`: the message (`<Play>` the audio URL when there is one,
 * else `<Say>` the script, cut at a sentence end to stay within Twilio's 4,000 characters),
 * inside a `<Gather>` ending with the opt-out prompt when the call offers one; the voicemail in
 * Twilio's voice; or a hang-up.
 */
export function twimlFor(request: DialRequest, answer: CallAnswer = "message"): string {
  if (answer === "hang-up") return "<Response><Hangup/></Response>";
  if (answer === "opted-out") {
    const confirmation = request.optOut?.confirmation ?? "";
    return `<Response>${say(confirmation, maxTwimlChars - 40)}<Hangup/></Response>`;
  }
  const optOut = answer === "message" ? request.optOut : undefined;
  const [open, close] = optOut
    ? [
      `<Response><Gather input="dtmf" numDigits="1" timeout="5" method="POST" action="${
        escapeXml(optOut.actionUrl)
      }">`,
      `<Say>${escapeXml(optOut.prompt)}</Say></Gather></Response>`,
    ]
    : ["<Response>", "</Response>"];
  if (answer === "message" && request.audioUrl) {
    return `${open}<Play>${escapeXml(request.audioUrl)}</Play>${close}`;
  }
  return `${open}${
    say(
      answer === "voicemail" ? request.voicemail ?? request.say : request.say,
      maxTwimlChars - open.length - close.length,
    )
  }${close}`;
}

/** `<Say>` of `text`, cut at a sentence end so the element stays within `room` characters. */
function say(text: string, room: number): string {
  let kept = text;
  let body = escapeXml(kept);
  while ("<Say></Say>".length + body.length > room) {
    const cut = Math.max(
      kept.lastIndexOf(". ", kept.length - 2),
      kept.lastIndexOf("? ", kept.length - 2),
      kept.lastIndexOf("! ", kept.length - 2),
    );
    kept = cut > 0 ? kept.slice(0, cut + 1) : kept.slice(0, Math.floor(kept.length * 0.9));
    body = escapeXml(kept);
  }
  return `<Say>${body}</Say>`;
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
