/** The Sales page's figures in words: amounts (integer cents, through money.js), conversion from
 * basis points with integer math, buckets of the series ("Mar 5", "Week of Mar 2", "March 2026"),
 * and the sentence that sums the chart up. No DOM here. */

import { formatCents } from "../../money.js";
import { formatCalendarDay } from "../../when.js";
import { dayNumber } from "./period.js";

const DAY_MS = 86_400_000;

/** `5400` → "$54.00". */
export function money(cents) {
  return formatCents(cents, { cents: true });
}

/** Basis points as a percent, trailing zeros dropped: 250 → "2.5%", 300 → "3%", 75 → "0.75%";
 * "—" for none (no views, so no conversion). */
export function percent(basisPoints) {
  if (!Number.isSafeInteger(basisPoints) || basisPoints < 0) {
    return "—";
  }
  const fraction = String(basisPoints % 100).padStart(2, "0").replace(/0+$/, "");
  return `${Math.trunc(basisPoints / 100)}${fraction ? `.${fraction}` : ""}%`;
}

export function count(number, one, many) {
  const value = Number.isSafeInteger(number) ? number : 0;
  return `${value.toLocaleString()} ${value === 1 ? one : many}`;
}

const SHORT_DAY = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
const SHORT_MONTH = new Intl.DateTimeFormat(undefined, { month: "short", timeZone: "UTC" });
const MONTH_YEAR = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });
const LONG_MONTH = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" });

function dateOf(day) {
  const number = dayNumber(day);
  return number === null ? null : new Date(number * DAY_MS);
}

/** A bucket where room is short (the chart's axis): "Mar 5" for a day or a week, "Mar" for a
 * month ("Jan 2026" for January and the first one, so the year is never lost). */
export function axisLabel(start, by, { first = false } = {}) {
  const date = dateOf(start);
  if (!date) {
    return "";
  }
  if (by !== "month") {
    return SHORT_DAY.format(date);
  }
  return first || date.getUTCMonth() === 0 ? MONTH_YEAR.format(date) : SHORT_MONTH.format(date);
}

/** A bucket in full (the table, the legend while hovering): "Mar 5, 2026", "Week of Mar 2, 2026",
 * "March 2026". */
export function bucketLabel(start, by) {
  const date = dateOf(start);
  if (!date) {
    return String(start || "");
  }
  if (by === "month") {
    return LONG_MONTH.format(date);
  }
  return by === "week" ? `Week of ${formatCalendarDay(start)}` : formatCalendarDay(start);
}

/** "Mar 1 – Mar 30, 2026" (one day: "Mar 5, 2026"). */
export function periodLabel(from, to) {
  if (from === to) {
    return formatCalendarDay(from);
  }
  const sameYear = String(from).slice(0, 4) === String(to).slice(0, 4);
  const start = sameYear && dateOf(from) ? SHORT_DAY.format(dateOf(from)) : formatCalendarDay(from);
  return `${start} – ${formatCalendarDay(to)}`;
}

/** The period in a sentence: "from Mar 1 to Mar 30, 2026", "on Mar 5, 2026". */
export function periodWords(from, to) {
  if (from === to) {
    return `on ${formatCalendarDay(from)}`;
  }
  return `from ${periodLabel(from, to).replace(" – ", " to ")}`;
}

export const GROUPING_WORDS = Object.freeze({ day: "by day", week: "by week", month: "by month" });
const BUCKET_WORDS = Object.freeze({ day: "day", week: "week", month: "month" });

/** The bucket of the series that earned the most (the earliest on a tie), or null without sales. */
export function bestBucket(series) {
  return series.reduce((best, bucket) => (
    bucket.gross_cents > 0 && (!best || bucket.gross_cents > best.gross_cents) ? bucket : best), null);
}

/** What the chart shows, in one or two sentences (the canvas's text alternative). */
export function chartSummary(report) {
  const { totals, series, by } = report;
  const period = periodWords(report.from, report.to);
  if (!totals.orders && !totals.gross_cents) {
    return `No sales ${period}.`;
  }
  const sentences = [`${count(totals.orders, "order", "orders")} ${period} brought ${money(totals.gross_cents)} `
    + `in revenue, ${money(totals.net_cents)} net.`];
  const best = bestBucket(series);
  if (best && series.length > 1) {
    sentences.push(`The best ${BUCKET_WORDS[by]} was ${bucketLabel(best.start, by)}, with ${money(best.gross_cents)}.`);
  }
  return sentences.join(" ");
}
