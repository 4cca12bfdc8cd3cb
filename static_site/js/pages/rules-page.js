/** The FAQ, Terms and Privacy pages: built with the default settings' figures, then kept in
 * step with this deployment's own rules (`GET /site/rules`): every `[data-rule]` gets its phrase,
 * every `[data-rule-mailto]` its address. If the rules cannot be read, the built text stays. */

import { api } from "../api.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";

mountHeader();
mountFooter();
showRules();

async function showRules() {
  let rules;
  try {
    rules = await api.siteRules();
  } catch {
    return;
  }
  const phrases = (rules && rules.phrases) || {};
  for (const slot of document.querySelectorAll("[data-rule]")) {
    const phrase = phrases[slot.getAttribute("data-rule")];
    if (typeof phrase === "string" && slot.textContent !== phrase) {
      slot.textContent = phrase;
    }
  }
  for (const link of document.querySelectorAll("[data-rule-mailto]")) {
    const address = phrases[link.getAttribute("data-rule-mailto")];
    if (typeof address === "string" && address.includes("@")) {
      link.href = `mailto:${address}`;
      link.textContent = address;
    }
  }
  document.documentElement.dataset.rules = "live";
}
