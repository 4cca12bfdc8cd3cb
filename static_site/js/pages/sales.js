/** Sales (`/sales.html`), for Helpers with a store: a period (presets or custom days, grouped by
 * day, week or month), its totals, a chart of revenue, net and orders, the products best sellers
 * first, and the report and the period's orders as CSV files. Every amount comes from the server
 * in integer cents; the page only formats it.
 *
 * The period lives in the address (`?period=30d&by=day`), so a reload or a shared link shows the
 * same report. Modules: sales/period.js (the period's rules), sales/format.js (figures in words),
 * sales/chart.js (the chart); this one wires them to the page. */

import { api, isSignedIn } from "../api.js";
import { element, saveFile } from "../dom.js";
import { clearErrors, clearFieldErrorsOnInput, formReady, showFieldError } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { PAGES, leaveIfSignedOut, signInUrl } from "../paths.js";
import { SalesChart } from "./sales/chart.js";
import {
  GROUPING_WORDS, bucketLabel, chartSummary, count, money, percent, periodLabel,
} from "./sales/format.js";
import {
  customPeriod, dayNumber, groupingFor, isoDay, MAX_DAYS, periodFromQuery, presetPeriod, queryOf, rangeProblem,
  spanDays, todayUtc,
} from "./sales/period.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountFooter();

const MY_STORE = "/my-store.html";
const TOP_PRODUCTS = 3;
const CSV_NAMES = { report: "interkanect-sales.csv", orders: "interkanect-orders.csv" };

const statusLine = document.querySelector("[data-sales-status]");
const failureSlot = document.querySelector("[data-sales-failure]");
const emptyState = document.querySelector("[data-sales-empty]");
const emptyTitle = document.querySelector("[data-empty-title]");
const emptyText = document.querySelector("[data-empty-text]");
const emptyNext = document.querySelector("[data-empty-next]");
const form = document.querySelector("[data-period-form]");
const customFields = document.querySelector("[data-custom]");
const fromInput = form.elements.from;
const toInput = form.elements.to;
const results = document.querySelector("[data-results]");
const periodTitle = document.querySelector("[data-period-title]");
const downloadAlert = document.querySelector("[data-download-alert]");
const downloadStatus = document.querySelector("[data-download-status]");
const chartMoment = document.querySelector("[data-chart-moment]");
const chartSummaryText = document.querySelector("[data-chart-summary]");
const legendButtons = document.querySelectorAll("[data-series]");
const figuresSummary = document.querySelector("[data-figures-summary]");
const seriesCaption = document.querySelector("[data-series-caption]");
const seriesRows = document.querySelector("[data-series-rows]");
const productRows = document.querySelector("[data-product-rows]");
const productsTable = document.querySelector("[data-testid='products-table']");
const noProducts = document.querySelector("[data-no-products]");

let period = periodFromQuery(window.location.search, todayUtc());
let report = null;
let user = null;
let username = null;
let loading = 0; // the number of the latest request: an older answer arriving late is dropped

const chart = new SalesChart(document.querySelector("[data-chart]"), { onHover: showMoment });

/* ---- Small views ----------------------------------------------------------------------- */

/** A table cell labelled by its column (shown beside the value where rows stack on phones). */
function cell(label, content, attributes = {}) {
  return element("td", { role: "cell", "data-label": label, ...attributes },
    element("div", { class: "cell-value" }, ...(Array.isArray(content) ? content : [content])));
}

function numberCell(label, text, attributes = {}) {
  return cell(label, text, { ...attributes, class: "num" });
}

function productUrl(slug) {
  return `/h/${encodeURIComponent(username)}/store/${encodeURIComponent(slug)}`;
}

/* ---- The period picker ----------------------------------------------------------------- */

function showPeriodInForm() {
  form.elements.period.value = period.preset;
  form.elements.by.value = period.by;
  customFields.hidden = period.preset !== "custom";
  const today = todayUtc();
  for (const input of [fromInput, toInput]) {
    input.max = today;
    input.min = isoDay(dayNumber(today) - MAX_DAYS + 1);
  }
  fromInput.value = period.from;
  toInput.value = period.to;
}

function choose(next) {
  period = next;
  window.history.replaceState(null, "", queryOf(period) + window.location.hash);
  showPeriodInForm();
  load();
}

form.addEventListener("change", (event) => {
  const { name, value } = event.target;
  if (name === "period") {
    clearErrors(form);
    if (value === "custom") {
      // The custom range starts as the period shown; the seller changes its days and presses Show.
      period = { ...period, preset: "custom" };
      showPeriodInForm();
      fromInput.focus();
      return;
    }
    choose(presetPeriod(value, todayUtc()));
  } else if (name === "by") {
    choose({ ...period, by: value });
  }
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearErrors(form);
  const problem = rangeProblem(fromInput.value, toInput.value, todayUtc());
  if (problem) {
    showFieldError(form, problem.field, problem.message);
    return;
  }
  const span = spanDays(fromInput.value, toInput.value);
  const keepGrouping = period.preset === "custom" && period.from === fromInput.value && period.to === toInput.value;
  choose(customPeriod(fromInput.value, toInput.value, keepGrouping ? period.by : groupingFor(span)));
});
clearFieldErrorsOnInput(form);
formReady(form);

/* ---- Totals ---------------------------------------------------------------------------- */

function showTotals(totals) {
  const set = (key, text, hint = null) => {
    document.querySelector(`[data-total="${key}"]`).textContent = text;
    if (hint !== null) {
      document.querySelector(`[data-total-hint="${key}"]`).textContent = hint;
    }
  };
  set("gross", money(totals.gross_cents));
  set("fees", money(totals.fee_cents));
  set("refunded", money(totals.refunded_cents));
  set("net", money(totals.net_cents));
  set("orders", totals.orders.toLocaleString(), totals.orders ? `Paid orders, ${count(totals.units, "item", "items")}.` : "Paid orders.");
  set("units", totals.units.toLocaleString());
  set("conversion", percent(totals.conversion_basis_points), totals.views
    ? `${count(totals.orders, "order", "orders")} from ${count(totals.views, "product page view", "product page views")}.`
    : "No product page views in this period.");
}

/* ---- The chart, its legend and its table ----------------------------------------------- */

const LEGEND = {
  gross: (figures) => money(figures.gross_cents),
  net: (figures) => money(figures.net_cents),
  orders: (figures) => figures.orders.toLocaleString(),
};

/** The legend's values: of the bucket under the pointer, or of the whole period. */
function showMoment(index) {
  if (!report) {
    return;
  }
  const bucket = index === null ? null : report.series[index];
  chartMoment.textContent = bucket ? bucketLabel(bucket.start, report.by) : `Whole period, ${GROUPING_WORDS[report.by]}`;
  const figures = bucket || report.totals;
  for (const [key, text] of Object.entries(LEGEND)) {
    document.querySelector(`[data-legend-value="${key}"]`).textContent = text(figures);
  }
}

for (const button of legendButtons) {
  button.addEventListener("click", () => {
    const shown = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", String(shown));
    chart.setVisible(button.dataset.series, shown);
  });
}

function seriesRow(bucket) {
  return element("tr", { role: "row", "data-testid": "series-row", "data-start": bucket.start },
    cell("Period", element("time", { datetime: bucket.start }, bucketLabel(bucket.start, report.by))),
    numberCell("Orders", bucket.orders.toLocaleString()),
    numberCell("Units", bucket.units.toLocaleString()),
    numberCell("Revenue", money(bucket.gross_cents), { "data-gross": "" }),
    numberCell("Fees", money(bucket.fee_cents)),
    numberCell("Refunds", money(bucket.refunded_cents)),
    numberCell("Net", money(bucket.net_cents), { "data-net": "" }));
}

function showChart() {
  const words = GROUPING_WORDS[report.by];
  const summary = chartSummary(report);
  chartSummaryText.textContent = `${summary} Every figure is in the table below the chart.`;
  figuresSummary.textContent = `The figures ${words}, as a table`;
  seriesCaption.textContent = `Revenue, net and orders ${words}, ${periodLabel(report.from, report.to)}`;
  seriesRows.replaceChildren(...report.series.map(seriesRow));
  showMoment(null);
  chart.show(report, {
    label: `Chart of revenue, net and orders ${words}. ${summary}`,
    describedBy: "chart-summary",
    details: "sales-series",
  });
}

/* ---- Products -------------------------------------------------------------------------- */

function byRevenue(a, b) {
  return b.gross_cents - a.gross_cents || b.units - a.units || String(a.title).localeCompare(String(b.title));
}

function productRow(product, rank) {
  const top = rank < TOP_PRODUCTS && product.gross_cents > 0;
  const title = username
    ? element("a", { href: productUrl(product.slug), class: "product-link" }, product.title || product.slug)
    : element("span", {}, product.title || product.slug);
  const name = [title];
  if (top) {
    name.push(element("span", { class: "badge top-badge" }, rank === 0 ? "Top seller" : `Top ${rank + 1}`));
  }
  return element("tr", {
    role: "row", "data-testid": "product-row", "data-slug": product.slug, class: top ? "is-top" : "",
    ...(top ? { "data-top": String(rank + 1) } : {}),
  },
  cell("Product", element("div", { class: "product-name" }, ...name)),
  numberCell("Orders", product.orders.toLocaleString()),
  numberCell("Units", product.units.toLocaleString()),
  numberCell("Revenue", money(product.gross_cents), { "data-gross": "" }),
  numberCell("Net", money(product.net_cents), { "data-net": "" }),
  numberCell("Views", product.views.toLocaleString()),
  numberCell("Conversion", percent(product.conversion_basis_points)));
}

function showProducts(products) {
  const sorted = [...products].sort(byRevenue);
  productRows.replaceChildren(...sorted.map(productRow));
  productsTable.hidden = sorted.length === 0;
  noProducts.hidden = sorted.length > 0;
}

/* ---- The CSV files --------------------------------------------------------------------- */

/** Fetches a file with the bearer token (a plain link could not send it) and hands it to the
 * browser as a download from an object URL. */
async function download(button) {
  const kind = button.dataset.download;
  downloadAlert.textContent = "";
  downloadStatus.textContent = "";
  const label = button.textContent;
  button.disabled = true;
  button.textContent = button.dataset.busyLabel || label;
  try {
    const { from, to, by } = period;
    const { blob, filename } = kind === "orders"
      ? await api.salesOrdersCsv({ from, to })
      : await api.salesReportCsv({ from, to, by });
    saveFile(blob, filename || CSV_NAMES[kind]);
    downloadStatus.textContent = `Your ${kind === "orders" ? "orders" : "report"} file is downloading.`;
  } catch (error) {
    if (leaveIfSignedOut(error)) {
      return;
    }
    downloadAlert.textContent = (error && error.message) || "The file could not be made.";
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

for (const button of document.querySelectorAll("[data-download]")) {
  button.addEventListener("click", () => download(button));
}

/* ---- Loading --------------------------------------------------------------------------- */

function showEmpty({ helper, views = 0 }) {
  form.hidden = true;
  results.hidden = true;
  if (!helper) {
    emptyTitle.textContent = "Sales are for Helpers with a store";
    emptyText.textContent = "Once you have a Helper page, you can sell files and goods from it, and see here what sells.";
    emptyNext.replaceChildren(element("a", { class: "button button-primary", href: PAGES.becomeHelper },
      "Create your Helper page"));
  } else {
    emptyTitle.textContent = "No sales yet";
    emptyText.textContent = views
      ? `Your products were viewed ${count(views, "time", "times")}, but nothing has sold yet. When a buyer pays, `
        + "the sale shows up here: revenue, fees, net, and your best sellers."
      : "When a buyer pays for something in your store, the sale shows up here: revenue, fees, net, and your "
        + "best sellers.";
    emptyNext.replaceChildren(element("a", { class: "button button-primary", href: MY_STORE }, "Go to My Store"),
      " to add products or put them on sale.");
  }
  emptyState.hidden = false;
}

function showReport(found) {
  report = found;
  emptyState.hidden = true;
  form.hidden = false;
  results.hidden = false;
  periodTitle.textContent = periodLabel(found.from, found.to);
  showTotals(found.totals);
  showProducts(found.products || []);
  showChart();
}

/** Whether the store ever sold anything (the longest period the server reports, by month): a
 * quiet week shows zeros, a store that never sold shows how to start. */
async function everSold() {
  const today = todayUtc();
  const whole = await api.mySales({ from: isoDay(dayNumber(today) - MAX_DAYS + 1), to: today, by: "month" });
  return { sold: whole.totals.orders > 0, views: whole.totals.views };
}

let firstLoad = true;

async function load() {
  const mine = ++loading;
  failureSlot.replaceChildren();
  downloadAlert.textContent = "";
  downloadStatus.textContent = "";
  statusLine.textContent = report ? `Loading ${periodLabel(period.from, period.to)}…` : "Loading your sales…";
  results.setAttribute("aria-busy", "true");
  try {
    const [found, page] = await Promise.all([
      api.mySales({ from: period.from, to: period.to, by: period.by }),
      // The store's address, for the products' links (a customer has no page to ask for).
      firstLoad && (!user || user.is_helper) ? api.myPage() : Promise.resolve(firstLoad ? null : undefined),
    ]);
    if (page !== undefined) {
      username = page ? page.username : null;
    }
    let empty = null;
    if (firstLoad && found.totals.orders === 0) {
      const ever = page ? await everSold() : { sold: false, views: 0 };
      empty = ever.sold ? null : { helper: Boolean(page), views: ever.views };
    }
    if (mine !== loading) {
      return;
    }
    firstLoad = false;
    statusLine.textContent = "";
    if (empty) {
      showEmpty(empty);
    } else {
      showReport(found);
    }
  } catch (error) {
    if (mine !== loading) {
      return;
    }
    statusLine.textContent = "";
    if (leaveIfSignedOut(error)) {
      return;
    }
    failureSlot.replaceChildren(loadFailure(error, () => load()));
  } finally {
    if (mine === loading) {
      results.removeAttribute("aria-busy");
    }
  }
}

showPeriodInForm();
user = await mountHeader();
await load();
