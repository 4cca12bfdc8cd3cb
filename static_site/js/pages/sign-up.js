/** Sign-up page: creates the account, then asks for the emailed code on the confirm page. */

import { api } from "../api.js";
import {
  clearErrors,
  clearFieldErrorsOnInput,
  formReady,
  requireFields,
  setBusy,
  showError,
  valueOf,
  wirePasswordToggle,
} from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { PAGES, pageUrl, passedNext } from "../paths.js";

mountHeader();
mountFooter();

const form = document.querySelector("[data-sign-up-form]");
const signInLink = document.querySelector("[data-sign-in-link]");
if (signInLink && passedNext()) {
  signInLink.href = pageUrl(PAGES.signIn, { next: passedNext() });
}
const preview = document.querySelector("[data-username-preview]");
const origin = document.querySelector("[data-site-origin]");

if (origin) {
  origin.textContent = window.location.host;
}

clearFieldErrorsOnInput(form);
for (const toggle of form.querySelectorAll("[data-password-toggle]")) {
  wirePasswordToggle(toggle);
}

const usernameField = form.elements.namedItem("username");
const showPagePreview = () => {
  preview.textContent = usernameField.value.trim() || "your-name";
};
// Also on load: the browser may have restored or autofilled the field before this ran.
showPagePreview();
usernameField.addEventListener("input", showPagePreview);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const details = {
    display_name: valueOf(form, "display_name"),
    username: valueOf(form, "username"),
    email: valueOf(form, "email"),
    password: valueOf(form, "password", { trim: false }),
  };
  const complete = requireFields(form, {
    display_name: "Enter the name people will see.",
    username: "Choose a username for your page address.",
    email: "Enter your email address.",
    password: "Choose a password.",
  });
  if (!complete) {
    return;
  }
  setBusy(form, true);
  try {
    const account = await api.signUp(details);
    window.location.assign(pageUrl(PAGES.confirm, { email: account.email || details.email, next: passedNext() }));
  } catch (error) {
    setBusy(form, false);
    showError(form, error);
  }
});
formReady(form);
