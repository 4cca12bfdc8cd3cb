/** My Store's state and the rules it follows, without any DOM: who is selling, their products,
 * the product being edited, the words for a product's status and stock, reading amounts and
 * stock as the API takes them (integer cents, whole units or null for unlimited), a refund of an
 * order (exact cents up to what is left, and its reason), which type a
 * chosen file is uploaded as, and the way back from storage (S3 sends the browser back to
 * `/my-store.html?product=<slug>&key=<key>&bucket=…&etag=…` after an upload). */

import { dollarsToCents, formatCents } from "../../money.js";

export const MAX_PICTURES = 8;
export const MAX_FILES = 10;
export const MAX_VARIANTS = 20;
export const MAX_STOCK = 1_000_000;

export const STATUSES = Object.freeze({
  draft: "Draft",
  active: "Active",
  archived: "Archived",
});

export const KINDS = Object.freeze({ digital: "Digital", physical: "Physical" });

/** The picture types a product may show (chalicelib/domain/store.py IMAGE_TYPES). */
export const PICTURE_TYPES = Object.freeze(["image/jpeg", "image/png", "image/webp"]);

/** The files a digital product may deliver, by extension (chalicelib/domain/store.py
 * FILE_TYPES): a browser names some types its own way (a ZIP as application/x-zip-compressed),
 * so the extension decides. */
export const FILE_TYPES = Object.freeze({
  pdf: "application/pdf", zip: "application/zip", epub: "application/epub+zip",
  mp3: "audio/mpeg", wav: "audio/wav", mp4: "video/mp4", jpg: "image/jpeg", jpeg: "image/jpeg",
  png: "image/png", txt: "text/plain", csv: "text/csv",
});

/** What the page knows: filled by the wiring (my-store.js) as answers arrive. */
export const store = {
  user: null, // `GET /me`
  page: null, // `GET /me/page`: username and the help categories a product may be listed in
  categoryNames: new Map(), // slug → name, from `GET /categories`
  storefront: null, // null until the Helper has one: nothing goes on sale without it
  products: [],
  nextCursor: null,
  product: null, // the product in the editor, null for a new one
  dirty: false,
};

export function storePath(username) {
  return `/h/${encodeURIComponent(username)}/store`;
}

export function productPath(username, slug) {
  return `${storePath(username)}/${encodeURIComponent(slug)}`;
}

/** "$12", "From $12" when the variants' prices differ, "Free". */
export function priceSummary(product) {
  const prices = (product.variants || []).map((v) => v.price_cents).filter(Number.isSafeInteger);
  if (!prices.length) {
    return "";
  }
  const lowest = Math.min(...prices);
  const label = lowest === 0 ? "Free" : formatCents(lowest);
  return prices.some((price) => price !== lowest) ? `From ${label}` : label;
}

/** What is left to sell: "Unlimited", "Sold out", "12 in stock" (and across how many variants). */
export function stockSummary(product) {
  const variants = product.variants || [];
  if (product.kind === "digital") {
    return "Unlimited";
  }
  if (variants.some((v) => v.stock === null || v.stock === undefined)) {
    return "Unlimited";
  }
  const total = variants.reduce((sum, v) => sum + v.stock, 0);
  if (total === 0) {
    return "Sold out";
  }
  const across = variants.length > 1 ? ` across ${variants.length} variants` : "";
  return `${total.toLocaleString()} in stock${across}`;
}

export const REFUND_REASON = Object.freeze({ min: 3, max: 500 });

/** What is left to give back of a paid order, in cents. */
export function refundableCents(order) {
  return Math.max(0, (order.total_cents || 0) - (order.refunded_cents || 0));
}

/** A refund as the API takes it, `{refund: {amount_cents, reason}}`, or `{problems: [{field,
 * message}]}`: dollars read as exact cents, from one cent to `left`; a reason the buyer reads. */
export function readRefund({ amount, reason }, left) {
  const problems = [];
  const cents = dollarsToCents(amount);
  if (cents === null) {
    problems.push({ field: "amount_cents", message: "Enter an amount in dollars, like 5 or 4.50." });
  } else if (cents < 1) {
    problems.push({ field: "amount_cents", message: "Refund at least $0.01." });
  } else if (cents > left) {
    problems.push({ field: "amount_cents",
      message: `Only ${formatCents(left, { cents: true })} is left to refund.` });
  }
  const text = String(reason).trim();
  if (text.length < REFUND_REASON.min) {
    problems.push({ field: "reason", message: "Say why in a few words: the buyer reads it." });
  } else if ([...text].length > REFUND_REASON.max) {
    problems.push({ field: "reason", message: `Keep the reason under ${REFUND_REASON.max} characters.` });
  }
  return problems.length ? { problems } : { refund: { amount_cents: cents, reason: text } };
}

/** "1.5 MB", "820 KB", "12 bytes". */
export function formatBytes(size) {
  if (!Number.isFinite(size) || size < 0) {
    return "";
  }
  if (size < 1024) {
    return `${size} ${size === 1 ? "byte" : "bytes"}`;
  }
  const units = ["KB", "MB", "GB"];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** The type a chosen file is uploaded as, or null when a product cannot deliver it. */
export function fileTypeOf(name, browserType) {
  const extension = String(name || "").split(".").pop().toLowerCase();
  return FILE_TYPES[extension] || (Object.values(FILE_TYPES).includes(browserType) ? browserType : null);
}

/** One variant row as the API takes it: `{variant}` or `{error: {part, message}}` (part: the
 * variant's field at fault). Digital goods have no stock (always unlimited). */
export function readVariant({ variantId, name, sku, price, unlimited, stock }, kind) {
  const cents = dollarsToCents(price);
  if (cents === null) {
    return { error: { part: "price_cents", message: "Enter a price in dollars, like 25 or 24.50 (0 for free)." } };
  }
  let units = null;
  if (kind === "physical" && !unlimited) {
    const text = String(stock).trim();
    if (!/^\d{1,7}$/.test(text) || Number(text) > MAX_STOCK) {
      return { error: { part: "stock", message: "Enter how many you have (a whole number), or choose Unlimited." } };
    }
    units = Number(text);
  }
  const variant = { name: name.trim(), sku: sku.trim(), price_cents: cents, stock: units };
  if (variantId) {
    variant.variant_id = variantId; // carts and orders name variants by id: keep it
  }
  return { variant };
}

/** "us, ca gb" → ["US", "CA", "GB"], each once. */
export function readCountries(text) {
  return [...new Set(String(text).split(/[\s,;]+/).map((c) => c.trim().toUpperCase()).filter(Boolean))];
}

/** A field named by the server (`variants.1.price_cents`) split into the row and its part;
 * null when it names no variant row. */
export function variantProblem(field) {
  const match = /^variants\.(\d+)(?:\.(\w+))?$/.exec(field || "");
  return match ? { index: Number(match[1]), part: match[2] || null } : null;
}

/** What S3 sent back after an upload: a picture (`incoming/products/…`, redrawn by the server) or a file
 * (`files/<seller>/<slug>/<file_id>`) of the product `slug`; null when this is no return. */
export function uploadReturn(params) {
  const slug = params.get("product");
  const key = params.get("key");
  if (!slug || !key) {
    return null;
  }
  if (key.startsWith("incoming/products/")) {
    return { slug, what: "picture", key };
  }
  const file = /^files\/[^/]+\/([^/]+)\/([A-Za-z0-9]{1,64})$/.exec(key);
  if (file && file[1] === slug) {
    return { slug, what: "file", key, fileId: file[2] };
  }
  return null;
}

const PENDING = "interkanect.store-upload";

/** Keeps a file's name across the trip to storage (S3 only gives back its key). */
export function rememberUpload({ fileId, name, size }) {
  try {
    window.sessionStorage.setItem(PENDING, JSON.stringify({ fileId, name, size }));
  } catch {
    // No session storage: the file is named after its id when it comes back.
  }
}

/** The name kept for `fileId` before the upload (forgotten once read), or null. */
export function takeUpload(fileId) {
  try {
    const kept = JSON.parse(window.sessionStorage.getItem(PENDING) || "null");
    window.sessionStorage.removeItem(PENDING);
    return kept && kept.fileId === fileId ? kept : null;
  } catch {
    return null;
  }
}

const FILE_NAME_MAX = 120;

/** The name buyers save a file under: the chosen file's own name, without folders, at most
 * 120 characters (the extension kept). */
export function fileNameFor(name, fallback) {
  const base = String(name || "").split(/[\\/]/).pop().trim() || fallback;
  if (base.length <= FILE_NAME_MAX) {
    return base;
  }
  const dot = base.lastIndexOf(".");
  const extension = dot > 0 && base.length - dot <= 10 ? base.slice(dot) : "";
  return base.slice(0, FILE_NAME_MAX - extension.length) + extension;
}
