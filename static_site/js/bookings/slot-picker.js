/** Choosing a slot, as a calendar of the month (days with free times are buttons) beside the
 * chosen day's times as a list of buttons, each in the viewer's time zone with the Helper's time
 * beside. Used by the booking widget of a Helper page and by rescheduling on the booking page.
 *
 *   const picker = new SlotPicker(root, { onPick(slot) {}, otherLabel: "Helper" });
 *   picker.show({ slots, zone, helperZone });   // slots of GET /helpers/{username}/slots
 *
 * `onPick(slot)` is called with the slot chosen (null when the day changes). */

import { element } from "../dom.js";
import { dayText, placeOf, slotsByDay, timeIn } from "./booking-time.js";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function monthOf(day) {
  return day.slice(0, 7);
}

function monthTitle(month) {
  return new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" })
    .format(new Date(`${month}-01T12:00:00Z`));
}

function shiftMonth(month, by) {
  const [year, number] = month.split("-").map(Number);
  const moved = new Date(Date.UTC(year, number - 1 + by, 1));
  return `${moved.getUTCFullYear()}-${String(moved.getUTCMonth() + 1).padStart(2, "0")}`;
}

export class SlotPicker {
  constructor(root, { onPick = () => {}, otherLabel = "Helper" } = {}) {
    this.root = root;
    this.onPick = onPick;
    this.otherLabel = otherLabel;
    this.days = new Map();
    this.month = null;
    this.day = null;
    this.slot = null;
    this.zone = "UTC";
    this.helperZone = "UTC";
    this.build();
  }

  build() {
    this.previous = element("button", { type: "button", class: "slot-month-step", "aria-label": "Previous month",
      "data-month-previous": "" }, "‹");
    this.next = element("button", { type: "button", class: "slot-month-step", "aria-label": "Next month",
      "data-month-next": "" }, "›");
    this.title = element("h3", { class: "slot-month-title", "aria-live": "polite" });
    this.grid = element("div", { class: "slot-days", role: "group", "aria-label": "Days with free times" });
    this.timesTitle = element("h3", { class: "slot-times-title", "data-times-title": "" });
    this.zonesLine = element("p", { class: "slot-zones" });
    this.list = element("ul", { class: "slot-list", "aria-label": "Free times", "data-slot-list": "" });
    this.root.classList.add("slot-picker");
    this.root.replaceChildren(
      element("div", { class: "slot-calendar" },
        element("div", { class: "slot-month-head" }, this.previous, this.title, this.next),
        element("div", { class: "slot-weekdays", "aria-hidden": "true" },
          ...WEEKDAYS.map((name) => element("span", {}, name))),
        this.grid),
      element("div", { class: "slot-times" }, this.timesTitle, this.zonesLine, this.list));
    this.previous.addEventListener("click", () => this.showMonth(shiftMonth(this.month, -1)));
    this.next.addEventListener("click", () => this.showMonth(shiftMonth(this.month, 1)));
    this.grid.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("button[data-day]") : null;
      if (button && !button.disabled) {
        this.chooseDay(button.getAttribute("data-day"));
      }
    });
    this.list.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("button[data-start]") : null;
      if (button) {
        this.chooseSlot(button.getAttribute("data-start"));
      }
    });
  }

  /** Shows `slots` (the first day with a free time chosen); keeps the chosen day if it still has some. */
  show({ slots, zone, helperZone }) {
    this.zone = zone;
    this.helperZone = helperZone;
    this.days = slotsByDay(slots);
    const keep = this.day && this.days.has(this.day) ? this.day : null;
    const first = keep || this.days.keys().next().value || null;
    this.showMonth(first ? monthOf(first) : this.month || new Date().toISOString().slice(0, 7));
    this.chooseDay(first);
  }

  showMonth(month) {
    this.month = month;
    this.title.textContent = monthTitle(month);
    const months = [...this.days.keys()].map(monthOf);
    const firstMonth = months[0] || month;
    const lastMonth = months[months.length - 1] || month;
    this.previous.disabled = month <= firstMonth;
    this.next.disabled = month >= lastMonth;
    const [year, number] = month.split("-").map(Number);
    const lead = (new Date(Date.UTC(year, number - 1, 1)).getUTCDay() + 6) % 7; // Monday first
    const length = new Date(Date.UTC(year, number, 0)).getUTCDate();
    const cells = Array.from({ length: lead }, () => element("span", { class: "slot-day-blank", "aria-hidden": "true" }));
    for (let date = 1; date <= length; date += 1) {
      const day = `${month}-${String(date).padStart(2, "0")}`;
      const free = this.days.get(day) || [];
      const button = element("button", {
        type: "button", class: "slot-day", "data-day": day,
        "aria-label": free.length ? `${dayText(day)}, ${free.length} free ${free.length === 1 ? "time" : "times"}`
          : `${dayText(day)}, no free time`,
        "aria-pressed": String(day === this.day),
      }, String(date));
      button.disabled = !free.length;
      cells.push(button);
    }
    this.grid.replaceChildren(...cells);
  }

  chooseDay(day) {
    this.day = day;
    this.slot = null;
    for (const button of this.grid.querySelectorAll("button[data-day]")) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-day") === day));
    }
    const slots = day ? this.days.get(day) || [] : [];
    const sameZone = this.zone === this.helperZone;
    this.timesTitle.textContent = day ? dayText(day) : "No free times";
    this.zonesLine.textContent = !day ? "Nothing is free in the coming weeks."
      : sameZone ? `Times in ${placeOf(this.zone)} time (yours and the ${this.otherLabel.toLowerCase()}'s).`
        : `Your time (${placeOf(this.zone)}) · ${this.otherLabel}'s time (${placeOf(this.helperZone)})`;
    this.list.replaceChildren(...slots.map((slot) => {
      const own = timeIn(slot.start, this.zone);
      const other = timeIn(slot.start, this.helperZone);
      return element("li", {},
        element("button", {
          type: "button", class: "slot-time", "data-start": slot.start, "aria-pressed": "false",
          "aria-label": sameZone ? own : `${own} your time, ${other} in ${placeOf(this.helperZone)}`,
        },
        element("span", { class: "slot-time-own" }, own),
        ...(sameZone ? [] : [element("span", { class: "slot-time-other" }, `${other} ${placeOf(this.helperZone)}`)])));
    }));
    this.onPick(null);
  }

  chooseSlot(start) {
    const slots = this.days.get(this.day) || [];
    this.slot = slots.find((slot) => slot.start === start) || null;
    for (const button of this.list.querySelectorAll("button[data-start]")) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-start") === start));
    }
    this.onPick(this.slot);
  }
}
