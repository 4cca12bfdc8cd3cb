/** A store's cart: what the buyer picked in one Helper's store, kept in the browser (one
 * localStorage key per seller username, so each store has its own cart), and what the store
 * said about it at checkout. No DOM here: cart-view.js draws it, pages/store.js wires both.
 *
 * A line is `{slug, variant_id, quantity, title, variant_name, kind, price_cents, stock, image,
 * href, note}`: the unit price is the one the buyer was shown (sent as `seen_price_cents`, so
 * the server refuses to charge a price that changed meanwhile), `stock` the units left when it
 * was added (null: unlimited), `note` what changed at the last checkout (null when nothing).
 * The store's shipping rule, in words (`shippingText`), is kept too, for the pages that do not
 * say it (a digital product's).
 *
 * Events (it is an EventTarget):
 *   "change" — the lines changed (here, or in another tab of the same store). */

export const MAX_LINES = 20; // the server's MAX_CART_LINES
export const MAX_QUANTITY = 99; // of one variant
const PREFIX = "interkanect.cart.";
const VERSION = 1;

/** The localStorage key of a store's cart. */
export function cartKey(seller) {
  return PREFIX + String(seller).toLowerCase();
}

const lineKey = (slug, variantId) => `${slug}/${variantId}`;
const isCents = (value) => Number.isSafeInteger(value) && value >= 0;

/** The most of a line the buyer may ask for: one of a download, the units left, 99. */
export function maxQuantity(line) {
  if (line.kind === "digital") {
    return 1;
  }
  return Number.isSafeInteger(line.stock) ? Math.max(0, Math.min(MAX_QUANTITY, line.stock)) : MAX_QUANTITY;
}

function cleanLine(raw) {
  if (!raw || typeof raw !== "object" || typeof raw.slug !== "string" || typeof raw.variant_id !== "string"
      || !Number.isSafeInteger(raw.quantity) || raw.quantity < 1 || !isCents(raw.price_cents)) {
    return null;
  }
  const line = {
    slug: raw.slug,
    variant_id: raw.variant_id,
    quantity: raw.quantity,
    title: typeof raw.title === "string" ? raw.title : raw.slug,
    variant_name: typeof raw.variant_name === "string" ? raw.variant_name : "",
    kind: raw.kind === "digital" ? "digital" : "physical",
    price_cents: raw.price_cents,
    stock: Number.isSafeInteger(raw.stock) ? raw.stock : null,
    image: typeof raw.image === "string" && raw.image.startsWith("/") && !raw.image.startsWith("//") ? raw.image : null,
    href: typeof raw.href === "string" && raw.href.startsWith("/") && !raw.href.startsWith("//") ? raw.href : null,
    note: raw.note && typeof raw.note === "object" ? raw.note : null,
  };
  line.quantity = Math.max(1, Math.min(line.quantity, maxQuantity(line) || 1));
  return line;
}

/** localStorage when the browser lets the page use it, else a map that lasts as long as the page. */
function defaultStorage() {
  try {
    const storage = window.localStorage;
    const probe = `${PREFIX}probe`;
    storage.setItem(probe, "1");
    storage.removeItem(probe);
    return storage;
  } catch {
    const kept = new Map();
    return {
      getItem: (key) => (kept.has(key) ? kept.get(key) : null),
      setItem: (key, value) => kept.set(key, String(value)),
      removeItem: (key) => kept.delete(key),
      key: (index) => [...kept.keys()][index] ?? null,
      get length() { return kept.size; },
    };
  }
}

export class Cart extends EventTarget {
  /** The cart of the store of `seller` (a username); `sellerId` and `storeHref` are kept with it
   * so that the payment's return page can find it and lead back. */
  constructor(seller, { sellerId = null, storeHref = null, storage = defaultStorage() } = {}) {
    super();
    this.seller = String(seller);
    this.key = cartKey(seller);
    this.storage = storage;
    this.sellerId = sellerId;
    this.storeHref = storeHref;
    this.shippingText = "";
    this.items = [];
    this.reload();
  }

  /** Reads the lines kept in storage (another tab may have changed them). */
  reload() {
    let saved = null;
    try {
      saved = JSON.parse(this.storage.getItem(this.key) || "null");
    } catch {
      saved = null;
    }
    const lines = saved && Array.isArray(saved.lines) ? saved.lines.map(cleanLine).filter(Boolean) : [];
    this.items = lines.slice(0, MAX_LINES);
    if (saved && !this.sellerId && typeof saved.seller_id === "string") {
      this.sellerId = saved.seller_id;
    }
    if (saved && !this.storeHref && typeof saved.store_href === "string") {
      this.storeHref = saved.store_href;
    }
    if (saved && !this.shippingText && typeof saved.shipping === "string") {
      this.shippingText = saved.shipping;
    }
  }

  /** Calls `listener` when another tab changes this cart, after reloading it. */
  followOtherTabs(target = window) {
    target.addEventListener("storage", (event) => {
      if (event.key === this.key || event.key === null) {
        this.reload();
        this.dispatchEvent(new Event("change"));
      }
    });
  }

  get lines() {
    return this.items.map((line) => ({ ...line }));
  }

  get isEmpty() {
    return this.items.length === 0;
  }

  /** How many units: what the cart button shows. */
  get count() {
    return this.items.reduce((sum, line) => sum + line.quantity, 0);
  }

  /** The lines at the prices shown, before shipping (integer cents). */
  get subtotalCents() {
    return this.items.reduce((sum, line) => sum + line.price_cents * line.quantity, 0);
  }

  /** True when something in it is shipped. */
  get ships() {
    return this.items.some((line) => line.kind === "physical");
  }

  line(slug, variantId) {
    const found = this.items.find((line) => lineKey(line.slug, line.variant_id) === lineKey(slug, variantId));
    return found ? { ...found } : null;
  }

  /** Adds `quantity` of a variant (merged with the same variant already in the cart, at the price
   * shown now). Answers `{ok, quantity, capped, reason}`: `capped` when less was added than asked
   * (the units left, one of a download, 99), `reason` when nothing could be. */
  add(item, quantity = 1) {
    const fresh = cleanLine({ ...item, quantity: 1 });
    if (!fresh || !Number.isSafeInteger(quantity) || quantity < 1) {
      return { ok: false, quantity: 0, capped: false, reason: "That cannot go in the cart." };
    }
    const most = maxQuantity(fresh);
    if (most === 0) {
      return { ok: false, quantity: 0, capped: false, reason: "Sold out." };
    }
    const index = this.items.findIndex((line) => lineKey(line.slug, line.variant_id)
      === lineKey(fresh.slug, fresh.variant_id));
    if (index === -1 && this.items.length >= MAX_LINES) {
      return { ok: false, quantity: 0, capped: false,
        reason: `A cart holds ${MAX_LINES} different items. Check out these first.` };
    }
    const before = index === -1 ? 0 : this.items[index].quantity;
    const wanted = before + quantity;
    const total = Math.min(wanted, most);
    if (total === before && index !== -1) {
      return { ok: false, quantity: before, capped: true,
        reason: fresh.kind === "digital" ? "It is in your cart already." : "You have all there is in your cart." };
    }
    const line = { ...fresh, quantity: total, note: null };
    if (index === -1) {
      this.items.push(line);
    } else {
      this.items[index] = line;
    }
    this.save();
    return { ok: true, quantity: total, capped: total < wanted, reason: null };
  }

  /** Sets a line's quantity (within 1 and its most); 0 removes it. */
  setQuantity(slug, variantId, quantity) {
    if (quantity <= 0) {
      this.remove(slug, variantId);
      return;
    }
    const line = this.items.find((l) => lineKey(l.slug, l.variant_id) === lineKey(slug, variantId));
    if (!line) {
      return;
    }
    const next = Math.max(1, Math.min(quantity, maxQuantity(line) || 1));
    if (next !== line.quantity) {
      line.quantity = next;
      line.note = null;
      this.save();
    }
  }

  remove(slug, variantId) {
    const before = this.items.length;
    this.items = this.items.filter((l) => lineKey(l.slug, l.variant_id) !== lineKey(slug, variantId));
    if (this.items.length !== before) {
      this.save();
    }
  }

  clear() {
    this.items = [];
    this.save();
  }

  /** The body's `lines` for `POST /checkout`. */
  checkoutLines() {
    return this.items.map(({ slug, variant_id, quantity, price_cents }) => ({
      slug, variant_id, quantity, seen_price_cents: price_cents,
    }));
  }

  /** Takes the store's answer to a checkout (`error.details.lines` of a 409 `cart_changed`, each
   * `{slug, variant_id, quantity, available, title, variant_name, price_cents, stock}`): new
   * prices and names replace the ones shown, lines no longer on sale leave the cart, quantities
   * shrink to the units left. Answers what changed, line by line, for the buyer to confirm:
   * `[{slug, variant_id, title, variant_name, change: "price"|"gone"|"fewer", was_cents,
   * now_cents, quantity}]`. */
  applyStoreState(current) {
    const changes = [];
    const byKey = new Map((Array.isArray(current) ? current : [])
      .filter((line) => line && typeof line.slug === "string" && typeof line.variant_id === "string")
      .map((line) => [lineKey(line.slug, line.variant_id), line]));
    const kept = [];
    for (const line of this.items) {
      const now = byKey.get(lineKey(line.slug, line.variant_id));
      if (!now) {
        kept.push({ ...line, note: null });
        continue;
      }
      const base = { slug: line.slug, variant_id: line.variant_id,
        title: typeof now.title === "string" && now.title ? now.title : line.title,
        variant_name: typeof now.variant_name === "string" ? now.variant_name : line.variant_name };
      if (!now.available || !isCents(now.price_cents)) {
        changes.push({ ...base, change: "gone", was_cents: line.price_cents, now_cents: null, quantity: line.quantity });
        continue;
      }
      const updated = { ...line, title: base.title, variant_name: base.variant_name, price_cents: now.price_cents,
        stock: Number.isSafeInteger(now.stock) ? now.stock : null, note: null };
      const most = maxQuantity(updated);
      if (most === 0) {
        changes.push({ ...base, change: "gone", was_cents: line.price_cents, now_cents: now.price_cents,
          quantity: line.quantity });
        continue;
      }
      if (now.price_cents !== line.price_cents) {
        updated.note = { change: "price", was_cents: line.price_cents, now_cents: now.price_cents };
        changes.push({ ...base, change: "price", was_cents: line.price_cents, now_cents: now.price_cents,
          quantity: line.quantity });
      }
      if (updated.quantity > most) {
        updated.quantity = most;
        updated.note = updated.note || { change: "fewer", quantity: most };
        changes.push({ ...base, change: "fewer", was_cents: line.price_cents, now_cents: now.price_cents,
          quantity: most });
      }
      kept.push(updated);
    }
    this.items = kept;
    this.save();
    return changes;
  }

  /** Forgets the lines an order took (the rest stays: something added meanwhile in another tab). */
  forgetOrdered(orderLines) {
    const ordered = new Set((orderLines || []).map((line) => lineKey(line.slug, line.variant_id)));
    this.items = this.items.filter((line) => !ordered.has(lineKey(line.slug, line.variant_id)));
    this.save();
  }

  save() {
    try {
      if (this.items.length) {
        this.storage.setItem(this.key, JSON.stringify({
          version: VERSION, seller: this.seller, seller_id: this.sellerId, store_href: this.storeHref,
          shipping: this.shippingText, lines: this.items,
        }));
      } else {
        this.storage.removeItem(this.key);
      }
    } catch {
      // Storage full or refused: the cart lasts as long as the page.
    }
    this.dispatchEvent(new Event("change"));
  }
}

/** The carts of one seller (by user id: a payment names its seller so), in any store name they
 * were kept under. */
export function cartsOfSeller(sellerId, storage = defaultStorage()) {
  const carts = [];
  for (let index = 0; index < storage.length; index += 1) {
    const key = storage.key(index);
    if (!key || !key.startsWith(PREFIX)) {
      continue;
    }
    try {
      const saved = JSON.parse(storage.getItem(key) || "null");
      if (saved && saved.seller_id === sellerId && typeof saved.seller === "string") {
        carts.push(new Cart(saved.seller, { storage }));
      }
    } catch {
      // Not a cart we can read: leave it.
    }
  }
  return carts;
}
