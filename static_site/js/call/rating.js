/** The rating prompt the caller sees after a session that ran: 1–5 stars and an optional
 * review, sent to `PUT /calls/{id}/review`. It asks the server first (`GET /calls/{id}/review`)
 * whether this session can be rated (sessions too short, or past the window, cannot: it says
 * why) and shows an earlier review of it, to change while its author still may. The server
 * keeps one review per session whatever the number of submits. The Helper never sees it
 * (js/call/session.js asks for it on the caller's side only).
 *
 * The review is plain text: what the person wrote goes in as text and is shown as text. */

import { api } from "../api.js";
import { element } from "../dom.js";
import { clearErrors, setBusy, showError, showFieldError } from "../forms.js";
import { STAR_WORDS, starRow } from "../reviews/stars.js";
import { nowSeconds } from "../when.js";

const TEXT_MAX = 2000;

/** The server's reason codes, should it send a code rather than a sentence. */
const REASONS = {
  too_short: "This session was too short to be rated.",
  session_too_short: "This session was too short to be rated.",
  not_ended: "You can rate the session once the call has ended.",
  window_closed: "The time to rate this session has passed.",
  closed: "The time to rate this session has passed.",
};

function reasonText(reason) {
  if (typeof reason === "string" && /\s/.test(reason.trim())) {
    return reason.trim();
  }
  return REASONS[reason] || "This session can't be rated.";
}

function pageOf(username) {
  return `/h/${encodeURIComponent(username)}`;
}

/** The star picker: five radio buttons in one group, lit up to the one chosen. */
function starPicker(chosen) {
  const hint = element("p", { class: "field-hint star-chosen", "aria-live": "polite" });
  const say = (value) => {
    hint.textContent = value ? `${value} of 5: ${STAR_WORDS[value - 1]}` : "";
  };
  const picker = element("div", { class: "star-picker" },
    ...STAR_WORDS.map((word, index) => {
      const value = index + 1;
      const id = `rating-${value}`;
      const input = element("input", { type: "radio", name: "rating", id, value: String(value) });
      input.checked = value === chosen;
      return element("span", { class: "star-choice" },
        input,
        element("label", { for: id, title: `${value} of 5: ${word}` },
          element("span", { class: "star", "aria-hidden": "true" }, "★"),
          element("span", { class: "visually-hidden" }, `${value} star${value === 1 ? "" : "s"}, ${word}`)));
    }));
  say(chosen);
  picker.addEventListener("change", (event) => say(Number(event.target.value)));
  // The group is the field the server's `stars` errors are about: named, focusable, described.
  const field = element("fieldset", {
    class: "star-field", name: "stars", role: "radiogroup", tabindex: "-1",
    "aria-labelledby": "stars-legend", "aria-describedby": "stars-error",
  },
  element("legend", { id: "stars-legend" }, "Your rating"),
  picker, hint,
  element("p", { class: "field-error", id: "stars-error", "data-error-for": "stars" }));
  return field;
}

class RatingPrompt {
  constructor({ callId, helperName, helperUsername, answer = null }) {
    this.callId = callId;
    this.given = answer; // the server's answer, when the page asked already (js/pages/rate.js)
    this.helper = { display_name: helperName, username: helperUsername || "" };
    this.review = null;
    this.editableUntil = null; // null: as long as the server allows (a review written here)
    this.title = element("h2", { id: "rating-title" }, `How was your session with ${helperName}?`);
    this.body = element("div", { class: "rating-body is-loading", "aria-busy": "true" });
    this.root = element("section", {
      class: "room-card rating-prompt", "aria-labelledby": "rating-title", "data-testid": "rating-prompt",
    }, this.title, this.body);
  }

  /** Asks the server whether this session can be rated, and for an earlier review of it, then
   * shows the form, the review, or why it cannot be rated (an answer takes a moment: nothing
   * shows that would change once it comes). */
  async load() {
    let answer;
    try {
      answer = this.given || await api.reviewForCall(this.callId);
    } catch (error) {
      if (error && (error.status === 403 || error.status === 404)) {
        this.root.remove(); // not this person's session to rate
        return;
      }
      this.showForm(); // anything else: sending the form says what is wrong
      return;
    } finally {
      this.body.classList.remove("is-loading");
      this.body.removeAttribute("aria-busy");
    }
    if (answer.helper && answer.helper.username) {
      this.helper = { display_name: answer.helper.display_name || answer.helper.username,
        username: answer.helper.username };
    }
    if (answer.review) {
      this.review = answer.review;
      this.editableUntil = Number(answer.editable_until) || 0;
      if (this.canEdit()) {
        this.showForm();
      } else {
        this.showSaved({ justSaved: false });
      }
    } else if (answer.can_review === false) {
      this.showClosed(reasonText(answer.reason));
    } else {
      this.showForm();
    }
  }

  canEdit() {
    return this.editableUntil === null || nowSeconds() < this.editableUntil;
  }

  showForm({ cancellable = false } = {}) {
    const review = this.review;
    this.title.textContent = review ? `Your review of ${this.helper.display_name}`
      : `How was your session with ${this.helper.display_name}?`;
    const text = element("textarea", {
      id: "review-text", name: "text", rows: "4", maxlength: String(TEXT_MAX),
      "aria-describedby": "review-text-hint text-error",
    });
    text.value = review ? review.text || "" : "";
    this.button = element("button", {
      type: "submit", class: "button button-primary", "data-busy-label": "Saving…", "data-testid": "save-review",
    }, review ? "Update review" : "Post review");
    const actions = element("div", { class: "button-row" }, this.button);
    if (cancellable) {
      const cancel = element("button", { type: "button", class: "button button-ghost" }, "Cancel");
      cancel.addEventListener("click", () => this.showSaved({ justSaved: false }));
      actions.append(cancel);
    }
    const form = element("form", { class: "form rating-form", "data-rating-form": "", novalidate: "" },
      starPicker(review ? Number(review.stars) : 0),
      element("div", { class: "field" },
        element("label", { for: "review-text" }, "Your review ", element("span", { class: "optional" }, "(optional)")),
        text,
        element("p", { class: "field-hint", id: "review-text-hint" },
          `What went well, what could be better. Plain text, up to ${TEXT_MAX.toLocaleString()} characters; `
          + `it appears on ${this.helper.display_name}'s page with your name.`),
        element("p", { class: "field-error", id: "text-error", "data-error-for": "text" })),
      element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
      actions);
    form.addEventListener("input", (event) => {
      const name = event.target.name === "rating" ? "stars" : event.target.name;
      const slot = form.querySelector(`[data-error-for="${name}"]`);
      if (slot && slot.textContent) {
        slot.textContent = "";
        form.elements.namedItem(name)?.removeAttribute?.("aria-invalid");
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send(form);
    });
    this.body.replaceChildren(form);
    return form;
  }

  async send(form) {
    clearErrors(form);
    const checked = form.querySelector("input[name='rating']:checked");
    const stars = checked ? Number(checked.value) : 0;
    if (!stars) {
      showFieldError(form, "stars", "Choose from 1 to 5 stars.");
      return;
    }
    const text = form.elements.namedItem("text").value.trim();
    setBusy(form, true);
    try {
      const { review } = await api.saveReview(this.callId, { stars, text });
      this.review = review;
      this.showSaved({ justSaved: true });
    } catch (error) {
      setBusy(form, false);
      showError(form, error);
    }
  }

  showSaved({ justSaved }) {
    const { review, helper } = this;
    const page = helper.username
      ? element("a", { href: pageOf(helper.username) }, `${helper.display_name}'s page`)
      : `${helper.display_name}'s page`;
    const message = element("p", { class: "rating-saved-title", tabindex: "-1" },
      justSaved ? "Thanks — your review is on " : "Your review is on ", page, ".");
    const stars = Number(review.stars);
    const saved = element("div", { class: "rating-saved", "data-testid": "review-saved" },
      message,
      element("p", { class: "rating-saved-stars" },
        starRow(stars, { label: `You gave ${stars} out of 5 stars` }),
        element("span", { "aria-hidden": "true" }, STAR_WORDS[stars - 1] || "")));
    if (review.text) {
      saved.append(element("p", { class: "rating-saved-text" }, review.text));
    }
    if (this.canEdit()) {
      const edit = element("button", { type: "button", class: "button button-secondary button-small" }, "Edit review");
      edit.addEventListener("click", () => {
        this.showForm({ cancellable: true }).querySelector("input[name='rating']:checked, input[name='rating']").focus();
      });
      saved.append(element("div", { class: "button-row" }, edit));
    }
    this.title.textContent = `Your review of ${helper.display_name}`;
    this.body.replaceChildren(saved);
    if (justSaved) {
      message.focus();
    }
  }

  showClosed(reason) {
    this.root.classList.add("is-closed");
    this.root.removeAttribute("aria-labelledby");
    this.root.replaceChildren(element("p", { class: "rating-closed", "data-testid": "rating-closed" }, reason));
  }
}

/**
 * The prompt for one call: shown at once, then set by the server's answer (`answer`, when the
 * caller has it already: `GET /calls/{id}/review`'s, which is then not asked again).
 * @param {{callId: string, helperName: string, helperUsername?: string, answer?: object}} options
 * @returns {HTMLElement}
 */
export function ratingPrompt(options) {
  const prompt = new RatingPrompt(options);
  prompt.load();
  return prompt.root;
}
