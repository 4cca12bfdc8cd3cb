/** Moments from the server (integer seconds since the epoch) in words for the reader, in their
 * own time zone. */

import { element } from "./dom.js";

const FULL = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const DAY = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function dateOf(seconds) {
  return Number.isFinite(seconds) ? new Date(seconds * 1000) : null;
}

/** 1767225600 → "Jan 1, 2026, 1:00 AM" (in the reader's locale); "" for no moment. */
export function formatWhen(seconds) {
  const date = dateOf(seconds);
  return date ? FULL.format(date) : "";
}

/** 1767225600 → "Jan 1, 2026"; "" for no moment. */
export function formatDay(seconds) {
  const date = dateOf(seconds);
  return date ? DAY.format(date) : "";
}

/** A `<time>`'s machine-readable value. */
export function isoOf(seconds) {
  const date = dateOf(seconds);
  return date ? date.toISOString() : "";
}

/** A `<time>` element for the moment: its ISO value, and `format`'s words (date and time by
 * default; `formatDay` for the date alone). */
export function timeOf(seconds, format = formatWhen) {
  return element("time", { datetime: isoOf(seconds) }, format(seconds));
}

/** Now, in the server's unit. */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

const CALENDAR = {
  short: new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }),
  long: new Intl.DateTimeFormat(undefined, {
    weekday: "long", year: "numeric", month: "long", day: "numeric", timeZone: "UTC",
  }),
};

/** A calendar day from the server ("2026-12-11", no time zone) as the same day in words:
 * "Dec 11, 2026", or "Friday, December 11, 2026" with `long`; the text itself when it is not
 * a day. */
export function formatCalendarDay(day, { long = false } = {}) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day || ""));
  if (!match) {
    return String(day || "");
  }
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return (long ? CALENDAR.long : CALENDAR.short).format(date);
}
