/** The site footer on every page, defined once. */

import { element } from "./dom.js";
import { PAGES } from "./paths.js";
import { loadSession } from "./session.js";

const EXPLORE = [
  { label: "How it works", href: `${PAGES.home}#how-it-works` },
  { label: "Categories", href: PAGES.categories },
  { label: "Search helpers", href: PAGES.search },
  { label: "Marketplace", href: PAGES.marketplace },
];

/** What a visitor is offered, and what someone signed in is (their own pages, never "Sign in"). */
const VISITOR = [
  { label: "Become a helper", href: PAGES.becomeHelper },
  { label: "Sign in", href: PAGES.signIn },
  { label: "Sign up", href: PAGES.signUp },
];
const SIGNED_IN = [
  { label: "My page", href: PAGES.becomeHelper },
  { label: "Appointments", href: PAGES.appointments },
  { label: "Library", href: PAGES.library },
  { label: "Payments", href: PAGES.payments },
  { label: "Earnings", href: PAGES.earnings },
];

const HELP = [
  { label: "FAQ", href: PAGES.faq },
  { label: "Terms", href: PAGES.terms },
  { label: "Privacy", href: PAGES.privacy },
];

function linkList(label, links) {
  return element("nav", { "aria-label": label },
    element("h2", { class: "footer-heading" }, label),
    element("ul", { class: "footer-links" },
      ...links.map(({ label: text, href }) => element("li", {}, element("a", { href }, text)))));
}

export function mountFooter(root = document.querySelector("[data-site-footer]")) {
  if (!root) {
    return;
  }
  const signedIn = Boolean(loadSession());
  root.replaceChildren(element("div", { class: "container" },
    element("div", { class: "footer-grid" },
      element("div", { class: "footer-brand" },
        element("p", {}, element("strong", {}, "interKanect"),
          " — live help from real people, over peer-to-peer video."),
        element("p", {}, "We never ask for your password by email, never send you to another "
          + "site to sign in, and never ask you to install software.")),
      linkList("Explore", EXPLORE),
      linkList(signedIn ? "Your account" : "Join", signedIn ? SIGNED_IN : VISITOR),
      linkList("Help", HELP)),
    element("p", { class: "footer-note" }, "© interKanect. Payments are handled by PayPal.")));
}
