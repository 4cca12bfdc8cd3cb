/** What a page shows when the data it needs could not be loaded: why, and a way to retry. */

import { element } from "./dom.js";

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
