/** The tab's one WebSocket to interKanect: while it is open the signed-in person is online.
 *
 * It pings every minute (API Gateway closes sockets idle for 10 minutes, and the server sweeps
 * connections silent for 3), reconnects with backoff when the socket closes (API Gateway ends
 * every connection at 2 hours), swaps to a new socket when the access token is refreshed, comes
 * back as soon as the tab is online again, and stops on sign-out. Messages from the server are
 * re-dispatched as `message` events (`event.detail` is the parsed object) for later features. */

import { freshSession, refreshSession, siteConfig } from "./api.js";
import { onTokenChange } from "./session.js";

const SUBPROTOCOL = "interkanect";
const PING_MS = 60_000;
const SILENCE_LIMIT_MS = 150_000; // no answer to two pings: the socket is dead, replace it
const OPEN_TIMEOUT_MS = 15_000;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
const STABLE_MS = 30_000; // open this long before the backoff starts again from the first step
const CLOSE_NORMAL = 1000;
const CLOSE_REPLACED = 4000; // application close codes are 4000-4999

class PresenceSocket extends EventTarget {
  constructor() {
    super();
    this.running = false;
    this.socket = null; // the open socket
    this.pending = null; // a socket being opened (first connect, reconnect or token swap)
    this.token = null; // the access token of the pending or open socket
    this.connecting = false;
    this.failures = 0; // consecutive attempts that never opened
    this.refreshedThisStreak = false;
    this.retryTimer = 0;
    this.pingTimer = 0;
    this.stableTimer = 0;
    this.lastHeard = 0;
    this.listening = false;
  }

  get connected() {
    return Boolean(this.socket && this.socket.readyState === WebSocket.OPEN);
  }

  start() {
    if (this.running || !siteConfig().websocket) {
      return;
    }
    this.running = true;
    this.listen();
    this.connect();
  }

  stop() {
    this.running = false;
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.stableTimer);
    window.clearInterval(this.pingTimer);
    this.retryTimer = 0;
    this.pingTimer = 0;
    this.discard(this.pending, CLOSE_NORMAL, "signed out");
    this.discard(this.socket, CLOSE_NORMAL, "signed out");
    this.pending = null;
    this.socket = null;
    this.token = null;
    this.failures = 0;
    this.refreshedThisStreak = false;
  }

  /** Sends a JSON message on the open socket; false when there is none right now. */
  send(message) {
    if (!this.connected) {
      return false;
    }
    this.socket.send(JSON.stringify(message));
    return true;
  }

  listen() {
    if (this.listening) {
      return;
    }
    this.listening = true;
    onTokenChange((session) => {
      if (!this.running) {
        return;
      }
      if (!session) {
        this.stop();
      } else if (!this.connecting && session.access_token !== this.token) {
        this.connect(); // a refreshed token: open the new socket, then close the old one
      }
    });
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        this.reconnectNow();
      }
    });
    // Leaving the page ends the session's presence at once, not when the server notices.
    window.addEventListener("pagehide", () => {
      if (this.running) {
        this.discard(this.pending, CLOSE_NORMAL, "page closed");
        this.discard(this.socket, CLOSE_NORMAL, "page closed");
        this.pending = null;
        this.socket = null;
        window.clearInterval(this.pingTimer);
      }
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) {
        this.reconnectNow(); // back from the back/forward cache
      }
    });
  }

  /** Skips the backoff wait when there is reason to think the socket can open now. */
  reconnectNow() {
    if (!this.running || this.socket || this.pending || this.connecting) {
      return;
    }
    window.clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.failures = 0;
    this.connect();
  }

  async connect() {
    if (!this.running || this.connecting) {
      return;
    }
    this.connecting = true;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    let session;
    try {
      // After a refused attempt, renew the token once in case that was the reason.
      if (this.failures > 0 && !this.refreshedThisStreak) {
        this.refreshedThisStreak = true;
        session = await refreshSession();
      } else {
        session = await freshSession();
      }
    } catch {
      this.connecting = false;
      this.scheduleRetry(); // the API could not be reached; the session is kept
      return;
    }
    this.connecting = false;
    if (!this.running) {
      return;
    }
    if (!session) {
      this.stop(); // signed out, or the session could not be renewed
      return;
    }
    this.open(session.access_token);
  }

  open(token) {
    let candidate;
    try {
      candidate = new WebSocket(siteConfig().websocket, [SUBPROTOCOL, token]);
    } catch {
      this.failures += 1;
      this.scheduleRetry();
      return;
    }
    this.discard(this.pending, CLOSE_REPLACED, "replaced");
    this.pending = candidate;
    this.token = token;
    const openTimeout = window.setTimeout(() => {
      if (this.pending === candidate) {
        this.pending = null;
        this.discard(candidate, CLOSE_REPLACED, "open timed out");
        this.failures += 1;
        this.scheduleRetry();
      }
    }, OPEN_TIMEOUT_MS);

    candidate.addEventListener("open", () => {
      window.clearTimeout(openTimeout);
      if (this.pending !== candidate) {
        return;
      }
      this.pending = null;
      const previous = this.socket;
      this.socket = candidate;
      this.discard(previous, CLOSE_REPLACED, "replaced by a new connection");
      this.lastHeard = Date.now();
      this.startPinging();
      window.clearTimeout(this.stableTimer);
      this.stableTimer = window.setTimeout(() => {
        this.failures = 0;
        this.refreshedThisStreak = false;
      }, STABLE_MS);
      this.dispatchEvent(new Event("open"));
    });

    candidate.addEventListener("message", (event) => {
      this.lastHeard = Date.now();
      let message = null;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // not ours to understand
      }
      this.dispatchEvent(new CustomEvent("message", { detail: message }));
    });

    candidate.addEventListener("close", () => {
      window.clearTimeout(openTimeout);
      if (this.pending === candidate) {
        // Never opened: refused (token, limits) or unreachable. A live socket stays in use.
        this.pending = null;
        this.failures += 1;
        if (!this.socket) {
          this.scheduleRetry();
        }
      } else if (this.socket === candidate) {
        this.socket = null;
        window.clearInterval(this.pingTimer);
        window.clearTimeout(this.stableTimer);
        this.dispatchEvent(new Event("close"));
        this.scheduleRetry();
      }
    });
  }

  startPinging() {
    window.clearInterval(this.pingTimer);
    this.pingTimer = window.setInterval(() => {
      if (!this.connected) {
        return;
      }
      if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) {
        const dead = this.socket;
        this.socket = null;
        window.clearInterval(this.pingTimer);
        this.discard(dead, CLOSE_REPLACED, "no answer");
        this.scheduleRetry();
        return;
      }
      this.send({ action: "ping" });
    }, PING_MS);
  }

  /** Waits 1 s, 2 s, 4 s … up to a minute (with jitter) before the next attempt. */
  scheduleRetry() {
    if (!this.running || this.retryTimer || this.pending || this.connecting) {
      return;
    }
    const step = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(this.failures, 6));
    const delay = Math.round(step / 2 + Math.random() * (step / 2));
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = 0;
      this.connect();
    }, navigator.onLine === false ? Math.max(delay, BACKOFF_MAX_MS) : delay);
  }

  /** Closes a socket we no longer want. Its handlers act only on the current socket, so once
   * it is neither `pending` nor `socket` its later events change nothing. */
  discard(socket, code, reason) {
    if (!socket) {
      return;
    }
    if (socket === this.socket) {
      this.socket = null;
    }
    if (socket === this.pending) {
      this.pending = null;
    }
    try {
      socket.close(code, reason);
    } catch {
      // Already closing or closed.
    }
  }
}

let instance = null;

/** This tab's socket (created on first use; it does nothing until started). */
export function presenceSocket() {
  if (!instance) {
    instance = new PresenceSocket();
  }
  return instance;
}

/** Makes the signed-in person online for as long as this tab is open. */
export function startPresence() {
  presenceSocket().start();
}

export function stopPresence() {
  if (instance) {
    instance.stop();
  }
}
