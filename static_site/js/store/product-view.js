/** A product page's own parts (chalicelib/templates/product_page.html): the gallery, whose
 * thumbnails switch the main picture, and the buy box, where the chosen variant sets the price,
 * the units left and the most one may order.
 *
 * Markup it reads: `[data-main-image]` and `[data-show-image="<src>"]` buttons (with
 * `data-show-srcset` when the picture has two sizes); the form
 * `[data-buy]` (`data-slug`, `data-title`, `data-kind`, `data-href`, `data-image`) with the
 * variants as `input[name=variant]` (`data-price-cents`, `data-price-text`, `data-name`,
 * `data-stock`, `data-stock-text`), `input[name=quantity]` with its `[data-step]` buttons,
 * `[data-price]`, `[data-stock-note]`, `[data-buy-now]`, `[data-add-to-cart]`, `[data-buy-status]`. */

import { formatCents } from "../money.js";
import { MAX_QUANTITY } from "./cart.js";

/** Whether `src` is a path on the site itself (not another origin, not `javascript:`). */
function ownPath(src) {
  return Boolean(src) && src.startsWith("/") && !src.startsWith("//");
}

/** Thumbnails switch the main picture (and say which one shows). */
export function wireGallery(root = document) {
  const main = root.querySelector("[data-main-image]");
  const thumbs = [...root.querySelectorAll("[data-show-image]")];
  if (!main || thumbs.length < 2) {
    return;
  }
  const title = main.getAttribute("alt") || "";
  thumbs.forEach((thumb, index) => {
    thumb.addEventListener("click", () => {
      const src = thumb.getAttribute("data-show-image");
      if (!ownPath(src)) {
        return;
      }
      // Each candidate of the srcset is one of the site's own pictures, as the src is.
      const srcset = thumb.getAttribute("data-show-srcset");
      if (srcset && srcset.split(",").every((c) => ownPath(c.trim().split(" ")[0]))) {
        main.srcset = srcset;
      } else {
        main.removeAttribute("srcset");
      }
      main.src = src;
      main.alt = thumbs.length > 1 ? `${title}, picture ${index + 1} of ${thumbs.length}` : title;
      for (const other of thumbs) {
        if (other === thumb) {
          other.setAttribute("aria-current", "true");
        } else {
          other.removeAttribute("aria-current");
        }
      }
    });
  });
}

const priceText = (cents) => (cents === 0 ? "Free" : formatCents(cents, { cents: true }));

export class BuyBox {
  /** `form` is `[data-buy]`; `onBuyNow(item, quantity)` and `onAddToCart(item, quantity)` get
   * what was chosen (the cart's line fields). */
  constructor(form, { onBuyNow, onAddToCart }) {
    this.form = form;
    this.page = form.closest("main") || document;
    this.price = this.page.querySelector("[data-price]");
    this.stockNote = this.page.querySelector("[data-stock-note]");
    this.quantity = form.querySelector("input[name='quantity']");
    this.status = form.querySelector("[data-buy-status]");
    this.buyNow = form.querySelector("[data-buy-now]");
    this.addToCart = form.querySelector("[data-add-to-cart]");
    this.variants = [...form.querySelectorAll("input[name='variant']")];

    form.addEventListener("change", (event) => {
      if (event.target instanceof HTMLInputElement && event.target.name === "variant") {
        this.showVariant();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = this.chosen();
      if (chosen) {
        onBuyNow(chosen.item, chosen.quantity);
      }
    });
    if (this.addToCart) {
      this.addToCart.addEventListener("click", () => {
        const chosen = this.chosen();
        if (chosen) {
          onAddToCart(chosen.item, chosen.quantity);
        }
      });
    }
    for (const step of form.querySelectorAll("[data-step]")) {
      step.addEventListener("click", () => {
        const by = Number.parseInt(step.getAttribute("data-step"), 10);
        this.setQuantity(this.quantityValue() + by);
      });
    }
    if (this.quantity) {
      this.quantity.addEventListener("input", () => this.showSteps());
      this.quantity.addEventListener("change", () => this.setQuantity(this.quantityValue()));
    }
    this.showVariant();
  }

  /** Buttons work from here on (disabled in the HTML until the script is ready). */
  ready() {
    for (const button of this.form.querySelectorAll("[data-until-ready]")) {
      button.removeAttribute("data-until-ready");
      button.disabled = false;
    }
    this.showVariant();
  }

  /** Nobody buys from their own store: the buttons stay off and say why. */
  ownStore() {
    for (const button of [this.buyNow, this.addToCart]) {
      if (button) {
        button.disabled = true;
      }
    }
    this.say("This is your store: people see these buttons to buy.");
  }

  say(message, { error = false } = {}) {
    if (this.status) {
      this.status.textContent = message;
      this.status.classList.toggle("is-error", error);
    }
  }

  selectedInput() {
    return this.variants.find((input) => input.type === "hidden" || input.checked) || null;
  }

  /** The item for the cart, and how many. */
  chosen() {
    const input = this.selectedInput();
    if (!input) {
      this.say("Choose one first.", { error: true });
      this.form.querySelector("input[name='variant']:not([disabled])")?.focus();
      return null;
    }
    const stock = input.hasAttribute("data-stock") ? Number.parseInt(input.getAttribute("data-stock"), 10) : null;
    const form = this.form;
    const item = {
      slug: form.getAttribute("data-slug"),
      variant_id: input.value,
      title: form.getAttribute("data-title") || "",
      variant_name: this.variants.length > 1 ? input.getAttribute("data-name") || "" : "",
      kind: form.getAttribute("data-kind") === "digital" ? "digital" : "physical",
      price_cents: Number.parseInt(input.getAttribute("data-price-cents"), 10),
      stock: Number.isSafeInteger(stock) ? stock : null,
      image: form.getAttribute("data-image"),
      href: form.getAttribute("data-href"),
    };
    return { item, quantity: this.quantity ? this.quantityValue() : 1 };
  }

  /** The store said this variant now costs `price_cents` (and has `stock` left): the page shows it. */
  updateVariant(variantId, { price_cents, stock }) {
    const input = this.variants.find((candidate) => candidate.value === variantId);
    if (!input || !Number.isSafeInteger(price_cents)) {
      return;
    }
    input.setAttribute("data-price-cents", String(price_cents));
    input.setAttribute("data-price-text", priceText(price_cents));
    const label = input.closest("label");
    const shown = label && label.querySelector(".variant-price");
    if (shown) {
      shown.textContent = priceText(price_cents);
    }
    if (Number.isSafeInteger(stock)) {
      input.setAttribute("data-stock", String(stock));
      input.removeAttribute("data-stock-text");
    }
    this.showVariant();
  }

  mostForChosen() {
    const input = this.selectedInput();
    const stock = input && input.hasAttribute("data-stock") ? Number.parseInt(input.getAttribute("data-stock"), 10) : null;
    return Number.isSafeInteger(stock) ? Math.max(1, Math.min(MAX_QUANTITY, stock)) : MAX_QUANTITY;
  }

  showVariant() {
    const input = this.selectedInput();
    if (!input) {
      return;
    }
    if (this.price) {
      this.price.textContent = input.getAttribute("data-price-text")
        || priceText(Number.parseInt(input.getAttribute("data-price-cents"), 10));
    }
    if (this.stockNote) {
      const text = input.getAttribute("data-stock-text") || "";
      const stock = input.hasAttribute("data-stock") ? Number.parseInt(input.getAttribute("data-stock"), 10) : null;
      const shown = text || (Number.isSafeInteger(stock) && stock > 0 && stock <= 10 ? `${stock} left` : "");
      this.stockNote.textContent = shown;
      this.stockNote.hidden = !shown;
    }
    if (this.quantity) {
      this.quantity.max = String(this.mostForChosen());
      this.setQuantity(this.quantityValue());
    }
  }

  quantityValue() {
    const value = Number.parseInt(this.quantity ? this.quantity.value : "1", 10);
    return Number.isSafeInteger(value) ? value : 1;
  }

  setQuantity(value) {
    if (!this.quantity) {
      return;
    }
    const next = Math.max(1, Math.min(this.mostForChosen(), value));
    if (String(next) !== this.quantity.value) {
      this.quantity.value = String(next);
    }
    this.showSteps();
  }

  showSteps() {
    const value = this.quantityValue();
    for (const step of this.form.querySelectorAll("[data-step]")) {
      if (step.hasAttribute("data-until-ready")) {
        continue;
      }
      const by = Number.parseInt(step.getAttribute("data-step"), 10);
      step.disabled = by < 0 ? value <= 1 : value >= this.mostForChosen();
    }
  }

  /** While a Buy now runs. */
  busy(working) {
    if (this.buyNow) {
      if (!this.buyNow.dataset.idleLabel) {
        this.buyNow.dataset.idleLabel = this.buyNow.textContent;
      }
      this.buyNow.disabled = working;
      this.buyNow.textContent = working ? "Opening PayPal…" : this.buyNow.dataset.idleLabel;
    }
    if (this.addToCart) {
      this.addToCart.disabled = working;
    }
    this.form.setAttribute("aria-busy", String(working));
  }
}
