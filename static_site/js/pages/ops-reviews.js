/** Ops: the reported reviews (`/ops-reviews.html`). The open reports come oldest first, a page at
 * a time; the page groups them by review, so each card shows one review (its stars, text, author
 * and Helper) with every report about it, and ops decides once per review: hide it with a note
 * (the author is emailed it) or keep it. Either closes all its reports and the card leaves. The
 * server decides who may see and do this (403 for everyone outside the ops group); the page only
 * says so. Review, reply and report texts are plain text, always set as text. */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { clearErrors, showError, showFieldError } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { helperPagePath } from "../helper-card.js";
import { loadFailure, showQueueFailure } from "../load-failure.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";
import { starRow } from "../reviews/stars.js";
import { timeOf } from "../when.js";
import "./ops-posts.js"; // the reported blog posts' part of the page (one page module, as on every page)

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const PAGE_SIZE = 20;

const statusLine = document.querySelector("[data-ops-status]");
const outcome = document.querySelector("[data-ops-outcome]");
const failureSlot = document.querySelector("[data-ops-failure]");
const forbidden = document.querySelector("[data-ops-forbidden]");
const queue = document.querySelector("[data-ops-queue]");
const empty = document.querySelector("[data-ops-empty]");
const moreRow = document.querySelector("[data-ops-more-row]");
const moreButton = document.querySelector("[data-ops-more]");

/** The cards on the page by review id, in the order of their oldest report: `{item, reportList,
 * reportCount, reports}`. */
const cards = new Map();
let nextCursor = null;
let uid = 0;

const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** The review a report is about: its id is `<review_id>#<reporter_id>`, for when the review
 * itself could not be read. */
function reviewIdOf(report) {
  if (report.review && report.review.review_id) {
    return report.review.review_id;
  }
  const id = String(report.report_id || "");
  const cut = id.lastIndexOf("#");
  return cut > 0 ? id.slice(0, cut) : id;
}

function fact(label, ...value) {
  return element("div", {}, element("dt", {}, label), element("dd", {}, ...value));
}

function quote(label, text, emptyText) {
  return element("p", { class: `money-quote${text ? "" : " money-muted"}` },
    element("span", { class: "money-label" }, label), text || emptyText);
}

function reportItem(report) {
  return element("li", { class: "ops-report", "data-testid": "ops-report", "data-report-id": report.report_id },
    element("p", { class: "ops-report-head" },
      element("strong", { "data-reason": report.reason }, report.reason_text || report.reason),
      element("span", { class: "money-muted" }, " · reported ", timeOf(report.created_at))),
    quote("Details: ", report.text, "No details given."),
    element("p", { class: "money-note" }, "Reporter ",
      element("code", { class: "ops-id" }, report.reporter_id || "—")));
}

/** "Review of <Helper>", the Helper's name a link to their page, their @username beside it. */
function reviewTitle(helper) {
  if (!helper) {
    return element("h2", { class: "money-item-title" }, "Review of a Helper who has no page now");
  }
  return element("h2", { class: "money-item-title" }, "Review of ",
    element("a", { href: helperPagePath(helper.username) }, helper.display_name || `@${helper.username}`),
    element("span", { class: "money-muted" }, ` @${helper.username}`));
}

function reviewFacts(review) {
  const facts = [
    fact("Author", review.author && review.author.display_name ? review.author.display_name : "A customer"),
    fact("Written", timeOf(review.created_at)),
  ];
  if (review.edited_at) {
    facts.push(fact("Edited", timeOf(review.edited_at)));
  }
  if (review.session_minutes) {
    facts.push(fact("Session", `${review.session_minutes}-minute session`));
  }
  return element("dl", { class: "ops-facts" }, ...facts);
}

/** Ops leaves the card: the review is decided (by them or, for a 409, by someone else). */
function dropCard(reviewId, message, tone) {
  const card = cards.get(reviewId);
  if (!card) {
    return;
  }
  const next = card.item.nextElementSibling || card.item.previousElementSibling;
  card.item.remove();
  cards.delete(reviewId);
  outcome.className = `notice notice-${tone}`;
  outcome.textContent = message;
  outcome.hidden = false;
  summarize();
  // Focus moves on to the next review waiting, or to the outcome when none is left.
  const target = next ? next.querySelector("h2") : outcome;
  target.setAttribute("tabindex", "-1");
  target.focus();
  if (!cards.size && nextCursor) {
    loadMore();
  }
}

function decisionForm(reviewId, { authorName }) {
  uid += 1;
  const id = `note-${uid}`;
  const note = element("textarea", {
    id, name: "note", rows: "3", maxlength: "2000", "aria-describedby": `${id}-hint ${id}-error`,
  });
  const hide = element("button", {
    type: "submit", class: "button button-danger", value: "hide", "data-decision": "hide",
  }, "Hide review");
  const keep = element("button", {
    type: "submit", class: "button button-secondary", value: "keep", "data-decision": "keep",
  }, "Keep review");
  const form = element("form", { class: "form form-compact decision-form", novalidate: "" },
    element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
    element("div", { class: "field" },
      element("label", { for: id }, "Note (required to hide)"),
      note,
      element("p", { class: "field-hint", id: `${id}-hint` },
        `Why you decided so; it is kept with the decision. Hiding needs one: the review's author (${authorName}) `
        + "receives it by email."),
      element("p", { class: "field-error", id: `${id}-error`, "data-error-for": "note" })),
    element("div", { class: "button-row" }, hide, keep));
  const idle = () => {
    hide.textContent = "Hide review";
    keep.textContent = "Keep review";
    hide.disabled = false;
    keep.disabled = false;
    form.setAttribute("aria-busy", "false");
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const decision = event.submitter && event.submitter.value;
    if (decision !== "hide" && decision !== "keep") {
      return;
    }
    const text = note.value.trim();
    if (decision === "hide" && !text) {
      showFieldError(form, "note", "Write a note to hide the review: its author is told why by email.");
      return;
    }
    hide.disabled = true;
    keep.disabled = true;
    form.setAttribute("aria-busy", "true");
    event.submitter.textContent = decision === "hide" ? "Hiding…" : "Keeping…";
    try {
      const decided = await api.decideReview(reviewId, { decision, note: text });
      const closed = plural(Number(decided.reports_closed) || 0, "report");
      dropCard(reviewId, decision === "hide"
        ? `Hidden: the review by ${authorName} left the Helper's page and the average; its author is `
          + `emailed your note. ${closed} closed.`
        : `Kept: the review by ${authorName} stays on the Helper's page. ${closed} closed.`, "success");
    } catch (error) {
      if (error && error.code === "already_decided") {
        dropCard(reviewId, `Someone else decided about the review by ${authorName} already; it left the queue.`,
          "warning");
        return;
      }
      idle();
      if (leaveIfSignedOut(error)) {
        return;
      }
      showError(form, error);
    }
  });
  return form;
}

function reviewCard(reviewId, first) {
  const { review, helper } = first;
  const reportList = element("ul", { class: "ops-reports", "aria-label": "Reports about this review" });
  const reportCount = element("h3", { class: "ops-reports-title" });
  const badges = element("span", { class: "badges" });
  if (review && review.refunded) {
    badges.append(element("span", { class: "badge state-badge state-refunded", "data-refunded": "" }, "Refunded"));
  }
  if (first.hidden) {
    badges.append(element("span", { class: "badge state-badge state-denied", "data-hidden": "" }, "Hidden already"));
  }
  const item = element("li", {
    class: "money-item ops-review", "data-testid": "ops-review", "data-review-id": reviewId,
  });
  if (!review) {
    item.append(
      element("div", { class: "money-item-head" },
        element("h2", { class: "money-item-title" }, "A review that is no longer there"), badges),
      element("p", { class: "money-muted" }, `Review ${reviewId} could not be read; its reports are below.`),
      reportCount, reportList);
    return { item, reportList, reportCount, reports: [] };
  }
  const stars = Number(review.stars);
  const authorName = (review.author && review.author.display_name) || "A customer";
  item.append(
    element("div", { class: "money-item-head" }, reviewTitle(helper), badges),
    element("p", { class: "ops-review-stars" },
      starRow(stars, { label: `Rated ${stars} out of 5` }),
      element("span", { class: "money-muted", "aria-hidden": "true" }, ` ${stars}/5`)),
    quote("Review: ", review.text, "No text: stars only."),
    ...(review.reply ? [quote("Helper's reply: ", review.reply.text, "")] : []),
    reviewFacts(review),
    element("p", { class: "money-note" }, "Review ", element("code", { class: "ops-id" }, review.review_id)),
    reportCount,
    reportList,
    decisionForm(reviewId, { authorName }));
  return { item, reportList, reportCount, reports: [] };
}

function addReport(report) {
  const reviewId = reviewIdOf(report);
  let card = cards.get(reviewId);
  if (!card) {
    card = reviewCard(reviewId, report);
    cards.set(reviewId, card);
    queue.append(card.item);
  }
  if (card.reports.some((known) => known.report_id === report.report_id)) {
    return;
  }
  card.reports.push(report);
  card.reportList.append(reportItem(report));
  card.reportCount.textContent = `${plural(card.reports.length, "report")}, the oldest first`;
}

function summarize() {
  const reports = [...cards.values()].reduce((sum, card) => sum + card.reports.length, 0);
  empty.hidden = cards.size > 0 || Boolean(nextCursor);
  moreRow.hidden = !nextCursor;
  const counted = `${plural(cards.size, "review")} reported (${plural(reports, "report")})`;
  statusLine.textContent = cards.size ? `${counted}${nextCursor ? " so far" : ""}, the oldest report first.` : "";
}

async function fetchPage(cursor) {
  const { reports = [], next_cursor: after = null } = await api.reviewReports({ limit: PAGE_SIZE, cursor });
  reports.forEach(addReport);
  nextCursor = after;
  summarize();
}

async function loadMore() {
  moreButton.disabled = true;
  moreButton.textContent = "Loading more…";
  try {
    await fetchPage(nextCursor);
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      failureSlot.replaceChildren(loadFailure(error, () => {
        failureSlot.replaceChildren();
        loadMore();
      }));
    }
  } finally {
    moreButton.disabled = false;
    moreButton.textContent = "Show more reports";
  }
}

async function load() {
  failureSlot.replaceChildren();
  statusLine.textContent = "Loading the queue…";
  try {
    await fetchPage(null);
  } catch (error) {
    statusLine.textContent = "";
    showQueueFailure(error, { forbidden, slot: failureSlot, retry: load });
  }
}

moreButton.addEventListener("click", loadMore);
load();
