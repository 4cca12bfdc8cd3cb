/** Addresses of the site's pages, and the one rule for where a `next` link may lead. */

export const PAGES = Object.freeze({
  home: "/index.html",
  signIn: "/sign-in.html",
  signUp: "/sign-up.html",
  confirm: "/confirm.html",
  categories: "/categories.html",
  category: "/category.html",
  search: "/search.html",
  becomeHelper: "/become-a-helper.html",
  call: "/call.html",
  payments: "/payments.html",
  earnings: "/earnings.html",
  myStore: "/my-store.html",
  myOrders: "/my-orders.html",
  sales: "/sales.html",
  payReturn: "/pay-return.html",
  rate: "/rate.html",
  ops: "/ops.html",
  opsPerson: "/ops-person.html",
  opsRefunds: "/ops-refunds.html",
  opsReviews: "/ops-reviews.html",
  opsWatch: "/ops-watch.html",
  faq: "/faq.html",
  terms: "/terms.html",
  privacy: "/privacy.html",
  library: "/library.html",
  appointments: "/appointments.html",
  booking: "/booking.html",
  following: "/following.html",
  unsubscribe: "/unsubscribe.html",
  polls: "/polls.html",
  posts: "/posts.html",
  myEvents: "/my-events.html",
  notifications: "/notifications.html",
  notificationSettings: "/notification-settings.html",
  marketplace: "/marketplace",
});

/** The call room: `{helper}` to call a Helper, `{call, answer: 1}` to answer a ringing call,
 * `{call}` to come back to a live one. */
export function callUrl(params) {
  return pageUrl(PAGES.call, params);
}

/** The address of a category's page. */
export function categoryUrl(slug) {
  return pageUrl(PAGES.category, { slug });
}

/** The address of the sign-in page that comes back to `next` (this page by default). */
export function signInUrl(next = returnPath()) {
  return pageUrl(PAGES.signIn, { next });
}

/** An API refusal because the session ended sends the visitor to sign in and back here; true
 * when it did (the caller stops). */
export function leaveIfSignedOut(error) {
  if (error && error.code === "signed_out") {
    window.location.replace(signInUrl());
    return true;
  }
  return false;
}

const AUTH_PAGES = new Set([PAGES.signIn, PAGES.signUp, PAGES.confirm]);

/** A same-site address for `page` with `params` in its query (empty values are left out). */
export function pageUrl(page, params = {}) {
  const url = new URL(page, window.location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") {
      url.searchParams.set(name, String(value));
    }
  }
  return url.pathname + url.search + url.hash;
}

export function queryParam(name) {
  return new URLSearchParams(window.location.search).get(name);
}

/** The `next` this page was given, if it is a safe one, to pass on through sign-up, the code and
 * sign-in (so "Call now" still calls once the visitor has an account); null when there is none. */
export function passedNext() {
  const given = queryParam("next");
  const next = safeNext(given, null);
  return given && next ? next : null;
}

/** Where to go after signing in: a path on this site only, never another origin, never back
 * to a sign-in page. Anything else falls back to `fallback`. */
export function safeNext(value, fallback = PAGES.home) {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//")
      || value.includes("\\")) {
    return fallback;
  }
  let url;
  try {
    url = new URL(value, window.location.origin);
  } catch {
    return fallback;
  }
  if (url.origin !== window.location.origin || AUTH_PAGES.has(url.pathname)) {
    return fallback;
  }
  return url.pathname + url.search + url.hash;
}

/** The current page's own address, to come back to after signing in (none for home and the
 * sign-in pages themselves). */
export function returnPath() {
  const { pathname, search, hash } = window.location;
  if (pathname === "/" || pathname === PAGES.home || AUTH_PAGES.has(pathname)) {
    return null;
  }
  return pathname + search + hash;
}

export function isCurrentPage(page) {
  const here = window.location.pathname;
  return here === page || (page === PAGES.home && here === "/");
}
