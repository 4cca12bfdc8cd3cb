/** Become a helper / My page: create and edit the Helper page. This module only wires the
 * sections, each of which fills and reads its own part (`my-page/`): the form's text, languages,
 * time zone, prices, weekly hours and links; the photo; the categories; the address and
 * username; the set-up checklist and where earnings go. */

import { api, isSignedIn } from "../api.js";
import { clearErrors, formReady, setBusy } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { helperPagePath, safeHref } from "../helper-card.js";
import { loadFailure } from "../load-failure.js";
import { leaveIfSignedOut, queryParam, signInUrl } from "../paths.js";
import { mountCallAlerts } from "../push.js";
import { showAddress, showFutureAddress, showUsernameLimit } from "./my-page/address.js";
import {
  joinRequestedCategory, loadCategories, renderCategoryChoices, showJoinPending,
} from "./my-page/categories.js";
import { showChecklist, showGettingPaid } from "./my-page/checklist.js";
import { editor, pageForm, siteAddress } from "./my-page/editor.js";
import {
  fillForm, readForm, requiredFilled, showFormAlert, showPageError,
} from "./my-page/page-form.js";
import { finishAvatarUpload, showAvatar } from "./my-page/photo.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountFooter();

const statusLine = document.querySelector("[data-editor-status]");
const failureSlot = document.querySelector("[data-editor-failure]");
const notice = document.querySelector("[data-editor-notice]");
const editorPanel = document.querySelector("[data-editor]");
const title = document.querySelector("[data-editor-title]");
const intro = document.querySelector("[data-editor-intro]");
const standingBanner = document.querySelector("[data-standing-banner]");
const form = pageForm();
const saveButton = form.querySelector("[data-save]");

function showNotice(message) {
  notice.textContent = message;
  notice.hidden = !message;
}

/** Ops disqualified the Helper: the banner says so, and why (their own words, as text). */
function showStanding(standing) {
  standingBanner.hidden = !standing;
  standingBanner.querySelector("[data-standing-reason]").textContent = standing ? standing.reason : "";
}

/** Shows a saved page everywhere on this screen. */
function showPage(saved) {
  editor.page = saved;
  showStanding(saved.standing);
  title.textContent = "My page";
  intro.textContent = "Keep your page up to date: what you offer, your prices and your hours.";
  saveButton.dataset.idleLabel = "Save changes";
  saveButton.textContent = "Save changes";
  document.title = "My page — interKanect";
  fillForm(saved);
  showAddress(saved.username, saved.page_url);
  showAvatar();
  renderCategoryChoices();
  showGettingPaid();
  showChecklist();
  mountCallAlerts(document.querySelector("[data-call-alerts]"));
}

function showNewPage() {
  title.textContent = "Create your page";
  intro.textContent = "Become a Helper: tell people what you can help with, set your prices "
    + "and hours, then choose the categories you want to be found in.";
  saveButton.dataset.idleLabel = "Create my page";
  saveButton.textContent = "Create my page";
  document.title = "Create your page — interKanect";
  fillForm(null);
  showFutureAddress(editor.user && editor.user.username);
  showAvatar();
  renderCategoryChoices();
  showJoinPending();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  showNotice("");
  if (!requiredFilled()) {
    showFormAlert("Your page was not saved. Check the highlighted field.");
    return;
  }
  const read = readForm();
  if (read.error) {
    showPageError(read.error);
    return;
  }
  const creating = !editor.page;
  setBusy(form, true);
  try {
    const saved = await api.saveMyPage(read.page);
    setBusy(form, false);
    showPage(saved);
    if (creating) {
      await joinRequestedCategory();
    }
    const address = siteAddress(safeHref(saved.page_url, helperPagePath(saved.username)));
    showNotice(creating ? `Your page is live at ${address}.` : "Your changes are saved.");
    notice.scrollIntoView({ block: "nearest" });
  } catch (error) {
    setBusy(form, false);
    showPageError(error);
  }
});
formReady(form);

async function load() {
  failureSlot.replaceChildren();
  statusLine.textContent = "Loading your page…";
  try {
    // `is_helper: false` means there is no page yet: skip asking (and a 404 in the console).
    const [found] = await Promise.all([
      editor.user && editor.user.is_helper === false ? Promise.resolve(null) : api.myPage(),
      loadCategories(),
    ]);
    statusLine.textContent = "";
    editorPanel.hidden = false;
    if (found) {
      showPage(found);
      await finishAvatarUpload();
    } else {
      showNewPage();
      if (queryParam("avatar")) {
        window.history.replaceState(null, "", window.location.pathname);
      }
    }
  } catch (error) {
    statusLine.textContent = "";
    if (leaveIfSignedOut(error)) {
      return;
    }
    failureSlot.replaceChildren(loadFailure(error, load));
  }
}

if (isSignedIn()) {
  editor.user = await mountHeader();
  if (!editor.user && !isSignedIn()) {
    window.location.replace(signInUrl()); // the session could not be renewed
  } else {
    showUsernameLimit();
    await load();
  }
}
