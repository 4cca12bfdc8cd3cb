/** The site header on every page: wordmark, navigation, and who is signed in. */

import { api } from "./api.js";
import { element } from "./dom.js";
import { PAGES, isCurrentPage, pageUrl, returnPath } from "./paths.js";
import { loadSession, onSessionChange } from "./session.js";

const NAV_LINKS = [
  { label: "How it works", href: `${PAGES.home}#how-it-works` },
  { label: "Categories", href: `${PAGES.home}#categories` },
  { label: "Become a helper", href: `${PAGES.home}#become-a-helper` },
];

function link(label, href, attributes = {}) {
  const anchor = element("a", { href, ...attributes }, label);
  const path = href.split("#")[0].split("?")[0];
  if (!href.includes("#") && isCurrentPage(path)) {
    anchor.setAttribute("aria-current", "page");
  }
  return anchor;
}

function buildSkeleton(root) {
  const toggle = element("button", {
    type: "button", class: "button button-ghost menu-toggle",
    "aria-expanded": "false", "aria-controls": "site-nav",
  }, element("span", { class: "menu-icon", "aria-hidden": "true" }), "Menu");

  const account = element("div", { class: "account", "data-account": "" });
  const nav = element("nav", { id: "site-nav", class: "site-nav", "aria-label": "Main" },
    element("ul", { class: "nav-links" },
      ...NAV_LINKS.map(({ label, href }) => element("li", {}, link(label, href)))),
    account);

  const wordmark = element("a", { class: "wordmark", href: PAGES.home },
    element("span", { class: "wordmark-mark", "aria-hidden": "true" }, "iK"),
    element("span", {}, "inter", element("span", { class: "wordmark-accent" }, "Kanect")));

  root.replaceChildren(element("div", { class: "container header-bar" }, wordmark, toggle, nav));

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
  return account;
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

function renderSignedIn(account, user, onSignOut) {
  const name = (user && user.display_name) || "Your account";
  const signOut = element("button", {
    type: "button", class: "button button-secondary", "data-testid": "sign-out",
  }, "Sign out");
  signOut.addEventListener("click", async () => {
    signOut.disabled = true;
    signOut.textContent = "Signing out…";
    await onSignOut();
  });
  account.replaceChildren(
    element("span", { class: "account-user" },
      element("span", { class: "avatar", "aria-hidden": "true" }, Array.from(name)[0] || "?"),
      element("span", { class: "visually-hidden" }, "Signed in as "),
      element("span", { class: "account-name", title: name, "data-testid": "signed-in-name" }, name)),
    signOut,
  );
}

/** Renders the header into `[data-site-header]` and resolves to the signed-in user's profile
 * (`GET /me`), or null when nobody is signed in. */
export function mountHeader(root = document.querySelector("[data-site-header]")) {
  if (!root) {
    return Promise.resolve(null);
  }
  const account = buildSkeleton(root);

  const signOut = async () => {
    await api.signOut();
    renderSignedOut(account);
    window.location.assign(PAGES.home);
  };

  const show = async () => {
    if (!loadSession()) {
      renderSignedOut(account);
      return null;
    }
    renderPending(account);
    try {
      const user = await api.me();
      renderSignedIn(account, user, signOut);
      return user;
    } catch (error) {
      if (error && error.code === "signed_out") {
        renderSignedOut(account);
        return null;
      }
      // The session is still valid but the profile could not be read right now.
      renderSignedIn(account, null, signOut);
      return null;
    }
  };

  onSessionChange(() => {
    show();
  });
  return show();
}
