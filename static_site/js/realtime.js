/** The tab's one WebSocket to interKanect: presence, live calls and call signalling.
 *
 * While it is open the signed-in person is online. It pings every minute (API Gateway closes
 * sockets idle for 10 minutes, and the server sweeps connections silent for 3), reconnects with
 * backoff when the socket closes (API Gateway ends every connection at 2 hours), swaps to a new
 * socket when the access token is refreshed, comes back as soon as the tab is online again, and
 * stops on sign-out.
 *
 * On top of that it is a small client of the protocol in docs/websocket.md:
 * - `send(message)` sends one JSON message now (false when no socket is open);
 * - `on(type, handler)` listens to server messages of one `type` (`call`, `signal`, `notices`, `ack`,
 *   `error`, `pong`, or `*` for all), or to the socket's `open` and `close`; it returns the
 *   function that stops listening. Every `open` is a new connection: a call in progress must
 *   `rejoin` on it;
 * - `request(action, fields)` sends an action with an `id` and resolves with the `ack` (or
 *   `pong`) that echoes it, or rejects with a `RealtimeError` from the `error` that does;
 * - `ready()` resolves once a socket is open;
 * - `serverNow()` estimates the server's clock (ms), from the pongs;
 * - `generation` counts the sockets opened so far (which connection a message went out on). */

import { freshSession, refreshSession, siteConfig } from "./api.js";
import { onTokenChange } from "./session.js";

const SUBPROTOCOL = "interkanect";
const PING_MS = 60_000;
const SILENCE_LIMIT_MS = 150_000; // no answer to two pings: the socket is dead, replace it
const OPEN_TIMEOUT_MS = 15_000;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
const STABLE_MS = 30_000; // open this long before the backoff starts again from the first step
const REQUEST_TIMEOUT_MS = 15_000;
const CLOSE_NORMAL = 1000;
const CLOSE_REPLACED = 4000; // application close codes are 4000-4999
const LIFECYCLE = new Set(["open", "close"]);

/** A refused or unanswered request: `code` is the server's error code, or `timeout`,
 * `disconnected` (the socket closed before the answer) or `unavailable` (no socket at all). */
export class RealtimeError extends Error {
  constructor({ code, message, call = null, callId = null, field = null }) {
    super(message);
    this.name = "RealtimeError";
    this.code = code;
    this.call = call; // the call as it stands, with `call_changed`
    this.callId = callId;
    this.field = field; // the field at fault, when the server names one
  }
}

class RealtimeClient {
  constructor() {
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
    this.handlers = new Map(); // type -> Set of handlers
    this.requests = new Map(); // id -> {resolve, reject, timer, action, callId, socket, sentAt}
    this.sequence = 0;
    this.generation = 0; // how many sockets have opened: each is a new connection to the server
    this.clockOffset = 0; // server ms - local ms
    this.clockPrecision = Infinity; // half the round trip of the best measurement
  }

  get connected() {
    return Boolean(this.socket && this.socket.readyState === WebSocket.OPEN);
  }

  /** Available when the site has a WebSocket endpoint configured. */
  get available() {
    return Boolean(siteConfig().websocket);
  }

  start() {
    if (this.running || !this.available) {
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
    const open = this.socket;
    this.discard(this.socket, CLOSE_NORMAL, "signed out");
    this.pending = null;
    this.socket = null;
    this.token = null;
    this.failures = 0;
    this.refreshedThisStreak = false;
    if (open) {
      this.closed(open);
    }
  }

  /** Sends a JSON message on the open socket; false when there is none right now. */
  send(message) {
    if (!this.connected) {
      return false;
    }
    try {
      this.socket.send(JSON.stringify(message));
    } catch {
      return false; // closing under our feet; the close handler reconnects
    }
    return true;
  }

  /** Calls `handler(message)` for every server message of `type` (`*`: every one), or
   * `handler()` on the socket's `open` / `close`. Returns the function that stops it. */
  on(type, handler) {
    if (!this.handlers.has(type)) {
      this.handlers.set(type, new Set());
    }
    const set = this.handlers.get(type);
    set.add(handler);
    return () => set.delete(handler);
  }

  emit(type, payload) {
    for (const handler of [...(this.handlers.get(type) || [])]) {
      try {
        handler(payload);
      } catch (error) {
        window.setTimeout(() => {
          throw error; // reported, without stopping the other handlers
        });
      }
    }
  }

  /** Resolves once a socket is open (at once if one is); rejects after `timeout` ms if given. */
  ready({ timeout = 0 } = {}) {
    if (this.connected) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      let timer = 0;
      const stop = this.on("open", () => {
        window.clearTimeout(timer);
        stop();
        resolve();
      });
      if (timeout > 0) {
        timer = window.setTimeout(() => {
          stop();
          reject(new RealtimeError({
            code: "unavailable",
            message: "We could not connect to interKanect. Check your connection and try again.",
          }));
        }, timeout);
      }
    });
  }

  /** Sends `{action, id, ...fields}` once the socket is open and resolves with the answer
   * that echoes the id (`ack`, or `pong` for `ping`); an `error` rejects with a RealtimeError. */
  async request(action, fields = {}, { timeout = REQUEST_TIMEOUT_MS } = {}) {
    await this.ready({ timeout });
    this.sequence += 1;
    const id = `${action}-${this.sequence}-${Math.random().toString(36).slice(2, 8)}`;
    const callId = typeof fields.call_id === "string" ? fields.call_id : null;
    return new Promise((resolve, reject) => {
      const timer = window.setTimeout(() => {
        const request = this.requests.get(id);
        this.requests.delete(id);
        if (request && request.socket === this.socket && this.lastHeard < request.sentAtEpoch) {
          this.replace("no answer"); // not a word since: the connection is dead at the other end
        }
        reject(new RealtimeError({
          code: "timeout", callId,
          message: "interKanect did not answer in time. Check your connection and try again.",
        }));
      }, timeout);
      this.requests.set(id, {
        resolve, reject, timer, action, callId, socket: this.socket, sentAt: performance.now(),
        sentAtEpoch: Date.now(),
      });
      if (!this.send({ ...fields, action, id })) {
        this.settle(id, null, new RealtimeError({
          code: "disconnected", callId,
          message: "The connection to interKanect dropped. Try again in a moment.",
        }));
      }
    });
  }

  settle(id, value, error) {
    const request = this.requests.get(id);
    if (!request) {
      return null;
    }
    this.requests.delete(id);
    window.clearTimeout(request.timer);
    if (error) {
      request.reject(error);
    } else {
      request.resolve(value);
    }
    return request;
  }

  /** The server's clock in ms, as well as the pongs tell it. */
  serverNow() {
    return Date.now() + this.clockOffset;
  }

  /** Measures the server's clock once now (a ping round trip); resolves to the offset. */
  async syncClock() {
    try {
      await this.request("ping", {}, { timeout: 5_000 });
    } catch {
      // Keep the last estimate; countdowns then use this device's clock.
    }
    return this.clockOffset;
  }

  learnClock(at, sentAt) {
    if (!Number.isFinite(at) || !Number.isFinite(sentAt)) {
      return;
    }
    const roundTrip = performance.now() - sentAt;
    const half = roundTrip / 2;
    if (half <= this.clockPrecision * 2 || half < 250) {
      this.clockOffset = at + half - Date.now();
      this.clockPrecision = Math.min(this.clockPrecision, half);
    }
  }

  received(message) {
    if (!message || typeof message !== "object" || typeof message.type !== "string") {
      return;
    }
    const { id, type } = message;
    if ((type === "ack" || type === "pong" || type === "error") && id !== undefined) {
      const request = this.requests.get(id);
      if (request && type === "pong") {
        this.learnClock(message.at, request.sentAt);
      }
      this.settle(id, message, type === "error" ? errorFrom(message) : null);
    } else if (type === "error" && message.code === "call_changed") {
      // `call_changed` does not echo the id: it answers the oldest request about that call.
      for (const [pendingId, request] of this.requests) {
        if (request.callId && request.callId === message.call_id) {
          this.settle(pendingId, null, errorFrom(message));
          break;
        }
      }
    }
    this.emit(type, message);
    this.emit("*", message);
  }

  /** A socket that was open has gone: its unanswered requests fail, listeners hear `close`. */
  closed(socket) {
    for (const [id, request] of this.requests) {
      if (request.socket === socket) {
        this.settle(id, null, new RealtimeError({
          code: "disconnected", callId: request.callId,
          message: "The connection to interKanect dropped before it answered.",
        }));
      }
    }
    this.emit("close");
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
        const open = this.socket;
        this.discard(this.pending, CLOSE_NORMAL, "page closed");
        this.discard(this.socket, CLOSE_NORMAL, "page closed");
        this.pending = null;
        this.socket = null;
        window.clearInterval(this.pingTimer);
        if (open) {
          this.closed(open);
        }
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
      if (previous) {
        this.closed(previous);
      }
      this.lastHeard = Date.now();
      this.generation += 1;
      this.startPinging();
      window.clearTimeout(this.stableTimer);
      this.stableTimer = window.setTimeout(() => {
        this.failures = 0;
        this.refreshedThisStreak = false;
      }, STABLE_MS);
      this.emit("open");
    });

    candidate.addEventListener("message", (event) => {
      if (candidate !== this.socket) {
        return; // a replaced socket: whatever it still says is about a connection we left
      }
      this.lastHeard = Date.now();
      let message = null;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // not ours to understand
      }
      this.received(message);
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
        this.closed(candidate);
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
        this.replace("no answer");
        return;
      }
      this.request("ping", {}, { timeout: PING_MS }).catch(() => {});
    }, PING_MS);
  }

  /** Drops the open socket, which answers nothing any more, and connects again at once. */
  replace(reason) {
    const dead = this.socket;
    if (!dead) {
      return;
    }
    this.socket = null;
    window.clearInterval(this.pingTimer);
    this.discard(dead, CLOSE_REPLACED, reason);
    this.closed(dead);
    this.failures = 0;
    this.connect();
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

function errorFrom(message) {
  return new RealtimeError({
    code: String(message.code || "error"),
    message: typeof message.message === "string" && message.message
      ? message.message : "interKanect refused that. Please try again.",
    call: message.call && typeof message.call === "object" ? message.call : null,
    callId: typeof message.call_id === "string" ? message.call_id : null,
    field: typeof message.field === "string" ? message.field : null,
  });
}

let instance = null;

/** This tab's client (created on first use; it connects once started). */
export function realtime() {
  if (!instance) {
    instance = new RealtimeClient();
  }
  return instance;
}

/** Opens the tab's socket: the signed-in person is online for as long as this tab is open. */
export function startRealtime() {
  realtime().start();
}

export function stopRealtime() {
  if (instance) {
    instance.stop();
  }
}
