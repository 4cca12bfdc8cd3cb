/** Rating a session (`/rate.html?call=<id>`), the page the rating reminder email links to: the
 * same prompt as at the end of the call (js/call/rating.js), for the caller of that session.
 * Signed-in people only: a visitor is sent to sign in and comes back here. A link without a
 * session, a session that is not this person's to rate, or one that cannot be rated (too short,
 * past the window) says so. */

import { api, isSignedIn } from "../api.js";
import { ratingPrompt } from "../call/rating.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { PAGES, leaveIfSignedOut, queryParam, signInUrl } from "../paths.js";

const CALL_ID = /^[A-Za-z0-9_-]{1,128}$/;

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountFooter();

const title = document.querySelector("[data-rate-title]");
const statusLine = document.querySelector("[data-rate-status]");
const failureSlot = document.querySelector("[data-rate-failure]");
const slot = document.querySelector("[data-rate-slot]");
const moreLink = document.querySelector("[data-rate-more]");

/** Why there is nothing to rate here, with the way to the person's sessions. */
function nothingToRate(message) {
  moreLink.hidden = true; // the notice has the way there
  slot.replaceChildren(element("div", { class: "notice rate-unavailable", "data-testid": "rate-unavailable" },
    element("p", {}, message),
    element("p", {}, "Your payments and reviews are on ",
      element("a", { href: `${PAGES.payments}#my-reviews` }, "the Payments page"), ".")));
}

async function load(callId) {
  failureSlot.replaceChildren();
  statusLine.textContent = "Loading your session…";
  let answer;
  try {
    answer = await api.reviewForCall(callId);
  } catch (error) {
    statusLine.textContent = "";
    if (leaveIfSignedOut(error)) {
      return;
    }
    if (error && error.status === 404) {
      nothingToRate("We couldn't find this session. Check that the link is the whole one from your email.");
    } else if (error && error.status === 403) {
      nothingToRate(error.message || "This session isn't yours to rate.");
    } else {
      failureSlot.replaceChildren(loadFailure(error, () => load(callId)));
    }
    return;
  }
  statusLine.textContent = "";
  const helper = answer.helper || {};
  const name = helper.display_name || helper.username || "the Helper";
  title.textContent = `Rate your session with ${name}`;
  document.title = `Rate your session with ${name} — interKanect`;
  slot.replaceChildren(ratingPrompt({ callId, helperName: name, helperUsername: helper.username || "", answer }));
}

mountHeader();
const callId = queryParam("call");
if (!isSignedIn()) {
  // on the way to sign in
} else if (!callId || !CALL_ID.test(callId)) {
  statusLine.textContent = "";
  nothingToRate("This link doesn't say which session to rate. Open it again from your email.");
} else {
  load(callId);
}
