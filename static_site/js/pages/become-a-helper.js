/** Become a helper / My page: create and edit the Helper page (text, languages, time zone,
 * prices, weekly hours, links), its photo, its categories and the username in its address. */

import { api, isSignedIn } from "../api.js";
import { bySlug, groupCategories } from "../category-tree.js";
import { element } from "../dom.js";
import {
  clearErrors, problemsOf, requireFields, setBusy, showError, showFieldError, valueOf,
} from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { avatar, helperPagePath, safeHref } from "../helper-card.js";
import { loadFailure } from "../load-failure.js";
import { SESSION_LENGTHS, centsToInput, dollarsToCents } from "../money.js";
import { categoryUrl, leaveIfSignedOut, queryParam, signInUrl } from "../paths.js";

const MAX_CATEGORIES = 10;
const MAX_LINKS = 8;
const MAX_SCHEDULE_ROWS = 42;
const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const COMMON_LANGUAGES = ["en", "es", "fr", "de", "pt", "pt-BR", "it", "nl", "pl", "ru", "uk",
  "tr", "ar", "hi", "zh", "ja", "ko"];
const MORE_LANGUAGES = ["af", "am", "bg", "bn", "ca", "cs", "cy", "da", "el", "en-GB", "es-MX",
  "et", "eu", "fa", "fi", "fil", "fr-CA", "ga", "gl", "gu", "he", "hr", "hu", "hy", "id", "is",
  "ka", "kk", "km", "kn", "lo", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "my", "ne", "no", "pa",
  "ro", "sk", "sl", "sq", "sr", "sv", "sw", "ta", "te", "th", "ur", "uz", "vi", "yo",
  "zh-TW", "zu"];

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountFooter();

const statusLine = document.querySelector("[data-editor-status]");
const failureSlot = document.querySelector("[data-editor-failure]");
const notice = document.querySelector("[data-editor-notice]");
const joinPending = document.querySelector("[data-join-pending]");
const editor = document.querySelector("[data-editor]");
const title = document.querySelector("[data-editor-title]");
const intro = document.querySelector("[data-editor-intro]");
const form = document.querySelector("[data-page-form]");
const saveButton = form.querySelector("[data-save]");
const unsaved = form.querySelector("[data-unsaved]");

let user = null;
let page = null; // the saved page, or null before it is created
let categories = []; // every category, once loaded
let dirty = false;
let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

function showNotice(message) {
  notice.textContent = message;
  notice.hidden = !message;
}

function siteAddress(path) {
  return new URL(path, window.location.origin).href;
}

/* ---- Languages ------------------------------------------------------------------------- */

const languageNames = (() => {
  try {
    return new Intl.DisplayNames([...navigator.languages, "en"], { type: "language" });
  } catch {
    return null;
  }
})();

function languageName(code) {
  try {
    const name = languageNames && languageNames.of(code);
    return name && name !== code ? name : code;
  } catch {
    return code;
  }
}

const languageOptions = form.querySelector("[data-language-options]");
const moreLanguages = form.querySelector("[data-more-languages]");

function languageChip(code, checked) {
  const id = nextId("language");
  const input = element("input", { type: "checkbox", id, name: "languages", value: code });
  input.checked = checked;
  return element("label", { class: "chip-check", for: id }, input,
    element("span", {}, languageName(code)));
}

function languageBoxes() {
  return [...languageOptions.querySelectorAll('input[name="languages"]')];
}

function renderLanguages(selected) {
  const codes = [...COMMON_LANGUAGES];
  for (const code of selected) {
    if (!codes.includes(code)) {
      codes.push(code);
    }
  }
  languageOptions.replaceChildren(
    ...codes.map((code) => languageChip(code, selected.includes(code))));
}

function addLanguage(code) {
  const existing = languageBoxes().find((box) => box.value === code);
  if (existing) {
    existing.checked = true;
    existing.focus();
    return;
  }
  const chip = languageChip(code, true);
  languageOptions.append(chip);
  chip.querySelector("input").focus();
}

moreLanguages.append(...MORE_LANGUAGES
  .map((code) => [code, languageName(code)])
  .sort((a, b) => a[1].localeCompare(b[1]))
  .map(([code, name]) => element("option", { value: code }, name)));
moreLanguages.addEventListener("change", () => {
  if (moreLanguages.value) {
    addLanguage(moreLanguages.value);
    moreLanguages.value = "";
    markDirty();
  }
});

/* ---- Time zone ------------------------------------------------------------------------- */

const timeZoneSelect = form.elements.namedItem("time_zone");
const timeZoneHint = form.querySelector("[data-time-zone-hint]");
const browserTimeZone = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
})();

function timeZones() {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = [];
  }
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

function renderTimeZones(selected) {
  const zones = timeZones();
  if (selected && !zones.includes(selected)) {
    zones.unshift(selected); // an alias the browser does not list, such as Etc/UTC
  }
  const groups = new Map();
  for (const zone of zones) {
    const region = zone.includes("/") ? zone.split("/")[0] : "Other";
    if (!groups.has(region)) {
      groups.set(region, []);
    }
    groups.get(region).push(zone);
  }
  timeZoneSelect.replaceChildren(...[...groups].map(([region, members]) => element("optgroup",
    { label: region }, ...members.map((zone) => element("option", { value: zone },
      zone.replaceAll("_", " ").replaceAll("/", " / "))))));
  timeZoneSelect.value = selected;
  showTimeThere();
}

function showTimeThere() {
  const zone = timeZoneSelect.value;
  try {
    const now = new Intl.DateTimeFormat(undefined, {
      timeZone: zone, weekday: "long", hour: "numeric", minute: "2-digit",
    }).format(new Date());
    timeZoneHint.textContent = `It is ${now} there now. Your weekly hours are in this time zone;`
      + " visitors see them in their own.";
  } catch {
    timeZoneHint.textContent = "Your weekly hours are in this time zone; visitors see them "
      + "in their own.";
  }
}
timeZoneSelect.addEventListener("change", showTimeThere);

/* ---- Prices ---------------------------------------------------------------------------- */

const priceRows = form.querySelector("[data-price-rows]");

function priceRow(minutes) {
  const modeId = `price-mode-${minutes}`;
  const amountId = `price-${minutes}`;
  const errorId = `price-${minutes}-error`;
  const mode = element("select", { id: modeId, "data-price-mode": String(minutes),
    "aria-describedby": errorId },
  element("option", { value: "off" }, "Not offered"),
  element("option", { value: "free" }, "Free"),
  element("option", { value: "paid" }, "Set a price"));
  const amount = element("input", {
    id: amountId, name: `prices.${minutes}`, type: "text", inputmode: "decimal",
    autocomplete: "off", placeholder: "25.00", maxlength: "10", "aria-describedby": errorId,
  });
  const amountWrap = element("div", { class: "money-input", hidden: "" },
    element("label", { class: "visually-hidden", for: amountId },
      `Price for ${minutes} minutes, in dollars`),
    element("span", { class: "money-sign", "aria-hidden": "true" }, "$"), amount);
  mode.addEventListener("change", () => {
    amountWrap.hidden = mode.value !== "paid";
    if (mode.value === "paid") {
      amount.focus();
    }
  });
  return element("div", { class: "price-row", "data-price-row": String(minutes) },
    element("label", { class: "price-length", for: modeId }, `${minutes} minutes`),
    mode, amountWrap,
    element("p", { class: "field-error", id: errorId, "data-error-for": `prices.${minutes}` }));
}

priceRows.replaceChildren(...SESSION_LENGTHS.map(priceRow));

function setPrices(prices) {
  for (const minutes of SESSION_LENGTHS) {
    const row = priceRows.querySelector(`[data-price-row="${minutes}"]`);
    const mode = row.querySelector("select");
    const amount = row.querySelector("input");
    const value = (prices || {})[String(minutes)];
    mode.value = value === 0 ? "free" : Number.isSafeInteger(value) && value > 0 ? "paid" : "off";
    amount.value = mode.value === "paid" ? centsToInput(value) : "";
    amount.closest(".money-input").hidden = mode.value !== "paid";
  }
}

/** `{prices}` or `{error: {field, message}}` when an amount cannot be read. */
function readPrices() {
  const prices = {};
  for (const minutes of SESSION_LENGTHS) {
    const row = priceRows.querySelector(`[data-price-row="${minutes}"]`);
    const mode = row.querySelector("select").value;
    if (mode === "off") {
      prices[String(minutes)] = null;
    } else if (mode === "free") {
      prices[String(minutes)] = 0;
    } else {
      const cents = dollarsToCents(row.querySelector("input").value);
      if (cents === null) {
        return { error: { field: `prices.${minutes}`,
          message: "Enter a price in dollars, like 25 or 24.50 (or choose Free)." } };
      }
      prices[String(minutes)] = cents;
    }
  }
  return { prices };
}

/* ---- Rows: weekly hours and links -------------------------------------------------------- */

const scheduleRows = form.querySelector("[data-schedule-rows]");
const scheduleEmpty = form.querySelector("[data-schedule-empty]");
const scheduleHead = form.querySelector("[data-schedule-head]");
const addSchedule = form.querySelector("[data-add-schedule]");
const linkRows = form.querySelector("[data-link-rows]");
const linksHead = form.querySelector("[data-links-head]");
const addLink = form.querySelector("[data-add-link]");

function labelled(labelText, control) {
  const id = nextId("field");
  control.id = id;
  // Hidden behind the column heads on wide screens; shown above each control on phones.
  return [element("label", { class: "row-label", for: id }, labelText), control];
}

function removeButton(what, onRemove) {
  const button = element("button", { type: "button", class: "button button-ghost row-remove" },
    element("span", { "aria-hidden": "true" }, "×"),
    element("span", { class: "visually-hidden" }, `Remove ${what}`));
  button.addEventListener("click", onRemove);
  return button;
}

function rowError(row) {
  return row.querySelector("[data-row-error]");
}

function refreshRows() {
  const scheduleCount = scheduleRows.children.length;
  scheduleEmpty.hidden = scheduleCount > 0;
  scheduleHead.hidden = scheduleCount === 0;
  addSchedule.disabled = scheduleCount >= MAX_SCHEDULE_ROWS;
  [...scheduleRows.children].forEach((row, index) => {
    row.querySelector(".row-remove .visually-hidden").textContent = `Remove hours ${index + 1}`;
  });
  const linkCount = linkRows.children.length;
  linksHead.hidden = linkCount === 0;
  addLink.disabled = linkCount >= MAX_LINKS;
  [...linkRows.children].forEach((row, index) => {
    row.querySelector(".row-remove .visually-hidden").textContent = `Remove link ${index + 1}`;
  });
}

/** Removes a row and puts focus somewhere sensible: the next row, else the add button. */
function removeRow(row, fallback) {
  const next = row.nextElementSibling || row.previousElementSibling;
  row.remove();
  refreshRows();
  markDirty();
  (next ? next.querySelector("select, input") : fallback).focus();
}

function scheduleRow(slot = { day: 0, start: "09:00", end: "17:00" }) {
  const errorId = nextId("row-error");
  const day = element("select", { "data-field": "day", "aria-describedby": errorId },
    ...DAYS.map((name, index) => element("option", { value: String(index) }, name)));
  day.value = String(slot.day);
  const start = element("input", { type: "time", "data-field": "start", required: "",
    "aria-describedby": errorId });
  start.value = slot.start || "";
  const end = element("input", { type: "time", "data-field": "end", required: "",
    "aria-describedby": errorId });
  end.value = slot.end === "24:00" ? "00:00" : slot.end || "";
  const row = element("div", { class: "schedule-row schedule-grid", "data-schedule-row": "" },
    element("div", { class: "row-cell" }, ...labelled("Day", day)),
    element("div", { class: "row-cell" }, ...labelled("From", start)),
    element("div", { class: "row-cell" }, ...labelled("To", end)),
    removeButton("hours", () => removeRow(row, addSchedule)),
    element("p", { class: "field-error row-error", id: errorId, "data-row-error": "",
      "data-error-for": errorId }));
  return row;
}

function linkRow(link = { label: "", url: "" }) {
  const errorId = nextId("row-error");
  const label = element("input", { type: "text", "data-field": "label", maxlength: "60",
    placeholder: "My website", "aria-describedby": errorId });
  label.value = link.label || "";
  const url = element("input", { type: "url", "data-field": "url", maxlength: "500",
    placeholder: "https://", inputmode: "url", "aria-describedby": errorId });
  url.value = link.url || "";
  const row = element("div", { class: "link-row links-grid", "data-link-row": "" },
    element("div", { class: "row-cell" }, ...labelled("Link label", label)),
    element("div", { class: "row-cell" }, ...labelled("Link address", url)),
    removeButton("link", () => removeRow(row, addLink)),
    element("p", { class: "field-error row-error", id: errorId, "data-row-error": "",
      "data-error-for": errorId }));
  return row;
}

addSchedule.addEventListener("click", () => {
  const last = scheduleRows.lastElementChild;
  // A new row continues from the last one: the next day, same hours.
  const slot = last ? {
    day: (Number(last.querySelector('[data-field="day"]').value) + 1) % 7,
    start: last.querySelector('[data-field="start"]').value || "09:00",
    end: last.querySelector('[data-field="end"]').value || "17:00",
  } : undefined;
  const row = scheduleRow(slot);
  scheduleRows.append(row);
  refreshRows();
  markDirty();
  row.querySelector("select").focus();
});

addLink.addEventListener("click", () => {
  const row = linkRow();
  linkRows.append(row);
  refreshRows();
  markDirty();
  row.querySelector("input").focus();
});

function readSchedule() {
  const slots = [];
  for (const [index, row] of [...scheduleRows.children].entries()) {
    const start = row.querySelector('[data-field="start"]').value;
    const end = row.querySelector('[data-field="end"]').value;
    if (!start || !end) {
      return {
        error: { field: `schedule.${index}`, message: "Enter both times, like 09:00 and 17:00." },
      };
    }
    slots.push({
      day: Number(row.querySelector('[data-field="day"]').value),
      start,
      end: end === "00:00" ? "24:00" : end, // 00:00 as an end means midnight
    });
  }
  return { schedule: slots };
}

function readLinks() {
  return [...linkRows.children]
    .map((row) => ({
      label: row.querySelector('[data-field="label"]').value.trim(),
      url: row.querySelector('[data-field="url"]').value.trim(),
    }))
    .filter((link) => link.label || link.url);
}

/* ---- The page form --------------------------------------------------------------------- */

function markDirty() {
  dirty = true;
  unsaved.hidden = false;
}

function updateCounters() {
  for (const counter of form.querySelectorAll("[data-counter-for]")) {
    const input = form.elements.namedItem(counter.getAttribute("data-counter-for"));
    counter.textContent = `${input.value.length} / ${input.maxLength}`;
  }
}

form.addEventListener("input", (event) => {
  markDirty();
  const target = event.target;
  if (target.hasAttribute && target.hasAttribute("data-counted")) {
    updateCounters();
  }
  // Editing a field clears its error.
  if (target instanceof HTMLElement && target.getAttribute("aria-invalid")) {
    target.removeAttribute("aria-invalid");
    const describedBy = (target.getAttribute("aria-describedby") || "").split(/\s+/);
    for (const id of describedBy) {
      const slot = document.getElementById(id);
      if (slot && slot.classList.contains("field-error")) {
        slot.textContent = "";
      }
    }
  }
});
form.addEventListener("change", markDirty);

function fillForm(source) {
  const values = source || {};
  form.elements.namedItem("headline").value = values.headline || "";
  form.elements.namedItem("offer").value = values.offer || "";
  form.elements.namedItem("qualifications").value = values.qualifications || "";
  renderLanguages(values.languages || []);
  renderTimeZones(values.time_zone || browserTimeZone);
  setPrices(values.prices || {});
  scheduleRows.replaceChildren(...(values.schedule || []).map(scheduleRow));
  linkRows.replaceChildren(...(values.links || []).map(linkRow));
  refreshRows();
  updateCounters();
  dirty = false;
  unsaved.hidden = true;
}

/** Puts a server or client error beside what it is about, every bad field at once (the first
 * focused): dotted fields name a price, a row of weekly hours (`schedule.2`, `schedule.2.day`)
 * or a link (`links.0.url`). */
function showPageError(error) {
  const problems = problemsOf(error);
  let marked = 0;
  for (const problem of problems) {
    marked += markPageProblem(problem, marked === 0) ? 1 : 0;
  }
  const first = (problems[0] && problems[0].message) || "Something went wrong. Please try again.";
  showFormAlert("Your page was not saved. " + (marked > 1 ? "Check the highlighted fields."
    : marked ? "Check the highlighted field." : first));
}

/** Marks one bad field; true when it found where to (and focused it if `focus`). */
function markPageProblem(problem, focus) {
  const message = (problem && problem.message) || "Something went wrong. Please try again.";
  const field = (problem && problem.field) || "";
  const [head, index, part] = field.split(".");
  const rows = head === "schedule" ? scheduleRows : head === "links" ? linkRows : null;
  if (rows && /^\d+$/.test(index || "")) {
    const row = rows.children[Number(index)];
    if (row) {
      rowError(row).textContent = message;
      const controls = [...row.querySelectorAll("[data-field]")];
      const named = controls.filter((c) => c.getAttribute("data-field") === part);
      for (const control of named.length ? named : controls) {
        control.setAttribute("aria-invalid", "true");
      }
      if (focus) {
        (named[0] || controls[0]).focus();
      }
      return true;
    }
  }
  if (head === "languages" || field === "prices" || field === "schedule" || field === "links") {
    const slot = form.querySelector(`[data-error-for="${head}"]`);
    slot.textContent = message;
    const control = slot.closest("fieldset").querySelector("input, select, button");
    if (control && focus) {
      control.focus();
    }
    return true;
  }
  return Boolean(field) && showFieldError(form, field, message, { focus });
}

function showFormAlert(message) {
  form.querySelector("[data-form-alert]").textContent = message;
}

function readForm() {
  const prices = readPrices();
  if (prices.error) {
    return prices;
  }
  const schedule = readSchedule();
  if (schedule.error) {
    return schedule;
  }
  return {
    page: {
      headline: valueOf(form, "headline"),
      offer: valueOf(form, "offer"),
      qualifications: valueOf(form, "qualifications"),
      languages: languageBoxes().filter((box) => box.checked).map((box) => box.value),
      time_zone: timeZoneSelect.value,
      prices: prices.prices,
      schedule: schedule.schedule,
      links: readLinks(),
    },
  };
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  showNotice("");
  if (!requireFields(form, {
    headline: "Write a headline: one line about what you help with.",
    offer: "Describe what you offer.",
  })) {
    showFormAlert("Your page was not saved. Check the highlighted field.");
    return;
  }
  const read = readForm();
  if (read.error) {
    showPageError(read.error);
    return;
  }
  const creating = !page;
  setBusy(form, true);
  try {
    const saved = await api.saveMyPage(read.page);
    setBusy(form, false);
    showPage(saved);
    if (creating) {
      await joinRequestedCategory();
    }
    const address = siteAddress(safeHref(saved.page_url, helperPagePath(saved.username)));
    showNotice(creating ? `Your page is live at ${address}.` : "Your changes are saved.");
    notice.scrollIntoView({ block: "nearest" });
  } catch (error) {
    setBusy(form, false);
    showPageError(error);
  }
});

/* ---- Page address ---------------------------------------------------------------------- */

const addressPanel = document.querySelector("[data-page-address]");
const pageUrlField = document.querySelector("[data-page-url]");
const viewPage = document.querySelector("[data-view-page]");
const copyButton = document.querySelector("[data-copy-url]");
const copyStatus = document.querySelector("[data-copy-status]");

function showAddress(username, pageUrl) {
  const path = safeHref(pageUrl, helperPagePath(username));
  pageUrlField.value = siteAddress(path);
  viewPage.href = path;
  addressPanel.hidden = false;
  usernameField.value = username;
  usernamePreview.textContent = username;
}

copyButton.addEventListener("click", async () => {
  copyStatus.textContent = "";
  try {
    await navigator.clipboard.writeText(pageUrlField.value);
    copyStatus.textContent = "Link copied.";
  } catch {
    pageUrlField.select(); // clipboard blocked: leave it selected for Ctrl+C / ⌘C
    copyStatus.textContent = "Press Ctrl+C (⌘C on a Mac) to copy the selected link.";
  }
});

/** Shows a saved page everywhere on this screen. */
function showPage(saved) {
  page = saved;
  title.textContent = "My page";
  intro.textContent = "Keep your page up to date: what you offer, your prices and your hours.";
  saveButton.dataset.idleLabel = "Save changes";
  saveButton.textContent = "Save changes";
  document.title = "My page — interKanect";
  fillForm(saved);
  showAddress(saved.username, saved.page_url);
  showAvatar();
  renderCategoryChoices();
  showGettingPaid();
  showChecklist();
}

/* ---- Set-up checklist ------------------------------------------------------------------ */

const checklist = document.querySelector("[data-setup-checklist]");
const checklistItems = document.querySelector("[data-checklist-items]");
const paidHidden = document.querySelector("[data-paid-hidden]");

/** What is left before the page works for the Helper: the page, a category to be found in, the
 * storefront payouts need (paid prices stay hidden from visitors without it) and a photo. */
function showChecklist() {
  if (!page) {
    checklist.hidden = true;
    return;
  }
  const steps = [
    { done: true, label: "Create your page", href: null },
    { done: (page.categories || []).length > 0, label: "Join a category so people can find you", href: "#categories" },
    { done: Boolean(page.payouts_ready), label: "Set up your storefront to be paid", href: "/payments.html#getting-paid" },
    { done: Boolean(page.avatar_url), label: "Add a photo of yourself", href: "#photo" },
  ];
  const paidPrices = Object.values(page.prices || {}).some((cents) => Number(cents) > 0);
  paidHidden.hidden = !(paidPrices && !page.payouts_ready);
  checklistItems.replaceChildren(...steps.map(({ done, label, href }) => element("li", {
    class: "checklist-item", "data-done": String(done),
  },
  element("span", { class: "visually-hidden" }, done ? "Done: " : "To do: "),
  done || !href ? label : element("a", { href }, label))));
  checklist.hidden = steps.every(({ done }) => done) && paidHidden.hidden;
}

/* ---- Getting paid ---------------------------------------------------------------------- */

const gettingPaid = document.querySelector("[data-getting-paid]");

const gettingPaidSummary = document.querySelector("[data-getting-paid-summary]");

/** Where the Helper's earnings go, and their plan; both are edited on the Payments page. */
async function showGettingPaid() {
  gettingPaid.hidden = false;
  try {
    const [storefront, plan] = await Promise.all([api.myStorefront(), api.myPlan()]);
    const planWords = plan.plan === "upgraded" ? "You are on the upgraded plan." : "You are on the free plan.";
    gettingPaidSummary.textContent = storefront
      ? `Your earnings are paid out to ${storefront.paypal_email}. ${planWords}`
      : "Paid sessions need your storefront: the PayPal email your earnings are paid out to. "
        + `Without it you can still agree on free sessions. ${planWords}`;
  } catch {
    // The panel's own words and link stay; the Payments page says what went wrong.
  }
}

/* ---- Photo ----------------------------------------------------------------------------- */

const avatarPreview = document.querySelector("[data-avatar-preview]");
const avatarLocked = document.querySelector("[data-avatar-locked]");
const avatarControls = document.querySelector("[data-avatar-controls]");
const avatarStatus = document.querySelector("[data-avatar-status]");
const avatarFile = document.querySelector("#avatar-file");
const AVATAR_TYPES = ["image/jpeg", "image/png", "image/webp"];

function showAvatar() {
  const name = (page && page.display_name) || (user && user.display_name) || "";
  avatarPreview.replaceChildren(avatar(name, page && page.avatar_url, { size: "large" }));
  avatarLocked.hidden = Boolean(page);
  avatarControls.hidden = !page;
}

function setAvatarStatus(message, isError = false) {
  avatarStatus.textContent = message;
  avatarStatus.classList.toggle("is-error", isError);
}

/** Posts the file straight to S3 as a real form (S3 redirects back here with `?avatar=`). */
function submitToStorage({ url, fields }, file) {
  const upload = element("form", { method: "post", enctype: "multipart/form-data", action: url,
    class: "visually-hidden", "aria-hidden": "true" });
  for (const [name, value] of Object.entries(fields || {})) {
    upload.append(element("input", { type: "hidden", name, value: String(value) }));
  }
  const fileInput = element("input", { type: "file", name: "file" });
  try {
    const transfer = new DataTransfer();
    transfer.items.add(file);
    fileInput.files = transfer.files;
    upload.append(fileInput); // the file goes last: S3 ignores fields after it
  } catch {
    avatarFile.name = "file"; // no DataTransfer: send the chosen input itself
    upload.append(avatarFile);
  }
  document.body.append(upload);
  upload.submit();
}

document.addEventListener("securitypolicyviolation", (event) => {
  if (event.violatedDirective === "form-action") {
    setAvatarStatus("Your browser blocked the upload. Please tell us about it; your page is "
      + "unchanged.", true);
  }
});

avatarFile.addEventListener("change", async () => {
  const file = avatarFile.files && avatarFile.files[0];
  if (!file) {
    return;
  }
  if (dirty) {
    setAvatarStatus("Save your changes first: uploading a photo leaves this page for a moment.",
      true);
    avatarFile.value = "";
    return;
  }
  if (!AVATAR_TYPES.includes(file.type)) {
    setAvatarStatus("Choose a JPEG, PNG or WebP image.", true);
    avatarFile.value = "";
    return;
  }
  setAvatarStatus("Uploading your photo…");
  try {
    const target = await api.avatarUpload({ content_type: file.type });
    if (target.max_bytes && file.size > target.max_bytes) {
      const megabytes = Math.floor(target.max_bytes / (1024 * 1024));
      setAvatarStatus(`That photo is too large: the limit is ${megabytes} MB.`, true);
      avatarFile.value = "";
      return;
    }
    submitToStorage(target, file);
  } catch (error) {
    setAvatarStatus(error.message, true);
    avatarFile.value = "";
  }
});

/** Back from S3: the uploaded photo's key is in the address; check it and set it. */
async function finishAvatarUpload() {
  const key = queryParam("avatar") || queryParam("key");
  if (!key) {
    return;
  }
  window.history.replaceState(null, "", window.location.pathname);
  if (!page) {
    return;
  }
  setAvatarStatus("Checking your new photo…");
  try {
    page = await api.setAvatar({ key });
    showAvatar();
    showChecklist();
    setAvatarStatus("Your new photo is on your page.");
  } catch (error) {
    setAvatarStatus(error.message, true);
  }
}

/* ---- Categories ------------------------------------------------------------------------ */

const categoriesSummary = document.querySelector("[data-categories-summary]");
const categoriesAlert = document.querySelector("[data-categories-alert]");
const categoryChoices = document.querySelector("[data-category-choices]");

function joinedSlugs() {
  return new Set((page && page.categories) || []);
}

function categoryChoice(category, joined) {
  const button = element("button", {
    type: "button",
    class: `button button-small ${joined ? "button-secondary" : "button-success"}`,
    "data-category-toggle": category.slug,
  }, joined ? "Leave" : "Join", element("span", { class: "visually-hidden" }, ` ${category.name}`));
  button.addEventListener("click", () => toggleCategory(category, button));
  return element("li", { class: joined ? "choice is-joined" : "choice" },
    element("a", { href: categoryUrl(category.slug) }, category.name),
    joined ? element("span", { class: "badge" }, "Listed") : "",
    button);
}

function renderCategoryChoices() {
  if (!page) {
    categoriesSummary.textContent = "Save your page first, then choose where people find you.";
    categoryChoices.replaceChildren();
    return;
  }
  showChecklist();
  const joined = joinedSlugs();
  categoriesSummary.textContent = joined.size
    ? `You are listed in ${joined.size} of at most ${MAX_CATEGORIES} categories.`
    : `Join up to ${MAX_CATEGORIES} categories so people can find you.`;
  categoryChoices.replaceChildren(...groupCategories(categories).map(({ parent, children }) => {
    const headingId = nextId("choices");
    return element("section", { class: "choice-group", "aria-labelledby": headingId },
      element("h3", { id: headingId }, parent.name),
      element("ul", { class: "choices" },
        ...[parent, ...children].map((category) => categoryChoice(category,
          joined.has(category.slug)))));
  }));
}

async function toggleCategory(category, button) {
  const joined = joinedSlugs().has(category.slug);
  categoriesAlert.textContent = "";
  button.disabled = true;
  try {
    if (joined) {
      await api.leaveCategory(category.slug);
      page.categories = (page.categories || []).filter((slug) => slug !== category.slug);
    } else {
      await api.joinCategory(category.slug);
      page.categories = [...(page.categories || []), category.slug];
    }
    renderCategoryChoices();
    const again = categoryChoices.querySelector(
      `[data-category-toggle="${CSS.escape(category.slug)}"]`);
    if (again) {
      again.focus();
    }
  } catch (error) {
    button.disabled = false;
    categoriesAlert.textContent = error.message;
  }
}

async function loadCategories() {
  try {
    ({ categories = [] } = await api.categories());
  } catch (error) {
    categoriesAlert.textContent = `We could not load the categories: ${error.message}`;
    categories = [];
  }
}

/** From a category page's Become A Helper button (`?join=<slug>`): joined once the page exists. */
const requestedJoin = queryParam("join");

function showJoinPending() {
  const category = bySlug(categories).get(requestedJoin || "");
  if (!page && category) {
    joinPending.textContent = `Once you create your page you will be listed in ${category.name}.`;
    joinPending.hidden = false;
  }
}

async function joinRequestedCategory() {
  const category = bySlug(categories).get(requestedJoin || "");
  joinPending.hidden = true;
  if (!category || joinedSlugs().has(category.slug)) {
    return;
  }
  try {
    await api.joinCategory(category.slug);
    page.categories = [...(page.categories || []), category.slug];
    renderCategoryChoices();
  } catch (error) {
    categoriesAlert.textContent = error.message;
  }
}

/* ---- Username -------------------------------------------------------------------------- */

const usernameForm = document.querySelector("[data-username-form]");
const usernameField = usernameForm.elements.namedItem("username");
const usernamePreview = usernameForm.querySelector("[data-username-preview]");
const usernameStatus = usernameForm.querySelector("[data-username-status]");
const usernameLimit = usernameForm.querySelector("[data-username-limit]");

/** How often the username may change (`GET /me`'s `username_change`), and when next. */
function showUsernameLimit() {
  const change = user && user.username_change;
  if (!change || !change.every_days) {
    usernameLimit.hidden = true;
    return;
  }
  const next = change.next_at ? new Date(change.next_at) : null;
  const waiting = next && next.getTime() > Date.now();
  usernameLimit.textContent = `You can change your username once every ${change.every_days} days`
    + (waiting ? `; your next change can be on ${next.toLocaleDateString(undefined, { dateStyle: "long" })}.` : ".");
  usernameLimit.hidden = false;
}
usernameForm.querySelector("[data-site-origin]").textContent = window.location.host;

usernameField.addEventListener("input", () => {
  usernamePreview.textContent = usernameField.value.trim() || "your-name";
  usernameField.removeAttribute("aria-invalid");
  usernameForm.querySelector('[data-error-for="username"]').textContent = "";
});

usernameForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(usernameForm);
  usernameStatus.textContent = "";
  if (!requireFields(usernameForm, { username: "Choose a username for your page address." })) {
    return;
  }
  const username = valueOf(usernameForm, "username");
  const current = (page && page.username) || (user && user.username);
  if (username === current) {
    usernameStatus.textContent = "That is already your username.";
    return;
  }
  setBusy(usernameForm, true);
  try {
    const changed = await api.changeUsername({ username });
    if (user) {
      user.username = changed.username;
      if (user.username_change) {
        user.username_change.next_at = new Date(Date.now() + user.username_change.every_days * 86400000).toISOString();
        showUsernameLimit();
      }
    }
    if (page) {
      page.username = changed.username;
      page.page_url = changed.page_url;
      showAddress(changed.username, changed.page_url);
    } else {
      usernameField.value = changed.username;
      usernamePreview.textContent = changed.username;
    }
    usernameStatus.textContent = `Your page address is now ${siteAddress(
      safeHref(changed.page_url, helperPagePath(changed.username)))}. Old links take people there.`;
  } catch (error) {
    showError(usernameForm, error);
  } finally {
    setBusy(usernameForm, false);
  }
});

/* ---- Start ----------------------------------------------------------------------------- */

async function load() {
  failureSlot.replaceChildren();
  statusLine.textContent = "Loading your page…";
  try {
    // `is_helper: false` means there is no page yet: skip asking (and a 404 in the console).
    const [found] = await Promise.all([
      user && user.is_helper === false ? Promise.resolve(null) : api.myPage(),
      loadCategories(),
    ]);
    statusLine.textContent = "";
    editor.hidden = false;
    if (found) {
      showPage(found);
      await finishAvatarUpload();
    } else {
      title.textContent = "Create your page";
      intro.textContent = "Become a Helper: tell people what you can help with, set your prices "
        + "and hours, then choose the categories you want to be found in.";
      saveButton.dataset.idleLabel = "Create my page";
      saveButton.textContent = "Create my page";
      document.title = "Create your page — interKanect";
      fillForm(null);
      usernameField.value = (user && user.username) || "";
      usernamePreview.textContent = usernameField.value || "your-name";
      showAvatar();
      renderCategoryChoices();
      showJoinPending();
      if (queryParam("avatar")) {
        window.history.replaceState(null, "", window.location.pathname);
      }
    }
  } catch (error) {
    statusLine.textContent = "";
    if (leaveIfSignedOut(error)) {
      return;
    }
    failureSlot.replaceChildren(loadFailure(error, load));
  }
}

if (isSignedIn()) {
  user = await mountHeader();
  if (!user && !isSignedIn()) {
    window.location.replace(signInUrl()); // the session could not be renewed
  } else {
    showUsernameLimit();
    await load();
  }
}
