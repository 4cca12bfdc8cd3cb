/** Ops: one person (`/ops-person.html?id=<user id>`): their profile, their standing with the
 * Disqualify or Restore form (a reason is required; the Helper is emailed it and it goes in the
 * audit log), and their history: calls, payments, refund requests, flags and the audit log's
 * entries about them. The server decides who may see this (403 outside the ops group). */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { clearErrors, formReady, setBusy, showError, showFieldError } from "../forms.js";
import { mountFooter } from "../footer.js";
import { helperPagePath } from "../helper-card.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { formatCents } from "../money.js";
import { auditRow, cell, personLink } from "../ops-console.js";
import { FLAG_REASONS, PAYMENT_KINDS, PAYMENT_STATES, REFUND_STATES, stateBadge } from "../payment-labels.js";
import { leaveIfSignedOut, queryParam, signInUrl } from "../paths.js";
import { formatWhen, timeOf } from "../when.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const userId = (queryParam("id") || "").trim();
const title = document.querySelector("[data-person-title]");
const lede = document.querySelector("[data-person-lede]");
const forbidden = document.querySelector("[data-ops-forbidden]");
const statusLine = document.querySelector("[data-person-status]");
const failureSlot = document.querySelector("[data-person-failure]");
const content = document.querySelector("[data-person]");
const profileFacts = document.querySelector("[data-profile]");
const standingState = document.querySelector("[data-standing-state]");
const standingFacts = document.querySelector("[data-standing-facts]");
const standingForm = document.querySelector("[data-standing-form]");
const standingLabel = document.querySelector("[data-standing-label]");
const standingSubmit = document.querySelector("[data-standing-submit]");
const standingNote = document.querySelector("[data-standing-note]");
const reasonInput = standingForm.querySelector("textarea[name='reason']");

const CALL_STATES = Object.freeze({
  ringing: "Ringing", negotiating: "Negotiating", awaiting_payment: "Paying", in_session: "In session",
  ended: "Ended",
});
const money = (cents, currency) => formatCents(cents || 0, { cents: true }) + (currency && currency !== "USD"
  ? ` ${currency}` : "");
let person = null;

function refused(error) {
  if (leaveIfSignedOut(error)) {
    return true;
  }
  if (error && error.status === 403) {
    content.hidden = true;
    statusLine.textContent = "";
    forbidden.hidden = false;
    return true;
  }
  return false;
}

function fact(label, value) {
  return element("div", {}, element("dt", {}, label), element("dd", {}, value));
}

/** Rows into a table, or its "nothing" line when there are none. */
function fill(name, rows, group = `${name}s`) {
  document.querySelector(`[data-${name}-rows]`).replaceChildren(...rows);
  document.querySelector(`[data-${group}-table]`).hidden = rows.length === 0;
  document.querySelector(`[data-${group}-empty]`).hidden = rows.length > 0;
}

/* ---- Profile and standing ------------------------------------------------------------------ */

function showProfile(found) {
  const { person: who, helper } = found;
  title.textContent = who.display_name || `@${who.username}`;
  document.title = `${who.display_name || who.username} — interKanect ops`;
  lede.replaceChildren(`@${who.username} · ${who.email}`);
  profileFacts.replaceChildren(
    fact("Username", helper ? element("a", { href: helperPagePath(who.username) }, `@${who.username}`)
      : `@${who.username}`),
    fact("Email", element("a", { href: `mailto:${who.email}` }, who.email)),
    fact("Joined", who.created_at ? timeOf(Math.floor(Date.parse(who.created_at) / 1000)) : "—"),
    fact("Role", helper ? `Helper (${helper.plan} plan)` : "Customer"),
    fact("User id", element("code", { class: "ops-id" }, who.user_id)));
}

function showStanding(standing, isHelper) {
  const out = Boolean(standing && standing.disqualified);
  standingState.replaceChildren(out
    ? element("span", { class: "badge badge-overdue", "data-testid": "ops-standing-state" }, "Disqualified")
    : element("span", { class: "badge", "data-testid": "ops-standing-state" }, "In good standing"));
  standingFacts.hidden = !out;
  if (out) {
    standingFacts.replaceChildren(
      fact("Why", standing.reason || "—"),
      fact("When", standing.at ? timeOf(standing.at) : "—"),
      fact("By", personLink(standing.by, person ? person.people : {})));
  }
  standingForm.hidden = !isHelper;
  standingNote.hidden = isHelper;
  standingNote.textContent = isHelper ? "" : "Only Helpers can be disqualified; this person has no Helper page.";
  standingForm.dataset.change = out ? "restore" : "disqualify";
  standingLabel.textContent = out ? "Why restore them (the Helper is emailed it)" : "Reason (the Helper is emailed it)";
  standingSubmit.textContent = out ? "Restore" : "Disqualify";
  standingSubmit.dataset.idleLabel = standingSubmit.textContent;
  standingSubmit.dataset.busyLabel = out ? "Restoring…" : "Disqualifying…";
  standingSubmit.className = `button ${out ? "button-primary" : "button-danger"}`;
}

standingForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(standingForm);
  const reason = reasonInput.value.trim();
  if (reason.length < 3) {
    showFieldError(standingForm, "reason", "Write why, in a few words: the Helper reads it.");
    return;
  }
  const change = standingForm.dataset.change;
  setBusy(standingForm, true);
  try {
    const changed = change === "restore" ? await api.restoreHelper(userId, { reason })
      : await api.disqualifyHelper(userId, { reason });
    reasonInput.value = "";
    setBusy(standingForm, false);
    await load({ quiet: true });
    statusLine.textContent = changed.standing ? "Disqualified. The Helper was emailed why."
      : "Restored. The Helper was emailed.";
    standingState.focus();
  } catch (error) {
    setBusy(standingForm, false);
    if (!refused(error)) {
      showError(standingForm, error);
    }
  }
});

/* ---- History --------------------------------------------------------------------------------- */

function callRow(call, people) {
  const terms = call.price_cents === null || call.price_cents === undefined ? "—"
    : `${call.price_cents ? money(call.price_cents) : "Free"} · ${call.minutes} min`;
  return element("tr", { role: "row", "data-testid": "person-call", "data-call-id": call.call_id },
    cell("Started", timeOf(call.created_at)),
    cell("As", call.role === "helper" ? "Helper" : "Caller"),
    cell("With", personLink(call.other_id, people)),
    cell("State", [CALL_STATES[call.state] || call.state, ...(call.end_reason
      ? [element("span", { class: "money-note" }, call.end_reason.replaceAll("_", " "))] : [])]),
    cell("Terms", terms),
    cell("Ended", call.ended_at ? timeOf(call.ended_at) : "—"));
}

function paymentRow(payment, people) {
  const note = payment.refunded_cents ? [element("span", { class: "money-note" },
    `${money(payment.refunded_cents, payment.currency)} refunded`)] : [];
  return element("tr", { role: "row", "data-testid": "person-payment", "data-payment-id": payment.payment_id },
    cell("Created", timeOf(payment.created_at)),
    cell("As", payment.role === "payer" ? "Paid" : "Received"),
    cell("With", personLink(payment.other_id, people, "interKanect")),
    cell("What", [PAYMENT_KINDS[payment.kind] || payment.kind,
      element("span", { class: "money-note" }, payment.description || "")]),
    cell("Amount", [money(payment.amount_cents, payment.currency), ...note], { class: "num" }),
    cell("State", stateBadge(PAYMENT_STATES, payment.state)));
}

function refundRow(request, people) {
  return element("tr", { role: "row", "data-testid": "person-refund", "data-request-id": request.request_id },
    cell("Asked", timeOf(request.requested_at)),
    cell("As", request.role === "payer" ? "Asked" : "About them"),
    cell("With", personLink(request.other_id, people)),
    cell("Refund", money(request.refund_cents, request.currency), { class: "num" }),
    cell("State", stateBadge(REFUND_STATES, request.state)),
    cell("Decide by", request.decided_at ? ["Decided ", timeOf(request.decided_at)] : timeOf(request.deadline)));
}

function flagRow(flag) {
  return element("tr", { role: "row", "data-testid": "person-flag", "data-flag-id": flag.flag_id },
    cell("Flagged", timeOf(flag.flagged_at)),
    cell("Why", [element("strong", {}, FLAG_REASONS[flag.reason] || flag.reason),
      element("span", { class: "money-note" }, flag.detail || "")]),
    cell("State", flag.state === "closed"
      ? ["Closed", element("span", { class: "money-note" }, flag.note || "")] : "Open"));
}

const REPORT_KINDS = Object.freeze({ review: "Review", post: "Post", product: "Product", event: "Event" });

/** A report they filed ("By them", naming whose thing it was) or one of what they publish
 * ("About them", naming who reported it). */
function reportRow(report, people, filed) {
  return element("tr", { role: "row", "data-testid": "person-report", "data-direction": filed ? "filed" : "received" },
    cell("Filed", timeOf(report.created_at)),
    cell("Direction", filed ? "By them" : "About them"),
    cell("About", [element("span", { class: "console-kind" }, REPORT_KINDS[report.kind] || report.kind), " ",
      element("code", { class: "ops-id" }, report.subject_id)]),
    cell("Who", personLink(filed ? report.owner_id : report.reporter_id, people)),
    cell("Why", [element("strong", {}, String(report.reason || "").replaceAll("_", " ")),
      ...(report.note ? [element("span", { class: "money-note" }, report.note)] : [])]));
}

/** Both kinds, newest first. */
function reportRows(reports, people) {
  if (!reports) {
    return [];
  }
  const rows = [...(reports.filed || []).map((r) => [r, true]), ...(reports.received || []).map((r) => [r, false])];
  rows.sort((a, b) => b[0].created_at - a[0].created_at);
  return rows.map(([report, filed]) => reportRow(report, people, filed));
}

/* ---- Loading ----------------------------------------------------------------------------------- */

async function load({ quiet = false } = {}) {
  failureSlot.replaceChildren();
  if (!quiet) {
    statusLine.textContent = "Loading…";
  }
  if (!userId) {
    statusLine.textContent = "";
    failureSlot.replaceChildren(element("p", { class: "notice" }, "No person was named. ",
      element("a", { href: "/ops.html" }, "Find someone in the ops console.")));
    return;
  }
  try {
    person = await api.opsPerson(userId);
    const self = person.person;
    const people = { ...(person.people || {}), [self.user_id]: { username: self.username,
      display_name: self.display_name } };
    showProfile(person);
    showStanding(person.standing, Boolean(person.helper));
    fill("call", person.calls.map((c) => callRow(c, people)));
    fill("payment", person.payments.map((p) => paymentRow(p, people)));
    fill("refund", person.refunds.map((r) => refundRow(r, people)));
    fill("flag", person.flags.map(flagRow));
    fill("report", reportRows(person.reports, people));
    fill("audit", person.audit.map((entry) => auditRow(entry, people)), "audit");
    content.hidden = false;
    statusLine.textContent = quiet ? statusLine.textContent : `As of ${formatWhen(Math.floor(Date.now() / 1000))}.`;
  } catch (error) {
    statusLine.textContent = "";
    if (!refused(error)) {
      failureSlot.replaceChildren(loadFailure(error, () => load()));
    }
  }
}

formReady(standingForm);
standingState.setAttribute("tabindex", "-1");
load();
