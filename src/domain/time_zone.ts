/** Whether `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A wall-clock time in some zone, to the minute. */
export interface LocalTime {
  year: number;
  /** 1 to 12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time in `zone` at `instant` (clock ms). */
export function localTime(instant: number, zone: string): LocalTime {
  let format = formats.get(zone);
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
    formats.set(zone, format);
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

/**
 * The instant whose wall-clock time in `zone` is `local` (its day may overflow: day 32 is the
 * next month's first). The zone's offset is applied twice, so a daylight-saving change between
 * the guess and the answer is taken into account.
 */
export function zonedInstant(local: LocalTime, zone: string): number {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const instant = wall - offsetAt(wall, zone);
  return wall - offsetAt(instant, zone);
}

/** The calendar day in `zone` at `instant`, as `YYYY-MM-DD`. */
export function calendarDay(instant: number, zone: string): string {
  const { year, month, day } = localTime(instant, zone);
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** The first instant of the calendar day in `zone` after the one `instant` is in. */
export function nextMidnight(instant: number, zone: string): number {
  const today = localTime(instant, zone);
  return zonedInstant({ ...today, day: today.day + 1, hour: 0, minute: 0 }, zone);
}

/** Local time minus UTC at `instant`, in ms. */
function offsetAt(instant: number, zone: string): number {
  const local = localTime(instant, zone);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  return asUtc - (instant - (instant % 60_000 + 60_000) % 60_000);
}
