import { isTimeZone } from "../domain/mod.ts";

/** Calling hours: a daily window of local time, e.g. 09:00 to 20:00. */
export interface CallWindowOptions {
  /** `HH:MM`, local time, inclusive. */
  start: string;
  /** `HH:MM`, local time, exclusive; before `start` means the window runs past midnight. */
  end: string;
  /** IANA zone for contacts without their own. */
  timezone: string;
}

/** Minutes after midnight of `HH:MM`, or undefined when it is not one. */
function minutesOf(time: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/**
 * The hours a person may be called, read in each contact's own time zone: outside them a
 * contact waits for the next opening instead of failing. Daylight saving is the zone's
 * (`Intl`), so 09:00 in New York is 14:00 UTC in winter and 13:00 in summer.
 */
export class CallWindow {
  readonly #start: number;
  readonly #end: number;
  readonly timezone: string;
  readonly #formats = new Map<string, Intl.DateTimeFormat>();

  constructor(readonly options: CallWindowOptions) {
    const start = minutesOf(options.start);
    const end = minutesOf(options.end);
    if (start === undefined || end === undefined || start === end) {
      throw new RangeError(
        `campaign.callWindow: start and end must be different HH:MM times, got "${options.start}" to "${options.end}"`,
      );
    }
    if (!isTimeZone(options.timezone)) {
      throw new RangeError(
        `campaign.callWindow.timezone: "${options.timezone}" is not an IANA time zone (e.g. America/New_York)`,
      );
    }
    this.#start = start;
    this.#end = end;
    this.timezone = options.timezone;
  }

  /** Undefined while `now` is inside the window in `zone`; else the instant it next opens. */
  nextOpening(now: number, zone = this.timezone): number | undefined {
    const local = this.#local(now, zone);
    const minute = local.hour * 60 + local.minute;
    const inside = this.#start < this.#end
      ? minute >= this.#start && minute < this.#end
      : minute >= this.#start || minute < this.#end;
    if (inside) return undefined;
    // Today's opening if it is still ahead, else tomorrow's.
    const dayOffset = minute < this.#start ? 0 : 1;
    const wall = Date.UTC(
      local.year,
      local.month - 1,
      local.day + dayOffset,
      Math.floor(this.#start / 60),
      this.#start % 60,
    );
    // The instant whose local time in `zone` is `wall`: correct for the zone's offset twice,
    // so a daylight-saving change between now and then is taken into account.
    let instant = wall - this.#offset(wall, zone);
    instant = wall - this.#offset(instant, zone);
    return Math.max(instant, now);
  }

  /** Local time minus UTC at `instant`, in ms. */
  #offset(instant: number, zone: string): number {
    const local = this.#local(instant, zone);
    const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
    return asUtc - (instant - (instant % 60_000 + 60_000) % 60_000);
  }

  #local(instant: number, zone: string) {
    let format = this.#formats.get(zone);
    if (!format) {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
      });
      this.#formats.set(zone, format);
    }
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(instant)) {
      if (part.type !== "literal") parts[part.type] = Number(part.value);
    }
    return {
      year: parts.year,
      month: parts.month,
      day: parts.day,
      hour: parts.hour,
      minute: parts.minute,
    };
  }
}
