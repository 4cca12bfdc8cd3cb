/** Appointments (`/appointments.html`): the signed-in person's bookings, upcoming (soonest first)
 * or past (latest first), a page at a time (`GET /me/bookings`); a Helper switches between the
 * sessions they booked and the bookings of their own time, and sets how people may book them
 * (js/bookings/rules-panel.js), and sees how many wait to hear when they are free (Notify me).
 * Each row opens its booking page. */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { formReady } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { PAGES, leaveIfSignedOut, pageUrl, queryParam, signInUrl } from "../paths.js";
import { dateIn, placeOf, priceText, stateText, timeIn } from "../bookings/booking-time.js";
import { RulesPanel } from "../bookings/rules-panel.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

const status = document.querySelector("[data-appointments-status]");
const failure = document.querySelector("[data-appointments-failure]");
const list = document.querySelector("[data-appointment-list]");
const empty = document.querySelector("[data-appointments-empty]");
const emptyText = document.querySelector("[data-appointments-empty-text]");
const more = document.querySelector("[data-appointments-more]");
const roleToggle = document.querySelector("[data-role-toggle]");

let role = queryParam("role") === "helper" ? "helper" : "customer";
let when = queryParam("when") === "past" ? "past" : "upcoming";
let cursor = null;
let generation = 0;

function press(selector, value) {
  for (const button of document.querySelectorAll(`[${selector}]`)) {
    button.setAttribute("aria-pressed", String(button.getAttribute(selector) === value));
  }
}

function row(booking) {
  const other = booking.role === "helper" ? (booking.customer && booking.customer.display_name) || "A customer"
    : (booking.helper && booking.helper.display_name) || "A Helper";
  const href = pageUrl(PAGES.booking, { id: booking.booking_id });
  return element("li", { class: "appointment", "data-testid": "appointment", "data-booking-id": booking.booking_id },
    element("div", { class: "appointment-when" },
      element("span", { class: "appointment-day" }, dateIn(booking.start, booking.zone, { weekday: "short" })),
      element("span", { class: "appointment-time" }, `${timeIn(booking.start, booking.zone)} ${placeOf(booking.zone)}`)),
    element("div", { class: "appointment-what" },
      element("a", { class: "appointment-link", href }, `${booking.length} minutes with ${other}`),
      element("span", { class: "appointment-meta" }, priceText(booking.price_cents))),
    element("span", { class: `state-badge booking-state-${booking.state}` }, stateText(booking.state, booking.role)));
}

async function load({ next = false } = {}) {
  const mine = ++generation;
  failure.replaceChildren();
  more.disabled = true;
  if (!next) {
    list.replaceChildren();
    empty.hidden = true;
    cursor = null;
    status.textContent = "Loading your appointments…";
  }
  let page;
  try {
    page = await api.myBookings({ role, when, cursor: next ? cursor : null });
  } catch (error) {
    if (mine !== generation) {
      return;
    }
    status.textContent = "";
    more.disabled = false;
    if (!leaveIfSignedOut(error)) {
      failure.replaceChildren(loadFailure(error, () => load({ next })));
    }
    return;
  }
  if (mine !== generation) {
    return;
  }
  cursor = page.next_cursor || null;
  list.append(...(page.bookings || []).map(row));
  status.textContent = "";
  empty.hidden = list.children.length > 0;
  emptyText.textContent = role === "helper"
    ? (when === "upcoming" ? "Nobody has booked your time yet. People book from your Helper page." : "No past bookings of your time.")
    : (when === "upcoming" ? "No upcoming sessions. Book a time from a Helper's page." : "No past sessions yet.");
  more.hidden = !cursor;
  more.disabled = false;
}

/** A Helper: how many people wait for an email when they are next online and free (Notify me
 * on their page); nothing at 0. */
async function showWaiting() {
  const note = document.querySelector("[data-waiting-note]");
  let count = 0;
  try {
    count = (await api.myWaiting()).count;
  } catch {
    return; // a nicety: the page works without it
  }
  if (!Number.isSafeInteger(count) || count <= 0) {
    note.hidden = true;
    return;
  }
  note.textContent = count === 1 ? "1 person is waiting to hear when you're free."
    : `${count} people are waiting to hear when you're free.`;
  note.hidden = false;
}

function remember() {
  const url = pageUrl(PAGES.appointments, { role: role === "helper" ? "helper" : null, when: when === "past" ? "past" : null });
  window.history.replaceState(null, "", url);
}

for (const button of document.querySelectorAll("[data-when]")) {
  button.addEventListener("click", () => {
    when = button.getAttribute("data-when");
    press("data-when", when);
    remember();
    load();
  });
}
for (const button of document.querySelectorAll("[data-role]")) {
  button.addEventListener("click", () => {
    role = button.getAttribute("data-role");
    press("data-role", role);
    remember();
    load();
  });
}
more.addEventListener("click", () => load({ next: true }));

mountFooter();
press("data-when", when);
press("data-role", role);
if (isSignedIn()) {
  load();
  mountHeader().then((user) => {
    if (user && user.is_helper) {
      roleToggle.hidden = false;
      const panel = new RulesPanel(document.querySelector("[data-rules-panel]"));
      formReady(panel.form); // its submit listener is attached: saving works from here on
      panel.load();
      showWaiting();
    } else if (role === "helper") {
      role = "customer";
      press("data-role", role);
      load();
    }
  }).catch(() => {});
} else {
  mountHeader();
}
