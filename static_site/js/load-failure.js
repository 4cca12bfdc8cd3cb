/** What a page shows when the data it needs could not be loaded: why, and a way to retry. */

import { element } from "./dom.js";
import { leaveIfSignedOut } from "./paths.js";

export function loadFailure(error, retry) {
  const message = (error && error.message) || "Something went wrong. Please try again.";
  const button = element("button", { type: "button", class: "button button-secondary" },
    "Try again");
  button.addEventListener("click", () => {
    button.disabled = true;
    retry();
  });
  return element("div", { class: "notice notice-error load-failure", role: "alert" },
    element("p", {}, message), button);
}

/** An ops page whose queue could not be loaded: someone outside ops sees the page's own
 * `forbidden` notice, a signed-out person goes to sign in, anything else offers to retry. */
export function showQueueFailure(error, { forbidden, slot, retry }) {
  if (error && error.status === 403) {
    forbidden.hidden = false;
  } else if (!leaveIfSignedOut(error)) {
    slot.replaceChildren(loadFailure(error, retry));
  }
}
