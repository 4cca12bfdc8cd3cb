/**
 * Text chat in the call room, over a negotiated WebRTC data channel (id 1): straight from one
 * browser to the other, never through the server, and not kept anywhere once the call ends.
 *
 * `setupChat(pc, container, options)` is called on both peers right after the
 * RTCPeerConnection is created and before any offer. Every message from the other side is
 * untrusted: size-checked, schema-checked and only ever put into the page as text.
 */
import { element } from "../dom.js";
import {
  createToolChannel, listenToChannel, liveAnnouncer, readJsonFrame, sendJsonFrame,
  showChannelState, toolPanel,
} from "./channel.js";

export const CHAT_CHANNEL_ID = 1;
export const MAX_MESSAGE_LENGTH = 2000;          // characters a person may write
const MAX_FRAME_LENGTH = 16 * 1024;              // a raw frame longer than this is dropped unread
const MAX_KEPT_MESSAGES = 500;                   // the oldest leave the page after that
const COUNTER_FROM = MAX_MESSAGE_LENGTH - 200;   // the counter shows near the limit

// C0/C1 controls except tab and newline, and the bidi overrides that can disguise text.
const UNSAFE_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

let instances = 0;

/** The text of a chat frame from the peer, or null when it is not a valid message. */
export function parseChatFrame(data) {
  const frame = readJsonFrame(data, MAX_FRAME_LENGTH);
  if (!frame || frame.t !== "msg" || typeof frame.text !== "string") {
    return null;
  }
  const text = cleanText(frame.text);
  if (!text.trim() || text.length > MAX_MESSAGE_LENGTH) {
    return null;
  }
  return text;
}

function cleanText(text) {
  return text.replace(/\r\n?/g, "\n").replace(UNSAFE_CHARACTERS, "");
}

/**
 * Creates the chat channel on `pc` and renders the chat into `container` (an empty element).
 * Options: `selfName` ("You"), `peerName` ("Them"), `onMessage(message)` called for each
 * incoming message (to badge a collapsed panel, for instance).
 * Returns `{channel, sendText(text) -> boolean, messages() -> [...], close()}`.
 */
export function setupChat(pc, container, options = {}) {
  const selfName = String(options.selfName || "You");
  const peerName = String(options.peerName || "Them");
  const onMessage = typeof options.onMessage === "function" ? options.onMessage : null;
  const channel = createToolChannel(pc, "chat", CHAT_CHANNEL_ID);
  const uid = `ik-chat-${++instances}`;
  const clock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
  const kept = [];
  let closed = false;

  // ---- The panel ------------------------------------------------------------------------
  const empty = element("p", { class: "chat-empty" },
    "No messages yet. Messages go straight to the other person and are not saved anywhere.");
  const log = element("ol", { class: "chat-log", "aria-label": "Messages", tabindex: "0" });
  const announcer = liveAnnouncer();
  const input = element("textarea", {
    id: `${uid}-input`, class: "chat-input", rows: "1", maxlength: String(MAX_MESSAGE_LENGTH),
    placeholder: "Write a message…", autocomplete: "off", enterkeyhint: "send",
    "aria-describedby": `${uid}-hint ${uid}-count`,
  });
  const counter = element("span", { id: `${uid}-count`, class: "chat-count", hidden: "" });
  const send = element("button", { type: "submit", class: "button button-primary chat-send",
    disabled: "" }, "Send");
  const form = element("form", { class: "chat-form", novalidate: "" },
    element("label", { for: `${uid}-input`, class: "visually-hidden" }, "Message"),
    input, send,
    element("p", { id: `${uid}-hint`, class: "chat-hint" },
      "Enter to send, Shift+Enter for a new line. ", counter));
  const { panel, status } = toolPanel(container, { uid, kind: "chat", title: "Chat" },
    element("div", { class: "chat-body" }, empty, log), announcer, form);

  // ---- State ----------------------------------------------------------------------------
  function setState(state) {
    showChannelState(status, state);
    const open = state === "open";
    input.disabled = !open && state !== "connecting";
    refreshSend(open);
  }

  function refreshSend(open = channel.readyState === "open") {
    send.disabled = closed || !open || !input.value.trim();
  }

  function refreshCounter() {
    const length = input.value.length;
    counter.hidden = length < COUNTER_FROM;
    counter.textContent = `${length} / ${MAX_MESSAGE_LENGTH} characters`;
    counter.classList.toggle("is-full", length >= MAX_MESSAGE_LENGTH);
  }

  function growInput() {
    input.classList.toggle("is-multiline", input.value.includes("\n") || input.scrollHeight > 48);
  }

  function show(message) {
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
    const item = element("li", { class: `chat-message ${message.mine ? "is-mine" : "is-theirs"}` },
      element("p", { class: "chat-meta" },
        element("span", { class: "chat-sender" }, message.sender), " ",
        element("time", { datetime: message.at.toISOString() }, clock.format(message.at))),
      element("p", { class: "chat-text", dir: "auto" }, message.text));
    log.append(item);
    kept.push(message);
    while (kept.length > MAX_KEPT_MESSAGES) {
      kept.shift();
      log.firstElementChild?.remove();
    }
    empty.hidden = true;
    if (message.mine || nearBottom) {
      log.scrollTop = log.scrollHeight;
    }
  }

  // ---- Sending ----------------------------------------------------------------------------
  function sendText(text) {
    if (closed || typeof text !== "string") {
      return false;
    }
    const clean = cleanText(text);
    if (!clean.trim() || clean.length > MAX_MESSAGE_LENGTH
        || !sendJsonFrame(channel, { t: "msg", text: clean })) {
      return false;
    }
    show({ mine: true, sender: selfName, text: clean, at: new Date() });
    return true;
  }

  function submit(event) {
    event.preventDefault();
    if (sendText(input.value)) {
      input.value = "";
      refreshCounter();
      growInput();
      refreshSend();
    }
    input.focus();
  }

  function keydown(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  }

  function typed() {
    refreshCounter();
    growInput();
    refreshSend();
  }

  // ---- Receiving --------------------------------------------------------------------------
  function received(event) {
    const text = parseChatFrame(event.data);
    if (text === null || closed) {
      return;
    }
    const message = { mine: false, sender: peerName, text, at: new Date() };
    show(message);
    announcer.textContent = `${peerName} says: ${text}`;
    if (onMessage) {
      try {
        onMessage({ sender: peerName, text, at: message.at });
      } catch (error) {
        console.error(error);
      }
    }
  }

  form.addEventListener("submit", submit);
  input.addEventListener("keydown", keydown);
  input.addEventListener("input", typed);
  const release = listenToChannel(channel, {
    opened: () => setState("open"),
    closed: () => { if (!closed) { setState("closed"); } },
    received,
  });

  return {
    channel,
    sendText,
    /** What the chat shows, oldest first (for the call page and tests). */
    messages() {
      return kept.map(({ mine, sender, text, at }) => ({ mine, sender, text, at: at.toISOString() }));
    },
    close() {
      if (closed) {
        return;
      }
      closed = true;
      release();
      form.removeEventListener("submit", submit);
      input.removeEventListener("keydown", keydown);
      input.removeEventListener("input", typed);
      kept.length = 0;
      panel.remove();
    },
  };
}
