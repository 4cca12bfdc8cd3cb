/** Ops: the moderation queue (`/ops-reviews.html`), one queue for every kind of thing people
 * report — reviews, blog posts, products and events — from `GET /ops/moderation`, the longest
 * waiting first, a page at a time. Each card is one reported thing: its kind, what it is (a link to
 * where the public sees it), whose it is, how many reports and for which reasons, the reporters'
 * notes, and a decision: hide it with a note (its owner is emailed it) or keep it. Either closes
 * all its reports and the card leaves. The server decides who may see and do this (403 outside the
 * ops group); the page only says so. Titles, excerpts and notes are people's text, always set as
 * text (never HTML). */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { clearErrors, showError, showFieldError } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { helperPagePath } from "../helper-card.js";
import { loadFailure, showQueueFailure } from "../load-failure.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";
import { timeOf } from "../when.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const PAGE_SIZE = 20;
const SAME_SITE_PATH = /^\/(?![/\\])/; // the public page of the thing: a path on this site, nothing else
const KIND_NAMES = { review: "Review", post: "Blog post", product: "Product", event: "Event" };
/** What hiding does, said after it is done. */
const HIDDEN_WHERE = {
  review: "left the Helper's page and rating",
  post: "left the blog",
  product: "left the store and the Marketplace",
  event: "left the Helper's page and event list",
};

const statusLine = document.querySelector("[data-ops-status]");
const outcome = document.querySelector("[data-ops-outcome]");
const failureSlot = document.querySelector("[data-ops-failure]");
const forbidden = document.querySelector("[data-ops-forbidden]");
const queue = document.querySelector("[data-ops-queue]");
const empty = document.querySelector("[data-ops-empty]");
const moreRow = document.querySelector("[data-ops-more-row]");
const moreButton = document.querySelector("[data-ops-more]");

/** The cards on the page by subject (`<kind>:<id>`): `{item, count}`. */
const cards = new Map();
let nextCursor = null;
let uid = 0;

const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

function fact(label, ...value) {
  return element("div", {}, element("dt", {}, label), element("dd", {}, ...value));
}

function ownerView(owner) {
  if (!owner) {
    return "—";
  }
  const name = owner.display_name || (owner.username ? `@${owner.username}` : owner.user_id);
  const parts = owner.username
    ? [element("a", { href: helperPagePath(owner.username) }, name), element("span", { class: "money-muted" },
      ` @${owner.username}`)]
    : [name];
  return element("span", {}, ...parts, " ", element("code", { class: "ops-id" }, owner.user_id));
}

/** The card's title: the thing's kind and title, a link to where the public sees it. */
function title(card) {
  const kind = KIND_NAMES[card.kind] || card.kind;
  const heading = element("h2", { class: "money-item-title" },
    element("span", { class: "badge ops-kind", "data-kind": card.kind }, kind), " ");
  const item = card.item;
  if (!item) {
    heading.append("No longer there");
  } else if (typeof item.url === "string" && SAME_SITE_PATH.test(item.url)) {
    heading.append(element("a", { href: item.url, "data-testid": "ops-item-link" }, item.title || "(untitled)"));
  } else {
    heading.append(item.title || "(untitled)");
  }
  return heading;
}

function reasonsList(card) {
  return element("ul", { class: "ops-reasons", "aria-label": "Reasons given", "data-testid": "ops-reasons" },
    ...(card.reasons || []).map((reason) => element("li", { "data-reason": reason.reason },
      element("strong", {}, reason.label || reason.reason), ` × ${reason.count}`)));
}

function notesList(card) {
  const notes = card.notes || [];
  if (!notes.length) {
    return element("p", { class: "money-muted" }, "No notes from the people reporting.");
  }
  return element("ul", { class: "ops-reports", "aria-label": "What the people reporting wrote" },
    ...notes.map((note) => element("li", { class: "ops-report", "data-testid": "ops-report" },
      element("p", { class: "ops-report-head" },
        element("strong", {}, note.label || note.reason),
        element("span", { class: "money-muted" }, " · ", timeOf(note.at))),
      element("p", { class: "money-quote" }, note.note))));
}

/** Ops leaves the card: it is decided (by them or, for a 409, by someone else). */
function dropCard(subject, message, tone) {
  const card = cards.get(subject);
  if (!card) {
    return;
  }
  const next = card.item.nextElementSibling || card.item.previousElementSibling;
  card.item.remove();
  cards.delete(subject);
  outcome.className = `notice notice-${tone}`;
  outcome.textContent = message;
  outcome.hidden = false;
  summarize();
  const target = next ? next.querySelector("h2") : outcome; // on to the next thing waiting
  target.setAttribute("tabindex", "-1");
  target.focus();
  if (!cards.size && nextCursor) {
    loadMore();
  }
}

function decisionForm(card) {
  uid += 1;
  const id = `note-${uid}`;
  const noun = (KIND_NAMES[card.kind] || card.kind).toLowerCase();
  const what = card.item && card.item.title ? `${noun} “${card.item.title}”` : noun;
  const note = element("textarea", {
    id, name: "note", rows: "3", maxlength: "2000", "aria-describedby": `${id}-hint ${id}-error`,
  });
  const hide = element("button", { type: "submit", class: "button button-danger", value: "hide",
    "data-decision": "hide" }, "Hide");
  const keep = element("button", { type: "submit", class: "button button-secondary", value: "keep",
    "data-decision": "keep" }, "Keep");
  const form = element("form", { class: "form form-compact decision-form", novalidate: "" },
    element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
    element("div", { class: "field" },
      element("label", { for: id }, "Note (required to hide)"),
      note,
      element("p", { class: "field-hint", id: `${id}-hint` },
        `Why you decided so; it is kept with the decision and in the audit log. Hiding needs one: the ${noun}'s `
        + "owner receives it by email."),
      element("p", { class: "field-error", id: `${id}-error`, "data-error-for": "note" })),
    element("div", { class: "button-row" }, hide, keep));
  const idle = () => {
    hide.textContent = "Hide";
    keep.textContent = "Keep";
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
      showFieldError(form, "note", `Write a note to hide the ${noun}: its owner is told why by email.`);
      return;
    }
    hide.disabled = true;
    keep.disabled = true;
    form.setAttribute("aria-busy", "true");
    event.submitter.textContent = decision === "hide" ? "Hiding…" : "Keeping…";
    try {
      const decided = await api.decideModeration({ kind: card.kind, id: card.id, decision, note: text });
      const closed = plural(Number(decided.reports_closed) || 0, "report");
      dropCard(card.subject, decision === "hide"
        ? `Hidden: the ${what} ${HIDDEN_WHERE[card.kind] || "is hidden"}; its owner is emailed your note. `
          + `${closed} closed.`
        : `Kept: the ${what} stays. ${closed} closed.`, "success");
    } catch (error) {
      if (error && error.code === "already_decided") {
        dropCard(card.subject, `Someone else decided about the ${what} already; it left the queue.`, "warning");
        return;
      }
      idle();
      if (!leaveIfSignedOut(error)) {
        showError(form, error);
      }
    }
  });
  return form;
}

function caseCard(card) {
  const badges = element("span", { class: "badges" });
  if (card.item && !card.item.shown) {
    badges.append(element("span", { class: "badge state-badge state-denied", "data-hidden": "" }, "Not shown now"));
  }
  const facts = [
    fact("Owner", ownerView(card.owner)),
    fact("First report", timeOf(card.opened_at)),
    fact("Latest", timeOf(card.last_at)),
  ];
  if (card.decision) {
    facts.push(fact("Decided before", `${card.decision.note ? `“${card.decision.note}” ` : ""}`,
      element("span", { class: "money-muted" }, timeOf(card.decision.at))));
  }
  const item = element("li", {
    class: "money-item ops-case", "data-testid": "ops-case", "data-kind": card.kind, "data-subject": card.subject,
  },
  element("div", { class: "money-item-head" }, title(card), badges),
  ...(card.item && card.item.excerpt
    ? [element("p", { class: "money-quote", "data-testid": "ops-excerpt" }, card.item.excerpt)] : []),
  element("dl", { class: "ops-facts" }, ...facts),
  element("h3", { class: "ops-reports-title", "data-testid": "ops-count" },
    `${plural(Number(card.count) || 0, "report")} waiting`),
  reasonsList(card),
  notesList(card),
  element("p", { class: "money-note" }, "Subject ", element("code", { class: "ops-id" }, card.subject)),
  decisionForm(card));
  return item;
}

function addCase(card) {
  if (cards.has(card.subject)) {
    return;
  }
  const item = caseCard(card);
  cards.set(card.subject, { item, count: Number(card.count) || 0 });
  queue.append(item);
}

function summarize() {
  const reports = [...cards.values()].reduce((sum, card) => sum + card.count, 0);
  empty.hidden = cards.size > 0 || Boolean(nextCursor);
  moreRow.hidden = !nextCursor;
  const counted = `${plural(cards.size, "thing")} reported (${plural(reports, "report")})`;
  statusLine.textContent = cards.size ? `${counted}${nextCursor ? " so far" : ""}, the longest waiting first.` : "";
}

async function fetchPage(cursor) {
  const { items = [], next_cursor: after = null } = await api.moderationQueue({ limit: PAGE_SIZE, cursor });
  items.forEach(addCase);
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
    moreButton.textContent = "Show more";
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
