/** Tips in a session, for Helpers on the upgraded plan: the caller picks $2, $5, $10 or an
 * amount of their own and approves it at PayPal (the same window as paying for terms); both
 * sides see each tip once it has gone through (the server's `tip` message). The server checks
 * the amount and the plan; the browser only says what the person chose. */

import { api } from "../api.js";
import { PayPalWindow, isPayPalUrl, listenForPayments, payPalLink } from "../checkout.js";
import { element } from "../dom.js";
import { dollarsToCents, formatCents } from "../money.js";

const QUICK_TIPS = [200, 500, 1000];

export class TipJar {
  /**
   * @param {object} options
   * @param {"caller"|"helper"} options.role
   * @param {() => string} options.callId
   * @param {() => string} options.peerName
   */
  constructor({ role, callId, peerName }) {
    this.role = role;
    this.callId = callId;
    this.peerName = peerName;
    this.open = false; // tipping is possible right now (caller, upgraded plan, in session)
    this.seen = new Set();
    this.pending = new Map(); // payment_id -> amount, tips waiting at PayPal
    this.build();
    this.stopListening = listenForPayments((result) => this.heard(result));
  }

  build() {
    this.title = element("h2", { class: "panel-title", id: "tip-title" }, "Tip");
    this.intro = element("p", { class: "panel-text" });
    this.quick = element("div", { class: "quick-picks tip-quick", role: "group", "aria-label": "Tip amounts" },
      ...QUICK_TIPS.map((cents) => {
        const button = element("button", {
          type: "button", class: "button button-secondary button-small", "data-tip-cents": String(cents),
        }, `Tip ${formatCents(cents)}`);
        button.addEventListener("click", () => this.give(cents, button));
        return button;
      }));
    this.amount = element("input", {
      id: "tip-amount", name: "amount", type: "text", inputmode: "decimal", autocomplete: "off",
      "aria-describedby": "tip-amount-hint",
    });
    this.customButton = element("button", { type: "submit", class: "button button-secondary" }, "Tip");
    this.form = element("form", { class: "tip-form", novalidate: "" },
      element("div", { class: "field" },
        element("label", { for: "tip-amount" }, "Another amount"),
        element("div", { class: "tip-form-row" },
          element("div", { class: "money-input" },
            element("span", { class: "money-sign", "aria-hidden": "true" }, "$"), this.amount),
          this.customButton),
        element("p", { class: "field-hint", id: "tip-amount-hint" }, "US dollars, like 3 or 7.50.")));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const cents = dollarsToCents(this.amount.value);
      if (cents === null || cents <= 0) {
        this.amount.setAttribute("aria-invalid", "true");
        this.alert.textContent = "Enter an amount in dollars, like 3 or 7.50.";
        this.amount.focus();
        return;
      }
      this.amount.removeAttribute("aria-invalid");
      this.give(cents, this.customButton);
    });
    this.controls = element("div", { class: "tip-controls" }, this.intro, this.quick, this.form);
    this.status = element("p", { class: "payment-status", role: "status" });
    this.actions = element("div", { class: "phase-actions" });
    this.alert = element("p", { class: "form-alert", role: "alert" });
    this.feed = element("ul", { class: "tip-feed", "aria-label": "Tips in this call", "data-testid": "tip-feed" });
    this.element = element("section", {
      class: "room-card tip-card", "aria-labelledby": "tip-title", "data-testid": "tips", hidden: "",
    }, this.title, this.controls, this.status, this.actions, this.alert, this.feed);
  }

  /** Shows the tip controls only while the caller can tip (upgraded plan, in session). */
  update(call) {
    this.open = this.role === "caller" && call.plan === "upgraded" && call.state === "in_session";
    this.controls.hidden = !this.open;
    this.title.textContent = this.role === "caller" ? `Tip ${this.peerName()}` : "Tips";
    this.intro.textContent = `Glad of the help? Leave ${this.peerName()} a tip. You approve it at PayPal.`;
    if (!this.open) {
      this.status.textContent = this.pending.size ? this.status.textContent : "";
      this.actions.replaceChildren();
    }
    this.element.hidden = !this.open && this.feed.childElementCount === 0;
  }

  /** Opens the PayPal window during the click, then asks the server for the tip's payment. */
  async give(cents, button) {
    if (!this.open) {
      return;
    }
    const paypal = PayPalWindow.open();
    this.alert.textContent = "";
    this.status.textContent = `Opening PayPal for your ${formatCents(cents)} tip…`;
    this.actions.replaceChildren();
    button.disabled = true;
    let payment;
    try {
      payment = await api.tip(this.callId(), { amount_cents: cents });
    } catch (error) {
      paypal.close();
      this.status.textContent = "";
      this.alert.textContent = (error && error.message) || "The tip could not be started.";
      return;
    } finally {
      button.disabled = false;
    }
    if (payment.state !== "created" || !isPayPalUrl(payment.approve_url)) {
      paypal.close();
      this.status.textContent = payment.closed_reason || "This tip can no longer be paid.";
      return;
    }
    this.pending.set(payment.payment_id, payment.amount_cents);
    const sum = formatCents(payment.amount_cents);
    if (paypal.go(payment.approve_url)) {
      this.status.textContent = `Approve your ${sum} tip in the PayPal window.`;
    } else {
      this.status.textContent = `Your browser did not open the PayPal window. Pay your ${sum} tip with PayPal here.`;
    }
    this.actions.replaceChildren(payPalLink(payment.approve_url, { label: `Pay ${sum} tip with PayPal` }));
  }

  /** PayPal's return page told how a tip of ours went. */
  heard(result) {
    if (!this.pending.has(result.payment_id)) {
      return;
    }
    const sum = formatCents(this.pending.get(result.payment_id));
    this.actions.replaceChildren();
    if (result.outcome === "captured") {
      this.pending.delete(result.payment_id);
      this.status.textContent = "";
    } else if (result.outcome === "pending") {
      this.status.textContent = `PayPal is still processing your ${sum} tip.`;
    } else {
      this.pending.delete(result.payment_id);
      this.status.textContent = "";
      this.alert.textContent = result.outcome === "cancelled"
        ? `You cancelled the ${sum} tip. Nothing was charged.`
        : result.message || `The ${sum} tip did not go through.`;
    }
  }

  /** The server's `tip` message: a tip went through; both sides see it, once. */
  tipped(message) {
    if (message.call_id !== this.callId() || this.seen.has(message.payment_id)) {
      return;
    }
    this.seen.add(message.payment_id);
    this.pending.delete(message.payment_id);
    const sum = formatCents(Number(message.amount_cents));
    const text = this.role === "caller"
      ? `You tipped ${this.peerName()} ${sum}. Thank you!`
      : `${this.peerName()} tipped you ${sum}!`;
    if (this.role === "caller") {
      this.status.textContent = "";
      this.actions.replaceChildren();
    }
    this.feed.prepend(element("li", { class: "tip-line" }, text));
    this.element.hidden = false;
    return text;
  }

  destroy() {
    this.stopListening();
    this.element.remove();
  }
}
