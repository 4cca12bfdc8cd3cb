/** The rating prompt a customer sees after a session. Reviews arrive with a later release, so
 * the prompt says plainly that nothing entered here is saved or sent yet. */

import { element } from "../dom.js";

const STAR_WORDS = ["Poor", "Fair", "Good", "Very good", "Excellent"];

export function ratingPrompt({ helperName }) {
  const stars = element("div", { class: "star-picker" },
    ...STAR_WORDS.map((word, index) => {
      const value = index + 1;
      const id = `rating-${value}`;
      return element("span", { class: "star-choice" },
        element("input", { type: "radio", name: "rating", id, value: String(value) }),
        element("label", { for: id, title: `${value} of 5: ${word}` },
          element("span", { class: "star", "aria-hidden": "true" }, "★"),
          element("span", { class: "visually-hidden" }, `${value} star${value === 1 ? "" : "s"}, ${word}`)));
    }));
  const chosen = element("p", { class: "field-hint star-chosen", "aria-live": "polite" });
  stars.addEventListener("change", (event) => {
    const value = Number(event.target.value);
    chosen.textContent = value ? `${value} of 5: ${STAR_WORDS[value - 1]}` : "";
    stars.dataset.value = String(value);
  });
  const review = element("textarea", {
    id: "review-text", name: "review", rows: "4", maxlength: "2000",
    "aria-describedby": "review-not-saved",
  });
  const form = element("form", { class: "form rating-form", "data-rating-form": "" },
    element("fieldset", { class: "star-field" },
      element("legend", {}, "Your rating"), stars, chosen),
    element("div", { class: "field" },
      element("label", { for: "review-text" }, "Your review (optional)"), review),
    element("p", { class: "notice notice-dev", id: "review-not-saved", "data-testid": "review-not-saved" },
      element("strong", {}, "Reviews are coming soon. "),
      "interKanect cannot save ratings or reviews yet, so nothing you enter here is sent or "
      + "stored. Thank you for trying it out."));
  form.addEventListener("submit", (event) => event.preventDefault()); // there is nothing to send
  return element("section", {
    class: "room-card rating-prompt", "aria-labelledby": "rating-title", "data-testid": "rating-prompt",
  },
  element("h2", { id: "rating-title" }, `How was your session with ${helperName}?`),
  form);
}
