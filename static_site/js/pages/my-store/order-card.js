/** My Store's orders drawn: one card per order — its lines and total, where it ships (the
 * address PayPal gave), how it left (carrier and tracking number) and, for a paid physical
 * order, the form that marks it shipped. The wiring (my-orders.js) sends that form. */

import { element } from "../../dom.js";
import { formatCents } from "../../money.js";
import { formatWhen, isoOf } from "../../when.js";

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

/** One order's card. */
export function orderCard(order, { onShip }) {
  const number = orderNumber(order);
  const card = element("li", { class: "order", "data-testid": "store-order", "data-order-id": order.order_id,
    "data-state": order.state },
  element("div", { class: "order-head" },
    element("h2", { tabindex: "-1" }, `Order ${number}`),
    element("span", { class: "order-when" }, ...when("Paid", order.paid_at || order.created_at)),
    element("span", { class: `badge order-state state-${order.state}`, "data-order-state": order.state },
      ORDER_STATES[order.state] || order.state)),
  element("div", { class: "order-body" }, linesTable(order), shipTo(order)),
  shipment(order));
  if (order.state === "paid" && order.ships) {
    card.append(shipForm(order, onShip));
  }
  return card;
}
