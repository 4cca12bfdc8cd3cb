/** The store's pages, rendered by the server (chalicelib/api/store_html.py): a Helper's store
 * (`/h/<username>/store`), a product (`/h/<username>/store/<slug>`) and the Marketplace
 * (`/marketplace`). Header and footer everywhere; in a store, its cart (js/store/cart.js, drawn
 * by js/store/cart-view.js in the `[data-cart]` sheet); on a product page, the gallery and the buy
 * box (js/store/product-view.js). Checking out (js/store/place-order.js) leads to PayPal, whose
 * return page (/pay-return.html) finishes the payment; a visitor signs in first and comes back
 * here with the cart open (`#cart`).
 *
 * Markup it reads: `[data-store]` with `data-seller` (the username) and `data-seller-id`,
 * `[data-cart-open]` buttons, `[data-cart]`, `[data-buy]`, and on a product page `[data-report]`
 * (js/reports.js). */

import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { formatCents } from "../money.js";
import { PAGES, pageUrl, signInUrl } from "../paths.js";
import { currentUserId, loadSession } from "../session.js";
import { Cart } from "../store/cart.js";
import { CartView } from "../store/cart-view.js";
import { placeOrder } from "../store/place-order.js";
import { BuyBox, wireGallery } from "../store/product-view.js";

const OPEN_CART = "#cart";

mountHeader();
mountFooter();

const store = document.querySelector("[data-store][data-seller]");
if (store) {
  startStore(store);
}
const reportBox = document.querySelector("[data-report]");
if (reportBox) { // a product page: its Report form, loaded only there
  import("../reports.js").then(({ wireReportBox }) => wireReportBox(reportBox));
}

function startStore(main) {
  const seller = main.getAttribute("data-seller");
  const sellerId = main.getAttribute("data-seller-id");
  const cart = new Cart(seller, { sellerId, storeHref: `/h/${encodeURIComponent(seller)}/store` });
  cart.followOtherTabs();
  const ownStore = Boolean(loadSession()) && currentUserId() === sellerId;

  const dialog = main.querySelector("[data-cart]");
  const cartView = dialog
    ? new CartView(dialog, cart, { openers: main.querySelectorAll("[data-cart-open]"), onCheckout: checkOutCart })
    : null;

  wireGallery(main);
  const form = main.querySelector("[data-buy]");
  const buyBox = form ? new BuyBox(form, { onBuyNow: buyNow, onAddToCart: addToCart }) : null;
  if (buyBox) {
    buyBox.ready();
    if (ownStore) {
      buyBox.ownStore();
    }
  }

  if (cartView && window.location.hash === OPEN_CART) {
    // Back from signing in: the cart, open, to check out.
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    cartView.open();
  }

  /** After signing in, the buyer comes back to this page with its cart open. */
  function signInFirst() {
    window.location.assign(signInUrl(window.location.pathname + window.location.search + OPEN_CART));
  }

  function addToCart(item, quantity) {
    const added = cart.add(item, quantity);
    if (!added.ok) {
      buyBox.say(added.reason, { error: true });
      return false;
    }
    buyBox.say(added.capped ? `Only ${added.quantity} left: your cart has ${added.quantity}.` : "Added to your cart.");
    if (cartView) {
      cartView.open(form.querySelector("[data-add-to-cart]"));
    }
    return true;
  }

  async function checkOutCart() {
    if (ownStore) {
      cartView.showProblem("This is your own store: you cannot buy from it.");
      return;
    }
    cartView.showProblem("");
    cartView.busy(true);
    const result = await placeOrder({ seller, lines: cart.checkoutLines() });
    if (!follow(result)) {
      cartView.busy(false);
      if (result.outcome === "changed") {
        cartView.showChanges(cart.applyStoreState(result.current), result.message);
        showCurrentPrices(result.current);
      } else {
        cartView.showProblem(result.message);
      }
    }
  }

  /** Buy now: this item alone, straight to PayPal (a visitor puts it in the cart and signs in). */
  async function buyNow(item, quantity) {
    if (!loadSession()) {
      if (cart.add(item, quantity).ok || cart.line(item.slug, item.variant_id)) {
        signInFirst();
      }
      return;
    }
    buyBox.say("");
    buyBox.busy(true);
    const result = await placeOrder({
      seller, lines: [{ slug: item.slug, variant_id: item.variant_id, quantity, seen_price_cents: item.price_cents }],
    });
    if (follow(result)) {
      return;
    }
    buyBox.busy(false);
    if (result.outcome === "changed") {
      cart.applyStoreState(result.current); // the same line in the cart gets the new price too
      const now = result.current.find((line) => line.slug === item.slug && line.variant_id === item.variant_id);
      if (now && now.available && Number.isSafeInteger(now.price_cents)) {
        buyBox.updateVariant(item.variant_id, now);
        buyBox.say(`The price changed to ${now.price_cents === 0 ? "free" : formatCents(now.price_cents, { cents: true })} `
          + "since this page was loaded. Press Buy now to pay the new price.", { error: true });
      } else {
        buyBox.say("This is no longer for sale.", { error: true });
      }
    } else {
      buyBox.say(result.message, { error: true });
    }
  }

  /** The store's current prices of this page's product (a cart's answer may carry them). */
  function showCurrentPrices(current) {
    const slug = form && form.getAttribute("data-slug");
    for (const line of current) {
      if (buyBox && line.slug === slug && line.available && Number.isSafeInteger(line.price_cents)) {
        buyBox.updateVariant(line.variant_id, line);
      }
    }
  }

  /** Goes where a placed order leads (PayPal, the library, signing in); false when the page
   * stays to tell the buyer what the store said. */
  function follow(result) {
    switch (result.outcome) {
      case "approve":
        window.location.assign(result.url);
        return true;
      case "paid":
        cart.forgetOrdered(result.order ? result.order.lines : []);
        window.location.assign(pageUrl(PAGES.library, { order: result.order && result.order.order_id }));
        return true;
      case "sign_in":
        signInFirst();
        return true;
      default:
        return false;
    }
  }
}
