/** My Store's orders (`/my-orders.html`, `?state=paid|shipped|delivered`): the paid orders of
 * the seller's store, newest first, a page at a time; a paid physical order is marked shipped
 * with its carrier and tracking number (`POST /orders/{id}/shipment`: PayPal and the buyer are
 * told), and any of them refunded, in part or whole, once confirmed (`POST /orders/{id}/refunds`).
 * Cards are drawn by my-store/order-card.js; this module loads and sends. */

import { api, isSignedIn } from "../api.js";
import { clearErrors, requireFields, setBusy, showError, valueOf } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";
import { formatCents } from "../money.js";
import { refundableCents } from "./my-store/catalogue.js";
import { ORDER_STATES, orderCard, orderNumber, setRefundStep } from "./my-store/order-card.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountFooter();

const asked = new URLSearchParams(window.location.search).get("state") || "";
const state = Object.hasOwn(ORDER_STATES, asked) ? asked : "";

const statusLine = document.querySelector("[data-orders-status]");
const failureSlot = document.querySelector("[data-orders-failure]");
const notHelper = document.querySelector("[data-not-helper]");
const ordersView = document.querySelector("[data-orders]");
const notice = document.querySelector("[data-orders-notice]");
const list = document.querySelector("[data-order-list]");
const empty = document.querySelector("[data-orders-empty]");
const emptyTitle = document.querySelector("[data-orders-empty-title]");
const emptyText = document.querySelector("[data-orders-empty-text]");
const more = document.querySelector("[data-more-orders]");

let nextCursor = null;

for (const tab of document.querySelectorAll("[data-state-tab]")) {
  if (tab.getAttribute("data-state-tab") === state) {
    tab.setAttribute("aria-current", "page");
  }
}
if (state) {
  document.title = `${ORDER_STATES[state]} orders — My Store — interKanect`;
}

const EMPTY = {
  "": ["No orders yet", "When someone buys from your store, their order shows here."],
  paid: ["Nothing waiting", "Paid orders show here until you ship them."],
  shipped: ["Nothing on its way", "Orders you marked shipped show here until they are delivered."],
  delivered: ["Nothing delivered yet", "Orders show here once the buyer has them."],
};

function cardOf(order, { open = false } = {}) {
  return orderCard(order, { onShip: ship, onRefund: refund, open });
}

function draw(orders, { append = false } = {}) {
  const cards = orders.map((order) => cardOf(order));
  if (append) {
    list.append(...cards);
  } else {
    list.replaceChildren(...cards);
  }
  const [title, text] = EMPTY[state];
  emptyTitle.textContent = title;
  emptyText.textContent = text;
  empty.hidden = list.children.length > 0;
  more.hidden = !nextCursor;
}

async function ship(form, order) {
  clearErrors(form);
  notice.hidden = true;
  if (!requireFields(form, { tracking_number: "Enter the tracking number the carrier gave you." })) {
    return;
  }
  const carrier = valueOf(form, "carrier");
  if (carrier === "OTHER" && !requireFields(form, { carrier_name: "Name the carrier." })) {
    return;
  }
  setBusy(form, true);
  try {
    const { order: shipped } = await api.shipOrder(order.order_id, {
      carrier,
      tracking_number: valueOf(form, "tracking_number"),
      carrier_name: carrier === "OTHER" ? valueOf(form, "carrier_name") : null,
    });
    const card = cardOf(shipped);
    form.closest("[data-order-id]").replaceWith(card);
    notice.textContent = `Order ${orderNumber(shipped)} is marked shipped. The buyer gets the tracking number by email.`;
    notice.hidden = false;
    card.querySelector("h2").focus();
  } catch (error) {
    setBusy(form, false);
    if (!leaveIfSignedOut(error)) {
      showError(form, error);
    }
  }
}

/** Sends a confirmed refund; the card is drawn again from the order the API answers with. A
 * refusal about the amount, or a 409, may mean the order was refunded meanwhile (a request the
 * buyer made, another tab): the card is redrawn from the order as it is now, its form open. */
async function refund(form, order, { amount_cents, reason }) {
  notice.hidden = true;
  setRefundStep(form, "sending");
  try {
    const { order: refunded } = await api.refundOrder(order.order_id, { amount_cents, reason });
    const card = cardOf(refunded);
    form.closest("[data-order-id]").replaceWith(card);
    const amount = formatCents(amount_cents, { cents: true });
    const number = orderNumber(refunded);
    notice.textContent = refunded.refunded_cents > (order.refunded_cents || 0)
      ? `${amount} of order ${number} went back to the buyer through PayPal. They get an email.`
      : `PayPal is still processing the refund of ${amount} for order ${number}: the order shows it once done.`;
    notice.hidden = false;
    card.querySelector("h2").focus();
  } catch (error) {
    if (leaveIfSignedOut(error)) {
      return;
    }
    setRefundStep(form, "edit");
    const now = error.field === "amount_cents" || error.status === 409 ? await orderNow(order) : null;
    if (!now || now.refunded_cents === order.refunded_cents) {
      showError(form, error);
      return;
    }
    const card = cardOf(now, { open: true });
    form.closest("[data-order-id]").replaceWith(card);
    const redrawn = card.querySelector("[data-refund-form]");
    if (!redrawn) {
      card.querySelector("h2").focus(); // nothing is left to refund: the card says so
      return;
    }
    const left = formatCents(refundableCents(now), { cents: true });
    showError(redrawn, { field: "amount_cents", message: `The order was refunded meanwhile: ${left} is left.` });
  }
}

/** The order as the API has it now, or null if it cannot tell. */
async function orderNow(order) {
  try {
    return (await api.order(order.order_id)).order;
  } catch {
    return null;
  }
}

more.addEventListener("click", async () => {
  more.disabled = true;
  try {
    const found = await api.storeOrders({ state, cursor: nextCursor });
    nextCursor = found.next_cursor || null;
    draw(found.orders || [], { append: true });
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      failureSlot.replaceChildren(loadFailure(error, () => window.location.reload()));
    }
  } finally {
    more.disabled = false;
  }
});

async function load(user) {
  failureSlot.replaceChildren();
  statusLine.textContent = "Loading your orders…";
  try {
    if (user && user.is_helper === false) {
      notHelper.hidden = false;
      return;
    }
    const found = await api.storeOrders({ state });
    nextCursor = found.next_cursor || null;
    draw(found.orders || []);
    ordersView.hidden = false;
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      failureSlot.replaceChildren(loadFailure(error, () => load(user)));
    }
  } finally {
    statusLine.textContent = "";
  }
}

if (isSignedIn()) {
  const user = await mountHeader();
  if (!user && !isSignedIn()) {
    window.location.replace(signInUrl()); // the session could not be renewed
  } else {
    await load(user);
  }
}
