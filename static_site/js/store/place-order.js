/** Turning a store's cart into an order (`POST /checkout`), and every answer the store may give
 * as one outcome the page can act on. No DOM here.
 *
 * `placeOrder({seller, lines})` resolves to one of:
 *   {outcome: "approve", url, order, payment} — go to PayPal's approval page at `url`;
 *   {outcome: "paid", order}                  — a free digital order, in the library already;
 *   {outcome: "sign_in"}                      — nobody (or an ended session) is signed in;
 *   {outcome: "changed", current, message}    — 409 cart_changed: `current` is the cart as the
 *                                               store has it now (error.details.lines);
 *   {outcome: "sold_out", message}            — 409 sold_out: fewer units left than asked;
 *   {outcome: "refused", message}             — anything else the store said no to (400, 403, 409);
 *   {outcome: "unavailable", message}         — 503 or the network: nothing was ordered, try later. */

import { api, isSignedIn } from "../api.js";
import { isPayPalUrl } from "../checkout.js";

const UNAVAILABLE = "PayPal or the store cannot be reached right now. Nothing was ordered or charged; "
  + "try again in a moment.";

export async function placeOrder({ seller, lines }) {
  if (!isSignedIn()) {
    return { outcome: "sign_in" };
  }
  let answer;
  try {
    answer = await api.checkout({ seller, lines });
  } catch (error) {
    return refusal(error);
  }
  const { order, payment } = answer || {};
  if (!payment) {
    return { outcome: "paid", order };
  }
  if (payment.state !== "created" || !isPayPalUrl(payment.approve_url)) {
    return { outcome: "refused", message: payment.closed_reason || "This payment can no longer be made." };
  }
  return { outcome: "approve", url: payment.approve_url, order, payment };
}

function refusal(error) {
  const code = error && error.code;
  const status = error && error.status;
  const message = (error && error.message) || "Something went wrong. Please try again.";
  if (code === "signed_out") {
    return { outcome: "sign_in" };
  }
  if (status === 409 && code === "cart_changed") {
    const lines = error.details && Array.isArray(error.details.lines) ? error.details.lines : [];
    return { outcome: "changed", current: lines, message };
  }
  if (status === 409 && code === "sold_out") {
    return { outcome: "sold_out", message };
  }
  if (status === 503 || status === 0 || status >= 500) {
    return { outcome: "unavailable", message: status === 503 && message ? `${message} Nothing was charged.` : UNAVAILABLE };
  }
  return { outcome: "refused", message };
}
