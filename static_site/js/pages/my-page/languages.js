/** My page: the languages the Helper speaks, common ones as chips and the rest to add. */

import { element } from "../../dom.js";
import { markDirty, nextId, pageForm } from "./editor.js";

const COMMON_LANGUAGES = ["en", "es", "fr", "de", "pt", "pt-BR", "it", "nl", "pl", "ru", "uk",
  "tr", "ar", "hi", "zh", "ja", "ko"];
const MORE_LANGUAGES = ["af", "am", "bg", "bn", "ca", "cs", "cy", "da", "el", "en-GB", "es-MX",
  "et", "eu", "fa", "fi", "fil", "fr-CA", "ga", "gl", "gu", "he", "hr", "hu", "hy", "id", "is",
  "ka", "kk", "km", "kn", "lo", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "my", "ne", "no", "pa",
  "ro", "sk", "sl", "sq", "sr", "sv", "sw", "ta", "te", "th", "ur", "uz", "vi", "yo",
  "zh-TW", "zu"];

const languageNames = (() => {
  try {
    return new Intl.DisplayNames([...navigator.languages, "en"], { type: "language" });
  } catch {
    return null;
  }
})();

function languageName(code) {
  try {
    const name = languageNames && languageNames.of(code);
    return name && name !== code ? name : code;
  } catch {
    return code;
  }
}

const languageOptions = pageForm().querySelector("[data-language-options]");
const moreLanguages = pageForm().querySelector("[data-more-languages]");

function languageChip(code, checked) {
  const id = nextId("language");
  const input = element("input", { type: "checkbox", id, name: "languages", value: code });
  input.checked = checked;
  return element("label", { class: "chip-check", for: id }, input,
    element("span", {}, languageName(code)));
}

function languageBoxes() {
  return [...languageOptions.querySelectorAll('input[name="languages"]')];
}

export function renderLanguages(selected) {
  const codes = [...COMMON_LANGUAGES];
  for (const code of selected) {
    if (!codes.includes(code)) {
      codes.push(code);
    }
  }
  languageOptions.replaceChildren(
    ...codes.map((code) => languageChip(code, selected.includes(code))));
}

export function readLanguages() {
  return languageBoxes().filter((box) => box.checked).map((box) => box.value);
}

function addLanguage(code) {
  const existing = languageBoxes().find((box) => box.value === code);
  if (existing) {
    existing.checked = true;
    existing.focus();
    return;
  }
  const chip = languageChip(code, true);
  languageOptions.append(chip);
  chip.querySelector("input").focus();
}

moreLanguages.append(...MORE_LANGUAGES
  .map((code) => [code, languageName(code)])
  .sort((a, b) => a[1].localeCompare(b[1]))
  .map(([code, name]) => element("option", { value: code }, name)));
moreLanguages.addEventListener("change", () => {
  if (moreLanguages.value) {
    addLanguage(moreLanguages.value);
    moreLanguages.value = "";
    markDirty();
  }
});
