/** Follow on a Helper's page (`[data-follow]` in chalicelib/templates/helper_page.html, whose
 * follower count the server renders): a visitor is asked to sign in first (and comes back to the
 * choice, `#follow`); a signed-in one follows and chooses how they hear of new posts and events
 * (each one, a weekly digest, or nothing), changes it, or unfollows; the count follows their
 * changes. Hidden on one's own page, where the count stays. Loaded as its own module by the
 * page, so the page script stays as it is.
 *
 * API: `GET|PUT|DELETE /helpers/{username}/follow` → `{following, mode, followers, own_page}`. */

import { api, isSignedIn } from "./api.js";
import { leaveIfSignedOut, signInUrl } from "./paths.js";
import { currentUserId } from "./session.js";

const MODE_TEXT = {
  each: "You follow them: an email for each new post and event.",
  digest: "You follow them: a weekly digest by email.",
  none: "You follow them, with no emails.",
};

export function countText(followers) {
  const number = Number.isInteger(followers) && followers > 0 ? followers : 0;
  if (number === 0) {
    return "No followers yet";
  }
  return `${number.toLocaleString("en-US")} follower${number === 1 ? "" : "s"}`;
}

export function mountFollow(box) {
  const username = box.getAttribute("data-follow-helper");
  const button = box.querySelector("[data-follow-button]");
  const count = box.querySelector("[data-follow-count]");
  const choice = box.querySelector("[data-follow-choice]");
  const save = box.querySelector("[data-follow-save]");
  const unfollow = box.querySelector("[data-follow-unfollow]");
  const status = box.querySelector("[data-follow-status]");
  const page = document.querySelector("[data-helper-page]");

  const modeInput = (mode) => choice.querySelector(`input[name="mode"][value="${mode}"]`);
  const open = (shown) => {
    choice.hidden = !shown;
    button.setAttribute("aria-expanded", String(shown));
  };
  const show = (answer) => {
    count.textContent = countText(answer.followers);
    if (answer.own_page) {
      button.hidden = true;
      choice.hidden = true;
      return;
    }
    button.textContent = answer.following ? "Following" : "Follow";
    button.classList.toggle("is-following", Boolean(answer.following));
    unfollow.hidden = !answer.following;
    save.textContent = answer.following ? "Save" : "Follow";
    if (answer.following && modeInput(answer.mode)) {
      modeInput(answer.mode).checked = true;
    }
    status.textContent = answer.following ? MODE_TEXT[answer.mode] || "" : "";
  };
  const fail = (error) => {
    if (leaveIfSignedOut(error)) {
      return;
    }
    status.textContent = (error && error.message) || "We could not save that. Try again in a moment.";
    save.disabled = false;
    unfollow.disabled = false;
  };

  if (!isSignedIn()) {
    button.textContent = "Follow";
    button.addEventListener("click", () => {
      window.location.assign(signInUrl(`${window.location.pathname}#follow`));
    });
    box.setAttribute("data-follow-ready", "");
    return Promise.resolve();
  }
  if (page && currentUserId() === page.getAttribute("data-user-id")) {
    button.hidden = true; // one's own page: the count only
  }

  button.addEventListener("click", () => open(choice.hidden));
  choice.addEventListener("submit", async (event) => {
    event.preventDefault();
    const picked = choice.querySelector('input[name="mode"]:checked');
    save.disabled = true;
    status.textContent = "Saving…";
    try {
      show(await api.follow(username, picked ? picked.value : "each"));
      open(false);
      button.focus();
    } catch (error) {
      fail(error);
    }
    save.disabled = false;
  });
  unfollow.addEventListener("click", async () => {
    unfollow.disabled = true;
    status.textContent = "Saving…";
    try {
      show(await api.unfollow(username));
      open(false);
      status.textContent = "You no longer follow them.";
      button.focus();
    } catch (error) {
      fail(error);
    }
    unfollow.disabled = false;
  });

  const openNow = window.location.hash === "#follow";
  if (openNow) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  return api.followState(username).then((answer) => {
    show(answer);
    if (openNow && !answer.own_page) {
      open(true);
      (modeInput(answer.mode || "each") || save).focus();
    }
    box.setAttribute("data-follow-ready", "");
  }, (error) => {
    if (!leaveIfSignedOut(error)) {
      box.setAttribute("data-follow-ready", "");
    }
  });
}

const found = document.querySelector("[data-follow]");
if (found) {
  mountFollow(found);
}
