/**
 * Business days and hours in a time zone, for support response targets. Computed with Intl (the
 * runtime's IANA time zone data), so daylight saving changes are handled as the zone defines them.
 */
export interface BusinessCalendar {
  /** Days open, 0 = Sunday … 6 = Saturday. */
  days: ReadonlySet<number>;
  /** Opening and closing time, minutes after local midnight. */
  openMinute: number;
  closeMinute: number;
  /** Local dates (YYYY-MM-DD) with no business hours. */
  holidays: ReadonlySet<string>;
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Parses `Mon-Fri 09:00-17:00` (day ranges may be listed: `Mon-Thu,Sat 08:00-12:00`) and holidays. */
export function parseBusinessCalendar(hours: string, holidays = ''): BusinessCalendar {
  const match = /^(\S+) (\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(hours.trim());
  if (!match) throw new Error(`business hours "${hours}": expected e.g. "Mon-Fri 09:00-17:00"`);
  const days = new Set<number>();
  for (const range of match[1]!.split(',')) {
    const [first, last = first] = range.split('-');
    const a = DAY_NAMES.indexOf(first!);
    const b = DAY_NAMES.indexOf(last!);
    if (a < 0 || b < 0) throw new Error(`business hours "${hours}": unknown day in "${range}"`);
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  const openMinute = Number(match[2]) * 60 + Number(match[3]);
  const closeMinute = Number(match[4]) * 60 + Number(match[5]);
  if (closeMinute <= openMinute) throw new Error(`business hours "${hours}": closing must be after opening`);
  const holidaySet = new Set(
    holidays
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d.length > 0),
  );
  return { days, openMinute, closeMinute, holidays: holidaySet };
}

/** Length of one business day, in minutes. */
export function businessDayMinutes(calendar: BusinessCalendar): number {
  return calendar.closeMinute - calendar.openMinute;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone. */
function localFields(at: number, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetAt(at: number, timeZone: string): number {
  const f = localFields(at, timeZone);
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The instant a local wall-clock time happens (a time skipped by DST resolves to after the gap). */
export function zonedTimeToUtc(date: LocalDate, minuteOfDay: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, Math.floor(minuteOfDay / 60), minuteOfDay % 60);
  let at = wall - offsetAt(wall, timeZone);
  // A second pass settles instants near a DST change.
  at = wall - offsetAt(at, timeZone);
  return at;
}

function localDateOf(at: number, timeZone: string): LocalDate {
  const f = localFields(at, timeZone);
  return { year: f.year, month: f.month, day: f.day };
}

function nextDate(d: LocalDate): LocalDate {
  const next = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

function isoDate(d: LocalDate): string {
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

function isBusinessDay(d: LocalDate, calendar: BusinessCalendar): boolean {
  const weekday = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return calendar.days.has(weekday) && !calendar.holidays.has(isoDate(d));
}

/** The instant `minutes` of business time after `start` (counting starts at the next opening). */
export function addBusinessMinutes(
  start: Date,
  minutes: number,
  calendar: BusinessCalendar,
  timeZone: string,
): Date {
  let remaining = minutes * 60_000;
  let cursor = start.getTime();
  let date = localDateOf(cursor, timeZone);
  for (let guard = 0; guard < 3660; guard++, date = nextDate(date)) {
    if (!isBusinessDay(date, calendar)) continue;
    const open = zonedTimeToUtc(date, calendar.openMinute, timeZone);
    const close = zonedTimeToUtc(date, calendar.closeMinute, timeZone);
    const from = Math.max(open, cursor);
    if (from >= close) continue;
    if (remaining <= close - from) return new Date(from + remaining);
    remaining -= close - from;
    cursor = close;
  }
  throw new Error('business calendar has no business hours in the next ten years');
}

/** Business time between two instants, in minutes. */
export function businessMinutesBetween(
  start: Date,
  end: Date,
  calendar: BusinessCalendar,
  timeZone: string,
): number {
  if (end <= start) return 0;
  let total = 0;
  let date = localDateOf(start.getTime(), timeZone);
  const endMs = end.getTime();
  for (let guard = 0; guard < 3660; guard++, date = nextDate(date)) {
    const dayStart = zonedTimeToUtc(date, 0, timeZone);
    if (dayStart > endMs) break;
    if (!isBusinessDay(date, calendar)) continue;
    const open = Math.max(zonedTimeToUtc(date, calendar.openMinute, timeZone), start.getTime());
    const close = Math.min(zonedTimeToUtc(date, calendar.closeMinute, timeZone), endMs);
    if (close > open) total += close - open;
  }
  return total / 60_000;
}
