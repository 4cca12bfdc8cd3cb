/** Sign-in page: stores the session and returns to where the person was (this site only). */

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
import { PAGES, pageUrl, passedNext, queryParam, safeNext } from "../paths.js";

mountHeader();
mountFooter();

const form = document.querySelector("[data-sign-in-form]");
const next = safeNext(queryParam("next"));
const email = queryParam("email");
const signUpLink = document.querySelector("[data-sign-up-link]");
if (signUpLink && passedNext()) {
  signUpLink.href = pageUrl(PAGES.signUp, { next: passedNext() }); // a new account comes back too
}

if (queryParam("confirmed") === "1") {
  document.querySelector("[data-confirmed-notice]").hidden = false;
}
if (email) {
  form.elements.namedItem("email").value = email;
  form.elements.namedItem("password").focus();
}

clearFieldErrorsOnInput(form);
for (const toggle of form.querySelectorAll("[data-password-toggle]")) {
  wirePasswordToggle(toggle);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  if (!requireFields(form, {
    email: "Enter your email address.",
    password: "Enter your password.",
  })) {
    return;
  }
  const address = valueOf(form, "email");
  setBusy(form, true);
  try {
    await api.signIn({ email: address, password: valueOf(form, "password", { trim: false }) });
    window.location.assign(next);
  } catch (error) {
    setBusy(form, false);
    const unconfirmed = error && error.code === "account_not_confirmed";
    showError(form, error, unconfirmed
      ? { href: pageUrl(PAGES.confirm, { email: address, next: passedNext() }), label: "Enter your code" }
      : null);
  }
});
formReady(form);
