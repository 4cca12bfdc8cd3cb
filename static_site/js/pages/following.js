/** Following (`/following.html`): the Helpers the signed-in person follows (`GET /me/following`,
 * 100 a page), each with how they hear of new posts and events (changed at once with
 * `PUT /helpers/{username}/follow`) and Unfollow (`DELETE`). */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const MODES = [["each", "Each new post and event"], ["digest", "A weekly digest"], ["none", "No emails"]];
const status = document.querySelector("[data-following-status]");
const failure = document.querySelector("[data-following-failure]");
const empty = document.querySelector("[data-following-empty]");
const list = document.querySelector("[data-following-list]");
const more = document.querySelector("[data-following-more]");
let cursor = null;

function item(followed) {
  const note = element("p", { class: "following-note", role: "status" });
  const selectId = `mode-${followed.username}`;
  const select = element("select", { id: selectId, "data-following-mode": followed.username },
    ...MODES.map(([value, label]) => element("option", { value }, label)));
  select.value = followed.mode;
  const unfollow = element("button", { type: "button", class: "button button-secondary button-small" },
    "Unfollow");
  const row = element("li", { class: "following-item", "data-following-item": followed.username },
    element("div", {},
      element("h2", {}, element("a", { href: followed.url }, followed.display_name)),
      element("p", {}, followed.headline || `@${followed.username}`)),
    element("div", { class: "following-controls" },
      element("label", { for: selectId }, "Email me"), select, unfollow),
    note);
  select.addEventListener("change", async () => {
    select.disabled = true;
    note.textContent = "Saving…";
    try {
      const answer = await api.follow(followed.username, select.value);
      select.value = answer.mode;
      note.textContent = "Saved.";
    } catch (error) {
      if (!leaveIfSignedOut(error)) {
        note.textContent = error.message;
      }
    }
    select.disabled = false;
  });
  unfollow.addEventListener("click", async () => {
    unfollow.disabled = true;
    try {
      await api.unfollow(followed.username);
      row.remove();
      empty.hidden = list.children.length > 0;
    } catch (error) {
      unfollow.disabled = false;
      if (!leaveIfSignedOut(error)) {
        note.textContent = error.message;
      }
    }
  });
  return row;
}

async function load({ next = false } = {}) {
  failure.replaceChildren();
  more.disabled = true;
  try {
    const page = await api.myFollowing(next ? cursor : null);
    cursor = page.cursor;
    list.append(...page.following.map(item));
    status.textContent = "";
    status.hidden = true;
    empty.hidden = list.children.length > 0;
    more.hidden = !cursor;
  } catch (error) {
    if (leaveIfSignedOut(error)) {
      return;
    }
    status.textContent = "";
    failure.replaceChildren(loadFailure(error, () => load({ next })));
  }
  more.disabled = false;
  list.setAttribute("data-following-ready", "");
}

more.addEventListener("click", () => load({ next: true }));
load();
