/* interKanect's service worker, served at the site root so its scope is the whole site.
 *
 * Call alerts: a ring pushed while no tab of the Helper's is open (the server sends it with TTL
 * 30 s, Urgency high and a Topic per call) shows a notification saying who is calling; tapping it
 * focuses a tab already on that call's room, or opens the room to answer. Notices (the
 * notification centre's: a missed call, a "Notify me" alert, a booking reminder, a new review...,
 * pushed with TTL a day and Urgency normal) show their title and body and open their page.
 * No fetch handler: pages load from the network as before (nothing is cached here). */

const SAME_ORIGIN = self.location.origin;

/** The call room link, if the payload's URL is one of this site's (never another origin's). */
function callRoomUrl(url, callId) {
  try {
    const parsed = new URL(url, SAME_ORIGIN);
    if (parsed.origin === SAME_ORIGIN && parsed.pathname === "/call.html") {
      return parsed.href;
    }
  } catch (error) {
    // fall through to the room built from the call id
  }
  return `${SAME_ORIGIN}/call.html?call=${encodeURIComponent(callId)}&answer=1`;
}

/** A notice's page, if the payload's URL is one of this site's; else the notifications page. */
function noticeUrl(url) {
  try {
    const parsed = new URL(url, SAME_ORIGIN);
    if (parsed.origin === SAME_ORIGIN) {
      return parsed.href;
    }
  } catch (error) {
    // fall through to the notifications page
  }
  return `${SAME_ORIGIN}/notifications.html`;
}

function showNotice(message) {
  const title = typeof message.title === "string" && message.title.trim() ? message.title.trim() : "interKanect";
  return self.registration.showNotification(title, {
    body: typeof message.body === "string" ? message.body : "",
    tag: `notice-${message.id}`,
    data: { url: noticeUrl(message.url), notice: message.id },
  });
}

function readPush(event) {
  if (!event.data) {
    return null;
  }
  try {
    const message = event.data.json();
    return message && typeof message === "object" ? message : null;
  } catch (error) {
    return null;
  }
}

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("push", (event) => {
  const message = readPush(event);
  if (message && message.type === "notice" && typeof message.id === "string") {
    event.waitUntil(showNotice(message));
    return;
  }
  if (!message || message.type !== "ring" || typeof message.call_id !== "string") {
    // Every push must show something (Chrome otherwise says the site updated in the background).
    event.waitUntil(self.registration.showNotification("interKanect", { body: "Something new on interKanect." }));
    return;
  }
  const caller = typeof message.caller === "string" && message.caller.trim() ? message.caller.trim() : "Someone";
  const url = callRoomUrl(message.url, message.call_id);
  event.waitUntil(self.registration.showNotification(`${caller} is calling you`, {
    body: "Tap to answer on interKanect.",
    tag: `ring-${message.call_id}`, // the same call again replaces its notification
    renotify: true,
    data: { url, call_id: message.call_id, expires_at: message.expires_at || null },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || `${SAME_ORIGIN}/`;
  event.waitUntil((async () => {
    const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = tabs.find((tab) => tab.url === url);
    if (open) {
      return open.focus();
    }
    return self.clients.openWindow(url);
  })());
});
