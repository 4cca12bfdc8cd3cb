/** One booking (`/booking.html?id=<booking_id>`), for its customer or its Helper: its state, when
 * it is in the viewer's time zone and the other party's, length, price, note and the cancellation
 * policy, and what the viewer may do now (`booking.actions`): Join (enabled from 5 minutes before
 * the start: the customer opens the call room, which rings the Helper on whatever page of ours
 * they have open; the Helper is told so instead), Reschedule (a new slot of the same length), Cancel (the refund and the fee quoted
 * first, `GET /bookings/{id}/cancel-quote`), Confirm or Decline (a Helper who confirms each
 * booking), Mark no-show (the Helper, 10 minutes after the start). A booking still waiting for
 * its payment offers to finish paying at PayPal. */

import { api, isSignedIn } from "../api.js";
import { listenForPayments, payPalLink } from "../checkout.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { formatCents } from "../money.js";
import { leaveIfSignedOut, queryParam, signInUrl } from "../paths.js";
import { dateIn, placeOf, priceText, spanIn, stateText, timeIn } from "../bookings/booking-time.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

const bookingId = queryParam("id") || "";
const NAMES_A_BOOKING = /^[A-Za-z0-9_-]{1,64}$/.test(bookingId);
// The booking is asked for before the header and footer make their own requests: it is what
// this page is for, and its answer draws the page's largest part.
let firstAnswer = NAMES_A_BOOKING && isSignedIn() ? api.booking(bookingId) : null;

mountHeader();
mountFooter();

const status = document.querySelector("[data-booking-status]");
const failure = document.querySelector("[data-booking-failure]");
const card = document.querySelector("[data-booking]");
const title = document.querySelector("[data-booking-title]");
const badge = document.querySelector("[data-booking-state]");
const notice = document.querySelector("[data-booking-notice]");
const facts = document.querySelector("[data-booking-facts]");
const policy = document.querySelector("[data-booking-policy]");
const actions = document.querySelector("[data-booking-actions]");
const cancelPanel = document.querySelector("[data-cancel-panel]");
const cancelQuote = document.querySelector("[data-cancel-quote]");
const cancelProblem = document.querySelector("[data-cancel-problem]");
const cancelConfirm = document.querySelector("[data-cancel-confirm]");
const reschedulePanel = document.querySelector("[data-reschedule-panel]");
const rescheduleStatus = document.querySelector("[data-reschedule-status]");
const rescheduleProblem = document.querySelector("[data-reschedule-problem]");
const rescheduleConfirm = document.querySelector("[data-reschedule-confirm]");

let booking = null;
let picked = null;
let picker = null; // the calendar of free times, loaded when a booking is first moved

async function slotPicker() {
  if (!picker) {
    const { SlotPicker } = await import("../bookings/slot-picker.js");
    picker = new SlotPicker(document.querySelector("[data-reschedule-picker]"), {
      onPick: (slot) => {
        picked = slot;
        rescheduleConfirm.disabled = !slot;
        rescheduleConfirm.textContent = slot && booking
          ? `Move to ${dateIn(slot.start, booking.zone, { weekday: "short" })}, ${timeIn(slot.start, booking.zone)}`
          : "Move the booking";
      },
      otherLabel: "Helper",
    });
  }
  return picker;
}

function otherName(found) {
  return found.role === "helper" ? (found.customer && found.customer.display_name) || "your customer"
    : (found.helper && found.helper.display_name) || "your Helper";
}

function say(message) {
  notice.textContent = message;
  notice.hidden = !message;
}

async function load() {
  failure.replaceChildren();
  let answer;
  try {
    answer = await (firstAnswer || api.booking(bookingId));
  } catch (error) {
    firstAnswer = null;
    status.textContent = "";
    if (!leaveIfSignedOut(error)) {
      failure.replaceChildren(loadFailure(error.status === 404
        ? { message: "No booking of yours has this address. Your appointments list has them all." } : error, load));
    }
    return;
  }
  firstAnswer = null;
  status.textContent = "";
  draw(answer.booking);
}

function fact(term, value, testId) {
  return [element("dt", {}, term), element("dd", testId ? { "data-testid": testId } : {}, value)];
}

function draw(found) {
  booking = found;
  const other = otherName(found);
  const asHelper = found.role === "helper";
  const otherZone = asHelper ? found.customer_zone : found.helper_zone;
  document.title = `${found.length} minutes with ${other} — interKanect`;
  // The page's heading and lede stay as served (the first paint is the page's largest); the
  // booking's own title heads its card.
  title.textContent = asHelper ? `${found.length} minutes: ${other} booked your time`
    : `${found.length} minutes with ${other}`;
  badge.textContent = stateText(found.state, found.role);
  badge.className = `state-badge booking-state-${found.state}`;
  const rows = [
    ...fact("When", `${spanIn(found.start, found.length, found.zone)} (your time, ${placeOf(found.zone)})`, "booking-when"),
    ...(otherZone && otherZone !== found.zone
      ? fact(`${asHelper ? "Their" : `${other}'s`} time`, `${timeIn(found.start, otherZone)} in ${placeOf(otherZone)}`,
        "booking-other-time") : []),
    ...fact("Length", `${found.length} minutes`),
    ...fact("Price", priceText(found.price_cents), "booking-price"),
    ...(found.note ? fact(asHelper ? "Their note" : "Your note", found.note, "booking-note") : []),
  ];
  if (found.state === "cancelled") {
    const refund = Number.isSafeInteger(found.refund_cents) ? found.refund_cents : 0;
    const kept = Number.isSafeInteger(found.kept_cents) ? found.kept_cents : 0;
    rows.push(...fact("Refund", found.price_cents
      ? `${formatCents(refund, { cents: true })} refunded${kept ? `; ${formatCents(kept, { cents: true })} kept as the late fee` : ""}`
      : "Nothing was paid", "booking-refund"));
  }
  facts.replaceChildren(...rows);
  policy.textContent = policyOf(found);
  drawActions(found);
  card.hidden = false;
}

function policyOf(found) {
  if (!found.price_cents) {
    return "This session is free: either of you may cancel or move it before it starts.";
  }
  const fee = found.fee_cents ? formatCents(found.fee_cents, { cents: true }) : null;
  const early = "Cancelled 24 hours or more before the start: the price is refunded (PayPal keeps its processing fee).";
  const late = fee ? ` Later, or without showing up: ${fee} is kept as the late fee and the rest refunded.`
    : " Later: the same refund (there is no late fee).";
  return `${early}${late} If the Helper cancels or declines, everything is refunded.`;
}

function button(label, attributes, onClick) {
  const made = element("button", { type: "button", class: "button button-secondary", ...attributes }, label);
  made.addEventListener("click", onClick);
  return made;
}

function drawActions(found) {
  const can = new Set(Array.isArray(found.actions) ? found.actions : []);
  const items = [];
  let joinNote = null;
  if (found.state === "requested" || found.state === "confirmed") {
    if (can.has("join") && found.role === "helper") {
      // The customer calls; the Helper answers on whichever page of ours they have open.
      joinNote = element("p", { class: "notice booking-join-helper", role: "note", "data-booking-join-note": "" },
        element("strong", {}, "The session can start now. "),
        `${otherName(found)}'s call will ring on any interKanect page you have open; answering starts the `
        + "session at once, on the booked terms. Keep a page open (this one will do).");
    } else if (can.has("join") && found.helper && found.helper.username) {
      const room = new URLSearchParams({ helper: found.helper.username, booking: found.booking_id });
      items.push(element("a", { class: "button button-go", href: `/call.html?${room}`,
        "data-booking-join": "" }, "Join"));
    } else {
      const join = element("button", { type: "button", class: "button button-go", disabled: "",
        "aria-describedby": "join-note", "data-booking-join": "" }, "Join");
      items.push(element("div", { class: "booking-join" }, join,
        element("p", { class: "field-hint", id: "join-note" }, "Join opens 5 minutes before the start.")));
    }
  }
  if (can.has("confirm")) {
    items.push(button("Confirm", { class: "button button-primary", "data-booking-confirm": "" }, () => act(
      () => api.confirmBooking(found.booking_id), "Confirmed: the customer has been told.")));
  }
  if (can.has("decline")) {
    items.push(button("Decline", { "data-booking-decline": "" }, () => openCancel("decline")));
  }
  if (can.has("reschedule")) {
    items.push(button("Reschedule", { "data-booking-reschedule": "", "aria-controls": "reschedule-title" },
      openReschedule));
  }
  if (can.has("cancel")) {
    items.push(button("Cancel booking", { "data-booking-cancel": "" }, () => openCancel("cancel")));
  }
  if (can.has("no_show")) {
    items.push(button("Mark no-show", { "data-booking-no-show": "" }, () => act(
      () => api.markNoShow(found.booking_id), "Marked as a no-show: the late fee is kept and the rest refunded.")));
  }
  const notes = [];
  if (found.role === "customer" && !can.has("reschedule") && (found.state === "confirmed" || found.state === "requested")
      && Date.parse(found.start) > Date.now()) {
    notes.push(element("p", { class: "notice notice-warning", "data-reschedule-closed": "" },
      "It is less than 24 hours to the start, so this booking can no longer be moved. You can still cancel"
      + `${found.fee_cents ? " (the late fee applies)" : ""}, or ask the Helper: they can move it until it starts.`));
  }
  if (found.state === "held" && found.role === "customer") {
    notes.push(finishPaying(found));
  }
  // The Helper's "it is time" note comes first: it says what to do now.
  const row = items.length ? [element("div", { class: "button-row" }, ...items)] : [];
  actions.replaceChildren(...(joinNote ? [joinNote] : []), ...row, ...notes);
}

/** A booking held while its payment waits: the way back to PayPal (the time is held 15 minutes). */
function finishPaying(found) {
  const box = element("div", { class: "notice notice-warning", "data-finish-paying": "" },
    element("p", {}, "This time is held for you while you pay. Finish paying at PayPal to book it."));
  api.payment(found.payment_id).then((payment) => {
    if (payment && payment.state === "created" && payment.approve_url) {
      const link = payPalLink(payment.approve_url, { label: `Pay ${priceText(found.price_cents)} with PayPal` });
      if (link) {
        box.append(link);
      }
    }
  }).catch(() => {});
  return box;
}

async function act(call, message) {
  for (const item of actions.querySelectorAll("button")) {
    item.disabled = true;
  }
  try {
    const answer = await call();
    say(message);
    draw(answer.booking);
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      say("");
      failure.replaceChildren(loadFailure(error, load));
      drawActions(booking);
    }
  }
}

/* ---- Cancelling: the quote first ------------------------------------------------------- */

let cancelling = "cancel";

async function openCancel(kind) {
  cancelling = kind;
  reschedulePanel.hidden = true;
  cancelPanel.hidden = false;
  cancelProblem.hidden = true;
  cancelConfirm.disabled = true;
  cancelConfirm.textContent = kind === "decline" ? "Decline the booking" : "Cancel the booking";
  cancelPanel.querySelector("h2").textContent = kind === "decline" ? "Decline this booking?" : "Cancel this booking?";
  cancelQuote.textContent = "Working out your refund…";
  let quote;
  try {
    quote = await api.cancelQuote(booking.booking_id);
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      cancelQuote.textContent = "";
      cancelProblem.textContent = error.message;
      cancelProblem.hidden = false;
    }
    return;
  }
  cancelQuote.textContent = quoteText(quote);
  cancelConfirm.disabled = false;
  cancelPanel.scrollIntoView({ block: "nearest" });
  cancelConfirm.focus();
}

function quoteText(quote) {
  const refund = formatCents(quote.refund_cents, { cents: true });
  const fee = formatCents(quote.fee_cents, { cents: true });
  if (!quote.paid_cents) {
    return "Nothing was paid, so nothing is refunded. The time is given back.";
  }
  if (booking.role === "helper") {
    return `${otherName(booking)} gets ${refund} back: everything they paid.`;
  }
  if (quote.fee_cents) {
    return `You will get ${refund} back; ${fee} is kept as the late fee (it is less than 24 hours to the start).`;
  }
  return `You will get ${refund} back.${quote.refund_cents < quote.paid_cents ? " PayPal keeps its processing fee." : ""}`;
}

cancelConfirm.addEventListener("click", async () => {
  cancelConfirm.disabled = true;
  cancelConfirm.textContent = "Cancelling…";
  try {
    const answer = await api.cancelBooking(booking.booking_id, {
      reason: document.getElementById("cancel-reason").value.trim(),
    });
    cancelPanel.hidden = true;
    say(cancelling === "decline" ? "Declined: the customer is refunded in full and has been told."
      : "Cancelled. The other person has been told, and the refund is on its way.");
    draw(answer.booking);
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      cancelProblem.textContent = error.message;
      cancelProblem.hidden = false;
      cancelConfirm.disabled = false;
      cancelConfirm.textContent = cancelling === "decline" ? "Decline the booking" : "Cancel the booking";
    }
  }
});

document.querySelector("[data-cancel-keep]").addEventListener("click", () => {
  cancelPanel.hidden = true;
  actions.querySelector("[data-booking-cancel], [data-booking-decline]")?.focus();
});

/* ---- Rescheduling: a new slot of the same length -------------------------------------- */

async function openReschedule() {
  cancelPanel.hidden = true;
  reschedulePanel.hidden = false;
  rescheduleProblem.hidden = true;
  rescheduleConfirm.disabled = true;
  rescheduleStatus.textContent = "Loading free times…";
  let answer;
  let picker;
  try {
    [answer, picker] = await Promise.all([
      api.slots(booking.helper.username, { length: booking.length, zone: booking.zone, days: 28 }), slotPicker()]);
  } catch (error) {
    rescheduleStatus.textContent = error.message;
    return;
  }
  rescheduleStatus.textContent = answer.slots.length ? "" : "No other free time in the coming weeks.";
  picker.otherLabel = booking.role === "helper" ? "Customer" : "Helper";
  picker.show({ slots: answer.slots.filter((slot) => slot.start !== booking.start), zone: answer.zone,
    helperZone: booking.role === "helper" ? booking.customer_zone : answer.helper.time_zone });
  reschedulePanel.scrollIntoView({ block: "nearest" });
}

rescheduleConfirm.addEventListener("click", async () => {
  if (!picked) {
    return;
  }
  rescheduleConfirm.disabled = true;
  rescheduleConfirm.textContent = "Moving…";
  try {
    const answer = await api.rescheduleBooking(booking.booking_id, { start: picked.start });
    reschedulePanel.hidden = true;
    say("Moved. The other person has been sent the new time with an updated calendar invitation.");
    draw(answer.booking);
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      rescheduleProblem.textContent = error.message;
      rescheduleProblem.hidden = false;
      rescheduleConfirm.disabled = false;
      rescheduleConfirm.textContent = "Move the booking";
    }
  }
});

document.querySelector("[data-reschedule-keep]").addEventListener("click", () => {
  reschedulePanel.hidden = true;
  actions.querySelector("[data-booking-reschedule]")?.focus();
});

// Paid from another tab (the link above opens PayPal in a window): show the booking as it is now.
listenForPayments((result) => {
  if (booking && result.payment_id === booking.payment_id) {
    load();
  }
});

if (!NAMES_A_BOOKING) {
  status.textContent = "";
  failure.replaceChildren(element("p", { class: "notice notice-error", role: "alert" },
    "This link names no booking. Your appointments list has them all."));
} else if (isSignedIn()) {
  load();
}
