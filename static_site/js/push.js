/** Call alerts: a Helper turns on Web Push in this browser, so a ring reaches them when no tab
 * of the site is open (the service worker, /sw.js, shows it; tapping it opens the call room).
 *
 * The browser's permission is asked only when the person clicks the button, never on load. On
 * load the panel only reads whether this browser already has alerts on (no prompt). */

import { api } from "./api.js";

const ON_LABEL = "Turn off call alerts in this browser";
const OFF_LABEL = "Get call alerts when this tab is closed";

/** The VAPID public key (base64url) as the bytes `applicationServerKey` takes. */
function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

async function registration() {
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  return navigator.serviceWorker.ready;
}

async function currentSubscription() {
  const found = await navigator.serviceWorker.getRegistration("/");
  return found ? found.pushManager.getSubscription() : null;
}

async function turnOn() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    throw new Error(permission === "denied"
      ? "Notifications are blocked for this site: allow them in your browser's site settings, then try again."
      : "Call alerts need your permission to show notifications.");
  }
  const [ready, key] = await Promise.all([registration(), api.pushKey()]);
  const subscription = await ready.pushManager.getSubscription()
    || await ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key.public_key) });
  await api.subscribePush(subscription.toJSON());
}

async function turnOff() {
  const subscription = await currentSubscription();
  if (subscription) {
    await api.unsubscribePush(subscription.endpoint);
    await subscription.unsubscribe();
  }
}

/** A sentence for the person: ours and the API's as they are, the browser's own (a push
 * service it cannot reach, a subscription it refused) said plainly. */
function explain(error) {
  if (error instanceof DOMException) {
    return "This browser could not turn on call alerts (it may not allow them, or cannot reach its push "
      + "service); keep a tab open to hear calls.";
  }
  return error && error.message ? error.message : "That did not work; try again.";
}

/** Signing out: this browser stops getting the person's call alerts (a shared computer must
 * not show the next person who signs in who is calling the last one). Best effort, never throws:
 * signing out goes on whatever happens here. */
export async function forgetCallAlerts() {
  try {
    if (pushSupported()) {
      await turnOff();
    }
  } catch {
    // the server forgets it when its push service next answers 404/410
  }
}

const CALL_WORDS = {
  on: ON_LABEL, off: OFF_LABEL, isOn: "Call alerts are on in this browser.",
  isOff: "Call alerts are off in this browser.", turningOn: "Turning call alerts on…",
  turningOff: "Turning call alerts off…",
  unsupported: "This browser cannot show call alerts when the tab is closed; keep a tab open to hear calls.",
};

/** Fills the panel `[data-call-alerts]`: its button `[data-call-alerts-toggle]` and status
 * `[data-call-alerts-status]`. `words` names them otherwise (the notification settings speak of
 * alerts of every kind: the one subscription of this browser carries them all). */
export async function mountCallAlerts(panel, words = {}) {
  const say = { ...CALL_WORDS, ...words };
  const button = panel.querySelector("[data-call-alerts-toggle]");
  const status = panel.querySelector("[data-call-alerts-status]");
  panel.hidden = false;
  if (!pushSupported()) {
    button.hidden = true;
    status.textContent = say.unsupported;
    return;
  }
  let on = false;
  const show = (isOn, message = "") => {
    on = isOn;
    button.textContent = on ? say.on : say.off;
    button.setAttribute("aria-pressed", String(on));
    status.textContent = message || (on ? say.isOn : "");
  };
  try {
    show(Boolean(await currentSubscription()) && Notification.permission === "granted");
  } catch (error) {
    show(false);
  }
  if (button.dataset.mounted) {
    return;
  }
  button.dataset.mounted = "1";
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = on ? say.turningOff : say.turningOn;
    try {
      if (on) {
        await turnOff();
        show(false, say.isOff);
      } else {
        await turnOn();
        show(true);
      }
    } catch (error) {
      show(on, explain(error));
    } finally {
      button.disabled = false;
    }
  });
}
