/** My Store's orders (`/my-orders.html`, `?state=paid|shipped|delivered`): the paid orders of
 * the seller's store, newest first, a page at a time; a paid physical order is marked shipped
 * with its carrier and tracking number (`POST /orders/{id}/shipment`: PayPal and the buyer are
 * told). Cards are drawn by my-store/order-card.js; this module loads and sends. */

import { api, isSignedIn } from "../api.js";
import { clearErrors, requireFields, setBusy, showError, valueOf } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";
import { ORDER_STATES, orderCard, orderNumber } from "./my-store/order-card.js";

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

function draw(orders, { append = false } = {}) {
  const cards = orders.map((order) => orderCard(order, { onShip: ship }));
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
    const card = orderCard(shipped, { onShip: ship });
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
