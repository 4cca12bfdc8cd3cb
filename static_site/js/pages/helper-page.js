/** A Helper's public page (`/h/<username>`, rendered by the server): header and footer, live
 * status with the Call now button (shown while the Helper is online; it opens the call room, or
 * sign-in first for a visitor), weekly hours in the visitor's own time zone, and language
 * names in the visitor's language.
 *
 * Markup it reads: `[data-status-for]`, `[data-call-now]` (with `data-call-helper`, the username,
 * and a `[data-call-now-note]`), `[data-helper-page]` with `data-user-id`, schedule rows with `data-day`
 * (0 = Monday), `data-start`, `data-end` ("HH:MM") and `data-time-zone`, optionally a
 * `[data-local-time]` inside each row for the text (a table row `Day | From | To` is filled
 * cell by cell) and a `[data-schedule-note]` for the note; `[data-language="<code>"]`; and the
 * reviews section `[data-reviews]` (js/reviews/review-list.js); and `[data-owner-toolbar]`, the
 * owner's links to edit the page, the store, its orders and sales, shown on their own page only;
 * and "Book a time" (`[data-book]`): its widget (js/bookings/book-widget.js, with its stylesheet)
 * is only loaded when the visitor opens it ([data-book-open], [data-book-jump] or `#book`); and
 * "Notify me when available" (`[data-notify-me]`, js/notify-me.js) while the Helper is away; and
 * the Helper's polls (`[data-polls]`, js/polls.js). */

import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { startLiveStatus } from "../live-status.js";
import { callUrl, signInUrl } from "../paths.js";
import { ReviewList } from "../reviews/review-list.js";
import "../follow.js"; // Follow ([data-follow]): mounts itself
import { currentUserId, loadSession } from "../session.js";
import {
  formatWindow, nextOccurrence, timeZoneLabel, visitorTimeZone, wallClock,
} from "../weekly-time.js";

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

mountHeader();
mountFooter();
showOwnerToolbar();
wireNotifyMe();
const liveStatus = startLiveStatus();
wireCallNow();
const windows = weeklyWindows();
showScheduleInVisitorTime(windows);
showNextUsualHours(windows);
nameLanguages();
showReviews();
wireBooking();
showPolls();

/** The signed-in owner of the page sees their toolbar above the banner (rendered hidden, so
 * that visitors' layout never moves); the server still checks every change they make. */
function showOwnerToolbar() {
  const page = document.querySelector("[data-helper-page]");
  const toolbar = document.querySelector("[data-owner-toolbar]");
  if (toolbar && page && loadSession() && currentUserId() === page.getAttribute("data-user-id")) {
    toolbar.hidden = false;
  }
}

/** Call now rings the Helper from the call room; a visitor signs in first and comes back to it.
 * (Live status shows the button only while the Helper is online.) */
function wireCallNow() {
  const button = document.querySelector("[data-call-now][data-call-helper]");
  if (!button) {
    return;
  }
  const page = document.querySelector("[data-helper-page]");
  const note = button.querySelector("[data-call-now-note]");
  const room = callUrl({ helper: button.getAttribute("data-call-helper") });
  const signedIn = Boolean(loadSession());
  // A note of our own here; else the page's, per status ("Video call in your browser" online,
  // "Rings their phone or computer" reachable), which live status keeps in step.
  const fixNote = (text) => {
    if (note) {
      note.textContent = text;
      note.removeAttribute("data-note-online");
      note.removeAttribute("data-note-reachable");
    }
  };
  if (signedIn && page && currentUserId() === page.getAttribute("data-user-id")) {
    button.disabled = true; // your own page: nobody to call
    fixNote("This is your page");
    return;
  }
  if (!signedIn) {
    fixNote("Sign in first, then call");
  }
  button.disabled = false;
  button.addEventListener("click", () => {
    window.location.assign(loadSession() ? room : signInUrl(room));
  });
}

/** "Notify me when available", in Call now's place while the Helper is away (live status shows
 * and hides it): a visitor signs in first and comes back to it (`#notify` starts waiting then);
 * for a signed-in visitor its code (js/notify-me.js) loads once the page is up. Never on one's
 * own page. */
function wireNotifyMe() {
  const page = document.querySelector("[data-helper-page]");
  const box = document.querySelector("[data-notify-me]");
  const start = box ? box.querySelector("[data-notify-start]") : null;
  if (!page || !start) {
    return;
  }
  const signedIn = Boolean(loadSession());
  if (signedIn && currentUserId() === page.getAttribute("data-user-id")) {
    box.removeAttribute("data-when-away");
    box.hidden = true;
    return;
  }
  if (!signedIn) {
    box.querySelector("[data-notify-label]").textContent = "Sign in to be notified";
    start.addEventListener("click", () => {
      window.location.assign(signInUrl(`${window.location.pathname}#notify`));
    });
    return;
  }
  const startNow = window.location.hash === "#notify";
  if (startNow) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  const name = document.getElementById("helper-name");
  const load = () => import("../notify-me.js").then(({ mountNotifyMe }) => mountNotifyMe(box, {
    username: page.getAttribute("data-username"),
    helperName: name ? name.textContent.trim() : page.getAttribute("data-username"),
    startNow: startNow && !box.hidden,
    refreshStatus: () => liveStatus.refresh(),
  })).catch(() => {});
  if (document.readyState === "complete") {
    load();
  } else {
    window.addEventListener("load", load, { once: true });
  }
}

/** "Book a time": the widget's code loads on first use, into the space under the button. */
function wireBooking() {
  const page = document.querySelector("[data-helper-page]");
  const section = document.querySelector("[data-book]");
  const open = section ? section.querySelector("[data-book-open]") : null;
  const root = section ? section.querySelector("[data-book-widget]") : null;
  if (!page || !open || !root) {
    return;
  }
  const name = document.getElementById("helper-name");
  let opening = null;
  const show = () => {
    if (opening) {
      return opening;
    }
    open.setAttribute("aria-expanded", "true");
    open.hidden = true;
    root.hidden = false;
    root.replaceChildren(element("p", { class: "status-text", role: "status" }, "Loading free times…"));
    opening = import("../bookings/book-widget.js")
      .then(({ openBookWidget }) => openBookWidget(root, {
        username: page.getAttribute("data-username"),
        helperName: name ? name.textContent.trim() : page.getAttribute("data-username"),
        lengths: pricedLengths(),
        ownPage: Boolean(loadSession()) && currentUserId() === page.getAttribute("data-user-id"),
      }))
      .catch(() => {
        opening = null;
        open.hidden = false;
        open.setAttribute("aria-expanded", "false");
        root.replaceChildren(element("p", { class: "notice notice-error", role: "alert" },
          "The booking calendar could not be loaded. Check your connection and try again."));
      });
    return opening;
  };
  open.addEventListener("click", show);
  const jump = document.querySelector("[data-book-jump]");
  if (jump) {
    jump.addEventListener("click", (event) => {
      event.preventDefault();
      section.scrollIntoView({ block: "start" });
      show();
    });
  }
  if (window.location.hash === "#book") {
    show();
  }
}

/** The lengths with a price on the page (the prices table), shortest first: the widget asks for
 * the first one the Helper takes bookings of. */
function pricedLengths() {
  return [...document.querySelectorAll("[data-minutes]")]
    .filter((row) => !row.querySelector(".price-none"))
    .map((row) => Number.parseInt(row.getAttribute("data-minutes"), 10))
    .filter((minutes) => Number.isSafeInteger(minutes));
}

/** The first page of reviews; on their own page, the Helper can reply to each. */
function showReviews() {
  const page = document.querySelector("[data-helper-page]");
  const section = document.querySelector("[data-reviews]");
  if (!page || !section) {
    return;
  }
  const name = document.getElementById("helper-name");
  new ReviewList(section, {
    username: page.getAttribute("data-username"),
    helperName: name ? name.textContent.trim() : page.getAttribute("data-username"),
    ownPage: Boolean(loadSession()) && currentUserId() === page.getAttribute("data-user-id"),
  }).load();
}

/** The Helper's latest polls (js/polls.js, loaded once the page is up), shown only when there
 * are some: below the reviews, so their arrival moves nothing above. */
function showPolls() {
  const page = document.querySelector("[data-helper-page]");
  const section = document.querySelector("[data-polls]");
  if (!page || !section) {
    return;
  }
  import("../polls.js").then(({ mountPolls }) => mountPolls(section, {
    username: page.getAttribute("data-username"), helperId: page.getAttribute("data-user-id"),
  }));
}

function formatter(timeZone, options) {
  return new Intl.DateTimeFormat(undefined, { timeZone, ...options });
}

/** Writes one window in the visitor's time: a table row `Day | From | To` gets the weekday
 * and the two times (the end with its own weekday when it falls on another day); any other
 * row gets the whole window as text, in its `[data-local-time]` if it has one. */
function showWindow(row, occurrence, zone) {
  const cells = row instanceof HTMLTableRowElement ? row.cells : [];
  if (cells.length >= 3) {
    const weekday = formatter(zone, { weekday: "long" });
    const time = formatter(zone, { hour: "numeric", minute: "2-digit" });
    const startDay = weekday.format(occurrence.start);
    // A window ending at midnight ends "on" the same day, not at the start of the next one.
    const endDay = weekday.format(occurrence.end - 1);
    cells[0].textContent = startDay;
    cells[1].textContent = time.format(occurrence.start);
    cells[2].textContent = endDay === startDay
      ? time.format(occurrence.end)
      : `${time.format(occurrence.end)} (${weekday.format(occurrence.end)})`;
    return;
  }
  const slot = row.querySelector("[data-local-time]") || row;
  slot.textContent = formatWindow(occurrence, { timeZone: zone });
}

/** The page's weekly hours, each row with its next occurrence (read once for the schedule and
 * the usually-online line); a row whose window cannot be placed is left out. */
function weeklyWindows() {
  const now = Date.now();
  return [...document.querySelectorAll("[data-day][data-start][data-end]")].map((row) => {
    const day = Number.parseInt(row.getAttribute("data-day"), 10);
    const start = row.getAttribute("data-start");
    const end = row.getAttribute("data-end");
    const helperZone = row.getAttribute("data-time-zone")
      || (row.closest("[data-time-zone]") || row).getAttribute("data-time-zone") || "UTC";
    const occurrence = nextOccurrence({ day, start, end, timeZone: helperZone }, now);
    return { row, day, start, end, helperZone, occurrence };
  }).filter(({ occurrence }) => occurrence); // unplaced rows keep the server's text
}

function showScheduleInVisitorTime(windows) {
  if (!windows.length) {
    return;
  }
  const zone = visitorTimeZone();
  const placed = [];
  for (const { row, day, start, end, helperZone, occurrence } of windows) {
    showWindow(row, occurrence, zone);
    row.setAttribute("title", `${DAYS[day]} ${start}–${end}, ${timeZoneLabel(helperZone)} time`);
    const local = wallClock(zone, occurrence.start);
    placed.push({ row, order: local.weekday * 1440 + local.hour * 60 + local.minute });
  }
  sortByVisitorWeek(placed);
  const note = document.querySelector("[data-schedule-note]");
  const text = `Times shown in your time zone (${timeZoneLabel(zone)}).`;
  if (note) {
    note.textContent = text;
  } else {
    const first = placed[0].row;
    const container = first.closest("table") || first.parentElement;
    container.before(element("p", { class: "schedule-note" }, text));
  }
}

/** Beside Call now (which shows only while the Helper is online): when they are usually online next, in
 * the visitor's time, from the weekly hours. */
function showNextUsualHours(windows) {
  const line = document.querySelector("[data-usually-online]");
  const next = windows.map(({ occurrence }) => occurrence).sort((a, b) => a.start - b.start)[0];
  if (!line || !next) {
    return;
  }
  const zone = visitorTimeZone();
  line.textContent = next.start <= Date.now()
    ? `Usually online now, until ${formatter(zone, { hour: "numeric", minute: "2-digit" }).format(next.end)} your time.`
    : `Usually online next ${formatWindow(next, { timeZone: zone })}, your time.`;
}

/** After conversion a window may fall on another day: list them Monday first in the visitor's
 * week, when the rows are the only children of their list. */
function sortByVisitorWeek(placed) {
  const parent = placed[0].row.parentElement;
  const allRows = placed.every(({ row }) => row.parentElement === parent)
    && parent.children.length === placed.length;
  if (!allRows) {
    return;
  }
  parent.append(...[...placed].sort((a, b) => a.order - b.order).map(({ row }) => row));
}

function nameLanguages() {
  let names;
  try {
    names = new Intl.DisplayNames([...navigator.languages, "en"], { type: "language" });
  } catch {
    return;
  }
  for (const item of document.querySelectorAll("[data-language]")) {
    const code = item.getAttribute("data-language");
    try {
      const name = names.of(code);
      if (name) {
        item.textContent = name;
        item.setAttribute("title", code);
      }
    } catch {
      // Not a language code the browser knows: keep the code.
    }
  }
}
