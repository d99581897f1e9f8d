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

  /**
   * Undefined while `now` is inside the window in every one of `zones` (the contact's own, or
   * its number's area's; none given: the campaign's); else the instant it next is. Zones the
   * window is never open in all at once (more than its width apart) are read as the first.
   */
  nextOpening(now: number, zones?: string | readonly string[]): number | undefined {
    const list = typeof zones === "string" ? [zones] : zones?.length ? zones : [this.timezone];
    if (list.length === 1) return this.#nextOpeningIn(now, list[0]);
    // Each zone's next opening in turn, until one instant finds every zone open.
    let at = now;
    for (let round = 0; round < 2 * list.length + 2; round++) {
      const openings = list.map((zone) => this.#nextOpeningIn(at, zone) ?? at);
      const latest = Math.max(...openings);
      if (latest === at) return at === now ? undefined : at;
      at = latest;
    }
    return this.#nextOpeningIn(now, list[0]);
  }

  /**
   * While the window is open at `now` in every one of `zones` (as {@link nextOpening} reads
   * them), the instant it closes in the first of them; undefined when it is not open now.
   */
  closesAt(now: number, zones?: string | readonly string[]): number | undefined {
    if (this.nextOpening(now, zones) !== undefined) return undefined;
    const list = typeof zones === "string" ? [zones] : zones?.length ? zones : [this.timezone];
    return Math.min(...list.map((zone) => this.#closingIn(now, zone)));
  }

  /** The instant the window open at `now` in `zone` closes. */
  #closingIn(now: number, zone: string): number {
    const local = localTime(now, zone);
    const minute = local.hour * 60 + local.minute;
    // Past midnight inside a window that opened the day before, it ends today; else the end
    // is later today, or tomorrow for a window that runs past midnight.
    const dayOffset = this.#start > this.#end && minute >= this.#start ? 1 : 0;
    return zonedInstant({
      ...local,
      day: local.day + dayOffset,
      hour: Math.floor(this.#end / 60),
      minute: this.#end % 60,
    }, zone);
  }

  /** Undefined while `now` is inside the window in `zone`; else the instant it next opens. */
  #nextOpeningIn(now: number, zone: string): number | undefined {
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
