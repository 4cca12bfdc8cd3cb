/** A Helper's booking settings on the Appointments page: the lengths people may book, minimum
 * notice, how far ahead, the rest after each booking, a daily maximum, confirming each booking,
 * the late-cancellation fee, dates with other hours (`PUT /me/booking-rules`), and the private
 * calendar feed (`POST`/`DELETE /me/booking-rules/feed`; its address is shown once). The markup
 * is the page's (`[data-rules-panel]`); this wires it. */

import { api } from "../api.js";
import { element } from "../dom.js";
import { leaveIfSignedOut } from "../paths.js";
import { dayText } from "./booking-time.js";

export class RulesPanel {
  constructor(root) {
    this.root = root;
    this.form = root.querySelector("[data-rules-form]");
    this.problem = root.querySelector("[data-rules-problem]");
    this.saved = root.querySelector("[data-rules-saved]");
    this.overrideList = root.querySelector("[data-override-list]");
    this.overrides = [];
    this.feedState = root.querySelector("[data-feed-state]");
    this.feedRow = root.querySelector("[data-feed-url-row]");
    this.feedUrl = root.querySelector("[data-feed-url]");
    this.feedCreate = root.querySelector("[data-feed-create]");
    this.feedRevoke = root.querySelector("[data-feed-revoke]");
    this.wire();
  }

  async load() {
    let answer;
    try {
      answer = await api.bookingRules();
    } catch (error) {
      if (!leaveIfSignedOut(error) && error.status !== 404) {
        this.root.hidden = false;
        this.say(error.message);
      }
      return; // no Helper page yet: nobody can book, nothing to set
    }
    this.fill(answer.rules);
    this.showFeed(answer);
    this.root.hidden = false;
  }

  say(message, { ok = false } = {}) {
    this.problem.hidden = ok || !message;
    this.problem.textContent = ok ? "" : message;
    this.saved.hidden = !ok || !message;
    this.saved.textContent = ok ? message : "";
  }

  fill(rules) {
    const form = this.form;
    for (const box of form.querySelectorAll("input[name='lengths']")) {
      box.checked = rules.lengths.includes(Number(box.value));
    }
    setSelect(form.elements.notice_minutes, rules.notice_minutes, (m) => minutesText(m));
    form.elements.horizon_days.value = String(rules.horizon_days);
    setSelect(form.elements.buffer_minutes, rules.buffer_minutes, (m) => minutesText(m));
    form.elements.daily_max.value = rules.daily_max == null ? "" : String(rules.daily_max);
    form.elements.manual_confirm.checked = Boolean(rules.manual_confirm);
    for (const radio of form.querySelectorAll("input[name='fee_policy']")) {
      radio.checked = radio.value === rules.fee_policy;
    }
    this.overrides = (rules.overrides || []).map((item) => ({ date: item.date, windows: item.windows || [] }));
    this.drawOverrides();
  }

  drawOverrides() {
    this.overrideList.replaceChildren(...this.overrides.map((item, index) => {
      const what = item.windows.length ? item.windows.map((w) => `${w.start}–${w.end}`).join(", ") : "Day off";
      const remove = element("button", { type: "button", class: "button button-link",
        "aria-label": `Remove ${dayText(item.date)}` }, "Remove");
      remove.addEventListener("click", () => {
        this.overrides.splice(index, 1);
        this.drawOverrides();
      });
      return element("li", { class: "override", "data-override": item.date },
        element("span", { class: "override-date" }, `${dayText(item.date)}, ${item.date.slice(0, 4)}`),
        element("span", { class: "override-what" }, what), remove);
    }));
  }

  values() {
    const form = this.form;
    const daily = form.elements.daily_max.value.trim();
    return {
      lengths: [...form.querySelectorAll("input[name='lengths']:checked")].map((box) => Number(box.value)),
      notice_minutes: Number(form.elements.notice_minutes.value),
      horizon_days: Number(form.elements.horizon_days.value),
      buffer_minutes: Number(form.elements.buffer_minutes.value),
      daily_max: daily ? Number(daily) : null,
      manual_confirm: form.elements.manual_confirm.checked,
      fee_policy: (form.querySelector("input[name='fee_policy']:checked") || { value: "none" }).value,
      overrides: this.overrides,
    };
  }

  wire() {
    const kind = this.root.querySelector("[data-override-kind]");
    const hours = this.root.querySelectorAll("[data-override-hours]");
    kind.addEventListener("change", () => {
      for (const field of hours) {
        field.hidden = kind.value !== "hours";
      }
    });
    this.root.querySelector("[data-override-add]").addEventListener("click", () => {
      const date = this.root.querySelector("[data-override-date]").value;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
        this.say("Choose the date first.");
        return;
      }
      const windows = kind.value === "hours" ? [{ start: this.root.querySelector("[data-override-start]").value,
        end: this.root.querySelector("[data-override-end]").value }] : [];
      this.overrides = [...this.overrides.filter((item) => item.date !== date), { date, windows }]
        .sort((a, b) => a.date.localeCompare(b.date));
      this.drawOverrides();
      this.say("Date added: save your settings to keep it.", { ok: true });
    });
    this.form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const submit = this.form.querySelector("button[type='submit']");
      submit.disabled = true;
      this.say("");
      try {
        const answer = await api.saveBookingRules(this.values());
        this.fill(answer.rules);
        this.say("Saved. Your Helper page offers these times now.", { ok: true });
      } catch (error) {
        if (!leaveIfSignedOut(error)) {
          this.say(error.message);
        }
      } finally {
        submit.disabled = false;
      }
    });
    this.feedCreate.addEventListener("click", () => this.feed(() => api.renewCalendarFeed()));
    this.feedRevoke.addEventListener("click", () => this.feed(() => api.closeCalendarFeed()));
    this.root.querySelector("[data-feed-copy]").addEventListener("click", async (event) => {
      const button = event.currentTarget;
      try {
        await navigator.clipboard.writeText(this.feedUrl.value);
        button.textContent = "Copied";
      } catch {
        this.feedUrl.select();
        button.textContent = "Press Ctrl+C to copy";
      }
    });
  }

  async feed(call) {
    this.feedCreate.disabled = true;
    this.feedRevoke.disabled = true;
    try {
      this.showFeed(await call());
    } catch (error) {
      if (!leaveIfSignedOut(error)) {
        this.feedState.textContent = error.message;
      }
    } finally {
      this.feedCreate.disabled = false;
      this.feedRevoke.disabled = false;
    }
  }

  showFeed({ rules, feed_url: url }) {
    const on = Boolean(rules && rules.feed);
    this.feedRow.hidden = !url;
    this.feedUrl.value = url || "";
    this.feedState.textContent = url
      ? "Your feed address, shown this once: copy it into your calendar now."
      : on ? "Your feed is on. Lost its address? Make a new one (the old one stops working)."
        : "No feed yet.";
    this.feedCreate.textContent = on ? "Make a new address" : "Create a feed address";
    this.feedRevoke.hidden = !on;
  }
}

function minutesText(minutes) {
  if (minutes === 0) {
    return "None";
  }
  if (minutes % 1440 === 0) {
    return `${minutes / 1440} ${minutes === 1440 ? "day" : "days"}`;
  }
  if (minutes % 60 === 0) {
    return `${minutes / 60} ${minutes === 60 ? "hour" : "hours"}`;
  }
  return `${minutes} minutes`;
}

/** Chooses `value` in a select, adding it as an option if the list does not have it. */
function setSelect(select, value, label) {
  const text = String(value);
  if (![...select.options].some((option) => option.value === text)) {
    select.append(element("option", { value: text }, label(value)));
  }
  select.value = text;
}
