/**
 * What the call's data-channel tools (chat.js, files.js, whiteboard.js) share: the negotiated
 * channel each one creates, its panel with a title and the channel's status, reading the
 * peer's JSON frames (untrusted, so bounded before they are parsed) and sending frames without
 * ever throwing.
 */
import { element } from "../dom.js";

const STATE_TEXT = { connecting: "Connecting…", open: "Connected", closed: "Disconnected" };

/** The tool's channel on `pc`: both peers create it with the same id before any offer, so
 * neither has to announce it; ordered and reliable. */
export function createToolChannel(pc, label, id) {
  return pc.createDataChannel(label, { negotiated: true, id, ordered: true });
}

/**
 * Renders the tool's panel into `container`: a heading with the channel's status, then `body`.
 * In a tab panel the tab already names the tool, so there the heading is only read out.
 * Returns `{panel, status}`.
 */
export function toolPanel(container, { uid, kind, title }, ...body) {
  const inTab = container.matches('[role="tabpanel"]');
  const status = element("p", { class: "ct-status", "data-state": "connecting" },
    STATE_TEXT.connecting);
  const panel = element("section", { class: `ct-panel ${kind}`, "aria-labelledby": `${uid}-title` },
    element("header", { class: "ct-panel-head" },
      element("h2", { id: `${uid}-title`, class: inTab ? "ct-title visually-hidden" : "ct-title" },
        title),
      status),
    ...body);
  container.append(panel);
  return { panel, status };
}

/** Shows the channel's state ("connecting", "open" or "closed") in a panel's status line. */
export function showChannelState(status, state) {
  status.dataset.state = state;
  status.textContent = STATE_TEXT[state];
}

/** A hidden live region: what is put in it is read out once, without interrupting. */
export function liveAnnouncer() {
  return element("p", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
}

/** A frame from the peer as a plain object, or null when it is not a string of at most
 * `maxLength` characters holding a JSON object. Its fields are the caller's to check. */
export function readJsonFrame(data, maxLength) {
  if (typeof data !== "string" || data.length > maxLength) {
    return null;
  }
  let frame;
  try {
    frame = JSON.parse(data);
  } catch {
    return null;
  }
  return frame && typeof frame === "object" && !Array.isArray(frame) ? frame : null;
}

/** Sends `frame` as JSON; false when the channel is not open or is closing under the send. */
export function sendJsonFrame(channel, frame) {
  if (channel.readyState !== "open") {
    return false;
  }
  try {
    channel.send(JSON.stringify(frame));
    return true;
  } catch {
    return false;
  }
}

/**
 * Listens to `channel`: `opened()` when it opens (at once if it already has), `closed()` when
 * it closes, `received(event)` for every message. Returns `release()`, which stops listening
 * and closes the channel.
 */
export function listenToChannel(channel, { opened, closed, received }) {
  channel.addEventListener("open", opened);
  channel.addEventListener("close", closed);
  channel.addEventListener("message", received);
  if (channel.readyState === "open") {
    opened();
  }
  return function release() {
    channel.removeEventListener("open", opened);
    channel.removeEventListener("close", closed);
    channel.removeEventListener("message", received);
    channel.close();
  };
}
