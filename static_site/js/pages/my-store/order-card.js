/** My Store's orders drawn: one card per order — its lines and total, where it ships (the
 * address PayPal gave), how it left (carrier and tracking number), what was refunded, for a
 * paid physical order the form that marks it shipped, and while money is left the Refund
 * disclosure (amount and reason, then a confirm step). The wiring (my-orders.js) sends both. */

import { element } from "../../dom.js";
import { clearErrors, showFieldError } from "../../forms.js";
import { centsToInput, formatCents } from "../../money.js";
import { formatWhen, isoOf } from "../../when.js";
import { REFUND_REASON, readRefund, refundableCents } from "./catalogue.js";

export const ORDER_STATES = Object.freeze({
  paid: "Paid",
  shipped: "Shipped",
  delivered: "Delivered",
});

export const CARRIERS = Object.freeze({
  USPS: "USPS", UPS: "UPS", FEDEX: "FedEx", DHL: "DHL", OTHER: "Another carrier",
});

const regions = (() => {
  try {
    return new Intl.DisplayNames([...navigator.languages, "en"], { type: "region" });
  } catch {
    return null;
  }
})();

function countryName(code) {
  try {
    return (regions && code && regions.of(code)) || code || "";
  } catch {
    return code || "";
  }
}

function money(cents) {
  return formatCents(cents, { cents: true });
}

/** A short, readable order number. */
export function orderNumber(order) {
  return String(order.order_id || "").slice(0, 8).toUpperCase();
}

function when(prefix, seconds) {
  return seconds ? [`${prefix} `, element("time", { datetime: isoOf(seconds) }, formatWhen(seconds))] : [];
}

function linesTable(order) {
  const body = element("tbody", {}, ...(order.lines || []).map((line) => element("tr", {},
    element("td", {}, line.title,
      line.variant_name ? element("span", { class: "order-line-note" }, line.variant_name) : "",
      line.sku ? element("span", { class: "order-line-note" }, `SKU ${line.sku}`) : ""),
    element("td", { class: "num" }, `× ${line.quantity}`),
    element("td", { class: "num" }, money(line.line_cents)))));
  const totals = [["Items", order.items_cents]];
  if (order.ships) {
    totals.push(["Shipping", order.shipping_cents]);
  }
  if (order.refunded_cents) {
    totals.push(["Refunded", -order.refunded_cents]);
  }
  totals.push(["Total", order.total_cents - (order.refunded_cents || 0)]);
  return element("table", { class: "order-lines" },
    element("caption", { class: "visually-hidden" }, `What order ${orderNumber(order)} holds`),
    element("thead", {}, element("tr", {},
      element("th", { scope: "col" }, "Item"),
      element("th", { scope: "col", class: "num" }, "Quantity"),
      element("th", { scope: "col", class: "num" }, "Amount"))),
    body,
    element("tfoot", {}, ...totals.map(([label, cents]) => element("tr", {},
      element("th", { scope: "row", colspan: "2" }, label),
      element("td", { class: "num", ...(label === "Total" ? { "data-order-total": "" } : {}) },
        money(cents))))));
}

function shipTo(order) {
  if (!order.ships) {
    return element("div", { class: "order-ship-to" },
      element("h3", {}, "Delivery"),
      element("p", {}, "Digital: the buyer downloads it from their library."));
  }
  const to = order.ship_to;
  if (!to) {
    return element("div", { class: "order-ship-to" }, element("h3", {}, "Ship to"),
      element("p", {}, "PayPal gave no address for this order; ask the buyer before you ship."));
  }
  const city = [to.admin_area_2, [to.admin_area_1, to.postal_code].filter(Boolean).join(" ")]
    .filter(Boolean).join(", ");
  const lines = [to.full_name, to.address_line_1, to.address_line_2, city, countryName(to.country_code)]
    .filter(Boolean);
  return element("div", { class: "order-ship-to", "data-ship-to": "" },
    element("h3", {}, "Ship to"),
    element("address", {}, lines.join("\n")));
}

function shipment(order) {
  const sent = order.shipment;
  if (!sent) {
    return "";
  }
  const carrier = sent.carrier === "OTHER" ? sent.carrier_name || "Another carrier" : CARRIERS[sent.carrier] || sent.carrier;
  return element("div", { class: "order-shipment", "data-shipment": "" },
    element("h3", {}, "Shipment"),
    element("p", {}, element("span", { "data-carrier": "" }, carrier), " · tracking number ",
      element("span", { class: "tracking-number", "data-tracking": "" }, sent.tracking_number)),
    element("p", { class: "money-meta" }, ...when("Shipped", order.shipped_at),
      ...(order.delivered_at ? [" · ", ...when("delivered", order.delivered_at)] : [])));
}

function field(id, name, label, control, hint = null) {
  control.id = id;
  control.name = name;
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", describedBy);
  return element("div", { class: "field" },
    element("label", { for: id }, label), control,
    hint ? element("p", { class: "field-hint", id: `${id}-hint` }, hint) : "",
    element("p", { class: "field-error", id: `${id}-error`, "data-error-for": name }));
}

/** The form that marks a paid physical order shipped; `onShip(form)` sends it. */
function shipForm(order, onShip) {
  const key = String(order.order_id).replace(/[^A-Za-z0-9_-]/g, "");
  const carrier = element("select", { required: "" },
    ...Object.entries(CARRIERS).map(([value, label]) => element("option", { value }, label)));
  const carrierName = element("input", { type: "text", maxlength: "64", autocomplete: "off" });
  const tracking = element("input", { type: "text", maxlength: "64", autocomplete: "off",
    spellcheck: "false", required: "", autocapitalize: "characters" });
  const otherField = field(`carrier-name-${key}`, "carrier_name", "Carrier's name", carrierName);
  otherField.hidden = true;
  carrier.addEventListener("change", () => {
    otherField.hidden = carrier.value !== "OTHER";
  });
  const headingId = `ship-${key}-title`;
  const form = element("form", { class: "form ship-form", novalidate: "", "aria-labelledby": headingId,
    "data-ship-form": "" },
  element("h3", { id: headingId }, "Mark as shipped"),
  element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
  element("div", { class: "ship-fields" },
    field(`carrier-${key}`, "carrier", "Carrier", carrier),
    otherField,
    field(`tracking-${key}`, "tracking_number", "Tracking number", tracking,
      "The buyer and PayPal get it with the carrier.")),
  element("button", { type: "submit", class: "button button-primary", "data-busy-label": "Saving…" },
    "Mark as shipped"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onShip(form, order);
  });
  return form;
}

/** What was given back: "Refunded $5.00 of $20.49", or "Fully refunded"; nothing before. */
function refundedNote(order) {
  if (!order.refunded_cents) {
    return "";
  }
  const text = refundableCents(order) === 0
    ? `Fully refunded: ${money(order.refunded_cents)} went back to the buyer.`
    : `Refunded ${money(order.refunded_cents)} of ${money(order.total_cents)}.`;
  return element("p", { class: "order-refunded", "data-refunded": "" }, text);
}

/** Moves a refund form between its steps: `edit` (amount and reason), `confirm` ("Refund $x
 * to the buyer through PayPal?", the fields kept as they are) and `sending` (nothing clickable
 * until the API answers). `cents` names the amount to confirm. */
export function setRefundStep(form, step, cents = null) {
  const confirm = form.querySelector("[data-refund-confirm]");
  const send = confirm.querySelector("[data-refund-send]");
  const back = confirm.querySelector("[data-refund-back]");
  const review = form.querySelector("[data-refund-review]");
  form.dataset.step = step;
  for (const name of ["amount_cents", "reason"]) {
    form.elements.namedItem(name).readOnly = step !== "edit";
  }
  review.hidden = step !== "edit";
  review.disabled = step !== "edit";
  confirm.hidden = step === "edit";
  if (cents !== null) {
    const amount = money(cents);
    const question = confirm.querySelector("[data-refund-question]");
    question.textContent = `Refund ${amount} to the buyer through PayPal?`;
    send.dataset.idleLabel = `Refund ${amount}`;
  }
  send.disabled = step === "sending";
  back.disabled = step === "sending";
  send.textContent = step === "sending" ? "Refunding…" : send.dataset.idleLabel || "Refund";
  form.setAttribute("aria-busy", String(step === "sending"));
}

/** The Refund disclosure of an order with money left to give back; `onRefund(form, order,
 * {amount_cents, reason})` sends the confirmed refund. */
function refundDisclosure(order, onRefund) {
  const key = String(order.order_id).replace(/[^A-Za-z0-9_-]/g, "");
  const left = refundableCents(order);
  const amount = element("input", { type: "text", inputmode: "decimal", autocomplete: "off",
    maxlength: "12", required: "" });
  amount.value = centsToInput(left);
  const amountId = `refund-amount-${key}`;
  amount.id = amountId;
  amount.name = "amount_cents"; // the API's name, so its refusal lands beside this field
  amount.setAttribute("aria-describedby", `${amountId}-hint ${amountId}-error`);
  const reason = element("textarea", { rows: "3", maxlength: String(REFUND_REASON.max), required: "" });
  const question = element("p", { class: "refund-question", "data-refund-question": "", tabindex: "-1" });
  const confirm = element("div", { class: "refund-confirm", role: "group", "aria-label": "Confirm the refund",
    "data-refund-confirm": "", hidden: "" },
  question,
  element("p", { class: "field-hint" }, "The money leaves your earnings; this cannot be undone."),
  element("div", { class: "refund-actions" },
    element("button", { type: "submit", class: "button button-danger", "data-refund-send": "" }, "Refund"),
    element("button", { type: "button", class: "button button-secondary", "data-refund-back": "" },
      "Change")));
  const form = element("form", { class: "form refund-form", novalidate: "",
    "aria-label": `Refund order ${orderNumber(order)}`, "data-refund-form": "", "data-step": "edit" },
  element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
  element("div", { class: "refund-fields" },
    element("div", { class: "field refund-amount" },
      element("label", { for: amountId }, "Amount to refund"),
      element("div", { class: "money-input" },
        element("span", { class: "money-sign", "aria-hidden": "true" }, "$"), amount),
      element("p", { class: "field-hint", id: `${amountId}-hint` },
        order.refunded_cents ? `Up to ${money(left)}, what is left of ${money(order.total_cents)}.`
          : `Up to ${money(left)}, the whole order.`),
      element("p", { class: "field-error", id: `${amountId}-error`, "data-error-for": "amount_cents" })),
    field(`refund-reason-${key}`, "reason", "Reason", reason,
      "The buyer reads it in the refund's email and at PayPal.")),
  element("button", { type: "submit", class: "button button-secondary", "data-refund-review": "" },
    "Review refund"),
  confirm);

  form.addEventListener("input", (event) => {
    const target = event.target;
    if (target instanceof HTMLElement && target.getAttribute("aria-invalid")) {
      target.removeAttribute("aria-invalid");
      const slot = form.querySelector(`[data-error-for="${CSS.escape(target.getAttribute("name") || "")}"]`);
      if (slot) {
        slot.textContent = "";
      }
    }
  });
  let confirmed = null; // the refund the question asks about, sent as it was read
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.dataset.step === "confirm") {
      onRefund(form, order, confirmed);
      return;
    }
    if (form.dataset.step !== "edit") {
      return;
    }
    clearErrors(form);
    const read = readRefund({ amount: amount.value, reason: reason.value }, left);
    if (read.problems) {
      read.problems.forEach(({ field: name, message }, index) =>
        showFieldError(form, name, message, { focus: index === 0 }));
      return;
    }
    confirmed = read.refund;
    setRefundStep(form, "confirm", confirmed.amount_cents);
    question.focus();
  });
  confirm.querySelector("[data-refund-back]").addEventListener("click", () => {
    setRefundStep(form, "edit");
    amount.focus();
  });

  const disclosure = element("details", { class: "order-refund-form", "data-refund": "" },
    element("summary", {}, "Refund"), form);
  disclosure.addEventListener("toggle", () => {
    if (!disclosure.open && form.dataset.step === "confirm") {
      setRefundStep(form, "edit");
    }
  });
  return disclosure;
}

/** One order's card; `open` opens its Refund disclosure. */
export function orderCard(order, { onShip, onRefund, open = false }) {
  const number = orderNumber(order);
  const left = refundableCents(order);
  const card = element("li", { class: "order", "data-testid": "store-order", "data-order-id": order.order_id,
    "data-state": order.state },
  element("div", { class: "order-head" },
    element("h2", { tabindex: "-1" }, `Order ${number}`),
    element("span", { class: "order-when" }, ...when("Paid", order.paid_at || order.created_at)),
    order.refunded_cents ? element("span", { class: "badge order-refund-badge" },
      left ? "Partly refunded" : "Refunded") : "",
    element("span", { class: `badge order-state state-${order.state}`, "data-order-state": order.state },
      ORDER_STATES[order.state] || order.state)),
  element("div", { class: "order-body" }, linesTable(order), shipTo(order)),
  shipment(order));
  if (order.state === "paid" && order.ships && left > 0) {
    card.append(shipForm(order, onShip)); // a fully refunded order is not shipped
  }
  const refundable = left > 0 && Object.hasOwn(ORDER_STATES, order.state); // paid, shipped or delivered
  if (order.refunded_cents || refundable) {
    const section = element("div", { class: "order-refund" }, refundedNote(order));
    if (refundable) {
      const disclosure = refundDisclosure(order, onRefund);
      disclosure.open = open;
      section.append(disclosure);
    }
    card.append(section);
  }
  return card;
}
