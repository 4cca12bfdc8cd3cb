/** Ops: the reported blog posts, on the moderation page beside the reported reviews
 * (`/ops-reviews.html`). Open reports come oldest first, a page at a time, grouped by post: each
 * card shows the post (its title, a link to it, its excerpt and Helper) with every report about
 * it, and ops decides once per post: hide it with a note (its Helper sees the note in their
 * editor) or keep it. Either closes all its reports. The server decides who may see this (403
 * outside ops): the section stays hidden then, as the reviews' part of the page says why. */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { clearErrors, showError, showFieldError } from "../forms.js";
import { helperPagePath } from "../helper-card.js";
import { leaveIfSignedOut } from "../paths.js";
import { timeOf } from "../when.js";

const PAGE_SIZE = 20;
const section = document.querySelector("[data-ops-posts]");
const statusLine = section.querySelector("[data-posts-status]");
const outcome = section.querySelector("[data-posts-outcome]");
const queue = section.querySelector("[data-posts-queue]");
const empty = section.querySelector("[data-posts-empty]");
const moreRow = section.querySelector("[data-posts-more-row]");
const moreButton = section.querySelector("[data-posts-more]");
const cards = new Map(); // "<helper_id>/<post_id>" -> {item, reportList, reports}
let nextCursor = null;
let uid = 0;

const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

function reportItem(report) {
  return element("li", { class: "ops-report", "data-testid": "ops-post-report" },
    element("p", { class: "ops-report-head" },
      element("strong", {}, report.reason_text || report.reason),
      element("span", { class: "money-muted" }, " · reported ", timeOf(report.created_at))),
    element("p", { class: `money-quote${report.text ? "" : " money-muted"}` },
      element("span", { class: "money-label" }, "Details: "), report.text || "No details given."),
    element("p", { class: "money-note" }, "Reporter ", element("code", { class: "ops-id" }, report.reporter_id)));
}

function drop(key, message) {
  const card = cards.get(key);
  if (card) {
    card.item.remove();
    cards.delete(key);
  }
  outcome.className = "notice notice-success";
  outcome.textContent = message;
  outcome.hidden = false;
  outcome.setAttribute("tabindex", "-1");
  outcome.focus();
  summarize();
}

function decisionForm(report, key, title) {
  uid += 1;
  const id = `post-note-${uid}`;
  const note = element("textarea", { id, name: "note", rows: "3", maxlength: "2000",
    "aria-describedby": `${id}-hint ${id}-error` });
  const hide = element("button", { type: "submit", class: "button button-danger", value: "hide" }, "Hide post");
  const keep = element("button", { type: "submit", class: "button button-secondary", value: "keep" }, "Keep post");
  const form = element("form", { class: "form form-compact decision-form", novalidate: "" },
    element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
    element("div", { class: "field" },
      element("label", { for: id }, "Note (required to hide)"), note,
      element("p", { class: "field-hint", id: `${id}-hint` },
        "Why you decided so. Hiding needs one: the Helper sees it beside the post in their editor."),
      element("p", { class: "field-error", id: `${id}-error`, "data-error-for": "note" })),
    element("div", { class: "button-row" }, hide, keep));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const decision = event.submitter && event.submitter.value;
    const text = note.value.trim();
    if (decision === "hide" && !text) {
      showFieldError(form, "note", "Write a note to hide the post: its Helper is told why.");
      return;
    }
    hide.disabled = true;
    keep.disabled = true;
    try {
      const decided = await api.decidePost(report.helper_id, report.post_id, { decision, note: text });
      const closed = plural(Number(decided.reports_closed) || 0, "report");
      drop(key, decision === "hide" ? `Hidden: “${title}” left the blog. ${closed} closed.`
        : `Kept: “${title}” stays on the blog. ${closed} closed.`);
    } catch (error) {
      hide.disabled = false;
      keep.disabled = false;
      if (error && error.status === 409) {
        drop(key, `Someone else decided about “${title}” already; it left the queue.`);
      } else if (!leaveIfSignedOut(error)) {
        showError(form, error);
      }
    }
  });
  return form;
}

function card(report, key) {
  const { post, helper } = report;
  const title = post ? post.title : "A post that is no longer there";
  const heading = element("h3", { class: "money-item-title" },
    post && post.url ? element("a", { href: post.url }, title) : title);
  const by = helper ? element("p", { class: "money-note" }, "By ",
    element("a", { href: helperPagePath(helper.username) }, helper.display_name || `@${helper.username}`),
    element("span", { class: "money-muted" }, ` @${helper.username}`)) : element("p", {});
  const reportList = element("ul", { class: "ops-reports", "aria-label": "Reports about this post" });
  const item = element("li", {
    class: "money-item ops-post", "data-testid": "ops-post", "data-post-id": report.post_id,
  },
    element("div", { class: "money-item-head" }, heading,
      report.hidden ? element("span", { class: "badge state-badge state-denied" }, "Hidden already") : ""),
    by,
    element("p", { class: `money-quote${post && post.excerpt ? "" : " money-muted"}` },
      element("span", { class: "money-label" }, "Excerpt: "), (post && post.excerpt) || "No excerpt."),
    reportList, decisionForm(report, key, title));
  return { item, reportList, reports: [] };
}

function add(report) {
  const key = `${report.helper_id}/${report.post_id}`;
  let found = cards.get(key);
  if (!found) {
    found = card(report, key);
    cards.set(key, found);
    queue.append(found.item);
  }
  found.reports.push(report);
  found.reportList.append(reportItem(report));
}

function summarize() {
  empty.hidden = cards.size > 0 || Boolean(nextCursor);
  moreRow.hidden = !nextCursor;
  statusLine.textContent = cards.size ? `${plural(cards.size, "post")} reported, the oldest report first.` : "";
}

async function fetchPage(cursor) {
  const { reports = [], next_cursor: after = null } = await api.postReports({ limit: PAGE_SIZE, cursor });
  reports.forEach(add);
  nextCursor = after;
  section.hidden = false;
  summarize();
}

moreButton.addEventListener("click", async () => {
  moreButton.disabled = true;
  try {
    await fetchPage(nextCursor);
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      statusLine.textContent = error.message;
    }
  } finally {
    moreButton.disabled = false;
  }
});

if (isSignedIn()) {
  fetchPage(null).catch(() => {
    // Outside ops (403) or unreachable: the reviews' part of the page says why.
  });
}
