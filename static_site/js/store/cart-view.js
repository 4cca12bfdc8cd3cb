/** Draws a store's cart (js/store/cart.js) in its side sheet, the `<dialog data-cart>` of
 * chalicelib/templates/cart_panel.html, and keeps the cart buttons' counts. Text goes in as text.
 *
 * Markup it reads: `[data-cart-lines]`, `[data-cart-empty]`, `[data-cart-problem]`,
 * `[data-cart-total]` with `[data-cart-sum]`, `[data-cart-shipping]` (optional), `[data-checkout]`,
 * `[data-cart-close]`, `[data-cart-heading-count]`; the buttons that open it, `[data-cart-open]`
 * each with a `[data-cart-count]`.
 *
 * It calls `onCheckout()` when the buyer asks to check out; the page tells it how that went with
 * `busy()`, `showProblem()` and `showChanges()`. */

import { element } from "../dom.js";
import { formatCents } from "../money.js";
import { maxQuantity } from "./cart.js";

const money = (cents) => (cents === 0 ? "Free" : formatCents(cents, { cents: true }));
const CHECKOUT_LABEL = "Check out with PayPal";
const units = (count) => `${count} ${count === 1 ? "item" : "items"}`;

export class CartView {
  constructor(dialog, cart, { openers = [], onCheckout = () => {} } = {}) {
    this.dialog = dialog;
    this.cart = cart;
    this.openers = [...openers];
    this.onCheckout = onCheckout;
    this.list = dialog.querySelector("[data-cart-lines]");
    this.empty = dialog.querySelector("[data-cart-empty]");
    this.problem = dialog.querySelector("[data-cart-problem]");
    this.total = dialog.querySelector("[data-cart-total]");
    this.sum = dialog.querySelector("[data-cart-sum]");
    this.shipping = dialog.querySelector("[data-cart-shipping]");
    this.checkout = dialog.querySelector("[data-checkout]");
    this.headingCount = dialog.querySelector("[data-cart-heading-count]");
    this.checkoutLabel = CHECKOUT_LABEL;
    this.working = false;
    // The page's words for the store's shipping, remembered for the pages without them.
    const shippingText = this.shipping ? this.shipping.textContent.trim() : "";
    if (shippingText) {
      cart.shippingText = shippingText;
    } else if (this.shipping && cart.shippingText) {
      this.shipping.textContent = cart.shippingText;
    }
    this.lastOpener = null;

    cart.addEventListener("change", () => this.draw());
    dialog.querySelector("[data-cart-close]").addEventListener("click", () => this.close());
    // A click on the backdrop (outside the sheet) lands on the dialog itself.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) {
        this.close();
      }
    });
    dialog.addEventListener("close", () => {
      for (const opener of this.openers) {
        opener.setAttribute("aria-expanded", "false");
      }
      document.documentElement.classList.remove("cart-is-open");
      if (this.lastOpener && this.lastOpener.isConnected) {
        this.lastOpener.focus();
      }
    });
    this.checkout.addEventListener("click", () => {
      if (!this.working && !this.cart.isEmpty) {
        this.onCheckout();
      }
    });
    this.list.addEventListener("click", (event) => this.lineAction(event));
    for (const opener of this.openers) {
      opener.addEventListener("click", () => this.open(opener));
      opener.removeAttribute("data-until-ready");
      opener.disabled = false;
    }
    this.draw();
  }

  get isOpen() {
    return this.dialog.open;
  }

  open(opener = null) {
    this.lastOpener = opener || document.activeElement;
    if (!this.dialog.open) {
      this.dialog.showModal();
    }
    document.documentElement.classList.add("cart-is-open");
    for (const button of this.openers) {
      button.setAttribute("aria-expanded", "true");
    }
    this.draw();
  }

  close() {
    if (this.dialog.open) {
      this.dialog.close();
    }
  }

  /** While the checkout runs: its button says so and nothing can be changed. */
  busy(working, label = "Opening PayPal…") {
    this.working = working;
    this.checkout.disabled = working || this.cart.isEmpty;
    this.checkout.textContent = working ? label : this.checkoutLabel;
    this.dialog.setAttribute("aria-busy", String(working));
    for (const control of this.list.querySelectorAll("button")) {
      control.disabled = working || control.hasAttribute("data-at-limit");
    }
  }

  showProblem(message) {
    this.checkoutLabel = CHECKOUT_LABEL;
    this.problem.hidden = !message;
    this.problem.replaceChildren(...(message ? [element("span", {}, message)] : []));
  }

  /** After a 409 cart_changed: what changed, line by line (the cart holds the new prices), and
   * the button asks the buyer to confirm them. */
  showChanges(changes, message) {
    const said = changes.map((change) => {
      const name = change.variant_name ? `${change.title} (${change.variant_name})` : change.title;
      if (change.change === "gone") {
        return `${name} is no longer available and left your cart.`;
      }
      if (change.change === "fewer") {
        return `Only ${change.quantity} of ${name} left: your cart now has ${change.quantity}.`;
      }
      return `${name} now costs ${money(change.now_cents)} (was ${money(change.was_cents)}).`;
    });
    this.problem.hidden = false;
    this.problem.replaceChildren(
      element("strong", {}, said.length ? "Your cart changed since you added these." : message),
      ...(said.length ? [element("ul", { class: "cart-changes" }, ...said.map((text) => element("li", {}, text)))] : []),
      element("span", {}, this.cart.isEmpty ? "" : "Check the new total, then check out again."));
    this.checkoutLabel = "Confirm and check out with PayPal";
    this.draw();
    this.problem.scrollIntoView({ block: "nearest" });
  }

  draw() {
    const lines = this.cart.lines;
    const count = this.cart.count;
    for (const opener of this.openers) {
      const badge = opener.querySelector("[data-cart-count]");
      if (badge) {
        badge.textContent = String(count);
        badge.hidden = count === 0;
      }
      opener.setAttribute("aria-label", count ? `Cart, ${units(count)}` : "Cart, empty");
    }
    this.headingCount.textContent = count ? `(${count})` : "";
    this.empty.hidden = lines.length > 0;
    this.list.hidden = lines.length === 0;
    this.total.hidden = lines.length === 0;
    if (this.shipping) {
      this.shipping.hidden = !this.cart.ships || !this.shipping.textContent.trim();
    }
    this.sum.textContent = money(this.cart.subtotalCents);
    if (lines.length === 0) {
      this.checkoutLabel = CHECKOUT_LABEL;
    }
    this.list.replaceChildren(...lines.map((line) => this.lineItem(line)));
    this.busy(this.working);
  }

  lineItem(line) {
    const name = line.variant_name ? `${line.title}, ${line.variant_name}` : line.title;
    const picture = line.image
      ? element("img", { src: line.image, alt: "", width: "72", height: "72", loading: "lazy", decoding: "async" })
      : element("span", { class: `cart-line-placeholder product-kind-${line.kind}` });
    const title = line.href
      ? element("a", { class: "cart-line-title", href: line.href }, line.title)
      : element("span", { class: "cart-line-title" }, line.title);
    const facts = [line.variant_name, line.kind === "digital" ? "Digital download" : null].filter(Boolean);
    const main = element("div", { class: "cart-line-main" }, title);
    if (facts.length) {
      main.append(element("p", { class: "cart-line-facts" }, facts.join(" · ")));
    }
    if (line.note && line.note.change === "price") {
      main.append(element("p", { class: "cart-line-note", "data-testid": "cart-line-changed" },
        `Now ${money(line.note.now_cents)} each, was ${money(line.note.was_cents)}`));
    } else if (line.note && line.note.change === "fewer") {
      main.append(element("p", { class: "cart-line-note" }, `Only ${line.note.quantity} left`));
    }
    const controls = element("div", { class: "cart-line-controls" });
    const most = maxQuantity(line);
    if (line.kind === "physical") {
      const less = element("button", {
        type: "button", class: "stepper-button", "data-step": "-1", "aria-label": `One less ${name}`,
      }, element("span", { "aria-hidden": "true" }, "−"));
      const more = element("button", {
        type: "button", class: "stepper-button", "data-step": "1", "aria-label": `One more ${name}`,
      }, element("span", { "aria-hidden": "true" }, "+"));
      if (line.quantity <= 1) {
        less.setAttribute("data-at-limit", "");
      }
      if (line.quantity >= most) {
        more.setAttribute("data-at-limit", "");
      }
      controls.append(element("div", { class: "stepper stepper-small", role: "group", "aria-label": `Quantity of ${name}` },
        less, element("span", { class: "stepper-value", "data-testid": "cart-quantity" }, String(line.quantity)), more));
    }
    controls.append(element("button", {
      type: "button", class: "cart-remove", "data-remove": "", "aria-label": `Remove ${name}`,
    }, "Remove"));
    main.append(controls);
    const price = element("p", { class: "cart-line-price", "data-testid": "cart-line-price" },
      money(line.price_cents * line.quantity));
    if (line.quantity > 1) {
      price.append(element("span", { class: "cart-line-each" }, `${money(line.price_cents)} each`));
    }
    return element("li", {
      class: `cart-line${line.note ? " is-changed" : ""}`, "data-slug": line.slug, "data-variant": line.variant_id,
      "data-testid": "cart-line",
    }, element("span", { class: "cart-line-image" }, picture), main, price);
  }

  lineAction(event) {
    const button = event.target instanceof Element ? event.target.closest("button") : null;
    const item = button ? button.closest("[data-slug][data-variant]") : null;
    if (!button || !item || this.working) {
      return;
    }
    const slug = item.getAttribute("data-slug");
    const variantId = item.getAttribute("data-variant");
    const line = this.cart.line(slug, variantId);
    if (!line) {
      return;
    }
    this.showProblem("");
    if (button.hasAttribute("data-remove")) {
      const next = item.nextElementSibling || item.previousElementSibling;
      this.cart.remove(slug, variantId);
      this.focusAfterRemoval(next);
      return;
    }
    const step = Number.parseInt(button.getAttribute("data-step") || "0", 10);
    if (step) {
      this.cart.setQuantity(slug, variantId, line.quantity + step);
      const again = this.list.querySelector(
        `[data-slug="${CSS.escape(slug)}"][data-variant="${CSS.escape(variantId)}"] [data-step="${step}"]`);
      if (again && !again.disabled) {
        again.focus();
      } else if (again) {
        again.closest(".stepper").querySelector("button:not([disabled])")?.focus();
      }
    }
  }

  focusAfterRemoval(neighbour) {
    const slug = neighbour && neighbour.getAttribute("data-slug");
    const variantId = neighbour && neighbour.getAttribute("data-variant");
    const target = slug
      ? this.list.querySelector(`[data-slug="${CSS.escape(slug)}"][data-variant="${CSS.escape(variantId)}"] [data-remove]`)
      : this.dialog.querySelector("[data-cart-close]");
    if (target) {
      target.focus();
    }
  }
}
