/** My page: what is left before the page works for the Helper, and where their earnings go. */

import { api } from "../../api.js";
import { element } from "../../dom.js";
import { editor } from "./editor.js";

const checklist = document.querySelector("[data-setup-checklist]");
const checklistItems = document.querySelector("[data-checklist-items]");
const paidHidden = document.querySelector("[data-paid-hidden]");
const gettingPaid = document.querySelector("[data-getting-paid]");
const gettingPaidSummary = document.querySelector("[data-getting-paid-summary]");

/** The page, a category to be found in, the storefront payouts need (paid prices stay hidden
 * from visitors without it) and a photo. */
export function showChecklist() {
  const { page } = editor;
  if (!page) {
    checklist.hidden = true;
    return;
  }
  const steps = [
    { done: true, label: "Create your page", href: null },
    { done: (page.categories || []).length > 0, label: "Join a category so people can find you", href: "#categories" },
    { done: Boolean(page.payouts_ready), label: "Set up your storefront to be paid", href: "/payments.html#getting-paid" },
    { done: Boolean(page.avatar_url), label: "Add a photo of yourself", href: "#photo" },
  ];
  const paidPrices = Object.values(page.prices || {}).some((cents) => Number(cents) > 0);
  paidHidden.hidden = !(paidPrices && !page.payouts_ready);
  checklistItems.replaceChildren(...steps.map(({ done, label, href }) => element("li", {
    class: "checklist-item", "data-done": String(done),
  },
  element("span", { class: "visually-hidden" }, done ? "Done: " : "To do: "),
  done || !href ? label : element("a", { href }, label))));
  checklist.hidden = steps.every(({ done }) => done) && paidHidden.hidden;
}

/** Where the Helper's earnings go, and their plan; both are edited on the Payments page. */
export async function showGettingPaid() {
  gettingPaid.hidden = false;
  try {
    const [storefront, plan] = await Promise.all([api.myStorefront(), api.myPlan()]);
    const planWords = plan.plan === "upgraded" ? "You are on the upgraded plan." : "You are on the free plan.";
    gettingPaidSummary.textContent = storefront
      ? `Your earnings are paid out to ${storefront.paypal_email}. ${planWords}`
      : "Paid sessions need your storefront: the PayPal email your earnings are paid out to. "
        + `Without it you can still agree on free sessions. ${planWords}`;
  } catch {
    // The panel's own words and link stay; the Payments page says what went wrong.
  }
}
