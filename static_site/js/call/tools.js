/** The call's tools beside the video: chat, files and the whiteboard, each on its own negotiated
 * data channel, in tabs.
 *
 * Each tool is a module exporting `setup<Name>(pc, container)`, which creates its negotiated
 * data channel on the RTCPeerConnection and draws itself into its tab panel. They are loaded
 * here on demand; a tool whose module cannot be loaded is left out (its tab is hidden). */

const TOOLS = [
  { name: "chat", load: () => import("./chat.js"), setup: "setupChat" },
  { name: "files", load: () => import("./files.js"), setup: "setupFiles" },
  { name: "whiteboard", load: () => import("./whiteboard.js"), setup: "setupWhiteboard" },
];

export class CallTools {
  constructor(root) {
    this.root = root;
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
      tab.hidden = !this.available.has(name);
      if (tab.hidden) {
        this.panel(name).hidden = true;
      }
    }
    const selected = this.tabs.find((tab) => !tab.hidden && tab.getAttribute("aria-selected") === "true")
      || this.tabs.find((tab) => !tab.hidden);
    if (selected) {
      this.select(selected, { focus: false });
    }
    this.root.hidden = this.available.size === 0;
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

  /** A chat message arrived: counted on the Chat tab while another tab is showing. */
  unread() {
    const tab = this.tabs.find((t) => t.dataset.toolTab === "chat");
    const badge = tab && tab.querySelector("[data-unread]");
    if (!badge || tab.getAttribute("aria-selected") === "true") {
      return;
    }
    this.unreadCount = (this.unreadCount || 0) + 1;
    badge.textContent = ` ${this.unreadCount} new`;
    badge.hidden = false;
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

  select(tab, { focus = true } = {}) {
    for (const other of this.tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      this.panel(other.dataset.toolTab).hidden = !selected || other.hidden;
    }
    this.root.dataset.tool = tab.dataset.toolTab;
    if (tab.dataset.toolTab === "chat") {
      this.unreadCount = 0;
      const badge = tab.querySelector("[data-unread]");
      if (badge) {
        badge.hidden = true;
        badge.textContent = "";
      }
    }
    this.root.dispatchEvent(new CustomEvent("toolchange", { detail: tab.dataset.toolTab, bubbles: true }));
    if (focus) {
      tab.focus();
    }
  }
}
