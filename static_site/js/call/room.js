/** The call room: wires one call's session (js/call/session.js: state, phases, signalling) to
 * its drawing (js/call/room-view.js), the controls and keys, the tools in the panel (chat,
 * files, whiteboard), the terms and payment (js/call/negotiation.js, js/call/payment.js), the
 * tips (js/call/tips.js) and, once it is over, the summary (js/call/summary.js) and the
 * caller's rating prompt (js/call/rating.js).
 *
 * The caller arrives with `?helper=<username>` (and `&booking=<id>` for a booked session), the Helper with `?call=<id>&answer=1` from the
 * incoming-call pop-up, and `?call=<id>` alone comes back to a live call after a reload.
 *
 * Paid terms: the caller's accept opens the PayPal window during the click, before the accept
 * goes to the server (a window opened later is blocked). */

import { api } from "../api.js";
import { PAGES, callUrl } from "../paths.js";
import { realtime } from "../realtime.js";
import { NegotiationPanel } from "./negotiation.js";
import { CallPayment } from "./payment.js";
import { ratingPrompt } from "./rating.js";
import { RoomView } from "./room-view.js";
import { CallSession, LIVE, mark } from "./session.js";
import { RoomPanel, listenForShortcuts, movableTile } from "./stage.js";
import { callSummary } from "./summary.js";
import { TipJar } from "./tips.js";
import { CallTools } from "./tools.js";

export { nothingToJoin } from "./room-view.js";

export class CallRoom {
  /**
   * @param {object} options
   * @param {"call"|"answer"|"rejoin"} options.mode ring `helper`, answer `callId`, or come back to it
   * @param {object} [options.head] started early by the page: `{media, iceServers, answer, inbox,
   *   stopKeeping}`
   */
  constructor({ root, userId, mode, helper = null, callId = null, booking = null, head = null }) {
    this.session = new CallSession({
      rt: realtime(), userId, mode, helper, callId, booking, head,
      setupChannels: (pc) => this.tools.setup(pc, { selfName: "You", peerName: this.session.peerName() }),
    });
    this.view = new RoomView(root, this.session);
    const { el } = this.view;
    this.tools = new CallTools(el.tools, { inView: () => this.panel && this.panel.isOpen() });
    this.panel = new RoomPanel({
      root, panel: el.panel, toggle: el.panelToggle, shield: el.showInfo, close: el.closePanel, tools: this.tools,
    });
    this.deal = null; // the terms, the caller's payments and the tips, once the call is live
  }

  start() {
    mark("room-start");
    this.wireControls();
    this.wireSession();
    this.session.start({ toolsReady: this.tools.load().then(() => this.panel.ready()) });
    window.addEventListener("pagehide", () => this.session.leave());
    // Back from a room that took over a page's address (js/call/room-here.js; also after a
    // reload of it, which the browser still counts as the same document): load the page the
    // address now names. A fragment link within the room stays.
    window.addEventListener("popstate", () => {
      if (window.location.pathname !== PAGES.call) {
        window.location.reload();
      }
    });
  }

  wireControls() {
    const { el } = this.view;
    el.mic.addEventListener("click", () => this.session.toggleMic());
    el.camera.addEventListener("click", () => this.session.toggleCamera());
    el.share.addEventListener("click", () => this.session.toggleSharing());
    el.end.addEventListener("click", () => this.requestEnd());
    movableTile(el.localTile, el.stage);
    this.stopShortcuts = listenForShortcuts({
      m: () => el.mic.click(),
      v: () => el.camera.click(),
      s: () => el.share.click(),
      c: () => !el.panelToggle.hidden && this.panel.flip("chat"),
      i: () => this.panel.flip("info"),
      e: () => this.requestEnd({ fromKey: true }),
    });
    el.tools.addEventListener("unread", (event) => this.view.showUnread(event.detail));
  }

  wireSession() {
    const { session, view } = this;
    const on = {
      step: (step) => view.showStep(step),
      names: () => view.showNames(),
      address: (params) => window.history.replaceState(null, "", callUrl(params)),
      call: ({ call, previous }) => this.showCall(call, previous),
      paymentnotice: (words) => this.deal && this.deal.negotiation.showPaymentNotice(words),
      paused: (paused) => view.showPaused(paused),
      clock: (tick) => view.showClock(tick),
      connection: (state) => view.showConnection(state),
      route: (route) => view.showRoute(route),
      verification: (code) => view.showVerification(code),
      remotestream: (stream) => view.showRemoteStream(stream),
      remotemedia: (media) => view.showRemoteMedia(media),
      localmedia: (change) => view.showLocalMedia(change),
      problem: (words) => view.showProblem(words),
      reconnecting: (reconnecting) => view.showReconnecting(reconnecting),
      tip: (message) => this.tipped(message),
      hangup: (hangup) => view.showHangup(hangup),
      ended: (ending) => this.finish(ending),
    };
    for (const [type, handle] of Object.entries(on)) {
      session.addEventListener(type, (event) => handle(event.detail));
    }
  }

  showCall(call, previous) {
    this.view.showCall(call, previous);
    if (!LIVE.has(call.state)) {
      return;
    }
    const { negotiation, payment, tips } = this.ensureDeal();
    negotiation.update(call);
    if (payment) {
      payment.update(call);
    }
    tips.update(call);
    this.view.placeNegotiation(negotiation.element, call);
  }

  /** The terms, the caller's payments and the tips, made when the call first goes live. */
  ensureDeal() {
    if (this.deal) {
      return this.deal;
    }
    const { session } = this;
    // The Helper's price list, for the quick picks: asked for once the media is flowing (or
    // after a moment), so it never competes with the call's own setup.
    const prices = session.role === "helper"
      ? session.settled().then(() => api.myPage()).then((page) => (page ? page.prices : null)).catch(() => null)
      : Promise.resolve(null);
    const payment = session.role === "caller"
      ? new CallPayment({ callId: () => session.callId, onOutcome: (result) => session.paymentOutcome(result) })
      : null;
    const negotiation = new NegotiationPanel({
      role: session.role,
      peerName: () => session.peerName(),
      prices,
      propose: (terms) => session.act("propose", terms),
      accept: (terms) => this.acceptTerms(terms),
      reject: () => session.act("reject_terms"),
      paymentBox: payment ? payment.element : null,
    });
    const tips = new TipJar({ role: session.role, callId: () => session.callId, peerName: () => session.peerName() });
    this.deal = { negotiation, payment, tips };
    this.view.placeDeal({ negotiation: negotiation.element, tips: tips.element });
    return this.deal;
  }

  /** Accepting terms; paid ones open the PayPal window now, inside the click. */
  acceptTerms(terms) {
    const payment = this.deal && this.deal.payment;
    if (!terms || terms.price_cents === 0 || !payment) {
      return this.session.act("accept", terms);
    }
    payment.openWindow();
    return this.session.act("accept", terms).catch((error) => {
      payment.abandonWindow();
      throw error;
    });
  }

  tipped(message) {
    const text = this.deal ? this.deal.tips.tipped(message) : null;
    if (text) {
      this.session.countTip(message);
      this.view.flashBanner(text);
    }
  }

  /** The End button or key: asks first when the session says so. */
  async requestEnd({ fromKey = false } = {}) {
    if (this.view.endBlocked()) {
      return;
    }
    const question = this.session.endQuestion({ fromKey });
    if (!question || await this.view.confirmEnd(question)) {
      await this.session.endCall();
    }
  }

  async finish({ call, about, rating, summary }) {
    this.tools.teardown();
    this.stopShortcuts?.();
    if (this.deal) {
      this.deal.negotiation.destroy();
      if (this.deal.payment && call) {
        this.deal.payment.update(call);
      }
      this.deal.payment?.destroy();
      this.deal.tips.destroy();
      this.deal = null;
    }
    this.view.showEnded({ about });
    if (rating) {
      const { peerInfo, helperUsername } = this.session;
      this.view.showRating(ratingPrompt({
        callId: this.session.callId,
        helperName: this.session.peerName(),
        helperUsername: (peerInfo && peerInfo.username) || helperUsername,
      }));
    }
    if (summary) {
      this.view.showSummary(await callSummary(this.session.summaryFacts(call)));
    }
  }
}
