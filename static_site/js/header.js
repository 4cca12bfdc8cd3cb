/** The site header on every page: wordmark, navigation, search, and who is signed in. For a
 * signed-in person it also opens the tab's socket (which makes them online) and listens for
 * incoming calls, so a Helper hears and sees a call ring on whatever page they are, and shows
 * the notification bell with the unread count (js/notices.js). */

import { api } from "./api.js";
import { element } from "./dom.js";
import { showEmailReach } from "./email-reach.js";
import { PAGES, isCurrentPage, pageUrl, queryParam, returnPath } from "./paths.js";
import { mountIncomingCalls, unmountIncomingCalls } from "./call/incoming.js";
import { mountBell, unmountBell } from "./notices.js";
import { startRealtime, stopRealtime } from "./realtime.js";
import { currentUserId, loadSession, onSessionChange } from "./session.js";

// "How it works" lives on the home page and in the footer: the bar keeps room for the Marketplace.
const NAV_LINKS = [
  { label: "Categories", href: PAGES.categories },
  { label: "Marketplace", href: PAGES.marketplace },
];
const HELPER_LINK_SIGNED_OUT = { label: "Become a helper", href: `${PAGES.home}#become-a-helper` };
const HELPER_LINK_SIGNED_IN = { label: "My page", href: PAGES.becomeHelper };
const LIBRARY_LINK = { label: "Library", href: PAGES.library, testId: "library-link" };
const APPOINTMENTS_LINK = { label: "Appointments", href: PAGES.appointments, testId: "appointments-link" };
const PAYMENTS_LINK = { label: "Payments", href: PAGES.payments, testId: "payments-link" };
const FOLLOWING_LINK = { label: "Following", href: PAGES.following, testId: "following-link" };
const EARNINGS_LINK = { label: "Earnings", href: PAGES.earnings, testId: "earnings-link" };
const POLLS_LINK = { label: "Polls", href: PAGES.polls, testId: "polls-link" };
const BLOG_LINK = { label: "Blog", href: PAGES.posts, testId: "blog-link" };
const EVENTS_LINK = { label: "Events", href: PAGES.myEvents, testId: "my-events-link" };
// One way into the ops area: its console links to refund reviews, moderation, flags and payouts.
const OPS_LINKS = [{ label: "Ops", href: PAGES.ops, testId: "ops-link" }];

function link(label, href, attributes = {}) {
  const anchor = element("a", { href, ...attributes }, label);
  const path = href.split("#")[0].split("?")[0];
  if (!href.includes("#") && isCurrentPage(path)) {
    anchor.setAttribute("aria-current", "page");
  }
  return anchor;
}

function searchForm() {
  const input = element("input", {
    id: "site-search", name: "q", type: "search", placeholder: "Search helpers",
    autocomplete: "off", maxlength: "100", enterkeyhint: "search",
  });
  if (isCurrentPage(PAGES.search)) {
    input.value = queryParam("q") || "";
  }
  return element("form", {
    class: "header-search", role: "search", action: PAGES.search, method: "get",
    "aria-label": "Search helpers",
  },
  element("label", { class: "visually-hidden", for: "site-search" }, "Search helpers"),
  input,
  element("button", { type: "submit", class: "header-search-button" },
    element("span", { class: "search-icon", "aria-hidden": "true" }),
    element("span", { class: "visually-hidden" }, "Search")));
}

/** The third navigation item: an invitation for visitors, the page editor once signed in. */
function helperNavItem(signedIn) {
  const { label, href } = signedIn ? HELPER_LINK_SIGNED_IN : HELPER_LINK_SIGNED_OUT;
  return link(label, href, signedIn ? { "data-testid": "my-page-link" } : {});
}

function buildSkeleton(root) {
  const toggle = element("button", {
    type: "button", class: "button button-ghost menu-toggle",
    "aria-expanded": "false", "aria-controls": "site-nav",
  }, element("span", { class: "menu-icon", "aria-hidden": "true" }), "Menu");

  const account = element("div", { class: "account", "data-account": "" });
  const helperItem = element("li", { "data-helper-nav": "" },
    helperNavItem(Boolean(loadSession())));
  const nav = element("nav", { id: "site-nav", class: "site-nav", "aria-label": "Main" },
    element("ul", { class: "nav-links" },
      ...NAV_LINKS.map(({ label, href }) => element("li", {}, link(label, href))),
      helperItem),
    searchForm(),
    account);

  const wordmark = element("a", { class: "wordmark", href: PAGES.home },
    element("span", { class: "wordmark-mark", "aria-hidden": "true" }, "iK"),
    element("span", {}, "inter", element("span", { class: "wordmark-accent" }, "Kanect")));

  // The bell (signed in) comes last: after the Menu button on small screens, after the account
  // on wide ones, so what one sees and the order one tabs through agree.
  const bar = element("div", { class: "container header-bar" }, wordmark, toggle, nav);
  root.replaceChildren(bar);

  const setOpen = (open) => {
    root.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", String(open));
  };
  toggle.addEventListener("click", () => setOpen(!root.classList.contains("is-open")));
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && root.classList.contains("is-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
  nav.addEventListener("click", (event) => {
    if (event.target instanceof HTMLAnchorElement) {
      setOpen(false);
    }
  });
  return { account, helperItem, bar };
}

function renderSignedOut(account) {
  const next = returnPath();
  account.replaceChildren(
    link("Sign in", pageUrl(PAGES.signIn, { next }), { class: "button button-ghost" }),
    link("Sign up", PAGES.signUp, { class: "button button-primary" }),
  );
}

function renderPending(account) {
  account.replaceChildren(element("span", { class: "account-pending", "aria-hidden": "true" }),
    element("span", { class: "visually-hidden" }, "Loading your account"));
}

const NARROW = "(max-width: 63.99rem)"; // where the navigation folds into the Menu button (site.css)

/** The signed-in menu under the person's name: Appointments, Library (what they bought),
 * Following and Payments for everyone; Earnings, Blog, Polls and Events for Helpers (and whenever
 * the profile could not be read); the ops pages for ops (a role from `GET /me`; the server checks
 * it again on every request); and Sign out everywhere. */
function accountMenu(user, name, onSignOutEverywhere) {
  const items = [APPOINTMENTS_LINK, LIBRARY_LINK, FOLLOWING_LINK, PAYMENTS_LINK];
  if (!user || user.is_helper) {
    items.push(EARNINGS_LINK, BLOG_LINK, POLLS_LINK, EVENTS_LINK);
  }
  if (user && Array.isArray(user.roles) && user.roles.includes("ops")) {
    items.push(...OPS_LINKS);
  }
  const everywhere = element("button", {
    type: "button", class: "account-menu-action", "data-testid": "sign-out-everywhere",
  }, "Sign out everywhere");
  everywhere.addEventListener("click", async () => {
    everywhere.disabled = true;
    everywhere.textContent = "Signing out everywhere…";
    await onSignOutEverywhere();
  });
  const menu = element("ul", { class: "account-menu", id: "account-menu", "data-account-menu": "" },
    ...items.map(({ label, href, testId }) => element("li", {},
      link(label, href, { "data-testid": testId }))),
    element("li", { class: "account-menu-separated" }, everywhere));
  const trigger = element("button", {
    type: "button", class: "account-user", "aria-expanded": "false", "aria-controls": "account-menu",
    "data-account-trigger": "",
  },
  avatarOf(user, name),
  element("span", { class: "visually-hidden" }, "Signed in as "),
  element("span", { class: "account-name", title: name, "data-testid": "signed-in-name" }, name),
  element("span", { class: "account-caret", "aria-hidden": "true" }));
  const wrap = element("div", { class: "account-menu-wrap" }, trigger, menu);
  const setOpen = (open) => {
    trigger.setAttribute("aria-expanded", String(open));
    menu.hidden = !open;
  };
  // Folded into the Menu panel on narrow screens, the links show at once.
  setOpen(window.matchMedia(NARROW).matches);
  trigger.addEventListener("click", () => setOpen(menu.hidden));
  wrap.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !menu.hidden && !window.matchMedia(NARROW).matches) {
      event.stopPropagation();
      setOpen(false);
      trigger.focus();
    }
  });
  wrap.addEventListener("focusout", (event) => {
    if (!window.matchMedia(NARROW).matches && !wrap.contains(event.relatedTarget)) {
      setOpen(false);
    }
  });
  document.addEventListener("click", (event) => {
    if (!menu.hidden && !wrap.contains(event.target) && !window.matchMedia(NARROW).matches) {
      setOpen(false);
    }
  });
  return wrap;
}

/** The person's picture when their Helper page has one (a path on this site), else their initial. */
function avatarOf(user, name) {
  const initial = element("span", { class: "avatar", "aria-hidden": "true" }, Array.from(name)[0] || "?");
  const src = user && typeof user.avatar_url === "string" && user.avatar_url.startsWith("/media/")
    ? user.avatar_url : null;
  if (!src) {
    return initial;
  }
  const picture = element("img", {
    class: "avatar avatar-photo", src, alt: "", width: "32", height: "32", decoding: "async",
    "data-testid": "header-avatar",
  });
  picture.addEventListener("error", () => picture.replaceWith(initial), { once: true });
  return picture;
}

/** `signOuts` ends the session: `here` (this device) or `everywhere`. */
function renderSignedIn(account, user, signOuts) {
  const name = (user && user.display_name) || "Your account";
  const signOut = element("button", {
    type: "button", class: "button button-secondary", "data-testid": "sign-out",
  }, "Sign out");
  signOut.addEventListener("click", async () => {
    signOut.disabled = true;
    signOut.textContent = "Signing out…";
    await signOuts.here();
  });
  account.replaceChildren(accountMenu(user, name, signOuts.everywhere), signOut);
}

/** Renders the header into `[data-site-header]` and resolves to the signed-in user's profile
 * (`GET /me`), or null when nobody is signed in. */
export function mountHeader(root = document.querySelector("[data-site-header]")) {
  if (!root) {
    return Promise.resolve(null);
  }
  const { account, helperItem, bar } = buildSkeleton(root);
  const showBell = () => {
    const bell = mountBell();
    if (bell.parentNode !== bar) {
      bar.append(bell);
    }
    bar.classList.add("has-bell"); // site.css makes room for it
  };
  const hideBell = () => {
    unmountBell();
    bar.classList.remove("has-bell");
  };
  const setSignedIn = (signedIn, user = null) => {
    helperItem.replaceChildren(helperNavItem(signedIn));
    if (signedIn) {
      startRealtime();
      mountIncomingCalls({ userId: (user && user.user_id) || currentUserId() });
      showBell();
    } else {
      hideBell();
      unmountIncomingCalls();
      stopRealtime();
    }
  };

  const signingOut = (endSession) => async () => {
    hideBell();
    unmountIncomingCalls();
    stopRealtime(); // offline at once, not when the server notices the socket is gone
    const { forgetCallAlerts } = await import("./push.js"); // loaded only to sign out
    await forgetCallAlerts(); // while the session can still say whose alerts they were
    await endSession();
    renderSignedOut(account);
    setSignedIn(false);
    window.location.assign(PAGES.home);
  };
  const signOut = { here: signingOut(api.signOut), everywhere: signingOut(api.signOutEverywhere) };

  const show = async () => {
    if (!loadSession()) {
      renderSignedOut(account);
      setSignedIn(false);
      return null;
    }
    renderPending(account);
    startRealtime(); // at once: the profile below is for the header, not for the socket
    mountIncomingCalls({ userId: currentUserId() });
    showBell(); // its count is read beside the profile, not after it
    try {
      const user = await api.me();
      renderSignedIn(account, user, signOut);
      setSignedIn(true, user);
      showEmailReach(root, user);
      return user;
    } catch (error) {
      if (error && error.code === "signed_out") {
        renderSignedOut(account);
        setSignedIn(false);
        return null;
      }
      // The session is still valid but the profile could not be read right now.
      renderSignedIn(account, null, signOut);
      setSignedIn(true);
      return null;
    }
  };

  onSessionChange(() => {
    show();
  });
  return show();
}
