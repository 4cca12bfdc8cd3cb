/** Draws one order of the buyer's library (`GET /me/orders`): who sold it (a link to their
 * store), its lines (each a link to its product) and total, its state, the files to download with
 * the downloads left, for what ships its progress, carrier and tracking number with "It arrived",
 * and the refund: the request already made (`GET /refunds`), or while the order allows it an
 * "Ask for a refund" disclosure with its form. Text goes in as text. The page (pages/library.js)
 * wires the buttons: `[data-download]` (with `data-slug`, `data-file-id`), `[data-delivered]`,
 * `[data-ask-refund]`, `[data-refund-cancel]`, and the `[data-refund-form]`'s submit. */

import { element } from "../dom.js";
import { formatCents } from "../money.js";
import { REFUND_STATES } from "../payment-labels.js";
import { formatDay, nowSeconds, timeOf } from "../when.js";

/** A refund request's reason, in characters (as the server checks it). */
export const REASON_LIMITS = Object.freeze({ min: 10, max: 2000 });

const money = (cents) => (cents === 0 ? "Free" : formatCents(cents, { cents: true }));

export const ORDER_STATES = Object.freeze({
  reserved: "Waiting for payment",
  paid: "Paid",
  shipped: "Shipped",
  delivered: "Delivered",
  cancelled: "Cancelled",
});

const CARRIERS = Object.freeze({ USPS: "USPS", UPS: "UPS", FEDEX: "FedEx", DHL: "DHL" });
// Where each carrier shows a parcel's journey (the number goes in the query, encoded).
const TRACKING_PAGES = Object.freeze({
  USPS: "https://tools.usps.com/go/TrackConfirmAction?tLabels=",
  UPS: "https://www.ups.com/track?tracknum=",
  FEDEX: "https://www.fedex.com/fedextrack/?trknbr=",
  DHL: "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=",
});

/** 1234 → "1.2 KB". */
export function fileSize(bytes) {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    return "";
  }
  const units = [["GB", 1024 ** 3], ["MB", 1024 ** 2], ["KB", 1024]];
  for (const [unit, scale] of units) {
    if (bytes >= scale) {
      return `${(bytes / scale).toFixed(1)} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

function extensionOf(name) {
  const match = /\.([A-Za-z0-9]{1,5})$/.exec(String(name || ""));
  return match ? match[1].toUpperCase() : "";
}

export function downloadsLeftText(left) {
  if (left <= 0) {
    return "No downloads left";
  }
  return left === 1 ? "1 download left" : `${left} downloads left`;
}

function stateBadge(order) {
  const refunded = order.refunded_cents > 0;
  const state = refunded ? "refunded" : order.state;
  let label = refunded ? (order.refunded_cents >= order.total_cents ? "Refunded" : "Partly refunded")
    : ORDER_STATES[order.state] || order.state;
  if (!refunded && order.state === "paid" && order.ships) {
    label = "Paid · to be shipped";
  }
  return element("span", { class: `badge order-state order-state-${state}`, "data-state": state,
    "data-testid": "order-state" }, label);
}

/** `/h/<username>/store/<slug>`, or null without a known seller. */
function productUrl(seller, slug) {
  if (!seller || !seller.username || !slug) {
    return null;
  }
  return `/h/${encodeURIComponent(seller.username)}/store/${encodeURIComponent(slug)}`;
}

function lineItem(line, seller) {
  const facts = [line.variant_name, line.kind === "digital" ? "Digital" : "Shipped",
    line.quantity > 1 ? `${line.quantity} × ${money(line.unit_cents)}` : null].filter(Boolean);
  const href = productUrl(seller, line.slug);
  return element("li", { class: "order-line" },
    href ? element("a", { class: "order-line-title", href, "data-testid": "order-line-link" }, line.title)
      : element("span", { class: "order-line-title" }, line.title),
    element("span", { class: "order-line-facts" }, facts.join(" · ")),
    element("span", { class: "order-line-price" }, money(line.line_cents)));
}

function fileItem(file, order) {
  const left = Number.isSafeInteger(file.downloads_left) ? file.downloads_left : 0;
  const facts = [extensionOf(file.name), fileSize(file.size)].filter(Boolean).join(" · ");
  const button = element("button", {
    type: "button", class: "button button-primary button-small", "data-download": "",
    "data-slug": file.slug, "data-file-id": file.file_id, "aria-label": `Download ${file.name}`,
  }, "Download");
  const blocked = left <= 0 || order.refunded_cents > 0;
  button.disabled = blocked;
  return element("li", { class: "order-file", "data-testid": "order-file", "data-file-id": file.file_id },
    element("span", { class: "order-file-icon", "aria-hidden": "true" }),
    element("span", { class: "order-file-text" },
      element("span", { class: "order-file-name" }, file.name),
      element("span", { class: "order-file-facts" }, facts ? `${facts} · ` : "",
        element("span", { "data-downloads-left": String(left) }, downloadsLeftText(left)))),
    button,
    element("p", { class: "order-file-problem", role: "alert", "data-file-problem": "" }));
}

function carrierName(shipment) {
  if (!shipment) {
    return "";
  }
  return CARRIERS[shipment.carrier] || shipment.carrier_name || "the carrier";
}

function trackingNumber(shipment) {
  const number = element("span", { class: "tracking-number", "data-testid": "tracking-number" },
    shipment.tracking_number);
  const page = TRACKING_PAGES[shipment.carrier];
  if (!page || !shipment.tracking_number) {
    return number;
  }
  return element("a", {
    href: page + encodeURIComponent(shipment.tracking_number), target: "_blank", rel: "noopener noreferrer",
  }, number);
}

function shipmentSection(order) {
  const steps = [["Paid", true], ["Shipped", ["shipped", "delivered"].includes(order.state)],
    ["Delivered", order.state === "delivered"]];
  const box = element("div", { class: "shipment", "data-testid": "shipment" },
    element("ol", { class: "shipment-steps", "aria-hidden": "true" },
      ...steps.map(([label, done]) => element("li", { class: done ? "is-done" : "" }, label))));
  const text = element("p", { class: "shipment-text", "data-testid": "shipment-text" });
  if (order.state === "paid") {
    text.append("The seller is getting it ready. You get an email with the tracking number once it is on its way.");
  } else if (order.state === "shipped" && order.shipment) {
    text.append(element("span", {}, `Shipped ${formatDay(order.shipped_at)} with ${carrierName(order.shipment)}. `,
      "Tracking number: ", trackingNumber(order.shipment)));
  } else if (order.state === "delivered") {
    text.append(element("span", {}, "Delivered ", timeOf(order.delivered_at, formatDay), ".",
      ...(order.shipment ? [` Sent with ${carrierName(order.shipment)}, tracking number `,
        trackingNumber(order.shipment), "."] : [])));
  } else if (order.state === "reserved") {
    text.append("Waiting for your payment at PayPal.");
  } else {
    text.append("This order was not paid, so nothing ships.");
  }
  box.append(text);
  if (order.state === "shipped") {
    box.append(element("button", { type: "button", class: "button button-secondary", "data-delivered": "" },
      "It arrived"));
  }
  return box;
}

function sellerLine(seller) {
  if (!seller || !seller.username) {
    return null;
  }
  const store = typeof seller.store_url === "string" && seller.store_url.startsWith("/")
    ? seller.store_url : `/h/${encodeURIComponent(seller.username)}/store`;
  return element("p", { class: "order-seller", "data-testid": "order-seller" }, "Sold by ",
    element("a", { href: store }, seller.display_name || seller.username));
}

/** What the buyer reads once they asked: when the team decides, or how it was decided. */
function askedLine(request) {
  const line = element("p", { class: "order-refund-asked", "data-testid": "refund-asked",
    "data-refund-state": request.state, tabindex: "-1" });
  if (request.state === "open") {
    line.append("Refund asked for: our team decides by ", timeOf(request.deadline, formatDay), ".");
  } else {
    line.append(`Refund asked for: ${(REFUND_STATES[request.state] || request.state).toLowerCase()}.`);
  }
  return line;
}

function refundForm(order, formId) {
  const fieldId = `${formId}-reason`;
  const reason = element("textarea", {
    id: fieldId, name: "reason", rows: "4", required: "", minlength: String(REASON_LIMITS.min),
    maxlength: String(REASON_LIMITS.max), "aria-describedby": `${fieldId}-hint ${fieldId}-error`,
  });
  const form = element("form", { class: "form form-compact refund-form order-refund-form", id: formId,
    novalidate: "", "data-refund-form": "", "aria-label": "Ask for a refund" },
    element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
    element("div", { class: "field" },
      element("label", { for: fieldId }, "Why do you want a refund?"),
      reason,
      element("p", { class: "field-hint", id: `${fieldId}-hint` },
        `${REASON_LIMITS.min} to ${REASON_LIMITS.max} characters. What went wrong with this order? `
        + "The seller can add their side; our team decides and emails you."),
      element("p", { class: "field-error", id: `${fieldId}-error`, "data-error-for": "reason" })),
    element("div", { class: "button-row" },
      element("button", { type: "submit", class: "button button-primary", "data-busy-label": "Sending…" },
        "Send refund request"),
      element("button", { type: "button", class: "button button-ghost", "data-refund-cancel": "" }, "Never mind")));
  form.hidden = true;
  form.setAttribute("data-payment-id", order.payment_id);
  return form;
}

/** The order's refund part: the request made (`request`, from `GET /refunds`), the disclosure
 * to ask while `order.refund.may_ask`, or nothing. `message` is said first when set (why asking
 * just failed for good). */
export function refundSection(order, request = null, { message = "" } = {}) {
  const section = element("section", { class: "order-section order-refund", "aria-label": "Refund",
    "data-refund": "" });
  const refund = order.refund || {};
  if (message) {
    section.append(element("p", { class: "order-refund-note", "data-testid": "refund-note", tabindex: "-1" },
      message));
  }
  if (request) {
    section.append(askedLine(request));
  } else if (refund.may_ask && order.payment_id) {
    const formId = `refund-${String(order.order_id).replace(/[^A-Za-z0-9_-]/g, "")}`;
    const until = Number.isFinite(refund.until) && refund.until > nowSeconds()
      ? ["You can ask until ", timeOf(refund.until), "."] : [];
    section.append(element("div", { class: "order-refund-ask" },
      element("button", { type: "button", class: "button button-secondary button-small", "data-ask-refund": "",
        "aria-expanded": "false", "aria-controls": formId }, "Ask for a refund"),
      until.length ? element("p", { class: "order-refund-until" }, ...until) : ""),
    refundForm(order, formId));
  }
  return section.childElementCount ? section : null;
}

/** The `<li>` of one order (`order` as `GET /me/orders` gives it, with its `files`, `seller`
 * and `refund`); `request` is the buyer's refund request for its payment, if they made one. */
export function orderCard(order, { isNew = false, request = null } = {}) {
  const lines = Array.isArray(order.lines) ? order.lines : [];
  const files = Array.isArray(order.files) ? order.files : [];
  const when = order.paid_at || order.created_at;
  const card = element("li", {
    class: `order-card${isNew ? " is-new" : ""}`, "data-order-id": order.order_id, "data-testid": "order",
    "data-state": order.state,
  });
  const headingId = `order-${String(order.order_id).replace(/[^A-Za-z0-9_-]/g, "")}`;
  card.setAttribute("aria-labelledby", headingId);
  const first = lines[0] ? lines[0].title : "Order";
  const more = lines.length > 1 ? ` and ${lines.length - 1} more` : "";
  card.append(element("div", { class: "order-head" },
    element("div", { class: "order-title" },
      element("h2", { id: headingId }, `${first}${more}`,
        element("span", { class: "order-when" }, order.paid_at ? "Bought " : "Ordered ", timeOf(when, formatDay))),
      sellerLine(order.seller) || ""),
    stateBadge(order),
    element("p", { class: "order-total", "data-testid": "order-total" }, money(order.total_cents))));
  card.append(element("ul", { class: "order-lines" }, ...lines.map((line) => lineItem(line, order.seller))));
  if (order.ships || order.refunded_cents > 0) { // else the total above says it all
    const sums = [`Items ${money(order.items_cents)}`];
    if (order.ships) {
      sums.push(`Shipping ${money(order.shipping_cents)}`);
    }
    if (order.refunded_cents > 0) {
      sums.push(`Refunded ${money(order.refunded_cents)}`);
    }
    card.append(element("p", { class: "order-sums" }, ...sums.map((text) => element("span", {}, text))));
  }

  const digital = lines.some((line) => line.kind === "digital");
  if (digital) {
    const section = element("section", { class: "order-section", "aria-label": "Downloads" },
      element("h3", {}, "Downloads"));
    if (order.refunded_cents > 0) {
      section.append(element("p", { class: "order-file-facts" },
        "This purchase was refunded, so its files are no longer available."));
    } else if (!order.paid_at) {
      section.append(element("p", { class: "order-file-facts" }, "Your files are here once the payment goes through."));
    } else if (files.length) {
      section.append(element("ul", { class: "order-files" }, ...files.map((file) => fileItem(file, order))));
    } else {
      section.append(element("p", { class: "order-file-facts" }, "The seller has no files here right now; ask them."));
    }
    card.append(section);
  }
  if (order.ships) {
    card.append(element("section", { class: "order-section", "aria-label": "Shipping" },
      element("h3", {}, "Shipping"), shipmentSection(order)));
  }
  const refund = refundSection(order, request);
  if (refund) {
    card.append(refund);
  }
  card.append(element("p", { class: "order-id" }, "Order ", element("code", {}, order.order_id)));
  return card;
}
