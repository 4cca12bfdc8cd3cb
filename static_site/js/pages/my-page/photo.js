/** My page: the photo, posted straight to storage (S3) and checked by the server on the way back. */

import { api } from "../../api.js";
import { element } from "../../dom.js";
import { avatar } from "../../helper-card.js";
import { queryParam } from "../../paths.js";
import { showChecklist } from "./checklist.js";
import { editor } from "./editor.js";

const avatarPreview = document.querySelector("[data-avatar-preview]");
const avatarLocked = document.querySelector("[data-avatar-locked]");
const avatarControls = document.querySelector("[data-avatar-controls]");
const avatarStatus = document.querySelector("[data-avatar-status]");
const avatarFile = document.querySelector("#avatar-file");
const AVATAR_TYPES = ["image/jpeg", "image/png", "image/webp"];

export function showAvatar() {
  const { page, user } = editor;
  const name = (page && page.display_name) || (user && user.display_name) || "";
  avatarPreview.replaceChildren(avatar(name, page && page.avatar_url, { size: "large" }));
  avatarLocked.hidden = Boolean(page);
  avatarControls.hidden = !page;
}

function setAvatarStatus(message, isError = false) {
  avatarStatus.textContent = message;
  avatarStatus.classList.toggle("is-error", isError);
}

/** Posts the file straight to S3 as a real form (S3 redirects back here with `?avatar=`). */
function submitToStorage({ url, fields }, file) {
  const upload = element("form", { method: "post", enctype: "multipart/form-data", action: url,
    class: "visually-hidden", "aria-hidden": "true" });
  for (const [name, value] of Object.entries(fields || {})) {
    upload.append(element("input", { type: "hidden", name, value: String(value) }));
  }
  const fileInput = element("input", { type: "file", name: "file" });
  try {
    const transfer = new DataTransfer();
    transfer.items.add(file);
    fileInput.files = transfer.files;
    upload.append(fileInput); // the file goes last: S3 ignores fields after it
  } catch {
    avatarFile.name = "file"; // no DataTransfer: send the chosen input itself
    upload.append(avatarFile);
  }
  document.body.append(upload);
  upload.submit();
}

document.addEventListener("securitypolicyviolation", (event) => {
  if (event.violatedDirective === "form-action") {
    setAvatarStatus("Your browser blocked the upload. Please tell us about it; your page is "
      + "unchanged.", true);
  }
});

avatarFile.addEventListener("change", async () => {
  const file = avatarFile.files && avatarFile.files[0];
  if (!file) {
    return;
  }
  if (editor.dirty) {
    setAvatarStatus("Save your changes first: uploading a photo leaves this page for a moment.",
      true);
    avatarFile.value = "";
    return;
  }
  if (!AVATAR_TYPES.includes(file.type)) {
    setAvatarStatus("Choose a JPEG, PNG or WebP image.", true);
    avatarFile.value = "";
    return;
  }
  setAvatarStatus("Uploading your photo…");
  try {
    const target = await api.avatarUpload({ content_type: file.type });
    if (target.max_bytes && file.size > target.max_bytes) {
      const megabytes = Math.floor(target.max_bytes / (1024 * 1024));
      setAvatarStatus(`That photo is too large: the limit is ${megabytes} MB.`, true);
      avatarFile.value = "";
      return;
    }
    submitToStorage(target, file);
  } catch (error) {
    setAvatarStatus(error.message, true);
    avatarFile.value = "";
  }
});

/** Back from S3: the uploaded photo's key is in the address; check it and set it. */
export async function finishAvatarUpload() {
  const key = queryParam("avatar") || queryParam("key");
  if (!key) {
    return;
  }
  window.history.replaceState(null, "", window.location.pathname);
  if (!editor.page) {
    return;
  }
  setAvatarStatus("Checking your new photo…");
  try {
    editor.page = await api.setAvatar({ key });
    showAvatar();
    showChecklist();
    setAvatarStatus("Your new photo is on your page.");
  } catch (error) {
    setAvatarStatus(error.message, true);
  }
}
