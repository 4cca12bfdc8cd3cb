/** Stars as people see them: five glyphs, lit to the nearest half, read by screen readers as
 * one image ("4.5 out of 5 stars"). The same markup the server renders on a Helper's page
 * (chalicelib/templates/helper_page.html), styled by `.stars` in helper-page.css and call.css. */

import { element } from "../dom.js";

/** "full", "half" or "empty" for each of the five stars of `value` (0..5). */
export function starFills(value) {
  const halves = Math.round(Math.min(5, Math.max(0, Number(value) || 0)) * 2);
  return [1, 2, 3, 4, 5].map((star) => {
    if (halves >= star * 2) {
      return "full";
    }
    return halves === star * 2 - 1 ? "half" : "empty";
  });
}

/** A row of five stars for `value`; `label` overrides the spoken "N out of 5 stars". */
export function starRow(value, { label = null, size = "" } = {}) {
  const spoken = label || `${value} out of 5 star${Number(value) === 1 ? "" : "s"}`;
  return element("span", { class: `stars${size ? ` stars-${size}` : ""}`, role: "img", "aria-label": spoken },
    ...starFills(value).map((fill) => element("span", { class: `star is-${fill}`, "aria-hidden": "true" }, "★")));
}

/** The words for each number of stars, as the rating prompt offers them. */
export const STAR_WORDS = ["Poor", "Fair", "Good", "Very good", "Excellent"];
