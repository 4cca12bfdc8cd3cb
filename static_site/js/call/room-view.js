/** The call room's drawing: given the call session's state (js/call/session.js), it updates the
 * page. It reads no API and sends nothing; js/call/room.js calls it when the session says what
 * changed, and js/call/stage.js has the furniture around the video (the moving tile, the panel,
 * the end confirmation). */

import { element } from "../dom.js";
import { formatCents } from "../money.js";
import { PAGES, callUrl } from "../paths.js";
import { countdown, formatDuration } from "./clock.js";
import { canShareScreen } from "./media.js";
import { termsText } from "./negotiation.js";
import { LIVE } from "./session.js";
import { startRingBack } from "./sounds.js";
import { confirmEnd } from "./stage.js";

const RING_SECONDS = 45;
const FLASH_MS = 8_000;

const CONNECTION_TEXT = {
  starting: "Starting…",
  waiting: "Not connected yet",
  connecting: "Connecting…",
  connected: "Connected",
  unstable: "Connection unstable, recovering…",
  failed: "Connection lost, retrying…",
  ended: "Call ended",
};

/** What the room says before the server's call does, for each step of the start. */
const STEPS = {
  placing: () => ["Calling", "Getting your camera ready…"],
  ringing: (name) => ["Calling", `Ringing ${name}…`],
  answering: (name) => ["Answering", `Connecting you to ${name}…`],
  rejoining: () => ["Reconnecting", "Joining your call again…"],
};

function query(root, selector) {
  return root.querySelector(selector);
}

/** The room's elements, found once. */
function elementsOf(root) {
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

function badges(texts) {
  return texts.map((text) => element("span", { class: "badge" }, text));
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

export class RoomView {
  /** @param {HTMLElement} root the room; @param {CallSession} session read, never changed */
  constructor(root, session) {
    this.el = elementsOf(root);
    this.session = session;
    this.stopRingBack = null;
    this.flashTimer = 0;
    const video = this.el.remoteVideo;
    for (const event of ["loadedmetadata", "resize", "playing", "emptied"]) {
      video.addEventListener(event, () => this.showRemotePlaceholder());
    }
    this.el.enableSound.addEventListener("click", () => {
      video.muted = false;
      video.play().then(() => {
        this.el.enableSound.hidden = true;
      }).catch(() => {});
    });
  }

  /* ---- Before the server's call ------------------------------------------------------- */

  showStep(step) {
    const [title, text] = STEPS[step](this.session.peerName());
    this.setPhase(title, text);
    if (step === "placing") {
      this.el.end.disabled = false;
      this.el.endLabel.textContent = "Cancel";
    } else if (step === "answering" || step === "rejoining") {
      this.showNames();
    }
  }

  showNames() {
    const name = this.session.peerName();
    const capitalised = name.charAt(0).toUpperCase() + name.slice(1);
    this.el.title.textContent = `Call with ${name}`;
    document.title = `Call with ${name} — interKanect`;
    this.el.remoteName.textContent = capitalised;
    this.el.remoteInitial.textContent = Array.from(capitalised)[0] || "?";
  }

  setPhase(title, text) {
    this.el.phaseCard.hidden = false;
    this.el.phaseTitle.textContent = title;
    this.el.phaseText.textContent = text;
    this.el.subtitle.textContent = text;
  }

  /* ---- The call's phases -------------------------------------------------------------- */

  showCall(call, previous) {
    this.el.root.dataset.phase = call.state;
    document.body.dataset.inCall = String(LIVE.has(call.state));
    if (call.state === "ringing") {
      this.showRinging();
      return;
    }
    this.stopRinging();
    if (LIVE.has(call.state)) {
      this.showLive(call, previous);
    }
  }

  showRinging() {
    const name = this.session.peerName();
    if (this.session.role !== "caller") {
      this.setPhase("Ringing", "Waiting for the call to be answered…");
      return;
    }
    this.setPhase(`Calling ${name}`,
      `${name} has ${RING_SECONDS} seconds to answer. You can check your camera and `
      + "microphone meanwhile.");
    this.el.remoteWaiting.textContent = `Ringing ${name}…`;
    if (!this.stopRingBack) {
      this.stopRingBack = startRingBack();
    }
  }

  stopRinging() {
    if (this.stopRingBack) {
      this.stopRingBack();
      this.stopRingBack = null;
    }
  }

  showLive(call, previous) {
    if (!previous || !LIVE.has(previous.state)) {
      this.el.phaseCard.hidden = true;
      this.el.end.disabled = false;
      this.el.endLabel.textContent = "End call";
      this.el.remoteWaiting.textContent = `Connecting to ${this.session.peerName()}…`;
    }
    if (call.state === "awaiting_payment") {
      this.el.pausedText.textContent = this.session.role === "caller"
        ? "Approve the payment at PayPal. Video and sound stay off until it goes through, then the "
          + "call resumes by itself."
        : `${this.session.peerName()} is paying at PayPal. Video and sound stay off until the payment `
          + "goes through, then the call resumes by itself.";
    }
    this.el.subtitle.textContent = this.subtitleFor(call);
    this.showFacts(call);
  }

  subtitleFor(call) {
    const name = this.session.peerName();
    if (call.state === "in_session") {
      return `In session with ${name}: ${termsText(call.agreed)}`;
    }
    if (call.state === "awaiting_payment") {
      return `With ${name}: waiting for payment (${formatCents(call.agreed.price_cents, { cents: true })})`;
    }
    return call.extension ? `With ${name}: agreeing on more time` : `With ${name}: agreeing on terms`;
  }

  /** The call's facts in the Info tab. */
  showFacts(call) {
    const facts = [
      ["With", this.session.peerName()],
      ["You are", this.session.role === "helper" ? "the Helper" : "the caller"],
      ["Terms", call.agreed ? termsText(call.agreed) : "Not agreed yet"],
      ["Plan", call.plan === "free" ? "Free: up to 20 minutes a call" : "Upgraded: no time limit, tips"],
    ];
    this.el.callFacts.replaceChildren(...facts.map(([term, value]) => element("div", {},
      element("dt", {}, term), element("dd", {}, value))));
  }

  /** The ringing countdown on the phase card, the payment one on the "Waiting for payment"
   * overlay. */
  showClock({ name, left }) {
    if (name === "ring") {
      this.el.phaseClock.hidden = false;
      this.el.phaseClock.textContent = `Ringing for ${formatDuration(left)} more`;
    } else {
      this.el.pausedClock.textContent = `${formatDuration(left)} left to pay`;
    }
  }

  showPaused(paused) {
    this.el.paused.hidden = !paused;
    this.el.remoteVideo.muted = paused;
  }

  /** The terms and the tips go in their slots over the video. */
  placeDeal({ negotiation, tips }) {
    this.el.negotiationSlot.append(negotiation);
    this.el.tipSlot.append(tips);
  }

  /** The extension negotiation happens in its own pop-up over the video. */
  placeNegotiation(negotiation, call) {
    const dialog = this.el.extension;
    const extending = call.state === "negotiating" && call.extension;
    if (extending) {
      if (negotiation.parentElement !== this.el.extensionSlot) {
        this.el.extensionSlot.append(negotiation);
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
      if (negotiation.parentElement !== this.el.negotiationSlot) {
        this.el.negotiationSlot.append(negotiation);
      }
      if (dialog.open) {
        dialog.close();
      }
    }
  }

  /* ---- The connection ----------------------------------------------------------------- */

  showConnection(state) {
    this.el.connection.dataset.connectionState = state;
    this.el.connectionText.textContent = CONNECTION_TEXT[state] || state;
  }

  showRoute(route) {
    this.el.route.textContent = route.relayed
      ? "Your media goes through a relay server because a direct path was blocked. It stays "
        + "encrypted end to end: the relay cannot see or hear it."
      : "Your media goes directly between the two browsers, peer to peer.";
    const text = route.relayed ? "Connected · relayed, encrypted" : "Connected · peer-to-peer, encrypted";
    if (this.el.connection.dataset.connectionState === "connected") {
      this.el.connectionText.textContent = text;
    }
  }

  showVerification(code) {
    this.el.verifyWaiting.hidden = Boolean(code);
    this.el.verifyCode.textContent = code || "";
    if (code) {
      this.el.verifyCode.setAttribute("aria-label", `Verification code ${code.split("").join(" ")}`);
    }
  }

  showReconnecting(reconnecting) {
    if (reconnecting) {
      window.clearTimeout(this.flashTimer);
      this.el.banner.textContent = "Reconnecting to interKanect… Your call goes on meanwhile.";
      this.el.banner.hidden = false;
    } else {
      this.hideBanner();
    }
  }

  hideBanner() {
    window.clearTimeout(this.flashTimer);
    this.el.banner.hidden = true;
    this.el.banner.textContent = "";
  }

  /** A short piece of news over the room (a tip), gone after a few seconds. */
  flashBanner(text) {
    window.clearTimeout(this.flashTimer);
    this.el.banner.textContent = text;
    this.el.banner.hidden = false;
    this.flashTimer = window.setTimeout(() => {
      if (this.el.banner.textContent === text) {
        this.hideBanner();
      }
    }, FLASH_MS);
  }

  /* ---- The other side's picture ------------------------------------------------------- */

  showRemoteStream(stream) {
    const video = this.el.remoteVideo;
    if (video.srcObject !== stream) {
      video.srcObject = stream;
    }
    if (stream.getTracks().length) {
      video.play().then(() => {
        this.el.enableSound.hidden = true;
      }).catch((error) => {
        if (error && error.name === "NotAllowedError") {
          this.el.enableSound.hidden = false; // autoplay with sound needs a click here
        }
      });
    }
    this.showRemotePlaceholder();
  }

  showRemotePlaceholder() {
    const { remoteMedia } = this.session;
    const hasPicture = this.el.remoteVideo.videoWidth > 0 && remoteMedia.video;
    this.el.remotePlaceholder.hidden = hasPicture;
    if (!remoteMedia.video && this.session.peerHealthy()) {
      this.el.remoteWaiting.textContent = `${this.session.peerName()} turned their camera off`;
    }
  }

  showRemoteMedia(media) {
    const texts = [];
    if (!media.audio) {
      texts.push("Muted");
    }
    if (media.screen) {
      texts.push("Sharing screen");
    }
    this.el.remoteBadges.replaceChildren(...badges(texts));
    this.el.remoteTile.classList.toggle("is-screen", media.screen);
    this.showRemotePlaceholder();
  }

  /* ---- This side's picture and controls ----------------------------------------------- */

  /** @param {"ready"|"tracks"|"choosing"|"chosen"|"sharing"|"unshared"} change */
  showLocalMedia(change) {
    const media = this.session.media;
    const { localVideo, share } = this.el;
    if (change === "ready") {
      if (media.stream) {
        localVideo.srcObject = media.stream;
        localVideo.play().catch(() => {});
      }
      this.el.mic.disabled = !media.mic;
      this.el.camera.disabled = !media.camera;
      share.hidden = !canShareScreen();
      share.disabled = false;
    } else if (change === "choosing" || change === "chosen") {
      share.disabled = change === "choosing";
      return;
    } else if (change === "sharing" || change === "unshared") {
      const sharing = change === "sharing";
      if (sharing) {
        localVideo.srcObject = new MediaStream([media.screen]);
      } else if (media.stream) {
        localVideo.srcObject = media.stream;
      }
      localVideo.classList.toggle("is-mirrored", !sharing);
      share.setAttribute("aria-pressed", String(sharing));
      share.querySelector("[data-label-text]").textContent = sharing ? "Stop sharing" : "Share screen";
      return; // the track states follow
    } else {
      this.el.mic.setAttribute("aria-pressed", String(media.micOff));
      this.el.camera.setAttribute("aria-pressed", String(media.cameraOff));
    }
    const texts = [];
    if (media.micOff || !media.mic) {
      texts.push("Muted");
    }
    if (media.screen) {
      texts.push("Sharing screen");
    }
    this.el.localBadges.replaceChildren(...badges(texts));
    const showingCamera = !media.screen;
    this.el.localPlaceholder.hidden = !(showingCamera && (media.cameraOff || !media.camera));
  }

  showProblem(text) {
    this.el.mediaProblem.textContent = text;
    this.el.mediaProblem.hidden = false;
  }

  /** Chat messages not seen yet, on the Chat control. */
  showUnread(count) {
    this.el.unreadBadge.textContent = count > 9 ? "9+" : String(count);
    this.el.unreadBadge.hidden = count === 0;
    this.el.panelToggleText.textContent = count ? `Chat, ${count} unread` : "Chat";
  }

  /** @param {"asked"|"refused"} hangup */
  showHangup(hangup) {
    this.el.end.disabled = hangup === "asked";
  }

  /** The End control does nothing while it is off or already asking. */
  endBlocked() {
    return this.el.end.disabled || this.el.endDialog.open;
  }

  /** Asks whether to end the call (`question` from CallSession.endQuestion); resolves true to end. */
  confirmEnd({ paidUntil }) {
    return confirmEnd(this.el.endDialog, (set) => {
      if (!paidUntil) {
        set(`The call with ${this.session.peerName()} ends for both of you.`);
        return null;
      }
      return countdown(paidUntil, (left) => {
        set(`${formatDuration(left)} of paid time left. The call ends for both of you, and the `
          + "time left is not refunded.");
      });
    });
  }

  /* ---- The end ------------------------------------------------------------------------ */

  /** The ended card (detail of the session's `ended` event). */
  showEnded({ about }) {
    this.stopRinging();
    document.body.dataset.inCall = "false";
    this.el.remoteVideo.srcObject = null;
    this.el.localVideo.srcObject = null;
    for (const control of [this.el.mic, this.el.camera, this.el.share, this.el.end]) {
      control.disabled = true;
    }
    if (this.el.extension.open) {
      this.el.extension.close();
    }
    this.hideBanner();
    this.el.root.classList.add("is-over");
    if (this.el.endDialog.open) {
      this.el.endDialog.close("keep");
    }
    this.el.layout.hidden = true;
    this.el.ended.hidden = false;
    this.el.endedTitle.textContent = about.title;
    this.el.endedText.textContent = about.text;
    this.el.endedActions.replaceChildren(...this.endActions(about.callAgain));
    this.el.ratingSlot.replaceChildren();
    const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" }).format(new Date());
    this.el.subtitle.textContent = `Ended at ${time}`;
    this.el.endedTitle.setAttribute("tabindex", "-1");
    this.el.endedTitle.focus({ preventScroll: false });
  }

  /** The caller's rating prompt (js/call/rating.js), under the ended card. */
  showRating(prompt) {
    this.el.ratingSlot.replaceChildren(prompt);
  }

  endActions(callAgain) {
    const { role, peerInfo, helperUsername } = this.session;
    const actions = [];
    const username = (peerInfo && peerInfo.username) || helperUsername;
    if (role === "caller" && username) {
      if (callAgain) {
        actions.push(element("a", {
          class: "button button-primary", href: callUrl({ helper: username }),
        }, "Call again"));
      }
      actions.push(element("a", {
        class: "button button-secondary", href: `/h/${encodeURIComponent(username)}`,
      }, `Back to ${this.session.peerName()}'s page`));
    } else if (role === "helper") {
      actions.push(element("a", { class: "button button-secondary", href: PAGES.becomeHelper }, "Back to my page"));
    }
    if (role !== "helper") {
      actions.push(element("a", { class: "button button-ghost", href: PAGES.categories }, "Find more help"));
    }
    return actions;
  }

  /** Length, terms and money of the call that just ended (js/call/summary.js), and the way to
   * its receipt (the caller) or to the earnings (the Helper). */
  showSummary({ rows, note, paid }) {
    this.el.summary.replaceChildren(...rows.map((row) => element("div", { class: row.total ? "is-total" : "" },
      element("dt", {}, row.label), element("dd", {}, row.value))));
    this.el.summary.hidden = false;
    this.el.summaryNote.textContent = note;
    this.el.summaryNote.hidden = !note;
    const link = this.session.role === "helper"
      ? element("a", { class: `button ${paid ? "button-primary" : "button-secondary"}`, href: PAGES.earnings,
        "data-testid": "summary-link" }, "Your earnings")
      : paid
        ? element("a", { class: "button button-secondary", href: PAGES.payments, "data-testid": "summary-link" },
          "Receipt and refunds")
        : null;
    if (link) {
      this.el.endedActions.prepend(link);
    }
  }
}
