/** Countdowns to the server's deadlines (seconds since the epoch), on the server's clock as the
 * socket's pongs estimate it, so a device whose clock is off still shows the right time left. */

import { realtime } from "../realtime.js";

/** 299 → "4:59", 3725 → "1:02:05"; never negative. */
export function formatDuration(totalSeconds) {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** 299 → "4 minutes 59 seconds", for screen readers. */
export function spokenDuration(totalSeconds) {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  const parts = [];
  if (minutes) {
    parts.push(`${minutes} minute${minutes === 1 ? "" : "s"}`);
  }
  if (rest || !minutes) {
    parts.push(`${rest} second${rest === 1 ? "" : "s"}`);
  }
  return parts.join(" ");
}

/** Seconds left until `deadline` (seconds since the epoch) on the server's clock. */
export function secondsUntil(deadline) {
  return Math.max(0, deadline - realtime().serverNow() / 1000);
}

/** Calls `onTick(secondsLeft)` now and every time the whole second changes, until the
 * deadline passes (a last call with 0) or the returned function is called. */
export function countdown(deadline, onTick) {
  let timer = 0;
  let last = null;
  let stopped = false;
  const tick = () => {
    if (stopped) {
      return;
    }
    const left = secondsUntil(deadline);
    const whole = Math.ceil(left);
    if (whole !== last) {
      last = whole;
      onTick(whole);
    }
    if (left > 0) {
      timer = window.setTimeout(tick, Math.min(1000, (left % 1) * 1000 + 20));
    }
  };
  tick();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
