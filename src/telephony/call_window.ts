import { isTimeZone, localTime, zonedInstant } from "../domain/mod.ts";

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
    const local = localTime(now, zone);
    const minute = local.hour * 60 + local.minute;
    const inside = this.#start < this.#end
      ? minute >= this.#start && minute < this.#end
      : minute >= this.#start || minute < this.#end;
    if (inside) return undefined;
    const dayOffset = minute < this.#start ? 0 : 1;
    // Today's opening if it is still ahead, else tomorrow's, in the zone's own offset then.
    const instant = zonedInstant({
      ...local,
      day: local.day + dayOffset,
      hour: Math.floor(this.#start / 60),
      minute: this.#start % 60,
    }, zone);
    return Math.max(instant, now);
  }
}
