/**
 * File sharing in the call room, over a negotiated WebRTC data channel (id 2, ordered and
 * reliable): straight from one browser to the other, never through the server.
 *
 * The protocol: the sender OFFERS (name, size, type); nothing is sent until the receiver
 * ACCEPTS (or DECLINES). Then the file goes in 16 KB chunks, each a binary frame of a 4-byte
 * transfer id and the bytes, paced by `bufferedAmountLowThreshold`; an END frame carries the
 * SHA-256 of the whole file, which the receiver checks before offering the download and
 * answers with DONE. Either side may CANCEL at any time. Control frames are small JSON strings.
 *
 * Every frame from the other side is untrusted: sizes, types, ids and names are validated, a
 * transfer can never grow beyond the size offered, and files over the limit are refused.
 */
import { element } from "../dom.js";
import {
  createToolChannel, listenToChannel, liveAnnouncer, readJsonFrame, sendJsonFrame,
  showChannelState, toolPanel,
} from "./channel.js";

export const FILES_CHANNEL_ID = 2;
export const MAX_FILE_BYTES = 100 * 1024 * 1024;   // 100 MB, refused above
export const CHUNK_BYTES = 16 * 1024;
const HEADER_BYTES = 4;                            // the transfer id, big-endian uint32
const HIGH_WATER = 1024 * 1024;                    // stop queueing above this...
const LOW_WATER = 256 * 1024;                      // ...and resume below this
const MAX_CONTROL_FRAME = 4096;                    // characters in a JSON control frame
const MAX_NAME_LENGTH = 200;
const MAX_OPEN_INCOMING = 8;                       // offers and transfers at once, from the peer
const PROGRESS_EVERY_MS = 100;

const UNSAFE_NAME_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069/\\:*?"<>|]/g;
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

let instances = 0;

/** A file name safe to show and to download as: no paths, controls or bidi tricks. */
export function safeFileName(name) {
  let clean = String(name).normalize("NFC").replace(UNSAFE_NAME_CHARACTERS, "_").trim();
  clean = clean.replace(/^\.+/, "").slice(0, MAX_NAME_LENGTH).trim();
  return clean || "file";
}

export function formatBytes(bytes) {
  if (bytes < 1024) {
    return `${bytes} ${bytes === 1 ? "byte" : "bytes"}`;
  }
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value < 10 ? 1 : 0;
  return `${value.toFixed(digits).replace(/\.0$/, "")} ${units[unit]}`;
}

function isTransferId(value) {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** A control frame from the peer as a plain object, or null when it is not a valid one. */
export function parseControlFrame(data) {
  const frame = readJsonFrame(data, MAX_CONTROL_FRAME);
  if (!frame || !isTransferId(frame.id)) {
    return null;
  }
  switch (frame.t) {
    case "offer": {
      if (typeof frame.name !== "string" || frame.name.length > 1024
          || !Number.isSafeInteger(frame.size) || frame.size < 0) {
        return null;
      }
      const type = typeof frame.type === "string" ? frame.type.toLowerCase() : "";
      return { t: "offer", id: frame.id, name: safeFileName(frame.name), size: frame.size,
        type: MIME_TYPE.test(type) ? type : "" };
    }
    case "end":
      return typeof frame.sha256 === "string" && HEX_SHA256.test(frame.sha256)
        ? { t: "end", id: frame.id, sha256: frame.sha256 } : null;
    case "done":
      return { t: "done", id: frame.id, ok: frame.ok === true };
    case "cancel":
      // `of`: whose transfer, from the sender of the frame: "out" theirs, "in" ours.
      return ["in", "out"].includes(frame.of) ? { t: "cancel", id: frame.id, of: frame.of } : null;
    case "accept":
    case "decline":
      return { t: frame.t, id: frame.id,
        reason: ["too_big", "busy"].includes(frame.reason) ? frame.reason : "" };
    default:
      return null;
  }
}

async function sha256Hex(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Creates the file channel on `pc` and renders file sharing into `container` (an empty
 * element). Options: `peerName` ("the other person"), `maxBytes` (at most 100 MB).
 * Returns `{channel, sendFile(file) -> transfer id | null, transfers() -> [...], close()}`.
 */
export function setupFiles(pc, container, options = {}) {
  const peerName = String(options.peerName || "The other person");
  const maxBytes = Math.min(Number(options.maxBytes) || MAX_FILE_BYTES, MAX_FILE_BYTES);
  const channel = createToolChannel(pc, "files", FILES_CHANNEL_ID);
  channel.binaryType = "arraybuffer";
  channel.bufferedAmountLowThreshold = LOW_WATER;
  const uid = `ik-files-${++instances}`;
  const transfers = new Map();               // key `${direction}:${id}` -> transfer
  let nextId = crypto.getRandomValues(new Uint32Array(1))[0] >>> 8;
  let closed = false;
  const blobUrls = new Set();

  // ---- The panel ------------------------------------------------------------------------
  const picker = element("input", { id: `${uid}-pick`, type: "file",
    class: "visually-hidden files-input", disabled: "",
    "aria-describedby": `${uid}-hint` });
  const pick = element("label", { for: `${uid}-pick`, class: "button button-secondary files-pick" },
    "Send a file");
  const notice = element("p", { class: "files-notice", role: "alert", hidden: "" });
  const list = element("ul", { class: "files-list", "aria-label": "Files" });
  const announcer = liveAnnouncer();
  const drop = element("div", { class: "files-drop" },
    picker, pick,
    element("p", { id: `${uid}-hint`, class: "files-hint" },
      `Up to ${formatBytes(maxBytes)}. ${peerName} accepts before anything is sent; `,
      "the file goes straight to them and never through our servers. You can also drop a file here."));
  const { panel, status } = toolPanel(container, { uid, kind: "files", title: "Files" },
    drop, notice, list, announcer);

  function setNotice(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  function setChannelState(state) {
    showChannelState(status, state);
    const open = state === "open";
    picker.disabled = !open;
    drop.classList.toggle("is-disabled", !open);
  }

  function sendControl(frame) {
    return sendJsonFrame(channel, frame);
  }

  // ---- One row per transfer -------------------------------------------------------------
  function render(transfer) {
    const who = transfer.outgoing ? `To ${peerName}` : `From ${peerName}`;
    const progress = element("progress", { class: "files-progress", max: String(transfer.size || 1),
      value: "0", "aria-label": `${transfer.name}: progress` });
    const state = element("p", { class: "files-state" });
    const actions = element("div", { class: "files-actions" });
    const row = element("li", { class: `files-item ${transfer.outgoing ? "is-outgoing" : "is-incoming"}`,
      "data-transfer": `${transfer.direction}:${transfer.id}`, tabindex: "-1" },
      element("div", { class: "files-icon", "aria-hidden": "true" }, transfer.outgoing ? "↑" : "↓"),
      element("div", { class: "files-main" },
        element("p", { class: "files-name", dir: "auto", title: transfer.name }, transfer.name),
        element("p", { class: "files-meta" },
          `${who} · ${formatBytes(transfer.size)}${transfer.type ? ` · ${transfer.type}` : ""}`),
        progress, state),
      actions);
    transfer.ui = { row, progress, state, actions };
    list.prepend(row);
  }

  function button(label, kind, handler, accessibleName) {
    const node = element("button", { type: "button", class: `button button-small ${kind}` }, label);
    if (accessibleName) {
      node.setAttribute("aria-label", accessibleName);
    }
    node.addEventListener("click", handler);
    return node;
  }

  function update(transfer, force = false) {
    const now = performance.now();
    if (!force && now - transfer.shownAt < PROGRESS_EVERY_MS) {
      return;
    }
    transfer.shownAt = now;
    const { progress, state, actions, row } = transfer.ui;
    const done = transfer.outgoing
      ? Math.max(0, transfer.queued - (transfer.state === "sending" ? channel.bufferedAmount : 0))
      : transfer.received;
    progress.value = Math.min(transfer.size, transfer.state === "done" ? transfer.size : done);
    row.dataset.state = transfer.state;
    const percent = transfer.size ? Math.floor((progress.value / transfer.size) * 100) : 100;
    const texts = {
      offered: transfer.outgoing ? `Waiting for ${peerName} to accept…` : `${peerName} wants to send you this file.`,
      sending: `Sending… ${percent}%`,
      receiving: `Receiving… ${percent}%`,
      verifying: transfer.outgoing ? `Sent. Waiting for ${peerName} to verify it…` : "Checking the file…",
      done: transfer.outgoing ? `Delivered and verified by ${peerName}.` : "Received and verified (SHA-256 matches).",
      declined: transfer.outgoing
        ? (transfer.reason === "too_big" ? `${peerName}'s side refused it: too large.` : `${peerName} declined.`)
        : "You declined.",
      cancelled: transfer.cancelledBy === "self" ? "Cancelled." : `Cancelled by ${peerName}.`,
      failed: transfer.reason || "Failed.",
    };
    const text = texts[transfer.state] || "";
    if (state.textContent !== text) {
      state.textContent = text;
    }
    progress.hidden = ["offered", "declined"].includes(transfer.state)
      || (transfer.state === "cancelled" && done === 0);
    if (transfer.actionsFor !== transfer.state) {
      transfer.actionsFor = transfer.state;
      const hadFocus = actions.contains(document.activeElement);
      actions.replaceChildren(...actionsFor(transfer));
      if (hadFocus) {
        // The button pressed is gone: keep the keyboard on this file.
        (actions.querySelector("button, a") || row).focus();
      }
      // Changes of state are announced once; the moving percentages are not.
      if (!["offered", "sending", "receiving"].includes(transfer.state)) {
        announcer.textContent = `${transfer.name}: ${text}`;
      }
    }
  }

  function actionsFor(transfer) {
    const cancel = () => cancelTransfer(transfer, "self");
    switch (transfer.state) {
      case "offered":
        return transfer.outgoing
          ? [button("Cancel", "button-ghost", cancel, `Cancel sending ${transfer.name}`)]
          : [button("Accept", "button-primary", () => acceptOffer(transfer), `Accept ${transfer.name}`),
            button("Decline", "button-ghost", () => declineOffer(transfer), `Decline ${transfer.name}`)];
      case "sending":
      case "receiving":
        return [button("Cancel", "button-ghost", cancel, `Cancel ${transfer.name}`)];
      case "verifying":
        return [];
      case "done":
        if (!transfer.outgoing && transfer.url) {
          const link = element("a", { class: "button button-small button-primary", href: transfer.url,
            download: transfer.name }, "Download");
          link.setAttribute("aria-label", `Download ${transfer.name}`);
          const badge = element("span", { class: "badge files-verified", title: `SHA-256 ${transfer.sha256}` },
            "Verified");
          return [badge, link];
        }
        return [element("span", { class: "badge files-verified" }, "Verified")];
      default:
        return [button("Remove", "button-ghost", () => forget(transfer), `Remove ${transfer.name} from the list`)];
    }
  }

  function forget(transfer) {
    if (["offered", "sending", "receiving", "verifying"].includes(transfer.state)) {
      return;
    }
    if (transfer.ui.row.contains(document.activeElement)) {
      pickerOrPanelFocus();
    }
    if (transfer.url) {
      URL.revokeObjectURL(transfer.url);
      blobUrls.delete(transfer.url);
    }
    transfer.ui.row.remove();
    transfers.delete(`${transfer.direction}:${transfer.id}`);
  }

  function pickerOrPanelFocus() {
    const next = picker.disabled ? list : picker;
    if (next === list) {
      list.setAttribute("tabindex", "-1");
    }
    next.focus();
  }

  function finish(transfer, state, extra = {}) {
    Object.assign(transfer, extra, { state });
    transfer.chunks = null;
    update(transfer, true);
  }

  // ---- Sending ------------------------------------------------------------------------------
  function sendFile(file) {
    setNotice("");
    if (closed || !(file instanceof Blob)) {
      return null;
    }
    if (channel.readyState !== "open") {
      setNotice("Files can be sent once the call is connected.");
      return null;
    }
    if (file.size > maxBytes) {
      setNotice(`“${safeFileName(file.name || "file")}” is ${formatBytes(file.size)}; the limit is ${formatBytes(maxBytes)}.`);
      return null;
    }
    const id = nextId;
    nextId = (nextId + 1) >>> 0;
    const type = MIME_TYPE.test((file.type || "").toLowerCase()) ? file.type.toLowerCase() : "";
    const transfer = { id, direction: "out", outgoing: true, file, name: safeFileName(file.name || "file"),
      size: file.size, type, state: "offered", queued: 0, shownAt: 0 };
    transfers.set(`out:${id}`, transfer);
    render(transfer);
    update(transfer, true);
    sendControl({ t: "offer", id, name: transfer.name, size: transfer.size, type });
    return id;
  }

  function drained() {
    return new Promise((resolve) => {
      const wake = () => {
        channel.removeEventListener("bufferedamountlow", wake);
        channel.removeEventListener("close", wake);
        resolve();
      };
      channel.addEventListener("bufferedamountlow", wake);
      channel.addEventListener("close", wake);
    });
  }

  async function pump(transfer) {
    transfer.state = "sending";
    update(transfer, true);
    let data;
    try {
      data = new Uint8Array(await transfer.file.arrayBuffer());
    } catch {
      if (transfer.state === "sending") {
        cancelTransfer(transfer, "self");
        finish(transfer, "failed", { reason: "The file could not be read." });
      }
      return;
    }
    const hash = sha256Hex(data);
    const header = new DataView(new ArrayBuffer(HEADER_BYTES));
    header.setUint32(0, transfer.id);
    for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
      while (transfer.state === "sending" && channel.readyState === "open"
             && channel.bufferedAmount > HIGH_WATER) {
        await drained();
      }
      if (transfer.state !== "sending") {
        return;  // cancelled by either side while we waited
      }
      if (channel.readyState !== "open") {
        finish(transfer, "failed", { reason: "The connection closed before the file was sent." });
        return;
      }
      const piece = data.subarray(offset, offset + CHUNK_BYTES);
      const frame = new Uint8Array(HEADER_BYTES + piece.length);
      frame.set(new Uint8Array(header.buffer), 0);
      frame.set(piece, HEADER_BYTES);
      try {
        channel.send(frame.buffer);
      } catch {
        finish(transfer, "failed", { reason: "The connection failed while sending." });
        return;
      }
      transfer.queued += piece.length;
      update(transfer);
    }
    const sha256 = await hash;
    if (transfer.state !== "sending") {
      return;
    }
    transfer.sha256 = sha256;
    transfer.state = "verifying";
    sendControl({ t: "end", id: transfer.id, sha256 });
    update(transfer, true);
  }

  // ---- Receiving ----------------------------------------------------------------------------
  function openIncoming() {
    let count = 0;
    for (const transfer of transfers.values()) {
      if (!transfer.outgoing && ["offered", "receiving", "verifying"].includes(transfer.state)) {
        count += 1;
      }
    }
    return count;
  }

  function offered(frame) {
    if (transfers.has(`in:${frame.id}`)) {
      return;  // an id is used once
    }
    if (frame.size > maxBytes) {
      sendControl({ t: "decline", id: frame.id, reason: "too_big" });
      setNotice(`${peerName} tried to send “${frame.name}” (${formatBytes(frame.size)}), over the ${formatBytes(maxBytes)} limit; it was refused.`);
      return;
    }
    if (openIncoming() >= MAX_OPEN_INCOMING) {
      sendControl({ t: "decline", id: frame.id, reason: "busy" });
      return;
    }
    const transfer = { id: frame.id, direction: "in", outgoing: false, name: frame.name,
      size: frame.size, type: frame.type, state: "offered", received: 0, shownAt: 0, chunks: [] };
    transfers.set(`in:${frame.id}`, transfer);
    render(transfer);
    update(transfer, true);
    announcer.textContent = `${peerName} wants to send you ${transfer.name} (${formatBytes(transfer.size)}). Accept or decline it in the Files panel.`;
  }

  function acceptOffer(transfer) {
    if (transfer.state !== "offered" || transfer.outgoing) {
      return;
    }
    transfer.state = "receiving";
    transfer.chunks = [];
    if (!sendControl({ t: "accept", id: transfer.id })) {
      finish(transfer, "failed", { reason: "Not connected." });
      return;
    }
    update(transfer, true);
  }

  function declineOffer(transfer) {
    if (transfer.state !== "offered" || transfer.outgoing) {
      return;
    }
    sendControl({ t: "decline", id: transfer.id });
    finish(transfer, "declined");
  }

  function chunk(buffer) {
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength <= HEADER_BYTES
        || buffer.byteLength > HEADER_BYTES + 4 * CHUNK_BYTES) {
      return;
    }
    const id = new DataView(buffer).getUint32(0);
    const transfer = transfers.get(`in:${id}`);
    if (!transfer || transfer.state !== "receiving") {
      return;  // late chunks of a cancelled transfer, or nothing we accepted
    }
    const length = buffer.byteLength - HEADER_BYTES;
    if (transfer.received + length > transfer.size) {
      cancelTransfer(transfer, "self");
      finish(transfer, "failed", { reason: `${peerName} sent more than the size offered; the file was discarded.` });
      return;
    }
    transfer.chunks.push(buffer.slice(HEADER_BYTES));
    transfer.received += length;
    update(transfer);
  }

  async function ended(frame) {
    const transfer = transfers.get(`in:${frame.id}`);
    if (!transfer || transfer.state !== "receiving") {
      return;
    }
    transfer.state = "verifying";
    update(transfer, true);
    const blob = new Blob(transfer.chunks, { type: "application/octet-stream" });
    transfer.chunks = null;
    let ok = blob.size === transfer.size;
    if (ok) {
      try {
        ok = (await sha256Hex(await blob.arrayBuffer())) === frame.sha256;
      } catch {
        ok = false;
      }
    }
    if (transfer.state !== "verifying") {
      return;  // cancelled while checking
    }
    sendControl({ t: "done", id: transfer.id, ok });
    if (!ok) {
      finish(transfer, "failed", { reason: "The file arrived damaged (its SHA-256 does not match) and was discarded." });
      return;
    }
    // Always a download, never a page: the blob is typed as plain bytes.
    transfer.url = URL.createObjectURL(blob);
    blobUrls.add(transfer.url);
    finish(transfer, "done", { sha256: frame.sha256 });
  }

  // ---- Both directions ----------------------------------------------------------------------
  function cancelTransfer(transfer, by) {
    if (!["offered", "sending", "receiving", "verifying"].includes(transfer.state)) {
      return;
    }
    if (by === "self") {
      sendControl({ t: "cancel", id: transfer.id, of: transfer.direction });
    }
    finish(transfer, "cancelled", { cancelledBy: by });
  }

  function control(frame) {
    if (frame.t === "offer") {
      offered(frame);
      return;
    }
    if (frame.t === "end") {
      ended(frame);
      return;
    }
    // accept, decline and done answer our offers; cancel may be about either direction.
    const outgoing = transfers.get(`out:${frame.id}`);
    const incoming = transfers.get(`in:${frame.id}`);
    switch (frame.t) {
      case "accept":
        if (outgoing?.state === "offered") {
          pump(outgoing);
        }
        break;
      case "decline":
        if (outgoing?.state === "offered") {
          finish(outgoing, "declined", { reason: frame.reason });
        }
        break;
      case "done":
        if (outgoing?.state === "verifying") {
          if (frame.ok) {
            finish(outgoing, "done");
          } else {
            finish(outgoing, "failed", { reason: `${peerName} received a damaged copy and discarded it. Try again.` });
          }
        }
        break;
      case "cancel": {
        const transfer = frame.of === "out" ? incoming : outgoing;
        if (transfer) {
          cancelTransfer(transfer, "peer");
        }
        break;
      }
      default:
        break;
    }
  }

  function received(event) {
    if (closed) {
      return;
    }
    if (typeof event.data === "string") {
      const frame = parseControlFrame(event.data);
      if (frame) {
        control(frame);
      }
    } else {
      chunk(event.data);
    }
  }

  // ---- Wiring -------------------------------------------------------------------------------
  function picked() {
    for (const file of Array.from(picker.files || [])) {
      sendFile(file);
    }
    picker.value = "";
  }

  function dragOver(event) {
    if (channel.readyState === "open" && event.dataTransfer?.types?.includes("Files")) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      panel.classList.add("is-dragging");
    }
  }

  function dragLeave(event) {
    if (!panel.contains(event.relatedTarget)) {
      panel.classList.remove("is-dragging");
    }
  }

  function dropped(event) {
    panel.classList.remove("is-dragging");
    if (!event.dataTransfer?.files?.length) {
      return;
    }
    event.preventDefault();
    for (const file of Array.from(event.dataTransfer.files)) {
      sendFile(file);
    }
  }

  function channelOpened() {
    setChannelState("open");
  }

  function channelClosed() {
    if (closed) {
      return;
    }
    setChannelState("closed");
    for (const transfer of transfers.values()) {
      if (["offered", "sending", "receiving", "verifying"].includes(transfer.state)) {
        finish(transfer, "failed", { reason: "The connection closed." });
      }
    }
  }

  picker.addEventListener("change", picked);
  panel.addEventListener("dragover", dragOver);
  panel.addEventListener("dragleave", dragLeave);
  panel.addEventListener("drop", dropped);
  const release = listenToChannel(channel, { opened: channelOpened, closed: channelClosed, received });

  return {
    channel,
    sendFile,
    /** Every transfer on the list, newest first (for the call page and tests). */
    transfers() {
      return Array.from(transfers.values(), (t) => ({
        id: t.id, direction: t.direction, name: t.name, size: t.size, type: t.type, state: t.state,
        bytes: t.outgoing ? t.queued : t.received, cancelledBy: t.cancelledBy || null,
        sha256: t.sha256 || null, url: t.url || null,
      })).reverse();
    },
    close() {
      if (closed) {
        return;
      }
      for (const transfer of transfers.values()) {
        cancelTransfer(transfer, "self");
      }
      closed = true;
      release();
      for (const url of blobUrls) {
        URL.revokeObjectURL(url);
      }
      blobUrls.clear();
      transfers.clear();
      panel.remove();
    },
  };
}
