/** Notification settings (`/notification-settings.html`): for each category of notification
 * (`GET /me/notification-preferences`: calls, payments, refunds, reviews, bookings, orders,
 * events, alerts) whether it is emailed and whether it is pushed to the browsers where alerts
 * are on; saved with `PUT /me/notification-preferences`. Push reaches only browsers that have
 * alerts turned on: the panel above turns them on in this one (js/push.js's own flow). */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { clearErrors, formReady, setBusy, showError } from "../forms.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";
import { mountCallAlerts } from "../push.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const form = document.querySelector("[data-preferences-form]");
const rows = form.querySelector("[data-preference-rows]");
const loading = form.querySelector("[data-preferences-loading]");
const failure = form.querySelector("[data-preferences-failure]");
const saved = form.querySelector("[data-preferences-status]");
let categories = [];

mountCallAlerts(document.querySelector("[data-call-alerts]"), {
  on: "Turn off alerts in this browser",
  off: "Turn on alerts in this browser",
  isOn: "Alerts are on in this browser: the kinds with Push on below show here.",
  isOff: "Alerts are off in this browser.",
  turningOn: "Turning alerts on…",
  turningOff: "Turning alerts off…",
  unsupported: "This browser cannot show alerts when no interKanect tab is open; you still get the emails you "
    + "choose below, and every notification is on your Notifications page.",
});

function toggle(category, channel, label, checked) {
  const id = `pref-${category}-${channel}`;
  const input = element("input", { type: "checkbox", id, name: `${category}.${channel}`, "data-channel": channel });
  input.checked = Boolean(checked);
  return element("label", { class: "preference-toggle", for: id }, input, element("span", {}, label));
}

function row(entry) {
  const category = String(entry.category);
  const titleId = `pref-${category}-title`;
  return element("fieldset", {
    class: "preference-row", "data-preference": category, "aria-describedby": `${titleId}-text`,
  },
    element("legend", { id: titleId }, String(entry.label || category)),
    element("p", { class: "field-hint", id: `${titleId}-text` }, String(entry.description || "")),
    element("div", { class: "preference-toggles" },
      toggle(category, "email", "Email", entry.email),
      toggle(category, "push", "Push", entry.push)));
}

function show(answer) {
  categories = answer.categories.map((entry) => String(entry.category));
  rows.replaceChildren(...answer.categories.map(row));
}

function chosen() {
  const choice = {};
  for (const category of categories) {
    const field = (channel) => form.elements.namedItem(`${category}.${channel}`);
    choice[category] = { email: Boolean(field("email")?.checked), push: Boolean(field("push")?.checked) };
  }
  return choice;
}

async function load() {
  failure.replaceChildren();
  loading.hidden = false;
  try {
    show(await api.notificationPreferences());
    loading.hidden = true;
    form.setAttribute("data-preferences-ready", "");
  } catch (error) {
    if (leaveIfSignedOut(error)) {
      return;
    }
    loading.hidden = true;
    failure.replaceChildren(loadFailure(error, load));
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!categories.length) {
    return;
  }
  clearErrors(form);
  saved.textContent = "";
  setBusy(form, true);
  try {
    show(await api.saveNotificationPreferences(chosen()));
    saved.textContent = "Saved.";
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      showError(form, error);
    }
  }
  setBusy(form, false);
});
form.addEventListener("change", () => {
  saved.textContent = "";
});
formReady(form);
load();
