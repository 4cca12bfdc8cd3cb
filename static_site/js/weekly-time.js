/** Weekly hours across time zones with the browser's Intl only (no time zone library).
 *
 * A Helper's window is a weekday (0 = Monday) and "HH:MM" times in their IANA time zone; a
 * visitor wants to see the next time that window happens, in their own time zone. */

const WEEKDAYS = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
const partsFormats = new Map();

function partsFormat(timeZone) {
  if (!partsFormats.has(timeZone)) {
    partsFormats.set(timeZone, new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", weekday: "short", year: "numeric", month: "numeric",
      day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
    }));
  }
  return partsFormats.get(timeZone);
}

/** The wall clock in `timeZone` at `instant` (ms): {year, month, day, hour, minute, second,
 * weekday} with month 1-12 and weekday 0 = Monday. */
export function wallClock(timeZone, instant) {
  const parts = {};
  for (const { type, value } of partsFormat(timeZone).formatToParts(new Date(instant))) {
    parts[type] = value;
  }
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday],
  };
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in ms. */
function offsetAt(timeZone, instant) {
  const wall = wallClock(timeZone, instant);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant when `timeZone`'s clocks show that date and `minutes` past midnight (1440 is
 * the next midnight). In a daylight-saving gap it lands just after the gap. */
export function zonedInstant(timeZone, year, month, day, minutes) {
  const asUtc = Date.UTC(year, month - 1, day, 0, minutes);
  const first = asUtc - offsetAt(timeZone, asUtc);
  const second = asUtc - offsetAt(timeZone, first);
  return second;
}

export function minutesOf(hhmm) {
  const match = /^(\d{2}):(\d{2})$/.exec(String(hhmm || ""));
  if (!match) {
    return null;
  }
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes <= 24 * 60 ? minutes : null;
}

/** The next time a weekly window happens (the current one if it has not ended yet):
 * `{start, end}` in ms, or null when the window cannot be read. */
export function nextOccurrence({ day, start, end, timeZone }, now = Date.now()) {
  const startMinutes = minutesOf(start);
  const endMinutes = minutesOf(end);
  if (!Number.isInteger(day) || day < 0 || day > 6 || startMinutes === null
      || endMinutes === null || endMinutes <= startMinutes) {
    return null;
  }
  let today;
  try {
    today = wallClock(timeZone, now);
  } catch {
    return null; // not a time zone this browser knows
  }
  const ahead = (day - today.weekday + 7) % 7;
  for (const extra of [0, 7]) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + ahead + extra));
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const occurrence = {
      start: zonedInstant(timeZone, y, m, d, startMinutes),
      end: zonedInstant(timeZone, y, m, d, endMinutes),
    };
    if (occurrence.end > now) {
      return occurrence;
    }
  }
  return null;
}

/** "Monday 3:00 – 6:30 PM" (or across midnight "Monday 11:00 PM – Tuesday 1:00 AM"), in
 * `timeZone` (the visitor's own by default). */
export function formatWindow({ start, end }, { timeZone, locale } = {}) {
  const options = { weekday: "long", hour: "numeric", minute: "2-digit" };
  if (timeZone) {
    options.timeZone = timeZone;
  }
  const format = new Intl.DateTimeFormat(locale, options);
  if (typeof format.formatRange === "function") {
    return format.formatRange(new Date(start), new Date(end));
  }
  return `${format.format(new Date(start))} – ${format.format(new Date(end))}`;
}

export function visitorTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** "America/New_York" → "America/New York". */
export function timeZoneLabel(timeZone) {
  return String(timeZone).replaceAll("_", " ");
}
