/** The Sales page's period: its presets, the grouping that suits each, a custom range checked as
 * the server checks it, and its place in the page's address. No DOM here.
 *
 * Days are UTC calendar days ("2026-03-01"), as the store counts its sales; the arithmetic is on
 * whole days since the epoch, so no time zone or daylight saving change can shift a day. */

export const GROUPINGS = Object.freeze(["day", "week", "month"]);
/** A report covers at most two years (the server's `MAX_DAYS`: 732 days, both ends included). */
export const MAX_DAYS = 732;
const DAY_MS = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "2026-03-01" → days since 1970-01-01; null when it is not a real calendar day. */
export function dayNumber(text) {
  const match = ISO_DAY.exec(String(text || ""));
  if (!match) {
    return null;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return null;
  }
  return ms / DAY_MS;
}

/** Days since the epoch → "2026-03-01". */
export function isoDay(number) {
  return new Date(number * DAY_MS).toISOString().slice(0, 10);
}

/** Today's UTC day. */
export function todayUtc(now = Date.now()) {
  return isoDay(Math.floor(now / DAY_MS));
}

function firstOfMonth(day, monthsBack = 0) {
  const date = new Date(dayNumber(day) * DAY_MS);
  return isoDay(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - monthsBack, 1) / DAY_MS);
}

/** The grouping that reads best for a span of `days`: a bar a day up to a month, a week up to
 * half a year, a month beyond. */
export function groupingFor(days) {
  if (days <= 31) {
    return "day";
  }
  return days <= 183 ? "week" : "month";
}

/** The presets, in the order the picker shows them: `range(today)` gives `{from, to}`. */
export const PRESETS = Object.freeze({
  "7d": { label: "Last 7 days", range: (today) => ({ from: isoDay(dayNumber(today) - 6), to: today }), by: "day" },
  "30d": { label: "Last 30 days", range: (today) => ({ from: isoDay(dayNumber(today) - 29), to: today }), by: "day" },
  month: { label: "This month", range: (today) => ({ from: firstOfMonth(today), to: today }), by: "day" },
  "12m": { label: "Last 12 months", range: (today) => ({ from: firstOfMonth(today, 11), to: today }), by: "month" },
});
export const DEFAULT_PRESET = "30d";

/** The number of days from `from` to `to`, both included. */
export function spanDays(from, to) {
  return dayNumber(to) - dayNumber(from) + 1;
}

/** What is wrong with a custom range (`{field, message}`), or null when the server would take it. */
export function rangeProblem(from, to, today) {
  if (dayNumber(from) === null) {
    return { field: "from", message: "Choose the first day of the period." };
  }
  if (dayNumber(to) === null) {
    return { field: "to", message: "Choose the last day of the period." };
  }
  if (dayNumber(from) > dayNumber(to)) {
    return { field: "from", message: "The period starts after it ends." };
  }
  if (dayNumber(to) > dayNumber(today)) {
    return { field: "to", message: "The period cannot end after today." };
  }
  if (spanDays(from, to) > MAX_DAYS) {
    return { field: "from", message: "A report covers at most two years." };
  }
  return null;
}

/** A period: `{preset, from, to, by}`, `preset` one of PRESETS' names or "custom". */
export function presetPeriod(preset, today) {
  const chosen = PRESETS[preset] ? preset : DEFAULT_PRESET;
  return { preset: chosen, ...PRESETS[chosen].range(today), by: PRESETS[chosen].by };
}

export function customPeriod(from, to, by = null) {
  return { preset: "custom", from, to, by: GROUPINGS.includes(by) ? by : groupingFor(spanDays(from, to)) };
}

/** The period a page address asks for (`?period=7d&by=week`, `?period=custom&from=…&to=…`),
 * or the default one when it asks for nothing valid. */
export function periodFromQuery(search, today) {
  const params = new URLSearchParams(search);
  const preset = params.get("period");
  const by = params.get("by");
  let period;
  if (preset === "custom" && !rangeProblem(params.get("from"), params.get("to"), today)) {
    period = customPeriod(params.get("from"), params.get("to"));
  } else {
    period = presetPeriod(preset, today);
  }
  return GROUPINGS.includes(by) ? { ...period, by } : period;
}

/** The query string that brings `period` back (a preset keeps moving with today). */
export function queryOf(period) {
  const params = new URLSearchParams({ period: period.preset });
  if (period.preset === "custom") {
    params.set("from", period.from);
    params.set("to", period.to);
  }
  params.set("by", period.by);
  return `?${params}`;
}
