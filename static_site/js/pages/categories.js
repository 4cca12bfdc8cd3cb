/** Categories page: the whole tree, parents with their children, each linking to its page. */

import { api } from "../api.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { categoryUrl } from "../paths.js";
import { groupCategories } from "../category-tree.js";
import { loadFailure } from "../load-failure.js";

mountHeader();
mountFooter();

const tree = document.querySelector("[data-category-tree]");
const status = document.querySelector("[data-categories-status]");

function childTile(category) {
  // The link is named by the category alone; its banner text describes it.
  const nameId = `category-${category.slug}-name`;
  const bannerId = `category-${category.slug}-banner`;
  return element("li", {},
    element("a", { class: "category-tile", href: categoryUrl(category.slug),
      "aria-labelledby": nameId, "aria-describedby": bannerId },
    element("span", { class: "category-tile-name", id: nameId }, category.name),
    element("span", { class: "category-tile-banner", id: bannerId }, category.banner || "")));
}

function group({ parent, children }, index) {
  const headingId = `category-group-${index}`;
  return element("section", { class: "category-group", "aria-labelledby": headingId },
    element("div", { class: "category-group-head" },
      element("h2", { id: headingId },
        element("a", { href: categoryUrl(parent.slug) }, parent.name)),
      element("p", {}, parent.banner || "")),
    children.length
      ? element("ul", { class: "category-tiles" }, ...children.map(childTile))
      : element("p", { class: "listing-card-muted" }, "No sub-categories yet."));
}

async function load() {
  tree.setAttribute("aria-busy", "true");
  status.textContent = "Loading categories…";
  try {
    const { categories = [] } = await api.categories();
    const groups = groupCategories(categories);
    tree.replaceChildren(...groups.map(group));
    status.textContent = groups.length ? "" : "There are no categories yet.";
  } catch (error) {
    tree.replaceChildren(loadFailure(error, load));
    status.textContent = "";
  } finally {
    tree.setAttribute("aria-busy", "false");
  }
}

load();
