/** The library (`/library.html`): what the signed-in buyer bought in the Helpers' stores, newest
 * first, a page at a time (`GET /me/orders`, `next_cursor`). A file downloads through a link that
 * works for minutes (each counts against the purchase's downloads); a parcel that arrived is
 * marked so ("It arrived"). While an order allows it (`refund.may_ask`), the buyer asks for a
 * refund (`POST /refunds`); the requests they made (`GET /refunds`) are shown on their orders, so
 * the form is never offered twice. `?order=<id>` marks the order just placed. Orders are drawn by
 * js/store/order-view.js. */

import { api, isSignedIn } from "../api.js";
import { mountFooter } from "../footer.js";
import { clearErrors, setBusy, showError, showFieldError } from "../forms.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { leaveIfSignedOut, queryParam, signInUrl } from "../paths.js";
import { REASON_LIMITS, downloadsLeftText, orderCard, refundSection } from "../store/order-view.js";

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
const asked = new Map(); // payment_id -> the buyer's refund request for it
let cursor = null;

/** The refund requests this buyer made; without them (the request failed) every form is still
 * offered, and asking twice is answered by the server. */
async function loadAsked() {
  try {
    const answer = await api.myRefunds();
    for (const request of Array.isArray(answer.asked) ? answer.asked : []) {
      asked.set(request.payment_id, request);
    }
  } catch {
    // The orders still show; a second request is refused by the server (refund_already_requested).
  }
}

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
    [page] = await Promise.all([api.myOrders({ limit: PAGE_SIZE, cursor: next ? cursor : null }),
      next ? null : loadAsked()]);
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
      list.append(orderCard(order, { isNew: order.order_id === newOrder, request: asked.get(order.payment_id) }));
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
  } else if (button.hasAttribute("data-ask-refund")) {
    toggleRefundForm(card, button.getAttribute("aria-expanded") !== "true");
  } else if (button.hasAttribute("data-refund-cancel")) {
    toggleRefundForm(card, false);
    card.querySelector("[data-ask-refund]")?.focus();
  }
});

list.addEventListener("submit", (event) => {
  const form = event.target instanceof HTMLFormElement && event.target.matches("[data-refund-form]")
    ? event.target : null;
  const card = form ? form.closest("[data-order-id]") : null;
  const order = card ? orders.get(card.getAttribute("data-order-id")) : null;
  if (!form || !order) {
    return;
  }
  event.preventDefault();
  askForRefund(order, card, form);
});

// A reason being fixed loses its error (forms.js's clearFieldErrorsOnInput watches inputs only).
list.addEventListener("input", (event) => {
  const reason = event.target instanceof HTMLTextAreaElement ? event.target : null;
  const form = reason ? reason.closest("[data-refund-form]") : null;
  if (form && reason.hasAttribute("aria-invalid")) {
    reason.removeAttribute("aria-invalid");
    form.querySelector(`[data-error-for="${CSS.escape(reason.name)}"]`).textContent = "";
  }
});

function toggleRefundForm(card, open) {
  const button = card.querySelector("[data-ask-refund]");
  const form = card.querySelector("[data-refund-form]");
  if (!button || !form) {
    return;
  }
  button.setAttribute("aria-expanded", String(open));
  form.hidden = !open;
  if (open) {
    form.querySelector("textarea")?.focus();
  }
}

/** Redraws the card's refund part (the rest of the card, its downloads, stays as it is). */
function redrawRefund(order, card, { message = "" } = {}) {
  const drawn = refundSection(order, asked.get(order.payment_id), { message });
  const current = card.querySelector("[data-refund]");
  if (current && drawn) {
    current.replaceWith(drawn);
  } else if (current) {
    current.remove();
  } else if (drawn) {
    card.querySelector(".order-id")?.before(drawn);
  }
  return drawn;
}

// Answers after which asking again cannot succeed: the card stops offering the form.
const FINAL_REFUSALS = new Set([
  "refund_window_closed", "conflict", "refund_already_requested", "payment_closed", "order_closed"]);

async function askForRefund(order, card, form) {
  clearErrors(form);
  const reason = form.elements.namedItem("reason");
  const text = reason.value.trim();
  if (text.length < REASON_LIMITS.min) {
    showFieldError(form, "reason", `Say a little more: at least ${REASON_LIMITS.min} characters.`);
    return;
  }
  if (text.length > REASON_LIMITS.max) {
    showFieldError(form, "reason", `Keep it under ${REASON_LIMITS.max} characters (${text.length} now).`);
    return;
  }
  setBusy(form, true);
  let request;
  try {
    request = await api.askForRefund({ payment_id: order.payment_id, reason: text });
  } catch (error) {
    setBusy(form, false);
    if (leaveIfSignedOut(error)) {
      return;
    }
    if (error && error.status === 409 && FINAL_REFUSALS.has(error.code)) {
      if (error.code === "refund_already_requested") {
        await loadAsked();
      }
      order.refund = { ...order.refund, may_ask: false, why_not: error.message };
      const drawn = redrawRefund(order, card, { message: asked.has(order.payment_id) ? "" : error.message });
      drawn?.querySelector("[tabindex='-1']")?.focus();
      return;
    }
    showError(form, error);
    return;
  }
  asked.set(order.payment_id, request);
  const drawn = redrawRefund(order, card);
  status.textContent = "Your refund request was sent.";
  drawn?.querySelector("[data-testid='refund-asked']")?.focus();
}

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
    const redrawn = orderCard(updated, { isNew: card.classList.contains("is-new"),
      request: asked.get(order.payment_id) });
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
