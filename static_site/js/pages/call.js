/** The call room page (`/call.html`): see js/call/room.js for what the room does
 * (it wires js/call/session.js, the call's state, to js/call/room-view.js, its drawing).
 *
 * `?helper=<username>` calls that Helper; `?call=<id>&answer=1` answers a ringing call (from the
 * incoming-call pop-up); `?call=<id>` comes back to a live call. Signed-in people only: a
 * visitor is sent to sign in first and comes back here.
 *
 * This entry module is kept small on purpose: the moment it runs it opens the socket, starts
 * the camera, asks for the ICE servers and (for the Helper) answers, while the room's own
 * modules are still loading; the messages that arrive meanwhile are kept for the room. */

import { iceServers } from "../call/ice.js";
import { getLocalMedia } from "../call/media.js";
import { realtime, startRealtime } from "../realtime.js";
import { currentUserId, loadSession } from "../session.js";

const USERNAME = /^[A-Za-z0-9_-]{1,64}$/;
const CALL_ID = /^[A-Za-z0-9_-]{1,128}$/;

function route() {
  const params = new URLSearchParams(window.location.search);
  const helper = params.get("helper");
  const callId = params.get("call");
  const username = helper && USERNAME.test(helper) ? helper : null;
  if (callId && CALL_ID.test(callId)) {
    return { mode: params.get("answer") === "1" ? "answer" : "rejoin", callId, helper: username };
  }
  return username ? { mode: "call", callId: null, helper: username } : null;
}

/** The room's modules, asked for all at once as soon as the entry runs (rather than one import
 * level at a time), while the socket connects. */
const ROOM_MODULES = [
  "/js/call/room.js", "/js/call/session.js", "/js/call/room-view.js", "/js/call/helper-facts.js",
  "/js/call/stage.js", "/js/call/summary.js", "/js/call/peer.js", "/js/call/verification.js", "/js/call/tools.js",
  "/js/call/chat.js", "/js/call/files.js", "/js/call/whiteboard.js",
  "/vendor/perfect-freehand/index.mjs", "/js/dom.js", "/js/money.js", "/js/paths.js",
  "/js/call/clock.js", "/js/call/negotiation.js", "/js/call/call-memory.js",
  "/js/call/end-reasons.js", "/js/call/rating.js", "/js/call/sounds.js", "/js/header.js",
  "/js/call/incoming.js", "/js/call/payment.js", "/js/call/tips.js", "/js/checkout.js",
];

function preload(hrefs) {
  for (const href of hrefs) {
    const link = document.createElement("link");
    link.rel = "modulepreload";
    link.href = href;
    document.head.append(link);
  }
}

async function main() {
  performance.mark("ik:entry");
  if (!loadSession()) {
    const here = window.location.pathname + window.location.search;
    window.location.replace(`/sign-in.html?next=${encodeURIComponent(here)}`);
    return;
  }
  const root = document.querySelector("[data-room]");
  const where = route();
  let head = null;
  if (where) {
    const rt = realtime();
    // Kept until the room listens: the answer's `call` update and the caller's first offer can
    // arrive before the room's modules have loaded.
    const inbox = [];
    const keep = [rt.on("call", (m) => inbox.push(m)), rt.on("signal", (m) => inbox.push(m))];
    startRealtime();
    head = {
      inbox,
      stopKeeping: () => keep.forEach((stop) => stop()),
      media: getLocalMedia(),
      iceServers: iceServers(),
      answer: where.mode === "answer"
        ? rt.ready({ timeout: 20_000 }).then(() => {
          performance.mark("ik:socket-open");
          return rt.request("answer", { call_id: where.callId });
        }).then((ack) => {
          performance.mark("ik:answer-ack");
          return { ...ack, generation: rt.generation }; // the connection that now carries the call
        })
        : null,
    };
    if (head.answer) {
      head.answer.catch(() => {}); // the room reads the outcome
    }
  }
  preload(ROOM_MODULES);
  const [{ CallRoom, nothingToJoin }, { mountHeader }] = await Promise.all([
    import("../call/room.js"), import("../header.js"),
  ]);
  if (!where) {
    mountHeader();
    nothingToJoin(root);
    return;
  }
  new CallRoom({ root, userId: currentUserId(), ...where, head }).start();
  // The header's profile request waits until the call is answered: the answer goes first.
  (head.answer || Promise.resolve()).catch(() => {}).finally(() => mountHeader());
}

main();
