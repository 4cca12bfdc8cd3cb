/** The note under the header, on every page, for a person whose email SES reported undeliverable
 * (`GET /me`'s `email_undeliverable`: it bounced for good or was marked as spam, so the site
 * stopped emailing it): "We can't reach <address>", and a button that has email sent to it again
 * (`POST /me/email/try-again`). */

import { api } from "./api.js";
import { element } from "./dom.js";

function note(user) {
  const retry = element("button", {
    type: "button", class: "button button-secondary", "data-testid": "email-try-again",
  }, "Email me again");
  const said = element("span", {},
    `We can't reach ${user.email}: email to it bounced or was marked as spam, so we stopped sending `
    + "(receipts, reminders, missed calls). Fixed it? ");
  const shown = element("p", {
    class: "notice notice-warning email-reach-note", role: "status", "data-testid": "email-unreachable",
  }, said, retry);
  retry.addEventListener("click", async () => {
    retry.disabled = true;
    try {
      await api.tryEmailAgain();
      shown.className = "notice notice-success email-reach-note";
      shown.replaceChildren(`We'll email ${user.email} again.`);
    } catch {
      retry.disabled = false;
      said.textContent = `We can't reach ${user.email}, and that could not be changed just now; try again. `;
    }
  });
  return element("div", { class: "container email-reach", "data-email-reach": "" }, shown);
}

/** Shows (or removes) the note in the header `root` for the signed-in `user` (null: none). */
export function showEmailReach(root, user) {
  root.querySelectorAll("[data-email-reach]").forEach((old) => old.remove());
  if (user && user.email_undeliverable) {
    root.append(note(user));
  }
}
