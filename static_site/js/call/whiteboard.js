/**
 * The shared whiteboard of the call room, over a negotiated, ordered WebRTC data channel
 * (id 3): straight from one browser to the other, never through the server, never saved.
 *
 * Strokes are point lists in normalised coordinates (0..1 across the board's width and
 * height; the board keeps one aspect ratio everywhere), so boards of different sizes match.
 * They are streamed while they are drawn: BEGIN (tool, colour, width, first points), PTS
 * (more points), END; then UNDO (one of the sender's own strokes) and CLEAR (everything, on
 * both sides). perfect-freehand turns each point list into a smooth outline.
 *
 * Every frame from the other side is untrusted: ids, tools, colours, widths and coordinates
 * are validated and bounded, and the other side can only undo its own strokes.
 */
import { getStroke } from "../../vendor/perfect-freehand/index.mjs";
import { element } from "../dom.js";
import {
  createToolChannel, listenToChannel, liveAnnouncer, readJsonFrame, sendJsonFrame,
  showChannelState, toolPanel,
} from "./channel.js";

export const WHITEBOARD_CHANNEL_ID = 3;
export const ASPECT_RATIO = 16 / 10;               // width / height, the same on both sides

export const COLOURS = [
  { name: "Black", value: "#1f2937" },
  { name: "Red", value: "#dc2626" },
  { name: "Orange", value: "#ea580c" },
  { name: "Green", value: "#16a34a" },
  { name: "Blue", value: "#2563eb" },
  { name: "Purple", value: "#7c3aed" },
];
export const WIDTHS = [
  { name: "Thin", value: 0.0035 },                 // a fraction of the board's width
  { name: "Medium", value: 0.007 },
  { name: "Thick", value: 0.014 },
];
const ERASER_SCALE = 4;
const MIN_SIZE = 0.001;
const MAX_SIZE = 0.08;
const MAX_FRAME_LENGTH = 64 * 1024;
const MAX_POINTS_PER_FRAME = 1000;
const MAX_POINTS_PER_STROKE = 20000;
const MAX_STROKES = 5000;                          // on the board, from both sides
const MAX_PEER_LIVE_STROKES = 4;
const REPLAY_POINTS_PER_FRAME = 400;
const STROKE_ID = /^[A-Za-z0-9_-]{1,40}$/;
const PALETTE = new Set(COLOURS.map((colour) => colour.value));
const SVG = "http://www.w3.org/2000/svg";

// Lucide-style 24×24 outline icons (paths only, drawn with the current text colour).
const ICONS = {
  pen: ["M12 20h9", "M16.5 3.5a2.12 2.12 0 0 1 3 3L7 19l-4 1 1-4Z"],
  eraser: ["m7 21-4.3-4.3c-1-1-1-2.5 0-3.4l9.6-9.6c1-1 2.5-1 3.4 0l5.6 5.6c1 1 1 2.5 0 3.4L13 21",
    "M22 21H7", "m5 11 9 9"],
  undo: ["M9 14 4 9l5-5", "M4 9h10.5a5.5 5.5 0 0 1 0 11H11"],
  clear: ["M3 6h18", "M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6", "M8 6V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2"],
  save: ["M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4", "m7 10 5 5 5-5", "M12 15V3"],
  help: ["M9.1 9a3 3 0 0 1 5.8 1c0 2-3 3-3 3", "M12 17h.01",
    "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Z"],
};

let instances = 0;

function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [key, value] of Object.entries({ viewBox: "0 0 24 24", width: "20", height: "20",
    fill: "none", stroke: "currentColor", "stroke-width": "2", "stroke-linecap": "round",
    "stroke-linejoin": "round", "aria-hidden": "true", focusable: "false", class: "wb-icon" })) {
    svg.setAttribute(key, value);
  }
  for (const d of ICONS[name]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

// ---- Validating what the other side sends ---------------------------------------------------

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

function round(value) {
  return Math.round(value * 10000) / 10000;
}

/** Points from the peer as [[x, y, pressure], ...] within bounds, or null when malformed. */
function parsePoints(points) {
  if (!Array.isArray(points) || points.length > MAX_POINTS_PER_FRAME) {
    return null;
  }
  const clean = [];
  for (const point of points) {
    if (!Array.isArray(point) || point.length < 2 || point.length > 3) {
      return null;
    }
    const [x, y, pressure = 0.5] = point;
    if (![x, y, pressure].every((n) => typeof n === "number" && Number.isFinite(n))) {
      return null;
    }
    clean.push([clamp(x, -0.05, 1.05), clamp(y, -0.05, 1.05), clamp(pressure, 0, 1)]);
  }
  return clean;
}

/** A whiteboard frame from the peer as a plain object, or null when it is not a valid one. */
export function parseBoardFrame(data) {
  const frame = readJsonFrame(data, MAX_FRAME_LENGTH);
  if (!frame) {
    return null;
  }
  if (frame.t === "clear") {
    return { t: "clear" };
  }
  if (typeof frame.id !== "string" || !STROKE_ID.test(frame.id)) {
    return null;
  }
  switch (frame.t) {
    case "begin": {
      const points = parsePoints(frame.pts ?? []);
      if (!points || !["pen", "eraser"].includes(frame.tool)
          || typeof frame.size !== "number" || !Number.isFinite(frame.size)
          || (frame.tool === "pen" && !PALETTE.has(frame.color))) {
        return null;
      }
      return { t: "begin", id: frame.id, tool: frame.tool,
        color: frame.tool === "pen" ? frame.color : null,
        size: clamp(frame.size, MIN_SIZE, MAX_SIZE), pressure: frame.pr === true, points };
    }
    case "pts": {
      const points = parsePoints(frame.pts);
      return points ? { t: "pts", id: frame.id, points } : null;
    }
    case "end":
    case "undo":
      return { t: frame.t, id: frame.id };
    default:
      return null;
  }
}

// ---- Drawing --------------------------------------------------------------------------------

/** A closed, smooth Path2D through perfect-freehand's outline points. */
function outlinePath(outline) {
  const path = new Path2D();
  const count = outline.length;
  if (count < 2) {
    return path;
  }
  const middle = (a, b) => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  const [startX, startY] = middle(outline[0], outline[1]);
  path.moveTo(startX, startY);
  for (let i = 1; i <= count; i += 1) {
    const point = outline[i % count];
    const [x, y] = middle(point, outline[(i + 1) % count]);
    path.quadraticCurveTo(point[0], point[1], x, y);
  }
  path.closePath();
  return path;
}

function paint(context, stroke, width, height, finished) {
  if (!stroke.points.length) {
    return;
  }
  const size = Math.max(1, stroke.size * width);
  const outline = getStroke(stroke.points.map(([x, y, p]) => [x * width, y * height, p]), {
    size,
    thinning: stroke.tool === "eraser" ? 0 : 0.5,
    smoothing: 0.5,
    streamline: 0.45,
    simulatePressure: !stroke.pressure && stroke.tool !== "eraser",
    start: { cap: true, taper: 0 },
    end: { cap: true, taper: 0 },
    last: finished,
  });
  context.save();
  context.globalCompositeOperation = stroke.tool === "eraser" ? "destination-out" : "source-over";
  context.fillStyle = stroke.tool === "eraser" ? "#000" : stroke.color;
  context.fill(outlinePath(outline));
  context.restore();
}

function newStrokeId() {
  return crypto.randomUUID().replace(/-/g, "").slice(0, 20);
}

/**
 * Creates the whiteboard channel on `pc` and renders the whiteboard into `container` (an empty
 * element). Options: `peerName` ("The other person").
 * Returns `{channel, strokes(), undo(), clear(), openHelp(), close()}`.
 */
export function setupWhiteboard(pc, container, options = {}) {
  const peerName = String(options.peerName || "The other person");
  const channel = createToolChannel(pc, "whiteboard", WHITEBOARD_CHANNEL_ID);
  const uid = `ik-board-${++instances}`;
  const strokes = [];                 // committed, in drawing order
  const peerLive = new Map();         // peer strokes being drawn, by id
  let drawing = null;                 // my stroke being drawn
  let pending = [];                   // its points not sent yet
  let tool = "pen";
  let colour = COLOURS[0].value;
  let width = WIDTHS[1].value;
  let closed = false;
  let frameRequest = 0;
  let flushRequest = 0;
  let layerDirty = true;
  let cssWidth = 0;
  let cssHeight = 0;
  let ratio = 1;

  // ---- The panel --------------------------------------------------------------------------
  function toolButton(name, label, shortcut) {
    const node = element("button", { type: "button", class: "wb-tool", "data-tool": name,
      "aria-pressed": String(name === tool), "aria-keyshortcuts": shortcut, title: `${label} (${shortcut})` },
    icon(name), element("span", { class: "wb-label" }, label));
    node.addEventListener("click", () => selectTool(name));
    return node;
  }

  function actionButton(name, label, title, handler, extra = {}) {
    const node = element("button", { type: "button", class: `wb-tool wb-${name}`, title, ...extra },
      icon(name), element("span", { class: "wb-label" }, label));
    node.addEventListener("click", handler);
    return node;
  }

  const toolButtons = [toolButton("pen", "Pen", "P"), toolButton("eraser", "Eraser", "E")];
  const colourButtons = COLOURS.map((entry) => {
    const node = element("button", { type: "button", class: "wb-swatch",
      "data-colour": entry.name.toLowerCase(), "aria-pressed": String(entry.value === colour),
      "aria-label": entry.name, title: entry.name });
    node.addEventListener("click", () => selectColour(entry.value));
    node.value = entry.value;
    return node;
  });
  const widthButtons = WIDTHS.map((entry) => {
    const node = element("button", { type: "button", class: "wb-width",
      "data-width": entry.name.toLowerCase(), "aria-pressed": String(entry.value === width),
      "aria-label": entry.name, title: `${entry.name} line` },
    element("span", { class: "wb-width-dot", "aria-hidden": "true" }));
    node.addEventListener("click", () => selectWidth(entry.value));
    node.value = String(entry.value);
    return node;
  });
  const undoButton = actionButton("undo", "Undo", "Undo your last stroke (Ctrl+Z)", () => undo(),
    { "aria-keyshortcuts": "Control+Z Meta+Z", disabled: "" });
  const clearButton = actionButton("clear", "Clear", "Clear the board for both of you",
    () => clear());
  const saveButton = actionButton("save", "Save", "Save the board as a PNG image on this device",
    () => save());
  const helpButton = actionButton("help", "Help", "What every button does (?)", () => openHelp(),
    { "aria-haspopup": "dialog", "aria-keyshortcuts": "?", "aria-label": "Whiteboard help" });

  const toolbar = element("div", { class: "wb-toolbar", role: "toolbar",
    "aria-label": "Whiteboard tools" },
  element("div", { class: "wb-group", role: "group", "aria-label": "Tool" }, ...toolButtons),
  element("div", { class: "wb-group wb-colours", role: "group", "aria-label": "Colour" }, ...colourButtons),
  element("div", { class: "wb-group", role: "group", "aria-label": "Line width" }, ...widthButtons),
  element("div", { class: "wb-group wb-actions", role: "group", "aria-label": "Board" },
    undoButton, clearButton, saveButton, helpButton));

  const summary = element("p", { id: `${uid}-summary`, class: "visually-hidden" }, "The board is empty.");
  const canvas = element("canvas", { class: "wb-canvas", tabindex: "0", role: "img",
    "aria-label": "Shared whiteboard: draw with a mouse, a finger or a stylus",
    "aria-describedby": `${uid}-summary` });
  canvas.dataset.tool = tool;
  const announcer = liveAnnouncer();
  const help = buildHelp();
  const { panel, status } = toolPanel(container, { uid, kind: "wb", title: "Whiteboard" },
    toolbar, element("div", { class: "wb-stage" }, canvas), summary, announcer, help.dialog);

  const context = canvas.getContext("2d");
  const layer = document.createElement("canvas");   // committed strokes, redrawn when needed
  const layerContext = layer.getContext("2d");

  function buildHelp() {
    const titleId = `${uid}-help-title`;
    const close = element("button", { type: "button", class: "button button-primary wb-help-close" },
      "Got it");
    const entry = (name, title, ...text) => [
      element("dt", {}, icon(name), element("span", {}, title)),
      element("dd", {}, ...text)];
    const plain = (title, ...text) => [element("dt", {}, element("span", {}, title)),
      element("dd", {}, ...text)];
    const dialog = element("dialog", { class: "wb-help-dialog", "aria-labelledby": titleId },
      element("h2", { id: titleId }, "How the whiteboard works"),
      element("p", { class: "wb-help-intro" },
        `You and ${peerName} draw on the same board. What you draw appears on their side while `
        + "you draw it, at the same place even if their screen is a different size."),
      element("dl", { class: "wb-help-list" },
        ...entry("pen", "Pen (P)", "Draw smooth lines with the mouse, a finger or a stylus. "
          + "With a stylus the line follows how hard you press."),
        ...entry("eraser", "Eraser (E)", "Rub out anything on the board, yours or theirs. "
          + "An eraser stroke can be undone like any other stroke."),
        ...plain("Colours", "Pick the pen colour: black, red, orange, green, blue or purple."),
        ...plain("Line width", "Thin, medium or thick. The eraser is four times as wide as the "
          + "chosen width."),
        ...entry("undo", "Undo (Ctrl+Z or ⌘Z)", "Takes back your own last stroke, on both "
          + "screens. It never removes what the other person drew."),
        ...entry("clear", "Clear", "Wipes the whole board for both of you. It cannot be undone."),
        ...entry("save", "Save", "Downloads the board as a PNG image to this device only."),
        ...entry("help", "Help (?)", "Opens this explanation.")),
      element("p", { class: "wb-help-privacy" },
        "The board travels directly between your two browsers over the call's encrypted "
        + "connection. interKanect never receives or stores it, and it is gone when the call ends."),
      element("div", { class: "wb-help-actions" }, close));
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => helpButton.focus());
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) {
        dialog.close();  // a click on the backdrop
      }
    });
    return { dialog, close };
  }

  // ---- Toolbar state ----------------------------------------------------------------------
  function selectTool(name) {
    tool = name;
    canvas.dataset.tool = name;
    for (const button of toolButtons) {
      button.setAttribute("aria-pressed", String(button.dataset.tool === name));
    }
  }

  function selectColour(value) {
    colour = value;
    for (const button of colourButtons) {
      button.setAttribute("aria-pressed", String(button.value === value));
    }
    selectTool("pen");
  }

  function selectWidth(value) {
    width = value;
    for (const button of widthButtons) {
      button.setAttribute("aria-pressed", String(Number(button.value) === value));
    }
  }

  function refresh() {
    undoButton.disabled = !strokes.some((stroke) => stroke.mine);
    clearButton.disabled = strokes.length === 0 && peerLive.size === 0 && !drawing;
    const mine = strokes.filter((stroke) => stroke.mine).length;
    summary.textContent = strokes.length
      ? `${strokes.length} ${strokes.length === 1 ? "stroke" : "strokes"} on the board: ${mine} yours, ${strokes.length - mine} from ${peerName}.`
      : "The board is empty.";
  }

  // ---- Rendering --------------------------------------------------------------------------
  function resize() {
    const box = canvas.getBoundingClientRect();
    const nextRatio = window.devicePixelRatio || 1;
    if (!box.width || (box.width === cssWidth && box.height === cssHeight && nextRatio === ratio)) {
      return;
    }
    cssWidth = box.width;
    cssHeight = box.height;
    ratio = nextRatio;
    for (const target of [canvas, layer]) {
      target.width = Math.round(cssWidth * ratio);
      target.height = Math.round(cssHeight * ratio);
    }
    layerDirty = true;
    render();
  }

  function rebuildLayer() {
    layerContext.setTransform(1, 0, 0, 1, 0, 0);
    layerContext.clearRect(0, 0, layer.width, layer.height);
    layerContext.setTransform(ratio, 0, 0, ratio, 0, 0);
    for (const stroke of strokes) {
      paint(layerContext, stroke, cssWidth, cssHeight, true);
    }
    layerDirty = false;
  }

  function render() {
    frameRequest = 0;
    if (!cssWidth) {
      return;
    }
    if (layerDirty) {
      rebuildLayer();
    }
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.drawImage(layer, 0, 0);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    for (const stroke of peerLive.values()) {
      paint(context, stroke, cssWidth, cssHeight, false);
    }
    if (drawing) {
      paint(context, drawing, cssWidth, cssHeight, false);
    }
  }

  function schedule() {
    if (!frameRequest && !closed) {
      frameRequest = requestAnimationFrame(render);
    }
  }

  function commit(stroke) {
    if (strokes.length >= MAX_STROKES) {
      strokes.shift();
      layerDirty = true;
    }
    strokes.push(stroke);
    if (!layerDirty && cssWidth) {
      layerContext.setTransform(ratio, 0, 0, ratio, 0, 0);
      paint(layerContext, stroke, cssWidth, cssHeight, true);
    }
    refresh();
    schedule();
  }

  // ---- Sending ------------------------------------------------------------------------------
  function send(frame) {
    sendJsonFrame(channel, frame);  // unsent when closing: the stroke stays on this side
  }

  function beginFrame(stroke, points) {
    const frame = { t: "begin", id: stroke.id, tool: stroke.tool, size: stroke.size,
      pr: stroke.pressure, pts: points };
    if (stroke.tool === "pen") {
      frame.color = stroke.color;
    }
    return frame;
  }

  function flush() {
    if (drawing && pending.length) {
      send({ t: "pts", id: drawing.id, pts: pending });
    }
    pending = [];
  }

  /** After connecting (or reconnecting), the other side gets every stroke of mine. */
  function replay() {
    for (const stroke of strokes.filter((s) => s.mine)) {
      send(beginFrame(stroke, stroke.points.slice(0, REPLAY_POINTS_PER_FRAME)));
      for (let i = REPLAY_POINTS_PER_FRAME; i < stroke.points.length; i += REPLAY_POINTS_PER_FRAME) {
        send({ t: "pts", id: stroke.id, pts: stroke.points.slice(i, i + REPLAY_POINTS_PER_FRAME) });
      }
      send({ t: "end", id: stroke.id });
    }
  }

  // ---- Drawing with a pointer ---------------------------------------------------------------
  function pointOf(event) {
    const box = canvas.getBoundingClientRect();
    const pressure = event.pointerType === "pen" ? clamp(event.pressure || 0.5, 0, 1) : 0.5;
    // The same bounds the other side enforces, so both keep the very same points.
    return [round(clamp((event.clientX - box.left) / box.width, -0.05, 1.05)),
      round(clamp((event.clientY - box.top) / box.height, -0.05, 1.05)), round(pressure)];
  }

  function addPoint(point) {
    const last = drawing.points[drawing.points.length - 1];
    if (last && last[0] === point[0] && last[1] === point[1]) {
      return;
    }
    if (drawing.points.length >= MAX_POINTS_PER_STROKE) {
      return;
    }
    drawing.points.push(point);
    pending.push(point);
  }

  function pointerDown(event) {
    if (drawing || (event.pointerType === "mouse" && event.button !== 0)) {
      return;
    }
    // No preventDefault: the board takes focus the usual way (for Ctrl+Z and the other keys)
    // without a focus ring; touch-action and user-select in the CSS stop scrolling and selecting.
    canvas.setPointerCapture(event.pointerId);
    const eraser = tool === "eraser";
    drawing = { id: newStrokeId(), mine: true, tool, color: eraser ? null : colour,
      size: eraser ? width * ERASER_SCALE : width, pressure: event.pointerType === "pen",
      points: [pointOf(event)], pointerId: event.pointerId };
    pending = [];
    send(beginFrame(drawing, drawing.points));
    refresh();
    schedule();
  }

  function pointerMove(event) {
    if (!drawing || event.pointerId !== drawing.pointerId) {
      return;
    }
    const events = typeof event.getCoalescedEvents === "function" ? event.getCoalescedEvents() : [];
    for (const each of events.length ? events : [event]) {
      addPoint(pointOf(each));
    }
    if (pending.length >= 64) {
      flush();
    } else if (pending.length && !flushRequest) {
      // Points drawn between two frames go out together, once per animation frame.
      flushRequest = requestAnimationFrame(() => {
        flushRequest = 0;
        flush();
      });
    }
    schedule();
  }

  function pointerUp(event) {
    if (!drawing || event.pointerId !== drawing.pointerId) {
      return;
    }
    if (event.type === "pointerup") {
      addPoint(pointOf(event));
    }
    flush();
    const stroke = drawing;
    drawing = null;
    delete stroke.pointerId;
    send({ t: "end", id: stroke.id });
    commit(stroke);
  }

  // ---- Undo, clear, save, help --------------------------------------------------------------
  function undo() {
    for (let i = strokes.length - 1; i >= 0; i -= 1) {
      if (strokes[i].mine) {
        const [stroke] = strokes.splice(i, 1);
        send({ t: "undo", id: stroke.id });
        layerDirty = true;
        refresh();
        schedule();
        return true;
      }
    }
    return false;
  }

  function wipe() {
    strokes.length = 0;
    peerLive.clear();
    const dropped = drawing;
    drawing = null;
    pending = [];
    if (dropped) {
      try {
        canvas.releasePointerCapture(dropped.pointerId);
      } catch {
        // not captured any more
      }
    }
    layerDirty = true;
    refresh();
    schedule();
  }

  function clear() {
    wipe();
    send({ t: "clear" });
    announcer.textContent = "You cleared the whiteboard for both of you.";
  }

  function save() {
    const image = document.createElement("canvas");
    image.width = canvas.width;
    image.height = canvas.height;
    const paper = image.getContext("2d");
    paper.fillStyle = "#ffffff";
    paper.fillRect(0, 0, image.width, image.height);
    paper.drawImage(canvas, 0, 0);
    image.toBlob((blob) => {
      if (!blob) {
        return;
      }
      const url = URL.createObjectURL(blob);
      const link = element("a", { href: url, download: `whiteboard-${new Date().toISOString().slice(0, 16).replace(/[T:]/g, "-")}.png` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }, "image/png");
  }

  function openHelp() {
    if (!help.dialog.open) {
      help.dialog.showModal();
      help.close.focus();
    }
  }

  function keydown(event) {
    if (event.defaultPrevented || event.altKey || help.dialog.open) {
      return;
    }
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === "z" && !event.shiftKey) {
      event.preventDefault();
      undo();
    } else if (event.ctrlKey || event.metaKey) {
      return;
    } else if (key === "p") {
      selectTool("pen");
    } else if (key === "e") {
      selectTool("eraser");
    } else if (key === "?") {
      event.preventDefault();
      openHelp();
    }
  }

  // ---- Receiving ----------------------------------------------------------------------------
  function received(event) {
    if (closed) {
      return;
    }
    const frame = parseBoardFrame(event.data);
    if (!frame) {
      return;
    }
    switch (frame.t) {
      case "begin": {
        if (peerLive.has(frame.id) || strokes.some((s) => !s.mine && s.id === frame.id)) {
          return;  // an id is used once
        }
        if (peerLive.size >= MAX_PEER_LIVE_STROKES) {
          peerLive.delete(peerLive.keys().next().value);
        }
        peerLive.set(frame.id, { id: frame.id, mine: false, tool: frame.tool, color: frame.color,
          size: frame.size, pressure: frame.pressure, points: frame.points });
        refresh();
        schedule();
        break;
      }
      case "pts": {
        const stroke = peerLive.get(frame.id);
        if (stroke) {
          const room = MAX_POINTS_PER_STROKE - stroke.points.length;
          stroke.points.push(...frame.points.slice(0, Math.max(0, room)));
          schedule();
        }
        break;
      }
      case "end": {
        const stroke = peerLive.get(frame.id);
        if (stroke) {
          peerLive.delete(frame.id);
          commit(stroke);
        }
        break;
      }
      case "undo": {
        const index = strokes.findIndex((s) => !s.mine && s.id === frame.id);
        if (index >= 0) {
          strokes.splice(index, 1);
          layerDirty = true;
          refresh();
          schedule();
        }
        break;
      }
      case "clear":
        wipe();
        announcer.textContent = `${peerName} cleared the whiteboard.`;
        break;
      default:
        break;
    }
  }

  function channelOpened() {
    showChannelState(status, "open");
    replay();
  }

  function channelClosed() {
    if (!closed) {
      showChannelState(status, "closed");
      peerLive.clear();
      schedule();
    }
  }

  // ---- Wiring -------------------------------------------------------------------------------
  const observer = new ResizeObserver(resize);
  observer.observe(canvas);
  const ratioChanged = () => resize();
  window.addEventListener("resize", ratioChanged);
  canvas.addEventListener("pointerdown", pointerDown);
  canvas.addEventListener("pointermove", pointerMove);
  canvas.addEventListener("pointerup", pointerUp);
  canvas.addEventListener("pointercancel", pointerUp);
  canvas.addEventListener("lostpointercapture", pointerUp);
  canvas.addEventListener("contextmenu", (event) => event.preventDefault());
  panel.addEventListener("keydown", keydown);
  const release = listenToChannel(channel, { opened: channelOpened, closed: channelClosed, received });
  refresh();

  return {
    channel,
    /** The strokes on the board, in drawing order (normalised points; for tests and tools). */
    strokes() {
      return strokes.map((stroke) => ({ id: stroke.id, mine: stroke.mine, tool: stroke.tool,
        color: stroke.color, size: stroke.size, points: stroke.points.map((p) => p.slice()) }));
    },
    undo,
    clear,
    openHelp,
    close() {
      if (closed) {
        return;
      }
      closed = true;
      cancelAnimationFrame(frameRequest);
      cancelAnimationFrame(flushRequest);
      observer.disconnect();
      window.removeEventListener("resize", ratioChanged);
      release();
      if (help.dialog.open) {
        help.dialog.close();
      }
      strokes.length = 0;
      peerLive.clear();
      drawing = null;
      panel.remove();
    },
  };
}
