/** My page: the rows of weekly hours and of links — added, removed, filled, read, and marked
 * when the server names one (`schedule.2`, `links.0.url`). */

import { element } from "../../dom.js";
import { markDirty, nextId, pageForm } from "./editor.js";

const MAX_LINKS = 8;
const MAX_SCHEDULE_ROWS = 42;
const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const form = pageForm();
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

export function fillRows(schedule, links) {
  scheduleRows.replaceChildren(...(schedule || []).map(scheduleRow));
  linkRows.replaceChildren(...(links || []).map(linkRow));
  refreshRows();
}

export function readSchedule() {
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

export function readLinks() {
  return [...linkRows.children]
    .map((row) => ({
      label: row.querySelector('[data-field="label"]').value.trim(),
      url: row.querySelector('[data-field="url"]').value.trim(),
    }))
    .filter((link) => link.label || link.url);
}

/** Marks the row a dotted field names (`schedule.2.day`, `links.0.url`); false when it names no
 * row here. */
export function markRowProblem(field, message, focus) {
  const [head, index, part] = field.split(".");
  const rows = head === "schedule" ? scheduleRows : head === "links" ? linkRows : null;
  if (!rows || !/^\d+$/.test(index || "")) {
    return false;
  }
  const row = rows.children[Number(index)];
  if (!row) {
    return false;
  }
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
