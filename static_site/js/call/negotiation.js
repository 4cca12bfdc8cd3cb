/** The terms panel of the call room: the five-minute negotiation (the Helper proposes a price
 * and a length, the caller accepts or declines), the wait for payment, and the session timer.
 * The same panel serves an extension (more time after a session): the room shows it in the
 * extension pop-up then. While the call waits for payment the caller's panel holds the payment
 * box (js/call/payment.js). */

import { element } from "../dom.js";
import { dollarsToCents, formatCents, SESSION_LENGTHS } from "../money.js";
import { PAGES } from "../paths.js";
import { countdown, formatDuration, spokenDuration } from "./clock.js";

const NEGOTIATION_SECONDS = 300;
const PAYMENT_SECONDS = 600;
const MAX_MINUTES = 480;
const FREE_PLAN_MINUTES = 20;
const WARN_AT = new Set([60, 30, 10]);

/** "15 minutes, free" or "30 minutes for $25.50". */
export function termsText(terms) {
  if (!terms) {
    return "";
  }
  const length = `${terms.minutes} minute${terms.minutes === 1 ? "" : "s"}`;
  return terms.price_cents === 0
    ? `${length}, free`
    : `${length} for ${formatCents(terms.price_cents, { cents: true })}`;
}

function sameTerms(a, b) {
  return Boolean(a && b && a.price_cents === b.price_cents && a.minutes === b.minutes);
}

/** Minutes the plan still allows in this call, or null for no limit. */
function minutesLeft(call) {
  return call.plan === "free" ? Math.max(0, FREE_PLAN_MINUTES - Number(call.minutes_used || 0)) : null;
}

export class NegotiationPanel {
  /**
   * @param {object} options
   * @param {"caller"|"helper"} options.role
   * @param {() => string} options.peerName the other person's name
   * @param {Promise<object|null>} [options.prices] the Helper's price list (`{"15": cents|null}`)
   * @param {(terms) => Promise} options.propose
   * @param {(terms) => Promise} options.accept
   * @param {() => Promise} options.reject
   * @param {HTMLElement} [options.paymentBox] shown to the caller while the call awaits payment
   */
  constructor({ role, peerName, prices = Promise.resolve(null), propose, accept, reject, paymentBox = null }) {
    this.role = role;
    this.peerName = peerName;
    this.actions = { propose, accept, reject };
    this.paymentBox = paymentBox || element("div");
    this.call = null;
    this.stopClock = null;
    this.clockFor = null;
    this.build();
    prices.then((list) => this.showQuickPicks(list)).catch(() => {});
  }

  build() {
    this.title = element("h2", { class: "panel-title", id: "terms-title", "data-phase-title": "" });
    this.clockLabel = element("span", { class: "phase-clock-label" });
    this.clockTime = element("span", { class: "phase-clock-time", "data-testid": "phase-countdown" });
    this.clockBar = element("span", { class: "phase-clock-fill" });
    this.clock = element("div", { class: "phase-clock" },
      element("p", { class: "phase-clock-text" }, this.clockLabel, " ", this.clockTime),
      element("span", { class: "phase-clock-bar", "aria-hidden": "true" }, this.clockBar));
    this.announcer = element("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    this.intro = element("p", { class: "panel-text", "data-phase-text": "" });
    this.alert = element("p", { class: "form-alert", role: "alert" });
    this.notice = element("p", { class: "notice payment-notice", role: "status", "data-testid": "payment-notice" });
    this.notice.hidden = true;
    this.helperForm = this.buildHelperForm();
    this.callerTerms = this.buildCallerTerms();
    this.element = element("section", {
      class: "room-card negotiation", "aria-labelledby": "terms-title", "data-testid": "negotiation",
    }, this.title, this.clock, this.notice, this.intro, this.helperForm, this.callerTerms, this.paymentBox,
    this.alert, this.announcer);
  }

  buildHelperForm() {
    this.price = element("input", {
      id: "terms-price", name: "price", type: "text", inputmode: "decimal", autocomplete: "off",
      required: "", "aria-describedby": "terms-price-hint",
    });
    this.minutes = element("input", {
      id: "terms-minutes", name: "minutes", type: "number", min: "1", max: String(MAX_MINUTES),
      step: "1", inputmode: "numeric", required: "", "aria-describedby": "terms-minutes-hint",
    });
    this.minutesHint = element("p", { class: "field-hint", id: "terms-minutes-hint" }, "Session length, 1 to 480.");
    this.picks = element("div", { class: "quick-picks", role: "group", "aria-label": "Your prices" });
    this.proposeButton = element("button", { type: "submit", class: "button button-primary" }, "Propose terms");
    this.onTable = element("p", { class: "on-table", "data-testid": "terms-on-table", role: "status" });
    const form = element("form", { class: "terms-form", novalidate: "", "data-terms-form": "" },
      this.picks,
      element("div", { class: "terms-fields" },
        element("div", { class: "field" },
          element("label", { for: "terms-price" }, "Price"),
          element("div", { class: "money-input" },
            element("span", { class: "money-sign", "aria-hidden": "true" }, "$"), this.price),
          element("p", { class: "field-hint", id: "terms-price-hint" }, "US dollars; 0 for free.")),
        element("div", { class: "field" },
          element("label", { for: "terms-minutes" }, "Minutes"),
          this.minutes,
          this.minutesHint)),
      this.proposeButton,
      this.onTable);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submitProposal();
    });
    return form;
  }

  buildCallerTerms() {
    this.termsLine = element("p", { class: "terms-offer", "data-testid": "terms-offer" });
    this.acceptButton = element("button", {
      type: "button", class: "button button-go", "data-testid": "accept-terms",
    }, "Accept");
    this.rejectButton = element("button", {
      type: "button", class: "button button-secondary", "data-testid": "reject-terms",
    }, "Decline terms");
    this.paidNote = element("p", { class: "field-hint" },
      "You approve the payment at PayPal, in a window that opens when you accept. The call pauses "
      + "meanwhile and resumes by itself once the payment goes through.");
    const box = element("div", { class: "caller-terms", "data-caller-terms": "" },
      this.termsLine,
      element("div", { class: "terms-actions" }, this.rejectButton, this.acceptButton),
      this.paidNote);
    this.acceptButton.addEventListener("click", () => this.run(this.acceptButton,
      () => this.actions.accept(this.shownTerms)));
    this.rejectButton.addEventListener("click", () => this.run(this.rejectButton,
      () => this.actions.reject()));
    return box;
  }

  showQuickPicks(prices) {
    if (!prices || typeof prices !== "object") {
      return;
    }
    const picks = SESSION_LENGTHS
      .filter((minutes) => Number.isSafeInteger(prices[String(minutes)]))
      .map((minutes) => ({ minutes, price_cents: prices[String(minutes)] }));
    this.picks.replaceChildren(...(picks.length
      ? [element("p", { class: "quick-picks-label" }, "From your prices:")] : []),
    ...picks.map((terms) => {
      const button = element("button", {
        type: "button", class: "pill-link quick-pick", "data-minutes": String(terms.minutes),
        "data-price-cents": String(terms.price_cents),
      }, `${terms.minutes} min · ${terms.price_cents === 0 ? "Free" : formatCents(terms.price_cents)}`);
      button.addEventListener("click", () => {
        this.fill(terms);
        this.proposeButton.focus();
      });
      return button;
    }));
    if (this.call) {
      this.limitPicks(this.call);
    }
  }

  fill(terms) {
    this.price.value = terms.price_cents === 0 ? "0" : (terms.price_cents / 100).toFixed(2);
    this.minutes.value = String(terms.minutes);
    this.price.removeAttribute("aria-invalid");
    this.minutes.removeAttribute("aria-invalid");
  }

  limitPicks(call) {
    const left = minutesLeft(call);
    for (const pick of this.picks.querySelectorAll("[data-minutes]")) {
      const tooLong = left !== null && Number(pick.dataset.minutes) > left;
      pick.disabled = tooLong;
      pick.title = tooLong ? `The free plan allows ${left} more minutes in this call.` : "";
    }
    const max = left === null ? MAX_MINUTES : Math.min(MAX_MINUTES, left);
    this.minutes.max = String(max);
    this.minutesHint.textContent = left === null
      ? "Session length, 1 to 480."
      : `Session length, 1 to ${max}: the free plan allows ${FREE_PLAN_MINUTES} minutes per call.`;
  }

  /** The helper's terms from the form, or null after marking what is wrong. */
  readForm() {
    this.alert.textContent = "";
    const cents = dollarsToCents(this.price.value);
    const minutes = Number(this.minutes.value);
    const max = Number(this.minutes.max) || MAX_MINUTES;
    this.price.toggleAttribute("aria-invalid", cents === null);
    const badMinutes = !Number.isInteger(minutes) || minutes < 1 || minutes > max;
    this.minutes.toggleAttribute("aria-invalid", badMinutes);
    if (cents === null) {
      this.alert.textContent = "Enter the price in dollars, like 15 or 12.50 (0 for free).";
      this.price.focus();
      return null;
    }
    if (badMinutes) {
      this.alert.textContent = `Enter a length from 1 to ${max} minutes.`;
      this.minutes.focus();
      return null;
    }
    return { price_cents: cents, minutes };
  }

  submitProposal() {
    const terms = this.readForm();
    if (terms) {
      this.run(this.proposeButton, () => this.actions.propose(terms));
    }
  }

  /** Runs an action with its button busy; a refusal is shown in the panel. The action starts
   * synchronously, inside the click (accepting paid terms opens the PayPal window there). */
  async run(button, action) {
    this.alert.textContent = "";
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await action();
    } catch (error) {
      this.showRefusal(error);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  showRefusal(error) {
    const message = (error && error.message) || "That did not work. Please try again.";
    const aboutStorefront = error && error.code === "invalid_input" && (!error.field || error.field === "price_cents")
      && /storefront/i.test(message);
    if (this.role === "helper" && aboutStorefront) {
      // Set it up in another tab: leaving this page would leave the call.
      this.alert.replaceChildren(message, " ", element("a", {
        href: `${PAGES.payments}#getting-paid`, target: "_blank", rel: "noopener",
      }, "Set up your storefront (opens in a new tab)"));
      return;
    }
    this.alert.textContent = message;
  }

  /** A word about the payment (it was cancelled, declined…), shown until the call moves on. */
  showPaymentNotice(text) {
    this.notice.textContent = text || "";
    this.notice.hidden = !text;
  }

  /** Shows the panel for `call` (a call view). */
  update(call) {
    const previous = this.call;
    this.call = call;
    const name = this.peerName();
    const helper = this.role === "helper";
    const state = call.state;
    const negotiating = state === "negotiating";
    this.element.dataset.state = state;
    this.helperForm.hidden = !(helper && negotiating);
    this.callerTerms.hidden = !(!helper && negotiating && call.proposed);
    this.paymentBox.hidden = helper || state !== "awaiting_payment";
    if (state !== previous?.state) {
      this.alert.textContent = "";
      const paymentFailed = previous && previous.state === "awaiting_payment" && negotiating;
      if (paymentFailed) {
        this.showPaymentNotice(helper
          ? `${name}'s payment did not go through, so nothing was charged. Your terms are still on the table.`
          : "The payment did not go through, so nothing was charged. The terms are still on the table: "
            + "accept them to try again, or decline.");
      } else if (state !== "negotiating" || !previous || previous.state !== "negotiating") {
        this.showPaymentNotice("");
      }
    }

    if (negotiating) {
      this.title.textContent = call.extension ? "Agree on more time" : "Agree on terms";
      this.limitPicks(call);
      if (helper) {
        this.showHelperStatus(call, previous, name);
      } else {
        this.showCallerTerms(call, previous, name);
      }
      this.runClock(call.state_deadline, "Time to agree:", NEGOTIATION_SECONDS);
    } else if (state === "awaiting_payment") {
      this.title.textContent = "Waiting for payment";
      this.intro.textContent = helper
        ? `${name} accepted ${termsText(call.agreed)} and is paying at PayPal. The call is paused `
          + "until the payment goes through, then resumes by itself."
        : `You accepted ${termsText(call.agreed)}. The call is paused until the payment goes through, `
          + "then resumes by itself.";
      this.runClock(call.state_deadline, "Payment window:", PAYMENT_SECONDS);
    } else if (state === "in_session") {
      this.title.textContent = "Session in progress";
      this.intro.textContent = `${termsText(call.agreed)}. When the time is up the call is not cut: `
        + "you get five minutes to agree on more time.";
      const length = call.agreed ? call.agreed.minutes * 60 : 0;
      this.runClock(call.session_ends_at, "Time left:", length);
    } else {
      this.stopTicking();
    }
  }

  showHelperStatus(call, previous, name) {
    if (call.proposed) {
      this.onTable.textContent = `On the table: ${termsText(call.proposed)}. Waiting for ${name} to accept.`;
      this.proposeButton.textContent = "Revise terms";
      this.intro.textContent = "You can revise your terms until they are accepted.";
      if (!this.price.value) {
        this.fill(call.proposed);
      }
    } else {
      const declined = previous && previous.state === "negotiating" && previous.proposed
        && previous.version < call.version;
      this.onTable.textContent = declined
        ? `${name} declined ${termsText(previous.proposed)}. Propose new terms?` : "";
      this.proposeButton.textContent = "Propose terms";
      this.intro.textContent = call.extension
        ? `The session time is up. Propose more time to ${name}, or end the call.`
        : `Talk it through with ${name}, then enter a price and a length.`;
    }
  }

  showCallerTerms(call, previous, name) {
    if (call.proposed) {
      const changed = !sameTerms(call.proposed, this.shownTerms);
      this.shownTerms = { ...call.proposed };
      this.termsLine.replaceChildren(
        element("span", { class: "terms-length" }, `${call.proposed.minutes} min`),
        element("span", { class: "terms-price" },
          call.proposed.price_cents === 0 ? "Free" : formatCents(call.proposed.price_cents, { cents: true })));
      const free = call.proposed.price_cents === 0;
      this.acceptButton.textContent = free
        ? "Accept" : `Accept and pay ${formatCents(call.proposed.price_cents, { cents: true })}`;
      this.paidNote.hidden = free;
      this.intro.textContent = `${name} proposes ${termsText(call.proposed)}.`;
      if (changed && previous) {
        this.announcer.textContent = `${name} proposes ${termsText(call.proposed)}.`;
      }
    } else {
      this.shownTerms = null;
      const declined = previous && previous.proposed && previous.state === "negotiating";
      this.intro.textContent = declined
        ? `You declined the terms. ${name} can propose new ones.`
        : call.extension
          ? `The session time is up. Waiting for ${name} to propose more time.`
          : `Waiting for ${name} to propose a price and a length. Talk it through meanwhile.`;
    }
  }

  runClock(deadline, label, fullLength) {
    if (!deadline) {
      this.stopTicking();
      return;
    }
    this.clock.hidden = false;
    this.clockLabel.textContent = label;
    if (this.clockFor === deadline) {
      return;
    }
    this.stopTicking();
    this.clock.hidden = false; // stopTicking hid it
    this.clockFor = deadline;
    this.stopClock = countdown(deadline, (left) => {
      this.clockTime.textContent = formatDuration(left);
      this.clockTime.setAttribute("aria-label", spokenDuration(left));
      const ratio = fullLength > 0 ? Math.min(1, left / fullLength) : 0;
      this.clockBar.style.width = `${(ratio * 100).toFixed(1)}%`;
      this.clock.classList.toggle("is-urgent", left <= 60);
      if (WARN_AT.has(left)) {
        this.announcer.textContent = `${label.replace(/:$/, "")}: ${spokenDuration(left)} left.`;
      }
    });
  }

  stopTicking() {
    if (this.stopClock) {
      this.stopClock();
    }
    this.stopClock = null;
    this.clockFor = null;
    this.clock.hidden = true;
  }

  destroy() {
    this.stopTicking();
    this.element.remove();
  }
}
