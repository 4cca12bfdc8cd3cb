/** A Helper's card, the same in every directory and in search: avatar (or initials), name,
 * headline, prices, rating and live status, linking to their page. */

import { element } from "./dom.js";
import { applyStatus } from "./live-status.js";
import { SESSION_LENGTHS, priceLabel } from "./money.js";

/** Up to two initials from a display name ("Ada Lovelace" → "AL"). */
export function initialsOf(name) {
  const words = String(name || "").trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((word) => Array.from(word)[0] || "");
  return letters.join("").toUpperCase() || "?";
}

/** Only addresses on this site or https: (no `javascript:` or `data:` from stored content). */
export function safeHref(value, fallback) {
  const text = typeof value === "string" ? value : "";
  if ((text.startsWith("/") && !text.startsWith("//")) || text.startsWith("https://")) {
    return text;
  }
  return fallback;
}

export function helperPagePath(username) {
  return `/h/${encodeURIComponent(username)}`;
}

/** A round avatar: the photo when there is one (initials if it fails to load), else initials. */
export function avatar(name, url, { size = "medium" } = {}) {
  const initials = element("span", { class: "person-initials", "aria-hidden": "true" },
    initialsOf(name));
  const frame = element("span", { class: `person-avatar person-avatar-${size}` });
  const src = safeHref(url, null);
  if (!src) {
    frame.append(initials);
    return frame;
  }
  const image = element("img", { src, alt: "", width: "64", height: "64", loading: "lazy",
    decoding: "async" });
  image.addEventListener("error", () => image.replaceWith(initials));
  frame.append(image);
  return frame;
}

function prices(card) {
  const offered = SESSION_LENGTHS
    .map((minutes) => [minutes, priceLabel((card.prices || {})[String(minutes)])])
    .filter(([, label]) => label !== null);
  if (offered.length === 0) {
    return element("p", { class: "listing-card-muted" }, "Prices on request");
  }
  return element("dl", { class: "listing-prices" },
    ...offered.map(([minutes, label]) => element("div", { class: "listing-price" },
      element("dt", {}, `${minutes} min`),
      element("dd", {}, label))));
}

/** "★ 4.8 · 126 reviews", read as "Rated 4.8 out of 5 from 126 reviews"; "No reviews yet" only
 * when the API has no rating (`null`). */
export function rating(value) {
  if (!value || !Number(value.count)) {
    return element("p", { class: "listing-rating listing-card-muted", "data-testid": "card-rating" },
      "No reviews yet");
  }
  const count = Number(value.count);
  const average = Number(value.average).toFixed(1);
  const reviews = count === 1 ? "1 review" : `${count.toLocaleString("en-US")} reviews`;
  return element("p", { class: "listing-rating", "data-testid": "card-rating" },
    element("span", { role: "img", "aria-label": `Rated ${average} out of 5 from ${reviews}` },
      element("span", { class: "listing-rating-star", "aria-hidden": "true" }, "★"),
      " ", element("strong", {}, average), ` · ${reviews}`));
}

/** The status badge every card and page uses (live-status.js keeps it current). */
export function statusBadge(userId, status = "offline") {
  const badge = element("span", { class: "status", "data-status-for": userId });
  applyStatus(badge, status);
  return badge;
}

/** One `<li>` holding the card of `card` (the API's card object). */
export function helperCard(card) {
  const name = card.display_name || card.username || "Helper";
  const href = safeHref(card.page_url, helperPagePath(card.username || ""));
  const titleId = `helper-${String(card.user_id || card.username || "").replace(/[^\w-]/g, "")}`;
  const badge = statusBadge(card.user_id || "", card.status);
  const article = element("article", {
    class: "listing-card", "data-status-scope": "", "aria-labelledby": titleId,
    "data-testid": "helper-card", "data-username": card.username || "",
  },
  element("div", { class: "listing-card-top" },
    avatar(name, card.avatar_url),
    element("div", { class: "listing-card-who" },
      element("h3", { class: "listing-card-name", id: titleId },
        element("a", { href, class: "listing-card-link" }, name)),
      element("p", { class: "listing-card-username" }, `@${card.username || ""}`)),
    badge),
  element("p", { class: "listing-card-headline" }, card.headline || ""),
  prices(card),
  rating(card.rating));
  applyStatus(badge, card.status); // again, now that its card (and any call button) exists
  return element("li", { class: "listing-card-item" }, article);
}

/** A `<ul>` of cards. */
export function helperCardList(cards = []) {
  return element("ul", { class: "listing-cards", "data-helper-cards": "" },
    ...cards.map(helperCard));
}
