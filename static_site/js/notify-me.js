/** "Notify me when available" on a Helper's page, for a signed-in visitor: the Helper is away
 * (offline or in a call; js/live-status.js shows the box in Call now's place only then), so the
 * visitor asks for one email when the Helper is next online and free, and may stop waiting.
 * Loaded by js/pages/helper-page.js once the page is up; the markup is the server's
 * (`[data-notify-me]` in chalicelib/templates/helper_page.html), so nothing moves when it runs.
 *
 * `PUT /helpers/{username}/notify-me` answers 409 when the Helper is online right now (or it is
 * my own page): then the page asks for the live status again, which brings Call now back. */

import { api } from "./api.js";
import { leaveIfSignedOut } from "./paths.js";

export function mountNotifyMe(box, { username, helperName, startNow = false, refreshStatus = () => {} }) {
  const start = box.querySelector("[data-notify-start]");
  const waitingBox = box.querySelector("[data-notify-waiting]");
  const status = box.querySelector("[data-notify-status]");
  const stop = box.querySelector("[data-notify-stop]");
  const problem = box.querySelector("[data-notify-problem]");

  const show = (waiting) => {
    start.hidden = waiting;
    waitingBox.hidden = !waiting;
    status.textContent = waiting ? `We'll email you when ${helperName} is free.` : "";
    start.disabled = false;
    stop.disabled = false;
  };
  const fail = (error, fallback) => {
    if (leaveIfSignedOut(error)) {
      return;
    }
    problem.textContent = error && error.status === 409
      ? `${helperName} is online now: you can call them.`
      : (error && error.message) || fallback;
    problem.hidden = false;
    start.disabled = false;
    stop.disabled = false;
    if (error && error.status === 409) {
      refreshStatus();
    }
  };

  const begin = async () => {
    start.disabled = true;
    problem.hidden = true;
    try {
      const answer = await api.startNotifyMe(username);
      show(Boolean(answer && answer.waiting));
      if (answer && answer.waiting) {
        stop.focus();
      }
    } catch (error) {
      fail(error, "We could not save that. Try again in a moment.");
    }
  };
  start.addEventListener("click", begin);
  stop.addEventListener("click", async () => {
    stop.disabled = true;
    problem.hidden = true;
    try {
      const answer = await api.stopNotifyMe(username);
      show(Boolean(answer && answer.waiting));
      start.focus();
    } catch (error) {
      fail(error, "We could not stop the email. Try again in a moment.");
    }
  });

  const check = () => api.notifyMe(username).then((answer) => show(Boolean(answer && answer.waiting)), () => {});
  // The Helper was online meanwhile (Call now showed instead): whoever waited has been emailed,
  // so the wait is over; ask again each time the box comes back.
  new MutationObserver(() => {
    if (!box.hidden) {
      problem.hidden = true;
      check();
    }
  }).observe(box, { attributes: true, attributeFilter: ["hidden"] });
  if (startNow) {
    return begin(); // back from signing in to be notified
  }
  return check();
}
