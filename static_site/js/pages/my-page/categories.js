/** My page: the categories the Helper is listed in (at most ten), joined and left in place, and
 * the one a category page's Become A Helper button asked for (`?join=<slug>`). */

import { api } from "../../api.js";
import { bySlug, groupCategories } from "../../category-tree.js";
import { element } from "../../dom.js";
import { categoryUrl, queryParam } from "../../paths.js";
import { showChecklist } from "./checklist.js";
import { editor, nextId } from "./editor.js";

const MAX_CATEGORIES = 10;

const categoriesSummary = document.querySelector("[data-categories-summary]");
const categoriesAlert = document.querySelector("[data-categories-alert]");
const categoryChoices = document.querySelector("[data-category-choices]");
const joinPending = document.querySelector("[data-join-pending]");

function joinedSlugs() {
  return new Set((editor.page && editor.page.categories) || []);
}

function categoryChoice(category, joined) {
  const button = element("button", {
    type: "button",
    class: `button button-small ${joined ? "button-secondary" : "button-success"}`,
    "data-category-toggle": category.slug,
  }, joined ? "Leave" : "Join", element("span", { class: "visually-hidden" }, ` ${category.name}`));
  button.addEventListener("click", () => toggleCategory(category, button));
  return element("li", { class: joined ? "choice is-joined" : "choice" },
    element("a", { href: categoryUrl(category.slug) }, category.name),
    joined ? element("span", { class: "badge" }, "Listed") : "",
    button);
}

export function renderCategoryChoices() {
  if (!editor.page) {
    categoriesSummary.textContent = "Save your page first, then choose where people find you.";
    categoryChoices.replaceChildren();
    return;
  }
  showChecklist();
  const joined = joinedSlugs();
  categoriesSummary.textContent = joined.size
    ? `You are listed in ${joined.size} of at most ${MAX_CATEGORIES} categories.`
    : `Join up to ${MAX_CATEGORIES} categories so people can find you.`;
  categoryChoices.replaceChildren(...groupCategories(editor.categories).map(({ parent, children }) => {
    const headingId = nextId("choices");
    return element("section", { class: "choice-group", "aria-labelledby": headingId },
      element("h3", { id: headingId }, parent.name),
      element("ul", { class: "choices" },
        ...[parent, ...children].map((category) => categoryChoice(category,
          joined.has(category.slug)))));
  }));
}

async function toggleCategory(category, button) {
  const { page } = editor;
  const joined = joinedSlugs().has(category.slug);
  categoriesAlert.textContent = "";
  button.disabled = true;
  try {
    if (joined) {
      await api.leaveCategory(category.slug);
      page.categories = (page.categories || []).filter((slug) => slug !== category.slug);
    } else {
      await api.joinCategory(category.slug);
      page.categories = [...(page.categories || []), category.slug];
    }
    renderCategoryChoices();
    const again = categoryChoices.querySelector(
      `[data-category-toggle="${CSS.escape(category.slug)}"]`);
    if (again) {
      again.focus();
    }
  } catch (error) {
    button.disabled = false;
    categoriesAlert.textContent = error.message;
  }
}

export async function loadCategories() {
  try {
    const { categories = [] } = await api.categories();
    editor.categories = categories;
  } catch (error) {
    categoriesAlert.textContent = `We could not load the categories: ${error.message}`;
    editor.categories = [];
  }
}

const requestedJoin = queryParam("join");

export function showJoinPending() {
  const category = bySlug(editor.categories).get(requestedJoin || "");
  if (!editor.page && category) {
    joinPending.textContent = `Once you create your page you will be listed in ${category.name}.`;
    joinPending.hidden = false;
  }
}

/** Once the page exists, the category the visitor came from is joined. */
export async function joinRequestedCategory() {
  const category = bySlug(editor.categories).get(requestedJoin || "");
  joinPending.hidden = true;
  if (!category || joinedSlugs().has(category.slug)) {
    return;
  }
  try {
    await api.joinCategory(category.slug);
    editor.page.categories = [...(editor.page.categories || []), category.slug];
    renderCategoryChoices();
  } catch (error) {
    categoriesAlert.textContent = error.message;
  }
}
