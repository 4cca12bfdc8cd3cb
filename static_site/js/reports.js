/** The one Report form: a reader reports a review, a blog post, a product or an event to ops
 * (`POST /reports`: a reason and an optional note). It opens in place of its Report button and,
 * once sent, leaves a thank-you there. A visitor who is not signed in goes to sign in first; one's
 * own thing shows no button. A second report of the same thing (409 `already_reported`) is told
 * as such; past the day's reports (429) the server's message says so.
 *
 * Used by reviews (js/reviews/review-list.js), the blog's posts (js/pages/blog.js), product pages
 * (js/pages/product.js) and event pages (js/pages/event.js). Server-rendered pages hold a box:
 *   <div data-report data-report-kind="product" data-report-id="<seller_id>/<slug>"
 *        data-report-owner="<owner's user id>" data-report-label="this product">
 *     <button type="button" data-report-open>Report</button>
 *   </div>
 * and call `wireReportBox(box)`. */

import { api } from "./api.js";
import { element } from "./dom.js";
import { clearErrors, setBusy, showError, showFieldError } from "./forms.js";
import { leaveIfSignedOut, signInUrl } from "./paths.js";
import { currentUserId, loadSession } from "./session.js";

export const NOTE_MAX = 1000;

const COMMON = [
  ["spam", "Spam or advertising"],
  ["offensive", "Offensive, hateful or harassing"],
  ["personal_information", "Shares someone's personal information"],
];
const ELSE = [["other", "Something else"]];
/** Each kind's reasons, as the API accepts them (chalicelib/domain/reports.py REASONS). */
export const REPORT_REASONS = {
  review: [...COMMON, ["not_about_the_session", "Not about the session"],
    ["fake", "Fake, or written for a reward"], ...ELSE],
  post: [...COMMON, ["misleading", "False or misleading"], ["illegal", "Illegal content"], ...ELSE],
  product: [...COMMON, ["misleading", "False or misleading"], ["illegal", "Illegal or not allowed for sale"],
    ["counterfeit", "Counterfeit or infringing"], ...ELSE],
  event: [...COMMON, ["misleading", "False or misleading"], ["illegal", "Illegal content"], ...ELSE],
};
const NOUNS = { review: "review", post: "post", product: "product", event: "event" };

/** A Report button that opens the form in its place (`label`: what a screen reader hears after
 * "Report", e.g. "the review by Carol"). */
export function reportButton({ kind, id, label = `this ${NOUNS[kind]}`, className = "button button-link" }) {
  const button = element("button", { type: "button", class: `${className} report-open`, "data-testid": "report-open" },
    "Report", element("span", { class: "visually-hidden" }, ` ${label}`));
  button.addEventListener("click", () => openOrSignIn({ kind, id, button }));
  return button;
}

/** Wires a server-rendered box (see above): hidden for the owner, else its button opens the form. */
export function wireReportBox(box) {
  const kind = box.getAttribute("data-report-kind");
  const id = box.getAttribute("data-report-id");
  const owner = box.getAttribute("data-report-owner");
  const button = box.querySelector("[data-report-open]");
  if (!button || !REPORT_REASONS[kind] || !id) {
    return;
  }
  if (owner && loadSession() && currentUserId() === owner) {
    box.hidden = true; // one's own: nothing to report
    return;
  }
  box.hidden = false;
  button.addEventListener("click", () => openOrSignIn({ kind, id, button }));
}

function openOrSignIn({ kind, id, button }) {
  if (!loadSession()) {
    window.location.assign(signInUrl());
    return;
  }
  openReportForm({ kind, id, button });
}

/** The form, in place of `button`; Cancel puts the button back. */
export function openReportForm({ kind, id, button }) {
  const prefix = `report-${kind}-${String(id).replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const noun = NOUNS[kind];
  const reason = element("select", { id: `${prefix}-reason`, name: "reason",
    "aria-describedby": `${prefix}-reason-error` },
  element("option", { value: "" }, "Choose a reason"),
  ...REPORT_REASONS[kind].map(([value, label]) => element("option", { value }, label)));
  const note = element("textarea", {
    id: `${prefix}-note`, name: "note", rows: "3", maxlength: String(NOTE_MAX),
    "aria-describedby": `${prefix}-note-hint ${prefix}-note-error`,
  });
  const cancel = element("button", { type: "button", class: "button button-ghost button-small" }, "Cancel");
  const form = element("form", { class: "form form-compact report-form", novalidate: "",
    "aria-label": `Report this ${noun}`, "data-testid": "report-form", "data-report-kind": kind },
  element("div", { class: "field" },
    element("label", { for: `${prefix}-reason` }, `Why are you reporting this ${noun}?`),
    reason,
    element("p", { class: "field-error", id: `${prefix}-reason-error`, "data-error-for": "reason" })),
  element("div", { class: "field" },
    element("label", { for: `${prefix}-note` }, "Anything our team should know (optional)"),
    note,
    element("p", { class: "field-hint", id: `${prefix}-note-hint` },
      `Only our team reads it. At most ${NOTE_MAX.toLocaleString("en-US")} characters.`),
    element("p", { class: "field-error", id: `${prefix}-note-error`, "data-error-for": "note" })),
  element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
  element("div", { class: "button-row" },
    element("button", { type: "submit", class: "button button-primary button-small", "data-busy-label": "Sending…" },
      "Send report"),
    cancel));
  reason.addEventListener("change", () => {
    reason.removeAttribute("aria-invalid");
    form.querySelector("[data-error-for='reason']").textContent = "";
  });
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
    let message = "Thanks — our team will look at it.";
    try {
      await api.report({ kind, id, reason: reason.value, note: note.value.trim() });
    } catch (error) {
      if (error && error.code === "already_reported") {
        message = `You reported this ${noun} already — our team will look at it.`;
      } else {
        setBusy(form, false);
        if (!leaveIfSignedOut(error)) {
          showError(form, error);
        }
        return;
      }
    }
    const thanks = element("p", { class: "report-sent", role: "status", tabindex: "-1", "data-testid": "reported" },
      message);
    form.replaceWith(thanks);
    thanks.focus();
  });
  button.replaceWith(form);
  reason.focus();
}
