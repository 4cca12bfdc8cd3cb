/** Answering on the page the Helper is on: the page becomes the call room in place.
 *
 * A new page would cost the answer a page load and a new WebSocket. Instead, while the call
 * rings, the room's modules, stylesheets and markup (`/call.html`) are fetched; nothing about
 * the call is sent and no camera is asked for until Answer. On Answer the answer goes at once
 * over the socket the ring came on, the camera starts, and the page's content is swapped for the
 * room's: its `main`, its stylesheets, its title, no footer. The address becomes the room's
 * (`/call.html?call=<id>`), so a reload comes back to the call as on the room page, and Back
 * loads the page it was. */

import { callUrl } from "../paths.js";
import { currentUserId } from "../session.js";
import { preloadRoomModules, startRoomHead } from "./head.js";

const ROOM_PAGE = "/call.html";

let roomPage = null; // Promise<Document>: the room page's markup, parsed

/** Whether this page can become the room (not the room page itself, which has its own call). */
export function canOpenRoomHere() {
  return !document.body.classList.contains("call-page") && document.querySelector("main") !== null;
}

/** While a call rings: everything the room needs that says nothing about the call. */
export function prepareRoom() {
  preloadRoomModules();
  if (roomPage) {
    return;
  }
  roomPage = fetch(ROOM_PAGE, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.text() : Promise.reject(new Error(`${ROOM_PAGE}: ${response.status}`))))
    .then((html) => new DOMParser().parseFromString(html, "text/html"));
  roomPage.then((page) => {
    for (const sheet of stylesheets(page)) {
      if (!document.querySelector(`link[rel="stylesheet"][href="${sheet}"], link[rel="preload"][href="${sheet}"]`)) {
        document.head.append(Object.assign(document.createElement("link"), { rel: "preload", as: "style", href: sheet }));
      }
    }
  }, () => {
    roomPage = null; // tried again at the next ring, or on Answer
  });
}

/** Answers `callId` and turns this page into its room. Rejects if the room page could not be
 * had; the answer may have gone by then, and the room page (`?call=<id>&answer=1`) rejoins. */
export async function openRoomHere(callId) {
  performance.mark("ik:entry");
  const head = startRoomHead({ mode: "answer", callId });
  prepareRoom();
  const [{ CallRoom }, page] = await Promise.all([import("./room.js"), roomPage]);
  const root = await becomeRoom(page);
  window.history.pushState(null, "", callUrl({ call: callId })); // Back: see CallRoom.start
  new CallRoom({ root, userId: currentUserId(), mode: "answer", callId, head }).start();
}

function stylesheets(doc) {
  return [...doc.querySelectorAll('head link[rel="stylesheet"]')].map((link) => link.getAttribute("href"));
}

/** Swaps this page's content for the room's; resolves with the room's `main` once its styles
 * apply (they were fetched while it rang), so the room never shows unstyled. */
async function becomeRoom(page) {
  const wanted = stylesheets(page);
  const present = new Map([...document.querySelectorAll('head link[rel="stylesheet"]')]
    .map((link) => [link.getAttribute("href"), link]));
  const loading = [];
  for (const href of wanted) {
    if (!present.has(href)) {
      const link = Object.assign(document.createElement("link"), { rel: "stylesheet", href });
      loading.push(new Promise((resolve) => {
        link.addEventListener("load", resolve, { once: true });
        link.addEventListener("error", resolve, { once: true });
      }));
      document.head.append(link);
    }
  }
  await Promise.all(loading);
  for (const [href, link] of present) {
    if (!wanted.includes(href)) {
      link.remove(); // the old page's own styles
    }
  }
  const viewport = page.querySelector('meta[name="viewport"]');
  const ours = document.querySelector('meta[name="viewport"]');
  if (viewport && ours) {
    ours.setAttribute("content", viewport.getAttribute("content"));
  }
  document.title = page.title;
  document.body.className = page.body.className;
  document.querySelector("[data-site-footer]")?.remove();
  const root = document.importNode(page.querySelector("main"), true);
  document.querySelector("main").replaceWith(root);
  return root;
}
