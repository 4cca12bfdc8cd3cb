/** The interKanect JSON API: one fetch wrapper, its error shape, and token refresh. */

import { clearSession, isExpiring, loadSession, saveSession } from "./session.js";

const TIMEOUT_MS = 20_000;

/** `window.IK_CONFIG`, written by the server in /config.js, with safe defaults. */
export function siteConfig() {
  const config = window.IK_CONFIG || {};
  return {
    api: String(config.api || "/api").replace(/\/+$/, ""),
    websocket: String(config.websocket || ""),
    local: config.local === true,
  };
}

/** A refused or failed API call. `field` names the input the message is about, if any;
 * `problems` lists every bad field of a form's input (`{field, message}`, the first being
 * `field`'s), when the server checked it as a whole; `details` is what the server gives to
 * recover with (a store's cart as it is now, for `cart_changed`), or null. */
export class ApiError extends Error {
  constructor({ status, code, message, field = null, problems = [], details = null }) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.problems = problems;
    this.details = details;
  }

  /** The token was missing, expired or refused by the gateway's authorizer. */
  get isAuthFailure() {
    return this.status === 401 || (this.status === 403 && this.code === "not_authorized");
  }
}

const signedOut = () => new ApiError({
  status: 401, code: "signed_out", message: "Your session has ended. Sign in again to continue.",
});

async function errorFrom(response) {
  const { status } = response;
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say); described generically below.
  }
  const detail = body && typeof body === "object" ? body.error : null;
  if (detail && typeof detail === "object" && typeof detail.message === "string") {
    return new ApiError({
      status,
      code: String(detail.code || "error"),
      message: detail.message,
      field: typeof detail.field === "string" ? detail.field : null,
      problems: Array.isArray(detail.errors)
        ? detail.errors.filter((p) => p && typeof p.message === "string")
          .map((p) => ({ message: p.message, field: typeof p.field === "string" ? p.field : null }))
        : [],
      details: detail.details && typeof detail.details === "object" ? detail.details : null,
    });
  }
  if (status >= 500) {
    return new ApiError({
      status, code: "server_error",
      message: `Something went wrong on our side (HTTP ${status}). Please try again in a moment.`,
    });
  }
  // API Gateway's own refusals (authorizer, throttling) say `{"message": ...}`.
  const gatewayMessage = body && typeof body === "object" ? body.message || body.Message : null;
  if (typeof gatewayMessage === "string" && gatewayMessage) {
    const code = status === 401 || status === 403 ? "not_authorized" : "gateway_error";
    return new ApiError({ status, code, message: gatewayMessage });
  }
  return new ApiError({
    status, code: "error", message: `Something went wrong (HTTP ${status}). Please try again.`,
  });
}

function timeoutSignal() {
  return typeof AbortSignal.timeout === "function" ? AbortSignal.timeout(TIMEOUT_MS) : undefined;
}

async function readJson(response) {
  if (response.status === 204) {
    return null;
  }
  try {
    return await response.json();
  } catch {
    throw new ApiError({
      status: response.status, code: "bad_response",
      message: "interKanect sent an answer we could not read. Please try again.",
    });
  }
}

/** The file a download route answered with: its bytes and the name the server gave it. */
async function readFile(response) {
  const disposition = response.headers.get("Content-Disposition") || "";
  const named = /filename="?([^";]+)"?/i.exec(disposition);
  return { blob: await response.blob(), filename: named ? named[1] : null };
}

async function send(path, { method = "GET", body, token, accept = "application/json", read = readJson } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  let response;
  try {
    response = await fetch(siteConfig().api + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal: timeoutSignal(),
    });
  } catch {
    throw new ApiError({
      status: 0, code: "network",
      message: "We could not reach interKanect. Check your connection and try again.",
    });
  }
  if (!response.ok) {
    throw await errorFrom(response);
  }
  return read(response);
}

let refreshing = null;

/** Trades the refresh token for new tokens, once at a time. Resolves to the new session, or
 * null when the session cannot be renewed (then it is cleared). A network failure keeps the
 * session and rejects, so a flaky connection does not sign anyone out. */
export function refreshSession() {
  if (!refreshing) {
    refreshing = (async () => {
      const session = loadSession();
      if (!session || !session.refresh_token) {
        clearSession();
        return null;
      }
      try {
        const tokens = await send("/auth/refresh", {
          method: "POST", body: { refresh_token: session.refresh_token },
        });
        return saveSession(tokens);
      } catch (error) {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          clearSession();
          return null;
        }
        throw error;
      }
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** Calls the API as the signed-in user. An expired or refused access token is refreshed at
 * most once; if that fails the session is cleared and a `signed_out` ApiError is thrown. */
async function sendAuthorized(path, options = {}) {
  let session = loadSession();
  let refreshed = false;
  if (session && isExpiring(session)) {
    session = await refreshSession();
    refreshed = true;
  }
  if (!session) {
    throw signedOut();
  }
  try {
    return await send(path, { ...options, token: session.access_token });
  } catch (error) {
    if (!(error instanceof ApiError) || !error.isAuthFailure) {
      throw error;
    }
    if (refreshed) {
      clearSession();
      throw signedOut();
    }
  }
  session = await refreshSession();
  if (!session) {
    throw signedOut();
  }
  try {
    return await send(path, { ...options, token: session.access_token });
  } catch (error) {
    if (error instanceof ApiError && error.isAuthFailure) {
      clearSession();
      throw signedOut();
    }
    throw error;
  }
}

/** Ends a session on the server at `path` when it can, and always forgets it here. */
async function endSession(path, body) {
  try {
    if (loadSession()) {
      await sendAuthorized(path, { method: "POST", body });
    }
  } catch {
    // Signing out locally must work even when the API cannot be reached.
  } finally {
    clearSession();
  }
}

/** The current session with an access token that is not about to expire (refreshed if it
 * was), or null when nobody is signed in or the session cannot be renewed. */
export async function freshSession() {
  const session = loadSession();
  if (!session) {
    return null;
  }
  return isExpiring(session) ? refreshSession() : session;
}

/** A path with a query string built from `params` (empty values are left out). */
function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") {
      query.set(name, String(value));
    }
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

const segment = (value) => encodeURIComponent(String(value));

/** The most ids one `GET /presence` may ask about. */
export const PRESENCE_BATCH = 50;

export const api = {
  /** This deployment's rules (fees, plans, call windows, refunds, payouts) and their `phrases`,
   * as the FAQ, Terms and Privacy pages state them. */
  siteRules: () => send("/site/rules"),

  signUp: ({ email, password, display_name, username }) => send("/auth/sign-up", {
    method: "POST", body: { email, password, display_name, username },
  }),

  confirmSignUp: ({ email, code }) => send("/auth/confirm", {
    method: "POST", body: { email, code },
  }),

  resendCode: ({ email }) => send("/auth/resend-code", { method: "POST", body: { email } }),

  /** Signs in and stores the session. */
  async signIn({ email, password }) {
    const tokens = await send("/auth/sign-in", { method: "POST", body: { email, password } });
    return saveSession(tokens);
  },

  /** Ends this session on the server (its tokens, its refresh token, its sockets) when it can,
   * and always forgets it here. */
  signOut() {
    const session = loadSession();
    return endSession("/auth/sign-out",
      session && session.refresh_token ? { refresh_token: session.refresh_token } : {});
  },

  /** Ends every session of the signed-in person, on every device; forgets this one here. */
  signOutEverywhere: () => endSession("/auth/sign-out-everywhere"),

  /** The signed-in user's profile, or a `signed_out` ApiError. */
  me: () => sendAuthorized("/me"),

  /** Has email sent to my address again after SES reported it undeliverable. */
  tryEmailAgain: () => sendAuthorized("/me/email/try-again", { method: "POST" }),

  /** Changes the username (the page address); old addresses keep redirecting to the new one. */
  changeUsername: ({ username }) => sendAuthorized("/me/username", {
    method: "PUT", body: { username },
  }),

  /** The signed-in Helper's page, or null when they have not created one yet. */
  async myPage() {
    try {
      return await sendAuthorized("/me/page");
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        return null;
      }
      throw error;
    }
  },

  /** Creates or replaces the whole page (creating it makes you a Helper). */
  saveMyPage: (page) => sendAuthorized("/me/page", { method: "PUT", body: page }),

  /** A presigned S3 POST (`{url, fields, key, max_bytes}`) for a new avatar. */
  avatarUpload: ({ content_type }) => sendAuthorized("/me/page/avatar-upload", {
    method: "POST", body: { content_type },
  }),

  /** Sets the uploaded avatar `key` on the page, once the server has checked it. */
  setAvatar: ({ key }) => sendAuthorized("/me/page/avatar", { method: "PUT", body: { key } }),

  categories: () => send("/categories"),

  /** A category with one page of its Helpers' cards and the cursor of the next page. */
  category: (slug, { limit = 20, cursor = null } = {}) => send(
    withQuery(`/categories/${segment(slug)}`, { limit, cursor })),

  joinCategory: (slug) => sendAuthorized(`/categories/${segment(slug)}/helpers`, {
    method: "POST",
  }),

  leaveCategory: (slug) => sendAuthorized(`/categories/${segment(slug)}/helpers`, {
    method: "DELETE",
  }),

  search: (q, { limit = 20 } = {}) => send(withQuery("/search", { q, limit })),

  /** The ICE servers for a call's RTCPeerConnection: `{ice_servers, ttl}`. */
  iceServers: () => sendAuthorized("/calls/ice-servers"),

  /** Statuses of at most PRESENCE_BATCH people: `{statuses: {id: "online"|"busy"|"offline"}}`. */
  presence: (userIds) => send(withQuery("/presence", { users: userIds.join(",") })),

  /* ---- Payments (amounts always come from the server; see docs/api.md) ---------------- */

  /** The Helper's storefront `{paypal_email, name, updated_at}`, or null before they set it up. */
  async myStorefront() {
    try {
      const storefront = await sendAuthorized("/me/storefront");
      return storefront && storefront.paypal_email ? storefront : null;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        return null;
      }
      throw error;
    }
  },

  saveStorefront: ({ paypal_email, name }) => sendAuthorized("/me/storefront", {
    method: "PUT", body: { paypal_email, name },
  }),

  /** `{plan: "free"|"upgraded", until, upgrade: {price_cents, days, currency}}`. */
  myPlan: () => sendAuthorized("/me/plan"),

  /** A payment for the upgraded plan (approve it at PayPal). */
  upgradePlan: () => sendAuthorized("/me/plan/upgrade", { method: "POST" }),

  /** `{pending_cents, payable_cents, currency}`. */
  myBalance: () => sendAuthorized("/me/balance"),

  /** A Helper's earnings: balances, the next payout, recent payouts and one page of the ledger
   * history, newest first (`before`: the `next_before` of the page already shown). */
  myEarnings: ({ limit = 50, before = null } = {}) => sendAuthorized(
    withQuery("/me/earnings", { limit, before })),

  /** Every line of the earnings history as a CSV file: `{blob, filename}`. */
  earningsCsv: () => sendAuthorized("/me/earnings/csv", { accept: "text/csv", read: readFile }),

  /** My store's sales from `from` to `to` (UTC days, "YYYY-MM-DD"), by "day", "week" or "month":
   * `{from, to, by, currency, totals, series: [{start, …}], products: [{slug, title, …}]}`. */
  mySales: ({ from, to, by }) => sendAuthorized(withQuery("/me/store/sales", { from, to, by })),

  /** The same report as a CSV file (series, products, totals): `{blob, filename}`. */
  salesReportCsv: ({ from, to, by }) => sendAuthorized(withQuery("/me/store/sales/report.csv", { from, to, by }),
    { accept: "text/csv", read: readFile }),

  /** The period's paid orders as a CSV file, one row per order line: `{blob, filename}`. */
  salesOrdersCsv: ({ from, to }) => sendAuthorized(withQuery("/me/store/sales/orders.csv", { from, to }),
    { accept: "text/csv", read: readFile }),

  /** The payment for a call's agreed paid terms, while it awaits payment (the same one if asked again). */
  payForCall: (callId) => sendAuthorized(`/calls/${segment(callId)}/payment`, { method: "POST" }),

  /** A tip payment during a session. */
  tip: (callId, { amount_cents }) => sendAuthorized(`/calls/${segment(callId)}/tips`, {
    method: "POST", body: { amount_cents },
  }),

  /** `{payments: [payment + refundable_until]}`, mine as payer, newest first. */
  myPayments: () => sendAuthorized("/payments"),

  payment: (paymentId) => sendAuthorized(`/payments/${segment(paymentId)}`),

  /** Captures a payment the payer approved at PayPal (idempotent). */
  completePayment: (paymentId) => sendAuthorized(`/payments/${segment(paymentId)}/complete`, {
    method: "POST",
  }),

  cancelPayment: (paymentId) => sendAuthorized(`/payments/${segment(paymentId)}/cancel`, {
    method: "POST",
  }),

  askForRefund: ({ payment_id, reason }) => sendAuthorized("/refunds", {
    method: "POST", body: { payment_id, reason },
  }),

  /** `{asked: [...], about_me: [...]}`: requests I made, and requests about my sessions. */
  myRefunds: () => sendAuthorized("/refunds"),

  refund: (requestId) => sendAuthorized(`/refunds/${segment(requestId)}`),

  /** The Helper's side of a refund request, while it is open. */
  saveRefundStatement: (requestId, { statement }) => sendAuthorized(
    `/refunds/${segment(requestId)}/statement`, { method: "PUT", body: { statement } }),

  /** Ops only: `{requests: [...]}`, the nearest deadline first. */
  refundQueue: () => sendAuthorized("/ops/refunds"),

  /** Ops only: `decision` is "approve" or "deny"; the note is required. */
  decideRefund: (requestId, { decision, note }) => sendAuthorized(
    `/ops/refunds/${segment(requestId)}/decision`, { method: "POST", body: { decision, note } }),

  /** Ops only: `{flags: [...]}`, the open flags about Helpers, newest first. */
  opsFlags: () => sendAuthorized("/ops/flags"),

  /** Ops only: closes a flag once with a note (409 `flag_already_closed` after); the flag. */
  closeOpsFlag: (flagId, { note }) => sendAuthorized(`/ops/flags/${segment(flagId)}/close`, {
    method: "POST", body: { note },
  }),

  /** Ops only: disqualifies a Helper with a reason (409 `already_disqualified`); their standing. */
  disqualifyHelper: (userId, { reason }) => sendAuthorized(`/ops/people/${segment(userId)}/disqualify`, {
    method: "POST", body: { reason },
  }),

  /** Ops only: restores a disqualified Helper with a note (409 `not_disqualified`); their standing. */
  restoreHelper: (userId, { reason }) => sendAuthorized(`/ops/people/${segment(userId)}/restore`, {
    method: "POST", body: { reason },
  }),

  /** Ops only: `{runs: [...]}`, open payout runs and those of the last payout days, newest first. */
  payoutRuns: () => sendAuthorized("/ops/payouts"),

  /** Ops only: today's and the last seven days' figures, and what waits for ops. */
  opsDashboard: () => sendAuthorized("/ops/dashboard"),

  /** Ops only: `{people: [...]}` by username (or its beginning) or email (or its beginning). */
  findPeople: (q) => sendAuthorized(withQuery("/ops/people", { q })),

  /** Ops only: a person's profile, standing and history. */
  opsPerson: (userId) => sendAuthorized(`/ops/people/${segment(userId)}`),

  /** Ops only: `{entries, next}`, the audit log newest first, 50 a page. */
  auditLog: (cursor) => sendAuthorized(withQuery("/ops/audit", { cursor })),

  /** Ops only: the whole audit log as a CSV file: `{blob, filename}`. */
  auditCsv: () => sendAuthorized("/ops/audit.csv", { accept: "text/csv", read: readFile }),

  /* ---- My Store: the seller's catalogue, shipping and order queue (docs/api.md, Store) -- */

  /** One page of my products, newest first, drafts included: `{products, next_cursor}`; 404
   * `not_found` when I have no Helper page (a store belongs to one). */
  myProducts: ({ limit = 100, cursor = null } = {}) => sendAuthorized(
    withQuery("/me/products", { limit, cursor })),

  /** `{product}` with its `image_keys` and files. */
  myProduct: (slug) => sendAuthorized(`/me/products/${segment(slug)}`),

  /** `{product}` (201): `{title, description, kind, status, category, variants}`. */
  createProduct: (fields) => sendAuthorized("/me/products", { method: "POST", body: fields }),

  /** `{product}`: every field but the address (variants keep their `variant_id`). */
  saveProduct: (slug, fields) => sendAuthorized(`/me/products/${segment(slug)}`, {
    method: "PUT", body: fields,
  }),

  /** A presigned S3 POST for one more picture: `{url, fields, key, max_bytes}`. */
  productImageUpload: (slug, { content_type }) => sendAuthorized(
    `/me/products/${segment(slug)}/image-upload`, { method: "POST", body: { content_type } }),

  /** Shows an uploaded picture once the server has checked it: `{product}`. */
  addProductImage: (slug, { key }) => sendAuthorized(`/me/products/${segment(slug)}/images`, {
    method: "POST", body: { key },
  }),

  /** The pictures in this order; one left out is deleted: `{product}`. */
  setProductImages: (slug, { keys }) => sendAuthorized(`/me/products/${segment(slug)}/images`, {
    method: "PUT", body: { keys },
  }),

  /** A presigned POST into the private bucket: `{url, fields, file_id, max_bytes}`. */
  productFileUpload: (slug, { content_type, size }) => sendAuthorized(
    `/me/products/${segment(slug)}/file-upload`, { method: "POST", body: { content_type, size } }),

  /** Delivers an uploaded file with the product, once checked: `{product}`. */
  addProductFile: (slug, { file_id, name }) => sendAuthorized(`/me/products/${segment(slug)}/files`, {
    method: "POST", body: { file_id, name },
  }),

  /** `{product}` without the file (buyers who have it keep it). */
  removeProductFile: (slug, fileId) => sendAuthorized(
    `/me/products/${segment(slug)}/files/${segment(fileId)}`, { method: "DELETE" }),

  /** `{shipping: {flat_cents, free_from_cents, countries} | null}` (null: no storefront). */
  myShipping: () => sendAuthorized("/me/store/shipping"),

  saveShipping: ({ flat_cents, free_from_cents = null, countries }) => sendAuthorized(
    "/me/store/shipping", { method: "PUT", body: { flat_cents, free_from_cents, countries } }),

  /** One page of my store's paid orders, newest first (`state`: paid, shipped or delivered):
   * `{orders: [order + {buyer_id, ship_to}], next_cursor}`. */
  storeOrders: ({ state = null, limit = 20, cursor = null } = {}) => sendAuthorized(
    withQuery("/me/store/orders", { state, limit, cursor })),

  /** Marks a paid physical order shipped; the tracking number goes to PayPal: `{order}`. */
  shipOrder: (orderId, { carrier, tracking_number, carrier_name = null }) => sendAuthorized(
    `/orders/${segment(orderId)}/shipment`, {
      method: "POST", body: { carrier, tracking_number, ...(carrier_name ? { carrier_name } : {}) },
    }),

  /** Gives back `amount_cents` (1 to what is left) of a paid order through PayPal; the buyer
   * is emailed: `{order}` with its new `refunded_cents`. */
  refundOrder: (orderId, { amount_cents, reason }) => sendAuthorized(`/orders/${segment(orderId)}/refunds`, {
    method: "POST", body: { amount_cents, reason },
  }),

  /* ---- Ratings and reviews (plain text: shown as text, never as HTML or links) -------- */

  /** The caller's view of rating a call: `{review|null, can_review, reason, closes_at,
   * editable_until, helper: {display_name, username}}`. */
  reviewForCall: (callId) => sendAuthorized(`/calls/${segment(callId)}/review`),

  /** Rates a call (once per session; sending again edits it while it may be edited):
   * `{review}`. */
  saveReview: (callId, { stars, text = "" }) => sendAuthorized(`/calls/${segment(callId)}/review`, {
    method: "PUT", body: { stars, text },
  }),

  /** My reviews: `{written: [review + {hidden, hidden_note, helper: {display_name, username}}],
   * received: [review]}`, newest first (`received` for a Helper, about their sessions). */
  myReviews: () => sendAuthorized("/me/reviews"),

  /** One page of a Helper's reviews, public: `{summary: {average, count, distribution},
   * reviews, next_cursor}`; `sort` is "newest", "highest" or "lowest". */
  helperReviews: (username, { sort = "newest", limit = 10, cursor = null } = {}) => send(
    withQuery(`/helpers/${segment(username)}/reviews`, { sort, limit, cursor })),

  /** The Helper's public reply to a review about them (one per review; sending again edits
   * it while it may be edited): `{review}`. */
  replyToReview: (reviewId, { text }) => sendAuthorized(`/reviews/${segment(reviewId)}/reply`, {
    method: "PUT", body: { text },
  }),

  /* ---- Reports and moderation (reviews, posts, products, events alike) ----------------- */

  /** Reports a thing to ops: `kind` is review, post, product or event; `id` the review's id,
   * a post's `<helper_id>/<post_id>`, a product's `<seller_id>/<slug>`, an event's id. `{kind,
   * id, reason, received}`; 409 `already_reported` for a second report of the same thing, 429
   * `too_many_reports` past the day's reports. */
  report: ({ kind, id, reason, note = "" }) => sendAuthorized("/reports", {
    method: "POST", body: { kind, id, reason, note },
  }),

  /** Ops only: one page of the moderation queue, one item per reported thing, the longest
   * waiting first: `{items: [{kind, id, subject, count, reasons, notes, item, owner, ...}],
   * next_cursor}`. */
  moderationQueue: ({ limit = 20, cursor = null } = {}) => sendAuthorized(
    withQuery("/ops/moderation", { limit, cursor })),

  /** Ops only: hides a reported thing (the note is required: its owner is emailed it) or keeps
   * it, closing its open reports: `{kind, id, decision, state, reports_closed}`; 409
   * `already_decided` when nothing about it is open any more. */
  decideModeration: ({ kind, id, decision, note }) => sendAuthorized("/ops/moderation/decision", {
    method: "POST", body: { kind, id, decision, note },
  }),

  /* ---- Store: buying (prices are always the store's; see docs/api.md "Store") ---------- */

  /** One store's cart becomes an order: `{order, payment}` (approve `payment.approve_url` at
   * PayPal; `payment` is null for a free digital order, paid at once). A price that changed is a
   * 409 `cart_changed` whose `details.lines` is the cart as the store has it now. */
  checkout: ({ seller, lines }) => sendAuthorized("/checkout", { method: "POST", body: { seller, lines } }),

  /** One page of the library: `{orders: [order + {files}], next_cursor}`, newest first. */
  myOrders: ({ limit = 20, cursor = null } = {}) => sendAuthorized(withQuery("/me/orders", { limit, cursor })),

  /** `{order}`, for its buyer or its seller. */
  order: (orderId) => sendAuthorized(`/orders/${segment(orderId)}`),

  /** The buyer says the parcel arrived: `{order}` delivered. */
  orderDelivered: (orderId) => sendAuthorized(`/orders/${segment(orderId)}/delivered`, { method: "POST" }),

  /** A link to a purchased file that works for minutes (`{url, expires_in}`); each counts
   * against the purchase's downloads. */
  downloadLink: (orderId, slug, fileId) => sendAuthorized(
    `/orders/${segment(orderId)}/files/${segment(slug)}/${segment(fileId)}/download`, { method: "POST" }),

  /* ---- Appointments (see docs/api.md "Appointments") ------------------------------------ */

  /** A Helper's free slots for one length, in `zone` (the Helper's time beside): `{helper, zone,
   * length, price_cents, currency, lengths: {"15": cents}, policy, slots: [{start, local,
   * helper_local}]}`. Anyone may ask; `length` 0 asks for the first length offered. */
  slots: (username, { length = 0, zone, days = null } = {}) => send(
    withQuery(`/helpers/${segment(username)}/slots`, { length, zone, days })),

  /** `{booking, payment}`: approve `payment.approve_url` at PayPal (null for a free length,
   * booked at once); 409 `slot_unavailable` when the time was taken meanwhile. */
  book: ({ helper, length, start, zone, note }) => sendAuthorized("/bookings", {
    method: "POST", body: { helper, length, start, zone, ...(note ? { note } : {}) },
  }),

  /** One page of my bookings: `role` customer|helper, `when` upcoming|past. */
  myBookings: ({ role = "customer", when = "upcoming", limit = 20, cursor = null } = {}) => sendAuthorized(
    withQuery("/me/bookings", { role, when, limit, cursor })),

  booking: (bookingId) => sendAuthorized(`/bookings/${segment(bookingId)}`),

  /** What cancelling now costs and gives back: `{reason, fee_cents, refund_cents, late, paid_cents}`. */
  cancelQuote: (bookingId) => sendAuthorized(`/bookings/${segment(bookingId)}/cancel-quote`),

  cancelBooking: (bookingId, { reason = "" } = {}) => sendAuthorized(`/bookings/${segment(bookingId)}/cancel`, {
    method: "POST", body: reason ? { reason } : {},
  }),

  rescheduleBooking: (bookingId, { start }) => sendAuthorized(`/bookings/${segment(bookingId)}/reschedule`, {
    method: "POST", body: { start },
  }),

  confirmBooking: (bookingId) => sendAuthorized(`/bookings/${segment(bookingId)}/confirm`, { method: "POST" }),

  markNoShow: (bookingId) => sendAuthorized(`/bookings/${segment(bookingId)}/no-show`, { method: "POST" }),

  /** `{waiting}`: whether I wait for an email when this Helper is next online and free. */
  notifyMe: (username) => sendAuthorized(`/helpers/${segment(username)}/notify-me`),

  /** `{waiting: true}`; 409 while the Helper is online (call them instead) or on my own page. */
  startNotifyMe: (username) => sendAuthorized(`/helpers/${segment(username)}/notify-me`, { method: "PUT" }),

  /** `{waiting: false}`. */
  stopNotifyMe: (username) => sendAuthorized(`/helpers/${segment(username)}/notify-me`, { method: "DELETE" }),

  /** `{count}`: how many people wait to hear when I (a Helper) am free. */
  myWaiting: () => sendAuthorized("/me/waiting"),

  /** `{username, following, mode, followers, own_page}`: whether and how I follow a Helper. */
  followState: (username) => sendAuthorized(`/helpers/${segment(username)}/follow`),

  /** Follow, or change how I hear (`mode`: each, digest, none); 409 on my own page. */
  follow: (username, mode) => sendAuthorized(`/helpers/${segment(username)}/follow`, {
    method: "PUT", body: { mode },
  }),

  unfollow: (username) => sendAuthorized(`/helpers/${segment(username)}/follow`, { method: "DELETE" }),

  /** `{public_key}`: the VAPID key browsers subscribe to call alerts with (a 503 when push is off). */
  pushKey: () => send("/push/key"),

  /** Call alerts on in this browser: its `PushSubscription.toJSON()`. `{subscribed, subscriptions}`. */
  subscribePush: (subscription) => sendAuthorized("/me/push-subscriptions", { method: "PUT", body: subscription }),

  unsubscribePush: (endpoint) => sendAuthorized("/me/push-subscriptions", {
    method: "DELETE", body: { endpoint },
  }),

  /** `{notifications: [{id, kind, category, title, body, url, at, read}], unread, next}`, newest
   * first, 20 a page (`cursor`: the previous page's `next`). */
  notifications: (cursor = null) => sendAuthorized(withQuery("/me/notifications", { cursor })),

  /** Every notification read: `{unread: 0}`. */
  readNotifications: () => sendAuthorized("/me/notifications/read", { method: "POST", body: {} }),

  /** `{categories: [{category, label, description, email, push}]}`. */
  notificationPreferences: () => sendAuthorized("/me/notification-preferences"),

  /** `categories`: `{<category>: {email, push}}` (some or all); the same shape as the GET. */
  saveNotificationPreferences: (categories) => sendAuthorized("/me/notification-preferences", {
    method: "PUT", body: { categories },
  }),

  /** `{following: [{username, display_name, headline, url, mode, since}], cursor}`. */
  myFollowing: (cursor = null) => sendAuthorized(withQuery("/me/following", { cursor })),

  /** `{helper_name, username, mode}`: what an email's unsubscribe link stops (no sign-in). */
  unsubscribePreview: (token) => send(withQuery("/follows/unsubscribe", { token })),

  /** One click: no more emails from that Helper (`mode` becomes "none"). */
  unsubscribe: (token) => send(withQuery("/follows/unsubscribe", { token }), { method: "POST" }),

  /** `{category, label, email}`: which category of emails a notice email's link stops (no sign-in). */
  noticeUnsubscribePreview: (token) => send(withQuery("/notifications/unsubscribe", { token })),

  /** One click: no more emails of that category (`email` becomes false). */
  noticeUnsubscribe: (token) => send(withQuery("/notifications/unsubscribe", { token }), { method: "POST" }),

  /** `{polls}`: a Helper's latest polls, results only where everyone may see them. */
  helperPolls: (username) => send(`/helpers/${segment(username)}/polls`),

  /** `{poll}`: one of a Helper's polls, results only where everyone may see them. */
  helperPoll: (username, pollId) => send(`/helpers/${segment(username)}/polls/${segment(pollId)}`),

  /** `{poll}` as I see it, with `my_vote`. */
  myPollView: (username, pollId) => sendAuthorized(`/helpers/${segment(username)}/polls/${segment(pollId)}/vote`),

  /** `{poll}` with my vote counted; 409 `poll_closed` once it closed. */
  votePoll: (username, pollId, option) => sendAuthorized(
    `/helpers/${segment(username)}/polls/${segment(pollId)}/vote`, { method: "PUT", body: { option } }),

  /** `{polls}`: my own polls with their results. */
  myPolls: () => sendAuthorized("/me/polls"),

  /** `{poll}`: asks my followers `{question, options, results, closes_at?}`. */
  askPoll: (poll) => sendAuthorized("/me/polls", { method: "POST", body: poll }),

  closePoll: (pollId) => sendAuthorized(`/me/polls/${segment(pollId)}/close`, { method: "POST" }),

  /** `{posts, next_cursor}`: my blog posts, drafts too, newest first. */
  myPosts: ({ limit = 20, cursor = null } = {}) => sendAuthorized(withQuery("/me/posts", { limit, cursor })),

  /** `{post}`: a new post `{title, body, excerpt, status, publish_at, slug}`. */
  createPost: (fields) => sendAuthorized("/me/posts", { method: "POST", body: fields }),

  myPost: (postId) => sendAuthorized(`/me/posts/${segment(postId)}`),

  savePost: (postId, fields) => sendAuthorized(`/me/posts/${segment(postId)}`, { method: "PUT", body: fields }),

  unpublishPost: (postId) => sendAuthorized(`/me/posts/${segment(postId)}/unpublish`, { method: "POST" }),

  deletePost: (postId) => sendAuthorized(`/me/posts/${segment(postId)}`, { method: "DELETE" }),

  /** A presigned S3 POST for a picture of the post: `{url, fields, key, max_bytes}`. */
  postImageUpload: (postId, { content_type }) => sendAuthorized(`/me/posts/${segment(postId)}/image-upload`, {
    method: "POST", body: { content_type },
  }),

  /** `{post, src}`: the uploaded picture checked and shown (the cover, or one for the body). */
  addPostImage: (postId, { key, cover = false }) => sendAuthorized(`/me/posts/${segment(postId)}/images`, {
    method: "POST", body: { key, cover },
  }),

  removePostCover: (postId) => sendAuthorized(`/me/posts/${segment(postId)}/cover`, { method: "DELETE" }),

  /** `{html}`: the body as the post page will show it. */
  previewPost: (body) => sendAuthorized("/me/post-preview", { method: "POST", body: { body } }),

  /** The Helper's booking rules: `{rules, feed_url: null}`. */
  bookingRules: () => sendAuthorized("/me/booking-rules"),

  saveBookingRules: (rules) => sendAuthorized("/me/booking-rules", { method: "PUT", body: rules }),

  /** A new private calendar feed: `{rules, feed_url}` (the URL is shown this once). */
  renewCalendarFeed: () => sendAuthorized("/me/booking-rules/feed", { method: "POST" }),

  closeCalendarFeed: () => sendAuthorized("/me/booking-rules/feed", { method: "DELETE" }),

  /* Events (a Helper's, and a person's place at one). */
  /** `{events}`: my events, upcoming soonest first (or the past ones). */
  myEvents: ({ past = false } = {}) => sendAuthorized(withQuery("/me/events", { past: past ? "1" : null })),
  myEvent: (eventId) => sendAuthorized(`/me/events/${segment(eventId)}`),
  /** `{event}`: a new event `{title, description, starts_at, ends_at, where, location, capacity,
   * price_cents, state}`, times on my own clock (`2026-12-08T18:30`). */
  createEvent: (fields) => sendAuthorized("/me/events", { method: "POST", body: fields }),
  saveEvent: (eventId, fields) => sendAuthorized(`/me/events/${segment(eventId)}`, { method: "PUT", body: fields }),
  cancelEvent: (eventId, { reason = "" } = {}) => sendAuthorized(`/me/events/${segment(eventId)}/cancel`, {
    method: "POST", body: { reason },
  }),
  /** `{event, attendees}` for the Helper; the CSV as a file. */
  eventAttendees: (eventId) => sendAuthorized(`/me/events/${segment(eventId)}/attendees`),
  eventAttendeesCsv: (eventId) => sendAuthorized(`/me/events/${segment(eventId)}/attendees.csv`,
    { accept: "text/csv", read: readFile }),
  /** `{event, place, waitlist_position, owner, payment}`: where I stand at an event. */
  myEventPlace: (eventId) => sendAuthorized(`/events/${segment(eventId)}/me`),
  rsvp: (eventId, { zone }) => sendAuthorized(`/events/${segment(eventId)}/rsvp`, { method: "PUT", body: { zone } }),
  leaveEvent: (eventId) => sendAuthorized(`/events/${segment(eventId)}/rsvp`, { method: "DELETE" }),
};

export function isSignedIn() {
  return loadSession() !== null;
}
