/** This side's camera, microphone and screen. */

const CAMERA = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
const MICROPHONE = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

function explain(error, what) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return `Your browser is not letting this page use your ${what}. Allow it in the address bar `
      + "(the camera icon), then reload. You can still see and hear the other person.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return `We could not find a ${what} on this device. You can still see and hear the other person.`;
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return `Your ${what} is busy: another app may be using it. Close it and reload to try again.`;
  }
  return `We could not start your ${what}. You can still see and hear the other person.`;
}

/** Camera and microphone, or what of them this device allows: `{stream, problem}`, where
 * `stream` may be null and `problem` says in plain words what is missing. */
export async function getLocalMedia() {
  const devices = navigator.mediaDevices;
  if (!devices || !devices.getUserMedia) {
    return {
      stream: null,
      problem: "This browser cannot use a camera or microphone here. You can still see and hear "
        + "the other person.",
    };
  }
  try {
    return { stream: await devices.getUserMedia({ audio: MICROPHONE, video: CAMERA }), problem: null };
  } catch (both) {
    if (both && (both.name === "NotAllowedError" || both.name === "SecurityError")) {
      return { stream: null, problem: explain(both, "camera and microphone") };
    }
    try {
      const stream = await devices.getUserMedia({ audio: MICROPHONE });
      return { stream, problem: explain(both, "camera") };
    } catch {
      try {
        const stream = await devices.getUserMedia({ video: CAMERA });
        return { stream, problem: explain(both, "microphone") };
      } catch (none) {
        return { stream: null, problem: explain(none, "camera and microphone") };
      }
    }
  }
}

export function canShareScreen() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
}

/** A screen, window or tab chosen by the person; null if they cancelled. */
export async function getScreen() {
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({
      video: { frameRate: { ideal: 15, max: 30 } },
      audio: false,
      selfBrowserSurface: "exclude",
      surfaceSwitching: "include",
    });
    const track = stream.getVideoTracks()[0] || null;
    if (track && "contentHint" in track) {
      track.contentHint = "detail"; // text stays sharp; the frame rate gives way first
    }
    return track;
  } catch (error) {
    if (error && error.name === "NotAllowedError") {
      return null; // cancelled in the picker
    }
    throw error;
  }
}

/** This side's tracks and what the person turned off: the state behind the mic, camera and
 * screen controls, with no DOM. While the call waits for payment (`paused`) nothing is sent. */
export class LocalMedia {
  constructor() {
    this.stream = null;
    this.mic = null;
    this.camera = null;
    this.screen = null;
    this.micOff = false;
    this.cameraOff = false;
    this.paused = false;
    this.settled = false; // the camera and microphone were asked for and answered
  }

  take(stream) {
    this.stream = stream;
    this.mic = stream ? stream.getAudioTracks()[0] || null : null;
    this.camera = stream ? stream.getVideoTracks()[0] || null : null;
    this.settled = true;
  }

  /** Turns the tracks on and off to match the controls and the pause. */
  applyTrackStates() {
    if (this.mic) {
      this.mic.enabled = !this.micOff && !this.paused;
    }
    if (this.camera) {
      this.camera.enabled = !this.cameraOff && !this.paused;
    }
    if (this.screen) {
      this.screen.enabled = !this.paused;
    }
  }

  /** What the other side is told (`media` signal). */
  state() {
    return {
      audio: Boolean(this.mic) && !this.micOff,
      video: Boolean(this.screen) || (Boolean(this.camera) && !this.cameraOff),
      screen: Boolean(this.screen),
    };
  }

  stop() {
    for (const track of [this.mic, this.camera, this.screen]) {
      if (track) {
        track.stop();
      }
    }
  }
}
