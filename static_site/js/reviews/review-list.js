/** A Helper's reviews on their public page, from `GET /helpers/{username}/reviews`: one page at
 * a time ("Show more" reads the next cursor), sorted newest, highest or lowest first, each with
 * its stars, author, date, session length, a "Refunded" mark and the Helper's reply. On their
 * own page the Helper gets a Reply form under each review they have not answered, and can edit
 * a reply they wrote (the server says when that is no longer possible). Any other signed-in
 * viewer can report a review to ops (js/reports.js: a reason and an optional note, once per person).
 *
 * Markup it reads (chalicelib/templates/helper_page.html): `[data-reviews]` holding
 * `[data-review-list]` (the server's grey placeholders inside, replaced here), optionally
 * `[data-review-sort]` and `[data-reviews-empty]`.
 *
 * Reviews and replies are plain text, always set as text: never HTML, never links. */

import { api } from "../api.js";
import { element } from "../dom.js";
import { clearErrors, setBusy, showError, showFieldError } from "../forms.js";
import { loadFailure } from "../load-failure.js";
import { reportButton } from "../reports.js";
import { loadSession } from "../session.js";
import { formatDay, timeOf } from "../when.js";
import { starRow } from "./stars.js";

export const PAGE_SIZE = 5;
const TEXT_MAX = 2000;

export class ReviewList {
  /**
   * @param {HTMLElement} section the `[data-reviews]` section
   * @param {{username: string, helperName: string, ownPage: boolean}} options `ownPage`: the
   *   signed-in viewer is this Helper (the server checks it again on every reply)
   * @param {boolean} [options.signedIn] someone is signed in (they may report reviews)
   */
  constructor(section, { username, helperName, ownPage, signedIn = Boolean(loadSession()) }) {
    this.section = section;
    this.username = username;
    this.helperName = helperName;
    this.ownPage = ownPage;
    this.canReport = Boolean(signedIn) && !ownPage;
    this.list = section.querySelector("[data-review-list]");
    this.sortSelect = section.querySelector("[data-review-sort]");
    this.empty = section.querySelector("[data-reviews-empty]");
    this.status = element("div", { class: "reviews-status" });
    this.more = element("button", {
      type: "button", class: "button button-secondary reviews-more", "data-testid": "reviews-more", hidden: "",
    }, "Show more reviews");
    this.refundNote = element("p", { class: "field-hint reviews-note", hidden: "" },
      "Reviews marked Refunded are of sessions whose payment was returned: they stay shown and do "
      + "not count in the average.");
    this.list.after(this.status, this.more, this.refundNote);
    this.sort = this.sortSelect ? this.sortSelect.value : "newest";
    this.cursor = null;
    this.loading = false;
    this.more.addEventListener("click", () => this.load({ append: true }));
    if (this.sortSelect) {
      this.sortSelect.addEventListener("change", () => {
        this.sort = this.sortSelect.value;
        this.load({ append: false });
      });
    }
  }

  /** The first page (or, with `append`, the next one). A newer load (another sort chosen
   * meanwhile) wins: an older answer is dropped. */
  async load({ append = false } = {}) {
    if (append && this.loading) {
      return;
    }
    const request = (this.request = (this.request || 0) + 1);
    this.loading = true;
    const cursor = append ? this.cursor : null;
    this.list.setAttribute("aria-busy", "true");
    this.more.disabled = true;
    if (append) {
      this.more.textContent = "Loading…";
    } else if (!this.list.style.minHeight) {
      this.list.style.minHeight = `${this.list.offsetHeight}px`; // the page keeps its place while it reloads
    }
    this.status.replaceChildren();
    let answer = null;
    let failure = null;
    try {
      answer = await api.helperReviews(this.username, { sort: this.sort, limit: PAGE_SIZE, cursor });
    } catch (error) {
      failure = error;
    }
    if (request !== this.request) {
      return;
    }
    if (answer) {
      const items = (answer.reviews || []).map((review) => this.item(review));
      if (append) {
        this.list.append(...items);
        items[0]?.focus();
      } else {
        this.list.replaceChildren(...items);
      }
      this.cursor = answer.next_cursor || null;
      this.showEmpty(this.list.children.length === 0);
      this.refundNote.hidden = !this.list.querySelector(".is-refunded");
    } else {
      if (!append) {
        this.list.replaceChildren(); // the placeholders promise what did not come
        this.cursor = null;
      }
      this.status.replaceChildren(loadFailure(failure, () => this.load({ append })));
    }
    this.loading = false;
    this.list.removeAttribute("aria-busy");
    this.list.style.minHeight = "";
    this.more.textContent = "Show more reviews";
    this.more.disabled = false;
    this.more.hidden = !this.cursor;
  }

  showEmpty(empty) {
    if (empty && !this.empty) {
      this.empty = element("p", { class: "helper-empty reviews-empty", "data-reviews-empty": "" },
        "No reviews yet.");
      this.list.after(this.empty);
    }
    if (this.empty) {
      this.empty.hidden = !empty;
    }
  }

  /** One review as a list item (`tabindex=-1` so "Show more" can move focus to the first new one). */
  item(review) {
    const li = element("li", { class: "review", id: `review-${review.review_id}`, "data-review-id": review.review_id,
      tabindex: "-1", "data-testid": "review" });
    this.fill(li, review);
    return li;
  }

  fill(li, review) {
    const stars = Number(review.stars);
    const author = (review.author && review.author.display_name) || "A customer";
    const meta = element("p", { class: "review-meta" }, timeOf(review.created_at, formatDay));
    if (Number(review.session_minutes) > 0) {
      meta.append(element("span", {}, `${review.session_minutes}-minute session`));
    }
    if (review.edited_at) {
      meta.append(element("span", { title: `Edited ${formatDay(review.edited_at)}` }, "Edited"));
    }
    if (review.refunded) {
      meta.append(element("span", {
        class: "badge badge-refunded", "data-testid": "refunded",
        title: "The session was refunded: this review does not count in the average.",
      }, "Refunded"));
    }
    li.classList.toggle("is-refunded", Boolean(review.refunded));
    li.replaceChildren(
      element("div", { class: "review-head" },
        starRow(stars, { label: `Rated ${stars} out of 5` }),
        element("span", { class: "review-author" }, author)),
      meta);
    if (review.text) {
      li.append(element("p", { class: "review-text", "data-testid": "review-text" }, review.text));
    }
    if (review.reply) {
      li.append(this.reply(li, review));
    } else if (this.ownPage) {
      const button = element("button", { type: "button", class: "button button-secondary button-small review-action" },
        "Reply", element("span", { class: "visually-hidden" }, ` to ${author}`));
      button.addEventListener("click", () => this.openReplyForm(li, review, button));
      li.append(button);
    }
    if (this.canReport) {
      li.append(reportButton({ kind: "review", id: review.review_id, label: `the review by ${author}`,
        className: "button button-link review-action review-report" }));
    }
  }

  reply(li, review) {
    const { reply } = review;
    const box = element("div", { class: "review-reply", "data-testid": "review-reply" },
      element("p", { class: "review-reply-title" },
        element("span", {}, `Reply from ${this.helperName}`), timeOf(reply.created_at, formatDay)),
      element("p", { class: "review-text" }, reply.text));
    if (this.ownPage) {
      const edit = element("button", { type: "button", class: "button button-link review-action review-edit" },
        "Edit reply", element("span", { class: "visually-hidden" }, ` to ${(review.author && review.author.display_name) || "A customer"}`));
      edit.addEventListener("click", () => this.openReplyForm(li, review, box));
      box.append(edit);
    }
    return box;
  }

  /** The Helper's reply form, in place of `replaced` (the Reply button or the reply itself). */
  openReplyForm(li, review, replaced) {
    const id = `reply-${review.review_id}`;
    const text = element("textarea", {
      id, name: "text", rows: "3", maxlength: String(TEXT_MAX), "aria-describedby": `${id}-hint ${id}-error`,
    });
    text.value = review.reply ? review.reply.text : "";
    const cancel = element("button", { type: "button", class: "button button-ghost button-small" }, "Cancel");
    const form = element("form", { class: "form form-compact reply-form", novalidate: "" },
      element("div", { class: "field" },
        element("label", { for: id }, review.reply ? "Edit your reply" : "Your public reply"),
        text,
        element("p", { class: "field-hint", id: `${id}-hint` },
          "Everyone who visits your page sees it, as plain text."),
        element("p", { class: "field-error", id: `${id}-error`, "data-error-for": "text" })),
      element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
      element("div", { class: "button-row" },
        element("button", { type: "submit", class: "button button-primary button-small", "data-busy-label": "Saving…" },
          review.reply ? "Save reply" : "Post reply"),
        cancel));
    cancel.addEventListener("click", () => {
      form.replaceWith(replaced);
      (replaced.querySelector("button") || replaced).focus();
    });
    text.addEventListener("input", () => {
      text.removeAttribute("aria-invalid");
      form.querySelector("[data-error-for='text']").textContent = "";
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const value = text.value.trim();
      if (!value) {
        showFieldError(form, "text", "Write your reply first.");
        return;
      }
      setBusy(form, true);
      try {
        const answer = await api.replyToReview(review.review_id, { text: value });
        this.fill(li, answer.review);
        li.querySelector(".review-reply")?.setAttribute("tabindex", "-1");
        li.querySelector(".review-reply")?.focus();
      } catch (error) {
        setBusy(form, false);
        showError(form, error);
      }
    });
    replaced.replaceWith(form);
    text.focus();
  }
}
