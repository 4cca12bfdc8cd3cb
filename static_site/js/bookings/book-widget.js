/** "Book a time" on a Helper page, loaded when the visitor opens it: choose a length, a day and a
 * time (in the visitor's time zone, which they may change, the Helper's beside), read the price
 * and the cancellation policy, add a note, then "Book and pay" (`POST /bookings`, then PayPal's
 * approval page in the PayPal window; /pay-return.html captures and tells this page, which opens
 * the booking page). A free length is booked at once. A signed-out visitor sees everything and
 * signs in to book, coming back to the widget (`#book`).
 *
 *   openBookWidget(root, { username, helperName, lengths, ownPage })
 *
 * `lengths` are the page's priced lengths: the first the Helper takes bookings of is shown first. */

import { ApiError, api, isSignedIn } from "../api.js";
import { PayPalWindow, listenForPayments, payPalLink } from "../checkout.js";
import { element, loadStylesheet } from "../dom.js";
import { PAGES, pageUrl, signInUrl } from "../paths.js";
import { visitorTimeZone } from "../weekly-time.js";
import {
  placeOf, policyText, priceText, spanIn, timeIn, timeZones, zoneLabel,
} from "./booking-time.js";
import { SlotPicker } from "./slot-picker.js";

const DAYS_SHOWN = 28;
const NOTE_MAX = 2000;

export async function openBookWidget(root, { username, helperName, lengths = [], ownPage = false }) {
  await loadStylesheet("/css/bookings.css"); // before it is drawn: no flash of unstyled widget
  const widget = new BookWidget(root, { username, helperName, lengths, ownPage });
  await widget.load();
  return widget;
}

class BookWidget {
  constructor(root, { username, helperName, lengths, ownPage }) {
    this.root = root;
    this.candidates = lengths.length ? lengths : [15, 30, 60];
    this.username = username;
    this.helperName = helperName;
    this.ownPage = ownPage;
    this.zone = visitorTimeZone();
    this.length = this.candidates[0];
    this.answer = null;
    this.slot = null;
    this.stopListening = null;
    this.build();
  }

  build() {
    this.status = element("p", { class: "status-text", role: "status", "data-book-status": "" }, "Loading free times…");
    this.lengths = element("div", { class: "book-lengths", role: "radiogroup", "aria-label": "Length",
      "data-book-lengths": "" });
    this.zoneText = element("span", { "data-book-zone": "" });
    this.zoneSelect = element("select", { id: "book-zone", name: "zone", "data-book-zone-select": "" });
    const zoneField = element("div", { class: "book-zone-change", hidden: "" },
      element("label", { for: "book-zone" }, "Time zone"), this.zoneSelect);
    const zoneButton = element("button", { type: "button", class: "button button-link", "aria-expanded": "false",
      "aria-controls": "book-zone-change" }, "Change");
    zoneField.id = "book-zone-change";
    zoneButton.addEventListener("click", () => {
      zoneField.hidden = !zoneField.hidden;
      zoneButton.setAttribute("aria-expanded", String(!zoneField.hidden));
      if (!zoneField.hidden) {
        if (!this.zoneSelect.options.length) {
          this.zoneSelect.append(...timeZones(this.zone).map((zone) => element("option", { value: zone }, zoneLabel(zone))));
          this.zoneSelect.value = this.zone;
        }
        this.zoneSelect.focus();
      }
    });
    this.zoneSelect.addEventListener("change", () => {
      this.zone = this.zoneSelect.value;
      this.load();
    });
    this.pickerRoot = element("div", { "data-slot-picker": "" });
    this.picker = new SlotPicker(this.pickerRoot, { onPick: (slot) => this.pick(slot), otherLabel: "Helper" });
    this.summary = element("section", { class: "book-summary", "aria-labelledby": "book-summary-title",
      "data-book-summary": "", hidden: "" });
    this.root.replaceChildren(
      element("div", { class: "book-head" },
        element("div", { class: "book-head-part" }, element("h3", { class: "book-step" }, "Length"), this.lengths),
        element("div", { class: "book-head-part book-zone" },
          element("h3", { class: "book-step" }, "Your time zone"),
          element("p", { class: "book-zone-line" }, this.zoneText, " ", zoneButton),
          zoneField)),
      this.status,
      this.pickerRoot,
      this.summary);
    this.lengths.addEventListener("change", (event) => {
      if (event.target instanceof HTMLInputElement) {
        this.length = Number(event.target.value);
        this.load();
      }
    });
  }

  async load() {
    this.status.textContent = "Loading free times…";
    this.status.classList.remove("notice", "notice-error");
    this.zoneText.textContent = zoneLabel(this.zone);
    let answer;
    try {
      answer = await this.slotsOfSomeLength();
    } catch (error) {
      this.status.textContent = error instanceof ApiError && error.field === "length"
        ? `${this.helperName} does not take bookings yet. When they are online, you can call them now.`
        : (error && error.message) || "The free times could not be loaded. Try again in a moment.";
      this.pickerRoot.hidden = true;
      return;
    }
    this.answer = answer;
    this.length = answer.length;
    this.drawLengths(answer);
    this.pickerRoot.hidden = false;
    this.picker.show({ slots: answer.slots, zone: answer.zone, helperZone: answer.helper.time_zone });
    this.status.textContent = answer.slots.length
      ? "" : `No free ${answer.length}-minute times in the coming ${DAYS_SHOWN / 7} weeks. Try another length.`;
  }

  /** The slots of the chosen length; when the Helper does not take that one (`field: length`),
   * of the next length the page prices. */
  async slotsOfSomeLength() {
    const tries = [this.length, ...this.candidates.filter((minutes) => minutes !== this.length)];
    let refusal = null;
    for (const length of tries) {
      try {
        return await api.slots(this.username, { length, zone: this.zone, days: DAYS_SHOWN });
      } catch (error) {
        if (!(error instanceof ApiError) || error.field !== "length") {
          throw error;
        }
        refusal = error;
      }
    }
    throw refusal;
  }

  drawLengths(answer) {
    const entries = Object.entries(answer.lengths || {}).map(([minutes, cents]) => [Number(minutes), cents])
      .sort((a, b) => a[0] - b[0]);
    this.lengths.replaceChildren(...entries.map(([minutes, cents]) => {
      const input = element("input", { type: "radio", name: "book-length", value: String(minutes),
        id: `book-length-${minutes}` });
      input.checked = minutes === answer.length;
      return element("label", { class: "book-length", for: `book-length-${minutes}` }, input,
        element("span", { class: "book-length-minutes" }, `${minutes} min`),
        element("span", { class: "book-length-price" }, priceText(cents)));
    }));
  }

  pick(slot) {
    this.slot = slot;
    if (!slot) {
      this.summary.hidden = true;
      return;
    }
    this.drawSummary(slot);
    this.summary.hidden = false;
    this.summary.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  drawSummary(slot) {
    const { answer } = this;
    const price = answer.price_cents;
    const helperZone = answer.helper.time_zone;
    const note = element("textarea", { id: "book-note", name: "note", rows: "3", maxlength: String(NOTE_MAX),
      "aria-describedby": "book-note-hint" });
    note.value = this.noteText || "";
    note.addEventListener("input", () => {
      this.noteText = note.value;
    });
    const signedIn = isSignedIn();
    const label = this.ownPage ? "This is your page"
      : !signedIn ? "Sign in to book"
        : price ? `Book and pay ${priceText(price)}` : "Book for free";
    this.confirm = element("button", { type: "button", class: "button button-primary button-large",
      "data-book-confirm": "" }, label);
    this.confirm.disabled = this.ownPage;
    this.problem = element("p", { class: "notice notice-error", role: "alert", "data-book-problem": "", hidden: "" });
    this.payLater = element("div", { class: "book-paypal", "data-book-paypal": "" });
    const rows = [
      ["When", `${spanIn(slot.start, answer.length, answer.zone)} (${placeOf(answer.zone)} time)`],
      ...(helperZone === answer.zone ? [] : [[`${this.helperName}'s time`,
        `${timeIn(slot.start, helperZone)} in ${placeOf(helperZone)}`]]),
      ["Length", `${answer.length} minutes, video call in your browser`],
      ["Price", price ? `${priceText(price)}, paid now with PayPal` : "Free"],
    ];
    this.summary.replaceChildren(
      element("h3", { id: "book-summary-title" }, "Your booking"),
      element("dl", { class: "book-facts" }, ...rows.flatMap(([term, value]) => [element("dt", {}, term),
        element("dd", {}, value)])),
      element("div", { class: "book-policy", "data-book-policy": "" },
        element("h4", {}, "Cancellation policy"),
        element("p", {}, policyText(answer.policy, price)),
        ...(answer.policy && answer.policy.manual_confirm
          ? [element("p", {}, `${this.helperName} confirms each booking; if they decline, you get everything back.`)]
          : [])),
      element("div", { class: "field" },
        element("label", { for: "book-note" }, "What do you need help with? ",
          element("span", { class: "optional" }, "(optional)")),
        note,
        element("p", { class: "field-hint", id: "book-note-hint" }, `${this.helperName} reads it before the session.`)),
      this.problem,
      element("div", { class: "button-row" }, this.confirm),
      this.payLater);
    this.confirm.addEventListener("click", () => this.book());
  }

  say(message) {
    this.problem.textContent = message;
    this.problem.hidden = !message;
  }

  async book() {
    if (!isSignedIn()) {
      window.location.assign(signInUrl(`${window.location.pathname}#book`));
      return;
    }
    const { answer, slot } = this;
    const paid = answer.price_cents > 0;
    // Opened during the click itself, so no pop-up blocker stops it; pointed at PayPal below.
    const paypal = paid ? PayPalWindow.open() : null;
    this.say("");
    this.payLater.replaceChildren();
    this.confirm.disabled = true;
    this.confirm.textContent = paid ? "Opening PayPal…" : "Booking…";
    let made;
    try {
      made = await api.book({ helper: this.username, length: answer.length, start: slot.start, zone: answer.zone,
        note: (this.noteText || "").trim() });
    } catch (error) {
      if (paypal) {
        paypal.close();
      }
      this.confirm.disabled = false;
      this.confirm.textContent = paid ? `Book and pay ${priceText(answer.price_cents)}` : "Book for free";
      if (error && error.code === "signed_out") {
        window.location.assign(signInUrl(`${window.location.pathname}#book`));
        return;
      }
      this.say((error && error.message) || "The booking could not be made. Try again.");
      if (error && error.code === "slot_unavailable") {
        this.load();
      }
      return;
    }
    const bookingPage = pageUrl(PAGES.booking, { id: made.booking.booking_id });
    if (!made.payment) {
      window.location.assign(bookingPage);
      return;
    }
    this.followPayment(made.payment, paypal, bookingPage);
  }

  /** PayPal's window is at the approval page; /pay-return.html tells how it went. */
  followPayment(payment, paypal, bookingPage) {
    if (this.stopListening) {
      this.stopListening();
    }
    this.stopListening = listenForPayments((result) => {
      if (result.payment_id !== payment.payment_id) {
        return;
      }
      if (result.outcome === "captured" || result.outcome === "pending") {
        this.confirm.textContent = "Paid — opening your booking…";
        window.location.assign(bookingPage);
      } else {
        this.confirm.disabled = false;
        this.confirm.textContent = `Book and pay ${priceText(this.answer.price_cents)}`;
        this.say(result.outcome === "cancelled"
          ? "You cancelled at PayPal: nothing was charged. Choose a time again whenever you like."
          : result.message || "The payment did not go through. Nothing was charged.");
        this.load();
      }
    });
    const fallback = () => {
      this.payLater.replaceChildren(
        element("p", {}, "Finish paying at PayPal (the time is held for you for 15 minutes):"),
        payPalLink(payment.approve_url, { onWindow: (opened) => opened.onClosed(() => {}) })
          || element("a", { href: bookingPage }, "Open the booking"));
    };
    if (!paypal || !paypal.go(payment.approve_url)) {
      this.confirm.textContent = "Waiting for PayPal…";
      fallback();
      return;
    }
    this.confirm.textContent = "Waiting for PayPal…";
    paypal.onClosed(() => {
      if (this.confirm.textContent === "Waiting for PayPal…") {
        fallback();
      }
    });
  }
}
