/** My Store: the product's pictures (in order, the first the cover; moved and removed) and the
 * files a digital product delivers (name, type, size; removed), drawn for the editor, with the
 * state of an upload. The wiring (my-store.js) says what each button does. */

import { element } from "../../dom.js";
import { safeHref } from "../../helper-card.js";
import { MAX_FILES, MAX_PICTURES, formatBytes } from "./catalogue.js";

const pictureList = document.querySelector("[data-picture-list]");
const picturesLocked = document.querySelector("[data-pictures-locked]");
const pictureControls = document.querySelector("[data-picture-controls]");
const pictureHint = document.querySelector("[data-picture-hint]");
const pictureStatus = document.querySelector("[data-picture-status]");
const fileList = document.querySelector("[data-file-list]");
const filesLocked = document.querySelector("[data-files-locked]");
const filesEmpty = document.querySelector("[data-files-empty]");
const fileControls = document.querySelector("[data-file-controls]");
const fileStatus = document.querySelector("[data-file-status]");
const fileProgress = document.querySelector("[data-file-progress]");
const fileProgressLabel = document.querySelector("[data-file-progress-label]");

export const pictureInput = document.querySelector("#picture-file");
export const fileInput = document.querySelector("[data-file-input]");

function setStatus(slot, message, isError) {
  slot.textContent = message;
  slot.classList.toggle("is-error", Boolean(isError));
}

export function setPictureStatus(message, isError = false) {
  setStatus(pictureStatus, message, isError);
}

export function setFileStatus(message, isError = false) {
  setStatus(fileStatus, message, isError);
}

/** A small button: `label` shows, `more` completes its name for screen readers ("Remove" +
 * " picture 2"); a `symbol` label (an arrow) is only drawn, `more` being the whole name. */
function smallButton(label, more, attributes = {}, { symbol = false } = {}) {
  return element("button", { type: "button", class: "button button-ghost button-small", ...attributes },
    element("span", symbol ? { "aria-hidden": "true" } : {}, label),
    element("span", { class: "visually-hidden" }, more));
}

/** The pictures of a saved product (none before it is saved): `onMove(index, by)` and
 * `onRemove(index)` change them. */
export function drawPictures(product, { onMove, onRemove }) {
  const images = (product && product.images) || [];
  picturesLocked.hidden = Boolean(product);
  pictureControls.hidden = !product;
  const full = images.length >= MAX_PICTURES;
  pictureInput.disabled = full;
  pictureHint.textContent = full
    ? `This product has ${MAX_PICTURES} pictures, the most it can show. Remove one to add another.`
    : `JPEG, PNG or WebP, up to 5 MB; up to ${MAX_PICTURES} pictures. The first one is the cover.`;
  pictureList.replaceChildren(...images.map((src, index) => {
    const n = index + 1;
    const earlier = smallButton("←", `Move picture ${n} earlier`, { "data-move": "-1" }, { symbol: true });
    const later = smallButton("→", `Move picture ${n} later`, { "data-move": "1" }, { symbol: true });
    const remove = smallButton("Remove", ` picture ${n}`, { "data-remove-picture": "" });
    earlier.disabled = index === 0;
    later.disabled = index === images.length - 1;
    earlier.addEventListener("click", () => onMove(index, -1));
    later.addEventListener("click", () => onMove(index, 1));
    remove.addEventListener("click", () => onRemove(index));
    return element("li", { class: "picture", "data-picture": String(index) },
      element("img", { src: safeHref(src, ""), alt: `Picture ${n}`, width: "160", height: "160",
        loading: "lazy", decoding: "async" }),
      index === 0 ? element("span", { class: "badge picture-cover" }, "Cover") : "",
      element("div", { class: "picture-actions" }, earlier, later, remove));
  }));
}

/** Puts focus back on a picture's button after the list was drawn again. */
export function focusPicture(index, selector) {
  const item = pictureList.children[index];
  const target = item && (item.querySelector(`${selector}:not(:disabled)`) || item.querySelector("button:not(:disabled)"));
  (target || pictureInput).focus();
}

function typeLabel(file) {
  const extension = String(file.name || "").includes(".") ? file.name.split(".").pop() : "";
  return (extension || String(file.content_type || "").split("/").pop() || "file").slice(0, 5).toUpperCase();
}

/** The files of a saved digital product: `onRemove(file)` takes one off. */
export function drawFiles(product, { onRemove }) {
  const files = (product && product.files) || [];
  filesLocked.hidden = Boolean(product);
  fileControls.hidden = !product;
  filesEmpty.hidden = !product || files.length > 0;
  fileInput.disabled = files.length >= MAX_FILES;
  fileList.replaceChildren(...files.map((file) => {
    const remove = smallButton("Remove", ` ${file.name}`, { "data-remove-file": file.file_id });
    remove.addEventListener("click", () => onRemove(file, remove));
    return element("li", { class: "file-item", "data-file-id": file.file_id, "data-testid": "product-file" },
      element("span", { class: "file-type", "aria-hidden": "true" }, typeLabel(file)),
      element("span", { class: "file-name" }, file.name),
      element("span", { class: "file-size" }, formatBytes(file.size)),
      remove);
  }));
}

/** While a file travels to storage: an indeterminate bar (the browser's own progress shows in
 * its tab and address bar) and what is being sent. */
export function showFileProgress(name, size) {
  fileProgressLabel.textContent = `Uploading ${name} (${formatBytes(size)}). Keep this tab open: `
    + "this page comes back by itself when the upload is done.";
  fileProgress.hidden = false;
  fileControls.hidden = true;
}

export function hideFileProgress() {
  fileProgress.hidden = true;
}
