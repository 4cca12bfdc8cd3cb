/** The call's tools in the room's panel: chat, files and the whiteboard, each on its own
 * negotiated data channel, in tabs (beside them the Info tab, which the room fills itself).
 *
 * Each tool is a module exporting `setup<Name>(pc, container)`, which creates its negotiated
 * data channel on the RTCPeerConnection and draws itself into its tab panel. They are loaded
 * here on demand; a tool whose module cannot be loaded is left out (its tab is hidden).
 *
 * Events on the tools' root: `toolchange` (detail: the tab's name) and `unread` (detail: how
 * many chat messages arrived while the chat was not in view). */

const TOOLS = [
  { name: "chat", load: () => import("./chat.js"), setup: "setupChat" },
  { name: "files", load: () => import("./files.js"), setup: "setupFiles" },
  { name: "whiteboard", load: () => import("./whiteboard.js"), setup: "setupWhiteboard" },
];

/** Tabs the room draws itself: always there. */
const STATIC_TABS = new Set(["info"]);

export class CallTools {
  /**
   * @param {HTMLElement} root
   * @param {object} [options]
   * @param {() => boolean} [options.inView] whether the panel is showing at all (the room's
   *   side panel or sheet may be closed); a chat message counts as unread unless it is
   */
  constructor(root, { inView = () => true } = {}) {
    this.root = root;
    this.inView = inView;
    this.unreadCount = 0;
    this.tabs = [...root.querySelectorAll("[data-tool-tab]")];
    this.available = new Map(); // name -> setup function
    this.handles = new Map(); // name -> whatever setup returned
    this.loaded = null;
    this.wireTabs();
  }

  /** Loads the tool modules (once); resolves when every one has loaded or failed. */
  load() {
    if (!this.loaded) {
      this.loaded = Promise.all(TOOLS.map(async (tool) => {
        try {
          const module = await tool.load();
          if (typeof module[tool.setup] === "function") {
            this.available.set(tool.name, module[tool.setup]);
          }
        } catch {
          // Not there (yet): the tab stays hidden.
        }
      })).then(() => this.showAvailable());
    }
    return this.loaded;
  }

  showAvailable() {
    for (const tab of this.tabs) {
      const name = tab.dataset.toolTab;
      tab.hidden = !this.available.has(name) && !STATIC_TABS.has(name);
      if (tab.hidden) {
        this.panel(name).hidden = true;
      }
    }
    const selected = this.tabs.find((tab) => !tab.hidden && tab.getAttribute("aria-selected") === "true")
      || this.tabs.find((tab) => !tab.hidden);
    if (selected) {
      this.select(selected, { focus: false });
    }
    this.root.hidden = false; // the Info tab is always there
  }

  panel(name) {
    return this.root.querySelector(`[data-tool-panel="${name}"]`);
  }

  /** Sets every tool up on `pc` (a new connection: the panels start afresh). `options` go to
   * each tool (`selfName`, `peerName`). */
  setup(pc, options = {}) {
    this.teardown();
    for (const [name, setup] of this.available) {
      const container = this.panel(name);
      container.replaceChildren();
      const extra = name === "chat" ? { onMessage: () => this.unread() } : {};
      try {
        this.handles.set(name, setup(pc, container, { ...options, ...extra }));
      } catch (error) {
        container.textContent = "This tool could not start. The call itself is not affected.";
        console.warn(`The ${name} tool failed to start`, error); // eslint-disable-line no-console
      }
    }
  }

  /** The tab showing now ("chat", "files", "whiteboard", "info"). */
  selected() {
    return this.root.dataset.tool || null;
  }

  /** A chat message arrived: counted while the chat is out of view (another tab, or the panel
   * closed), on the Chat tab and through the `unread` event. */
  unread() {
    if (this.inView() && this.selected() === "chat") {
      return;
    }
    this.unreadCount += 1;
    this.showUnread();
  }

  /** The chat came into view: nothing is unread any more. */
  markRead() {
    if (this.unreadCount === 0) {
      return;
    }
    this.unreadCount = 0;
    this.showUnread();
  }

  showUnread() {
    const tab = this.tabs.find((t) => t.dataset.toolTab === "chat");
    const badge = tab && tab.querySelector("[data-unread]");
    if (badge) {
      badge.textContent = this.unreadCount ? ` ${this.unreadCount} new` : "";
      badge.hidden = this.unreadCount === 0;
    }
    this.root.dispatchEvent(new CustomEvent("unread", { detail: this.unreadCount, bubbles: true }));
  }

  teardown() {
    for (const handle of this.handles.values()) {
      for (const method of ["close", "destroy", "dispose"]) {
        if (handle && typeof handle[method] === "function") {
          try {
            handle[method]();
          } catch {
            // Already gone with its connection.
          }
          break;
        }
      }
    }
    this.handles.clear();
  }

  wireTabs() {
    for (const tab of this.tabs) {
      tab.addEventListener("click", () => this.select(tab));
      tab.addEventListener("keydown", (event) => {
        const visible = this.tabs.filter((t) => !t.hidden);
        const index = visible.indexOf(tab);
        let next = null;
        if (event.key === "ArrowRight") {
          next = visible[(index + 1) % visible.length];
        } else if (event.key === "ArrowLeft") {
          next = visible[(index - 1 + visible.length) % visible.length];
        } else if (event.key === "Home") {
          next = visible[0];
        } else if (event.key === "End") {
          next = visible[visible.length - 1];
        }
        if (next) {
          event.preventDefault();
          this.select(next);
        }
      });
    }
  }

  /** Shows the tab named `name` (if it is there). */
  show(name, options = {}) {
    const tab = this.tabs.find((t) => t.dataset.toolTab === name && !t.hidden);
    if (tab) {
      this.select(tab, options);
    }
  }

  select(tab, { focus = true } = {}) {
    for (const other of this.tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      this.panel(other.dataset.toolTab).hidden = !selected || other.hidden;
    }
    this.root.dataset.tool = tab.dataset.toolTab;
    if (tab.dataset.toolTab === "chat" && this.inView()) {
      this.markRead();
    }
    this.root.dispatchEvent(new CustomEvent("toolchange", { detail: tab.dataset.toolTab, bubbles: true }));
    if (focus) {
      tab.focus();
    }
  }
}
