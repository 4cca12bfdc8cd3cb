/** Category page: its banner with a Become A Helper button, and its Helpers (online first),
 * with live status and "Load more". */

import { ApiError, api, isSignedIn } from "../api.js";
import { bySlug } from "../category-tree.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { helperCard } from "../helper-card.js";
import { startLiveStatus } from "../live-status.js";
import { loadFailure } from "../load-failure.js";
import { PAGES, categoryUrl, pageUrl, queryParam, signInUrl } from "../paths.js";

const PAGE_SIZE = 20;
const slug = (queryParam("slug") || "").trim();
if (!slug) {
  window.location.replace(PAGES.categories);
}

mountFooter();
const userReady = mountHeader();

const nameSlot = document.querySelector("[data-category-name]");
const bannerSlot = document.querySelector("[data-category-banner]");
const breadcrumbs = document.querySelector("[data-breadcrumbs]");
const subcategories = document.querySelector("[data-subcategories]");
const joinSlot = document.querySelector("[data-join-slot]");
const joinMessage = document.querySelector("[data-join-message]");
const list = document.querySelector("[data-helper-cards]");
const listStatus = document.querySelector("[data-helpers-status]");
const loadMoreRow = document.querySelector("[data-load-more-row]");
const loadMore = document.querySelector("[data-load-more]");

let category = null;
let nextCursor = null;

function showCategory(found) {
  category = found;
  nameSlot.textContent = found.name;
  bannerSlot.textContent = found.banner || "";
  document.title = `${found.name} — live help on interKanect`;
}

function showNotFound() {
  nameSlot.textContent = "Category not found";
  bannerSlot.replaceChildren("We could not find that category. ",
    element("a", { href: PAGES.categories }, "See all categories"), ".");
  document.title = "Category not found — interKanect";
  listStatus.textContent = "";
  list.replaceChildren();
  joinSlot.replaceChildren();
}

/** Breadcrumbs to the parent, and the sub-categories of a parent, from the whole tree. */
async function showPlaceInTree() {
  let categories;
  try {
    ({ categories = [] } = await api.categories());
  } catch {
    return; // the page is complete without it
  }
  const all = bySlug(categories);
  const here = all.get(slug);
  if (!here) {
    return;
  }
  const parent = here.parent ? all.get(here.parent) : null;
  const crumbs = [element("li", {}, element("a", { href: PAGES.categories }, "Categories"))];
  if (parent) {
    crumbs.push(element("li", {}, element("a", { href: categoryUrl(parent.slug) }, parent.name)));
  }
  crumbs.push(element("li", { "aria-current": "page" }, here.name));
  breadcrumbs.replaceChildren(...crumbs);
  const children = categories.filter((c) => c.parent === slug);
  if (children.length) {
    subcategories.replaceChildren(...children.map((child) => element("li", {},
      element("a", { class: "pill-link", href: categoryUrl(child.slug) }, child.name))));
    subcategories.hidden = false;
  }
}

function showHelpers(helpers, { append }) {
  const cards = helpers.map(helperCard);
  if (append) {
    list.append(...cards);
  } else {
    list.replaceChildren(...cards);
  }
  const count = list.children.length;
  if (count === 0) {
    listStatus.textContent = "No Helpers are listed here yet. Be the first!";
  } else {
    listStatus.textContent = count === 1 ? "1 Helper" : `${count} Helpers`;
  }
  loadMoreRow.hidden = !nextCursor;
}

/** True when loaded, false when it failed (and says so), null when the category does not exist. */
async function loadHelpers({ append = false } = {}) {
  list.setAttribute("aria-busy", "true");
  loadMore.disabled = true;
  try {
    const cursor = append ? nextCursor : null;
    const answer = await api.category(slug, { limit: PAGE_SIZE, cursor });
    if (!category && answer.category) {
      showCategory(answer.category);
    }
    nextCursor = answer.next_cursor || null;
    showHelpers(answer.helpers || [], { append });
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      showNotFound();
      return null;
    }
    if (append) {
      listStatus.textContent = error.message;
    } else {
      listStatus.textContent = "";
      list.replaceChildren(element("li", { class: "listing-cards-wide" },
        loadFailure(error, () => loadHelpers())));
      if (!category) {
        nameSlot.textContent = "Category";
      }
    }
    return false;
  } finally {
    list.setAttribute("aria-busy", "false");
    loadMore.disabled = false;
  }
}

/* ---- Become A Helper / Leave this category ------------------------------------------ */

const categoryName = () => (category ? category.name : "this category");

function joinLink(href) {
  return element("a", { class: "button button-success button-large", href,
    "data-testid": "category-join" }, "Become A Helper");
}

function renderJoinButton(joined) {
  const button = element("button", {
    type: "button",
    class: joined ? "button button-secondary button-large" : "button button-success button-large",
    "data-testid": "category-join",
  }, joined ? "Leave this category" : "Become A Helper");
  button.addEventListener("click", async () => {
    button.disabled = true;
    joinMessage.textContent = "";
    joinMessage.classList.remove("is-error");
    try {
      if (joined) {
        await api.leaveCategory(slug);
        joinMessage.textContent = `You are no longer listed in ${categoryName()}.`;
      } else {
        await api.joinCategory(slug);
        joinMessage.textContent = `You are now listed in ${categoryName()}.`;
      }
      renderJoinButton(!joined);
      joinSlot.querySelector("button").focus();
      loadHelpers();
    } catch (error) {
      button.disabled = false;
      joinMessage.classList.add("is-error");
      joinMessage.textContent = error.message;
      if (error.code === "signed_out") {
        renderJoinFor(null);
      }
    }
  });
  joinSlot.replaceChildren(button);
}

function renderJoinFor(user, page = null) {
  if (!user && !isSignedIn()) {
    joinSlot.replaceChildren(joinLink(signInUrl()));
    return;
  }
  if (!page) {
    joinSlot.replaceChildren(joinLink(pageUrl(PAGES.becomeHelper, { join: slug })));
    return;
  }
  renderJoinButton((page.categories || []).includes(slug));
}

async function showJoinAction() {
  const user = await userReady;
  if (!user) {
    renderJoinFor(null);
    return;
  }
  if (user.is_helper === false) {
    renderJoinFor(user, null);
    return;
  }
  try {
    renderJoinFor(user, await api.myPage());
  } catch {
    renderJoinFor(user, null);
  }
}

loadMore.addEventListener("click", async () => {
  const before = list.children.length;
  if (await loadHelpers({ append: true })) {
    const first = list.children[before];
    const link = first && first.querySelector("a");
    if (link) {
      link.focus(); // keyboard users continue from the first new card
    }
  }
});

if (slug) {
  const loaded = await loadHelpers();
  if (loaded !== null) { // null: there is no such category
    startLiveStatus({ root: list });
    showPlaceInTree();
    showJoinAction();
  }
}
