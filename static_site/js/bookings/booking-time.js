/** Appointments' words and times, with no DOM: a slot's day and time in a time zone, a zone's
 * short name, the cancellation policy as every booking screen states it, and a booking's state.
 * Slots come from `GET /helpers/{username}/slots` as `{start (UTC), local, helper_local}`, the
 * two locals being ISO times with their offset in the customer's and the Helper's zones. */

import { formatCents } from "../money.js";

/** "America/New_York" → "New York"; "UTC" stays. */
export function placeOf(zone) {
  const name = String(zone || "UTC");
  return name.split("/").pop().replaceAll("_", " ");
}

/** "America/New_York" → "America/New York". */
export function zoneLabel(zone) {
  return String(zone || "UTC").replaceAll("_", " ");
}

/** The calendar day of a local ISO time ("2026-12-08T10:30:00-05:00" → "2026-12-08"). */
export function dayOf(local) {
  return String(local).slice(0, 10);
}

/** Slots grouped by their day in the customer's zone, days in order: Map day → slots. */
export function slotsByDay(slots) {
  const days = new Map();
  for (const slot of slots) {
    const day = dayOf(slot.local);
    if (!days.has(day)) {
      days.set(day, []);
    }
    days.get(day).push(slot);
  }
  return days;
}

function formatter(zone, options) {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: zone, ...options });
  } catch {
    return new Intl.DateTimeFormat(undefined, { timeZone: "UTC", ...options });
  }
}

/** "9:30 AM" (or "09:30", as the visitor's language writes times) of a UTC instant in `zone`. */
export function timeIn(start, zone) {
  return formatter(zone, { hour: "numeric", minute: "2-digit" }).format(new Date(start));
}

/** "Tuesday, December 8" of a UTC instant in `zone` (`year: true` adds the year). */
export function dateIn(start, zone, { year = false, weekday = "long" } = {}) {
  return formatter(zone, { weekday, month: "long", day: "numeric", ...(year ? { year: "numeric" } : {}) })
    .format(new Date(start));
}

/** "Tuesday, December 8 · 9:30 AM – 9:45 AM". */
export function spanIn(start, minutes, zone) {
  const end = new Date(Date.parse(start) + minutes * 60_000).toISOString();
  return `${dateIn(start, zone)} · ${timeIn(start, zone)} – ${timeIn(end, zone)}`;
}

/** A calendar day ("2026-12-08") as words: "Tuesday, December 8". */
export function dayText(day, { weekday = "long" } = {}) {
  return formatter("UTC", { weekday, month: "long", day: "numeric" }).format(new Date(`${day}T12:00:00Z`));
}

/** The time zones a visitor may choose from (their own first). */
export function timeZones(own) {
  let zones = [];
  try {
    zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  } catch {
    zones = [];
  }
  const list = zones.length ? [...zones] : ["UTC", "Europe/London", "Europe/Paris", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"];
  return [own, ...list.filter((zone) => zone !== own)];
}

/** A length's price as a label: "$15" or "Free". */
export function priceText(cents) {
  return cents === 0 ? "Free" : formatCents(cents, { cents: cents % 100 !== 0 });
}

/** What the Helper's fee is, in words (`rules.fee_policy`). */
export const FEE_POLICIES = Object.freeze({
  none: "No fee",
  half_price: "50% of the session price",
  twice_rate: "Two times your 15-minute rate",
});

/** The cancellation policy before booking, from the slots' `policy` and the price. */
export function policyText(policy, priceCents) {
  const hours = policy && Number.isSafeInteger(policy.late_hours) ? policy.late_hours : 24;
  if (!priceCents) {
    return "This session is free: cancel or reschedule whenever you like before it starts.";
  }
  const early = `Cancel or reschedule up to ${hours} hours before the start and get your money back `
    + "(PayPal keeps its small processing fee).";
  const fee = policy && Number.isSafeInteger(policy.fee_cents) ? policy.fee_cents : 0;
  if (!fee) {
    return `${early} Later than that you can still cancel and get the same refund.`;
  }
  const why = policy.fee_policy === "half_price" ? "half the price" : "two times the Helper's 15-minute rate";
  return `${early} Cancelling later, or not showing up, costs ${formatCents(fee, { cents: true })} (${why}), `
    + "kept by the Helper; the rest is refunded.";
}

/** A booking's state as its badge says it, for the customer or the Helper. */
export function stateText(state, role) {
  switch (state) {
    case "held":
      return "Waiting for payment";
    case "requested":
      return role === "helper" ? "Waiting for your confirmation" : "Waiting for the Helper's confirmation";
    case "confirmed":
      return "Confirmed";
    case "done":
      return "Done";
    case "cancelled":
      return "Cancelled";
    default:
      return String(state || "");
  }
}
