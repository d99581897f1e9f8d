import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";

/**
 * Twilio's request signature: base64(HMAC-SHA1(auth token, the full URL with its query, then
 * each POST parameter's name and value, sorted by name)).
 */
export function twilioSignature(
  authToken: string,
  url: string,
  params: Iterable<[string, string]>,
): string {
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hmac = createHmac("sha1", authToken).update(url);
  for (const [name, value] of sorted) hmac.update(name + value);
  return hmac.digest("base64");
}

/** Whether `signature` (the `X-Twilio-Signature` header) signs this request; constant-time. */
export function isSignedByTwilio(
  authToken: string,
  url: string,
  params: Iterable<[string, string]>,
  signature: string | null | undefined,
): boolean {
  if (!signature) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
