"""What the REST API answers, as pydantic models: the OpenAPI document's response schemas
(`chalicelib.api.openapi`), checked against real answers by the schema fuzz tests. Loaded only
when the document is built, never at cold import."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["online", "busy", "reachable", "offline"]
PaymentKind = Literal["session", "extension", "tip", "merchandise", "appointment", "plan", "ticket"]
PaymentState = Literal["created", "captured", "cancelled", "declined", "voided", "refunded", "reversed"]
RefundState = Literal["open", "approved", "denied", "refunded", "failed"]


def _absent_unless_set(schema: dict) -> None:
    schema.pop("default", None)  # an optional key is left out, never sent as null


def optional_key(**kwargs):
    """A key the answer carries only when it has a value (never null)."""
    return Field(default=None, json_schema_extra=_absent_unless_set, **kwargs)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- errors ------------------------------------------------------------------------------------

class FieldProblem(_Answer):
    message: str
    field: str = optional_key(description="The input at fault, dotted for nested fields.")


class ErrorDetail(_Answer):
    code: str = Field(description="Stable machine-readable code, e.g. `invalid_input`, `invalid_token`.")
    message: str = Field(description="A sentence for people.")
    field: str = optional_key(description="The input at fault, dotted for nested fields (`prices.30`).")
    errors: list[FieldProblem] = optional_key(
        description="Every invalid field of the input, when it was checked as a whole (a form): the first "
                    "is the one `field` and `message` describe.")
    details: dict = optional_key(
        description="What the client needs to recover, for some codes: `cart_changed` carries `lines`, the "
                    "cart as the store has it now (price, stock, whether each line is still on sale); "
                    "`rate_limited` (429) carries `retry_after`, the seconds the Retry-After header says.")


class ErrorBody(_Answer):
    """Every refusal: a 4xx (or 503) with this body."""

    error: ErrorDetail


# -- accounts ------------------------------------------------------------------------------------

class Health(_Answer):
    ok: bool


class PlanRules(_Answer):
    name: Literal["free", "upgraded"]
    price_cents: int
    days: Optional[int] = Field(description="How long a payment keeps the plan; null for the free plan.")
    fee_basis_points: int = Field(description="interKanect's fee on what the Helper is paid, in 1/100 %.")
    max_session_minutes: Optional[int] = Field(description="Session time per call; null: no limit.")
    concurrent_calls: Optional[int] = Field(description="Calls at once; null: no limit.")
    tips: bool
    free_sessions: bool


class PayPalFee(_Answer):
    basis_points: int
    fixed_cents: int


class CallRules(_Answer):
    ring_seconds: int
    negotiation_minutes: int
    payment_minutes: int
    priced_minutes: list[int]
    max_minutes: int
    max_price_cents: int
    paid_sessions_need_storefront: bool


class TipRules(_Answer):
    min_cents: int
    max_cents: int


class RefundRules(_Answer):
    request_hours: int
    review_business_days: int
    keeps_paypal_fee: bool


class PayoutRules(_Answer):
    cadence: Literal["weekly", "biweekly", "monthly"]
    holiday_shift: Literal["next", "previous"]
    minimum_cents: int
    pay_by_hour: int
    time_zone: str
    next_day: str = Field(description="The next payout day (a date in `time_zone`).")
    next_paid_by: str = Field(description="When that day's payouts are paid by (UTC).")


class AccountRules(_Answer):
    username_change_days: int
    unconfirmed_sign_up_days: int


class SiteRules(_Answer):
    brand: str
    support_email: str
    currency: str
    plans: list[PlanRules]
    paypal_fee: PayPalFee
    calls: CallRules
    tips: TipRules
    refunds: RefundRules
    payouts: PayoutRules
    accounts: AccountRules
    phrases: dict[str, str] = Field(description="The rules as the words the FAQ, Terms and Privacy pages use, "
                                                "e.g. `refund_hours`: `24 hours`.")


class SignedUp(_Answer):
    user_id: str
    email: str
    username: str
    confirmation_required: bool


class Confirmed(_Answer):
    confirmed: bool


class CodeSent(_Answer):
    sent: bool


class Session(_Answer):
    access_token: str
    id_token: str
    refresh_token: str = optional_key(description="Only when signing in, not when refreshing.")
    expires_in: int
    token_type: Literal["Bearer"]


class SignedOut(_Answer):
    signed_out: bool


class UsernameChange(_Answer):
    every_days: int = Field(description="A username changes at most once in this many days.")
    next_at: Optional[str] = Field(description="When it may change again (ISO time); null: now.")


class Me(_Answer):
    user_id: str
    email: str
    email_undeliverable: bool = Field(
        description="SES reported my email bounced for good or was marked as spam: no email is sent to it "
                    "until I confirm it again.")
    username: str
    display_name: str
    created_at: str
    roles: list[str] = Field(description="`customer` for everyone, plus `ops` for the ops group.")
    is_helper: bool
    avatar_url: Optional[str] = Field(description="My Helper page's picture (a site path), if any.")
    username_change: UsernameChange


class EmailReach(_Answer):
    email_undeliverable: bool = Field(description="Always false: email is sent to my address again.")


class UsernameChanged(_Answer):
    username: str
    page_url: str


# -- helper pages and the directory -------------------------------------------------------------

class Rating(_Answer):
    average: float = Field(description="Stars, to one decimal, of the reviews counted (not refunded, not hidden).")
    count: int
    distribution: Optional[dict[str, int]] = Field(
        default=None, description="On a whole page: how many counted reviews gave 5, 4, 3, 2 and 1 stars.")


class Card(_Answer):
    """A Helper as directories and search show them."""

    user_id: str
    username: str
    display_name: str
    headline: str
    avatar_url: Optional[str]
    page_url: str
    prices: dict[str, Optional[int]] = Field(
        description="Cents per session length in minutes (`15`, `30`, `60`): 0 free, null not offered.")
    rating: Optional[Rating]
    status: Status


class Slot(_Answer):
    day: int = Field(description="0 is Monday.")
    start: str
    end: str


class Link(_Answer):
    label: str
    url: str


class StandingView(_Answer):
    disqualified: Literal[True]
    reason: str
    at: int
    by: str = Field(description="The ops person who disqualified the Helper.")


class Page(Card):
    """A Helper's whole page, as its owner edits it."""

    offer: str
    offer_html: str
    qualifications: str
    qualifications_html: str
    languages: list[str]
    time_zone: str
    schedule: list[Slot]
    links: list[Link]
    categories: list[str]
    created_at: str
    updated_at: str
    payouts_ready: bool = Field(description="A storefront says where payouts go; until then visitors see "
                                            "only free sessions, not paid prices.")
    standing: Optional[StandingView] = Field(default=None, description="Set while ops has disqualified the "
                                                                       "Helper: the page is hidden, and why.")


class AvatarUpload(_Answer):
    """A presigned S3 POST: send every entry of `fields`, then the `file`, to `url`."""

    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int


class Category(_Answer):
    slug: str
    name: str
    banner: str
    parent: Optional[str]
    position: int


class Categories(_Answer):
    categories: list[Category]


class CategoryPage(_Answer):
    category: Category
    helpers: list[Card]
    next_cursor: Optional[str]


class Listed(_Answer):
    listed: bool


class SearchResults(_Answer):
    helpers: list[Card]


class Statuses(_Answer):
    statuses: dict[str, Status]


class IceServer(_Answer):
    urls: list[str]
    username: str = optional_key()
    credential: str = optional_key()


class IceServers(_Answer):
    ice_servers: list[IceServer]
    ttl: int


# -- reviews -----------------------------------------------------------------------------------------

class ReviewAuthor(_Answer):
    display_name: str = Field(description="The caller's name when they wrote the review.")


class ReviewReply(_Answer):
    text: str
    created_at: int
    edited_at: Optional[int]


class Review(_Answer):
    """A caller's rating of one session (its id is the call's) and the Helper's reply; text is
    plain text."""

    review_id: str
    stars: int
    text: str
    created_at: int
    edited_at: Optional[int]
    session_minutes: int = Field(description="The session's length as booked.")
    refunded: bool = Field(description="The session's money went back: shown, but not in the average.")
    author: ReviewAuthor
    reply: Optional[ReviewReply]


class ReviewSaved(_Answer):
    review: Review


class ReviewedHelper(_Answer):
    display_name: str
    username: Optional[str]


class ReviewForCall(_Answer):
    review: Optional[Review]
    can_review: bool = Field(description="Whether the caller may rate the session now (or change their review).")
    reason: Optional[str] = Field(description="Why not, in words for people.")
    closes_at: Optional[int] = Field(description="The last moment the session can be rated.")
    editable_until: Optional[int] = Field(description="The last moment the review can be changed.")
    helper: ReviewedHelper


class WrittenReview(Review):
    hidden: bool = Field(description="Hidden by ops after a report; shown only to its author.")
    hidden_note: Optional[str] = Field(description="Why it was hidden.")
    helper: ReviewedHelper


class MyReviews(_Answer):
    written: list[WrittenReview] = Field(description="The reviews I wrote, newest first (at most 20).")
    received: list[Review] = Field(description="The newest shown reviews of my sessions (at most 20).")


class RatingSummary(_Answer):
    average: Optional[float] = Field(description="Stars to one decimal; null without reviews.")
    count: int
    distribution: dict[str, int] = Field(description="How many counted reviews gave 5, 4, 3, 2 and 1 stars.")


class HelperReviews(_Answer):
    summary: RatingSummary
    reviews: list[Review]
    next_cursor: Optional[str]


# -- money ---------------------------------------------------------------------------------------

class Storefront(_Answer):
    paypal_email: Optional[str]
    name: Optional[str]
    updated_at: Optional[int]


class UpgradeOffer(_Answer):
    price_cents: int
    days: int
    currency: str


class Plan(_Answer):
    plan: Literal["free", "upgraded"]
    until: Optional[int]
    upgrade: UpgradeOffer


class Balance(_Answer):
    pending_cents: int
    payable_cents: int
    currency: str


class Payment(_Answer):
    payment_id: str
    kind: PaymentKind
    state: PaymentState
    amount_cents: int
    currency: str
    description: str
    call_id: Optional[str]
    helper_id: Optional[str]
    created_at: int
    captured_at: Optional[int]
    refunded_cents: int
    approve_url: Optional[str] = Field(description="Where the payer approves, while the payment is `created`.")
    closed_reason: Optional[str]


class MyPayment(Payment):
    refundable_until: Optional[int]


class Payments(_Answer):
    payments: list[MyPayment]


class RefundRequest(_Answer):
    request_id: str
    payment_id: str
    state: RefundState
    paid_cents: int
    refund_cents: int
    currency: str
    reason: str
    statement: Optional[str]
    requested_at: int
    deadline: int
    decided_at: Optional[int]
    note: Optional[str]
    refund_id: Optional[str]
    payer_id: str
    helper_id: Optional[str]


class MyRefunds(_Answer):
    asked: list[RefundRequest]
    about_me: list[RefundRequest]


class RefundQueue(_Answer):
    requests: list[RefundRequest]


class WebhookOutcome(_Answer):
    event_id: str
    outcome: str


# -- earnings and payouts --------------------------------------------------------------------------

class NextPayout(_Answer):
    day: str
    pay_by: int
    minimum_cents: int
    cadence: str


class PayoutView(_Answer):
    payout_day: str
    amount_cents: int
    currency: str
    receiver: str
    state: Literal["reserved", "paid", "returned"]
    paypal_status: Optional[str]
    error: Optional[str]
    created_at: int
    updated_at: int


class HistoryLine(_Answer):
    position: str
    at: int
    kind: str
    label: str
    account: Literal["pending", "payable"]
    direction: Literal["in", "out"]
    amount_cents: int
    payment_id: Optional[str]
    payment_kind: Optional[str]
    gross_cents: Optional[int]
    call_id: Optional[str]
    fees_cents: int = optional_key(description="For captures: the platform's fee and PayPal's.")


class HeldByRefunds(_Answer):
    count: int
    paid_cents: int = Field(description="What the sessions with an open refund request were paid.")
    decide_by: int = Field(description="The first deadline by which one of them is decided (epoch seconds).")


class Earnings(_Answer):
    currency: str
    payout_email: Optional[str]
    pending_cents: int
    payable_cents: int
    in_transit_cents: int
    paid_out_cents: int
    next_payout: NextPayout
    payouts: list[PayoutView]
    history: list[HistoryLine]
    next_before: Optional[str]
    held_by_refunds: Optional[HeldByRefunds] = Field(
        description="Open refund requests about my sessions, which keep those sessions' earnings pending.")


class Flag(_Answer):
    flag_id: str
    helper_id: str
    reason: str
    detail: str
    flagged_at: int
    state: Literal["open", "closed"]
    closed_at: Optional[int]
    closed_by: Optional[str]
    note: Optional[str]


class NamedFlag(Flag):
    username: Optional[str]


class Flags(_Answer):
    flags: list[NamedFlag]


class PersonStanding(_Answer):
    user_id: str
    username: str
    display_name: str
    standing: Optional[StandingView] = Field(description="null: in good standing.")
    bookings_cancelled: Optional[int] = Field(default=None, description="Disqualifying: open bookings cancelled "
                                                                         "(paid ones refunded in full).")
    bookings_failed: Optional[list[str]] = Field(default=None, description="Disqualifying: bookings that could "
                                                                            "not be cancelled (see the logs).")


class ReturnedPayout(_Answer):
    helper_id: str
    amount_cents: int
    receiver: str
    paypal_status: Optional[str]
    error: Optional[str]


class PayoutRun(_Answer):
    run_id: str
    state: Literal["collecting", "sending", "sent", "done"]
    started_at: int
    pay_by: int
    finished_at: Optional[int]
    late: Optional[bool]
    item_count: int
    total_cents: int
    batches: dict[str, str]
    reserved_count: int
    paid_count: int
    returned_count: int
    returned: list[ReturnedPayout]


class PayoutRuns(_Answer):
    runs: list[PayoutRun]


# -- the ops console -------------------------------------------------------------------------------

class OpsDay(_Answer):
    day: str = Field(description="A UTC day, `YYYY-MM-DD`.")
    calls_rung: int
    calls_answered: int
    payments: int = Field(description="Payments captured, of every kind.")
    paid_sessions: int = Field(description="Captures of a call's terms or a booked session.")
    revenue_cents: int
    platform_fee_cents: int
    refunds: int
    refund_cents: int
    payouts: int = Field(description="Payout items PayPal paid.")
    payout_cents: int


class OpsTotals(_Answer):
    calls_rung: int
    calls_answered: int
    payments: int
    paid_sessions: int
    revenue_cents: int
    platform_fee_cents: int
    refunds: int
    refund_cents: int
    payouts: int
    payout_cents: int


class OpsWeek(_Answer):
    first_day: str
    last_day: str
    totals: OpsTotals
    days: list[OpsDay] = Field(description="Seven UTC days, oldest first, today last.")


class WaitingRefund(_Answer):
    request_id: str
    payment_id: str
    deadline: int
    overdue: bool
    refund_cents: int
    paid_cents: int
    currency: str
    payer_id: str
    helper_id: Optional[str]
    requested_at: int


class WaitingRefunds(_Answer):
    pending: int
    more: bool = Field(description="More than `pending` wait (100 are counted).")
    overdue: int
    nearest: list[WaitingRefund] = Field(description="The five nearest deadlines.")


class OpenCount(_Answer):
    open: int
    more: bool


class ModerationCount(_Answer):
    open: Optional[int]
    more: bool
    source: str


class LastPayoutRun(_Answer):
    run_id: str
    state: Literal["collecting", "sending", "sent", "done"]
    pay_by: int
    finished_at: Optional[int]
    item_count: int
    total_cents: int
    late: bool


class OpsPayouts(_Answer):
    last_run: Optional[LastPayoutRun]


class OpsDashboard(_Answer):
    at: int
    today: OpsDay
    week: OpsWeek
    refunds: WaitingRefunds
    flags: OpenCount
    moderation: ModerationCount
    payouts: OpsPayouts


class FoundPerson(_Answer):
    user_id: str
    username: str
    display_name: str
    email: str
    created_at: str
    is_helper: Optional[bool]


class PeopleFound(_Answer):
    people: list[FoundPerson]


class OpsStanding(_Answer):
    known: bool = Field(description="false: standing is not kept (the part that keeps it is off).")
    disqualified: bool
    reason: Optional[str]
    at: Optional[int]
    by: Optional[str]


class PersonCall(_Answer):
    call_id: str
    role: Literal["helper", "caller"]
    other_id: str
    state: str
    created_at: int
    session_started_at: Optional[int]
    ended_at: Optional[int]
    end_reason: Optional[str]
    price_cents: Optional[int]
    minutes: Optional[int]
    booking_id: Optional[str]


class PersonPayment(_Answer):
    payment_id: str
    role: Literal["payer", "helper"]
    other_id: Optional[str]
    kind: str
    state: str
    amount_cents: int
    currency: str
    platform_cents: Optional[int]
    refunded_cents: int
    created_at: int
    captured_at: Optional[int]
    call_id: Optional[str]
    description: str


class PersonRefund(_Answer):
    request_id: str
    payment_id: str
    role: Literal["payer", "helper"]
    other_id: Optional[str]
    state: str
    paid_cents: int
    refund_cents: int
    currency: str
    requested_at: int
    deadline: int
    decided_at: Optional[int]


class PersonFlag(_Answer):
    flag_id: str
    reason: str
    detail: str
    flagged_at: int
    state: Literal["open", "closed"]
    closed_at: Optional[int]
    closed_by: Optional[str]
    note: Optional[str]


class PersonReport(_Answer):
    kind: str = Field(description="review, post, product or event")
    subject_id: str
    owner_id: str
    reporter_id: str
    reason: str
    note: str
    created_at: int


class PersonReports(_Answer):
    filed: list[PersonReport] = Field(description="The latest 20 reports they filed, newest first.")
    received: list[PersonReport] = Field(description="The latest 20 reports of what they publish, newest first.")


class AuditEntryView(_Answer):
    id: str
    at: int
    ops_id: str
    action: str
    subject: str = Field(description="`<kind>:<id>`: `user:<id>`, `review:<id>`, `flag:<id>`, ...")
    reason: str


class PersonName(_Answer):
    username: str
    display_name: str


class PersonHelper(_Answer):
    username: str
    plan: str


class OpsPerson(_Answer):
    person: FoundPerson
    helper: Optional[PersonHelper]
    standing: OpsStanding
    calls: list[PersonCall]
    payments: list[PersonPayment]
    refunds: list[PersonRefund]
    flags: list[PersonFlag]
    reports: Optional[PersonReports] = Field(description="null: reports are not kept (moderation is off).")
    audit: list[AuditEntryView]
    people: dict[str, PersonName] = Field(description="The other people named above, by user id.")


class AuditLine(AuditEntryView):
    ops_username: Optional[str]


class AuditPage(_Answer):
    entries: list[AuditLine]
    next: Optional[str] = Field(description="The cursor of the next page; null on the last.")
    people: dict[str, PersonName] = Field(description="The ops people and the people the entries are about, "
                                                      "by user id.")


# -- the store -----------------------------------------------------------------------------------

ProductKind = Literal["digital", "physical"]
ProductStatus = Literal["draft", "active", "archived"]
OrderState = Literal["reserved", "paid", "shipped", "delivered", "cancelled"]


class Variant(_Answer):
    variant_id: str
    name: str
    sku: str
    price_cents: int
    stock: Optional[int] = Field(description="Units left; null is unlimited.")


class ProductFile(_Answer):
    file_id: str
    name: str
    size: int
    content_type: str = optional_key(description="The seller's view only.")


class Product(_Answer):
    seller_id: str
    slug: str
    title: str
    description: str = Field(description="The seller's Markdown.")
    description_html: str = Field(description="The description as shown: sanitized HTML.")
    summary: str
    kind: ProductKind
    status: ProductStatus
    category: Optional[str]
    images: list[str] = Field(description="Picture URLs, first shown first.")
    image_keys: list[str] = optional_key(description="The seller's view only: the pictures' upload keys.")
    price_from_cents: int
    sold_out: bool
    variants: list[Variant]
    files: list[ProductFile] = Field(description="What a digital product delivers (names and sizes).")
    created_at: int
    updated_at: int


class ProductSaved(_Answer):
    product: Product


class Products(_Answer):
    products: list[Product]
    next_cursor: Optional[str]


class FileUpload(_Answer):
    """A presigned S3 POST into the private bucket: send every entry of `fields`, then the `file`."""

    url: str
    fields: dict[str, str]
    file_id: str
    max_bytes: int


class ShippingRule(_Answer):
    flat_cents: int
    free_from_cents: Optional[int]
    countries: list[str]


class Shipping(_Answer):
    shipping: Optional[ShippingRule] = Field(description="Null before the storefront is set up.")


class StoreSeller(_Answer):
    username: str
    display_name: str
    page_url: str
    store_url: str


class StoreProducts(_Answer):
    seller: StoreSeller
    accepts_payments: bool
    shipping: Optional[ShippingRule]
    products: list[Product]
    next_cursor: Optional[str]


class OrderLine(_Answer):
    slug: str
    variant_id: str
    title: str
    variant_name: str
    sku: str
    kind: ProductKind
    quantity: int
    unit_cents: int
    line_cents: int


class ShipmentView(_Answer):
    carrier: str
    carrier_name: str
    tracking_number: str


class LibraryFile(_Answer):
    slug: str
    file_id: str
    name: str
    size: int
    downloads_left: int


class LibrarySeller(_Answer):
    username: str
    display_name: str
    store_url: str


class LibraryRefund(_Answer):
    may_ask: bool
    why_not: Optional[str]
    until: Optional[int] = Field(description="When the window closes; null while not known (not delivered yet).")


class Order(_Answer):
    order_id: str
    seller_id: str
    state: OrderState
    lines: list[OrderLine]
    items_cents: int
    shipping_cents: int
    total_cents: int
    currency: str
    payment_id: str
    created_at: int
    paid_at: Optional[int]
    shipped_at: Optional[int]
    delivered_at: Optional[int]
    refunded_cents: int
    ships: bool
    shipment: Optional[ShipmentView]
    downloads: dict[str, int] = Field(description="Downloads made of each file (`<slug>/<file_id>`).")
    buyer_id: str = optional_key(description="The seller's view only.")
    ship_to: Optional[dict[str, str]] = optional_key(description="The seller's view only: PayPal's address.")
    files: list[LibraryFile] = optional_key(description="In the buyer's library: the files to download.")
    seller: Optional[LibrarySeller] = optional_key(description="In the buyer's library: who sold it.")
    refund: LibraryRefund = optional_key(description="In the buyer's library: whether a refund may be asked for "
                                                     "(`POST /refunds` with the order's payment_id).")


class OrderAnswer(_Answer):
    order: Order


class Orders(_Answer):
    orders: list[Order]
    next_cursor: Optional[str]


class CheckoutAnswer(_Answer):
    order: Order
    payment: Optional[Payment] = Field(description="To approve at PayPal; null for a free digital order, "
                                                   "which is paid at once.")


class DownloadLink(_Answer):
    url: str = Field(description="Works for `expires_in` seconds; the file arrives as an attachment.")
    expires_in: int


class SalesMoney(_Answer):
    orders: int
    units: int
    gross_cents: int = Field(description="What buyers paid (shipping included in the totals and the series).")
    fee_cents: int = Field(description="The platform's fee and PayPal's fee the seller bore.")
    refunded_cents: int = Field(description="What went back to buyers.")
    net_cents: int = Field(description="What the sales earned the seller: the ledger's figure, to the cent.")


class SalesFigures(SalesMoney):
    views: int = Field(description="Product page views.")
    conversion_basis_points: Optional[int] = Field(description="Orders per view, in basis points; null without views.")


class SalesBucket(SalesMoney):
    start: str = Field(description="The bucket's first day.")


class SalesProduct(SalesFigures):
    slug: str
    title: str


class SalesReport(_Answer):
    from_: str = Field(alias="from")
    to: str
    by: Literal["day", "week", "month"]
    currency: str
    totals: SalesFigures
    series: list[SalesBucket] = Field(description="Every bucket of the period, empty ones included.")
    products: list[SalesProduct] = Field(description="The 50 best-selling products of the period, by revenue.")



# -- appointments ---------------------------------------------------------------------------------

BookingState = Literal["held", "requested", "confirmed", "done", "cancelled"]
FeePolicy = Literal["none", "half_price", "twice_rate"]


class WindowView(_Answer):
    start: str
    end: str


class OverrideView(_Answer):
    date: str
    windows: list[WindowView]


class BookingRulesView(_Answer):
    lengths: list[int]
    notice_minutes: int
    horizon_days: int
    buffer_minutes: int
    daily_max: Optional[int]
    manual_confirm: bool
    fee_policy: FeePolicy
    overrides: list[OverrideView]
    feed: bool = Field(description="Whether a private calendar feed URL is open.")


class BookingRulesAnswer(_Answer):
    rules: BookingRulesView
    feed_url: Optional[str] = Field(description="The private calendar feed (ICS); shown only when it was "
                                                "just made.")


class SlotView(_Answer):
    start: str = Field(description="UTC; send it back as it is to book.")
    local: str = Field(description="In the customer's time zone (ISO 8601 with offset).")
    helper_local: str = Field(description="In the Helper's time zone.")


class BookingPolicy(_Answer):
    fee_policy: FeePolicy
    fee_cents: int = Field(description="Kept if the customer cancels late or does not show up.")
    late_hours: int
    manual_confirm: bool


class SlotsHelper(_Answer):
    username: str
    display_name: str
    time_zone: str


class Slots(_Answer):
    helper: SlotsHelper
    zone: str
    length: int
    price_cents: int
    currency: str
    lengths: dict[str, int] = Field(description="Every bookable length and its price.")
    policy: BookingPolicy
    slots: list[SlotView]


class BookingParty(_Answer):
    username: Optional[str] = None
    display_name: str


class BookingView(_Answer):
    booking_id: str
    state: BookingState
    version: int
    start: str
    end: str
    length: int
    local: str = Field(description="In the viewer's time zone.")
    zone: str
    helper_local: str
    helper_zone: str
    customer_local: str
    customer_zone: str
    price_cents: int
    currency: str
    fee_cents: int
    refund_cents: int
    kept_cents: int
    reason: Optional[str]
    note: str
    hold_until: Optional[str]
    payment_id: Optional[str]
    sequence: int
    role: Literal["helper", "customer"]
    helper: BookingParty
    customer: Optional[BookingParty]
    actions: list[Literal["confirm", "decline", "reschedule", "cancel", "no_show", "join"]]
    url: str


class BookingAnswer(_Answer):
    booking: BookingView


class BookAnswer(_Answer):
    booking: BookingView
    payment: Optional[Payment] = Field(description="To approve at PayPal; null for a free booking.")


class Bookings(_Answer):
    bookings: list[BookingView]
    next_cursor: Optional[str]


class CancelQuote(_Answer):
    reason: str
    fee_cents: int
    refund_cents: int
    late: bool
    paid_cents: int


class Waiting(_Answer):
    waiting: bool


class WaitingCount(_Answer):
    count: int = Field(description="People who asked to be told when I am next online and free.")


# -- following -------------------------------------------------------------------------------------

FollowMode = Literal["each", "digest", "none"]


class FollowState(_Answer):
    username: str
    following: bool
    mode: Optional[FollowMode] = Field(description="How I hear of their posts and events; null when I do not follow.")
    followers: int = Field(description="How many people follow the Helper.")
    own_page: Optional[bool] = optional_key(description="True on one's own page (nobody to follow).")


class FollowedHelper(_Answer):
    username: str
    display_name: str
    headline: str
    url: str
    mode: FollowMode
    since: int = Field(description="Following since (Unix seconds).")


class Following(_Answer):
    following: list[FollowedHelper] = Field(description="The Helpers I follow, by id, 100 a page.")
    cursor: Optional[str] = Field(description="The next page's cursor; null on the last page.")


class Unsubscribed(_Answer):
    helper_name: str
    username: str
    mode: Optional[FollowMode] = Field(description="How the link's person hears of the Helper now; null when "
                                                   "they no longer follow.")


# -- polls -----------------------------------------------------------------------------------------

class PollOption(_Answer):
    label: str
    votes: Optional[int] = Field(description="Null while the results are not the viewer's to see.")


class PollView(_Answer):
    poll_id: str
    question: str
    open: bool
    closes_at: Optional[int]
    results: Literal["live", "after_voting", "after_closing"]
    my_vote: Optional[int]
    options: list[PollOption]
    total: Optional[int]


class PollAnswer(_Answer):
    poll: PollView


class Polls(_Answer):
    polls: list[PollView]


# -- blog posts ----------------------------------------------------------------------------------

class PostView(_Answer):
    post_id: str
    slug: str
    title: str
    excerpt: str
    body_html: str = Field(description="The body rendered and sanitized, as the post page shows it.")
    published_at: Optional[int] = Field(description="When it went out (null unless published).")
    date: int = Field(description="The date it shows: when it went (or goes) out, else last saved.")
    updated_at: int
    cover: Optional[str]
    cover_card: Optional[str] = Field(description="The cover at card size (640 px).")
    url: Optional[str]


class MyPostView(PostView):
    body: str
    status: Literal["draft", "scheduled", "published"]
    publish_at: Optional[int]
    first_published_at: Optional[int]
    created_at: int
    images: list[str] = Field(description="Pictures uploaded for the body.")
    hidden: bool = Field(description="Hidden by ops after a report (`hidden_note` says why).")
    hidden_note: Optional[str]
    version: int


class MyPostAnswer(_Answer):
    post: MyPostView


class MyPosts(_Answer):
    posts: list[MyPostView]
    next_cursor: Optional[str]


class PostAnswer(_Answer):
    post: PostView


class Posts(_Answer):
    username: str
    posts: list[PostView]
    next_cursor: Optional[str]


class PostPicture(_Answer):
    post: MyPostView
    src: str = Field(description="The picture's address; in the body: `![what it shows](src)`.")


class PostPreview(_Answer):
    html: str


class ReportReceived(_Answer):
    kind: str = Field(description="review, post, product or event")
    id: str
    reason: str
    received: bool


class ModerationReason(_Answer):
    reason: str
    label: str
    count: int


class ModerationNote(_Answer):
    reason: str
    label: str
    note: str = Field(description="The reporter's words (plain text: show as text).")
    at: int


class ModeratedItem(_Answer):
    title: str
    url: Optional[str] = Field(description="Where the public sees it.")
    excerpt: str
    shown: bool


class ModerationOwner(_Answer):
    user_id: str
    username: Optional[str]
    display_name: str


class ModerationEarlier(_Answer):
    state: Optional[str] = Field(description="The last decision: hidden or kept.")
    by: Optional[str]
    at: int
    note: str


class ModerationCase(_Answer):
    kind: str = Field(description="review, post, product or event")
    id: str
    subject: str = Field(description="`<kind>:<id>`, as in the audit log")
    state: str
    count: int = Field(description="Open reports (since it was last decided).")
    total: int = Field(description="Every report ever of it.")
    opened_at: Optional[int]
    last_at: int
    reasons: list[ModerationReason]
    notes: list[ModerationNote] = Field(description="The newest open reports' notes.")
    item: Optional[ModeratedItem] = Field(description="null when it no longer exists")
    owner: ModerationOwner
    decision: Optional[ModerationEarlier] = Field(description="An earlier decision (a kept thing reported again).")


class ModerationQueue(_Answer):
    items: list[ModerationCase] = Field(description="One per reported thing, the longest waiting first.")
    next_cursor: Optional[str]


class ModerationDecision(_Answer):
    kind: str
    id: str
    decision: str
    state: str = Field(description="hidden or kept")
    reports_closed: int


# -- events --------------------------------------------------------------------------------------

class EventView(_Answer):
    event_id: str
    helper_id: str
    title: str
    description: str
    description_html: str
    summary: str
    starts_at: str
    ends_at: str
    zone: str = Field(description="The Helper's time zone.")
    helper_local_start: str
    helper_local_end: str
    where: Literal["online", "in_person"]
    location: Optional[str] = Field(description="The address; an online link only for its Helper and people going.")
    capacity: int
    taken: int
    places_left: int
    waiting: int
    price_cents: int
    currency: str
    state: Literal["draft", "announced", "cancelled"]
    sequence: int
    created_at: int
    updated_at: int
    url: Optional[str]
    hidden_note: Optional[str] = Field(default=None, description="Its Helper's view only: why ops hid it after a "
                                                                  "report (the public no longer sees it).")


class EventAnswer(_Answer):
    event: EventView


class Events(_Answer):
    events: list[EventView]


class EventPlace(_Answer):
    event_id: str
    place: Literal["going", "offered", "waiting", "left"]
    joined_at: str
    hold_until: Optional[str] = Field(description="A held paid place waits for its payment until then.")
    paid_cents: int
    refunded_cents: int
    payment_id: Optional[str]


class MyEventPlace(_Answer):
    event: EventView
    place: Optional[EventPlace]
    waitlist_position: Optional[int]
    owner: bool
    payment: Optional[Payment] = Field(description="The PayPal order to approve for a held paid place.")


class Attendee(_Answer):
    user_id: str
    name: str
    email: str
    place: Literal["going", "offered", "waiting", "left"]
    joined_at: str
    paid_cents: int
    refunded_cents: int


class EventAttendees(_Answer):
    event: EventView
    attendees: list[Attendee]


class PostDeleted(_Answer):
    deleted: bool


class PushKey(_Answer):
    public_key: str = Field(description="The VAPID public key: the browser's `applicationServerKey` (base64url).")


class PushSubscriptions(_Answer):
    subscribed: bool = Field(description="Whether this browser now gets call alerts.")
    subscriptions: int = Field(description="How many of my browsers get call alerts.")


# -- notifications -------------------------------------------------------------------------------

NoticeCategory = Literal["calls", "payments", "refunds", "reviews", "bookings", "orders", "events", "alerts"]


class Notification(_Answer):
    id: str
    kind: str = Field(description="The email kind it came with (`missed_call`, `booking_confirmed`, ...).")
    category: NoticeCategory
    title: str
    body: str
    url: str = Field(description="Where it leads: a path of this site.")
    at: int = Field(description="When (Unix seconds).")
    read: bool


class Notifications(_Answer):
    notifications: list[Notification] = Field(description="Newest first, 20 a page.")
    unread: int
    next: Optional[str] = Field(description="The next page's cursor; null on the last page.")


class NotificationsRead(_Answer):
    unread: int


class NotificationCategory(_Answer):
    category: NoticeCategory
    label: str
    description: str
    email: bool
    push: bool


class NotificationPreferences(_Answer):
    categories: list[NotificationCategory]


class NotificationUnsubscribed(_Answer):
    category: NoticeCategory
    label: str
    email: bool = Field(description="Whether the link's person is emailed about this category now.")
