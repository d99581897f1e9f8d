/** E.164: a plus, a country code and a number, 8 to 16 characters in all. */
const e164 = /^\+[1-9]\d{6,14}$/;

/** Whether `phone` is written in E.164 as it stands (`+14155550100`). */
export function isE164(phone: string): boolean {
  return e164.test(phone);
}

/**
 * `raw` as an E.164 number, the way contacts' phones are read: spaces, dots, dashes and
 * brackets are dropped (`+1 (415) 555-0100` is `+14155550100`). Undefined when what is left
 * is not E.164.
 */
export function toE164(raw: string): string | undefined {
  const phone = raw.replace(/[\s().-]/g, "");
  return e164.test(phone) ? phone : undefined;
}
