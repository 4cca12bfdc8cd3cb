/** The ICE servers for a call's RTCPeerConnection (`GET /calls/ice-servers`), kept in this tab for
 * as long as they are valid (`ttl`, minus a margin), so the pop-up can fetch them while a call
 * rings and the room starts without waiting for them. TURN credentials in them are short-lived
 * by design; they are never kept past their time. */

import { api } from "../api.js";

const KEY = "interkanect.ice";
const MARGIN_MS = 5 * 60_000;

function cached(now = Date.now()) {
  try {
    const kept = JSON.parse(window.sessionStorage.getItem(KEY) || "null");
    return kept && Array.isArray(kept.servers) && kept.until > now ? kept.servers : null;
  } catch {
    return null;
  }
}

let inFlight = null;

/** Resolves to the ICE servers (an empty list when they cannot be had: host candidates only). */
export function iceServers() {
  const servers = cached();
  if (servers) {
    return Promise.resolve(servers);
  }
  if (!inFlight) {
    inFlight = api.iceServers()
      .then((answer) => {
        const list = answer && Array.isArray(answer.ice_servers) ? answer.ice_servers : [];
        const ttl = Number(answer && answer.ttl) * 1000;
        if (Number.isFinite(ttl) && ttl > MARGIN_MS) {
          try {
            window.sessionStorage.setItem(KEY, JSON.stringify({ servers: list, until: Date.now() + ttl - MARGIN_MS }));
          } catch {
            // Storage blocked: fetched again next time.
          }
        }
        return list;
      })
      .catch(() => [])
      .finally(() => {
        inFlight = null;
      });
  }
  return inFlight;
}
