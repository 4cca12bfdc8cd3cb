/** My Store: the list of products — cover picture, title (to its editor), kind, status, price
 * and what is left in stock, and for a product on sale its page in the store. */

import { element } from "../../dom.js";
import { safeHref } from "../../helper-card.js";
import { PAGES, pageUrl } from "../../paths.js";
import { KINDS, STATUSES, priceSummary, productPath, stockSummary } from "./catalogue.js";

const table = document.querySelector("[data-product-table]");
const rows = document.querySelector("[data-product-rows]");
const first = document.querySelector("[data-first-product]");
const more = document.querySelector("[data-more-products]");

function thumbnail(product) {
  const src = safeHref((product.images || [])[0], null);
  if (!src) {
    return element("span", { class: "product-thumb product-thumb-empty", "aria-hidden": "true" },
      product.kind === "digital" ? "⤓" : "▣");
  }
  return element("span", { class: "product-thumb" },
    element("img", { src, alt: "", width: "56", height: "56", loading: "lazy", decoding: "async" }));
}

function cell(label, content, className) {
  return element("span", { class: `product-cell ${className}` },
    element("span", { class: "product-cell-label" }, label), content);
}

function productRow(product, username) {
  const editor = pageUrl(PAGES.myStore, { product: product.slug });
  const details = [KINDS[product.kind] || product.kind];
  if (product.kind === "digital") {
    const count = (product.files || []).length;
    details.push(count ? `${count} ${count === 1 ? "file" : "files"}` : "no file yet");
  }
  if ((product.variants || []).length > 1) {
    details.push(`${product.variants.length} variants`);
  }
  const links = element("span", { class: "product-row-links" },
    element("a", { class: "button button-secondary button-small", href: editor },
      "Edit", element("span", { class: "visually-hidden" }, ` ${product.title}`)));
  if (product.status === "active" && username) {
    links.append(element("a", { class: "button button-ghost button-small", href: productPath(username, product.slug) },
      "View", element("span", { class: "visually-hidden" }, ` ${product.title} in your store`)));
  }
  const stock = stockSummary(product);
  return element("li", { class: "product-row", "data-testid": "product-row", "data-product": product.slug,
    "data-status": product.status },
  thumbnail(product),
  element("span", { class: "product-row-main" },
    element("a", { class: "product-row-title", href: editor }, product.title),
    element("span", { class: "product-row-meta" }, details.join(" · "))),
  cell("Status", element("span", { class: `badge product-status status-${product.status}`,
    "data-product-status": product.status }, STATUSES[product.status] || product.status), "product-row-status"),
  cell("Price", element("span", { "data-product-price": "" }, priceSummary(product)), "product-row-price"),
  cell("Stock", element("span", { class: stock === "Sold out" ? "is-sold-out" : "", "data-product-stock": "" }, stock),
    "product-row-stock"),
  links);
}

/** Draws the products (added to those shown with `append`); the first-product invitation when
 * there are none, and More when the server has more. */
export function drawProducts(products, { username, hasMore, append = false }) {
  const drawn = products.map((product) => productRow(product, username));
  if (append) {
    rows.append(...drawn);
  } else {
    rows.replaceChildren(...drawn);
  }
  first.hidden = rows.children.length > 0;
  table.hidden = rows.children.length === 0;
  more.hidden = !hasMore;
}

export const moreButton = more;
