/** My page: the page's address (copy, view) and the username in it, with how often it may
 * change; old addresses keep working. */

import { api } from "../../api.js";
import { clearErrors, formReady, requireFields, setBusy, showError, valueOf } from "../../forms.js";
import { helperPagePath, safeHref } from "../../helper-card.js";
import { editor, siteAddress } from "./editor.js";

const addressPanel = document.querySelector("[data-page-address]");
const pageUrlField = document.querySelector("[data-page-url]");
const viewPage = document.querySelector("[data-view-page]");
const copyButton = document.querySelector("[data-copy-url]");
const copyStatus = document.querySelector("[data-copy-status]");
const usernameForm = document.querySelector("[data-username-form]");
const usernameField = usernameForm.elements.namedItem("username");
const usernamePreview = usernameForm.querySelector("[data-username-preview]");
const usernameStatus = usernameForm.querySelector("[data-username-status]");
const usernameLimit = usernameForm.querySelector("[data-username-limit]");

export function showAddress(username, pageUrl) {
  const path = safeHref(pageUrl, helperPagePath(username));
  pageUrlField.value = siteAddress(path);
  viewPage.href = path;
  addressPanel.hidden = false;
  usernameField.value = username;
  usernamePreview.textContent = username;
}

/** Before there is a page: the username the address will have. */
export function showFutureAddress(username) {
  usernameField.value = username || "";
  usernamePreview.textContent = usernameField.value || "your-name";
}

copyButton.addEventListener("click", async () => {
  copyStatus.textContent = "";
  try {
    await navigator.clipboard.writeText(pageUrlField.value);
    copyStatus.textContent = "Link copied.";
  } catch {
    pageUrlField.select(); // clipboard blocked: leave it selected for Ctrl+C / ⌘C
    copyStatus.textContent = "Press Ctrl+C (⌘C on a Mac) to copy the selected link.";
  }
});

/** How often the username may change (`GET /me`'s `username_change`), and when next. */
export function showUsernameLimit() {
  const change = editor.user && editor.user.username_change;
  if (!change || !change.every_days) {
    usernameLimit.hidden = true;
    return;
  }
  const next = change.next_at ? new Date(change.next_at) : null;
  const waiting = next && next.getTime() > Date.now();
  usernameLimit.textContent = `You can change your username once every ${change.every_days} days`
    + (waiting ? `; your next change can be on ${next.toLocaleDateString(undefined, { dateStyle: "long" })}.` : ".");
  usernameLimit.hidden = false;
}
usernameForm.querySelector("[data-site-origin]").textContent = window.location.host;

usernameField.addEventListener("input", () => {
  usernamePreview.textContent = usernameField.value.trim() || "your-name";
  usernameField.removeAttribute("aria-invalid");
  usernameForm.querySelector('[data-error-for="username"]').textContent = "";
});

usernameForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const { page, user } = editor;
  clearErrors(usernameForm);
  usernameStatus.textContent = "";
  if (!requireFields(usernameForm, { username: "Choose a username for your page address." })) {
    return;
  }
  const username = valueOf(usernameForm, "username");
  const current = (page && page.username) || (user && user.username);
  if (username === current) {
    usernameStatus.textContent = "That is already your username.";
    return;
  }
  setBusy(usernameForm, true);
  try {
    const changed = await api.changeUsername({ username });
    if (user) {
      user.username = changed.username;
      if (user.username_change) {
        user.username_change.next_at = new Date(Date.now() + user.username_change.every_days * 86400000).toISOString();
        showUsernameLimit();
      }
    }
    if (page) {
      page.username = changed.username;
      page.page_url = changed.page_url;
      showAddress(changed.username, changed.page_url);
    } else {
      showFutureAddress(changed.username);
    }
    usernameStatus.textContent = `Your page address is now ${siteAddress(
      safeHref(changed.page_url, helperPagePath(changed.username)))}. Old links take people there.`;
  } catch (error) {
    showError(usernameForm, error);
  } finally {
    setBusy(usernameForm, false);
  }
});
formReady(usernameForm);
