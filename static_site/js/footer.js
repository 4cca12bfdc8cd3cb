/** The site footer on every page, defined once. */

import { element } from "./dom.js";
import { PAGES } from "./paths.js";

const FOOTER_LINKS = [
  { label: "How it works", href: `${PAGES.home}#how-it-works` },
  { label: "Categories", href: PAGES.categories },
  { label: "Search helpers", href: PAGES.search },
  { label: "Become a helper", href: PAGES.becomeHelper },
  { label: "Sign in", href: PAGES.signIn },
];

export function mountFooter(root = document.querySelector("[data-site-footer]")) {
  if (!root) {
    return;
  }
  root.replaceChildren(element("div", { class: "container" },
    element("div", { class: "footer-grid" },
      element("div", { class: "footer-brand" },
        element("p", {}, element("strong", {}, "interKanect"),
          " — live help from real people, over peer-to-peer video."),
        element("p", {}, "We never ask for your password by email, never send you to another "
          + "site to sign in, and never ask you to install software.")),
      element("nav", { "aria-label": "Footer" },
        element("ul", { class: "footer-links" },
          ...FOOTER_LINKS.map(({ label, href }) => element("li", {}, element("a", { href }, label)))))),
    element("p", { class: "footer-note" }, "© interKanect. Payments are handled by PayPal.")));
}
