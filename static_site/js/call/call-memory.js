/** What a tab remembers about a call across a page change or a reload (sessionStorage: this
 * tab only, gone with it): who the other person is, since the call view names nobody. */

const PREFIX = "interkanect.call.";

export function rememberCall(callId, facts) {
  try {
    const previous = recallCall(callId) || {};
    window.sessionStorage.setItem(PREFIX + callId, JSON.stringify({ ...previous, ...facts }));
  } catch {
    // Storage blocked: the room then says "the other person".
  }
}

export function recallCall(callId) {
  try {
    const value = JSON.parse(window.sessionStorage.getItem(PREFIX + callId) || "null");
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}
