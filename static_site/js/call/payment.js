/** Paying for a call's agreed terms (a session or an extension), on the caller's side.
 *
 * Accepting paid terms opens the PayPal window during the click (`openWindow`), before the
 * accept goes out; once the call waits for payment the room hands every call view to `update`,
 * which asks the server for the payment of this round (`POST /calls/{id}/payment`: the same
 * payment however often it is asked) and points the window at PayPal. When the browser blocked
 * the window, or the person closed it, the box offers a "Pay with PayPal" link instead. The
 * payment's outcome comes back from /pay-return.html (see js/checkout.js); the call itself
 * resumes by the server's `call` message, whoever finished the payment. */

import { api } from "../api.js";
import { PayPalWindow, isPayPalUrl, listenForPayments, payPalLink } from "../checkout.js";
import { element } from "../dom.js";
import { formatCents } from "../money.js";

const RETRIES = 3;

export class CallPayment {
  /**
   * @param {object} options
   * @param {() => string} options.callId
   * @param {(result: {outcome: string, message: string}) => void} options.onOutcome a payment of
   *   this call came back from PayPal (captured, cancelled, declined, closed, failed)
   */
  constructor({ callId, onOutcome }) {
    this.callId = callId;
    this.onOutcome = onOutcome;
    this.paypal = null; // the PayPal window opened by the last accept
    this.round = null; // which stay in awaiting_payment the payment is for (its deadline)
    this.payment = null;
    this.settled = false; // PayPal's return page said this round's payment went through
    this.fetching = null;
    this.build();
    this.stopListening = listenForPayments((result) => this.heard(result));
  }

  build() {
    this.status = element("p", { class: "payment-status", role: "status", "data-payment-status": "" });
    this.actions = element("div", { class: "phase-actions payment-actions" });
    this.alert = element("p", { class: "form-alert", role: "alert" });
    this.element = element("div", { class: "payment-box", "data-testid": "payment-box" },
      this.status, this.actions, this.alert);
  }

  /** Opens the PayPal window now, in the click that accepts paid terms. */
  openWindow() {
    if (this.paypal) {
      this.paypal.forget();
    }
    this.paypal = PayPalWindow.open();
    return this.paypal;
  }

  /** The accept was refused: the window it opened is not needed. */
  abandonWindow() {
    if (this.paypal && !this.paypal.pointed) {
      this.paypal.close();
    }
    this.paypal = null;
  }

  /** Every call view: a new round of awaiting payment fetches its payment; leaving it tidies up. */
  update(call) {
    if (call.state === "awaiting_payment") {
      const round = call.state_deadline;
      if (round !== this.round) {
        this.round = round;
        this.payment = null;
        this.settled = false;
        this.alert.textContent = "";
        this.fetching = this.fetch(round);
      }
      return;
    }
    this.round = null;
    this.payment = null;
    if (this.paypal && (!this.paypal.pointed || call.state === "ended")) {
      this.paypal.close(); // nothing left to pay there (PayPal's return page closes itself otherwise)
    }
    if (this.paypal) {
      this.paypal.forget();
    }
    this.paypal = null;
  }

  async fetch(round) {
    this.status.textContent = "Opening PayPal…";
    this.actions.replaceChildren();
    for (let attempt = 1; ; attempt += 1) {
      try {
        const payment = await api.payForCall(this.callId());
        if (round !== this.round) {
          return;
        }
        this.payment = payment;
        this.showPayment(payment);
        return;
      } catch (error) {
        if (round !== this.round) {
          return;
        }
        const transient = error && (error.status === 0 || error.status >= 500);
        if (transient && attempt < RETRIES) {
          continue;
        }
        this.abandonWindow();
        this.status.textContent = "";
        this.alert.textContent = (error && error.message) || "We could not start the payment.";
        const again = element("button", { type: "button", class: "button button-primary" }, "Try again");
        again.addEventListener("click", () => {
          this.alert.textContent = "";
          this.fetching = this.fetch(round);
        });
        this.actions.replaceChildren(again, this.cancelButton());
        return;
      }
    }
  }

  showPayment(payment) {
    const sum = formatCents(payment.amount_cents, { cents: true });
    if (payment.state === "captured") {
      this.status.textContent = `Payment of ${sum} received. Resuming your call…`;
      this.actions.replaceChildren();
      return;
    }
    if (payment.state !== "created" || !isPayPalUrl(payment.approve_url)) {
      this.status.textContent = payment.closed_reason || "This payment can no longer be made.";
      this.actions.replaceChildren();
      return;
    }
    if (this.paypal && this.paypal.go(payment.approve_url)) {
      this.status.textContent = `Approve ${sum} in the PayPal window. Your call resumes by itself `
        + "as soon as the payment goes through.";
      this.paypal.onClosed(() => this.windowClosed());
    } else {
      const blocked = Boolean(this.paypal); // a window was asked for, and the browser refused it
      this.paypal = null;
      this.status.textContent = blocked
        ? `Your browser did not open the PayPal window. Pay ${sum} with PayPal here; your call `
          + "resumes by itself once the payment goes through."
        : `Pay ${sum} with PayPal to go on; your call resumes by itself once the payment goes through.`;
    }
    this.actions.replaceChildren(this.payLink(payment), this.cancelButton());
  }

  windowClosed() {
    if (!this.payment || this.round === null || this.settled) {
      return;
    }
    this.paypal = null;
    this.status.textContent = "The PayPal window was closed. Pay with PayPal to go on, or cancel "
      + "to go back to the terms.";
  }

  payLink(payment) {
    return payPalLink(payment.approve_url, {
      onWindow: (paypal) => {
        if (this.paypal && this.paypal !== paypal) {
          this.paypal.forget();
        }
        this.paypal = paypal;
        paypal.onClosed(() => this.windowClosed());
      },
    });
  }

  cancelButton() {
    const button = element("button", { type: "button", class: "button button-secondary" }, "Cancel payment");
    button.addEventListener("click", async () => {
      const payment = this.payment;
      button.disabled = true;
      this.alert.textContent = "";
      try {
        if (payment) {
          await api.cancelPayment(payment.payment_id);
        }
        if (this.paypal) {
          this.paypal.close();
          this.paypal = null;
        }
        this.onOutcome({ outcome: "cancelled", message: "You cancelled the payment. Nothing was charged." });
      } catch (error) {
        this.alert.textContent = (error && error.message) || "The payment could not be cancelled.";
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  /** An outcome announced by /pay-return.html: only this call's session and extension payments. */
  heard(result) {
    const payment = result.payment || {};
    const ours = result.payment_id.startsWith(`call-${this.callId()}-`)
      || (payment.call_id === this.callId() && payment.kind !== "tip" && payment.kind !== "plan");
    if (!ours) {
      return;
    }
    if (result.outcome === "captured" || result.outcome === "pending") {
      this.settled = true;
      this.status.textContent = result.outcome === "captured"
        ? "Payment received. Resuming your call…"
        : "PayPal is still processing the payment; your call resumes by itself once it completes.";
      this.actions.replaceChildren();
    } else if (result.outcome === "failed") {
      this.alert.textContent = result.message || "The payment did not go through yet.";
    }
    this.onOutcome(result);
  }

  destroy() {
    this.stopListening();
    if (this.paypal) {
      this.paypal.forget();
    }
  }
}
