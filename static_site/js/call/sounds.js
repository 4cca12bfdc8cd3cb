/** The call sounds, made with WebAudio oscillators (no audio files): the chirp a Helper hears
 * when a call rings, and the softer ring-back a caller hears while waiting for an answer.
 *
 * Browsers only let a page make sound after the person has interacted with it, so the audio
 * context is created (or resumed) on the first click or key press and reused after that. */

let context = null;
let unlockListening = false;

function audioContext() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) {
    return null;
  }
  if (!context) {
    try {
      context = new Context();
    } catch {
      return null;
    }
  }
  if (context.state === "suspended") {
    context.resume().catch(() => {});
  }
  return context;
}

/** Lets later sounds play: call once; the first gesture on the page unlocks the audio. */
export function unlockAudioOnGesture() {
  if (unlockListening) {
    return;
  }
  unlockListening = true;
  const unlock = () => {
    audioContext();
    window.removeEventListener("pointerdown", unlock, true);
    window.removeEventListener("keydown", unlock, true);
  };
  window.addEventListener("pointerdown", unlock, true);
  window.addEventListener("keydown", unlock, true);
}

/** One tone: a sine sweeping from `from` to `to` Hz, with a soft attack and release. */
function tone(audio, { at, from, to, length, volume }) {
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  oscillator.type = "sine";
  oscillator.frequency.setValueAtTime(from, at);
  oscillator.frequency.exponentialRampToValueAtTime(to, at + length);
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(volume, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start(at);
  oscillator.stop(at + length + 0.02);
}

/** The incoming-call chirp: two quick rising notes, then a third. */
export function chirp() {
  const audio = audioContext();
  if (!audio || audio.state !== "running") {
    return false;
  }
  const now = audio.currentTime + 0.01;
  tone(audio, { at: now, from: 880, to: 1320, length: 0.12, volume: 0.18 });
  tone(audio, { at: now + 0.16, from: 880, to: 1320, length: 0.12, volume: 0.18 });
  tone(audio, { at: now + 0.36, from: 1046, to: 1568, length: 0.18, volume: 0.16 });
  return true;
}

/** The caller's ring-back: a low double purr. */
function ringBack() {
  const audio = audioContext();
  if (!audio || audio.state !== "running") {
    return false;
  }
  const now = audio.currentTime + 0.01;
  tone(audio, { at: now, from: 440, to: 480, length: 0.4, volume: 0.05 });
  tone(audio, { at: now + 0.5, from: 440, to: 480, length: 0.4, volume: 0.05 });
  return true;
}

function repeat(sound, everyMs) {
  sound();
  const timer = window.setInterval(sound, everyMs);
  return () => window.clearInterval(timer);
}

/** Chirps every 2.5 s until the returned function is called. */
export function startRinging() {
  return repeat(chirp, 2_500);
}

/** Purrs every 4 s until the returned function is called. */
export function startRingBack() {
  return repeat(ringBack, 4_000);
}
