/** What a call room starts before its own modules have loaded: the socket, the camera, the ICE
 * servers and (for the Helper) the answer, plus a keeper for the messages that arrive meanwhile.
 *
 * Used by the call page's entry (js/pages/call.js) and by the page a Helper answers on, which
 * becomes the room in place (js/call/room-here.js). */

import { realtime, startRealtime } from "../realtime.js";
import { iceServers } from "./ice.js";
import { getLocalMedia } from "./media.js";

/** The room's modules, asked for all at once (rather than one import level at a time). */
export const ROOM_MODULES = [
  "/js/call/room.js", "/js/call/session.js", "/js/call/room-view.js", "/js/call/helper-facts.js",
  "/js/call/stage.js", "/js/call/summary.js", "/js/call/peer.js", "/js/call/verification.js", "/js/call/tools.js",
  "/js/call/chat.js", "/js/call/files.js", "/js/call/whiteboard.js",
  "/vendor/perfect-freehand/index.mjs", "/js/dom.js", "/js/money.js", "/js/paths.js",
  "/js/call/clock.js", "/js/call/negotiation.js", "/js/call/call-memory.js",
  "/js/call/end-reasons.js", "/js/call/rating.js", "/js/call/sounds.js", "/js/header.js",
  "/js/call/incoming.js", "/js/call/payment.js", "/js/call/tips.js", "/js/checkout.js",
  "/js/forms.js", "/js/when.js", "/js/reviews/stars.js",
];

let preloaded = false;

/** Fetches the room's modules ahead of their import (once per page). */
export function preloadRoomModules() {
  if (preloaded) {
    return;
  }
  preloaded = true;
  for (const href of ROOM_MODULES) {
    const link = document.createElement("link");
    link.rel = "modulepreload";
    link.href = href;
    document.head.append(link);
  }
}

/**
 * Starts the room's work at once.
 * @param {{mode: "call"|"answer"|"rejoin", callId: string|null}} where
 * @returns {{inbox: object[], stopKeeping: Function, media: Promise, iceServers: Promise,
 *   answer: Promise|null}} what the room's session takes over (`head`)
 */
export function startRoomHead({ mode, callId }) {
  const rt = realtime();
  // Kept until the room listens: the answer's `call` update and the caller's first offer can
  // arrive before the room's modules have loaded.
  const inbox = [];
  const keep = [rt.on("call", (m) => inbox.push(m)), rt.on("signal", (m) => inbox.push(m))];
  startRealtime();
  // The answer goes first: on an open socket it leaves before the camera is asked for.
  const answer = mode === "answer"
    ? rt.ready({ timeout: 20_000 }).then(() => {
      performance.mark("ik:socket-open");
      return rt.request("answer", { call_id: callId });
    }).then((ack) => {
      performance.mark("ik:answer-ack");
      return { ...ack, generation: rt.generation }; // the connection that now carries the call
    })
    : null;
  if (answer) {
    answer.catch(() => {}); // the room reads the outcome
  }
  return {
    inbox,
    stopKeeping: () => keep.forEach((stop) => stop()),
    media: getLocalMedia(),
    iceServers: iceServers(),
    answer,
  };
}
