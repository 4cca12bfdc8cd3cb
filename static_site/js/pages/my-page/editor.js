/** What the sections of My page share: who is signed in, the saved page, the categories, and
 * whether the form has unsaved changes. Each section module fills and reads its own part. */

export const editor = {
  user: null, // `GET /me`, once the header has it
  page: null, // the saved page, or null before it is created
  categories: [], // every category, once loaded
  dirty: false,
};

const form = document.querySelector("[data-page-form]");
const unsaved = form.querySelector("[data-unsaved]");

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

export function pageForm() {
  return form;
}

export function markDirty() {
  editor.dirty = true;
  unsaved.hidden = false;
}

export function markClean() {
  editor.dirty = false;
  unsaved.hidden = true;
}

export function siteAddress(path) {
  return new URL(path, window.location.origin).href;
}
