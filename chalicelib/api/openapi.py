"""The REST API's OpenAPI 3.1 document, served at `GET /openapi.json` (chalicelib/api/site.py):
one declaration per route (its body and query models from `schemas`, its answer from
`responses`, its error statuses and who may call it), built from the same pydantic models the
routes validate with. Declarations are plain data, so importing this module stays cheap;
pydantic loads when the document is first asked for, and the built document is kept for the
warm Lambda."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

JSON, HTML, CSV = "application/json", "text/html", "text/csv"
BEARER = "bearer"


class Rule(str, Enum):
    """Who may call a route. A role outside the rule hears 401 (no valid token), 403 or 404."""

    PUBLIC = "public"  # anyone, signed in or not
    PAYPAL = "paypal"  # PayPal, proven by its signature over the body, not by a token
    SIGNED_IN = "signed_in"  # any signed-in person, about their own account
    HELPER = "helper"  # a signed-in person with a Helper page (others: 403 or 404)
    OPS = "ops"  # a signed-in member of the ops group (others: 403)
    PAYER = "payer"  # the caller of the call, or the payer of the payment, in the path (others: 403 or 404)
    PAYMENT_PARTIES = "payment_parties"  # the payer of the payment in the path, or the Helper it pays
    REFUND_PARTIES = "refund_parties"  # the payer and the Helper of the refund request in the path, and ops
    REFUND_HELPER = "refund_helper"  # the Helper the refund request in the path is about
    REVIEWED_HELPER = "reviewed_helper"  # the Helper the review in the path is about
    ORDER_PARTIES = "order_parties"  # the buyer and the seller of the order in the path
    ORDER_BUYER = "order_buyer"  # the buyer of the order in the path
    ORDER_SELLER = "order_seller"  # the seller of the order in the path
    BOOKING_PARTIES = "booking_parties"  # the customer and the Helper of the booking in the path
    BOOKING_HELPER = "booking_helper"  # the Helper of the booking in the path

    @property
    def needs_token(self) -> bool:
        return self not in (Rule.PUBLIC, Rule.PAYPAL)


RULE_TEXT = {
    Rule.PUBLIC: "Anyone, signed in or not.",
    Rule.PAYPAL: "PayPal: the event's signature headers must verify; no token.",
    Rule.SIGNED_IN: "Any signed-in person, about their own account.",
    Rule.HELPER: "A signed-in Helper (someone with a page); others hear 403 or 404.",
    Rule.OPS: "Ops only (the Cognito ops group); others hear 403.",
    Rule.PAYER: "Only the caller of the call (or the payer of the payment); others hear 403 or 404.",
    Rule.PAYMENT_PARTIES: "The payer or the Helper the payment is for; others hear 404.",
    Rule.REFUND_PARTIES: "The payer, the Helper the request is about, and ops; others hear 404.",
    Rule.REFUND_HELPER: "The Helper the request is about; others hear 404.",
    Rule.REVIEWED_HELPER: "The Helper the review is about; others hear 403 or 404.",
    Rule.ORDER_PARTIES: "The buyer and the seller of the order; others hear 404.",
    Rule.ORDER_BUYER: "The buyer of the order; the seller hears 403, others 404.",
    Rule.ORDER_SELLER: "The seller of the order; the buyer hears 403, others 404.",
    Rule.BOOKING_PARTIES: "The customer and the Helper of the booking; others hear 404.",
    Rule.BOOKING_HELPER: "The Helper of the booking; the customer hears 403, others 404.",
}

ERROR_TEXT = {
    400: "Bad input: the body, a parameter or a value is not acceptable (`field` names it).",
    401: "No valid token (`invalid_token`), or wrong credentials.",
    402: "The payer's money did not come through.",
    403: "Not allowed for this caller.",
    404: "No such thing (or not yours to see), or no such route.",
    409: "Not possible in the current state (taken, already decided, closed, ...).",
    415: "The body is not `application/json` (`unsupported_media_type`).",
    429: "Too many attempts; wait a moment.",
    503: "A service we depend on (Cognito, PayPal, S3) failed; try again later.",
}


@dataclass(frozen=True)
class Operation:
    """One route as the document declares it."""

    method: str
    path: str
    summary: str
    rule: Rule
    tag: str
    answer: Optional[str] = None  # a model of `responses`; None: `media` text (HTML, CSV)
    status: int = 200
    body: Optional[str] = None  # a model of `schemas` that `parse_body` validates with
    example: Optional[dict] = None  # a plausible body
    query: Optional[str] = None  # a model of `schemas` whose fields are query parameters
    errors: tuple[int, ...] = ()  # besides the ones the rule, the body and the path imply
    media: str = JSON
    other_answers: dict[int, str] = field(default_factory=dict)  # e.g. 201 when created
    description: str = ""
    body_required: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def path_parameters(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    def error_statuses(self) -> list[int]:
        statuses = set(self.errors)
        if self.body or self.query or self.rule is Rule.PAYPAL:
            statuses.add(400)
        if self.body or self.rule is Rule.PAYPAL:
            statuses.add(415)
        if self.rule.needs_token:
            statuses.add(401)
        if self.rule is Rule.OPS:
            statuses.add(403)
        if self.path_parameters:
            statuses.add(404)
        return sorted(statuses)


_O = Operation
PUSH_KEY_EXAMPLE = "BLlMwmZo6QwbVIA4q_4i1vPiLmwS1dp5EMcj0NIcrrZN-G87K3yEFnflKntH1jC0jrJsVHB-ns9tMS1HEWGCR2o"
PAGE_EXAMPLE = {
    "headline": "Plumber with twenty years of leaks behind me",
    "offer": "I fix **leaks**, drains and taps.",
    "qualifications": "Licensed master plumber",
    "languages": ["en", "pt-BR"],
    "time_zone": "Europe/Paris",
    "prices": {"15": 1500, "30": 0, "60": None},
    "schedule": [{"day": 0, "start": "09:00", "end": "12:00"}],
    "links": [{"label": "My site", "url": "https://example.com"}],
}

PRODUCT_EXAMPLE = {
    "title": "The leak-fixing guide", "description": "Every **leak** I have fixed, in 40 pages.",
    "kind": "digital", "status": "draft", "variants": [{"name": "", "sku": "GUIDE-1", "price_cents": 900}],
}

EVENT_EXAMPLE = {
    "title": "Fix your own leaks: a live workshop", "description": "Bring a **wrench**.",
    "starts_at": "2027-03-10T18:00", "ends_at": "2027-03-10T19:30", "where": "online",
    "location": "https://meet.example.com/leaks", "capacity": 30, "price_cents": 0,
}

OPERATIONS: tuple[Operation, ...] = (
    _O("GET", "/health", "Whether the API answers", Rule.PUBLIC, "meta", "Health"),
    _O("GET", "/openapi.json", "This document", Rule.PUBLIC, "meta", "OpenApiDocument"),
    _O("GET", "/site/rules", "The rules this deployment runs by (fees, plans, calls, refunds, payouts), "
       "as the FAQ states them", Rule.PUBLIC, "meta", "SiteRules"),
    # accounts
    _O("POST", "/auth/sign-up", "Sign up (an email with a confirmation code follows)", Rule.PUBLIC, "accounts",
       "SignedUp", 201, "SignUpBody", {"email": "ada@example.com", "password": "Corr3ct-horse-battery",
                                       "display_name": "Ada L.", "username": "ada"}, errors=(409, 429, 503)),
    _O("POST", "/auth/confirm", "Confirm the email with its code", Rule.PUBLIC, "accounts", "Confirmed",
       body="ConfirmBody", example={"email": "ada@example.com", "code": "123456"}, errors=(404, 409, 429, 503)),
    _O("POST", "/auth/resend-code", "Send the confirmation code again (also for unknown emails)", Rule.PUBLIC,
       "accounts", "CodeSent", body="EmailBody", example={"email": "ada@example.com"}, errors=(429, 503)),
    _O("POST", "/auth/sign-in", "Sign in: tokens", Rule.PUBLIC, "accounts", "Session", body="SignInBody",
       example={"email": "ada@example.com", "password": "Corr3ct-horse-battery"}, errors=(401, 403, 429, 503)),
    _O("POST", "/auth/refresh", "New access and id tokens from a refresh token", Rule.PUBLIC, "accounts",
       "Session", body="RefreshBody", example={"refresh_token": "eyJ..."}, errors=(401, 429, 503)),
    _O("POST", "/auth/sign-out", "Sign out this session: its token stops working at once", Rule.SIGNED_IN,
       "accounts", "SignedOut", body="SignOutBody", body_required=False, example={"refresh_token": "eyJ..."},
       errors=(503,)),
    _O("POST", "/auth/sign-out-everywhere", "Sign out on every device: every token of mine stops working",
       Rule.SIGNED_IN, "accounts", "SignedOut", errors=(503,)),
    _O("GET", "/me", "Who I am", Rule.SIGNED_IN, "accounts", "Me", errors=(404,)),
    _O("POST", "/me/email/try-again", "Send email to my address again (after SES reported it undeliverable)",
       Rule.SIGNED_IN, "accounts", "EmailReach", errors=(404,)),
    _O("PUT", "/me/username", "Change my username (old page URLs redirect forever)", Rule.SIGNED_IN, "accounts",
       "UsernameChanged", body="UsernameBody", example={"username": "ada_lovelace"}, errors=(404, 409)),
    # helper pages
    _O("GET", "/me/page", "My Helper page", Rule.HELPER, "helper pages", "Page", errors=(404,)),
    _O("PUT", "/me/page", "Create or replace my Helper page (creating it makes me a Helper)", Rule.SIGNED_IN,
       "helper pages", "Page", body="PageBody", example=PAGE_EXAMPLE, other_answers={201: "Page"},
       errors=(404,)),
    _O("POST", "/me/page/avatar-upload", "A presigned S3 POST for a new picture", Rule.HELPER, "helper pages",
       "AvatarUpload", body="AvatarUploadBody", example={"content_type": "image/png"}, errors=(404, 503)),
    _O("PUT", "/me/page/avatar", "Use the uploaded picture (checked: owner, size, type)", Rule.HELPER,
       "helper pages", "Page", body="AvatarBody", example={"key": "media/avatars/<user_id>/<id>.png"},
       errors=(403, 404, 503)),
    _O("GET", "/h/{username}", "A Helper's public page, server-rendered", Rule.PUBLIC, "helper pages",
       media=HTML, description="301 to the current address for an old or differently-cased username; "
                               "an HTML 404 page for an unknown one."),
    # directory
    _O("GET", "/categories", "Every category, parents before their children", Rule.PUBLIC, "directory",
       "Categories"),
    _O("GET", "/categories/{slug}", "One page of a category's Helpers, online first", Rule.PUBLIC, "directory",
       "CategoryPage", query="CategoryPageQuery"),
    _O("POST", "/categories/{slug}/helpers", "List me in a category (at most 10)", Rule.HELPER, "directory",
       "Listed", errors=(400, 403)),
    _O("DELETE", "/categories/{slug}/helpers", "Leave a category", Rule.SIGNED_IN, "directory", "Listed"),
    _O("PUT", "/ops/categories/{slug}", "Create or edit a category", Rule.OPS, "directory", "Category",
       body="CategoryBody", example={"name": "Plumbing", "banner": "Leaks, drains and taps", "parent": None,
                                     "position": 3}),
    _O("GET", "/search", "Helpers matching every word", Rule.PUBLIC, "directory", "SearchResults",
       query="SearchQuery"),
    _O("GET", "/presence", "Online status of people", Rule.PUBLIC, "directory", "Statuses", query="PresenceQuery"),
    # calls
    _O("GET", "/calls/ice-servers", "STUN and TURN servers for the peer connection", Rule.SIGNED_IN, "calls",
       "IceServers"),
    # money
    _O("GET", "/me/storefront", "My storefront (all null before it is set up)", Rule.SIGNED_IN, "payments",
       "Storefront"),
    _O("PUT", "/me/storefront", "Set the PayPal email payouts go to", Rule.HELPER, "payments", "Storefront",
       body="StorefrontBody", example={"paypal_email": "payouts@example.com", "name": "Ada's store"},
       errors=(404,)),
    _O("GET", "/me/plan", "My plan and the upgrade offer", Rule.SIGNED_IN, "payments", "Plan"),
    _O("POST", "/me/plan/upgrade", "Buy the upgraded plan: a payment to approve at PayPal", Rule.HELPER,
       "payments", "Payment", 201, errors=(404, 409, 503)),
    _O("GET", "/me/balance", "My pending and payable balances", Rule.SIGNED_IN, "payments", "Balance"),
    _O("POST", "/calls/{call_id}/payment", "The payment for the agreed paid terms", Rule.PAYER, "payments",
       "Payment", 201, errors=(403, 409, 503)),
    _O("POST", "/calls/{call_id}/tips", "Tip the Helper during a session (upgraded plan)", Rule.PAYER,
       "payments", "Payment", 201, "TipBody", {"amount_cents": 500}, errors=(403, 409, 503)),
    _O("GET", "/payments", "My payments, newest first", Rule.SIGNED_IN, "payments", "Payments"),
    _O("GET", "/payments/{payment_id}", "One payment", Rule.PAYMENT_PARTIES, "payments", "Payment"),
    _O("POST", "/payments/{payment_id}/complete", "Capture an approved payment (idempotent)", Rule.PAYER,
       "payments", "Payment", errors=(402, 403, 409, 503)),
    _O("POST", "/payments/{payment_id}/cancel", "Cancel a payment not yet captured", Rule.PAYER, "payments",
       "Payment", errors=(403, 409, 503)),
    _O("POST", "/webhooks/paypal", "PayPal's signed webhook events", Rule.PAYPAL, "payments", "WebhookOutcome",
       example={"id": "WH-1", "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {}},
       errors=(409, 503), description="Needs PayPal's signature headers; an unsigned or badly signed event "
                                      "is a 400, a replayed event id a 200 with no effect."),
    # reviews
    _O("GET", "/calls/{call_id}/review", "My review of the call's session, and whether I may rate it",
       Rule.PAYER, "reviews", "ReviewForCall", errors=(403,)),
    _O("PUT", "/calls/{call_id}/review", "Rate the call's session (once; changed for 48 hours)", Rule.PAYER,
       "reviews", "ReviewSaved", 200, "ReviewBody", {"stars": 5, "text": "Fixed my sink in ten minutes."},
       errors=(403, 409), other_answers={201: "ReviewSaved"},
       description="Only the caller of a call whose session ran at least the minimum (2 minutes), within 14 "
                   "days of its end. A second submit changes the review (201 when created, 200 when changed)."),
    _O("GET", "/me/reviews", "The reviews I wrote, and the newest of my sessions'", Rule.SIGNED_IN, "reviews",
       "MyReviews"),
    _O("GET", "/helpers/{username}/reviews", "A Helper's reviews and rating summary", Rule.PUBLIC, "reviews",
       "HelperReviews", query="ReviewsQuery"),
    _O("PUT", "/reviews/{review_id}/reply", "The Helper's one public reply (changed for 48 hours)",
       Rule.REVIEWED_HELPER, "reviews", "ReviewSaved", 200, "ReplyBody", {"text": "Thank you, glad it held!"},
       errors=(403, 409), other_answers={201: "ReviewSaved"}),
    # reports and moderation (reviews, posts, products, events)
    _O("POST", "/reports", "Report a review, post, product or event to ops (once each, 20 a day)", Rule.SIGNED_IN,
       "reports", "ReportReceived", 201, "ReportBody",
       {"kind": "review", "id": "<call_id>", "reason": "offensive", "note": "Insults the Helper."},
       errors=(404, 409, 429)),
    _O("GET", "/ops/moderation", "The moderation queue: one card per reported thing, oldest first", Rule.OPS,
       "ops", "ModerationQueue", query="ReportsQuery"),
    _O("POST", "/ops/moderation/decision", "Hide a reported thing (its owner told why) or keep it", Rule.OPS,
       "ops", "ModerationDecision", 200, "ModerationBody",
       {"kind": "review", "id": "<call_id>", "decision": "keep", "note": "Harsh but fair."}, errors=(409,)),
    # refunds
    _O("POST", "/refunds", "Ask for a refund within 24 hours of the session's end", Rule.SIGNED_IN, "refunds",
       "RefundRequest", 201, "RefundBody", {"payment_id": "<payment_id>", "reason": "The call dropped at once."},
       errors=(404, 409)),
    _O("GET", "/refunds", "Refund requests I made, and those about my sessions", Rule.SIGNED_IN, "refunds",
       "MyRefunds"),
    _O("GET", "/refunds/{request_id}", "One refund request", Rule.REFUND_PARTIES, "refunds", "RefundRequest"),
    _O("PUT", "/refunds/{request_id}/statement", "The Helper's side, while the request is open",
       Rule.REFUND_HELPER, "refunds", "RefundRequest", body="StatementBody",
       example={"statement": "We talked for the whole fifteen minutes."}, errors=(409,)),
    _O("GET", "/ops/refunds", "Open refund requests, nearest deadline first", Rule.OPS, "ops", "RefundQueue"),
    _O("POST", "/ops/refunds/{request_id}/decision", "Approve or deny a refund, once", Rule.OPS, "ops",
       "RefundRequest", body="DecisionBody", example={"decision": "deny", "note": "The session ran in full."},
       errors=(409, 503)),
    # earnings
    _O("GET", "/me/earnings", "Balances, the next payout, payouts and the ledger history", Rule.SIGNED_IN,
       "earnings", "Earnings", query="EarningsQuery"),
    _O("GET", "/me/earnings/csv", "Every ledger line of my balances, as CSV", Rule.SIGNED_IN, "earnings",
       media=CSV),
    # ops
    _O("GET", "/ops/flags", "Open flags about Helpers, newest first", Rule.OPS, "ops", "Flags"),
    _O("POST", "/ops/flags/{flag_id}/close", "Close a flag with a note, once", Rule.OPS, "ops", "Flag",
       body="CloseFlagBody", example={"note": "Talked to the Helper; a charity week."}, errors=(409,)),
    _O("POST", "/ops/people/{user_id}/disqualify", "Disqualify a Helper, with the reason they are emailed",
       Rule.OPS, "ops", "PersonStanding", body="StandingBody",
       example={"reason": "Hosted free sessions excessively, after two warnings."}, errors=(404, 409)),
    _O("POST", "/ops/people/{user_id}/restore", "Restore a disqualified Helper, with a note", Rule.OPS, "ops",
       "PersonStanding", body="StandingBody", example={"reason": "Appeal heard: the sessions were a charity week."},
       errors=(404, 409)),
    _O("GET", "/ops/payouts", "Open payout runs and those of the last six payout days", Rule.OPS, "ops",
       "PayoutRuns"),
    # the ops console
    _O("GET", "/ops/dashboard", "Today's and the last seven days' figures, and the live queues", Rule.OPS, "ops",
       "OpsDashboard", description="Figures are UTC days, counted as things happen (no Scan): calls rung and "
       "answered, payments, paid sessions, revenue, platform fees, refunds and payouts; beside them the refunds "
       "waiting (the nearest deadlines), open flags, the moderation queue and the last payout run."),
    _O("GET", "/ops/people", "Find people by username (or its beginning) or by email", Rule.OPS, "ops",
       "PeopleFound", query="PeopleQuery",
       description="A username is matched exactly, and by its beginning among Helpers (their search terms); an "
                   "email (or its beginning) through Cognito. At most 20."),
    _O("GET", "/ops/people/{user_id}", "A person's profile, standing and history", Rule.OPS, "ops", "OpsPerson",
       description="Their latest calls (as Helper and as caller), payments, refund requests, the flags about "
                   "them and the audit log's entries about them."),
    _O("GET", "/ops/audit", "The audit log of ops actions, newest first, 50 a page", Rule.OPS, "ops", "AuditPage",
       query="AuditQuery"),
    _O("GET", "/ops/audit.csv", "The whole audit log as CSV, newest first", Rule.OPS, "ops", media=CSV,
       description="Cells a spreadsheet would run as a formula start with an apostrophe."),
    # the store: the seller's side
    _O("GET", "/me/products", "My products, newest first, drafts included", Rule.HELPER, "store", "Products",
       query="ListQuery", errors=(404,)),
    _O("POST", "/me/products", "Add a product (a draft unless said otherwise)", Rule.HELPER, "store",
       "ProductSaved", 201, "ProductBody", PRODUCT_EXAMPLE, errors=(404, 409)),
    _O("GET", "/me/products/{slug}", "One of my products", Rule.HELPER, "store", "ProductSaved"),
    _O("PUT", "/me/products/{slug}", "Edit one of my products (its address stays)", Rule.HELPER, "store",
       "ProductSaved", body="ProductBody", example=PRODUCT_EXAMPLE, errors=(409,)),
    _O("POST", "/me/products/{slug}/image-upload", "A presigned S3 POST for one more picture", Rule.HELPER,
       "store", "AvatarUpload", body="AvatarUploadBody", example={"content_type": "image/png"}, errors=(409, 503)),
    _O("POST", "/me/products/{slug}/images", "Show an uploaded picture (checked: owner, size, type)",
       Rule.HELPER, "store", "ProductSaved", body="AvatarBody",
       example={"key": "media/products/<user_id>/<slug>/<id>.png"}, errors=(403, 409, 503)),
    _O("PUT", "/me/products/{slug}/images", "Reorder or remove pictures", Rule.HELPER, "store", "ProductSaved",
       body="ImagesBody", example={"keys": []}, errors=(409,)),
    _O("POST", "/me/products/{slug}/file-upload", "A presigned S3 POST into the private bucket for a file "
       "buyers get", Rule.HELPER, "store", "FileUpload", body="FileUploadBody",
       example={"content_type": "application/pdf", "size": 1024}, errors=(409, 503)),
    _O("POST", "/me/products/{slug}/files", "Deliver an uploaded file with the product (checked: size, type)",
       Rule.HELPER, "store", "ProductSaved", body="FileBody", example={"file_id": "<file_id>", "name": "Guide.pdf"},
       errors=(409, 503)),
    _O("DELETE", "/me/products/{slug}/files/{file_id}", "Stop delivering a file (buyers keep it)", Rule.HELPER,
       "store", "ProductSaved", errors=(400, 409)),
    _O("GET", "/me/store/shipping", "How my store ships (null before the storefront)", Rule.SIGNED_IN, "store",
       "Shipping"),
    _O("PUT", "/me/store/shipping", "Set how my store ships: a flat rate, free from a threshold, the countries",
       Rule.HELPER, "store", "Shipping", body="ShippingBody",
       example={"flat_cents": 500, "free_from_cents": 5000, "countries": ["US", "CA"]}, errors=(404,)),
    _O("GET", "/me/store/orders", "Orders of my store, newest first, in one state or all", Rule.SIGNED_IN,
       "store", "Orders", query="StoreOrdersQuery"),
    _O("POST", "/orders/{order_id}/shipment", "Ship a paid order with its carrier and tracking number (sent to "
       "PayPal)", Rule.ORDER_SELLER, "store", "OrderAnswer", body="ShipmentBody",
       example={"carrier": "USPS", "tracking_number": "9400 1000 0000 0000 0000 00"}, errors=(403, 409, 503)),
    _O("POST", "/orders/{order_id}/refunds", "Refund an order, in full or in part, through PayPal",
       Rule.ORDER_SELLER, "store", "OrderAnswer", body="OrderRefundBody",
       example={"amount_cents": 500, "reason": "One mug arrived chipped."}, errors=(403, 409, 503)),
    _O("GET", "/me/store/sales", "My Sales report: totals, a series by day, week or month, and by product",
       Rule.SIGNED_IN, "store", "SalesReport", query="SalesQuery"),
    _O("GET", "/me/store/sales/report.csv", "The Sales report as CSV", Rule.SIGNED_IN, "store", media=CSV,
       query="SalesQuery"),
    _O("GET", "/me/store/sales/orders.csv", "The period's orders as CSV, one row per line", Rule.SIGNED_IN,
       "store", media=CSV, query="PeriodQuery"),
    # the store: everyone's side
    _O("GET", "/stores/{username}/products", "A store's products on sale, newest first", Rule.PUBLIC, "store",
       "StoreProducts", query="ListQuery"),
    _O("GET", "/marketplace/products", "Every product on sale, newest first: all, in a category, or matching "
       "words", Rule.PUBLIC, "store", "Products", query="MarketplaceQuery"),
    _O("GET", "/h/{username}/store", "A Helper's store, server-rendered", Rule.PUBLIC, "store", media=HTML),
    _O("GET", "/h/{username}/store/{slug}", "A product page, server-rendered", Rule.PUBLIC, "store", media=HTML),
    _O("GET", "/marketplace", "The Marketplace, server-rendered", Rule.PUBLIC, "store", media=HTML),
    _O("POST", "/checkout", "Buy a store's cart: the stock is held while the buyer approves at PayPal",
       Rule.SIGNED_IN, "store", "CheckoutAnswer", 201, "CheckoutBody",
       {"seller": "ada", "lines": [{"slug": "leak-guide", "variant_id": "<variant_id>", "quantity": 1,
                                    "seen_price_cents": 900}]},
       errors=(403, 404, 409, 503),
       description="Prices are the store's: a price the buyer did not see, a product no longer on sale or an "
                   "unknown variant is a 409 `cart_changed` with the cart as it is now; too few left is a 409 "
                   "`sold_out`."),
    _O("GET", "/me/orders", "My purchases (the library), newest first, with the files to download",
       Rule.SIGNED_IN, "store", "Orders", query="ListQuery"),
    _O("GET", "/orders/{order_id}", "One order", Rule.ORDER_PARTIES, "store", "OrderAnswer"),
    _O("POST", "/orders/{order_id}/delivered", "The parcel arrived", Rule.ORDER_PARTIES, "store",
       "OrderAnswer", errors=(409,)),
    _O("POST", "/orders/{order_id}/files/{slug}/{file_id}/download", "A link to a purchased file (minutes); "
       "counts against the purchase's downloads", Rule.ORDER_BUYER, "store", "DownloadLink",
       errors=(403, 409)),
    # appointments
    _O("GET", "/me/booking-rules", "My booking rules", Rule.HELPER, "appointments", "BookingRulesAnswer"),
    _O("PUT", "/me/booking-rules", "Set my booking rules", Rule.HELPER, "appointments", "BookingRulesAnswer",
       body="BookingRulesBody", example={"lengths": [30, 60], "notice_minutes": 120, "buffer_minutes": 10,
                                         "fee_policy": "half_price",
                                         "overrides": [{"date": "2026-12-24", "windows": []}]}),
    _O("POST", "/me/booking-rules/feed", "A new private calendar feed URL (the old one stops working)",
       Rule.HELPER, "appointments", "BookingRulesAnswer", body_required=False),
    _O("DELETE", "/me/booking-rules/feed", "Close my calendar feed", Rule.HELPER, "appointments",
       "BookingRulesAnswer", body_required=False),
    _O("GET", "/calendar/{name}", "A Helper's private calendar feed (`<token>.ics`, iCalendar)", Rule.PUBLIC,
       "appointments", media="text/calendar",
       description="Anyone with the URL can read it (it is a secret); a revoked or unknown token is a 404."),
    _O("GET", "/helpers/{username}/slots", "A Helper's free slots for a length, in the customer's time zone",
       Rule.PUBLIC, "appointments", "Slots", query="SlotsQuery"),
    _O("GET", "/helpers/{username}/notify-me", "Whether I wait to hear when this Helper is free", Rule.SIGNED_IN,
       "appointments", "Waiting"),
    _O("PUT", "/helpers/{username}/notify-me", "Notify me the next time this Helper is online and free (one "
       "email, at most one a day)", Rule.SIGNED_IN, "appointments", "Waiting", errors=(409,),
       body_required=False, description="A Helper online now is a 409 (call them), as is one's own page."),
    _O("DELETE", "/helpers/{username}/notify-me", "Stop waiting", Rule.SIGNED_IN, "appointments", "Waiting",
       body_required=False),
    _O("GET", "/me/waiting", "How many people wait to hear when I am free", Rule.SIGNED_IN, "appointments",
       "WaitingCount"),
    # following
    _O("GET", "/helpers/{username}/follow", "Whether and how I follow this Helper, and their follower count",
       Rule.SIGNED_IN, "following", "FollowState"),
    _O("PUT", "/helpers/{username}/follow", "Follow this Helper, or change how I hear of their posts and events",
       Rule.SIGNED_IN, "following", "FollowState", body="FollowBody", example={"mode": "each"}, errors=(409,),
       description="Following twice counts once (the mode changes). One's own page is a 409."),
    _O("DELETE", "/helpers/{username}/follow", "Unfollow this Helper", Rule.SIGNED_IN, "following", "FollowState",
       errors=(409,), description="Unfollowing someone I do not follow changes nothing. One's own page is a 409."),
    _O("GET", "/me/following", "The Helpers I follow, and how I hear from each", Rule.SIGNED_IN, "following",
       "Following", query="FollowingQuery"),
    _O("GET", "/follows/unsubscribe", "What a follower email's unsubscribe link stops (changes nothing)",
       Rule.PUBLIC, "following", "Unsubscribed", query="UnsubscribeQuery",
       description="The token is the email's; no sign-in. A token this site did not sign is a 400."),
    _O("POST", "/follows/unsubscribe", "One-click unsubscribe (RFC 8058): no more emails from that Helper",
       Rule.PUBLIC, "following", "Unsubscribed", query="UnsubscribeQuery",
       description="Mail clients POST `List-Unsubscribe=One-Click` as a form; the body is not read. The "
                   "follow stays, its mode set to `none` (the follower count does not move)."),
    # call alerts (Web Push)
    _O("GET", "/push/key", "The VAPID public key browsers subscribe to call alerts with", Rule.PUBLIC,
       "call alerts", "PushKey", errors=(503,), description="503 when this site has no VAPID key (push is off)."),
    _O("PUT", "/me/push-subscriptions", "Turn call alerts on in this browser (its PushSubscription)",
       Rule.SIGNED_IN, "call alerts", "PushSubscriptions", body="PushSubscriptionBody",
       example={"endpoint": "https://push.example.com/send/role-test", "expirationTime": None,
                "keys": {"p256dh": PUSH_KEY_EXAMPLE, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
       errors=(409, 503), description="A ring is pushed to my browsers when no tab of mine is open. The same "
                                      "endpoint again replaces its keys; a person has at most 10 (then 409). "
                                      "The endpoint must be https."),
    _O("DELETE", "/me/push-subscriptions", "Turn call alerts off in this browser", Rule.SIGNED_IN, "call alerts",
       "PushSubscriptions", body="PushEndpointBody", example={"endpoint": "https://push.example.com/send/role-test"},
       description="Forgetting an endpoint never subscribed changes nothing."),
    # notifications (the notification centre)
    _O("GET", "/me/notifications", "What happened to me, newest first (20 a page), and how many are unread",
       Rule.SIGNED_IN, "notifications", "Notifications", query="NotificationsQuery",
       description="Every email about my own account is also a notice here (kept 180 days), even when I turned "
                   "its emails off. `url` is a path of this site."),
    _O("POST", "/me/notifications/read", "Mark all my notifications read", Rule.SIGNED_IN, "notifications",
       "NotificationsRead", body_required=False, description="The body, if any, is not read (`{}`)."),
    _O("GET", "/me/notification-preferences", "How I hear of each category: email and push",
       Rule.SIGNED_IN, "notifications", "NotificationPreferences"),
    _O("PUT", "/me/notification-preferences", "Change how I hear of some categories (a partial change)",
       Rule.SIGNED_IN, "notifications", "NotificationPreferences", body="NotificationPreferencesBody",
       example={"categories": {"orders": {"email": False}, "calls": {"push": True}}},
       description="A category or channel left out keeps its value. Defaults: email on for every category; "
                   "push on for calls, bookings, reviews and alerts."),
    _O("GET", "/notifications/unsubscribe", "What a notice email's unsubscribe link stops (changes nothing)",
       Rule.PUBLIC, "notifications", "NotificationUnsubscribed", query="UnsubscribeQuery",
       description="The token is the email's (it names the person and the category); no sign-in. A token this "
                   "site did not sign is a 400."),
    _O("POST", "/notifications/unsubscribe", "One-click unsubscribe (RFC 8058): no more emails of that category",
       Rule.PUBLIC, "notifications", "NotificationUnsubscribed", query="UnsubscribeQuery",
       description="Mail clients POST `List-Unsubscribe=One-Click` as a form; the body is not read. The "
                   "category's notices are still kept in the centre (and pushed, if push is on)."),
    # events
    _O("GET", "/me/events", "My events: upcoming soonest first (`?past=1`: the past ones)", Rule.HELPER, "events",
       "Events"),
    _O("POST", "/me/events", "Announce an event (or save a draft): times on my own clock", Rule.HELPER, "events",
       "EventAnswer", 201, "EventBody", EVENT_EXAMPLE,
       description="An event ending before it starts, a capacity outside 1-10,000 or a ticket without a storefront "
                   "is a 400 naming the field; nothing is saved."),
    _O("GET", "/me/events/{event_id}", "One of my events (with its online link)", Rule.HELPER, "events",
       "EventAnswer"),
    _O("PUT", "/me/events/{event_id}", "Change one of my events; attendees get the updated invitation",
       Rule.HELPER, "events", "EventAnswer", body="EventBody", example=EVENT_EXAMPLE, errors=(409,),
       description="Capacity below the places taken, a cancelled or past event, or a new price once people hold "
                   "places, is a 409."),
    _O("POST", "/me/events/{event_id}/cancel", "Cancel one of my events: every ticket refunded in full, everyone "
       "told", Rule.HELPER, "events", "EventAnswer", body="CancelEventBody", body_required=False,
       example={"reason": "I am ill, sorry."}, errors=(409, 503)),
    _O("GET", "/me/events/{event_id}/attendees", "Who is going, held, waiting or left", Rule.HELPER, "events",
       "EventAttendees"),
    _O("GET", "/me/events/{event_id}/attendees.csv", "The attendee list as CSV", Rule.HELPER, "events", media=CSV),
    _O("GET", "/helpers/{username}/events", "A Helper's upcoming events, soonest first", Rule.PUBLIC, "events",
       "Events"),
    _O("GET", "/events/{event_id}", "One event (no online link)", Rule.PUBLIC, "events", "EventAnswer"),
    _O("GET", "/events/{event_id}/me", "Where I stand: my place, my waitlist position, the online link when I go",
       Rule.SIGNED_IN, "events", "MyEventPlace"),
    _O("PUT", "/events/{event_id}/rsvp", "RSVP: a place while one is left (a paid one held while I pay at "
       "PayPal), else the waitlist; again changes nothing", Rule.SIGNED_IN, "events", "MyEventPlace",
       body="RsvpBody", body_required=False, example={"zone": "America/New_York"}, errors=(409, 503),
       description="A full event puts me on the waitlist (not an error); one's own event or a cancelled one is a "
                   "409."),
    _O("DELETE", "/events/{event_id}/rsvp", "Give up my place or leave the waitlist (the waitlist moves up)",
       Rule.SIGNED_IN, "events", "MyEventPlace", body_required=False),
    _O("GET", "/h/{username}/events", "A Helper's events, server-rendered", Rule.PUBLIC, "events", media=HTML),
    _O("GET", "/h/{username}/events/{event_id}", "An event page, server-rendered", Rule.PUBLIC, "events",
       media=HTML),
    _O("GET", "/h/{username}/events.ics", "A Helper's events as a calendar to subscribe to (iCalendar)",
       Rule.PUBLIC, "events", media="text/calendar"),
    # polls
    _O("POST", "/me/polls", "Ask my followers a question", Rule.HELPER, "polls", "PollAnswer", 201, "PollBody",
       {"question": "Which day suits you for a live Q&A?", "options": ["Monday", "Wednesday"],
        "results": "after_voting"}),
    _O("POST", "/me/polls/{poll_id}/close", "Close one of my polls", Rule.HELPER, "polls", "PollAnswer",
       body_required=False),
    _O("GET", "/me/polls", "My polls, newest first, with their results", Rule.SIGNED_IN, "polls", "Polls"),
    _O("GET", "/helpers/{username}/polls", "A Helper's polls, newest first (results as the Helper chose)",
       Rule.PUBLIC, "polls", "Polls"),
    _O("GET", "/helpers/{username}/polls/{poll_id}", "One of a Helper's polls (placed in a post)", Rule.PUBLIC,
       "polls", "PollAnswer"),
    _O("GET", "/helpers/{username}/polls/{poll_id}/vote", "A poll as I see it, with my vote", Rule.SIGNED_IN,
       "polls", "PollAnswer"),
    _O("PUT", "/helpers/{username}/polls/{poll_id}/vote", "Vote, or change my vote while the poll is open",
       Rule.SIGNED_IN, "polls", "PollAnswer", body="VoteBody", example={"option": 1}, errors=(409,),
       description="A closed poll is a 409 `poll_closed`; one's own poll a 409."),
    # blog
    _O("GET", "/me/posts", "My blog posts, drafts too, newest first", Rule.SIGNED_IN, "blog", "MyPosts",
       query="PostsQuery"),
    _O("POST", "/me/posts", "Write a post: a draft, scheduled for a time, or published", Rule.HELPER, "blog",
       "MyPostAnswer", 201, "PostBody", {"title": "Five leaks you can fix yourself", "body": "First, **turn off "
                                         "the water**.", "status": "draft"}, errors=(409,),
       description="An address the Helper chose that another of their posts has is a 409 `slug_taken`; one "
                   "made from the title gets a number instead. Published for the first time, the Helper's "
                   "followers hear of it."),
    _O("GET", "/me/posts/{post_id}", "One of my posts, with its Markdown", Rule.HELPER, "blog", "MyPostAnswer"),
    _O("PUT", "/me/posts/{post_id}", "Edit, schedule or publish one of my posts (a field left out stays)",
       Rule.HELPER, "blog", "MyPostAnswer", body="PostBody", example={"title": "Six leaks you can fix yourself"},
       errors=(409,), description="A post changed since `version` is a 409; a taken address a 409 `slug_taken`."),
    _O("POST", "/me/posts/{post_id}/unpublish", "Back to a draft: visitors no longer see it", Rule.HELPER, "blog",
       "MyPostAnswer", body_required=False, errors=(409,)),
    _O("DELETE", "/me/posts/{post_id}", "Delete one of my posts and its pictures", Rule.HELPER, "blog", "PostDeleted"),
    _O("POST", "/me/posts/{post_id}/image-upload", "A presigned S3 POST for a picture of the post (cover or body)",
       Rule.HELPER, "blog", "AvatarUpload", body="AvatarUploadBody", example={"content_type": "image/png"},
       errors=(409,)),
    _O("POST", "/me/posts/{post_id}/images", "Show an uploaded picture: the cover, or one for the body (checked "
       "and redrawn)", Rule.HELPER, "blog", "PostPicture", body="PostImageBody",
       example={"key": "incoming/posts/<helper_id>/<post_id>/<id>.png", "cover": True}, errors=(409,)),
    _O("DELETE", "/me/posts/{post_id}/cover", "Remove the post's cover", Rule.HELPER, "blog", "MyPostAnswer",
       errors=(409,)),
    _O("POST", "/me/post-preview", "A post's Markdown as its page will show it", Rule.SIGNED_IN, "blog",
       "PostPreview", body="PreviewBody", example={"body": "## Tools\n\n- a wrench\n- *patience*"}),
    _O("GET", "/helpers/{username}/posts", "A Helper's published posts, newest first", Rule.PUBLIC, "blog", "Posts",
       query="PostsQuery"),
    _O("GET", "/helpers/{username}/posts/{slug}", "One published post", Rule.PUBLIC, "blog", "PostAnswer"),
    _O("GET", "/h/{username}/blog", "A Helper's blog, server-rendered, newest first", Rule.PUBLIC, "blog",
       media=HTML, query="BlogPageQuery"),
    _O("GET", "/h/{username}/blog/rss.xml", "A Helper's blog as an RSS 2.0 feed", Rule.PUBLIC, "blog",
       media="application/rss+xml"),
    _O("GET", "/h/{username}/blog/atom.xml", "A Helper's blog as an Atom feed", Rule.PUBLIC, "blog",
       media="application/atom+xml"),
    _O("GET", "/h/{username}/blog/{slug}", "A post page, server-rendered (schema.org BlogPosting)", Rule.PUBLIC,
       "blog", media=HTML),
    _O("POST", "/bookings", "Book a slot: held while the customer pays at PayPal (a free one at once)",
       Rule.SIGNED_IN, "appointments", "BookAnswer", 201, "BookBody",
       {"helper": "ada", "length": 30, "start": "2026-12-08T15:30:00Z", "zone": "America/New_York",
        "note": "My sink drains slowly."}, errors=(403, 404, 409, 503),
       description="A slot no longer free is a 409 `slot_unavailable`."),
    _O("GET", "/me/bookings", "My bookings: made, or of my time; upcoming soonest first, past latest first",
       Rule.SIGNED_IN, "appointments", "Bookings", query="MyBookingsQuery"),
    _O("GET", "/bookings/{booking_id}", "One booking", Rule.BOOKING_PARTIES, "appointments", "BookingAnswer"),
    _O("GET", "/bookings/{booking_id}/cancel-quote", "What cancelling now costs and gives back",
       Rule.BOOKING_PARTIES, "appointments", "CancelQuote", errors=(409,)),
    _O("POST", "/bookings/{booking_id}/cancel", "Cancel: the refund the quote showed", Rule.BOOKING_PARTIES,
       "appointments", "BookingAnswer", body="CancelBody", body_required=False, errors=(409, 503),
       example={"reason": "Something came up at work."}),
    _O("POST", "/bookings/{booking_id}/reschedule", "Move to another free slot (a customer: 24 hours or more "
       "ahead)", Rule.BOOKING_PARTIES, "appointments", "BookingAnswer", body="RescheduleBody",
       example={"start": "2026-12-09T15:30:00Z"}, errors=(409,)),
    _O("POST", "/bookings/{booking_id}/confirm", "Confirm a booking that waits for me", Rule.BOOKING_HELPER,
       "appointments", "BookingAnswer", errors=(403, 409)),
    _O("POST", "/bookings/{booking_id}/no-show", "The customer never came (10 minutes after the start)",
       Rule.BOOKING_HELPER, "appointments", "BookingAnswer", errors=(403, 409, 503)),
)


def operations() -> dict[tuple[str, str], Operation]:
    return {operation.key: operation for operation in OPERATIONS}


# -- building the document ----------------------------------------------------------------------

def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _collect(model: Any, components: dict) -> dict:
    """The model's JSON Schema as a reference; it and its nested models land in `components`."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, nested in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
        if components.setdefault(name, nested) != nested:
            raise ValueError(f"two different models are called {name}")
    return _ref(model.__name__)


def _query_parameters(model: Any) -> list[dict]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    found = []
    for name, prop in schema["properties"].items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
        if "anyOf" in prop:  # Optional[...]: a query parameter is absent, never null
            prop = {**next(s for s in prop.pop("anyOf") if s.get("type") != "null"), **prop}
            if prop.get("default") is None:
                prop.pop("default", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        described = next(f for key, f in model.model_fields.items() if (f.alias or key) == name).description
        if described:
            parameter["description"] = described
        found.append(parameter)
    return found


def _path_parameter(name: str) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200}}


def _content(media: str, schema: dict) -> dict:
    return {"content": {media: {"schema": schema}}}


def _operation_object(operation: Operation, schemas: Any, responses: Any, components: dict) -> dict:
    answers: dict[str, Any] = {}
    if operation.media == JSON:
        schema = (_collect(getattr(responses, operation.answer), components) if operation.answer != "OpenApiDocument"
                  else {"type": "object"})
        answers[str(operation.status)] = {"description": operation.summary, **_content(JSON, schema)}
        for status, name in operation.other_answers.items():
            answers[str(status)] = {"description": f"{operation.summary} (created)",
                                    **_content(JSON, _collect(getattr(responses, name), components))}
    else:
        answers[str(operation.status)] = {"description": operation.summary,
                                          **_content(operation.media, {"type": "string"})}
    if operation.media == HTML or operation.media.endswith("+xml"):  # the pages, and the blog's feeds
        answers["301"] = {"description": "Moved: the Helper's current address (Location header).",
                          "headers": {"Location": {"schema": {"type": "string"}}}}
        answers["404"] = {"description": "No Helper by that name: an HTML page.", **_content(HTML, {"type": "string"})}
    error = _collect(responses.ErrorBody, components)
    for status in operation.error_statuses():
        answers.setdefault(str(status), {"description": ERROR_TEXT[status], **_content(JSON, error)})
    parameters = [_path_parameter(name) for name in operation.path_parameters]
    if operation.query:
        parameters.extend(_query_parameters(getattr(schemas, operation.query)))
    described = " ".join(part for part in (operation.description, f"Who: {RULE_TEXT[operation.rule]}") if part)
    found: dict[str, Any] = {
        "operationId": f"{operation.method.lower()}{operation.path.replace('/', '_').replace('{', '').replace('}', '')}"
                       .replace("-", "_").replace(".", "_"),
        "summary": operation.summary, "description": described, "tags": [operation.tag],
        "x-rule": operation.rule.value, "security": [{BEARER: []}] if operation.rule.needs_token else [],
        "responses": answers,
    }
    if parameters:
        found["parameters"] = parameters
    if operation.body or operation.rule is Rule.PAYPAL:
        schema = _collect(getattr(schemas, operation.body), components) if operation.body else {"type": "object"}
        media: dict[str, Any] = {"schema": schema}
        if operation.example is not None:
            media["example"] = operation.example
        found["requestBody"] = {"required": operation.body_required, "content": {JSON: media}}
    return found


def build_document(declared: tuple[Operation, ...] = OPERATIONS) -> dict:
    """The whole OpenAPI 3.1 document (pydantic and the models load here)."""
    from chalicelib.api import responses, schemas

    components: dict[str, Any] = {}
    paths: dict[str, dict] = {}
    for operation in declared:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation_object(
            operation, schemas, responses, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "interKanect API", "version": "1",
                 "description": "Live help over peer-to-peer video. Errors are always "
                                "`{\"error\": {\"code\", \"message\", \"field\"?}}`; each operation's `x-rule` "
                                "says who may call it. The hand-written guide is docs/api.md."},
        "servers": [{"url": "/"}],
        "tags": [{"name": name} for name in dict.fromkeys(o.tag for o in declared)],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {BEARER: {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A Cognito access token from `POST /auth/sign-in` or `POST /auth/refresh`."}},
        },
    }


@functools.lru_cache(maxsize=1)
def document() -> dict:
    """The document, built once per warm Lambda."""
    return build_document()
