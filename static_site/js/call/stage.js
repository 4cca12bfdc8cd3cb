/** The call room's furniture around the video, DOM only: your own tile that moves between the
 * corners, the keyboard shortcuts, the panel (a side panel on a wide screen, a bottom sheet on a
 * phone) and the end-call confirmation. The room (js/call/room.js) says what each one does. */

const CORNERS = new Set(["top-left", "top-right", "bottom-left", "bottom-right"]);
const WIDE = "(min-width: 62rem)";
const PHONE = "(max-width: 40rem)";
const DRAG_THRESHOLD_PX = 4;

/** Lets `tile` be dragged (pointer events) or moved with the arrow keys; it settles in the
 * corner of `area` nearest to where it was dropped. */
export function movableTile(tile, area) {
  let drag = null;
  const place = (corner) => {
    if (CORNERS.has(corner)) {
      tile.dataset.corner = corner;
    }
  };
  if (window.matchMedia(PHONE).matches) {
    place("top-right"); // on a phone the terms and the sheet take the bottom
  }
  tile.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || event.target.closest("button")) {
      return;
    }
    drag = { id: event.pointerId, x: event.clientX, y: event.clientY, moved: false };
    tile.setPointerCapture(event.pointerId);
  });
  tile.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) {
      return;
    }
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) {
      return;
    }
    drag.moved = true;
    tile.classList.add("is-dragging");
    tile.style.transform = `translate(${dx}px, ${dy}px)`;
  });
  const drop = (event) => {
    if (!drag || event.pointerId !== drag.id) {
      return;
    }
    const { moved } = drag;
    drag = null;
    tile.classList.remove("is-dragging");
    if (moved) {
      const box = tile.getBoundingClientRect();
      const room = area.getBoundingClientRect();
      const vertical = box.top + box.height / 2 < room.top + room.height / 2 ? "top" : "bottom";
      const horizontal = box.left + box.width / 2 < room.left + room.width / 2 ? "left" : "right";
      place(`${vertical}-${horizontal}`);
    }
    tile.style.transform = "";
  };
  tile.addEventListener("pointerup", drop);
  tile.addEventListener("pointercancel", drop);
  tile.addEventListener("keydown", (event) => {
    const [vertical, horizontal] = (tile.dataset.corner || "bottom-right").split("-");
    const next = {
      ArrowUp: `top-${horizontal}`, ArrowDown: `bottom-${horizontal}`,
      ArrowLeft: `${vertical}-left`, ArrowRight: `${vertical}-right`,
    }[event.key];
    if (next) {
      event.preventDefault();
      place(next);
    }
  });
}

/** Calls `keys[key]()` for a key pressed with no modifier, unless the person is typing (a text
 * box, the whiteboard, which has keys of its own) or a modal pop-up is open. Returns a stop
 * function. */
export function listenForShortcuts(keys) {
  const onKey = (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
      return;
    }
    const target = event.target;
    if (target instanceof Element
        && target.closest("input, textarea, select, [contenteditable], [data-tool-panel='whiteboard']")) {
      return;
    }
    if (document.querySelector("dialog[open]:modal")) {
      return;
    }
    const action = keys[event.key.toLowerCase()];
    if (action) {
      event.preventDefault();
      action();
    }
  };
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}

/** The panel of chat, files, whiteboard and the call's details. Open on a wide screen from the
 * start, closed on a phone (where it is a sheet over the video). */
export class RoomPanel {
  /**
   * @param {object} parts `{root, panel, toggle, shield, close, tools}`: the room, the panel,
   *   the Chat control, the verification shield, the panel's close button, the CallTools
   */
  constructor({ root, panel, toggle, shield, close, tools }) {
    Object.assign(this, { root, panel, toggle, shield, close, tools });
    this.wide = window.matchMedia(WIDE);
    toggle.addEventListener("click", () => this.flip("chat"));
    shield.addEventListener("click", () => this.flip("info"));
    close.addEventListener("click", () => this.hide({ focus: true }));
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.defaultPrevented && !this.wide.matches) {
        event.preventDefault();
        this.hide({ focus: true });
      }
    });
    panel.addEventListener("toolchange", () => this.showState());
    this.setOpen(false);
  }

  isOpen() {
    return this.root.dataset.panel === "open";
  }

  /** The tools are there: the Chat control shows, and a wide screen opens the panel. */
  ready() {
    this.toggle.hidden = false;
    if (this.wide.matches) {
      this.setOpen(true);
    }
  }

  /** Opens the panel on `tab`, or closes it when it already shows that tab. */
  flip(tab) {
    if (this.isOpen() && this.tools.selected() === tab) {
      this.hide({ focus: true });
    } else {
      this.show(tab);
    }
  }

  show(tab) {
    this.setOpen(true);
    this.tools.show(tab, { focus: true });
  }

  hide({ focus = false } = {}) {
    const inside = this.panel.contains(document.activeElement);
    this.setOpen(false);
    if (focus || inside) {
      this.toggle.focus({ preventScroll: true });
    }
  }

  setOpen(open) {
    this.root.dataset.panel = open ? "open" : "closed";
    this.showState();
    if (open && this.tools.selected() === "chat") {
      this.tools.markRead();
    }
  }

  showState() {
    const open = this.isOpen();
    this.toggle.setAttribute("aria-pressed", String(open && this.tools.selected() !== "info"));
    this.shield.setAttribute("aria-expanded", String(open && this.tools.selected() === "info"));
  }
}

/** Asks whether to end the call in `dialog` (a modal); resolves true for "End call". `text(set)`
 * writes the question's detail and may keep it up to date (it returns a stop function). */
export function confirmEnd(dialog, text) {
  const detail = dialog.querySelector("[data-end-dialog-text]");
  const stop = text((words) => {
    detail.textContent = words;
  });
  dialog.returnValue = "";
  dialog.showModal();
  dialog.querySelector("[data-keep-talking]").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (typeof stop === "function") {
        stop();
      }
      resolve(dialog.returnValue === "end");
    }, { once: true });
  });
}
