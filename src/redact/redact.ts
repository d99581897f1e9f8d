import {
  DEFAULT_REDACT_FIELDS,
  type FieldPatterns,
  type RedactionPatterns,
} from "@logtape/redaction";

/** Field names whose values never reach a log: LogTape's defaults plus our own. */
export const secretFieldPatterns: FieldPatterns = [
  ...DEFAULT_REDACT_FIELDS,
  /authorization/i,
  /api[-_]?key/i,
  /^xi-api-key$/i,
  /token/i,
];

const telegramToken = /bot\d+:[A-Za-z0-9_-]+/g;
const bearer = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/** Token patterns removed from every formatted log line, whatever field they hide in. */
export const secretTextPatterns: RedactionPatterns = [
  { pattern: telegramToken, replacement: "bot[REDACTED]" },
  { pattern: bearer, replacement: "$1[REDACTED]" },
];

/**
 * Removes secrets that hide inside text: a Telegram bot token in a URL path
 * (`bot123:ABC...`), a bearer token, and any of `knownSecrets` verbatim.
 */
export function redactText(text: string, knownSecrets: readonly string[] = []): string {
  let redacted = text.replace(telegramToken, "bot[REDACTED]").replace(bearer, "$1[REDACTED]");
  for (const secret of knownSecrets) {
    if (secret.length >= 4) redacted = redacted.replaceAll(secret, "[REDACTED]");
  }
  return redacted;
}
