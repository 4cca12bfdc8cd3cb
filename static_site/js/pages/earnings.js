/** Earnings (`/earnings.html`), for Helpers: pending, payable and on-its-way balances, the next
 * payout day, recent payouts, and the ledger history page by page or as a CSV file. Every amount
 * comes from the server in integer cents; the page only formats it. */

import { api, isSignedIn } from "../api.js";
import { element, saveFile } from "../dom.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { formatCents } from "../money.js";
import { PAYMENT_KINDS, PAYOUT_STATES, stateBadge } from "../payment-labels.js";
import { PAGES, leaveIfSignedOut, signInUrl } from "../paths.js";
import { formatCalendarDay, formatWhen, isoOf } from "../when.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountFooter();

const PAGE_SIZE = 50;
const CSV_NAME = "interkanect-earnings.csv";
const PAYOUT_TIME_ZONE = "America/Los_Angeles";
const CADENCES = Object.freeze({
  weekly: "Payouts go out every Friday",
  biweekly: "Payouts go out every other Friday",
  monthly: "Payouts go out on the 15th of each month",
});
const ACCOUNTS = Object.freeze({ pending: "Pending", payable: "Payable" });
const STOREFRONT = `${PAGES.payments}#getting-paid`;

const statusLine = document.querySelector("[data-earnings-status]");
const failureSlot = document.querySelector("[data-earnings-failure]");
const emptyState = document.querySelector("[data-earnings-empty]");
const emptyNext = document.querySelector("[data-empty-next]");
const balances = document.querySelector("[data-balances]");
const pendingAmount = document.querySelector("[data-balance-pending]");
const heldByRefunds = document.querySelector("[data-held-by-refunds]");
const payableAmount = document.querySelector("[data-balance-payable]");
const transitAmount = document.querySelector("[data-balance-in-transit]");
const nextDay = document.querySelector("[data-next-payout-day]");
const nextBy = document.querySelector("[data-next-payout-by]");
const nextRule = document.querySelector("[data-next-payout-rule]");
const payoutEmail = document.querySelector("[data-payout-email]");
const payouts = document.querySelector("[data-payouts]");
const payoutRows = document.querySelector("[data-payout-rows]");
const historySection = document.querySelector("[data-history]");
const historyRows = document.querySelector("[data-history-rows]");
const historyAlert = document.querySelector("[data-history-alert]");
const historyStatus = document.querySelector("[data-history-status]");
const showOlder = document.querySelector("[data-show-older]");
const downloadCsv = document.querySelector("[data-download-csv]");

let user = null;
let nextBefore = null;

/* ---- Small views ----------------------------------------------------------------------- */

function money(cents) {
  return formatCents(cents, { cents: true });
}

/** An amount in or out of a balance, with its direction as a sign ("+$20.00", "−$20.00"). */
function signedMoney(cents, direction) {
  return direction === "out" ? money(-cents) : `+${money(cents)}`;
}

/** A table cell; `label` is its column's name, shown beside its value where rows stack on narrow
 * screens (the value is one element, so that it stays in one column there). */
function cell(label, content, attributes = {}) {
  return element("td", { role: "cell", "data-label": label, ...attributes },
    element("div", { class: "cell-value" }, ...(Array.isArray(content) ? content : [content])));
}

/** A right-aligned amount; `tone` adds a class (money in or out). */
function numberCell(label, text, { tone = "", ...attributes } = {}) {
  return cell(label, text, { ...attributes, class: tone ? `num ${tone}` : "num" });
}

/** PayPal's reason for a failed payout, its code ("RECEIVER_ACCOUNT_LOCKED …") moved to the end. */
function payoutError(text) {
  const found = /^([A-Z][A-Z0-9_]+)\s+(.+)$/s.exec(String(text || ""));
  return found ? `${found[2]} (${found[1]})` : String(text || "");
}

/** "7 PM" in Pacific time, from the moment the server says a payout is paid by. */
function pacificHour(seconds) {
  try {
    return new Intl.DateTimeFormat("en-US", { hour: "numeric", minute: "numeric", timeZone: PAYOUT_TIME_ZONE })
      .format(new Date(seconds * 1000)).replace(":00", "");
  } catch {
    return "7 PM";
  }
}

function readerIsPacific() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone === PAYOUT_TIME_ZONE;
  } catch {
    return false;
  }
}

/* ---- Balances and the next payout ------------------------------------------------------ */

function showPayoutEmail(email) {
  if (typeof email === "string" && email) {
    payoutEmail.replaceChildren("Payouts go to the PayPal account ", element("strong", {}, email), " (",
      element("a", { href: STOREFRONT }, "change it"), ").");
    payoutEmail.classList.remove("field-error");
  } else {
    payoutEmail.replaceChildren("No payout is sent until you ", element("a", { href: STOREFRONT },
      "set up your storefront"), " with the PayPal email your earnings go to.");
    payoutEmail.classList.add("field-error");
  }
}

/** Pending money an open refund request keeps back: how many, for which sessions, decided by when. */
function showHeldByRefunds(held) {
  if (!held || !held.count) {
    heldByRefunds.hidden = true;
    heldByRefunds.replaceChildren();
    return;
  }
  const requests = held.count === 1 ? "1 open refund request holds" : `${held.count} open refund requests hold`;
  heldByRefunds.replaceChildren(
    `${requests} the earnings of sessions paid ${money(held.paid_cents)} until decided (the first by `,
    element("time", { datetime: isoOf(held.decide_by) }, formatWhen(held.decide_by)), "). ",
    element("a", { href: "/payments.html#refunds-about-me" }, "Give your side"));
  heldByRefunds.hidden = false;
}

function showBalances(earnings) {
  showPayoutEmail(earnings.payout_email);
  pendingAmount.textContent = money(earnings.pending_cents);
  showHeldByRefunds(earnings.held_by_refunds);
  payableAmount.textContent = money(earnings.payable_cents);
  transitAmount.textContent = money(earnings.in_transit_cents);
  const next = earnings.next_payout || {};
  nextDay.replaceChildren(element("time", { datetime: String(next.day || "") },
    formatCalendarDay(next.day, { long: true })));
  if (Number.isFinite(next.pay_by)) {
    nextBy.replaceChildren(`Paid by ${pacificHour(next.pay_by)} Pacific`,
      ...(readerIsPacific() ? [] : [" (", element("time", { datetime: isoOf(next.pay_by) }, formatWhen(next.pay_by)),
        " your time)"]),
      ".");
  } else {
    nextBy.replaceChildren();
  }
  const cadence = CADENCES[next.cadence] || "Payouts go out on payout days";
  nextRule.textContent = Number.isSafeInteger(next.minimum_cents)
    ? `${cadence}, once at least ${money(next.minimum_cents)} is payable.`
    : `${cadence}.`;
  balances.hidden = false;
}

function showEmpty(earnings) {
  const next = earnings.next_payout || {};
  const helper = !user || user.is_helper;
  const parts = [];
  if (helper) {
    parts.push(element("a", { href: STOREFRONT }, "Set up your storefront"),
      " with the PayPal email your earnings go to, and take paid sessions.");
  } else {
    parts.push("Earnings are for Helpers. ",
      element("a", { href: PAGES.becomeHelper }, "Create your Helper page"), " to take paid sessions.");
  }
  if (next.day) {
    parts.push(` ${CADENCES[next.cadence] || "Payouts go out on payout days"}; the next one is `,
      element("time", { datetime: String(next.day) }, formatCalendarDay(next.day, { long: true })), ".");
  }
  emptyNext.replaceChildren(...parts);
  emptyState.hidden = false;
}

/* ---- Payouts --------------------------------------------------------------------------- */

function payoutRow(payout) {
  const status = [stateBadge(PAYOUT_STATES, payout.state)];
  if (payout.state === "returned") {
    status.push(
      element("p", { class: "money-note", "data-payout-error": "" },
        payoutError(payout.error) || "PayPal could not deliver this payout."),
      element("p", { class: "money-note" }, "The money is payable again. ",
        element("a", { href: STOREFRONT, "data-fix-paypal": "" }, "Check your PayPal email"),
        " before the next payout day."));
  }
  return element("tr", { role: "row", "data-testid": "payout-row", "data-state": payout.state },
    cell("Payout day",
      element("time", { datetime: String(payout.payout_day || "") }, formatCalendarDay(payout.payout_day))),
    numberCell("Amount", money(payout.amount_cents)),
    cell("To", payout.receiver || "—", { class: "money-receiver" }),
    cell("Status", status));
}

function showPayouts(list) {
  payoutRows.replaceChildren(...list.map(payoutRow));
  payouts.hidden = list.length === 0;
}

/* ---- History --------------------------------------------------------------------------- */

function historyRow(line) {
  const what = [element("span", { class: "money-what" }, line.label || line.kind)];
  const kind = PAYMENT_KINDS[line.payment_kind];
  if (kind) {
    what.push(element("span", { class: "money-muted" }, ` · ${kind}`));
  }
  const isCapture = Number.isSafeInteger(line.gross_cents);
  return element("tr", {
    role: "row", "data-testid": "history-row", "data-kind": line.kind, "data-position": String(line.position),
  },
  cell("Date", element("time", { datetime: isoOf(line.at) }, formatWhen(line.at))),
  cell("What", what),
  numberCell("Paid by customer", isCapture ? money(line.gross_cents) : "—", { "data-gross": "" }),
  numberCell("Fees", Number.isSafeInteger(line.fees_cents) ? money(line.fees_cents) : "—", { "data-fees": "" }),
  numberCell("To you", signedMoney(line.amount_cents, line.direction),
    { tone: line.direction === "out" ? "money-out" : "money-in", "data-to-you": "" }),
  cell("Balance", ACCOUNTS[line.account] || line.account, { "data-account": "" }));
}

function appendHistory(lines, before) {
  const shown = new Set(Array.from(historyRows.children, (row) => row.dataset.position));
  const fresh = lines.filter((line) => !shown.has(String(line.position)));
  historyRows.append(...fresh.map(historyRow));
  nextBefore = before || null;
  showOlder.hidden = !nextBefore;
  historySection.hidden = historyRows.children.length === 0;
}

showOlder.addEventListener("click", async () => {
  if (!nextBefore) {
    return;
  }
  historyAlert.textContent = "";
  showOlder.disabled = true;
  historyStatus.textContent = "Loading older lines…";
  try {
    const page = await api.myEarnings({ limit: PAGE_SIZE, before: nextBefore });
    const before = historyRows.children.length;
    appendHistory(page.history || [], page.next_before);
    const added = historyRows.children.length - before;
    historyStatus.textContent = added ? `${added} older ${added === 1 ? "line" : "lines"} shown.` : "No older lines.";
  } catch (error) {
    historyStatus.textContent = "";
    if (leaveIfSignedOut(error)) {
      return;
    }
    historyAlert.textContent = (error && error.message) || "Older lines could not be loaded.";
  } finally {
    showOlder.disabled = false;
  }
});

/* ---- The CSV file ---------------------------------------------------------------------- */

/** Fetches the file with the bearer token (a plain link could not send it) and hands it to the
 * browser as a download from an object URL. */
downloadCsv.addEventListener("click", async () => {
  historyAlert.textContent = "";
  const label = downloadCsv.textContent;
  downloadCsv.disabled = true;
  downloadCsv.textContent = downloadCsv.dataset.busyLabel || label;
  try {
    const { blob, filename } = await api.earningsCsv();
    saveFile(blob, filename || CSV_NAME);
    historyStatus.textContent = "Your CSV file is downloading.";
  } catch (error) {
    if (leaveIfSignedOut(error)) {
      return;
    }
    historyAlert.textContent = (error && error.message) || "The CSV file could not be made.";
  } finally {
    downloadCsv.disabled = false;
    downloadCsv.textContent = label;
  }
});

/* ---- Loading --------------------------------------------------------------------------- */

async function load() {
  failureSlot.replaceChildren();
  statusLine.textContent = "Loading your earnings…";
  try {
    const earnings = await api.myEarnings({ limit: PAGE_SIZE });
    const lines = earnings.history || [];
    const payoutList = earnings.payouts || [];
    historyRows.replaceChildren();
    statusLine.textContent = "";
    if (lines.length === 0 && payoutList.length === 0) {
      showEmpty(earnings);
      return;
    }
    emptyState.hidden = true;
    showBalances(earnings);
    showPayouts(payoutList);
    appendHistory(lines, earnings.next_before);
  } catch (error) {
    statusLine.textContent = "";
    if (leaveIfSignedOut(error)) {
      return;
    }
    failureSlot.replaceChildren(loadFailure(error, () => load()));
  }
}

user = await mountHeader();
await load();
