/** Notifications (`/notifications.html`): what happened for the signed-in person, newest first
 * (`GET /me/notifications`, 20 a page, "Load more" with the cursor); each with its kind, title,
 * text, how long ago and a link to the thing; the unread ones marked. "Mark all as read"
 * (`POST /me/notifications/read`) clears them and the bell. A notice the socket brings while the
 * page is open goes on top at once. Titles and texts may hold people's names: text only. */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { onNotice, setUnread } from "../notices.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";
import { formatWhen, isoOf, nowSeconds } from "../when.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

/** What each category is called beside its notices (the preferences page uses the server's). */
const CATEGORIES = {
  calls: "Call",
  payments: "Payment",
  refunds: "Refund",
  reviews: "Review",
  bookings: "Booking",
  orders: "Order",
  events: "Event",
  alerts: "Alert",
};

const status = document.querySelector("[data-inbox-status]");
const failure = document.querySelector("[data-inbox-failure]");
const empty = document.querySelector("[data-inbox-empty]");
const list = document.querySelector("[data-inbox-list]");
const more = document.querySelector("[data-inbox-more]");
const readAll = document.querySelector("[data-inbox-read-all]");
const shown = new Set(); // ids listed, so a notice the socket brings is not listed twice
let cursor = null;
let unread = 0;

const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const STEPS = [[60, "second"], [60, "minute"], [24, "hour"], [7, "day"], [4.35, "week"], [12, "month"]];

/** 1767225600 → "5 minutes ago" (in the reader's language); "just now" under a minute. */
function timeAgo(seconds) {
  let amount = Math.max(0, nowSeconds() - seconds);
  if (amount < 45) {
    return "just now";
  }
  for (const [size, unit] of STEPS) {
    if (amount < size) {
      return RELATIVE.format(-Math.round(amount), unit);
    }
    amount /= size;
  }
  return RELATIVE.format(-Math.round(amount), "year");
}

/** A link on this site only: the server's `url` is a path ("/payments.html#r1"); anything else
 * is not linked ("//elsewhere", and "/\\elsewhere" that browsers read the same way, parse to
 * another origin). */
function siteLink(url) {
  if (typeof url !== "string" || !url.startsWith("/")) {
    return null;
  }
  try {
    const parsed = new URL(url, window.location.origin);
    return parsed.origin === window.location.origin ? parsed.pathname + parsed.search + parsed.hash : null;
  } catch {
    return null;
  }
}

function item(notice) {
  const title = String(notice.title || "");
  const href = siteLink(notice.url);
  const at = Number(notice.at);
  const when = element("time", { datetime: isoOf(at), title: formatWhen(at) }, timeAgo(at));
  const meta = [when, notice.read ? null : element("span", { class: "inbox-new", "data-inbox-new": "" }, "New")];
  const parts = [
    element("span", { class: "inbox-category", "data-category": String(notice.category || "") },
      CATEGORIES[notice.category] || "Notice"),
    element("h2", { class: "inbox-title" }, href ? element("a", { href }, title) : title),
    notice.body ? element("p", { class: "inbox-text" }, String(notice.body)) : null,
    element("p", { class: "inbox-meta" }, ...meta.filter(Boolean)),
  ];
  const row = element("li", {
    class: `inbox-item${notice.read ? "" : " is-unread"}`,
    "data-inbox-item": String(notice.id), "data-category": String(notice.category || ""),
  }, ...parts.filter(Boolean));
  return row;
}

function showCounts() {
  readAll.disabled = unread === 0;
  empty.hidden = list.children.length > 0;
}

async function load({ next = false } = {}) {
  failure.replaceChildren();
  more.disabled = true;
  try {
    const page = await api.notifications(next ? cursor : null);
    cursor = page.next || null;
    const fresh = page.notifications.filter((notice) => !shown.has(notice.id));
    fresh.forEach((notice) => shown.add(notice.id));
    list.append(...fresh.map(item));
    if (!next) {
      unread = page.unread;
      setUnread(page.unread);
    }
    status.textContent = "";
    status.hidden = true;
    more.hidden = !cursor;
    showCounts();
  } catch (error) {
    if (leaveIfSignedOut(error)) {
      return;
    }
    status.textContent = "";
    status.hidden = true;
    failure.replaceChildren(loadFailure(error, () => load({ next })));
  }
  more.disabled = false;
  list.setAttribute("data-inbox-ready", "");
}

function markedRead() {
  for (const row of list.querySelectorAll(".inbox-item.is-unread")) {
    row.classList.remove("is-unread");
    row.querySelector("[data-inbox-new]")?.remove();
  }
}

readAll.addEventListener("click", async () => {
  readAll.disabled = true;
  status.hidden = false;
  status.textContent = "Marking everything as read…";
  try {
    const answer = await api.readNotifications();
    unread = answer.unread;
    markedRead();
    setUnread(answer.unread, { broadcast: true });
    status.textContent = "All notifications are marked as read.";
  } catch (error) {
    if (leaveIfSignedOut(error)) {
      return;
    }
    status.textContent = error.message;
  }
  showCounts();
});

onNotice((notice, count) => {
  if (!list.hasAttribute("data-inbox-ready") || !notice || shown.has(notice.id)) {
    return;
  }
  shown.add(notice.id);
  list.prepend(item(notice));
  if (Number.isInteger(count)) {
    unread = count;
  }
  showCounts();
});

more.addEventListener("click", () => load({ next: true }));
load();
