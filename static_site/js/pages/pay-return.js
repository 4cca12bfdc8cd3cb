/** Back from PayPal (`/pay-return.html?payment=ID&token=…&PayerID=…`, or `…&cancelled=1&token=…`):
 * captures the approved payment (or cancels it), shows how it went, and tells the page that
 * opened PayPal. Opened as a pop-up it then closes itself; otherwise it links back to where the
 * payment was for (the call room, the library for a store order, or Payments). A store order
 * paid (kind `merchandise`, its order id the payment id without `order-`) leaves the cart of its
 * store (js/store/cart.js) and says what happens next: download, or the seller ships it. A
 * booking paid (kind `appointment`, its booking id the payment id without `booking-`) returns to
 * its booking page (in a tab of its own at once; the pop-up tells the page that opened it). */

import { api, isSignedIn } from "../api.js";
import { announcePayment } from "../checkout.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { formatCents } from "../money.js";
import { PAGES, callUrl, pageUrl, queryParam, signInUrl } from "../paths.js";
import { cartsOfSeller } from "../store/cart.js";

const PAYMENT_ID = /^[A-Za-z0-9_.:-]{1,200}$/;
const CLOSE_AFTER_MS = 1_800;

const card = document.querySelector("[data-testid='payment-outcome']");
const title = card.querySelector("[data-outcome-title]");
const text = card.querySelector("[data-outcome-text]");
const amount = card.querySelector("[data-outcome-amount]");
const actions = card.querySelector("[data-outcome-actions]");
const closing = card.querySelector("[data-outcome-closing]");

const paymentId = queryParam("payment") || "";
const cancelled = queryParam("cancelled") === "1";
const popUp = (() => {
  try {
    return Boolean(window.opener) && window.opener !== window && !window.opener.closed;
  } catch {
    return false;
  }
})();

mountFooter();
if (!popUp) {
  // A tab of its own: the whole site header. In the pop-up only the wordmark (no second socket).
  import("../header.js").then(({ mountHeader }) => mountHeader()).catch(() => {});
}

function show(outcome, heading, message, { payment = null, links = [], retry = null } = {}) {
  card.dataset.outcome = outcome;
  title.textContent = heading;
  text.textContent = message;
  if (payment && Number.isSafeInteger(payment.amount_cents)) {
    amount.hidden = false;
    amount.replaceChildren(
      element("span", { class: "pay-return-sum" }, formatCents(payment.amount_cents, { cents: true })),
      " ",
      element("span", { class: "pay-return-what" }, payment.description || ""));
  }
  const buttons = [];
  if (retry) {
    const again = element("button", { type: "button", class: "button button-primary" }, "Try again");
    again.addEventListener("click", () => {
      again.disabled = true;
      retry();
    });
    buttons.push(again);
  }
  buttons.push(...links);
  if (popUp) {
    const close = element("button", { type: "button", class: "button button-secondary" }, "Close this window");
    close.addEventListener("click", () => window.close());
    buttons.push(close);
  }
  actions.replaceChildren(...buttons);
  title.setAttribute("tabindex", "-1");
  title.focus();
}

/** Where to go back to: the call the payment was for, the library for a store order, the booking
 * page for an appointment, or Payments. */
function backLinks(payment) {
  if (popUp) {
    return [];
  }
  if (payment && payment.kind === "ticket") {
    return [element("a", { class: "button button-primary", href: eventHrefOf(), "data-testid": "open-event" },
      "Back to the event")];
  }
  if (payment && payment.kind === APPOINTMENT) {
    return [element("a", { class: "button button-primary", href: bookingHrefOf(payment), "data-testid": "open-booking" },
      "Open your booking")];
  }
  if (payment && payment.kind === MERCHANDISE) {
    const store = storeHrefOf(payment);
    return [element("a", { class: "button button-primary", href: PAGES.library }, "Open your library"),
      ...(store ? [element("a", { class: "button button-secondary", href: store }, "Back to the store")] : [])];
  }
  if (payment && payment.call_id && payment.kind !== "plan") {
    return [element("a", { class: "button button-primary", href: callUrl({ call: payment.call_id }) },
      "Back to your call")];
  }
  return [element("a", { class: "button button-primary", href: PAGES.payments }, "Go to Payments")];
}

function closeSoon() {
  if (!popUp) {
    return;
  }
  closing.hidden = false;
  closing.textContent = "This window closes by itself in a moment.";
  window.setTimeout(() => window.close(), CLOSE_AFTER_MS);
}

/* ---- Event tickets (js/pages/events.js keeps the event page it left from) ------------- */

function eventHrefOf() {
  let path = null;
  try {
    path = window.sessionStorage.getItem("ik.event-return");
  } catch {
    path = null;
  }
  return typeof path === "string" && /^\/h\/[^/]+\/events\/[A-Za-z0-9]+$/.test(path) ? path : PAGES.payments;
}

/* ---- Appointments --------------------------------------------------------------------- */

const APPOINTMENT = "appointment";
const BOOKING_PREFIX = "booking-";

function bookingHrefOf(payment) {
  const id = String(payment.payment_id || "");
  return pageUrl(PAGES.booking, { id: id.startsWith(BOOKING_PREFIX) ? id.slice(BOOKING_PREFIX.length) : id });
}

/* ---- Store orders -------------------------------------------------------------------- */

const MERCHANDISE = "merchandise";
const ORDER_PREFIX = "order-";

function orderIdOf(payment) {
  const id = String(payment.payment_id || "");
  return id.startsWith(ORDER_PREFIX) ? id.slice(ORDER_PREFIX.length) : id;
}

/** The store this seller's cart was kept for (a same-site path), if this browser has one. */
function storeHrefOf(payment) {
  const cart = payment && payment.helper_id ? cartsOfSeller(payment.helper_id)[0] : null;
  const href = cart && cart.storeHref;
  return typeof href === "string" && href.startsWith("/") && !href.startsWith("//") ? href : null;
}

async function orderOrNull(payment) {
  try {
    const answer = await api.order(orderIdOf(payment));
    return answer && answer.order ? answer.order : null;
  } catch {
    return null;
  }
}

/** A store order is paid: the cart of its store forgets what was ordered, and the buyer reads
 * what comes next, with the way to the library (and back to the store). */
async function storeOrderPaid(payment) {
  const order = await orderOrNull(payment);
  const store = storeHrefOf(payment);
  for (const cart of cartsOfSeller(payment.helper_id)) {
    if (order) {
      cart.forgetOrdered(order.lines);
    } else {
      cart.clear();
    }
  }
  const lines = order && Array.isArray(order.lines) ? order.lines : [];
  const digital = !order || lines.some((line) => line.kind === "digital");
  const ships = Boolean(order && order.ships);
  const sum = formatCents(payment.amount_cents, { cents: true });
  let heading = "Paid — your order is in your library";
  let message = `You paid ${sum}. Your files are ready to download in your library.`;
  if (ships && digital) {
    message = `You paid ${sum}. Your downloads are ready in your library; the seller will ship the rest to the `
      + "address you gave PayPal, and you get an email with the tracking number.";
  } else if (ships) {
    heading = "Paid — the seller will ship it";
    message = `You paid ${sum}. The seller will ship it to the address you gave PayPal; you get an email with `
      + "the tracking number, and you can follow it in your library.";
  }
  const links = popUp ? [] : [
    element("a", { class: "button button-primary", href: pageUrl(PAGES.library, { order: order && order.order_id }),
      "data-testid": "open-library" }, "Open your library"),
    ...(store ? [element("a", { class: "button button-secondary", href: store }, "Back to the store")] : []),
  ];
  show("captured", heading, message, { payment, links });
  announcePayment({ payment_id: paymentId, outcome: "captured", payment, message });
}

async function paymentOrNull() {
  try {
    return await api.payment(paymentId);
  } catch {
    return null;
  }
}

function capturedText(payment) {
  const sum = formatCents(payment.amount_cents, { cents: true });
  switch (payment.kind) {
    case "tip":
      return ["Thank you for your tip", `You tipped ${sum}. Your Helper has been told.`];
    case "plan":
      return ["Your plan is upgraded", `You paid ${sum}. The upgraded plan is active now.`];
    case APPOINTMENT:
      return ["Paid — your time is booked", `You paid ${sum}. The invitation is in your email; your booking opens now.`];
    case "extension":
      return ["Payment complete", `You paid ${sum}. Your extra time starts in the call room now.`];
    default:
      return ["Payment complete", `You paid ${sum}. Your call resumes by itself, and the session timer starts.`];
  }
}

async function cancel() {
  show("working", "Cancelling…", "Telling interKanect you cancelled at PayPal.");
  let payment;
  try {
    payment = await api.cancelPayment(paymentId);
  } catch (error) {
    return failed(error, cancel);
  }
  let message = payment.call_id && payment.kind !== "tip" && payment.kind !== "plan"
    ? "Nothing was charged. The terms are back on the table in your call: accept them to try again, or agree on others."
    : "Nothing was charged.";
  if (payment.kind === MERCHANDISE) {
    message = "Nothing was charged, and your cart is kept: check out again from the store whenever you like.";
  }
  const store = payment.kind === MERCHANDISE && !popUp ? storeHrefOf(payment) : null;
  const links = store
    ? [element("a", { class: "button button-primary", href: store }, "Back to the store")]
    : backLinks(payment);
  show("cancelled", "Payment cancelled", message, { payment, links });
  announcePayment({ payment_id: paymentId, outcome: "cancelled", payment, message });
  closeSoon();
}

async function complete() {
  show("working", "Finishing your payment…", "Back from PayPal. One moment while we confirm your payment with PayPal.");
  let payment;
  try {
    payment = await api.completePayment(paymentId);
  } catch (error) {
    return failed(error, complete);
  }
  if (payment.state === "captured" && payment.kind === MERCHANDISE) {
    await storeOrderPaid(payment);
    closeSoon();
  } else if (payment.state === "captured") {
    const [heading, message] = capturedText(payment);
    show("captured", heading, message, { payment, links: backLinks(payment) });
    announcePayment({ payment_id: paymentId, outcome: "captured", payment, message });
    closeSoon();
    if (payment.kind === APPOINTMENT && !popUp) {
      window.location.replace(bookingHrefOf(payment));
    }
  } else if (payment.state === "created") {
    const message = "PayPal is still processing your payment. It completes by itself in a moment; "
      + "you do not need to pay again.";
    show("pending", "Payment on its way", message, { payment, links: backLinks(payment) });
    announcePayment({ payment_id: paymentId, outcome: "pending", payment, message });
    closeSoon();
  } else {
    const message = payment.closed_reason || `This payment is ${payment.state}.`;
    show("closed", "Payment not completed", message, { payment, links: backLinks(payment) });
    announcePayment({ payment_id: paymentId, outcome: "closed", payment, message });
  }
}

async function failed(error, retry) {
  const code = error && error.code;
  const message = (error && error.message) || "Something went wrong. Please try again.";
  if (code === "signed_out") {
    show("signed_out", "Sign in to finish", "Your session ended. Sign in again, and we finish the payment.", {
      links: [element("a", { class: "button button-primary", href: signInUrl() }, "Sign in")],
    });
    return;
  }
  const payment = await paymentOrNull();
  const links = backLinks(payment);
  if (code === "payment_declined") {
    show("declined", "PayPal declined the payment", message, { payment, links });
    announcePayment({ payment_id: paymentId, outcome: "declined", payment, message });
  } else if (code === "payment_closed") {
    show("closed", "Payment not completed", message, { payment, links });
    announcePayment({ payment_id: paymentId, outcome: "closed", payment, message });
  } else if (code === "payment_not_approved") {
    show("not_approved", "Not approved yet", message, { payment, links, retry });
  } else if (code === "not_found") {
    show("failed", "No such payment", "This link does not lead to a payment of yours.", { links });
  } else {
    // PayPal or the network did not answer: nothing is lost, the same request can run again.
    show("failed", "We could not finish the payment yet", message, { payment, links, retry });
    announcePayment({ payment_id: paymentId, outcome: "failed", payment, message });
  }
}

if (!PAYMENT_ID.test(paymentId)) {
  show("failed", "No payment here", "This page finishes a payment made at PayPal, and this link names none.", {
    links: [element("a", { class: "button button-primary", href: PAGES.payments }, "Go to Payments")],
  });
} else if (!isSignedIn()) {
  show("signed_out", "Sign in to finish", "Sign in with the account that made the payment, and we finish it.", {
    links: [element("a", { class: "button button-primary", href: signInUrl() }, "Sign in")],
  });
} else if (cancelled) {
  cancel();
} else {
  complete();
}
