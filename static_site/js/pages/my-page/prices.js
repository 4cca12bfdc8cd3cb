/** My page: a price per session length — not offered, free, or an amount in dollars. */

import { element } from "../../dom.js";
import { SESSION_LENGTHS, centsToInput, dollarsToCents } from "../../money.js";
import { pageForm } from "./editor.js";

const priceRows = pageForm().querySelector("[data-price-rows]");

function priceRow(minutes) {
  const modeId = `price-mode-${minutes}`;
  const amountId = `price-${minutes}`;
  const errorId = `price-${minutes}-error`;
  const mode = element("select", { id: modeId, "data-price-mode": String(minutes),
    "aria-describedby": errorId },
  element("option", { value: "off" }, "Not offered"),
  element("option", { value: "free" }, "Free"),
  element("option", { value: "paid" }, "Set a price"));
  const amount = element("input", {
    id: amountId, name: `prices.${minutes}`, type: "text", inputmode: "decimal",
    autocomplete: "off", placeholder: "25.00", maxlength: "10", "aria-describedby": errorId,
  });
  const amountWrap = element("div", { class: "money-input", hidden: "" },
    element("label", { class: "visually-hidden", for: amountId },
      `Price for ${minutes} minutes, in dollars`),
    element("span", { class: "money-sign", "aria-hidden": "true" }, "$"), amount);
  mode.addEventListener("change", () => {
    amountWrap.hidden = mode.value !== "paid";
    if (mode.value === "paid") {
      amount.focus();
    }
  });
  return element("div", { class: "price-row", "data-price-row": String(minutes) },
    element("label", { class: "price-length", for: modeId }, `${minutes} minutes`),
    mode, amountWrap,
    element("p", { class: "field-error", id: errorId, "data-error-for": `prices.${minutes}` }));
}

priceRows.replaceChildren(...SESSION_LENGTHS.map(priceRow));

export function setPrices(prices) {
  for (const minutes of SESSION_LENGTHS) {
    const row = priceRows.querySelector(`[data-price-row="${minutes}"]`);
    const mode = row.querySelector("select");
    const amount = row.querySelector("input");
    const value = (prices || {})[String(minutes)];
    mode.value = value === 0 ? "free" : Number.isSafeInteger(value) && value > 0 ? "paid" : "off";
    amount.value = mode.value === "paid" ? centsToInput(value) : "";
    amount.closest(".money-input").hidden = mode.value !== "paid";
  }
}

/** `{prices}` or `{error: {field, message}}` when an amount cannot be read. */
export function readPrices() {
  const prices = {};
  for (const minutes of SESSION_LENGTHS) {
    const row = priceRows.querySelector(`[data-price-row="${minutes}"]`);
    const mode = row.querySelector("select").value;
    if (mode === "off") {
      prices[String(minutes)] = null;
    } else if (mode === "free") {
      prices[String(minutes)] = 0;
    } else {
      const cents = dollarsToCents(row.querySelector("input").value);
      if (cents === null) {
        return { error: { field: `prices.${minutes}`,
          message: "Enter a price in dollars, like 25 or 24.50 (or choose Free)." } };
      }
      prices[String(minutes)] = cents;
    }
  }
  return { prices };
}
