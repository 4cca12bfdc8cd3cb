/** The signed-in session's tokens, kept in localStorage under one key. */

const KEY = "interkanect.session";
const EXPIRY_MARGIN_MS = 30_000;
const CHANGED = "interkanect:session-changed";

/** Tells this tab's listeners that the tokens changed (other tabs hear the storage event). */
function announce() {
  window.dispatchEvent(new Event(CHANGED));
}

export class SessionStorageUnavailable extends Error {
  constructor() {
    super("Your browser is blocking site storage, so you cannot stay signed in. "
      + "Allow this site to store data and try again.");
    this.name = "SessionStorageUnavailable";
  }
}

export function loadSession() {
  try {
    const session = JSON.parse(window.localStorage.getItem(KEY) || "null");
    return session && typeof session.access_token === "string" ? session : null;
  } catch {
    return null;
  }
}

/** Stores tokens from sign-in or refresh; a refresh answer without a refresh token keeps the
 * one we already hold. */
export function saveSession(tokens, now = Date.now()) {
  const previous = loadSession();
  const session = {
    access_token: tokens.access_token,
    id_token: tokens.id_token,
    refresh_token: tokens.refresh_token || (previous && previous.refresh_token) || null,
    expires_at: now + Number(tokens.expires_in || 0) * 1000,
  };
  try {
    window.localStorage.setItem(KEY, JSON.stringify(session));
  } catch {
    throw new SessionStorageUnavailable();
  }
  announce();
  return session;
}

export function clearSession() {
  try {
    window.localStorage.removeItem(KEY);
  } catch {
    // Storage is unavailable, so there is nothing stored to clear.
  }
  announce();
}

/** True when the access token is expired or about to be (refresh before, not after, a 401). */
export function isExpiring(session, now = Date.now()) {
  return !Number.isFinite(session.expires_at) || now + EXPIRY_MARGIN_MS >= session.expires_at;
}

/** Calls `listener` when another tab signs in or out. */
export function onSessionChange(listener) {
  window.addEventListener("storage", (event) => {
    if (event.key === KEY || event.key === null) {
      listener(loadSession());
    }
  });
}

/** Calls `listener` whenever the tokens change, in this tab (sign-in, refresh, sign-out) or
 * in another one. */
export function onTokenChange(listener) {
  window.addEventListener(CHANGED, () => listener(loadSession()));
  onSessionChange(listener);
}

/** The signed-in person's user id (the access token's `sub`), or null. Read for display and
 * routing only: the server checks the token itself on every request. */
export function currentUserId(session = loadSession()) {
  if (!session) {
    return null;
  }
  try {
    const payload = session.access_token.split(".")[1];
    const text = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const sub = JSON.parse(text).sub;
    return typeof sub === "string" && sub ? sub : null;
  } catch {
    return null;
  }
}
