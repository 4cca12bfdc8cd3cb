/** The bell in the site header: how many notifications the signed-in person has not read, and
 * the way to /notifications.html.
 *
 * The count is read once from `GET /me/notifications` when the header mounts, and kept up to date
 * by the tab's socket: the server sends `{"type": "notices", "unread", "latest"}` whenever a notice
 * is recorded for the person (docs/websocket.md). After a reconnect it is read again (notices may
 * have come while the socket was down). "Mark all as read" in one tab sets it in every open tab of
 * the site (a BroadcastChannel). A change is announced to screen readers (a polite live region);
 * the first count on load is not. */

import { api } from "./api.js";
import { element } from "./dom.js";
import { PAGES, isCurrentPage } from "./paths.js";
import { realtime } from "./realtime.js";

const CHANNEL = "interkanect.notices";
const listeners = new Set(); // the notifications page hears of each new notice

let bell = null; // {root, badge, label, live, stops, generation}
let unread = null; // the last count known, null before the first
let channel = null;

function words(count) {
  if (!count) {
    return "No unread notifications";
  }
  return count === 1 ? "1 unread notification" : `${count} unread notifications`;
}

function render({ announce }) {
  if (!bell) {
    return;
  }
  const count = unread || 0;
  bell.badge.textContent = count > 99 ? "99+" : String(count);
  bell.badge.hidden = count === 0;
  bell.root.classList.toggle("has-unread", count > 0);
  bell.root.setAttribute("data-unread", String(count));
  bell.label.textContent = count ? `Notifications, ${words(count).toLowerCase()}` : "Notifications";
  if (announce) {
    bell.live.textContent = words(count);
  }
}

/** Sets the unread count shown by the bell (`broadcast`: tell the site's other tabs too). */
export function setUnread(count, { broadcast = false } = {}) {
  if (!Number.isInteger(count) || count < 0) {
    return;
  }
  const changed = unread !== null && count !== unread;
  unread = count;
  render({ announce: changed });
  if (broadcast && channel) {
    channel.postMessage({ unread: count });
  }
}

/** Calls `handler(notification, unread)` for each notice the socket brings while on the page. */
export function onNotice(handler) {
  listeners.add(handler);
  return () => listeners.delete(handler);
}

let frames = 0; // notices frames heard: a read that started before one is older than it

function received(message) {
  frames += 1;
  if (Number.isInteger(message.unread)) {
    setUnread(message.unread);
  }
  if (message.latest && typeof message.latest === "object") {
    for (const handler of [...listeners]) {
      handler(message.latest, message.unread);
    }
  }
}

async function readCount() {
  const before = frames;
  try {
    const page = await api.notifications();
    if (frames === before) {
      setUnread(page.unread);
    }
  } catch {
    // The bell keeps its last count; the socket's next frame sets it.
  }
}

/** The bell for a signed-in person, to put in the header bar. Mounted once a page. */
export function mountBell() {
  if (bell) {
    return bell.root;
  }
  const label = element("span", { class: "visually-hidden", "data-notice-bell-label": "" }, "Notifications");
  const badge = element("span", { class: "notice-badge", "aria-hidden": "true", "data-notice-badge": "" }, "0");
  badge.hidden = true;
  const attributes = { class: "notice-bell-link", href: PAGES.notifications, "data-testid": "notice-bell" };
  if (isCurrentPage(PAGES.notifications)) {
    attributes["aria-current"] = "page";
  }
  const link = element("a", attributes,
    element("span", { class: "notice-bell-icon", "aria-hidden": "true" }), label, badge);
  const live = element("span", { class: "visually-hidden", "aria-live": "polite", "data-notice-live": "" });
  const root = element("div", { class: "notice-bell", "data-notice-bell": "" }, link, live);
  const client = realtime();
  let skipNextOpen = !client.connected; // the first open comes with the read below
  bell = {
    root, badge, label, live,
    stops: [
      client.on("notices", received),
      client.on("open", () => {
        if (!skipNextOpen) {
          readCount(); // a new connection: notices may have come while there was none
        }
        skipNextOpen = false;
      }),
    ],
  };
  if (typeof BroadcastChannel === "function" && !channel) {
    channel = new BroadcastChannel(CHANNEL);
    channel.addEventListener("message", (event) => {
      if (event.data && Number.isInteger(event.data.unread)) {
        setUnread(event.data.unread);
      }
    });
  }
  render({ announce: false });
  readCount();
  return root;
}

/** Signing out: the bell goes, and with it what it listened to. */
export function unmountBell() {
  if (!bell) {
    return;
  }
  for (const stop of bell.stops) {
    stop();
  }
  bell.root.remove();
  bell = null;
  unread = null;
}
