/** My page: the page form as a whole — filled from a saved page, read into a `PUT /me/page`
 * body by its sections, and every bad field marked at once when the server refuses it. */

import { problemsOf, requireFields, showFieldError, valueOf } from "../../forms.js";
import { markClean, markDirty, pageForm } from "./editor.js";
import { readLanguages, renderLanguages } from "./languages.js";
import { readPrices, setPrices } from "./prices.js";
import { fillRows, markRowProblem, readLinks, readSchedule } from "./rows.js";
import { browserTimeZone, readTimeZone, renderTimeZones } from "./time-zone.js";

const form = pageForm();

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

export function fillForm(source) {
  const values = source || {};
  form.elements.namedItem("headline").value = values.headline || "";
  form.elements.namedItem("offer").value = values.offer || "";
  form.elements.namedItem("qualifications").value = values.qualifications || "";
  renderLanguages(values.languages || []);
  renderTimeZones(values.time_zone || browserTimeZone);
  setPrices(values.prices || {});
  fillRows(values.schedule, values.links);
  updateCounters();
  markClean();
}

/** The required fields, each marked when empty; false when one is. */
export function requiredFilled() {
  return requireFields(form, {
    headline: "Write a headline: one line about what you help with.",
    offer: "Describe what you offer.",
  });
}

/** `{page}`, the body of `PUT /me/page`, or `{error}` when a section cannot be read. */
export function readForm() {
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
      languages: readLanguages(),
      time_zone: readTimeZone(),
      prices: prices.prices,
      schedule: schedule.schedule,
      links: readLinks(),
    },
  };
}

export function showFormAlert(message) {
  form.querySelector("[data-form-alert]").textContent = message;
}

/** Puts a server or client error beside what it is about, every bad field at once (the first
 * focused): dotted fields name a price, a row of weekly hours (`schedule.2`, `schedule.2.day`)
 * or a link (`links.0.url`). */
export function showPageError(error) {
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
  const head = field.split(".")[0];
  if (markRowProblem(field, message, focus)) {
    return true;
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
