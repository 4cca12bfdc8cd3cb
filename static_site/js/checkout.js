/** Paying at PayPal from a page of the site: the PayPal window, and hearing how it went.
 *
 * Pop-up blockers only allow a window opened during the click itself, while the payment is only
 * created after a round trip to the server. So the click opens an empty window at once
 * (`PayPalWindow.open()`), the page asks the server for the payment, and then points that
 * window at PayPal's approval page (`go(approve_url)`). When it could not be opened, the page
 * offers a plain "Pay with PayPal" link instead.
 *
 * PayPal sends the window back to /pay-return.html, which captures (or cancels) the payment
 * and tells the page that opened it (`announcePayment`): by `postMessage` to its opener on the
 * same origin, and on the BroadcastChannel "ik-payments" for any other tab of the site (a
 * payment opened from a plain link has no opener). `listenForPayments` hears both, once. */

import { element } from "./dom.js";

export const PAYMENT_CHANNEL = "ik-payments";
const MESSAGE_TYPE = "ik-payment";
const WINDOW_NAME = "ik-paypal";
const WINDOW_FEATURES = "popup,width=520,height=760";
const CLOSED_POLL_MS = 700;

export class PayPalWindow {
  constructor(handle) {
    this.handle = handle;
    this.pointed = false;
    this.closedTimer = 0;
  }

  /** Opens the PayPal window, still empty (or at `approveUrl` when it is known already). Call it
   * synchronously in a click handler. */
  static open(approveUrl = null) {
    const url = approveUrl && isPayPalUrl(approveUrl) ? approveUrl : "about:blank";
    let handle = null;
    try {
      handle = window.open(url, WINDOW_NAME, WINDOW_FEATURES);
    } catch {
      handle = null;
    }
    const paypal = new PayPalWindow(handle);
    if (url === "about:blank") {
      paypal.showWaiting();
    } else if (handle) {
      paypal.pointed = true;
    }
    return paypal;
  }

  /** True when the browser refused to open the window (or it is already closed). */
  get blocked() {
    return !this.handle || this.handle.closed;
  }

  showWaiting() {
    if (this.blocked) {
      return;
    }
    try {
      const doc = this.handle.document;
      doc.title = "Opening PayPal… — interKanect";
      doc.body.replaceChildren(doc.createTextNode("Opening PayPal…"));
    } catch {
      // Not ours to write to (the window already shows another page): nothing to say there.
    }
  }

  /** Sends the window to PayPal's approval page; false when there is no window to send. */
  go(approveUrl) {
    if (this.blocked || !isPayPalUrl(approveUrl)) {
      return false;
    }
    try {
      this.handle.location.replace(approveUrl);
      this.handle.focus();
    } catch {
      return false;
    }
    this.pointed = true;
    return true;
  }

  /** Calls `listener()` once when the person closes the window. */
  onClosed(listener) {
    window.clearInterval(this.closedTimer);
    if (!this.handle) {
      return;
    }
    this.closedTimer = window.setInterval(() => {
      if (!this.handle || this.handle.closed) {
        window.clearInterval(this.closedTimer);
        listener();
      }
    }, CLOSED_POLL_MS);
  }

  close() {
    window.clearInterval(this.closedTimer);
    if (this.handle && !this.handle.closed) {
      try {
        this.handle.close();
      } catch {
        // Already gone.
      }
    }
  }

  /** Stops watching the window without closing it (PayPal's return page closes it itself). */
  forget() {
    window.clearInterval(this.closedTimer);
  }
}

/** Only an http(s) address is ever put in a window or a link (never `javascript:` and such). */
export function isPayPalUrl(url) {
  try {
    const parsed = new URL(String(url));
    return parsed.protocol === "https:" || parsed.protocol === "http:";
  } catch {
    return false;
  }
}

/** "Pay with PayPal": a link to PayPal's approval page whose click opens it in the PayPal
 * window (`onWindow(paypalWindow)` is told); when even that is blocked, the link itself opens
 * PayPal in a new tab. Null for an address that is not http(s). */
export function payPalLink(approveUrl, { label = "Pay with PayPal", onWindow = () => {} } = {}) {
  if (!isPayPalUrl(approveUrl)) {
    return null;
  }
  const link = element("a", {
    class: "button button-primary paypal-link", href: approveUrl, target: "_blank",
    rel: "noopener", "data-testid": "pay-with-paypal",
  }, label);
  link.addEventListener("click", (event) => {
    const paypal = PayPalWindow.open(approveUrl);
    if (!paypal.blocked) {
      event.preventDefault();
      onWindow(paypal);
    }
  });
  return link;
}

/**
 * Tells the page that opened PayPal (and any other tab) how the payment went.
 * @param {{payment_id: string, outcome: "captured"|"pending"|"cancelled"|"declined"|"closed"|"failed",
 *   payment?: object, message?: string}} result
 */
export function announcePayment(result) {
  const message = { type: MESSAGE_TYPE, ...result };
  try {
    if (window.opener && !window.opener.closed) {
      window.opener.postMessage(message, window.location.origin);
    }
  } catch {
    // The opener is gone or no longer ours: the channel below still carries it.
  }
  if (typeof BroadcastChannel === "function") {
    const channel = new BroadcastChannel(PAYMENT_CHANNEL);
    channel.postMessage(message);
    channel.close();
  }
}

/** Calls `listener(result)` for every payment outcome announced by /pay-return.html (each
 * outcome once, though it comes both ways). Returns the function that stops listening. */
export function listenForPayments(listener) {
  const seen = new Set();
  const receive = (data) => {
    if (!data || typeof data !== "object" || data.type !== MESSAGE_TYPE
        || typeof data.payment_id !== "string" || typeof data.outcome !== "string") {
      return;
    }
    const key = `${data.payment_id}:${data.outcome}`;
    if (seen.has(key)) {
      return;
    }
    seen.add(key);
    listener(data);
  };
  const onMessage = (event) => {
    if (event.origin === window.location.origin) {
      receive(event.data);
    }
  };
  window.addEventListener("message", onMessage);
  let channel = null;
  if (typeof BroadcastChannel === "function") {
    channel = new BroadcastChannel(PAYMENT_CHANNEL);
    channel.addEventListener("message", (event) => receive(event.data));
  }
  return () => {
    window.removeEventListener("message", onMessage);
    if (channel) {
      channel.close();
    }
  };
}
