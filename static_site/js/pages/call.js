/** The call room page (`/call.html`): see js/call/room.js for what the room does
 * (it wires js/call/session.js, the call's state, to js/call/room-view.js, its drawing).
 *
 * `?helper=<username>` calls that Helper (`&booking=<id>`: joins a booked session, whose terms
 * were agreed and paid when it was booked); `?call=<id>&answer=1` answers a ringing call (the
 * incoming-call pop-up opens it in a new tab during another call; otherwise the page the Helper
 * is on becomes the room, js/call/room-here.js); `?call=<id>` comes back to a live call. Signed-in people only: a
 * visitor is sent to sign in first and comes back here.
 *
 * This entry module is kept small on purpose: the moment it runs it opens the socket, starts
 * the camera, asks for the ICE servers and (for the Helper) answers, while the room's own
 * modules are still loading; the messages that arrive meanwhile are kept for the room
 * (js/call/head.js). */

import { preloadRoomModules, startRoomHead } from "../call/head.js";
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
  const booking = params.get("booking");
  return username ? { mode: "call", callId: null, helper: username,
    booking: booking && CALL_ID.test(booking) ? booking : null } : null;
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
  const head = where ? startRoomHead(where) : null;
  preloadRoomModules();
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
