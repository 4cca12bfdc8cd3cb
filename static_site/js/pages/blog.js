/** A Helper's blog, rendered by the server (chalicelib/api/blog_html.py): the list
 * (`/h/<username>/blog`) and a post (`/h/<username>/blog/<slug>`). Header and footer everywhere;
 * on a post, the Report form (`[data-report-post]`: a signed-in reader sends a reason and a note
 * to ops, once; a visitor signs in first) and the polls placed in the post
 * (`.poll-slot[data-poll]`, filled by js/polls.js on first sight).
 *
 * Markup it reads: `[data-blog]` with `data-author` (the username) and `data-author-id`. */

import { api } from "../api.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { clearErrors, setBusy, showError, showFieldError } from "../forms.js";
import { mountHeader } from "../header.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";
import { currentUserId, loadSession } from "../session.js";

const REPORT_TEXT_MAX = 1000;
export const REPORT_REASONS = [
  ["spam", "Spam or advertising"],
  ["offensive", "Offensive, hateful or harassing"],
  ["personal_information", "Shares someone's personal information"],
  ["misleading", "False or misleading"],
  ["illegal", "Illegal content"],
  ["other", "Something else"],
];

mountHeader();
mountFooter();

const blog = document.querySelector("[data-blog]");
if (blog) {
  const username = blog.getAttribute("data-author");
  const authorId = blog.getAttribute("data-author-id");
  const report = blog.querySelector("[data-report-post]");
  if (report) {
    wireReport(report, { own: Boolean(loadSession()) && currentUserId() === authorId });
  }
  const slots = [...blog.querySelectorAll(".poll-slot[data-poll]")];
  if (slots.length) {
    mountPlacedPolls(slots, { username, authorId });
  }
}

/** Each placed poll, loaded when it comes near the screen (js/polls.js and its styles too). */
function mountPlacedPolls(slots, { username, authorId }) {
  const mount = async (slot) => {
    const { mountPoll } = await import("../polls.js");
    mountPoll(slot, { username, pollId: slot.getAttribute("data-poll"), helperId: authorId });
  };
  if (!("IntersectionObserver" in window)) {
    slots.forEach(mount);
    return;
  }
  const watcher = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        watcher.unobserve(entry.target);
        mount(entry.target);
      }
    }
  }, { rootMargin: "400px 0px" });
  slots.forEach((slot) => watcher.observe(slot));
}

function wireReport(box, { own }) {
  const open = box.querySelector("[data-report-open]");
  if (own) {
    box.hidden = true; // one's own post: nothing to report
    return;
  }
  open.addEventListener("click", () => {
    if (!loadSession()) {
      window.location.assign(signInUrl());
      return;
    }
    openReportForm(box, open);
  });
}

/** The report form, in place of the button; once sent, a thank-you in its place. */
function openReportForm(box, button) {
  const username = box.getAttribute("data-report-username");
  const slug = box.getAttribute("data-report-slug");
  const reason = element("select", { id: "report-reason", name: "reason", "aria-describedby": "report-reason-error" },
    element("option", { value: "" }, "Choose a reason"),
    ...REPORT_REASONS.map(([value, label]) => element("option", { value }, label)));
  const text = element("textarea", {
    id: "report-text", name: "text", rows: "3", maxlength: String(REPORT_TEXT_MAX),
    "aria-describedby": "report-text-hint report-text-error",
  });
  const cancel = element("button", { type: "button", class: "button button-ghost button-small" }, "Cancel");
  const form = element("form", { class: "form form-compact report-form", novalidate: "",
    "aria-label": "Report this post", "data-testid": "post-report-form" },
  element("div", { class: "field" },
    element("label", { for: "report-reason" }, "Why are you reporting this post?"),
    reason,
    element("p", { class: "field-error", id: "report-reason-error", "data-error-for": "reason" })),
  element("div", { class: "field" },
    element("label", { for: "report-text" }, "Anything our team should know (optional)"),
    text,
    element("p", { class: "field-hint", id: "report-text-hint" },
      `Only our team reads it. At most ${REPORT_TEXT_MAX.toLocaleString("en-US")} characters.`),
    element("p", { class: "field-error", id: "report-text-error", "data-error-for": "text" })),
  element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
  element("div", { class: "button-row" },
    element("button", { type: "submit", class: "button button-primary button-small", "data-busy-label": "Sending…" },
      "Send report"),
    cancel));
  cancel.addEventListener("click", () => {
    form.replaceWith(button);
    button.focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!reason.value) {
      showFieldError(form, "reason", "Choose a reason.");
      return;
    }
    setBusy(form, true);
    try {
      await api.reportPost(username, slug, { reason: reason.value, text: text.value.trim() });
    } catch (error) {
      setBusy(form, false);
      if (!leaveIfSignedOut(error)) {
        showError(form, error);
      }
      return;
    }
    const thanks = element("p", { class: "post-reported", role: "status", tabindex: "-1",
      "data-testid": "post-reported" }, "Thanks — our team will look at it.");
    form.replaceWith(thanks);
    thanks.focus();
  });
  button.replaceWith(form);
  reason.focus();
}
