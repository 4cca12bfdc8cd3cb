/** My Store: how physical products ship — a flat rate per order, free from a threshold, to the
 * countries listed — drawn and read; a Helper without a storefront is sent to set one up. */

import { valueOf } from "../../forms.js";
import { centsToInput, dollarsToCents } from "../../money.js";
import { readCountries } from "./catalogue.js";

const form = document.querySelector("[data-shipping-form]");
const missing = document.querySelector("[data-shipping-missing]");
const status = document.querySelector("[data-shipping-status]");

export function shippingForm() {
  return form;
}

export function setShippingStatus(message) {
  status.textContent = message;
}

/** `shipping` null: no storefront yet, so nothing ships (and nothing sells). */
export function drawShipping(shipping) {
  missing.hidden = Boolean(shipping);
  form.hidden = !shipping;
  if (!shipping) {
    return;
  }
  form.elements.namedItem("flat_cents").value = centsToInput(shipping.flat_cents);
  form.elements.namedItem("free_from_cents").value = Number.isSafeInteger(shipping.free_from_cents)
    ? centsToInput(shipping.free_from_cents) : "";
  form.elements.namedItem("countries").value = (shipping.countries || []).join(", ");
}

/** The body of `PUT /me/store/shipping`, or `{problems}` when an amount cannot be read. */
export function readShipping() {
  const problems = [];
  const flat = dollarsToCents(valueOf(form, "flat_cents") || "0");
  if (flat === null) {
    problems.push({ field: "flat_cents", message: "Enter an amount in dollars, like 5 or 4.50 (0 for free)." });
  }
  const freeText = valueOf(form, "free_from_cents");
  const freeFrom = freeText ? dollarsToCents(freeText) : null;
  if (freeText && freeFrom === null) {
    problems.push({ field: "free_from_cents", message: "Enter an amount in dollars, or leave it empty." });
  }
  const countries = readCountries(valueOf(form, "countries"));
  if (!countries.length) {
    problems.push({ field: "countries", message: "Name at least one country, like US." });
  }
  if (problems.length) {
    return { problems };
  }
  return { shipping: { flat_cents: flat, free_from_cents: freeFrom, countries } };
}
