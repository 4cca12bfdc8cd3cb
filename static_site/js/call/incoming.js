/** The incoming-call pop-up, on every page for a signed-in Helper.
 *
 * When the server says a call to me is ringing, the page chirps and shows who is calling with
 * Answer and Decline (a booked session says so: answering it starts the session, no terms to
 * agree); when the tab is in the background a browser notification says it too (if
 * the person allowed notifications: the pop-up offers to ask, and never asks on its own). The
 * pop-up goes away on every tab as soon as the call stops ringing: answered here or in another
 * tab, declined, cancelled by the caller, or missed.
 *
 * Answer turns the page into the call room and answers over this page's connection (the server
 * ties the call to the connection that answered): js/call/room-here.js. During another call,
 * Answer opens the room in a new tab instead, which answers from its own connection. */

import { element, visibleText } from "../dom.js";
import { callUrl } from "../paths.js";
import { realtime } from "../realtime.js";
import { rememberCall } from "./call-memory.js";
import { countdown, formatDuration, spokenDuration } from "./clock.js";
import { iceServers } from "./ice.js";
import { canOpenRoomHere, openRoomHere, prepareRoom } from "./room-here.js";
import { startRinging, unlockAudioOnGesture } from "./sounds.js";

let mounted = null; // {userId, stop, shelf, announcer, ringing: Map(call_id -> entry)}

/** Starts listening for calls to `userId` (again: only updates who I am). */
export function mountIncomingCalls({ userId }) {
  if (mounted) {
    mounted.userId = userId || mounted.userId;
    return;
  }
  unlockAudioOnGesture();
  const shelf = element("div", { class: "incoming-calls", "data-incoming-calls": "" });
  const announcer = element("p", { class: "visually-hidden", role: "status", "aria-live": "assertive" });
  document.body.append(shelf, announcer);
  const offCall = realtime().on("call", (message) => received(message));
  const onVisibility = () => {
    for (const entry of mounted.ringing.values()) {
      if (document.visibilityState === "hidden") {
        notify(entry);
      } else {
        closeNotification(entry);
      }
    }
  };
  document.addEventListener("visibilitychange", onVisibility);
  mounted = {
    userId,
    shelf,
    announcer,
    ringing: new Map(),
    versions: new Map(),
    stop() {
      offCall();
      document.removeEventListener("visibilitychange", onVisibility);
    },
  };
}

export function unmountIncomingCalls() {
  if (!mounted) {
    return;
  }
  for (const entry of [...mounted.ringing.values()]) {
    dismiss(entry);
  }
  mounted.stop();
  mounted.shelf.remove();
  mounted.announcer.remove();
  mounted = null;
}

function received(message) {
  const call = message && message.call;
  if (!mounted || !call || typeof call.call_id !== "string") {
    return;
  }
  const seen = mounted.versions.get(call.call_id) || 0;
  if (Number(call.version) < seen) {
    return; // an older view overtaken in flight
  }
  mounted.versions.set(call.call_id, Number(call.version) || seen);
  const entry = mounted.ringing.get(call.call_id);
  if (call.state !== "ringing") {
    if (entry) {
      dismiss(entry);
    }
    return;
  }
  if (entry || call.helper_id !== mounted.userId) {
    return; // already showing, or I am the caller
  }
  show(call, message.caller || {});
}

function show(call, caller) {
  // Also used outside element() (the announcer, the notification): no bidi tricks there either.
  const name = (typeof caller.display_name === "string" && visibleText(caller.display_name).trim()) || "Someone";
  const id = `incoming-${call.call_id}`;
  const inCall = document.body.dataset.inCall === "true";
  const here = !inCall && canOpenRoomHere();
  const timeLeft = element("span", { class: "incoming-call-time" }, "");
  const answer = element("button", {
    type: "button", class: "button button-go", "data-testid": "answer-call",
  }, inCall ? "Answer in a new tab" : "Answer");
  const decline = element("button", {
    type: "button", class: "button button-danger", "data-testid": "decline-call",
  }, "Decline");
  const problem = element("p", { class: "incoming-call-problem", role: "alert" });
  // A booked session: its terms were agreed and paid when it was booked, so answering starts it.
  const booked = typeof call.booking_id === "string" && call.booking_id !== "";
  const minutes = booked && call.agreed && Number.isSafeInteger(call.agreed.minutes) ? call.agreed.minutes : null;
  const dialog = element("section", {
    class: "incoming-call", role: "alertdialog", tabindex: "-1",
    "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-text`,
    "data-testid": "incoming-call", "data-call-id": call.call_id,
  },
  element("div", { class: "incoming-call-who" },
    element("span", { class: "incoming-call-avatar", "aria-hidden": "true" }, Array.from(name)[0] || "?"),
    element("div", {},
      element("p", { class: `incoming-call-kicker${booked ? " incoming-call-booked" : ""}`,
        "data-testid": "incoming-call-kind" }, booked ? "Booked session" : "Incoming video call"),
      element("h2", { id: `${id}-title`, class: "incoming-call-name" }, name),
      element("p", { id: `${id}-text`, class: "incoming-call-text" },
        booked ? `is here for the session they booked${minutes ? ` (${minutes} minutes)` : ""}. `
          + "Answering starts it at once, on the booked terms. " : "wants to talk with you now. ",
        timeLeft))),
  element("div", { class: "incoming-call-actions" }, decline, answer),
  problem);
  const entry = {
    call, name, caller, dialog, notification: null, stopRinging: startRinging(), stopClock: null,
  };
  if ("Notification" in window && Notification.permission === "default") {
    const ask = element("button", { type: "button", class: "button-link incoming-call-ask" },
      "Alert me when this tab is in the background");
    ask.addEventListener("click", async () => {
      ask.disabled = true;
      try {
        await Notification.requestPermission();
      } catch {
        // Some browsers only take the callback form, or refuse outright: nothing to do.
      }
      ask.remove();
    });
    dialog.append(element("p", { class: "incoming-call-alerts" }, ask));
  }
  if (call.state_deadline) {
    entry.stopClock = countdown(call.state_deadline, (left) => {
      timeLeft.textContent = `Answer within ${formatDuration(left)}.`;
      timeLeft.setAttribute("aria-label", `Answer within ${spokenDuration(left)}.`);
    });
  }

  answer.addEventListener("click", () => {
    rememberCall(call.call_id, { role: "helper", peer: { display_name: name, username: caller.username || null } });
    const url = callUrl({ call: call.call_id, answer: 1 });
    if (inCall) {
      // A new tab of ours (not "noopener"), so it starts with a copy of this tab's call memory.
      const opened = window.open(url, "_blank");
      if (opened) {
        opened.opener = null;
      }
      return;
    }
    answer.disabled = true;
    decline.disabled = true;
    answer.textContent = "Opening the call…";
    entry.stopRinging();
    if (!here) {
      window.location.assign(url);
      return;
    }
    openRoomHere(call.call_id).catch(() => window.location.assign(url));
  });

  decline.addEventListener("click", async () => {
    answer.disabled = true;
    decline.disabled = true;
    entry.stopRinging();
    try {
      await realtime().request("decline", { call_id: call.call_id });
      dismiss(entry);
    } catch (error) {
      if (error && (error.code === "illegal_transition" || error.code === "not_found")) {
        dismiss(entry); // it stopped ringing already
        return;
      }
      problem.textContent = (error && error.message) || "We could not decline the call.";
      answer.disabled = false;
      decline.disabled = false;
    }
  });

  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      entry.stopRinging(); // silence it; the pop-up stays until the call stops ringing
    }
  });

  iceServers(); // fetched while it rings, so the room starts without waiting for them
  if (here) {
    prepareRoom(); // so is the room itself: its modules, styles and markup
  }
  mounted.ringing.set(call.call_id, entry);
  mounted.shelf.append(dialog);
  mounted.announcer.textContent = booked ? `Booked session: ${name} is calling.` : `Incoming video call from ${name}.`;
  // Take focus only when nothing else has it, so a call never hijacks someone's typing.
  if (!document.activeElement || document.activeElement === document.body) {
    dialog.focus({ preventScroll: true });
  }
  if (document.visibilityState === "hidden") {
    notify(entry);
  }
}

function notify(entry) {
  if (entry.notification || !("Notification" in window) || Notification.permission !== "granted") {
    return;
  }
  try {
    const booked = Boolean(entry.call.booking_id);
    const notification = new Notification(booked ? "Booked session on interKanect" : "Incoming call on interKanect", {
      body: booked ? `${entry.name} is calling for the session they booked.` : `${entry.name} wants to talk with you now.`,
      tag: `interkanect-call-${entry.call.call_id}`,
      icon: "/img/favicon.svg",
      requireInteraction: true,
    });
    notification.addEventListener("click", () => {
      window.focus();
      notification.close();
      entry.dialog.focus({ preventScroll: true });
    });
    entry.notification = notification;
  } catch {
    // Notifications from a page are not allowed here (some mobile browsers): the chirp remains.
  }
}

function closeNotification(entry) {
  if (entry.notification) {
    entry.notification.close();
    entry.notification = null;
  }
}

function dismiss(entry) {
  entry.stopRinging();
  if (entry.stopClock) {
    entry.stopClock();
  }
  closeNotification(entry);
  const hadFocus = entry.dialog.contains(document.activeElement);
  entry.dialog.remove();
  if (mounted) {
    mounted.ringing.delete(entry.call.call_id);
    mounted.announcer.textContent = "";
    if (hadFocus) {
      const main = document.querySelector("main");
      if (main) {
        main.focus({ preventScroll: true });
      }
    }
  }
}
