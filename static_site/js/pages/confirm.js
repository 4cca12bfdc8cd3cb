/** Confirm page: the 6-digit code from the sign-up email, and a way to get a new one. */

import { api, siteConfig } from "../api.js";
import {
  clearErrors,
  clearFieldErrorsOnInput,
  formReady,
  requireFields,
  setBusy,
  showError,
  showFieldError,
  valueOf,
} from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { PAGES, pageUrl, passedNext, queryParam } from "../paths.js";

mountHeader();
mountFooter();

const form = document.querySelector("[data-confirm-form]");
const resend = document.querySelector("[data-resend-code]");
const resendStatus = document.querySelector("[data-resend-status]");
const email = queryParam("email") || "";

if (siteConfig().local) {
  document.querySelector("[data-local-notice]").hidden = false;
}

if (email) {
  form.elements.namedItem("email").value = email;
  document.querySelector("[data-sent-to]").textContent = email;
  document.querySelector("[data-intro-with-email]").hidden = false;
  document.querySelector("[data-intro-without-email]").hidden = true;
}

clearFieldErrorsOnInput(form);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  resendStatus.textContent = "";
  if (!requireFields(form, {
    email: "Enter the email address you signed up with.",
    code: "Enter the 6-digit code from the email.",
  })) {
    return;
  }
  const address = valueOf(form, "email");
  const code = valueOf(form, "code").replace(/\s+/g, "");
  if (!/^\d{6}$/.test(code)) {
    showFieldError(form, "code", "The code is 6 digits, like 123456.");
    return;
  }
  setBusy(form, true);
  try {
    await api.confirmSignUp({ email: address, code });
    window.location.assign(pageUrl(PAGES.signIn, { confirmed: 1, email: address, next: passedNext() }));
  } catch (error) {
    setBusy(form, false);
    showError(form, error);
  }
});
formReady(form);

resend.addEventListener("click", async () => {
  clearErrors(form);
  resendStatus.textContent = "";
  if (!requireFields(form, { email: "Enter the email address you signed up with." })) {
    return;
  }
  const address = valueOf(form, "email");
  resend.disabled = true;
  try {
    await api.resendCode({ email: address });
    resendStatus.textContent = `We sent a new code to ${address}.`;
  } catch (error) {
    showError(form, error);
  } finally {
    resend.disabled = false;
  }
});
