/** The peer-to-peer connection between the two browsers of a call: audio, video and the data
 * channels, with nothing but signalling passing through the server.
 *
 * - The caller makes the first offer. The Helper is the *polite* peer of the perfect-negotiation
 *   pattern: after the first exchange either side may renegotiate (screen sharing, an ICE
 *   restart), and when both offer at once the Helper rolls back and answers.
 * - The transceivers are fixed at the first offer (audio, then video, both send-and-receive), so
 *   camera, screen and pauses only swap tracks (`RTCRtpSender.replaceTrack`), with no
 *   renegotiation.
 * - The data channels are negotiated (`negotiated: true` with fixed ids), created by
 *   `setupChannels(pc)` on both sides right after the connection, before any offer.
 * - A connection that fails recovers by an ICE restart, started by the caller (the Helper asks
 *   for one with an `ice-restart` signal); one that stays `disconnected` is restarted as well.
 * - Every signal carries `peer` (this connection's random id) and `to` (the other one's, once
 *   known). When the other side starts over with a new connection (a reload), this side starts
 *   over too; signals meant for a connection that is gone are ignored.
 *
 * Events: `remotestream` (detail: the MediaStream to show), `state` (detail: {connection, ice,
 * signaling}), `verification` (detail: the code or null), `reset` (a new RTCPeerConnection
 * replaced the old one), `problem` (detail: an Error worth logging). */

import { verificationCode } from "./verification.js";

const DISCONNECTED_GRACE_MS = 4_000;
const RESTART_REQUEST_WAIT_MS = 6_000;
const MAX_PENDING_CANDIDATES = 200;

function randomId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class PeerLink extends EventTarget {
  /**
   * @param {object} options
   * @param {"caller"|"helper"} options.role
   * @param {(data: object) => void} options.sendSignal hands a signal to the server
   * @param {RTCIceServer[]} [options.iceServers]
   * @param {MediaStream|null} [options.localStream] camera and microphone, if any
   * @param {(pc: RTCPeerConnection) => void} [options.setupChannels] creates the data channels
   */
  constructor({ role, sendSignal, iceServers = [], localStream = null, setupChannels = () => {} }) {
    super();
    this.role = role;
    this.polite = role === "helper";
    this.sendSignal = sendSignal;
    this.iceServers = iceServers;
    this.localStream = localStream;
    this.setupChannels = setupChannels;
    this.sending = { audio: null, video: null }; // the tracks this side sends (null: none)
    if (localStream) {
      this.sending.audio = localStream.getAudioTracks()[0] || null;
      this.sending.video = localStream.getVideoTracks()[0] || null;
    }
    this.closed = false;
    this.work = Promise.resolve(); // incoming signals, one at a time
    this.create();
  }

  create() {
    this.id = randomId();
    this.remotePeer = null;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.settingRemoteAnswer = false;
    this.answeredAnOffer = false; // the Helper offers only after answering the caller's first
    this.pendingCandidates = [];
    this.transceivers = { audio: null, video: null };
    this.verification = null;
    this.remoteStream = new MediaStream();
    window.clearTimeout(this.disconnectedTimer);
    window.clearTimeout(this.restartRequestTimer);

    const pc = new RTCPeerConnection({
      iceServers: this.iceServers, bundlePolicy: "max-bundle", rtcpMuxPolicy: "require",
    });
    this.pc = pc;
    const current = (handler) => (event) => {
      if (this.pc === pc && !this.closed) {
        handler(event);
      }
    };
    pc.addEventListener("negotiationneeded", current(() => this.negotiate()));
    pc.addEventListener("icecandidate", current(({ candidate }) => {
      if (candidate && candidate.candidate) {
        this.signal({ type: "ice", candidate: candidate.toJSON() });
      }
    }));
    pc.addEventListener("track", current(({ track }) => this.addRemoteTrack(track)));
    pc.addEventListener("connectionstatechange", current(() => this.stateChanged()));
    pc.addEventListener("iceconnectionstatechange", current(() => this.iceStateChanged()));
    pc.addEventListener("signalingstatechange", current(() => this.stateChanged()));

    // The data channels first, before any transceiver and any offer (both sides alike).
    try {
      this.setupChannels(pc);
    } catch (error) {
      this.problem(error);
    }
    if (this.role === "caller") {
      // The caller's offer fixes the m-lines: audio, then video (then the data channels).
      this.transceivers.audio = pc.addTransceiver(this.sending.audio || "audio", this.sendOptions());
      this.transceivers.video = pc.addTransceiver(this.sending.video || "video", this.sendOptions());
    }
    this.dispatchEvent(new CustomEvent("remotestream", { detail: this.remoteStream }));
    this.stateChanged();
  }

  sendOptions() {
    return { direction: "sendrecv", streams: this.localStream ? [this.localStream] : [] };
  }

  /** Hands a signal to the server, addressed to the other side's current connection. */
  signal(data) {
    if (this.closed) {
      return;
    }
    this.sendSignal({ ...data, peer: this.id, to: this.remotePeer });
  }

  /** Signals of ours that waited (for the call to go live, or for the socket) made compact:
   * a waiting description is replaced by the current one, which by now lists the candidates
   * gathered meanwhile, and those candidates are left out once gathering is complete. */
  compact(waiting) {
    const current = this.pc.localDescription;
    const mine = (data) => data.peer === this.id;
    const described = waiting.some((data) => mine(data) && current && data.type === current.type);
    if (!described) {
      return waiting;
    }
    const complete = this.pc.iceGatheringState === "complete";
    return waiting
      .filter((data) => !(mine(data) && data.type === "ice" && complete))
      .map((data) => (mine(data) && data.type === current.type
        ? { ...data, sdp: current.sdp, to: this.remotePeer } : data));
  }

  mayOffer() {
    return this.role === "caller" || this.answeredAnOffer;
  }

  async negotiate() {
    if (!this.mayOffer()) {
      return; // the caller makes the first offer
    }
    const pc = this.pc;
    try {
      this.makingOffer = true;
      await pc.setLocalDescription();
      if (pc === this.pc && pc.localDescription) {
        this.signal({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
      }
    } catch (error) {
      this.problem(error);
    } finally {
      this.makingOffer = false;
    }
  }

  /** Takes one signal from the other side (after the previous one is fully applied). */
  handleSignal(data) {
    if (!data || typeof data !== "object") {
      return Promise.resolve();
    }
    this.work = this.work.then(() => this.apply(data)).catch((error) => this.problem(error));
    return this.work;
  }

  async apply(data) {
    if (this.closed || !this.addressedToMe(data)) {
      return;
    }
    switch (data.type) {
      case "offer":
      case "answer":
        if (typeof data.sdp === "string") {
          await this.description({ type: data.type, sdp: data.sdp });
        }
        break;
      case "ice":
        await this.candidate(data.candidate);
        break;
      case "ice-restart":
        this.restartIce({ asked: true });
        break;
      case "renegotiate":
        this.catchUp();
        break;
      default:
        break;
    }
  }

  /** Which connection a signal is from and for: starts over when the other side did. */
  addressedToMe(data) {
    if (data.to && data.to !== this.id) {
      return false; // for a connection of ours that is gone
    }
    if (typeof data.peer !== "string" || !data.peer || data.peer === this.remotePeer) {
      return true;
    }
    if (this.remotePeer !== null) {
      // The other side has a new connection (it reloaded): ours cannot carry on with it.
      this.reset();
    }
    this.remotePeer = data.peer;
    if (data.type === "renegotiate" && this.role === "helper") {
      this.signal({ type: "renegotiate" }); // so the caller learns our new id
    }
    return true;
  }

  async description(description) {
    const pc = this.pc;
    const readyForOffer = !this.makingOffer
      && (pc.signalingState === "stable" || this.settingRemoteAnswer);
    const collision = description.type === "offer" && !readyForOffer;
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) {
      return; // the impolite caller keeps its own offer; the Helper will answer it
    }
    if (description.type === "answer" && pc.signalingState !== "have-local-offer") {
      return; // a late or repeated answer
    }
    this.settingRemoteAnswer = description.type === "answer";
    try {
      await pc.setRemoteDescription(description); // a polite collision rolls back implicitly
    } finally {
      this.settingRemoteAnswer = false;
    }
    if (description.type === "offer") {
      if (!this.transceivers.audio && !this.transceivers.video) {
        await this.takeOfferedTransceivers();
      }
      this.answeredAnOffer = true;
      await pc.setLocalDescription();
      if (pc === this.pc && pc.localDescription) {
        this.signal({ type: "answer", sdp: pc.localDescription.sdp });
      }
    }
    await this.flushCandidates();
    this.verify();
  }

  /** The Helper sends on the caller's transceivers (in the same answer, no renegotiation). */
  async takeOfferedTransceivers() {
    for (const transceiver of this.pc.getTransceivers()) {
      const kind = transceiver.receiver.track && transceiver.receiver.track.kind;
      if ((kind === "audio" || kind === "video") && !this.transceivers[kind]
          && !transceiver.stopped && transceiver.mid !== null) {
        this.transceivers[kind] = transceiver;
        transceiver.direction = "sendrecv";
        if (this.localStream && transceiver.sender.setStreams) {
          transceiver.sender.setStreams(this.localStream);
        }
        if (this.sending[kind]) {
          await transceiver.sender.replaceTrack(this.sending[kind]);
        }
      }
    }
  }

  async candidate(candidate) {
    if (!candidate || typeof candidate !== "object") {
      return;
    }
    if (!this.pc.remoteDescription) {
      if (this.pendingCandidates.length < MAX_PENDING_CANDIDATES) {
        this.pendingCandidates.push(candidate); // before the description it belongs to
      }
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      if (!this.ignoreOffer) {
        this.problem(error);
      }
    }
  }

  async flushCandidates() {
    const waiting = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of waiting) {
      await this.candidate(candidate);
    }
  }

  addRemoteTrack(track) {
    for (const old of this.remoteStream.getTracks()) {
      if (old.kind === track.kind && old !== track) {
        this.remoteStream.removeTrack(old);
      }
    }
    if (!this.remoteStream.getTracks().includes(track)) {
      this.remoteStream.addTrack(track);
    }
    this.dispatchEvent(new CustomEvent("remotestream", { detail: this.remoteStream }));
  }

  get healthy() {
    return this.pc.connectionState === "connected"
      || ["connected", "completed"].includes(this.pc.iceConnectionState);
  }

  stateChanged() {
    this.dispatchEvent(new CustomEvent("state", {
      detail: {
        connection: this.pc.connectionState,
        ice: this.pc.iceConnectionState,
        signaling: this.pc.signalingState,
      },
    }));
  }

  iceStateChanged() {
    const state = this.pc.iceConnectionState;
    window.clearTimeout(this.disconnectedTimer);
    if (state === "failed") {
      this.restartIce();
    } else if (state === "disconnected") {
      this.disconnectedTimer = window.setTimeout(() => {
        if (!this.closed && this.pc.iceConnectionState === "disconnected") {
          this.restartIce();
        }
      }, DISCONNECTED_GRACE_MS);
    } else if (state === "connected" || state === "completed") {
      window.clearTimeout(this.restartRequestTimer);
      this.verify();
    }
    this.stateChanged();
  }

  /** Restarts ICE: the caller does it; the Helper asks the caller, and does it itself if no
   * restart comes (perfect negotiation sorts out two offers crossing). */
  restartIce({ asked = false } = {}) {
    if (this.closed || !this.remotePeer) {
      return;
    }
    if (this.role === "caller" || asked) {
      if (this.mayOffer() && typeof this.pc.restartIce === "function") {
        this.pc.restartIce();
      }
      return;
    }
    this.signal({ type: "ice-restart" });
    window.clearTimeout(this.restartRequestTimer);
    this.restartRequestTimer = window.setTimeout(() => {
      if (!this.closed && !this.healthy && this.mayOffer()) {
        this.pc.restartIce();
      }
    }, RESTART_REQUEST_WAIT_MS);
  }

  /** After our signalling connection came back: signals either way may have been lost. */
  reconnected() {
    if (this.closed) {
      return;
    }
    if (this.remotePeer === null && this.role === "helper") {
      this.signal({ type: "renegotiate" }); // a new connection: the caller makes the offer
      return;
    }
    this.signal({ type: "renegotiate" });
    this.catchUp();
  }

  /** The other side may have missed our signals: offer again, or restart ICE if it is down. */
  catchUp() {
    const pc = this.pc;
    if (pc.signalingState === "have-local-offer" && pc.localDescription) {
      this.signal({ type: "offer", sdp: pc.localDescription.sdp });
    } else if (!this.healthy && pc.remoteDescription) {
      this.restartIce();
    }
  }

  /** A new RTCPeerConnection in place of the old one (the other side started over). */
  reset() {
    const old = this.pc;
    old.close();
    this.create();
    this.dispatchEvent(new CustomEvent("reset", { detail: this.pc }));
  }

  async verify() {
    const pc = this.pc;
    const local = pc.currentLocalDescription || pc.localDescription;
    const remote = pc.currentRemoteDescription || pc.remoteDescription;
    if (!local || !remote) {
      return;
    }
    const code = await verificationCode(local.sdp, remote.sdp);
    if (pc === this.pc && code !== this.verification) {
      this.verification = code;
      this.dispatchEvent(new CustomEvent("verification", { detail: code }));
    }
  }

  /** This side's camera and microphone, when they come after the connection (the Helper's
   * camera may still be starting when the caller's offer arrives): sent without renegotiation.
   * `screen`: a shared screen keeps going out instead of the camera. */
  async setLocalStream(stream, { screen = null } = {}) {
    this.localStream = stream;
    const audio = stream ? stream.getAudioTracks()[0] || null : null;
    const video = stream ? stream.getVideoTracks()[0] || null : null;
    for (const transceiver of [this.transceivers.audio, this.transceivers.video]) {
      if (transceiver && stream && transceiver.sender.setStreams) {
        transceiver.sender.setStreams(stream);
      }
    }
    await this.sendAudio(audio);
    await this.sendVideo(screen || video);
  }

  /** Sends `track` as the video (the camera, a screen, or null for nothing). */
  async sendVideo(track) {
    this.sending.video = track;
    if (this.transceivers.video) {
      await this.transceivers.video.sender.replaceTrack(track);
    }
  }

  async sendAudio(track) {
    this.sending.audio = track;
    if (this.transceivers.audio) {
      await this.transceivers.audio.sender.replaceTrack(track);
    }
  }

  /** How the media travels: `{relayed, local, remote, protocol}` from the selected candidate
   * pair, or null before there is one. */
  async route() {
    let stats;
    try {
      stats = await this.pc.getStats();
    } catch {
      return null;
    }
    let pair = null;
    stats.forEach((report) => {
      if (report.type === "transport" && report.selectedCandidatePairId) {
        pair = stats.get(report.selectedCandidatePairId);
      }
    });
    if (!pair) {
      stats.forEach((report) => {
        if (!pair && report.type === "candidate-pair" && report.state === "succeeded" && report.nominated) {
          pair = report;
        }
      });
    }
    if (!pair) {
      return null;
    }
    const local = stats.get(pair.localCandidateId) || {};
    const remote = stats.get(pair.remoteCandidateId) || {};
    return {
      relayed: local.candidateType === "relay" || remote.candidateType === "relay",
      local: local.candidateType || null,
      remote: remote.candidateType || null,
      protocol: local.protocol || null,
    };
  }

  problem(error) {
    this.dispatchEvent(new CustomEvent("problem", { detail: error }));
  }

  close() {
    this.closed = true;
    window.clearTimeout(this.disconnectedTimer);
    window.clearTimeout(this.restartRequestTimer);
    try {
      this.pc.close();
    } catch {
      // Already closed.
    }
  }
}
