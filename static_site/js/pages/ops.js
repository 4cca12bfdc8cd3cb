/** The ops console (`/ops.html`), the ops area's home: today's figures beside the last seven days'
 * totals, what waits for ops (refund reviews and their nearest deadlines, the moderation queue,
 * open flags and the last payout run) with links to those pages, finding a person by username or
 * email, and the audit log (older pages on demand, the whole log as CSV). The server decides who
 * may see this (403 for everyone outside the ops group); the page only says so. */

import { api, isSignedIn } from "../api.js";
import { element, saveFile } from "../dom.js";
import { setBusy } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { formatCents } from "../money.js";
import { auditRow, cell, countLabel, personUrl, plural } from "../ops-console.js";
import { PAYOUT_RUN_STATES } from "../payment-labels.js";
import { leaveIfSignedOut, queryParam, signInUrl } from "../paths.js";
import { formatCalendarDay, formatWhen, timeOf } from "../when.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const forbidden = document.querySelector("[data-ops-forbidden]");
const sections = document.querySelector("[data-console]");
const boardStatus = document.querySelector("[data-board-status]");
const boardFailure = document.querySelector("[data-board-failure]");
const todayDay = document.querySelector("[data-today-day]");
const statsList = document.querySelector("[data-stats]");
const refundsCount = document.querySelector("[data-queue-refunds]");
const refundsNote = document.querySelector("[data-queue-refunds-note]");
const moderationCount = document.querySelector("[data-queue-moderation]");
const flagsCount = document.querySelector("[data-queue-flags]");
const payoutNote = document.querySelector("[data-queue-payout]");
const deadlines = document.querySelector("[data-deadlines]");
const deadlineRows = document.querySelector("[data-deadline-rows]");
const weekRange = document.querySelector("[data-week-range]");
const weekChart = document.querySelector("[data-week-chart]");
const weekTable = document.querySelector("[data-week-table]");
const weekRows = document.querySelector("[data-week-rows]");
const findForm = document.querySelector("[data-find-form]");
const findInput = findForm.querySelector("input[name='q']");
const findError = document.querySelector("[data-find-error]");
const findStatus = document.querySelector("[data-find-status]");
const findResults = document.querySelector("[data-find-results]");
const auditStatus = document.querySelector("[data-audit-status]");
const auditFailure = document.querySelector("[data-audit-failure]");
const auditTable = document.querySelector("[data-audit-table]");
const auditRows = document.querySelector("[data-audit-rows]");
const auditEmpty = document.querySelector("[data-audit-empty]");
const auditMore = document.querySelector("[data-audit-more]");
const auditCsv = document.querySelector("[data-audit-csv]");

const CSV_NAME = "interkanect-ops-audit.csv";
const SVG = "http://www.w3.org/2000/svg";
const money = (cents) => formatCents(cents || 0, { cents: true });
const number = (value) => (Number.isFinite(value) ? value.toLocaleString() : "—");
let auditCursor = null;
let drawnWeek = null;

/** Someone outside ops (or whose session ended) sees the page's notice instead of the console. */
function refused(error) {
  if (leaveIfSignedOut(error)) {
    return true;
  }
  if (error && error.status === 403) {
    sections.hidden = true;
    forbidden.hidden = false;
    return true;
  }
  return false;
}

/* ---- Today and the week ------------------------------------------------------------------ */

/** The figures shown as cards: today's value large, the seven days' total under it. */
const FIGURES = [
  { key: "calls", label: "Calls", today: (d) => number(d.calls_rung),
    note: (d) => `${number(d.calls_answered)} answered` },
  { key: "paid_sessions", label: "Paid sessions", today: (d) => number(d.paid_sessions),
    note: (d) => plural(d.payments, "payment") },
  { key: "revenue", label: "Revenue", today: (d) => money(d.revenue_cents), note: () => "All payments" },
  { key: "fees", label: "Platform fees", today: (d) => money(d.platform_fee_cents), note: () => "Our share" },
  { key: "refunds", label: "Refunds", today: (d) => money(d.refund_cents), note: (d) => plural(d.refunds, "refund") },
  { key: "payouts", label: "Payouts", today: (d) => money(d.payout_cents), note: (d) => plural(d.payouts, "payout") },
];

function weekTotal(figure, totals) {
  return figure.key === "calls" ? `${number(totals.calls_rung)} in 7 days`
    : `${figure.today(totals)} in 7 days`;
}

/** Fills the figure cards the page already has (their places are kept while loading). */
function showFigures(today, totals) {
  for (const figure of FIGURES) {
    const card = statsList.querySelector(`[data-stat="${figure.key}"]`);
    card.querySelector("[data-stat-value]").textContent = figure.today(today);
    card.querySelector("[data-stat-note]").textContent = figure.note(today);
    card.querySelector("[data-stat-week]").textContent = weekTotal(figure, totals);
  }
}

function weekRow(day) {
  return element("tr", { role: "row", "data-day": day.day },
    cell("Day", element("time", { datetime: day.day }, shortDay(day.day))),
    cell("Calls rung", number(day.calls_rung), { class: "num" }),
    cell("Answered", number(day.calls_answered), { class: "num" }),
    cell("Paid sessions", number(day.paid_sessions), { class: "num" }),
    cell("Revenue", money(day.revenue_cents), { class: "num" }),
    cell("Platform fees", money(day.platform_fee_cents), { class: "num" }),
    cell("Refunds", `${number(day.refunds)} · ${money(day.refund_cents)}`, { class: "num" }),
    cell("Payouts", `${number(day.payouts)} · ${money(day.payout_cents)}`, { class: "num" }));
}

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

/** "Dec 6": a day of the week without its year (the range above says the years). */
function shortDay(day) {
  return formatCalendarDay(day).replace(/,? \d{4}$/, "");
}

/** "$90.00" on a wide chart; "$90", "$1.2k" on a narrow one. */
function barLabel(cents, narrow) {
  if (!cents) {
    return "";
  }
  if (!narrow) {
    return money(cents);
  }
  const dollars = cents / 100;
  return dollars >= 1000 ? `$${(dollars / 1000).toFixed(dollars >= 10_000 ? 0 : 1)}k` : `$${Math.round(dollars)}`;
}

/** The week's revenue as bars (the table holds every figure, so the chart is hidden from
 * screen readers). Drawn at the frame's own width so its words stay readable on a phone;
 * sizes are SVG attributes: the CSP allows no inline styles. */
function drawWeek(days) {
  drawnWeek = days;
  weekChart.hidden = false;
  const width = Math.round(Math.min(760, Math.max(300, weekChart.clientWidth - 32)));
  const narrow = width < 520;
  const height = narrow ? 150 : 180;
  const base = height - 26;
  const most = Math.max(1, ...days.map((d) => d.revenue_cents || 0));
  const slot = width / days.length;
  const bars = days.flatMap((day, index) => {
    const tall = Math.round(((day.revenue_cents || 0) / most) * (base - 24));
    const x = Math.round(index * slot + slot * 0.16);
    const barWidth = Math.round(slot * 0.68);
    return [
      svg("rect", { x, y: base - tall, width: barWidth, height: Math.max(tall, 1), rx: 4,
        class: index === days.length - 1 ? "console-bar is-today" : "console-bar" }),
      svg("text", { x: x + barWidth / 2, y: Math.max(base - tall - 6, 12), "text-anchor": "middle",
        class: "console-bar-value" }, barLabel(day.revenue_cents, narrow)),
      svg("text", { x: x + barWidth / 2, y: height - 6, "text-anchor": "middle", class: "console-bar-day" },
        shortDay(day.day)),
    ];
  });
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "presentation",
    "aria-hidden": "true", focusable: "false", class: "console-chart-svg" },
  svg("line", { x1: 0, x2: width, y1: base + 0.5, y2: base + 0.5, class: "console-axis" }), ...bars);
  weekChart.querySelector("svg")?.remove();
  weekChart.prepend(chart);
}

let redraw = 0;
window.addEventListener("resize", () => {
  window.cancelAnimationFrame(redraw);
  redraw = window.requestAnimationFrame(() => drawnWeek && drawWeek(drawnWeek));
});

/* ---- What waits for ops ------------------------------------------------------------------ */

function showQueues(board) {
  const { refunds, moderation, flags, payouts } = board;
  refundsCount.textContent = countLabel(refunds.pending, refunds.more);
  refundsNote.textContent = refunds.overdue
    ? `${plural(refunds.overdue, "request")} past the deadline.`
    : refunds.nearest.length ? "" : "Nothing to decide.";
  if (!refunds.overdue && refunds.nearest.length) {
    refundsNote.append("Next deadline ", timeOf(refunds.nearest[0].deadline), ".");
  }
  refundsCount.closest(".console-queue").classList.toggle("is-urgent", refunds.overdue > 0);
  moderationCount.textContent = countLabel(moderation.open, moderation.more);
  flagsCount.textContent = countLabel(flags.open, flags.more);
  const run = payouts.last_run;
  payoutNote.replaceChildren(run
    ? element("span", {}, `Last payout run ${formatCalendarDay(run.run_id)}: `
      + `${PAYOUT_RUN_STATES[run.state] || run.state}`
      + `, ${plural(run.item_count, "payout")}, ${money(run.total_cents)}${run.late ? " (late)" : ""}.`)
    : "Open flags about Helpers. No payout run yet.");
  deadlineRows.replaceChildren(...refunds.nearest.map((r) => element("tr", {
    role: "row", class: r.overdue ? "is-overdue" : "", "data-testid": "ops-deadline",
  },
  cell("Decide by", [timeOf(r.deadline), ...(r.overdue ? [" ", element("span", { class: "badge badge-overdue" },
    "Overdue")] : [])]),
  cell("Refund", money(r.refund_cents), { class: "num" }),
  cell("Request", element("a", { href: "/ops-refunds.html" }, element("code", { class: "ops-id" }, r.request_id))))));
  deadlines.hidden = refunds.nearest.length === 0;
}

async function loadBoard() {
  boardFailure.replaceChildren();
  boardStatus.textContent = "Loading the figures…";
  try {
    const board = await api.opsDashboard();
    const { today, week } = board;
    todayDay.textContent = `${formatCalendarDay(today.day, { long: true })} (UTC)`;
    showFigures(today, week.totals);
    weekRange.textContent = `${formatCalendarDay(week.first_day)} to ${formatCalendarDay(week.last_day)} (UTC)`;
    weekRows.replaceChildren(...week.days.slice().reverse().map(weekRow));
    weekTable.hidden = false;
    drawWeek(week.days);
    showQueues(board);
    boardStatus.textContent = `As of ${formatWhen(board.at)}.`;
  } catch (error) {
    boardStatus.textContent = "";
    if (!refused(error)) {
      boardFailure.replaceChildren(loadFailure(error, loadBoard));
    }
  }
}

/* ---- Finding a person -------------------------------------------------------------------- */

function personResult(person) {
  return element("li", { class: "console-person", "data-testid": "ops-person-result", "data-user-id": person.user_id },
    element("a", { href: personUrl(person.user_id), class: "console-person-link" },
      element("span", { class: "console-person-name" }, person.display_name || person.username),
      element("span", { class: "console-person-handle" }, `@${person.username}`)),
    element("span", { class: "console-person-email" }, person.email),
    ...(person.is_helper ? [element("span", { class: "badge" }, "Helper")] : []));
}

async function find(query) {
  findError.textContent = "";
  findInput.removeAttribute("aria-invalid");
  if (!query) {
    findError.textContent = "Type a username or an email.";
    findInput.setAttribute("aria-invalid", "true");
    findInput.focus();
    return;
  }
  setBusy(findForm, true);
  findStatus.textContent = "Looking…";
  try {
    const { people = [] } = await api.findPeople(query);
    findResults.replaceChildren(...people.map(personResult));
    findResults.hidden = people.length === 0;
    findStatus.textContent = people.length ? `${plural(people.length, "person", "people")} found.`
      : `No one matches “${query}”.`;
    const url = new URL(window.location.href);
    url.searchParams.set("q", query);
    window.history.replaceState(null, "", url.pathname + url.search);
  } catch (error) {
    findStatus.textContent = "";
    if (!refused(error)) {
      findError.textContent = (error && error.message) || "The search did not work; try again.";
    }
  } finally {
    setBusy(findForm, false);
  }
}

findForm.addEventListener("submit", (event) => {
  event.preventDefault();
  find(findInput.value.trim());
});

/* ---- The audit log ------------------------------------------------------------------------ */

async function loadAudit({ more = false } = {}) {
  auditFailure.replaceChildren();
  auditStatus.textContent = more ? "Loading older entries…" : "Loading the audit log…";
  auditMore.disabled = true;
  try {
    const { entries = [], next = null, people = {} } = await api.auditLog(more ? auditCursor : null);
    const rows = entries.map((entry) => auditRow(entry, people));
    if (more) {
      auditRows.append(...rows);
    } else {
      auditRows.replaceChildren(...rows);
    }
    auditCursor = next;
    auditTable.hidden = auditRows.childElementCount === 0;
    auditEmpty.hidden = auditRows.childElementCount > 0;
    auditMore.hidden = !next;
    auditStatus.textContent = auditRows.childElementCount
      ? `${plural(auditRows.childElementCount, "entry", "entries")} shown${next ? "; older ones below" : ""}.` : "";
    if (more && rows.length) {
      rows[0].querySelector("a, time")?.focus?.();
    }
  } catch (error) {
    auditStatus.textContent = "";
    if (!refused(error)) {
      auditFailure.replaceChildren(loadFailure(error, () => loadAudit({ more })));
    }
  } finally {
    auditMore.disabled = false;
  }
}

auditMore.addEventListener("click", () => loadAudit({ more: true }));

auditCsv.addEventListener("click", async () => {
  const label = auditCsv.textContent;
  auditCsv.disabled = true;
  auditCsv.textContent = auditCsv.dataset.busyLabel || label;
  try {
    const { blob, filename } = await api.auditCsv();
    saveFile(blob, filename || CSV_NAME);
    auditStatus.textContent = "The audit log's CSV file is downloading.";
  } catch (error) {
    if (!refused(error)) {
      auditStatus.textContent = (error && error.message) || "The CSV file could not be made.";
    }
  } finally {
    auditCsv.disabled = false;
    auditCsv.textContent = label;
  }
});

loadBoard();
loadAudit();
const asked = (queryParam("q") || "").trim();
if (asked) {
  findInput.value = asked;
  find(asked);
}
