/** Payments (`/payments.html`): what I paid and my refund requests; for Helpers also getting
 * paid (storefront, plan, balance) and the refund requests about their sessions, where they give
 * their side. Every amount shown comes from the server, in integer cents. */

import { api, isSignedIn } from "../api.js";
import { PayPalWindow, isPayPalUrl, listenForPayments, payPalLink } from "../checkout.js";
import { element } from "../dom.js";
import {
  clearErrors,
  clearFieldErrorsOnInput,
  formReady,
  requireFields,
  setBusy,
  showError,
  valueOf,
} from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { formatCents } from "../money.js";
import { PAYMENT_KINDS, PAYMENT_STATES, REFUND_STATES, stateBadge } from "../payment-labels.js";
import { PAGES, callUrl, leaveIfSignedOut, pageUrl, signInUrl } from "../paths.js";
import { starRow } from "../reviews/stars.js";
import { formatDay, formatWhen, isoOf, nowSeconds, timeOf } from "../when.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountFooter();

const MIN_REASON = 10;

const statusLine = document.querySelector("[data-payments-status]");
const failureSlot = document.querySelector("[data-payments-failure]");
const gettingPaid = document.querySelector("[data-getting-paid]");
const storefrontMissing = document.querySelector("[data-storefront-missing]");
const storefrontForm = document.querySelector("[data-storefront-form]");
const storefrontStatus = document.querySelector("[data-storefront-status]");
const planName = document.querySelector("[data-plan-name]");
const planText = document.querySelector("[data-plan-text]");
const planActions = document.querySelector("[data-plan-actions]");
const planStatus = document.querySelector("[data-plan-status]");
const planAlert = document.querySelector("[data-plan-alert]");
const balancePending = document.querySelector("[data-balance-pending]");
const balancePayable = document.querySelector("[data-balance-payable]");
const myPayments = document.querySelector("[data-my-payments]");
const paymentList = document.querySelector("[data-payment-list]");
const paymentsEmpty = document.querySelector("[data-payments-empty]");
const myRefunds = document.querySelector("[data-my-refunds]");
const askedList = document.querySelector("[data-refunds-asked]");
const askedEmpty = document.querySelector("[data-refunds-empty]");
const aboutMe = document.querySelector("[data-about-me]");
const needsAction = document.querySelector("[data-needs-action]");
const aboutMeList = document.querySelector("[data-refunds-about-me]");
const myReviews = document.querySelector("[data-my-reviews]");
const reviewList = document.querySelector("[data-review-list]");
const reviewsEmpty = document.querySelector("[data-reviews-empty]");

let user = null;
let upgrade = null; // the plan payment waiting at PayPal: {payment_id, paypal}

/* ---- Small views ----------------------------------------------------------------------- */

function when(seconds, prefix) {
  return element("span", {}, `${prefix} `, element("time", { datetime: isoOf(seconds) }, formatWhen(seconds)));
}

function money(cents) {
  return formatCents(cents, { cents: true });
}

/* ---- Getting paid (Helpers) ------------------------------------------------------------ */

function showStorefront(storefront) {
  storefrontMissing.hidden = Boolean(storefront);
  if (storefront) {
    storefrontForm.elements.namedItem("paypal_email").value = storefront.paypal_email || "";
    storefrontForm.elements.namedItem("name").value = storefront.name || "";
  }
}

storefrontForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(storefrontForm);
  storefrontStatus.textContent = "";
  if (!requireFields(storefrontForm, { paypal_email: "Enter the email of your PayPal account." })) {
    return;
  }
  setBusy(storefrontForm, true);
  try {
    const storefront = await api.saveStorefront({
      paypal_email: valueOf(storefrontForm, "paypal_email"),
      name: valueOf(storefrontForm, "name") || null,
    });
    showStorefront(storefront);
    storefrontStatus.textContent = "Storefront saved. You can take paid sessions.";
  } catch (error) {
    showError(storefrontForm, error);
  } finally {
    setBusy(storefrontForm, false);
  }
});
formReady(storefrontForm);
clearFieldErrorsOnInput(storefrontForm);

/** The plans' words from this deployment's rules (`GET /site/rules`), with the defaults' words
 * until they are read. */
let planPhrases = {
  free_calls: "1 call at a time", free_max_minutes: "20 minutes", free_fee: "20%",
};

function showPlan(plan) {
  const upgraded = plan.plan === "upgraded";
  planName.replaceChildren(
    element("strong", {}, upgraded ? "Upgraded plan" : "Free plan"),
    ...(upgraded && plan.until ? [" until ", element("time", { datetime: isoOf(plan.until) }, formatDay(plan.until))] : []));
  planName.dataset.plan = plan.plan;
  planText.textContent = upgraded
    ? "Unlimited time per call, several calls at once, and tips from your callers. You receive "
      + "what customers pay minus PayPal's processing fee."
    : `${planPhrases.free_calls}, up to ${planPhrases.free_max_minutes} per call, no tips. `
      + `interKanect keeps a ${planPhrases.free_fee} platform fee on what customers pay.`;
  const offer = plan.upgrade || {};
  if (!Number.isSafeInteger(offer.price_cents)) {
    planActions.replaceChildren();
    return;
  }
  const label = upgraded
    ? `Add ${offer.days} days for ${formatCents(offer.price_cents)}`
    : `Upgrade for ${formatCents(offer.price_cents)} for ${offer.days} days`;
  const button = element("button", { type: "button", class: "button button-primary", "data-upgrade": "" }, label);
  button.addEventListener("click", () => buyUpgrade(button));
  planActions.replaceChildren(button);
}

/** Opens the PayPal window during the click, then asks the server for the plan's payment. */
async function buyUpgrade(button) {
  const paypal = PayPalWindow.open();
  planAlert.textContent = "";
  planStatus.textContent = "Opening PayPal…";
  button.disabled = true;
  let payment;
  try {
    payment = await api.upgradePlan();
  } catch (error) {
    paypal.close();
    planStatus.textContent = "";
    planAlert.textContent = (error && error.message) || "The upgrade could not be started.";
    button.disabled = false;
    return;
  }
  button.disabled = false;
  if (payment.state !== "created" || !isPayPalUrl(payment.approve_url)) {
    paypal.close();
    planStatus.textContent = payment.closed_reason || "This payment can no longer be made.";
    return;
  }
  upgrade = { payment_id: payment.payment_id, paypal };
  const sum = formatCents(payment.amount_cents);
  if (paypal.go(payment.approve_url)) {
    planStatus.textContent = `Approve ${sum} in the PayPal window; your plan changes as soon as it goes through.`;
    paypal.onClosed(() => window.setTimeout(refreshPlan, 800));
  } else {
    planStatus.textContent = `Your browser did not open the PayPal window. Pay ${sum} with PayPal here.`;
  }
  planActions.replaceChildren(payPalLink(payment.approve_url, {
    onWindow: (opened) => opened.onClosed(() => window.setTimeout(refreshPlan, 800)),
  }));
}

async function refreshPlan() {
  try {
    const [plan, payments] = await Promise.all([api.myPlan(), api.myPayments()]);
    showPlan(plan);
    showPayments(payments.payments || [], currentAsked);
  } catch (error) {
    planAlert.textContent = (error && error.message) || "Your plan could not be loaded.";
  }
}

function showBalance(balance) {
  balancePending.textContent = money(balance.pending_cents);
  balancePayable.textContent = money(balance.payable_cents);
}

listenForPayments(async (result) => {
  const ours = upgrade && result.payment_id === upgrade.payment_id;
  if (!ours) {
    return;
  }
  if (result.outcome === "captured") {
    planStatus.textContent = "Payment received: your plan is upgraded.";
    upgrade = null;
  } else if (result.outcome === "pending") {
    planStatus.textContent = "PayPal is still processing the payment; your plan changes once it completes.";
  } else {
    planStatus.textContent = "";
    planAlert.textContent = result.outcome === "cancelled"
      ? "You cancelled the payment. Nothing was charged."
      : result.message || "The payment did not go through.";
    upgrade = null;
  }
  await refreshPlan();
});

/* ---- My payments ----------------------------------------------------------------------- */

let currentAsked = [];

function refundForm(payment) {
  const id = `reason-${payment.payment_id.replace(/[^A-Za-z0-9_-]/g, "")}`;
  const reason = element("textarea", {
    id, name: "reason", rows: "4", maxlength: "2000", required: "", minlength: String(MIN_REASON),
    "aria-describedby": `${id}-hint ${id}-error`,
  });
  const form = element("form", { class: "form form-compact refund-form", novalidate: "", "data-refund-form": "" },
    element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
    element("div", { class: "field" },
      element("label", { for: id }, "Why do you want a refund?"),
      reason,
      element("p", { class: "field-hint", id: `${id}-hint` },
        `At least ${MIN_REASON} characters. What went wrong in the session?`),
      element("p", { class: "field-error", id: `${id}-error`, "data-error-for": "reason" })),
    element("div", { class: "button-row" },
      element("button", { type: "submit", class: "button button-primary", "data-busy-label": "Sending…" },
        "Send refund request"),
      element("button", { type: "button", class: "button button-ghost", "data-cancel": "" }, "Never mind")));
  form.hidden = true;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const text = reason.value.trim();
    if (text.length < MIN_REASON) {
      form.querySelector("[data-error-for='reason']").textContent = `Say a little more: at least ${MIN_REASON} characters.`;
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return;
    }
    setBusy(form, true);
    try {
      await api.askForRefund({ payment_id: payment.payment_id, reason: text });
      await load({ quiet: true });
      const sent = document.querySelector(`[data-payment-id="${CSS.escape(payment.payment_id)}"] [data-refund-line]`);
      if (sent) {
        sent.setAttribute("tabindex", "-1");
        sent.focus();
      }
    } catch (error) {
      showError(form, error);
      setBusy(form, false);
    }
  });
  return form;
}

function paymentItem(payment, requestFor) {
  const state = payment.state;
  const head = element("div", { class: "money-item-head" },
    element("p", { class: "money-item-title" }, payment.description || PAYMENT_KINDS[payment.kind] || payment.kind),
    element("p", { class: "money-amount" }, money(payment.amount_cents)),
    stateBadge(PAYMENT_STATES, state));
  const meta = element("p", { class: "money-meta" },
    payment.captured_at ? when(payment.captured_at, "Paid") : when(payment.created_at, "Started"));
  if (payment.refunded_cents > 0) {
    meta.append(" · ", element("span", {}, `${money(payment.refunded_cents)} refunded`));
  }
  if (payment.call_id && payment.kind !== "plan" && state === "created") {
    meta.append(" · ", element("a", { href: callUrl({ call: payment.call_id }) }, "Back to the call"));
  }
  const item = element("li", { class: "money-item", "data-testid": "payment-item", "data-payment-id": payment.payment_id },
    head, meta);
  if (payment.closed_reason && state !== "captured") {
    item.append(element("p", { class: "money-note" }, payment.closed_reason));
  }
  const request = requestFor(payment.payment_id);
  if (request) {
    item.append(element("p", { class: "money-note", "data-refund-line": "" },
      "Refund requested: ", stateBadge(REFUND_STATES, request.state),
      request.state === "open" ? ` · decision by ${formatWhen(request.deadline)}` : ""));
  } else if (payment.refundable_until && payment.refundable_until > nowSeconds()) {
    const form = refundForm(payment);
    const ask = element("button", { type: "button", class: "button button-secondary button-small", "data-ask-refund": "" },
      "Ask for a refund");
    ask.addEventListener("click", () => {
      form.hidden = false;
      ask.hidden = true;
      form.querySelector("textarea").focus();
    });
    form.querySelector("[data-cancel]").addEventListener("click", () => {
      form.hidden = true;
      ask.hidden = false;
      ask.focus();
    });
    item.append(element("p", { class: "money-note" }, "You can ask for a refund until ",
      element("time", { datetime: isoOf(payment.refundable_until) }, formatWhen(payment.refundable_until)), "."),
    ask, form);
  } else if (payment.refundable_until && state === "captured") {
    item.append(element("p", { class: "money-note" },
      `The 24-hour refund window closed ${formatWhen(payment.refundable_until)}.`));
  }
  return item;
}

function showPayments(payments, asked) {
  const byPayment = new Map(asked.map((request) => [request.payment_id, request]));
  paymentList.replaceChildren(...payments.map((payment) => paymentItem(payment, (id) => byPayment.get(id))));
  paymentsEmpty.hidden = payments.length > 0;
  myPayments.hidden = false;
}

/* ---- Refund requests ------------------------------------------------------------------- */

function requestFacts(request) {
  const facts = element("p", { class: "money-meta" }, when(request.requested_at, "Asked"));
  if (request.state === "open") {
    facts.append(" · ", when(request.deadline, "Decision by"));
  } else if (request.decided_at) {
    facts.append(" · ", when(request.decided_at, "Decided"));
  }
  return facts;
}

function askedItem(request) {
  const item = element("li", { class: "money-item", "data-testid": "refund-request", "data-request-id": request.request_id },
    element("div", { class: "money-item-head" },
      element("p", { class: "money-item-title" }, `Refund of ${money(request.refund_cents)}`,
        element("span", { class: "money-muted" }, ` (you paid ${money(request.paid_cents)}; PayPal keeps its processing fee)`)),
      stateBadge(REFUND_STATES, request.state)),
    requestFacts(request),
    element("p", { class: "money-quote" }, element("span", { class: "money-label" }, "Your reason: "), request.reason));
  if (request.note) {
    item.append(element("p", { class: "money-quote" }, element("span", { class: "money-label" }, "Note from our team: "), request.note));
  }
  if (request.state === "refunded") {
    item.append(element("p", { class: "money-note money-good" },
      `${money(request.refund_cents)} went back to your PayPal account.`));
  }
  return item;
}

function statementForm(request) {
  const id = `statement-${request.request_id.replace(/[^A-Za-z0-9_-]/g, "")}`;
  const text = element("textarea", {
    id, name: "statement", rows: "4", maxlength: "2000", required: "", "aria-describedby": `${id}-error`,
  });
  text.value = request.statement || "";
  const status = element("p", { class: "status-text", role: "status" });
  const form = element("form", { class: "form form-compact", novalidate: "", "data-statement-form": "" },
    element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
    element("div", { class: "field" },
      element("label", { for: id }, "Your side of the story"),
      text,
      element("p", { class: "field-error", id: `${id}-error`, "data-error-for": "statement" })),
    element("button", { type: "submit", class: "button button-primary", "data-busy-label": "Saving…" },
      request.statement ? "Update your statement" : "Send your statement"),
    status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    status.textContent = "";
    if (!requireFields(form, { statement: "Write what happened, as you saw it." })) {
      return;
    }
    setBusy(form, true);
    try {
      const saved = await api.saveRefundStatement(request.request_id, { statement: text.value.trim() });
      text.value = saved.statement || "";
      status.textContent = "Statement saved. Our team reads it before deciding.";
    } catch (error) {
      showError(form, error);
    } finally {
      setBusy(form, false);
    }
  });
  return form;
}

function aboutMeItem(request) {
  const item = element("li", { class: "money-item", "data-testid": "refund-about-me", "data-request-id": request.request_id },
    element("div", { class: "money-item-head" },
      element("p", { class: "money-item-title" }, `A customer asks for ${money(request.refund_cents)} back`,
        element("span", { class: "money-muted" }, ` (they paid ${money(request.paid_cents)})`)),
      stateBadge(REFUND_STATES, request.state)),
    requestFacts(request),
    element("p", { class: "money-quote" }, element("span", { class: "money-label" }, "Their reason: "), request.reason));
  if (request.state === "open") {
    item.append(statementForm(request));
  } else {
    if (request.statement) {
      item.append(element("p", { class: "money-quote" }, element("span", { class: "money-label" }, "Your statement: "), request.statement));
    }
    if (request.note) {
      item.append(element("p", { class: "money-quote" }, element("span", { class: "money-label" }, "Note from our team: "), request.note));
    }
  }
  return item;
}

function showRefunds({ asked = [], about_me: about = [] }) {
  askedList.replaceChildren(...asked.map(askedItem));
  askedEmpty.hidden = asked.length > 0;
  myRefunds.hidden = false;
  aboutMeList.replaceChildren(...about.map(aboutMeItem));
  aboutMe.hidden = about.length === 0;
  leadWithWhatNeedsAction(about.filter((request) => request.state === "open"));
}

/** A Helper with open refund requests about their sessions sees them first: a line on top, and
 * the requests above everything else, since they need the Helper's side before the deadline. */
function leadWithWhatNeedsAction(open) {
  needsAction.hidden = open.length === 0;
  if (!open.length) {
    needsAction.replaceChildren();
    return;
  }
  const first = Math.min(...open.map((request) => request.deadline));
  needsAction.replaceChildren(
    open.length === 1 ? "A customer asked for a refund about your session. "
      : `${open.length} customers asked for refunds about your sessions. `,
    element("a", { href: "#refunds-about-me" }, "Give your side"),
    ` before we decide (by ${formatWhen(first)}).`);
  needsAction.after(aboutMe);
}

/* ---- My reviews ------------------------------------------------------------------------ */

/** One review I wrote: the Helper, my stars and words (as text), when, whether our team hid it
 * and why, and the way to change it (the rate page says whether it still can be changed). */
function reviewItem(review) {
  const helper = review.helper || {};
  const name = helper.display_name || "a Helper";
  const stars = Number(review.stars);
  const head = element("div", { class: "money-item-head" },
    element("p", { class: "money-item-title" }, "Your review of ",
      helper.username ? element("a", { href: `/h/${encodeURIComponent(helper.username)}` }, name) : name),
    starRow(stars, { label: `You gave ${stars} out of 5 stars` }));
  const meta = element("p", { class: "money-meta" },
    "Written ", timeOf(review.created_at, formatDay));
  if (review.edited_at) {
    meta.append(" · edited ", timeOf(review.edited_at, formatDay));
  }
  if (review.refunded) {
    meta.append(" · refunded session, not counted in the rating");
  }
  meta.append(" · ", element("a", { href: pageUrl(PAGES.rate, { call: review.review_id }), "data-change-review": "" },
    "Change", element("span", { class: "visually-hidden" }, ` your review of ${name}`)));
  const item = element("li", { class: "money-item", "data-testid": "my-review", "data-review-id": review.review_id },
    head, meta);
  if (review.text) {
    item.append(element("p", { class: "money-quote review-text" }, review.text));
  }
  if (review.hidden) {
    item.append(element("p", { class: "money-note", "data-review-hidden": "" },
      element("span", { class: "money-label" }, "Hidden by our team: "),
      review.hidden_note || "it no longer shows on the Helper's page."));
  }
  return item;
}

function showReviews(answer) {
  if (!answer) {
    reviewList.replaceChildren();
    reviewsEmpty.textContent = "Your reviews could not be loaded. Reload the page to try again.";
    reviewsEmpty.hidden = false;
  } else {
    const written = answer.written || [];
    reviewList.replaceChildren(...written.map(reviewItem));
    reviewsEmpty.textContent = "You haven't reviewed a session yet.";
    reviewsEmpty.hidden = written.length > 0;
  }
  myReviews.hidden = false;
}

/* ---- Loading --------------------------------------------------------------------------- */

async function load({ quiet = false } = {}) {
  failureSlot.replaceChildren();
  if (!quiet) {
    statusLine.textContent = "Loading your payments…";
  }
  try {
    const helper = Boolean(user && user.is_helper);
    const [payments, refunds, reviews, helperFacts] = await Promise.all([
      api.myPayments(),
      api.myRefunds(),
      // The reviews are not money: should they fail, the payments still show.
      api.myReviews().catch((error) => (error && error.code === "signed_out" ? Promise.reject(error) : null)),
      helper ? Promise.all([api.myStorefront(), api.myPlan(), api.myBalance(),
        api.siteRules().catch(() => null)]) : Promise.resolve(null),
    ]);
    currentAsked = refunds.asked || [];
    showPayments(payments.payments || [], currentAsked);
    showRefunds(refunds);
    showReviews(reviews);
    if (helperFacts) {
      const [storefront, plan, balance, rules] = helperFacts;
      planPhrases = { ...planPhrases, ...((rules && rules.phrases) || {}) };
      showStorefront(storefront);
      showPlan(plan);
      showBalance(balance);
      gettingPaid.hidden = false;
    }
    statusLine.textContent = "";
    if (window.location.hash && !quiet) {
      const target = document.getElementById(window.location.hash.slice(1));
      if (target && !target.hidden) {
        target.scrollIntoView();
      }
    }
  } catch (error) {
    statusLine.textContent = "";
    if (leaveIfSignedOut(error)) {
      return;
    }
    failureSlot.replaceChildren(loadFailure(error, () => load()));
  }
}

user = await mountHeader();
if (!user && isSignedIn()) {
  try {
    user = await api.me();
  } catch {
    user = null; // shown as a customer; the lists below still load
  }
}
await load();
