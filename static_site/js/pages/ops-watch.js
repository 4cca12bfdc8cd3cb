/** Ops: flags and payouts (`/ops-watch.html`). The open flags about Helpers, newest first, each
 * closed with a note; and the payout runs, with their deadline, how their items ended and PayPal's
 * reason for each returned one. The server decides who may see and do this (403 for everyone
 * outside the ops group); the page only says so. */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { clearErrors, setBusy, showError, showFieldError } from "../forms.js";
import { mountFooter } from "../footer.js";
import { helperPagePath } from "../helper-card.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { formatCents } from "../money.js";
import { personUrl } from "../ops-console.js";
import { FLAG_REASONS, PAYOUT_RUN_STATES, stateBadge } from "../payment-labels.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";
import { formatCalendarDay, formatWhen, isoOf, nowSeconds, timeOf } from "../when.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const PAYOUT_TIME_ZONE = "America/Los_Angeles";

const forbidden = document.querySelector("[data-ops-forbidden]");
const flagsSection = document.querySelector("[data-flags]");
const flagsStatus = document.querySelector("[data-flags-status]");
const flagsFailure = document.querySelector("[data-flags-failure]");
const flagsTable = document.querySelector("[data-flags-table]");
const flagRows = document.querySelector("[data-flag-rows]");
const flagsEmpty = document.querySelector("[data-flags-empty]");
const runsSection = document.querySelector("[data-runs]");
const runsStatus = document.querySelector("[data-runs-status]");
const runsFailure = document.querySelector("[data-runs-failure]");
const runsTable = document.querySelector("[data-runs-table]");
const runRows = document.querySelector("[data-run-rows]");
const runsEmpty = document.querySelector("[data-runs-empty]");

const money = (cents) => formatCents(cents, { cents: true });
let uid = 0;

/* ---- Small views ----------------------------------------------------------------------- */

/** A table cell; `label` names its column where rows stack on narrow screens. */
function cell(label, content, attributes = {}) {
  return element("td", { role: "cell", "data-label": label, ...attributes },
    element("div", { class: "cell-value" }, ...(Array.isArray(content) ? content : [content])));
}

let pacificFormat = null;

/** "Jan 2, 2099, 7:00 PM PST": payout deadlines are Pacific, whatever the reader's time zone. */
function pacificTime(seconds) {
  if (!Number.isFinite(seconds)) {
    return "—";
  }
  try {
    pacificFormat = pacificFormat || new Intl.DateTimeFormat("en-US", {
      year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
      timeZone: PAYOUT_TIME_ZONE, timeZoneName: "short",
    });
    return pacificFormat.format(new Date(seconds * 1000));
  } catch {
    return formatWhen(seconds);
  }
}

/** PayPal's reason for a returned payout: its status and the error, when it gave one. */
function paypalReason(item) {
  const parts = [item.paypal_status, item.error].filter((part) => typeof part === "string" && part);
  return parts.length ? parts.join(": ") : "No reason given";
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** A refusal for someone outside ops (or whose session ended) ends loading the whole page. */
function refused(error) {
  if (leaveIfSignedOut(error)) {
    return true;
  }
  if (error && error.status === 403) {
    flagsSection.hidden = true;
    runsSection.hidden = true;
    forbidden.hidden = false;
    return true;
  }
  return false;
}

/* ---- Flagged Helpers ------------------------------------------------------------------- */

function helperOf(flag) {
  const history = flag.helper_id
    ? [element("p", { class: "money-note" }, element("a", { href: personUrl(flag.helper_id) }, "History"))] : [];
  if (typeof flag.username === "string" && flag.username) {
    return [element("a", { href: helperPagePath(flag.username) }, `@${flag.username}`), ...history];
  }
  return [element("code", { class: "ops-id" }, flag.helper_id || "—"), ...history];
}

function openCount() {
  return flagRows.querySelectorAll("[data-testid='ops-flag'][data-state='open']").length;
}

function showFlagCount() {
  const open = openCount();
  flagsStatus.textContent = open ? `${plural(open, "open flag")}.` : "";
  flagsEmpty.hidden = open > 0;
  flagsTable.hidden = flagRows.childElementCount === 0;
}

function closedNotice(flag) {
  return element("div", { class: "ops-flag-closed", "data-closed": "", tabindex: "-1" },
    element("p", { class: "notice notice-success", role: "status" }, "Closed."),
    ...(flag.note ? [element("p", { class: "money-quote" },
      element("span", { class: "money-label" }, "Note: "), flag.note)] : []));
}

function closeForm(flag, row) {
  uid += 1;
  const id = `flag-note-${uid}`;
  const note = element("textarea", {
    id, name: "note", rows: "2", maxlength: "2000", required: "", "aria-describedby": `${id}-error`,
  });
  const submit = element("button", {
    type: "submit", class: "button button-secondary button-small", "data-busy-label": "Closing…",
  }, "Close flag");
  const form = element("form", { class: "form form-compact ops-close-form", novalidate: "" },
    element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
    element("div", { class: "field" },
      element("label", { for: id }, "Note (required)"),
      note,
      element("p", { class: "field-error", id: `${id}-error`, "data-error-for": "note" })),
    submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const text = note.value.trim();
    if (!text) {
      showFieldError(form, "note", "Write a note: what you found or did about this Helper.");
      return;
    }
    setBusy(form, true);
    try {
      const closed = await api.closeOpsFlag(flag.flag_id, { note: text });
      const notice = closedNotice(closed);
      row.dataset.state = "closed";
      row.classList.add("is-closed");
      form.replaceWith(notice);
      notice.focus();
      showFlagCount();
    } catch (error) {
      if (refused(error)) {
        return;
      }
      setBusy(form, false);
      showError(form, error);
      if (error && (error.code === "flag_already_closed" || error.status === 409 || error.status === 404)) {
        submit.disabled = true;
        note.disabled = true;
      }
    }
  });
  return form;
}

/** Disqualifies the flagged Helper (free sessions hosted excessively, the FAQ's rule) with a
 * reason they are emailed; the server hides their page, cancels their bookings and holds payouts. */
function disqualifyForm(flag) {
  uid += 1;
  const id = `disqualify-reason-${uid}`;
  const reason = element("textarea", {
    id, name: "reason", rows: "2", minlength: "3", maxlength: "1000", required: "",
    "aria-describedby": `${id}-error`,
  });
  const submit = element("button", {
    type: "submit", class: "button button-danger button-small", "data-busy-label": "Disqualifying…",
  }, "Disqualify");
  const form = element("form", { class: "form form-compact ops-close-form ops-disqualify-form", novalidate: "" },
    element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
    element("div", { class: "field" },
      element("label", { for: id }, "Reason the Helper is told (required)"),
      reason,
      element("p", { class: "field-error", id: `${id}-error`, "data-error-for": "reason" })),
    submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const text = reason.value.trim();
    if (text.length < 3) {
      showFieldError(form, "reason", "Write the reason (3 to 1,000 characters): the Helper reads it.");
      return;
    }
    setBusy(form, true);
    try {
      const done = await api.disqualifyHelper(flag.helper_id, { reason: text });
      const cancelled = Number(done.bookings_cancelled) || 0;
      const notice = element("p", {
        class: "notice notice-success", role: "status", tabindex: "-1", "data-disqualified": "",
      }, `Disqualified.${cancelled ? ` ${plural(cancelled, "booking")} cancelled and refunded.` : ""}`);
      form.replaceWith(notice);
      notice.focus();
    } catch (error) {
      if (refused(error)) {
        return;
      }
      setBusy(form, false);
      showError(form, error);
      if (error && (error.status === 409 || error.status === 404)) {
        submit.disabled = true;
        reason.disabled = true;
      }
    }
  });
  return form;
}

function flagRow(flag) {
  const row = element("tr", {
    role: "row", class: "ops-flag", "data-testid": "ops-flag", "data-flag-id": flag.flag_id,
    "data-state": flag.state || "open",
  });
  const why = [element("strong", { class: "ops-flag-reason" }, FLAG_REASONS[flag.reason] || flag.reason || "Flagged")];
  if (flag.detail) {
    why.push(element("p", { class: "money-note ops-flag-detail" }, flag.detail));
  }
  const actions = [flag.state === "closed" ? closedNotice(flag) : closeForm(flag, row)];
  if (flag.reason === "free_sessions" && flag.helper_id) {
    actions.push(disqualifyForm(flag));
  }
  row.append(
    cell("Flagged", timeOf(flag.flagged_at)),
    cell("Helper", helperOf(flag)),
    cell("Why", why),
    cell("Close", actions));
  return row;
}

async function loadFlags() {
  flagsFailure.replaceChildren();
  flagsStatus.textContent = "Loading the flags…";
  try {
    const { flags = [] } = await api.opsFlags();
    flagRows.replaceChildren(...flags.map(flagRow));
    showFlagCount();
  } catch (error) {
    flagsStatus.textContent = "";
    if (!refused(error)) {
      flagsFailure.replaceChildren(loadFailure(error, loadFlags));
    }
  }
}

/* ---- Payout runs ----------------------------------------------------------------------- */

/** Late: finished after its deadline (the server says so), or not finished and past it already. */
function isLate(run) {
  return run.late === true || (!Number.isFinite(run.finished_at) && Number(run.pay_by) < nowSeconds());
}

function paidBy(run) {
  const parts = [element("time", { datetime: isoOf(run.pay_by) }, pacificTime(run.pay_by))];
  if (isLate(run)) {
    parts.push(" ", element("span", { class: "badge badge-overdue", "data-late": "" }, "Late"));
  }
  if (Number.isFinite(run.finished_at)) {
    parts.push(element("p", { class: "money-note" }, "Finished ", timeOf(run.finished_at)));
  }
  return parts;
}

function stateOf(run) {
  const parts = [stateBadge(PAYOUT_RUN_STATES, run.state)];
  const batches = Object.values(run.batches || {}).filter((id) => typeof id === "string" && id);
  if (batches.length) {
    parts.push(element("p", { class: "money-note" }, "PayPal batch ",
      ...batches.flatMap((id, index) => [...(index ? [", "] : []), element("code", { class: "ops-id" }, id)])));
  }
  return parts;
}

function returnedItem(item) {
  return element("li", { class: "ops-returned-item", "data-testid": "returned-item" },
    element("span", { class: "money-receiver" }, item.receiver || item.helper_id || "—"),
    " ", element("strong", {}, money(item.amount_cents)),
    element("span", { class: "money-note" }, `PayPal: ${paypalReason(item)}`));
}

function outcomeOf(run) {
  const counts = element("p", { class: "ops-run-counts" },
    `${run.paid_count || 0} paid · ${run.reserved_count || 0} under way · ${run.returned_count || 0} returned`);
  const returned = Array.isArray(run.returned) ? run.returned : [];
  if (!returned.length) {
    return counts;
  }
  return [counts, element("ul", { class: "ops-returned", "aria-label": "Returned payouts" },
    ...returned.map(returnedItem))];
}

function runRow(run) {
  const late = isLate(run);
  return element("tr", {
    role: "row", class: `ops-run${late ? " is-late" : ""}`, "data-testid": "payout-run", "data-run-id": run.run_id,
    "data-state": run.state,
  },
  cell("Payout day", element("time", { datetime: run.run_id }, formatCalendarDay(run.run_id))),
  cell("State", stateOf(run)),
  cell("Paid by (Pacific)", paidBy(run)),
  cell("Items", String(run.item_count ?? 0), { class: "num" }),
  cell("Total", money(run.total_cents), { class: "num" }),
  cell("Outcome", outcomeOf(run)));
}

async function loadRuns() {
  runsFailure.replaceChildren();
  runsStatus.textContent = "Loading the payout runs…";
  try {
    const { runs = [] } = await api.payoutRuns();
    runRows.replaceChildren(...runs.map(runRow));
    runsTable.hidden = runs.length === 0;
    runsEmpty.hidden = runs.length > 0;
    const late = runs.filter(isLate).length;
    runsStatus.textContent = runs.length
      ? `${plural(runs.length, "run")}${late ? `, ${late} late` : ""}.`
      : "";
  } catch (error) {
    runsStatus.textContent = "";
    if (!refused(error)) {
      runsFailure.replaceChildren(loadFailure(error, loadRuns));
    }
  }
}

loadFlags();
loadRuns();
