/** Unsubscribe (`/unsubscribe.html?token=`), the page an email's unsubscribe link opens. Two kinds
 * of email link here: a follower email (`GET /follows/unsubscribe` says whose emails it stops) and,
 * with `kind=notices`, a notice email (`GET /notifications/unsubscribe` says which category: missed
 * calls, bookings, ...). The GET changes nothing (mail scanners open links); one press stops them
 * (`POST`, the same request mail clients make for one-click unsubscribe). No sign-in: the token is
 * the email's. */

import { api } from "../api.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { queryParam } from "../paths.js";

mountHeader();
mountFooter();

const box = document.querySelector("[data-unsubscribe]");
const status = box.querySelector("[data-unsubscribe-status]");
const confirm = box.querySelector("[data-unsubscribe-confirm]");
const button = box.querySelector("[data-unsubscribe-button]");
const after = box.querySelector("[data-unsubscribe-after]");
const afterNotices = box.querySelector("[data-unsubscribe-after-notices]");
const token = queryParam("token") || "";
const notices = queryParam("kind") === "notices";

/** What each kind of link reads, asks, stops, and says when done. */
const flow = notices
  ? {
    preview: api.noticeUnsubscribePreview,
    stop: api.noticeUnsubscribe,
    stopped: (answer) => answer.email === false,
    question: (answer) => `Stop the emails about “${answer.label}”?`,
    done: (answer) => `Done: no more emails about “${answer.label}”.`,
    after: afterNotices,
  }
  : {
    preview: api.unsubscribePreview,
    stop: api.unsubscribe,
    stopped: (answer) => answer.mode === "none" || answer.mode === null,
    question: (answer) => `Stop the emails from ${answer.helper_name}?`,
    done: (answer) => `Done: no more emails from ${answer.helper_name}.`,
    after,
  };

const done = (answer) => {
  status.textContent = flow.done(answer);
  confirm.hidden = true;
  flow.after.hidden = false;
  box.setAttribute("data-unsubscribed", "");
};

async function start() {
  if (!token) {
    status.textContent = "This link is not complete. Open it again from the email.";
    return;
  }
  try {
    const answer = await flow.preview(token);
    if (flow.stopped(answer)) {
      done(answer);
      return;
    }
    status.textContent = flow.question(answer);
    confirm.hidden = false;
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        done(await flow.stop(token));
      } catch (error) {
        status.textContent = error.message;
        button.disabled = false;
      }
    });
  } catch (error) {
    status.textContent = error.message;
  }
}

start().finally(() => box.setAttribute("data-unsubscribe-ready", ""));
