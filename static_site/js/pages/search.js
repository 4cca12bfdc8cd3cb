/** Search page: Helpers whose name, headline, offer or categories match every word. */

import { api } from "../api.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { helperCard } from "../helper-card.js";
import { startLiveStatus } from "../live-status.js";
import { loadFailure } from "../load-failure.js";
import { queryParam } from "../paths.js";

const RESULTS = 20;

mountHeader();
mountFooter();

const form = document.querySelector("[data-search-form]");
const input = form.elements.namedItem("q");
const list = document.querySelector("[data-helper-cards]");
const status = document.querySelector("[data-search-status]");
const browse = document.querySelector("[data-search-browse]");
const query = (queryParam("q") || "").trim();

input.value = query;

async function search() {
  list.setAttribute("aria-busy", "true");
  status.textContent = `Searching for “${query}”…`;
  try {
    const { helpers = [] } = await api.search(query, { limit: RESULTS });
    list.replaceChildren(...helpers.map(helperCard));
    if (helpers.length === 0) {
      status.textContent = `No Helpers match “${query}”. Try fewer or shorter words.`;
    } else {
      const count = helpers.length === 1 ? "1 Helper matches" : `${helpers.length} Helpers match`;
      status.textContent = `${count} “${query}”.`;
    }
    browse.hidden = helpers.length > 0;
  } catch (error) {
    status.textContent = "";
    list.replaceChildren(element("li", { class: "listing-cards-wide" },
      loadFailure(error, search)));
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}

form.addEventListener("submit", (event) => {
  if (!input.value.trim()) {
    event.preventDefault();
    input.focus();
  }
});

if (query) {
  document.title = `${query} — Search helpers — interKanect`;
  await search();
  startLiveStatus({ root: list });
} else {
  status.textContent = "Search by skill, name or category.";
  browse.hidden = false;
  input.focus();
}
