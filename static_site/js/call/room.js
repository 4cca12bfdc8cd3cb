/** The call room: one live call between a customer (the caller) and a Helper.
 *
 * The caller arrives with `?helper=<username>` and rings from this page's connection; the
 * Helper arrives from the incoming-call pop-up with `?call=<id>&answer=1` and answers from
 * this page's connection (the server ties the call to the connections that rang and answered);
 * `?call=<id>` alone comes back to a live call after a reload (`rejoin`).
 *
 * The server's `call` messages drive what the room shows (ringing, terms, payment, session,
 * extension, the end); the WebRTC signalling goes through the same socket, queued while the
 * socket is down or the call is not live yet, and every reconnect of the socket `rejoin`s the
 * call, so a dropped socket never drops the media.
 *
 * Paid terms: the caller's accept opens the PayPal window during the click (js/call/payment.js);
 * while the call awaits payment both sides' media is paused (tracks disabled, the peer
 * connection kept) under a "Waiting for payment" overlay, and the server's `in_session` view
 * resumes it. Tips (upgraded plan) are in js/call/tips.js.
 *
 * The room looks like a call app: the window is the stage; the controls, banners and terms float
 * over the video (js/call/stage.js has the moving tile, the shortcuts, the panel and the end
 * confirmation); after the call both sides see a summary (js/call/summary.js). */

import { api } from "../api.js";
import { element } from "../dom.js";
import { formatCents } from "../money.js";
import { PAGES, callUrl } from "../paths.js";
import { realtime } from "../realtime.js";
import { recallCall, rememberCall } from "./call-memory.js";
import { countdown, formatDuration, secondsUntil } from "./clock.js";
import { describeEnd } from "./end-reasons.js";
import { iceServers } from "./ice.js";
import { canShareScreen, getLocalMedia, getScreen } from "./media.js";
import { NegotiationPanel, termsText } from "./negotiation.js";
import { CallPayment } from "./payment.js";
import { PeerLink } from "./peer.js";
import { ratingPrompt } from "./rating.js";
import { startRingBack } from "./sounds.js";
import { RoomPanel, confirmEnd, listenForShortcuts, movableTile } from "./stage.js";
import { callSummary } from "./summary.js";
import { CallTools } from "./tools.js";
import { TipJar } from "./tips.js";

const LIVE = new Set(["negotiating", "awaiting_payment", "in_session"]);
const RING_SECONDS = 45;
const MAX_OUTBOX = 400;
const BANNER_DELAY_MS = 1_500;
const CONNECT_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 20_000;

const CONNECTION_TEXT = {
  starting: "Starting…",
  waiting: "Not connected yet",
  connecting: "Connecting…",
  connected: "Connected",
  unstable: "Connection unstable, recovering…",
  failed: "Connection lost, retrying…",
  ended: "Call ended",
};

/** A User Timing mark (`ik:<name>`, first one only), to see where a call's setup time goes. */
function mark(name) {
  if (performance.getEntriesByName(`ik:${name}`).length === 0) {
    performance.mark(`ik:${name}`);
  }
}

function query(root, selector) {
  return root.querySelector(selector);
}

/** The room's elements, found once. */
function viewOf(root) {
  return {
    root,
    title: query(root, "[data-room-title]"),
    subtitle: query(root, "[data-room-subtitle]"),
    connection: query(root, "[data-connection-state]"),
    connectionText: query(root, "[data-connection-text]"),
    banner: query(root, "[data-room-banner]"),
    mediaProblem: query(root, "[data-media-problem]"),
    layout: query(root, "[data-room-layout]"),
    stage: query(root, "[data-stage]"),
    panel: query(root, "[data-room-panel]"),
    panelToggle: query(root, "[data-toggle-panel]"),
    panelToggleText: query(root, "[data-toggle-panel] [data-label-text]"),
    unreadBadge: query(root, "[data-unread-badge]"),
    showInfo: query(root, "[data-show-info]"),
    closePanel: query(root, "[data-close-panel]"),
    localTile: query(root, "[data-local-tile]"),
    remoteVideo: query(root, "[data-testid='remote-video']"),
    remotePlaceholder: query(root, "[data-remote-placeholder]"),
    remoteInitial: query(root, "[data-remote-initial]"),
    remoteWaiting: query(root, "[data-remote-waiting]"),
    remoteName: query(root, "[data-remote-name]"),
    remoteBadges: query(root, "[data-remote-badges]"),
    remoteTile: query(root, "[data-remote-tile]"),
    paused: query(root, "[data-paused]"),
    pausedText: query(root, "[data-paused-text]"),
    pausedClock: query(root, "[data-paused-clock]"),
    enableSound: query(root, "[data-enable-sound]"),
    localVideo: query(root, "[data-testid='local-video']"),
    localPlaceholder: query(root, "[data-local-placeholder]"),
    localBadges: query(root, "[data-local-badges]"),
    mic: query(root, "[data-toggle-mic]"),
    camera: query(root, "[data-toggle-camera]"),
    share: query(root, "[data-share-screen]"),
    end: query(root, "[data-end-call]"),
    endLabel: query(root, "[data-end-label]"),
    phaseCard: query(root, "[data-phase-card]"),
    phaseTitle: query(root, "[data-phase-card-title]"),
    phaseText: query(root, "[data-phase-card-text]"),
    phaseClock: query(root, "[data-phase-card-clock]"),
    phaseActions: query(root, "[data-phase-card-actions]"),
    negotiationSlot: query(root, "[data-negotiation-slot]"),
    tipSlot: query(root, "[data-tip-slot]"),
    verifyCode: query(root, "[data-testid='verification-code']"),
    verifyWaiting: query(root, "[data-verify-waiting]"),
    callFacts: query(root, "[data-call-facts]"),
    endDialog: query(root, "[data-end-dialog]"),
    route: query(root, "[data-route]"),
    tools: query(root, "[data-tools]"),
    extension: query(root, "[data-extension-dialog]"),
    extensionSlot: query(root, "[data-extension-slot]"),
    ended: query(root, "[data-room-ended]"),
    endedTitle: query(root, "[data-ended-title]"),
    endedText: query(root, "[data-ended-text]"),
    endedActions: query(root, "[data-ended-actions]"),
    summary: query(root, "[data-call-summary]"),
    summaryNote: query(root, "[data-summary-note]"),
    ratingSlot: query(root, "[data-rating-slot]"),
  };
}

/** The room when the address leads to no call. */
export function nothingToJoin(root) {
  root.classList.add("is-over");
  root.replaceChildren(element("div", { class: "room-card ended-card room-nothing" },
    element("h1", {}, "No call here"),
    element("p", { class: "panel-text" },
      "This link does not lead to a call. Find a Helper and press Call now on their page."),
    element("p", { class: "phase-actions" },
      element("a", { class: "button button-primary", href: PAGES.categories }, "Find a Helper"))));
}

/** The public facts of a Helper's page (name, user id) read from its HTML (no JSON route). */
async function helperFacts(username) {
  try {
    const response = await fetch(`/h/${encodeURIComponent(username)}`, {
      headers: { Accept: "text/html" }, credentials: "same-origin",
    });
    if (!response.ok) {
      return null;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const main = page.querySelector("[data-helper-page]");
    const name = page.querySelector("#helper-name");
    return {
      display_name: name ? name.textContent.trim() : username,
      username: (main && main.dataset.username) || username,
      user_id: (main && main.dataset.userId) || null,
      page_url: new URL(response.url).pathname,
    };
  } catch {
    return null;
  }
}

export class CallRoom {
  /**
   * @param {object} options
   * @param {"call"|"answer"|"rejoin"} options.mode ring `helper`, answer `callId`, or come back to it
   * @param {object} [options.head] started early by the page: `{media, iceServers, answer, inbox,
   *   stopKeeping}`
   */
  constructor({ root, userId, mode, helper = null, callId = null, head = null }) {
    // What the page's entry started before the room loaded: media, ICE servers, the answer,
    // and the messages that arrived meanwhile.
    this.head = head || {};
    this.view = viewOf(root);
    this.userId = userId;
    this.mode = mode;
    this.helperUsername = helper;
    this.callId = callId;
    this.role = { call: "caller", answer: "helper" }[mode] || null;
    this.call = null;
    this.joined = false; // this page's connection carries the call
    this.joinedOn = undefined; // which of the tab's sockets (`generation`) it was
    this.toldMediaState = false;
    this.outbox = [];
    this.inbox = []; // signals that came before the peer connection
    this.early = []; // messages about a call we do not know the id of yet
    this.peer = null;
    this.peerInfo = (callId && recallCall(callId) && recallCall(callId).peer) || null;
    this.media = { stream: null, mic: null, camera: null, screen: null };
    this.micOff = false;
    this.cameraOff = false;
    this.paused = false;
    this.iEnded = false;
    this.wasAway = false;
    this.remoteMedia = { audio: true, video: true, screen: false };
    this.negotiation = null;
    this.payment = null; // the caller's payments for terms (js/call/payment.js)
    this.tips = null;
    this.paymentWord = null; // how the last payment went, when it did not go through
    this.stopPausedClock = null;
    this.stopRingBack = null;
    this.stopPhaseClock = null;
    this.bannerTimer = 0;
    this.liveSince = null; // when the call was first answered (for the summary's length)
    this.rounds = []; // the terms of every session and extension that started
    this.tipCents = 0; // tips that went through, as the room heard of them
    this.tools = new CallTools(this.view.tools, { inView: () => this.panel && this.panel.isOpen() });
    this.panel = new RoomPanel({
      root: this.view.root, panel: this.view.panel, toggle: this.view.panelToggle,
      shield: this.view.showInfo, close: this.view.closePanel, tools: this.tools,
    });
    this.rt = realtime();
  }

  /* ---- Start -------------------------------------------------------------------------- */

  start() {
    mark("room-start");
    this.wireControls();
    this.mediaReady = this.startMedia();
    this.iceReady = this.head.iceServers || iceServers();
    this.toolsReady = this.tools.load().then(() => this.panel.ready());
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
    this.media.stream = stream;
    this.media.mic = stream ? stream.getAudioTracks()[0] || null : null;
    this.media.camera = stream ? stream.getVideoTracks()[0] || null : null;
    if (problem) {
      this.view.mediaProblem.textContent = problem;
      this.view.mediaProblem.hidden = false;
    }
    if (stream) {
      this.view.localVideo.srcObject = stream;
      this.view.localVideo.play().catch(() => {});
    }
    this.view.mic.disabled = !this.media.mic;
    this.view.camera.disabled = !this.media.camera;
    this.view.share.hidden = !canShareScreen();
    this.view.share.disabled = false;
    this.mediaSettled = true;
    this.showLocalState();
    return stream;
  }

  async startAsCaller() {
    this.setPhase("Calling", "Getting your camera ready…");
    this.view.end.disabled = false;
    this.view.endLabel.textContent = "Cancel";
    const facts = helperFacts(this.helperUsername).then((found) => {
      this.peerInfo = found || { display_name: this.helperUsername, username: this.helperUsername };
      this.showNames();
      return found;
    });
    await Promise.all([this.mediaReady, this.iceReady, this.toolsReady, facts]);
    if (this.iEnded) {
      return this.finishWithoutCall("Call cancelled", "You hung up before the call went through.");
    }
    // Everything for the first offer is ready before it rings: it goes as soon as the Helper answers.
    await this.createPeer("caller");
    this.setPhase("Calling", `Ringing ${this.peerName()}…`);
    let ack;
    try {
      await this.rt.ready({ timeout: CONNECT_TIMEOUT_MS });
      this.awaitingAck = true;
      ack = await this.rt.request("call", { helper: this.helperUsername }, { timeout: REQUEST_TIMEOUT_MS });
    } catch (error) {
      this.awaitingAck = false;
      return this.cannotStart(error);
    }
    this.awaitingAck = false;
    this.callId = ack.call.call_id;
    this.setJoined();
    this.rt.syncClock(); // after the call went out, not before: one message at a time per socket
    rememberCall(this.callId, { role: "caller", peer: this.peerInfo });
    window.history.replaceState(null, "", callUrl({ call: this.callId, helper: this.helperUsername }));
    this.applyCall(ack.call);
    this.replayEarly();
    if (this.iEnded) {
      this.endCall(); // hung up while it was being placed
    }
  }

  async startAsHelper() {
    this.setPhase("Answering", `Connecting you to ${this.peerName()}…`);
    this.showNames();
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
    window.history.replaceState(null, "", callUrl({ call: this.callId }));
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
    this.setPhase("Reconnecting", "Joining your call again…");
    this.showNames();
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
      this.peerInfo = await helperFacts(this.helperUsername);
    }
    this.showNames();
    window.history.replaceState(null, "", callUrl({ call: this.callId, helper: this.helperUsername }));
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
        const transient = error && ["timeout", "disconnected", "unavailable"].includes(error.code);
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
    window.addEventListener("pagehide", () => {
      if (this.call && this.call.state === "ringing" && this.role === "caller") {
        this.rt.send({ action: "cancel", call_id: this.callId }); // best effort
      }
    });
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
      this.showRemoteMedia(data);
    } else if (data.type === "bye") {
      // The call message that follows says how it ended.
    } else if (this.peer) {
      this.peer.handleSignal(data);
    } else if (this.inbox.length < MAX_OUTBOX) {
      this.inbox.push(data);
    }
  }

  onTipMessage(message) {
    if (!this.callId || message.call_id !== this.callId || !this.tips) {
      return;
    }
    const text = this.tips.tipped(message);
    if (text) {
      this.tipCents += Number(message.amount_cents) || 0;
      this.flashBanner(text);
    }
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
    this.hideBanner();
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
        if (!error || ["disconnected", "timeout", "unavailable"].includes(error.code)) {
          return; // the next open tries again
        }
        this.endedWhileAway(error);
        return;
      }
    }
  }

  onSocketClose() {
    this.joined = false;
    if (!this.call || !LIVE.has(this.call.state)) {
      return;
    }
    window.clearTimeout(this.bannerTimer);
    this.bannerTimer = window.setTimeout(() => {
      if (!this.rt.connected) {
        this.view.banner.textContent = "Reconnecting to interKanect… Your call goes on meanwhile.";
        this.view.banner.hidden = false;
      }
    }, BANNER_DELAY_MS);
  }

  hideBanner() {
    window.clearTimeout(this.bannerTimer);
    this.view.banner.hidden = true;
    this.view.banner.textContent = "";
  }

  /** A short piece of news over the room (a tip), gone after a few seconds. */
  flashBanner(text) {
    window.clearTimeout(this.bannerTimer);
    this.view.banner.textContent = text;
    this.view.banner.hidden = false;
    this.bannerTimer = window.setTimeout(() => {
      if (this.view.banner.textContent === text) {
        this.hideBanner();
      }
    }, 8_000);
  }

  /* ---- The call's states -------------------------------------------------------------- */

  applyCall(call) {
    const previous = this.call;
    if (previous && Number(call.version) <= Number(previous.version)) {
      return;
    }
    this.call = call;
    this.view.root.dataset.phase = call.state;
    const live = LIVE.has(call.state);
    if (live && this.liveSince === null) {
      this.liveSince = Date.now();
    }
    if (call.state === "in_session" && call.agreed && (!previous || previous.state !== "in_session")) {
      this.rounds.push({ ...call.agreed });
    }
    document.body.dataset.inCall = String(live);
    if (call.state === "ringing") {
      this.showRinging(call);
      return;
    }
    this.stopRinging();
    if (live) {
      this.showLive(call, previous);
    } else if (call.state === "ended") {
      this.finish(call);
    }
  }

  showRinging(call) {
    if (this.role !== "caller") {
      this.setPhase("Ringing", "Waiting for the call to be answered…");
      return;
    }
    this.setPhase(`Calling ${this.peerName()}`,
      `${this.peerName()} has ${RING_SECONDS} seconds to answer. You can check your camera and `
      + "microphone meanwhile.");
    this.view.remoteWaiting.textContent = `Ringing ${this.peerName()}…`;
    this.setConnection("waiting");
    if (!this.stopRingBack) {
      this.stopRingBack = startRingBack();
    }
    this.runPhaseClock(call.state_deadline, "Ringing for");
  }

  stopRinging() {
    if (this.stopRingBack) {
      this.stopRingBack();
      this.stopRingBack = null;
    }
  }

  showLive(call, previous) {
    const wasLive = previous && LIVE.has(previous.state);
    if (!wasLive) {
      this.view.phaseCard.hidden = true;
      this.stopPhaseClock?.();
      this.view.end.disabled = false;
      this.view.endLabel.textContent = "End call";
      this.view.remoteWaiting.textContent = `Connecting to ${this.peerName()}…`;
      if (!this.peer || !this.peer.healthy) {
        this.setConnection("connecting");
      }
      this.flushOutbox();
    }
    this.ensureNegotiation();
    this.negotiation.update(call);
    if (call.state === "awaiting_payment") {
      this.paymentWord = null;
    } else if (call.state === "negotiating" && previous && previous.state === "awaiting_payment"
        && this.paymentWord) {
      this.negotiation.showPaymentNotice(this.paymentWord);
    }
    if (this.payment) {
      this.payment.update(call);
    }
    this.tips.update(call);
    this.placeNegotiation(call);
    this.setPaused(call.state === "awaiting_payment");
    this.showPausedClock(call);
    this.view.subtitle.textContent = this.subtitleFor(call);
    this.showFacts(call);
  }

  /** The call's facts in the Info tab. */
  showFacts(call) {
    const facts = [
      ["With", this.peerName()],
      ["You are", this.role === "helper" ? "the Helper" : "the caller"],
      ["Terms", call.agreed ? termsText(call.agreed) : "Not agreed yet"],
      ["Plan", call.plan === "free" ? "Free: up to 20 minutes a call" : "Upgraded: no time limit, tips"],
    ];
    this.view.callFacts.replaceChildren(...facts.map(([term, value]) => element("div", {},
      element("dt", {}, term), element("dd", {}, value))));
  }

  /** The payment countdown on the "Waiting for payment" overlay. */
  showPausedClock(call) {
    const awaiting = call.state === "awaiting_payment";
    if (!awaiting || this.pausedClockFor !== call.state_deadline) {
      this.stopPausedClock?.();
      this.stopPausedClock = null;
      this.pausedClockFor = null;
    }
    if (!awaiting) {
      return;
    }
    const name = this.peerName();
    this.view.pausedText.textContent = this.role === "caller"
      ? "Approve the payment at PayPal. Video and sound stay off until it goes through, then the "
        + "call resumes by itself."
      : `${name} is paying at PayPal. Video and sound stay off until the payment goes through, then `
        + "the call resumes by itself.";
    if (!this.stopPausedClock && call.state_deadline) {
      this.pausedClockFor = call.state_deadline;
      this.stopPausedClock = countdown(call.state_deadline, (left) => {
        this.view.pausedClock.textContent = `${formatDuration(left)} left to pay`;
      });
    }
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
    if (this.call && this.call.state === "negotiating" && this.negotiation) {
      this.negotiation.showPaymentNotice(this.paymentWord);
    }
  }

  /** Accepting terms; paid ones open the PayPal window now, inside the click. */
  acceptTerms(terms) {
    if (!terms || terms.price_cents === 0 || !this.payment) {
      return this.act("accept", terms);
    }
    this.payment.openWindow();
    return this.act("accept", terms).catch((error) => {
      this.payment.abandonWindow();
      throw error;
    });
  }

  subtitleFor(call) {
    const name = this.peerName();
    if (call.state === "in_session") {
      return `In session with ${name}: ${termsText(call.agreed)}`;
    }
    if (call.state === "awaiting_payment") {
      return `With ${name}: waiting for payment (${formatCents(call.agreed.price_cents, { cents: true })})`;
    }
    return call.extension ? `With ${name}: agreeing on more time` : `With ${name}: agreeing on terms`;
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

  ensureNegotiation() {
    if (this.negotiation) {
      return;
    }
    // The Helper's price list, for the quick picks: asked for once the media is flowing (or
    // after a moment), so it never competes with the call's own setup.
    const prices = this.role === "helper"
      ? this.settled().then(() => api.myPage()).then((page) => (page ? page.prices : null)).catch(() => null)
      : Promise.resolve(null);
    if (this.role === "caller") {
      this.payment = new CallPayment({
        callId: () => this.callId,
        onOutcome: (result) => this.paymentOutcome(result),
      });
    }
    this.negotiation = new NegotiationPanel({
      role: this.role,
      peerName: () => this.peerName(),
      prices,
      propose: (terms) => this.act("propose", terms),
      accept: (terms) => this.acceptTerms(terms),
      reject: () => this.act("reject_terms"),
      paymentBox: this.payment ? this.payment.element : null,
    });
    this.view.negotiationSlot.append(this.negotiation.element);
    this.tips = new TipJar({ role: this.role, callId: () => this.callId, peerName: () => this.peerName() });
    this.view.tipSlot.append(this.tips.element);
  }

  /** The extension negotiation happens in its own pop-up over the video. */
  placeNegotiation(call) {
    const dialog = this.view.extension;
    const extending = call.state === "negotiating" && call.extension;
    if (extending) {
      if (this.negotiation.element.parentElement !== this.view.extensionSlot) {
        this.view.extensionSlot.append(this.negotiation.element);
      }
      if (!dialog.open) {
        dialog.show();
        const focusable = [...dialog.querySelectorAll("input, button:not([disabled])")]
          .find((candidate) => candidate.getClientRects().length > 0);
        if (!dialog.hasAttribute("tabindex")) {
          dialog.setAttribute("tabindex", "-1");
        }
        (focusable || dialog).focus({ preventScroll: true });
      }
    } else {
      if (this.negotiation.element.parentElement !== this.view.negotiationSlot) {
        this.view.negotiationSlot.append(this.negotiation.element);
      }
      if (dialog.open) {
        dialog.close();
      }
    }
  }

  /** Sends a call action; resolves with the ack. A refusal rejects with the server's words,
   * and if the call moved on meanwhile the room shows where it stands. */
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

  /* ---- The end ------------------------------------------------------------------------ */

  finish(call) {
    this.stopRinging();
    this.stopPhaseClock?.();
    document.body.dataset.inCall = "false";
    this.closeMedia();
    if (this.negotiation) {
      this.negotiation.destroy();
      this.negotiation = null;
    }
    if (this.payment) {
      this.payment.update(call);
      this.payment.destroy();
      this.payment = null;
    }
    if (this.tips) {
      this.tips.destroy();
      this.tips = null;
    }
    this.stopPausedClock?.();
    this.stopPausedClock = null;
    if (this.view.extension.open) {
      this.view.extension.close();
    }
    this.hideBanner();
    this.setConnection("ended");
    const about = describeEnd(call, {
      role: this.role || "caller", peerName: this.peerName(), iEnded: this.iEnded, iWasAway: this.wasAway,
    });
    const sessionHappened = Number(call.minutes_used) > 0;
    const rating = this.role === "caller" && sessionHappened
      ? ratingPrompt({ helperName: this.peerName() }) : null;
    const actions = this.endActions(about.callAgain);
    this.showEnded(about.title, about.text, actions, rating);
    if (this.liveSince !== null || sessionHappened) {
      this.showSummary(call);
    }
  }

  /** Length, terms and money of the call that just ended, and the way to its receipt (the
   * caller) or to the earnings (the Helper). */
  async showSummary(call) {
    const { rows, note, paid } = await callSummary({
      role: this.role || "caller", callId: this.callId, call, rounds: this.rounds,
      tipCents: this.tipCents, liveMs: this.liveSince === null ? 0 : Date.now() - this.liveSince,
    });
    this.view.summary.replaceChildren(...rows.map((row) => element("div", { class: row.total ? "is-total" : "" },
      element("dt", {}, row.label), element("dd", {}, row.value))));
    this.view.summary.hidden = false;
    this.view.summaryNote.textContent = note;
    this.view.summaryNote.hidden = !note;
    const link = this.role === "helper"
      ? element("a", { class: `button ${paid ? "button-primary" : "button-secondary"}`, href: PAGES.earnings,
        "data-testid": "summary-link" }, "Your earnings")
      : paid
        ? element("a", { class: "button button-secondary", href: PAGES.payments, "data-testid": "summary-link" },
          "Receipt and refunds")
        : null;
    if (link) {
      this.view.endedActions.prepend(link);
    }
  }

  endActions(callAgain) {
    const actions = [];
    const username = (this.peerInfo && this.peerInfo.username) || this.helperUsername;
    if (this.role === "caller" && username) {
      if (callAgain) {
        actions.push(element("a", {
          class: "button button-primary", href: callUrl({ helper: username }),
        }, "Call again"));
      }
      actions.push(element("a", {
        class: "button button-secondary", href: `/h/${encodeURIComponent(username)}`,
      }, `Back to ${this.peerName()}'s page`));
    } else if (this.role === "helper") {
      actions.push(element("a", { class: "button button-secondary", href: PAGES.becomeHelper }, "Back to my page"));
    }
    if (this.role !== "helper") {
      actions.push(element("a", { class: "button button-ghost", href: PAGES.categories }, "Find more help"));
    }
    return actions;
  }

  showEnded(title, text, actions, rating = null) {
    this.view.root.classList.add("is-over");
    if (this.view.endDialog.open) {
      this.view.endDialog.close("keep");
    }
    this.view.layout.hidden = true;
    this.view.ended.hidden = false;
    this.view.endedTitle.textContent = title;
    this.view.endedText.textContent = text;
    this.view.endedActions.replaceChildren(...actions);
    this.view.ratingSlot.replaceChildren(...(rating ? [rating] : []));
    const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" }).format(new Date());
    this.view.subtitle.textContent = `Ended at ${time}`;
    this.view.endedTitle.setAttribute("tabindex", "-1");
    this.view.endedTitle.focus({ preventScroll: false });
  }

  finishWithoutCall(title, text) {
    this.closeMedia();
    this.setConnection("ended");
    this.showEnded(title, text, this.endActions(true));
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
    this.finishWithoutCall(title, message);
    if (error && !["helper_busy", "invalid_input", "unavailable", "timeout", "disconnected"].includes(error.code)) {
      // Calling again would not help: leave only the way back.
      this.view.endedActions.replaceChildren(...this.endActions(false));
    }
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
    this.tools.teardown();
    for (const track of [this.media.mic, this.media.camera, this.media.screen]) {
      if (track) {
        track.stop();
      }
    }
    this.view.remoteVideo.srcObject = null;
    this.view.localVideo.srcObject = null;
    for (const control of [this.view.mic, this.view.camera, this.view.share, this.view.end]) {
      control.disabled = true;
    }
    this.stopShortcuts?.();
  }

  /** The End button or key: asks first while paid time remains (and always from the keyboard,
   * where a stray key must not end a call). */
  async requestEnd({ fromKey = false } = {}) {
    if (this.view.end.disabled || this.view.endDialog.open) {
      return;
    }
    const call = this.call;
    const paidTimeLeft = call && call.state === "in_session" && call.agreed && call.agreed.price_cents > 0
      && call.session_ends_at && secondsUntil(call.session_ends_at) > 0;
    const ringing = !call || call.state === "ringing";
    if (!paidTimeLeft && (!fromKey || ringing)) {
      return this.endCall();
    }
    const sure = await confirmEnd(this.view.endDialog, (set) => {
      if (!paidTimeLeft) {
        set(`The call with ${this.peerName()} ends for both of you.`);
        return null;
      }
      return countdown(call.session_ends_at, (left) => {
        set(`${formatDuration(left)} of paid time left. The call ends for both of you, and the `
          + "time left is not refunded.");
      });
    });
    if (sure) {
      await this.endCall();
    }
  }

  async endCall() {
    this.iEnded = true;
    this.view.end.disabled = true;
    if (!this.callId) {
      return; // not rung yet: the start stops at the next step
    }
    const action = this.call && this.call.state === "ringing" && this.role === "caller" ? "cancel" : "end";
    try {
      await this.act(action);
    } catch (error) {
      this.view.end.disabled = false;
      if (error && error.code === "illegal_transition") {
        this.cannotRejoin(error);
      }
    }
  }

  /* ---- The peer connection ------------------------------------------------------------ */

  async createPeer(role) {
    const servers = await this.iceReady;
    mark("peer-create");
    const mediaSettled = this.mediaSettled;
    this.peer = new PeerLink({
      role,
      iceServers: servers,
      localStream: mediaSettled ? this.media.stream : null,
      sendSignal: (data) => this.queueSignal(data),
      setupChannels: (pc) => this.tools.setup(pc, { selfName: "You", peerName: this.peerName() }),
    });
    if (this.media.screen) {
      await this.peer.sendVideo(this.media.screen);
    }
    this.applyTrackStates();
    this.peer.addEventListener("remotestream", (event) => this.showRemoteStream(event.detail));
    this.peer.addEventListener("state", (event) => this.onPeerState(event.detail));
    this.peer.addEventListener("verification", (event) => this.showVerification(event.detail));
    this.peer.addEventListener("reset", () => {
      this.outbox = this.outbox.filter((data) => !data.peer || data.peer === this.peer.id);
      this.showVerification(null);
      this.toldMediaState = false; // told again once the new connection is up
    });
    this.peer.addEventListener("problem", (event) => {
      console.warn("Call connection:", event.detail); // eslint-disable-line no-console
    });
    this.showRemoteStream(this.peer.remoteStream);
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
      this.showRoute();
    } else if (connection === "failed" || ice === "failed") {
      this.setConnection("failed");
    } else if (connection === "disconnected" || ice === "disconnected") {
      this.setConnection("unstable");
    } else {
      this.setConnection("connecting");
    }
  }

  async showRoute() {
    const route = this.peer ? await this.peer.route() : null;
    if (!route) {
      return;
    }
    this.view.route.textContent = route.relayed
      ? "Your media goes through a relay server because a direct path was blocked. It stays "
        + "encrypted end to end: the relay cannot see or hear it."
      : "Your media goes directly between the two browsers, peer to peer.";
    const text = route.relayed ? "Connected · relayed, encrypted" : "Connected · peer-to-peer, encrypted";
    if (this.view.connection.dataset.connectionState === "connected") {
      this.view.connectionText.textContent = text;
    }
  }

  setConnection(state) {
    this.view.connection.dataset.connectionState = state;
    this.view.connectionText.textContent = CONNECTION_TEXT[state] || state;
  }

  showVerification(code) {
    this.view.verifyWaiting.hidden = Boolean(code);
    this.view.verifyCode.textContent = code || "";
    if (code) {
      this.view.verifyCode.setAttribute("aria-label", `Verification code ${code.split("").join(" ")}`);
    }
  }

  showRemoteStream(stream) {
    const video = this.view.remoteVideo;
    if (video.srcObject !== stream) {
      video.srcObject = stream;
    }
    if (!this.remoteVideoWired) {
      this.remoteVideoWired = true;
      const update = () => this.showRemotePlaceholder();
      for (const event of ["loadedmetadata", "resize", "playing", "emptied"]) {
        video.addEventListener(event, update);
      }
    }
    if (stream.getTracks().length) {
      video.play().then(() => {
        this.view.enableSound.hidden = true;
      }).catch((error) => {
        if (error && error.name === "NotAllowedError") {
          this.view.enableSound.hidden = false; // autoplay with sound needs a click here
        }
      });
    }
    this.showRemotePlaceholder();
  }

  showRemotePlaceholder() {
    const video = this.view.remoteVideo;
    const hasPicture = video.videoWidth > 0 && this.remoteMedia.video;
    this.view.remotePlaceholder.hidden = hasPicture;
    if (!this.remoteMedia.video && this.peer && this.peer.healthy) {
      this.view.remoteWaiting.textContent = `${this.peerName()} turned their camera off`;
    }
  }

  /* ---- Local media: mute, camera, screen, pause --------------------------------------- */

  wireControls() {
    const { mic, camera, share, end, enableSound } = this.view;
    mic.addEventListener("click", () => {
      this.micOff = !this.micOff;
      this.applyTrackStates();
      this.sendMediaState();
    });
    camera.addEventListener("click", () => {
      this.cameraOff = !this.cameraOff;
      this.applyTrackStates();
      this.sendMediaState();
    });
    share.addEventListener("click", () => (this.media.screen ? this.stopSharing() : this.startSharing()));
    end.addEventListener("click", () => this.requestEnd());
    movableTile(this.view.localTile, this.view.stage);
    this.stopShortcuts = listenForShortcuts({
      m: () => mic.click(),
      v: () => camera.click(),
      s: () => share.click(),
      c: () => !this.view.panelToggle.hidden && this.panel.flip("chat"),
      i: () => this.panel.flip("info"),
      e: () => this.requestEnd({ fromKey: true }),
    });
    this.view.tools.addEventListener("unread", (event) => this.showUnread(event.detail));
    enableSound.addEventListener("click", () => {
      this.view.remoteVideo.muted = false;
      this.view.remoteVideo.play().then(() => {
        enableSound.hidden = true;
      }).catch(() => {});
    });
  }

  /** Chat messages not seen yet, on the Chat control. */
  showUnread(count) {
    this.view.unreadBadge.textContent = count > 9 ? "9+" : String(count);
    this.view.unreadBadge.hidden = count === 0;
    this.view.panelToggleText.textContent = count ? `Chat, ${count} unread` : "Chat";
  }

  async startSharing() {
    const { share } = this.view;
    share.disabled = true;
    let track = null;
    try {
      track = await getScreen();
    } catch (error) {
      this.view.mediaProblem.textContent = `Screen sharing did not start: ${error.message || error.name}.`;
      this.view.mediaProblem.hidden = false;
    }
    share.disabled = false;
    if (!track) {
      return;
    }
    this.media.screen = track;
    track.addEventListener("ended", () => this.stopSharing());
    if (this.peer) {
      await this.peer.sendVideo(track);
    }
    this.view.localVideo.srcObject = new MediaStream([track]);
    this.view.localVideo.classList.remove("is-mirrored");
    share.setAttribute("aria-pressed", "true");
    share.querySelector("[data-label-text]").textContent = "Stop sharing";
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
    if (this.media.stream) {
      this.view.localVideo.srcObject = this.media.stream;
    }
    this.view.localVideo.classList.add("is-mirrored");
    this.view.share.setAttribute("aria-pressed", "false");
    this.view.share.querySelector("[data-label-text]").textContent = "Share screen";
    this.applyTrackStates();
    this.sendMediaState();
  }

  /** While the call waits for payment, nothing is sent or played, either way. */
  setPaused(paused) {
    if (paused === this.paused) {
      return;
    }
    this.paused = paused;
    this.view.paused.hidden = !paused;
    this.view.remoteVideo.muted = paused;
    this.applyTrackStates();
  }

  applyTrackStates() {
    const { mic, camera, screen } = this.media;
    if (mic) {
      mic.enabled = !this.micOff && !this.paused;
    }
    if (camera) {
      camera.enabled = !this.cameraOff && !this.paused;
    }
    if (screen) {
      screen.enabled = !this.paused;
    }
    this.view.mic.setAttribute("aria-pressed", String(this.micOff));
    this.view.camera.setAttribute("aria-pressed", String(this.cameraOff));
    this.showLocalState();
  }

  showLocalState() {
    const badges = [];
    if (this.micOff || !this.media.mic) {
      badges.push("Muted");
    }
    if (this.media.screen) {
      badges.push("Sharing screen");
    }
    this.view.localBadges.replaceChildren(...badges.map((text) => element("span", { class: "badge" }, text)));
    const showingCamera = !this.media.screen;
    this.view.localPlaceholder.hidden = !(showingCamera && (this.cameraOff || !this.media.camera));
  }

  sendMediaState() {
    if (!this.callId) {
      return;
    }
    this.queueSignal({
      type: "media",
      audio: Boolean(this.media.mic) && !this.micOff,
      video: Boolean(this.media.screen) || (Boolean(this.media.camera) && !this.cameraOff),
      screen: Boolean(this.media.screen),
    });
  }

  showRemoteMedia(data) {
    this.remoteMedia = {
      audio: data.audio !== false, video: data.video !== false, screen: data.screen === true,
    };
    const badges = [];
    if (!this.remoteMedia.audio) {
      badges.push("Muted");
    }
    if (this.remoteMedia.screen) {
      badges.push("Sharing screen");
    }
    this.view.remoteBadges.replaceChildren(...badges.map((text) => element("span", { class: "badge" }, text)));
    this.view.remoteTile.classList.toggle("is-screen", this.remoteMedia.screen);
    this.showRemotePlaceholder();
  }

  /* ---- Small views -------------------------------------------------------------------- */

  peerName() {
    if (this.peerInfo && this.peerInfo.display_name) {
      return this.peerInfo.display_name;
    }
    if (this.role === "caller") {
      return this.helperUsername || "the Helper";
    }
    return "your caller";
  }

  showNames() {
    const name = this.peerName();
    const capitalised = name.charAt(0).toUpperCase() + name.slice(1);
    this.view.title.textContent = `Call with ${name}`;
    document.title = `Call with ${name} — interKanect`;
    this.view.remoteName.textContent = capitalised;
    this.view.remoteInitial.textContent = Array.from(capitalised)[0] || "?";
  }

  setPhase(title, text) {
    this.view.phaseCard.hidden = false;
    this.view.phaseTitle.textContent = title;
    this.view.phaseText.textContent = text;
    this.view.subtitle.textContent = text;
  }

  runPhaseClock(deadline, label) {
    this.stopPhaseClock?.();
    if (!deadline) {
      return;
    }
    const clock = this.view.phaseClock;
    clock.hidden = false;
    this.stopPhaseClock = countdown(deadline, (left) => {
      clock.textContent = `${label} ${formatDuration(left)} more`;
    });
  }
}
