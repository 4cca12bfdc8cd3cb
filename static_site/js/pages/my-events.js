/** A Helper's events (`/my-events.html`): announce one (or save a draft) with its times on the
 * Helper's own clock, edit it, cancel it (every ticket refunded in full), and see who is going,
 * held, waiting or left, with the list as CSV. */

import { api, isSignedIn } from "../api.js";
import { element, saveFile } from "../dom.js";
import { clearErrors, formReady, requireFields, setBusy, showError, valueOf } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { dollarsToCents, formatCents } from "../money.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const statusLine = document.querySelector("[data-events-status]");
const failureSlot = document.querySelector("[data-events-failure]");
const notHelper = document.querySelector("[data-not-helper]");
const view = document.querySelector("[data-events-view]");
const form = document.querySelector("[data-event-form]");
const formTitle = form.querySelector("[data-form-title]");
const submit = form.querySelector("[data-submit]");
const newEvent = form.querySelector("[data-new-event]");
const draft = form.querySelector("[data-draft]");
const list = document.querySelector("[data-my-events]");
const empty = document.querySelector("[data-events-empty]");
const notice = document.querySelector("[data-events-notice]");
const attendeesPanel = document.querySelector("[data-attendees]");
const attendeesTitle = document.querySelector("[data-attendees-title]");
const attendeeRows = document.querySelector("[data-attendee-rows]");
const downloadCsv = document.querySelector("[data-download-csv]");

let editing = null; // the event being edited, or null for a new one
let shownAttendees = null; // the event whose attendees are shown

const PLACES = { going: "Going", offered: "Held (paying)", waiting: "Waiting", left: "Left" };

/** "2026-12-08T18:30:00+01:00" → "2026-12-08T18:30", what a datetime-local input holds. */
function wallClock(localIso) {
  return String(localIso || "").slice(0, 16);
}

function say(text) {
  notice.hidden = !text;
  notice.textContent = text || "";
}

function fillForm(event) {
  editing = event;
  form.reset();
  clearErrors(form);
  formTitle.textContent = event ? "Edit event" : "New event";
  submit.textContent = event ? "Save changes" : "Announce event";
  delete submit.dataset.idleLabel;
  newEvent.hidden = !event;
  draft.closest("label").hidden = Boolean(event && event.state !== "draft");
  if (!event) {
    return;
  }
  form.elements.title.value = event.title;
  form.elements.description.value = event.description;
  form.elements.starts_at.value = wallClock(event.helper_local_start);
  form.elements.ends_at.value = wallClock(event.helper_local_end);
  form.elements.where.value = event.where;
  form.elements.location.value = event.location || "";
  form.elements.capacity.value = String(event.capacity);
  form.elements.price.value = (event.price_cents / 100).toFixed(2);
  draft.checked = event.state === "draft";
  form.elements.title.focus();
}

function eventItem(event) {
  const when = new Date(event.starts_at);
  const meta = element("p", { class: "my-event-meta" },
    element("span", {}, when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })),
    element("span", { class: "event-pill" }, event.price_cents ? formatCents(event.price_cents) : "Free"),
    element("span", { class: "event-pill", "data-testid": "my-event-places" },
      `${event.taken}/${event.capacity} going${event.waiting ? ` · ${event.waiting} waiting` : ""}`),
    element("span", { class: `event-pill${event.state === "cancelled" ? " event-pill-cancelled" : ""}` },
      event.state === "announced" ? "Announced" : event.state === "draft" ? "Draft" : "Cancelled"));
  if (event.hidden_note) { // ops hid it after a report: say so, and why (plain text)
    meta.append(element("span", { class: "event-pill event-pill-cancelled", "data-testid": "my-event-hidden" },
      "Hidden by our team"));
  }
  const actions = element("div", { class: "my-event-actions" });
  if (event.state !== "draft" && event.url) {
    actions.append(element("a", { class: "button button-secondary button-small", href: event.url }, "Open page"));
  }
  const attendees = element("button", { type: "button", class: "button button-secondary button-small" },
    "Attendees");
  attendees.addEventListener("click", () => showAttendees(event));
  actions.append(attendees);
  if (event.state !== "cancelled") {
    const edit = element("button", { type: "button", class: "button button-secondary button-small" }, "Edit");
    edit.addEventListener("click", () => fillForm(event));
    const cancel = element("button", { type: "button", class: "button button-danger button-small" }, "Cancel event");
    cancel.addEventListener("click", () => cancelEvent(event, cancel));
    actions.append(edit, cancel);
  }
  const hidden = event.hidden_note
    ? [element("p", { class: "field-hint", "data-testid": "my-event-hidden-note" },
      `Our team hid this event after a report; visitors no longer see it. Why: ${event.hidden_note}`)]
    : [];
  return element("li", { class: "my-event", "data-event-id": event.event_id },
    element("h3", { class: "my-event-title" }, event.title), meta, ...hidden, actions);
}

async function cancelEvent(event, button) {
  const paid = event.price_cents > 0 && event.taken > 0;
  const question = paid
    ? `Cancel "${event.title}"? Every ticket is refunded in full and everyone is told.`
    : `Cancel "${event.title}"? Everyone with a place is told.`;
  if (!window.confirm(question)) {
    return;
  }
  button.disabled = true;
  try {
    await api.cancelEvent(event.event_id);
    say(`"${event.title}" is cancelled${paid ? "; the tickets are being refunded" : ""}.`);
    await load();
  } catch (error) {
    button.disabled = false;
    say(error.message);
  }
}

async function showAttendees(event) {
  shownAttendees = event;
  attendeesPanel.hidden = false;
  attendeesTitle.textContent = `Attendees: ${event.title}`;
  attendeeRows.replaceChildren(element("tr", {}, element("td", { colspan: "5" }, "Loading…")));
  try {
    const { attendees } = await api.eventAttendees(event.event_id);
    attendeeRows.replaceChildren(...(attendees.length ? attendees.map((row) => element("tr", {},
      element("td", {}, row.name || "—"), element("td", {}, row.email || "—"),
      element("td", {}, PLACES[row.place] || row.place),
      element("td", {}, new Date(row.joined_at).toLocaleString()),
      element("td", {}, row.paid_cents ? formatCents(row.paid_cents, { cents: true }) : "—")))
      : [element("tr", {}, element("td", { colspan: "5" }, "Nobody yet."))]));
    attendeesPanel.scrollIntoView({ block: "start" });
  } catch (error) {
    attendeeRows.replaceChildren(element("tr", {}, element("td", { colspan: "5" }, error.message)));
  }
}

downloadCsv.addEventListener("click", async () => {
  if (!shownAttendees) {
    return;
  }
  downloadCsv.disabled = true;
  try {
    const { blob, filename } = await api.eventAttendeesCsv(shownAttendees.event_id);
    saveFile(blob, filename || "attendees.csv");
  } catch (error) {
    say(error.message);
  } finally {
    downloadCsv.disabled = false;
  }
});

newEvent.addEventListener("click", () => fillForm(null));

form.addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  clearErrors(form);
  if (!requireFields(form, {
    title: "Give the event a title.", starts_at: "When does it start?", ends_at: "When does it end?",
    location: "Give the link or the address.", capacity: "How many people can come?",
  })) {
    return;
  }
  const price = dollarsToCents(valueOf(form, "price") || "0");
  const body = {
    title: valueOf(form, "title"), description: valueOf(form, "description", { trim: false }),
    starts_at: valueOf(form, "starts_at"), ends_at: valueOf(form, "ends_at"), where: valueOf(form, "where"),
    location: valueOf(form, "location"), capacity: Number.parseInt(valueOf(form, "capacity"), 10),
    price_cents: Number.isSafeInteger(price) ? price : -1,
  };
  if (!editing || editing.state === "draft") {
    body.state = draft.checked ? "draft" : "announced";
  }
  setBusy(form, true);
  try {
    const { event } = editing ? await api.saveEvent(editing.event_id, body) : await api.createEvent(body);
    setBusy(form, false);
    say(editing ? `"${event.title}" is saved.` : `"${event.title}" is ${event.state === "draft" ? "saved as a draft"
      : "announced"}.`);
    fillForm(null);
    await load();
  } catch (error) {
    setBusy(form, false);
    if (!leaveIfSignedOut(error)) {
      showError(form, error);
    }
  }
});

async function load() {
  failureSlot.replaceChildren();
  try {
    const page = await api.myPage();
    if (!page) {
      statusLine.textContent = "";
      notHelper.hidden = false;
      return;
    }
    const zone = document.querySelector("[data-my-zone]");
    if (zone) {
      zone.textContent = page.time_zone || "UTC";
    }
    const { events } = await api.myEvents();
    statusLine.textContent = "";
    view.hidden = false;
    formReady(form);
    list.replaceChildren(...events.map(eventItem));
    empty.hidden = events.length > 0;
  } catch (error) {
    statusLine.textContent = "";
    if (!leaveIfSignedOut(error)) {
      failureSlot.replaceChildren(loadFailure(error, load));
    }
  }
}

load();
