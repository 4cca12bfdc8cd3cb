/** One live call between a customer (the caller) and a Helper, as state and protocol, with no
 * DOM: js/call/room-view.js draws it and js/call/room.js wires the two.
 *
 * - The caller rings from this page's connection (`placing`); the Helper answers from it
 *   (`answering`: the page's entry sent the answer already); a reload comes back to a live call
 *   (`rejoining`). The server ties the call to the connections that rang and answered.
 * - The server's `call` messages drive the phases (ringing, terms, payment, session, extension,
 *   the end); an older version never replaces a newer one.
 * - The WebRTC signalling goes through the same socket: queued in the outbox while the socket is
 *   down or the call is not live yet, and every reconnect of the socket `rejoin`s the call, so a
 *   dropped socket never drops the media.
 * - While the call awaits payment both sides' media is paused (tracks disabled, the peer
 *   connection kept), and the server's `in_session` view resumes it.
 *
 * Events (read the rest from the session: `call`, `role`, `media`, `peerName()`…):
 * `step` (detail: "placing" | "ringing" | "answering" | "rejoining", before the server says
 * more), `names` (who the other side is became known), `address` (detail: the page's query, to
 * show in the address bar), `call` (detail: {call, previous}), `paymentnotice` (detail: how the
 * last payment went), `paused` (detail: boolean), `clock` (detail: {name: "ring"|"payment",
 * left}), `connection` (detail: "waiting"|"connecting"|"connected"|"unstable"|"failed"|"ended"),
 * `route` (detail: {relayed}), `verification` (detail: the code or null), `remotestream`
 * (detail: a MediaStream), `remotemedia` (detail: {audio, video, screen}), `localmedia`
 * (detail: "ready"|"tracks"|"choosing"|"chosen"|"sharing"|"unshared"), `problem` (detail: words
 * about this side's media), `reconnecting` (detail: boolean), `tip` (detail: the server's tip
 * message), `hangup` (detail: "asked"|"refused"), `ended` (detail: {call, about: {title, text,
 * callAgain}, rating, summary}). */

import { recallCall, rememberCall } from "./call-memory.js";
import { countdown, secondsUntil } from "./clock.js";
import { describeEnd } from "./end-reasons.js";
import { helperFacts } from "./helper-facts.js";
import { iceServers } from "./ice.js";
import { LocalMedia, getLocalMedia, getScreen } from "./media.js";
import { PeerLink } from "./peer.js";

export const LIVE = new Set(["negotiating", "awaiting_payment", "in_session"]);
const MAX_OUTBOX = 400;
const BANNER_DELAY_MS = 1_500;
const CONNECT_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 20_000;
const TRANSIENT = ["timeout", "disconnected", "unavailable"];

/** A User Timing mark (`ik:<name>`, first one only), to see where a call's setup time goes. */
export function mark(name) {
  if (performance.getEntriesByName(`ik:${name}`).length === 0) {
    performance.mark(`ik:${name}`);
  }
}

export class CallSession extends EventTarget {
  /**
   * @param {object} options
   * @param {object} options.rt the realtime socket (js/realtime.js)
   * @param {"call"|"answer"|"rejoin"} options.mode ring `helper`, answer `callId`, or come back to it
   * @param {object} [options.head] started early by the page: `{media, iceServers, answer, inbox,
   *   stopKeeping}`
   * @param {(pc: RTCPeerConnection) => void} [options.setupChannels] creates the data channels
   * @param {(username: string) => Promise<object|null>} [options.lookUpHelper] a Helper's facts
   */
  constructor({ rt, userId, mode, helper = null, callId = null, booking = null, head = null,
    setupChannels = () => {}, lookUpHelper = helperFacts }) {
    super();
    this.rt = rt;
    this.head = head || {};
    this.userId = userId;
    this.mode = mode;
    this.helperUsername = helper;
    this.bookingId = booking; // a booked session: its terms are agreed, the Helper's answer starts it
    this.callId = callId;
    this.setupChannels = setupChannels;
    this.lookUpHelper = lookUpHelper;
    this.role = { call: "caller", answer: "helper" }[mode] || null;
    this.call = null;
    this.joined = false; // this page's connection carries the call
    this.joinedOn = undefined; // which of the tab's sockets (`generation`) it was
    this.awaitingAck = false;
    this.toldMediaState = false;
    this.outbox = [];
    this.inbox = []; // signals that came before the peer connection
    this.early = []; // messages about a call we do not know the id of yet
    this.peer = null;
    this.peerInfo = (callId && recallCall(callId) && recallCall(callId).peer) || null;
    this.media = new LocalMedia();
    this.remoteMedia = { audio: true, video: true, screen: false };
    this.connection = "starting";
    this.iEnded = false;
    this.wasAway = false;
    this.paymentWord = null; // how the last payment went, when it did not go through
    this.clocks = { ring: null, payment: null };
    this.paymentClockFor = null;
    this.bannerTimer = 0;
    this.liveSince = null; // when the call was first answered (for the summary's length)
    this.rounds = []; // the terms of every session and extension that started
    this.tipCents = 0; // tips that went through, as the room heard of them
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /* ---- Start -------------------------------------------------------------------------- */

  /** @param {{toolsReady: Promise}} ready what the peer connection waits for besides the ICE
   * servers (the data channels' tools) */
  start({ toolsReady = Promise.resolve() } = {}) {
    this.mediaReady = this.startMedia();
    this.iceReady = this.head.iceServers || iceServers();
    this.toolsReady = toolsReady;
    // Each start shows its first state at once (synchronously), then the messages that came
    // before the room loaded are applied over it.
    if (this.mode === "call") {
      this.startAsCaller();
    } else if (this.mode === "answer") {
      this.startAsHelper();
    } else {
      this.comeBack();
    }
    this.listen();
  }

  async startMedia() {
    const { stream, problem } = await (this.head.media || getLocalMedia());
    mark("media-ready");
    this.media.take(stream);
    if (problem) {
      this.emit("problem", problem);
    }
    this.emit("localmedia", "ready");
    return stream;
  }

  async startAsCaller() {
    this.emit("step", "placing");
    const facts = this.lookUpHelper(this.helperUsername).then((found) => {
      this.peerInfo = found || { display_name: this.helperUsername, username: this.helperUsername };
      this.emit("names");
      return found;
    });
    await Promise.all([this.mediaReady, this.iceReady, this.toolsReady, facts]);
    if (this.iEnded) {
      return this.finishWithoutCall("Call cancelled", "You hung up before the call went through.");
    }
    // Everything for the first offer is ready before it rings: it goes as soon as the Helper answers.
    await this.createPeer("caller");
    this.emit("step", "ringing");
    let ack;
    try {
      await this.rt.ready({ timeout: CONNECT_TIMEOUT_MS });
      this.awaitingAck = true;
      const frame = this.bookingId ? { helper: this.helperUsername, booking: this.bookingId }
        : { helper: this.helperUsername };
      ack = await this.rt.request("call", frame, { timeout: REQUEST_TIMEOUT_MS });
    } catch (error) {
      this.awaitingAck = false;
      return this.cannotStart(error);
    }
    this.awaitingAck = false;
    this.callId = ack.call.call_id;
    this.setJoined();
    this.rt.syncClock(); // after the call went out, not before: one message at a time per socket
    rememberCall(this.callId, { role: "caller", peer: this.peerInfo });
    this.emit("address", { call: this.callId, helper: this.helperUsername });
    this.applyCall(ack.call);
    this.replayEarly();
    if (this.iEnded) {
      this.endCall(); // hung up while it was being placed
    }
  }

  async startAsHelper() {
    this.emit("step", "answering");
    let ack;
    try {
      // The page's entry sent the answer already; if that got lost on the way, answer again.
      ack = await (this.head.answer || Promise.reject(new Error("not sent")))
        .catch((error) => {
          if (error && ["illegal_transition", "forbidden", "not_found"].includes(error.code)) {
            throw error;
          }
          return this.persistently("answer", { call_id: this.callId });
        });
    } catch (error) {
      if (error && error.code === "illegal_transition") {
        return this.comeBack(); // answered already (a reload, a lost ack), or over: rejoin says which
      }
      return this.cannotStart(error);
    }
    mark("answered");
    this.emit("address", { call: this.callId });
    this.applyCall(ack.call);
    this.setJoined(ack.generation);
    this.rt.syncClock();
    // Not waiting for the camera: the caller's video can play while ours still starts.
    await Promise.all([this.iceReady, this.toolsReady]);
    if (this.call && LIVE.has(this.call.state)) {
      await this.createPeer("helper");
    }
  }

  /** Back in a live call after a reload: this page's connection takes the call over. */
  async comeBack() {
    this.emit("step", "rejoining");
    let ack;
    try {
      ack = await this.persistently("rejoin", { call_id: this.callId });
    } catch (error) {
      return this.cannotRejoin(error);
    }
    this.setJoined();
    this.rt.syncClock();
    this.role = ack.call.caller_id === this.userId ? "caller" : "helper";
    if (!this.peerInfo && this.role === "caller" && this.helperUsername) {
      this.peerInfo = await this.lookUpHelper(this.helperUsername);
    }
    this.emit("names");
    this.emit("address", { call: this.callId, helper: this.helperUsername });
    this.applyCall(ack.call);
    await Promise.all([this.mediaReady, this.iceReady, this.toolsReady]);
    if (this.call && LIVE.has(this.call.state) && !this.peer) {
      await this.createPeer(this.role);
      if (this.role === "helper") {
        this.peer.reconnected(); // asks the caller for a fresh offer to our new connection
      }
    }
  }

  /** A request that is tried again (up to three times) when the socket dropped or the server
   * did not answer in time; a refusal is final. */
  async persistently(action, fields) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.rt.ready({ timeout: CONNECT_TIMEOUT_MS });
        return await this.rt.request(action, fields, { timeout: REQUEST_TIMEOUT_MS });
      } catch (error) {
        const transient = error && TRANSIENT.includes(error.code);
        if (!transient || attempt >= 3) {
          throw error;
        }
      }
    }
  }

  /* ---- The server's messages ---------------------------------------------------------- */

  listen() {
    if (this.head.stopKeeping) {
      this.head.stopKeeping();
    }
    this.rt.on("call", (message) => this.onCallMessage(message));
    this.rt.on("signal", (message) => this.onSignalMessage(message));
    this.rt.on("tip", (message) => this.onTipMessage(message));
    for (const message of this.head.inbox || []) {
      if (message.type === "call") {
        this.onCallMessage(message);
      } else {
        this.onSignalMessage(message);
      }
    }
    this.rt.on("open", () => this.onSocketOpen());
    this.rt.on("close", () => this.onSocketClose());
  }

  /** The page is going away: a call still ringing from here is cancelled (best effort). */
  leave() {
    if (this.call && this.call.state === "ringing" && this.role === "caller") {
      this.rt.send({ action: "cancel", call_id: this.callId });
    }
  }

  onCallMessage(message) {
    const call = message.call;
    if (!call) {
      return;
    }
    if (!this.callId || call.call_id !== this.callId) {
      if (this.awaitingAck) {
        this.early.push(message);
      }
      return;
    }
    this.applyCall(call);
  }

  onSignalMessage(message) {
    mark(`signal-${message.data && message.data.type}`);
    if (!this.callId || message.call_id !== this.callId) {
      if (this.awaitingAck) {
        this.early.push(message);
      }
      return;
    }
    const data = message.data || {};
    if (data.type === "media") {
      this.remoteMedia = {
        audio: data.audio !== false, video: data.video !== false, screen: data.screen === true,
      };
      this.emit("remotemedia", this.remoteMedia);
    } else if (data.type === "bye") {
      // The call message that follows says how it ended.
    } else if (this.peer) {
      this.peer.handleSignal(data);
    } else if (this.inbox.length < MAX_OUTBOX) {
      this.inbox.push(data);
    }
  }

  onTipMessage(message) {
    if (this.callId && message.call_id === this.callId) {
      this.emit("tip", message);
    }
  }

  /** A tip of this call went through (the room heard of it once). */
  countTip(message) {
    this.tipCents += Number(message.amount_cents) || 0;
  }

  replayEarly() {
    const early = this.early;
    this.early = [];
    for (const message of early) {
      if (message.type === "call") {
        this.onCallMessage(message);
      } else {
        this.onSignalMessage(message);
      }
    }
  }

  /** A socket opened: a new connection. If the call is live and was carried by an earlier one,
   * this one takes it over (`rejoin`). */
  onSocketOpen() {
    mark("socket-open");
    window.clearTimeout(this.bannerTimer);
    this.emit("reconnecting", false);
    if (!this.call || !LIVE.has(this.call.state) || this.joinedOn === undefined
        || this.joinedOn === this.rt.generation) {
      return;
    }
    this.rejoinAfterReconnect();
  }

  /** This page's current connection carries the call now. */
  setJoined(generation = this.rt.generation) {
    this.joined = generation === this.rt.generation;
    this.joinedOn = generation;
    if (this.joined) {
      this.flushOutbox();
    } else if (this.call && LIVE.has(this.call.state)) {
      this.rejoinAfterReconnect(); // the socket that answered is gone already
    }
  }

  async rejoinAfterReconnect() {
    this.joined = false;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        const ack = await this.rt.request("rejoin", { call_id: this.callId }, { timeout: REQUEST_TIMEOUT_MS });
        this.setJoined();
        this.applyCall(ack.call);
        this.flushOutbox();
        if (this.peer) {
          this.peer.reconnected();
        }
        return;
      } catch (error) {
        if (error && error.call) {
          this.applyCall(error.call);
        }
        if (error && error.code === "call_changed" && this.call && LIVE.has(this.call.state)) {
          continue; // the clock moved the call on meanwhile: rejoin it as it is now
        }
        if (!error || TRANSIENT.includes(error.code)) {
          return; // the next open tries again
        }
        this.endedWhileAway(error);
        return;
      }
    }
  }

  /** The socket closed: a live call says "reconnecting" if it is not back in a moment. */
  onSocketClose() {
    this.joined = false;
    if (!this.call || !LIVE.has(this.call.state)) {
      return;
    }
    window.clearTimeout(this.bannerTimer);
    this.bannerTimer = window.setTimeout(() => {
      if (!this.rt.connected) {
        this.emit("reconnecting", true);
      }
    }, BANNER_DELAY_MS);
  }

  /* ---- The call's phases -------------------------------------------------------------- */

  applyCall(call) {
    const previous = this.call;
    if (previous && Number(call.version) <= Number(previous.version)) {
      return;
    }
    this.call = call;
    const live = LIVE.has(call.state);
    if (live && this.liveSince === null) {
      this.liveSince = Date.now();
    }
    if (call.state === "in_session" && call.agreed && (!previous || previous.state !== "in_session")) {
      this.rounds.push({ ...call.agreed });
    }
    this.emit("call", { call, previous });
    if (call.state === "ringing") {
      if (this.role === "caller") {
        this.setConnection("waiting");
        this.runClock("ring", call.state_deadline);
      }
    } else if (live) {
      this.goOn(call, previous);
    } else if (call.state === "ended") {
      this.finish(call);
    }
  }

  /** A live phase: terms, payment or the session. */
  goOn(call, previous) {
    if (!previous || !LIVE.has(previous.state)) {
      this.stopClock("ring");
      if (!this.peer || !this.peer.healthy) {
        this.setConnection("connecting");
      }
      this.flushOutbox();
    }
    if (call.state === "awaiting_payment") {
      this.paymentWord = null;
    } else if (call.state === "negotiating" && previous && previous.state === "awaiting_payment"
        && this.paymentWord) {
      this.emit("paymentnotice", this.paymentWord);
    }
    this.setPaused(call.state === "awaiting_payment");
    this.runPaymentClock(call);
  }

  /** The payment countdown, while the call awaits payment. */
  runPaymentClock(call) {
    const awaiting = call.state === "awaiting_payment";
    if (!awaiting || this.paymentClockFor !== call.state_deadline) {
      this.stopClock("payment");
      this.paymentClockFor = null;
    }
    if (awaiting && !this.clocks.payment && call.state_deadline) {
      this.paymentClockFor = call.state_deadline;
      this.runClock("payment", call.state_deadline);
    }
  }

  runClock(name, deadline) {
    this.stopClock(name);
    if (deadline) {
      this.clocks[name] = countdown(deadline, (left) => this.emit("clock", { name, left }));
    }
  }

  stopClock(name) {
    this.clocks[name]?.();
    this.clocks[name] = null;
  }

  /** How a payment of this call came back from PayPal (js/call/payment.js). */
  paymentOutcome(result) {
    const words = {
      cancelled: "You cancelled the payment, so nothing was charged.",
      declined: "PayPal declined the payment, so nothing was charged.",
      closed: result.message || "The payment was not completed, so nothing was charged.",
    };
    if (!words[result.outcome]) {
      return;
    }
    this.paymentWord = `${words[result.outcome]} The terms are still on the table: accept them to `
      + "try again, or decline.";
    if (this.call && this.call.state === "negotiating") {
      this.emit("paymentnotice", this.paymentWord);
    }
  }

  /** Sends a call action; resolves with the ack. A refusal rejects with the server's words,
   * and if the call moved on meanwhile the session takes up where it stands. */
  async act(action, fields = {}) {
    try {
      const ack = await this.rt.request(action, { call_id: this.callId, ...fields });
      this.applyCall(ack.call);
      return ack;
    } catch (error) {
      if (error && error.call) {
        this.applyCall(error.call);
      }
      throw error;
    }
  }

  /** Resolves once the peer connection is up, or after 1.5 s, whichever comes first. */
  settled() {
    return new Promise((resolve) => {
      const timer = window.setTimeout(resolve, 1_500);
      const check = () => {
        if (this.peer && this.peer.healthy) {
          window.clearTimeout(timer);
          resolve();
        } else if (this.peer) {
          this.peer.addEventListener("state", check, { once: true });
        }
      };
      check();
    });
  }

  peerName() {
    if (this.peerInfo && this.peerInfo.display_name) {
      return this.peerInfo.display_name;
    }
    if (this.role === "caller") {
      return this.helperUsername || "the Helper";
    }
    return "your caller";
  }

  /** The facts js/call/summary.js sums up once the call is over. */
  summaryFacts(call) {
    return {
      role: this.role || "caller", callId: this.callId, call, rounds: this.rounds,
      tipCents: this.tipCents, liveMs: this.liveSince === null ? 0 : Date.now() - this.liveSince,
    };
  }

  /* ---- The end ------------------------------------------------------------------------ */

  /** Whether ending needs asking first (while paid time remains, and always from the keyboard,
   * where a stray key must not end a call): null to end now, else `{paidUntil}` (a deadline, or
   * null when no paid time is left). */
  endQuestion({ fromKey = false } = {}) {
    const call = this.call;
    const paidTimeLeft = call && call.state === "in_session" && call.agreed && call.agreed.price_cents > 0
      && call.session_ends_at && secondsUntil(call.session_ends_at) > 0;
    const ringing = !call || call.state === "ringing";
    if (!paidTimeLeft && (!fromKey || ringing)) {
      return null;
    }
    return { paidUntil: paidTimeLeft ? call.session_ends_at : null };
  }

  async endCall() {
    this.iEnded = true;
    this.emit("hangup", "asked");
    if (!this.callId) {
      return; // not rung yet: the start stops at the next step
    }
    const action = this.call && this.call.state === "ringing" && this.role === "caller" ? "cancel" : "end";
    try {
      await this.act(action);
    } catch (error) {
      this.emit("hangup", "refused");
      if (error && error.code === "illegal_transition") {
        this.cannotRejoin(error);
      }
    }
  }

  finish(call) {
    this.stopClock("ring");
    this.stopClock("payment");
    window.clearTimeout(this.bannerTimer);
    this.closeMedia();
    this.setConnection("ended");
    const about = describeEnd(call, {
      role: this.role || "caller", peerName: this.peerName(), iEnded: this.iEnded, iWasAway: this.wasAway,
    });
    const sessionHappened = Number(call.minutes_used) > 0;
    this.emit("ended", {
      call,
      about,
      rating: this.role === "caller" && sessionHappened,
      summary: this.liveSince !== null || sessionHappened,
    });
  }

  finishWithoutCall(title, text, { callAgain = true } = {}) {
    this.closeMedia();
    this.setConnection("ended");
    this.emit("ended", { call: null, about: { title, text, callAgain }, rating: false, summary: false });
  }

  cannotStart(error) {
    const message = (error && error.message) || "Something went wrong. Please try again.";
    const titles = {
      helper_busy: `${this.peerName()} is in another call`,
      not_found: "No such Helper",
      invalid_input: "Can't call right now",
      forbidden: "This call isn't yours",
      illegal_transition: "This call has already ended",
    };
    const title = titles[error && error.code] || "We couldn't connect the call";
    // When calling again would not help, only the way back is left.
    const callAgain = !error || ["helper_busy", "invalid_input", ...TRANSIENT].includes(error.code);
    this.finishWithoutCall(title, message, { callAgain });
  }

  cannotRejoin(error) {
    const ended = error && /\(([a-z_]+)\)/.exec(error.message || "");
    if (error && error.code === "illegal_transition" && ended) {
      return this.finish({ ...(this.call || {}), state: "ended", end_reason: ended[1] });
    }
    if (error && error.code === "illegal_transition" && /ringing/.test(error.message || "")) {
      // A reload while it rang: the ringing connection is gone, so this call cannot go on.
      this.rt.send({ action: "cancel", call_id: this.callId });
      return this.finishWithoutCall("Your call was interrupted",
        "The page reloaded while the call was ringing, so it was cancelled. You can call again.");
    }
    return this.cannotStart(error);
  }

  endedWhileAway(error) {
    this.wasAway = true;
    const ended = error && /\(([a-z_]+)\)/.exec(error.message || "");
    this.finish({ ...this.call, state: "ended", end_reason: ended ? ended[1] : "abandoned" });
  }

  closeMedia() {
    if (this.peer) {
      this.peer.close();
      this.peer = null;
    }
    this.media.stop();
  }

  /* ---- The peer connection ------------------------------------------------------------ */

  async createPeer(role) {
    const servers = await this.iceReady;
    mark("peer-create");
    const mediaSettled = this.media.settled;
    this.peer = new PeerLink({
      role,
      iceServers: servers,
      localStream: mediaSettled ? this.media.stream : null,
      sendSignal: (data) => this.queueSignal(data),
      setupChannels: this.setupChannels,
    });
    if (this.media.screen) {
      await this.peer.sendVideo(this.media.screen);
    }
    this.applyTrackStates();
    this.peer.addEventListener("remotestream", (event) => this.emit("remotestream", event.detail));
    this.peer.addEventListener("state", (event) => this.onPeerState(event.detail));
    this.peer.addEventListener("verification", (event) => this.emit("verification", event.detail));
    this.peer.addEventListener("reset", () => {
      this.outbox = this.outbox.filter((data) => !data.peer || data.peer === this.peer.id);
      this.emit("verification", null);
      this.toldMediaState = false; // told again once the new connection is up
    });
    this.peer.addEventListener("problem", (event) => {
      console.warn("Call connection:", event.detail); // eslint-disable-line no-console
    });
    this.emit("remotestream", this.peer.remoteStream);
    if (!mediaSettled) {
      const peer = this.peer;
      this.mediaReady.then((stream) => {
        if (this.peer === peer && stream) {
          peer.setLocalStream(stream, { screen: this.media.screen }).then(() => this.applyTrackStates());
        }
      });
    }
    const waiting = this.inbox;
    this.inbox = [];
    for (const data of waiting) {
      this.peer.handleSignal(data);
    }
  }

  peerHealthy() {
    return Boolean(this.peer && this.peer.healthy);
  }

  queueSignal(data) {
    this.outbox.push(data);
    if (this.outbox.length > MAX_OUTBOX) {
      this.outbox.splice(0, this.outbox.length - MAX_OUTBOX);
    }
    this.flushOutbox();
  }

  flushOutbox() {
    if (!this.joined || !this.call || !LIVE.has(this.call.state)) {
      return;
    }
    if (this.outbox.length > 1 && this.peer) {
      this.outbox = this.peer.compact(this.outbox);
    }
    while (this.outbox.length) {
      if (!this.rt.send({ action: "signal", call_id: this.callId, data: this.outbox[0] })) {
        return; // the socket dropped: the rest goes after the rejoin
      }
      this.outbox.shift();
    }
  }

  onPeerState({ connection, ice }) {
    if (!this.call || !LIVE.has(this.call.state)) {
      return;
    }
    if (connection === "connected" || ice === "connected" || ice === "completed") {
      mark("connected");
      if (!this.toldMediaState) {
        this.toldMediaState = true; // after the offer and answer, which must not wait behind it
        this.sendMediaState();
      }
      this.setConnection("connected");
      this.findRoute();
    } else if (connection === "failed" || ice === "failed") {
      this.setConnection("failed");
    } else if (connection === "disconnected" || ice === "disconnected") {
      this.setConnection("unstable");
    } else {
      this.setConnection("connecting");
    }
  }

  async findRoute() {
    const route = this.peer ? await this.peer.route() : null;
    if (route) {
      this.emit("route", route);
    }
  }

  setConnection(state) {
    this.connection = state;
    this.emit("connection", state);
  }

  /* ---- Local media: mute, camera, screen, pause --------------------------------------- */

  toggleMic() {
    this.media.micOff = !this.media.micOff;
    this.applyTrackStates();
    this.sendMediaState();
  }

  toggleCamera() {
    this.media.cameraOff = !this.media.cameraOff;
    this.applyTrackStates();
    this.sendMediaState();
  }

  toggleSharing() {
    return this.media.screen ? this.stopSharing() : this.startSharing();
  }

  async startSharing() {
    this.emit("localmedia", "choosing");
    let track = null;
    try {
      track = await getScreen();
    } catch (error) {
      this.emit("problem", `Screen sharing did not start: ${error.message || error.name}.`);
    }
    this.emit("localmedia", "chosen");
    if (!track) {
      return;
    }
    this.media.screen = track;
    track.addEventListener("ended", () => this.stopSharing());
    if (this.peer) {
      await this.peer.sendVideo(track);
    }
    this.emit("localmedia", "sharing");
    this.applyTrackStates();
    this.sendMediaState();
  }

  async stopSharing() {
    const track = this.media.screen;
    if (!track) {
      return;
    }
    this.media.screen = null;
    if (this.peer) {
      await this.peer.sendVideo(this.media.camera);
    }
    track.stop();
    this.emit("localmedia", "unshared");
    this.applyTrackStates();
    this.sendMediaState();
  }

  /** While the call waits for payment, nothing is sent or played, either way. */
  setPaused(paused) {
    if (paused === this.media.paused) {
      return;
    }
    this.media.paused = paused;
    this.emit("paused", paused);
    this.applyTrackStates();
  }

  applyTrackStates() {
    this.media.applyTrackStates();
    this.emit("localmedia", "tracks");
  }

  sendMediaState() {
    if (!this.callId) {
      return;
    }
    this.queueSignal({ type: "media", ...this.media.state() });
  }
}
