/** Live online status for everyone shown on a page, for visitors too.
 *
 * Every element `[data-status-for="<user id>"]` gets the class `status-online`, `status-busy`,
 * `status-reachable` or `status-offline` and the text "Online", "In a call", "Reachable" (no tab open,
 * call alerts on) or "Offline" (in its `[data-status-label]` child if it has one). `[data-call-now]`
 * elements in the same card (`[data-status-scope]`) or, outside any card, on the same page, are
 * shown only while that person can be called (online or reachable; a `[data-call-now-note]` inside
 * takes its `data-note-<status>` text); a
 * `data-call-now="<user id>"` value ties the button to one person; `[data-when-away]` elements
 * likewise only while they are not. Statuses come from
 * `GET /presence` (at most 50 ids a request), every 10 seconds while the tab is visible. */

import { PRESENCE_BATCH, api } from "./api.js";

const POLL_MS = 10_000;
export const STATUS_LABELS = Object.freeze({
  online: "Online",
  busy: "In a call",
  reachable: "Reachable",
  offline: "Offline",
});
// Whom a call can be started to: online, or reachable (no tab open, a ring reaches their
// devices through call alerts).
const CALLABLE = new Set(["online", "reachable"]);
const STATUS_CLASSES = Object.keys(STATUS_LABELS).map((status) => `status-${status}`);

function known(status) {
  return Object.hasOwn(STATUS_LABELS, status) ? status : "offline";
}

function callButtonsFor(element, userId) {
  const scope = element.closest("[data-status-scope]")
    || (element.isConnected ? document : null);
  if (!scope) {
    return []; // not in a card or the page yet: its card applies the status once placed
  }
  return [...scope.querySelectorAll("[data-call-now]")].filter((button) => {
    const owner = button.getAttribute("data-call-now");
    return !owner || owner === userId;
  });
}

/** Shows `status` on one status element and the call buttons that go with it. */
export function applyStatus(element, status) {
  const value = known(status);
  const userId = element.getAttribute("data-status-for") || "";
  element.classList.remove(...STATUS_CLASSES);
  element.classList.add(`status-${value}`);
  element.dataset.status = value;
  const label = element.querySelector("[data-status-label]") || element;
  if (label.textContent !== STATUS_LABELS[value]) {
    label.textContent = STATUS_LABELS[value];
  }
  for (const button of callButtonsFor(element, userId)) {
    button.hidden = !CALLABLE.has(value);
    const note = button.querySelector("[data-call-now-note]");
    const text = note && note.getAttribute(`data-note-${value}`);
    if (text && note.textContent !== text) {
      note.textContent = text;
    }
  }
  for (const away of awayOnlyFor(element, userId)) {
    away.hidden = value === "online";
  }
}

/** `[data-when-away]` elements (Notify me on a Helper's page): the other side of Call now,
 * shown while the person is offline or in a call. */
function awayOnlyFor(element, userId) {
  const scope = element.closest("[data-status-scope]") || (element.isConnected ? document : null);
  return scope ? [...scope.querySelectorAll("[data-when-away]")].filter((away) => {
    const owner = away.getAttribute("data-when-away");
    return !owner || owner === userId;
  }) : [];
}

/** The status the markup was rendered with: `data-status`, else a `status-*` class. */
function initialStatus(element) {
  if (element.dataset.status) {
    return element.dataset.status;
  }
  const named = Object.keys(STATUS_LABELS).find((s) => element.classList.contains(`status-${s}`));
  return named || "offline";
}

function statusElements(root) {
  return [...root.querySelectorAll("[data-status-for]")]
    .filter((element) => element.getAttribute("data-status-for"));
}

async function fetchStatuses(userIds) {
  const statuses = {};
  for (let start = 0; start < userIds.length; start += PRESENCE_BATCH) {
    const batch = userIds.slice(start, start + PRESENCE_BATCH);
    const answer = await api.presence(batch);
    Object.assign(statuses, (answer && answer.statuses) || {});
  }
  return statuses;
}

/** Keeps every status element under `root` live (including ones added later, such as the
 * next page of a directory). Returns `{refresh, stop}`. */
export function startLiveStatus({ root = document, interval = POLL_MS } = {}) {
  let timer = 0;
  let inFlight = null;
  let stopped = false;

  const refresh = async () => {
    if (inFlight) {
      return inFlight;
    }
    const elements = statusElements(root);
    const userIds = [...new Set(elements.map((e) => e.getAttribute("data-status-for")))];
    if (userIds.length === 0) {
      return undefined;
    }
    inFlight = (async () => {
      try {
        const statuses = await fetchStatuses(userIds);
        // Elements added while the request ran are covered by the next round.
        for (const element of elements) {
          const userId = element.getAttribute("data-status-for");
          if (Object.hasOwn(statuses, userId)) {
            applyStatus(element, statuses[userId]);
          }
        }
      } catch {
        // Keep showing the last known statuses; the next round tries again.
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };

  const schedule = () => {
    window.clearTimeout(timer);
    if (!stopped && document.visibilityState !== "hidden") {
      timer = window.setTimeout(async () => {
        await refresh();
        schedule();
      }, interval);
    }
  };

  const onVisibility = () => {
    if (document.visibilityState === "visible") {
      refresh().then(schedule);
    } else {
      window.clearTimeout(timer); // no polling for a tab nobody is looking at
    }
  };
  document.addEventListener("visibilitychange", onVisibility);

  // Show what the markup says right away (call buttons included), then ask the server.
  for (const element of statusElements(root)) {
    applyStatus(element, initialStatus(element));
  }
  refresh().then(schedule);

  return {
    refresh,
    stop() {
      stopped = true;
      window.clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    },
  };
}
