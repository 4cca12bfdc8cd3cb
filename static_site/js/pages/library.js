/** The library (`/library.html`): what the signed-in buyer bought in the Helpers' stores, newest
 * first, a page at a time (`GET /me/orders`, `next_cursor`). A file downloads through a link that
 * works for minutes (each counts against the purchase's downloads); a parcel that arrived is
 * marked so ("It arrived"). `?order=<id>` marks the order just placed. Orders are drawn by
 * js/store/order-view.js. */

import { api, isSignedIn } from "../api.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { leaveIfSignedOut, queryParam, signInUrl } from "../paths.js";
import { downloadsLeftText, orderCard } from "../store/order-view.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const PAGE_SIZE = 20;
const status = document.querySelector("[data-library-status]");
const failure = document.querySelector("[data-library-failure]");
const empty = document.querySelector("[data-library-empty]");
const list = document.querySelector("[data-order-list]");
const more = document.querySelector("[data-library-more]");
const newOrder = queryParam("order");

const orders = new Map(); // order_id -> the order as last drawn
let cursor = null;

async function load({ next = false } = {}) {
  failure.replaceChildren();
  more.disabled = true;
  if (!next) {
    status.textContent = "Loading your purchases…";
  } else {
    more.textContent = "Loading…";
  }
  let page;
  try {
    page = await api.myOrders({ limit: PAGE_SIZE, cursor: next ? cursor : null });
  } catch (error) {
    status.textContent = "";
    more.textContent = "Show older orders";
    more.disabled = false;
    if (!leaveIfSignedOut(error)) {
      failure.replaceChildren(loadFailure(error, () => load({ next })));
    }
    return;
  }
  cursor = page.next_cursor || null;
  const found = Array.isArray(page.orders) ? page.orders : [];
  for (const order of found) {
    if (!orders.has(order.order_id)) {
      orders.set(order.order_id, order);
      list.append(orderCard(order, { isNew: order.order_id === newOrder }));
    }
  }
  empty.hidden = orders.size > 0;
  more.hidden = !cursor;
  more.disabled = false;
  more.textContent = "Show older orders";
  status.textContent = orders.size
    ? (next ? `${found.length} older ${found.length === 1 ? "order" : "orders"} shown.` : "")
    : "";
  if (!next && newOrder) {
    const card = list.querySelector(`[data-order-id="${CSS.escape(newOrder)}"]`);
    if (card) {
      status.textContent = "Your order is in your library.";
      card.scrollIntoView({ block: "center" });
    }
  }
}

more.addEventListener("click", () => load({ next: true }));

list.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button") : null;
  const card = button ? button.closest("[data-order-id]") : null;
  if (!button || !card || button.disabled) {
    return;
  }
  const order = orders.get(card.getAttribute("data-order-id"));
  if (!order) {
    return;
  }
  if (button.hasAttribute("data-download")) {
    download(order, button);
  } else if (button.hasAttribute("data-delivered")) {
    arrived(order, card, button);
  }
});

async function download(order, button) {
  const slug = button.getAttribute("data-slug");
  const fileId = button.getAttribute("data-file-id");
  const row = button.closest("li[data-file-id]");
  const problem = row.querySelector("[data-file-problem]");
  const left = row.querySelector("[data-downloads-left]");
  problem.textContent = "";
  button.disabled = true;
  button.textContent = "Preparing…";
  let link;
  try {
    link = await api.downloadLink(order.order_id, slug, fileId);
  } catch (error) {
    button.textContent = "Download";
    if (leaveIfSignedOut(error)) {
      return;
    }
    if (error && error.code === "download_limit_reached") {
      showLeft(left, 0);
      problem.textContent = error.message;
    } else if (error && error.status === 403) {
      problem.textContent = error.message || "This file is no longer yours to download.";
    } else {
      problem.textContent = (error && error.message) || "The download could not start. Try again.";
      button.disabled = false;
    }
    return;
  }
  const remaining = Math.max(0, Number.parseInt(left.getAttribute("data-downloads-left"), 10) - 1);
  showLeft(left, remaining);
  const file = (order.files || []).find((f) => f.slug === slug && f.file_id === fileId);
  if (file) {
    file.downloads_left = remaining;
  }
  button.textContent = "Download";
  button.disabled = remaining === 0;
  if (typeof link.url === "string" && /^https?:\/\//.test(link.url)) {
    // The link answers the file as an attachment: the browser saves it and this page stays.
    window.location.assign(link.url);
  }
}

function showLeft(slot, left) {
  slot.setAttribute("data-downloads-left", String(left));
  slot.textContent = downloadsLeftText(left);
}

async function arrived(order, card, button) {
  button.disabled = true;
  button.textContent = "Saving…";
  try {
    const answer = await api.orderDelivered(order.order_id);
    const updated = { ...order, ...answer.order, files: order.files };
    orders.set(order.order_id, updated);
    const redrawn = orderCard(updated, { isNew: card.classList.contains("is-new") });
    card.replaceWith(redrawn);
    status.textContent = "Marked as delivered. Enjoy!";
    redrawn.querySelector("[data-testid='shipment-text']")?.setAttribute("tabindex", "-1");
    redrawn.querySelector("[data-testid='shipment-text']")?.focus();
  } catch (error) {
    if (leaveIfSignedOut(error)) {
      return;
    }
    button.disabled = false;
    button.textContent = "It arrived";
    status.textContent = (error && error.message) || "That could not be saved. Try again.";
  }
}

if (isSignedIn()) {
  load();
}
