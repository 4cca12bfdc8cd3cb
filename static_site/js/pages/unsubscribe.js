/** Unsubscribe (`/unsubscribe.html?token=`), the page a follower email's link opens: it says
 * whose emails the link stops (`GET /follows/unsubscribe`, which changes nothing, as mail
 * scanners open links), and one press stops them (`POST`, the same request mail clients make
 * for one-click unsubscribe). No sign-in: the token is the email's. */

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
const token = queryParam("token") || "";

const done = (answer) => {
  status.textContent = `Done: no more emails from ${answer.helper_name}.`;
  confirm.hidden = true;
  after.hidden = false;
  box.setAttribute("data-unsubscribed", "");
};

async function start() {
  if (!token) {
    status.textContent = "This link is not complete. Open it again from the email.";
    return;
  }
  try {
    const answer = await api.unsubscribePreview(token);
    if (answer.mode === "none" || answer.mode === null) {
      done(answer);
      return;
    }
    status.textContent = `Stop the emails from ${answer.helper_name}?`;
    confirm.hidden = false;
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        done(await api.unsubscribe(token));
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
