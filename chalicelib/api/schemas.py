"""Request bodies, validated by pydantic. Loaded on first use by `http.parse_body`."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    """Strict: a number is never a string, a count never a bool or a float (`true` is not 1 cent)."""

    model_config = ConfigDict(extra="forbid", str_max_length=2048, strict=True)


class SignUpBody(_Body):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    display_name: str = Field(max_length=200)
    username: str = Field(max_length=64)


class ConfirmBody(_Body):
    email: str = Field(max_length=254)
    code: str = Field(min_length=1, max_length=16)


class EmailBody(_Body):
    email: str = Field(max_length=254)


class SignInBody(_Body):
    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=256)


class RefreshBody(_Body):
    refresh_token: str = Field(min_length=1, max_length=8192)


class SignOutBody(_Body):
    """Optional: with the session's refresh token, Cognito revokes it too."""

    refresh_token: Optional[str] = Field(default=None, min_length=1, max_length=8192)


class SlotBody(_Body):
    """A weekly window: day 0 is Monday; times HH:MM in the Helper's time zone."""

    day: int = Field(ge=0, le=6)
    start: str = Field(max_length=5)
    end: str = Field(max_length=5)


class LinkBody(_Body):
    label: str = Field(max_length=200)  # the page's rules: 60 characters once trimmed
    url: str


class PageBody(_Body):
    model_config = ConfigDict(extra="forbid", str_max_length=6000, strict=True)

    headline: str
    offer: str
    qualifications: str = ""
    languages: list[str] = Field(default_factory=list, max_length=20)
    time_zone: str = Field(max_length=64)
    # Cents per 15, 30 and 60 minutes: 0 free, null not offered; the ceiling is a setting.
    prices: dict[str, Optional[int]] = Field(max_length=3)
    schedule: list[SlotBody] = Field(default_factory=list, max_length=100)
    links: list[LinkBody] = Field(default_factory=list, max_length=20)


class AvatarUploadBody(_Body):
    content_type: str = Field(max_length=64)


class AvatarBody(_Body):
    key: str = Field(min_length=1, max_length=300)


class UsernameBody(_Body):
    username: str = Field(max_length=64)


class CategoryBody(_Body):
    name: str = Field(max_length=200)
    banner: str = Field(max_length=1000)
    parent: Optional[str] = Field(default=None, max_length=60)
    position: int = Field(default=0, ge=0, le=10_000)


class StorefrontBody(_Body):
    paypal_email: str = Field(max_length=254)
    name: Optional[str] = Field(default=None, max_length=200)


class TipBody(_Body):
    amount_cents: int = Field(strict=True)


class ReviewBody(_Body):
    stars: int = Field(strict=True, ge=1, le=5, description="1 to 5 stars.")
    text: Optional[str] = Field(default=None, max_length=8000,
                                description="Plain text, at most 2,000 characters once invisible ones are "
                                            "removed; shown as text, never as links.")


class ReplyBody(_Body):
    text: str = Field(max_length=8000, description="Plain text, 1 to 2,000 characters.")


class ReportBody(_Body):
    kind: Literal["review", "post", "product", "event"]
    id: str = Field(min_length=1, max_length=200, description="The review's id (its call's), a post's "
                    "`<helper_id>/<post_id>`, a product's `<seller_id>/<slug>`, an event's id.")
    reason: str = Field(max_length=40, description="Each kind's reasons: spam, offensive, personal_information, "
                        "other; reviews also not_about_the_session, fake; posts, products and events misleading, "
                        "illegal; products counterfeit.")
    note: Optional[str] = Field(default=None, max_length=4000, description="What is wrong, at most 1,000 characters.")


class ModerationBody(_Body):
    kind: Literal["review", "post", "product", "event"]
    id: str = Field(min_length=1, max_length=200)
    decision: Literal["hide", "keep"]
    note: Optional[str] = Field(default=None, max_length=8000,
                                description="Why; required to hide (the owner is told by email).")


class RefundBody(_Body):
    payment_id: str = Field(min_length=1, max_length=200)
    reason: str = Field(max_length=4000)


class StatementBody(_Body):
    statement: str = Field(max_length=4000)


class CloseFlagBody(_Body):
    note: str = Field(max_length=4000)


class StandingBody(_Body):
    reason: str = Field(max_length=4000)


class DecisionBody(_Body):
    decision: str = Field(max_length=20)
    note: str = Field(max_length=4000)


# -- the store --------------------------------------------------------------------------------

class VariantBody(_Body):
    variant_id: Optional[str] = Field(default=None, max_length=32,
                                      description="Keep a variant's id when editing it; a new variant has none.")
    name: str = Field(default="", max_length=200, description="Required when a product has several variants.")
    sku: str = Field(default="", max_length=200)
    price_cents: int = Field(strict=True, description="Whole cents, 0 (free) up to the price ceiling (a setting).")
    stock: Optional[int] = Field(default=None, strict=True,
                                 description="Units left; null is unlimited (digital goods always are).")


class ProductBody(_Body):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000, strict=True)

    title: str = Field(max_length=400)
    description: str = Field(default="", description="The safe Markdown subset, at most 10,000 characters.")
    kind: Literal["digital", "physical"]
    status: Literal["draft", "active", "archived"] = "draft"
    category: Optional[str] = Field(default=None, max_length=60, description="One of the seller's help categories.")
    slug: Optional[str] = Field(default=None, max_length=60,
                                description="The product's address in the store (made from the title when left "
                                            "out); fixed once created.")
    variants: list[VariantBody] = Field(min_length=1, max_length=20)


class ImagesBody(_Body):
    keys: list[str] = Field(max_length=8, description="The product's pictures in the order shown; one left out "
                                                      "is deleted.")


class FileUploadBody(_Body):
    content_type: str = Field(max_length=64)
    size: int = Field(strict=True, description="Bytes, at most 500 MB.")


class FileBody(_Body):
    file_id: str = Field(max_length=64)
    name: str = Field(max_length=400, description="The name the buyer's download is saved under.")


class ShippingBody(_Body):
    flat_cents: int = Field(strict=True, description="Shipping per order, whole cents.")
    free_from_cents: Optional[int] = Field(default=None, strict=True,
                                           description="Orders of at least this much ship free; null never.")
    countries: list[str] = Field(min_length=1, max_length=250, description="ISO codes of the countries shipped to.")


class ShipmentBody(_Body):
    carrier: Literal["USPS", "UPS", "FEDEX", "DHL", "OTHER"]
    tracking_number: str = Field(max_length=200)
    carrier_name: Optional[str] = Field(default=None, max_length=200, description="For carrier OTHER.")


class OrderRefundBody(_Body):
    amount_cents: int = Field(strict=True, description="Whole cents, up to what is left of the order.")
    reason: str = Field(max_length=2000, description="Told to the buyer; 3 to 500 characters.")


class CartLineBody(_Body):
    slug: str = Field(max_length=60)
    variant_id: str = Field(max_length=32)
    quantity: int = Field(strict=True, description="1 to 99.")
    seen_price_cents: Optional[int] = Field(default=None, strict=True,
                                            description="The unit price the buyer saw; a different price now is "
                                                        "a 409 `cart_changed`.")


class CheckoutBody(_Body):
    seller: str = Field(max_length=64, description="The username of the store's Helper.")
    lines: list[CartLineBody] = Field(min_length=1, max_length=20)


class WindowBody(_Body):
    start: str = Field(max_length=5, description="HH:MM in the Helper's time zone.")
    end: str = Field(max_length=5, description="HH:MM, later than `start` (24:00 is midnight).")


class OverrideBody(_Body):
    date: str = Field(max_length=10, description="YYYY-MM-DD of the Helper's calendar.")
    windows: list[WindowBody] = Field(default_factory=list, max_length=6,
                                      description="The date's hours; none: a day off.")


class BookingRulesBody(_Body):
    lengths: Optional[list[int]] = Field(default=None, max_length=3, description="15, 30 and/or 60 (priced).")
    notice_minutes: Optional[int] = Field(default=None, description="Minimum notice, 0 to 43200 (default 120).")
    horizon_days: Optional[int] = Field(default=None, description="How far ahead, 1 to 365 (default 60).")
    buffer_minutes: Optional[int] = Field(default=None, description="Rest after each booking, 0 to 120 "
                                                                    "(default 10).")
    daily_max: Optional[int] = Field(default=None, description="At most this many a day (1 to 48); null: "
                                                               "no maximum.")
    manual_confirm: Optional[bool] = Field(default=None, description="Each booking waits for the Helper.")
    fee_policy: Optional[Literal["none", "half_price", "twice_rate"]] = Field(
        default=None, description="The late-cancellation and no-show fee.")
    overrides: Optional[list[OverrideBody]] = Field(default=None, max_length=200,
                                                    description="Dates with other hours than the week's.")


class PollBody(_Body):
    question: str = Field(max_length=2000, description="1 to 200 characters.")
    options: list[str] = Field(max_length=20, description="2 to 10 distinct options, 1 to 80 characters each.")
    results: Optional[Literal["live", "after_voting", "after_closing"]] = Field(
        default=None, description="Who sees the results when (default: live).")
    closes_at: Optional[int] = Field(default=None, description="Seconds since the epoch, within a year; null: "
                                                              "open until closed.")


class VoteBody(_Body):
    option: int = Field(description="The option's position, from 0.")


class BookBody(_Body):
    helper: str = Field(max_length=64, description="The Helper's username.")
    length: int = Field(description="Minutes: one of the lengths the slots were asked for.")
    start: str = Field(max_length=20, description="A free slot's `start`, as given (UTC).")
    zone: str = Field(max_length=64, description="The customer's IANA time zone.")
    note: Optional[str] = Field(default=None, max_length=2000, description="What you need help with.")


class CancelBody(_Body):
    reason: Optional[str] = Field(default=None, max_length=2000, description="Told to the other party.")


class RescheduleBody(_Body):
    start: str = Field(max_length=20, description="A free slot's `start` of the same length, as given.")


# -- query strings: the OpenAPI document's parameters (the routes read them as plain strings) --

class CategoryPageQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=50, description="Helpers per page.")
    cursor: Optional[str] = Field(default=None, max_length=2048,
                                  description="`next_cursor` of the previous page, as it came.")


class ReportsQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=50, description="Reports per page.")
    cursor: Optional[str] = Field(default=None, max_length=2048,
                                  description="`next_cursor` of the previous page, as it came.")


class PeopleQuery(BaseModel):
    q: str = Field(min_length=1, max_length=254, description="A username (or its beginning, `@` optional) or an "
                                                              "email (or its beginning).")


class AuditQuery(BaseModel):
    cursor: Optional[str] = Field(default=None, max_length=64, description="`next` of the previous page.")


class ReviewsQuery(BaseModel):
    sort: Literal["newest", "highest", "lowest"] = Field(default="newest")
    limit: int = Field(default=10, ge=1, le=50, description="Reviews per page.")
    cursor: Optional[str] = Field(default=None, max_length=2048,
                                  description="`next_cursor` of the previous page of the same sort, as it came.")


class SearchQuery(BaseModel):
    q: str = Field(default="", max_length=200, description="Words; each matches a word or its start.")
    limit: int = Field(default=20, ge=1, le=50)


class PresenceQuery(BaseModel):
    users: str = Field(default="", description="User ids, comma-separated (at most 50).")


class EarningsQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=200, description="History lines per page.")
    before: Optional[str] = Field(default=None, max_length=1024,
                                  description="`next_before` of the previous page.")


class ListQuery(BaseModel):
    limit: int = Field(default=24, ge=1, le=100)
    cursor: Optional[str] = Field(default=None, max_length=2048,
                                  description="`next_cursor` of the previous page, as it came.")


class StoreOrdersQuery(ListQuery):
    state: Optional[Literal["reserved", "paid", "shipped", "delivered", "cancelled"]] = None


class MarketplaceQuery(ListQuery):
    category: Optional[str] = Field(default=None, max_length=60)
    q: Optional[str] = Field(default=None, max_length=200, description="Words; each matches a word or its start.")


class SalesQuery(BaseModel):
    from_: Optional[str] = Field(default=None, alias="from", max_length=10,
                                 description="YYYY-MM-DD, the first day (UTC); 30 days before `to` by default.")
    to: Optional[str] = Field(default=None, max_length=10, description="YYYY-MM-DD, the last day; today by default.")
    by: Literal["day", "week", "month"] = "day"


class PeriodQuery(BaseModel):
    from_: Optional[str] = Field(default=None, alias="from", max_length=10, description="YYYY-MM-DD (UTC).")
    to: Optional[str] = Field(default=None, max_length=10, description="YYYY-MM-DD (UTC).")



class SlotsQuery(BaseModel):
    length: int = Field(ge=1, le=600, description="15, 30 or 60: a length the Helper offers.")
    zone: str = Field(default="UTC", max_length=64, description="The customer's IANA time zone.")
    days: Optional[int] = Field(default=None, ge=1, le=62, description="Days ahead (default: the Helper's "
                                                                       "horizon, at most 62).")


class FollowBody(_Body):
    mode: Literal["each", "digest", "none"] = Field(description="Hear of each new post and event, a weekly "
                                                                "digest, or nothing (still following).")


class FollowingQuery(BaseModel):
    cursor: Optional[str] = Field(default=None, max_length=2048,
                                  description="`cursor` of the previous page, as it came.")


class UnsubscribeQuery(BaseModel):
    token: str = Field(max_length=1024, description="The token of the email's unsubscribe link, as it came.")


class MyBookingsQuery(ListQuery):
    role: Literal["customer", "helper"] = Field(default="customer", description="Bookings I made, or of my time.")
    when: Literal["upcoming", "past"] = Field(default="upcoming")


# -- blog posts ----------------------------------------------------------------------------------

class PostBody(_Body):
    """A post as its Helper writes it; on an update a field left out stays as it was."""

    model_config = ConfigDict(extra="forbid", str_max_length=60_000, strict=True)

    title: Optional[str] = Field(default=None, max_length=600, description="1 to 150 characters (required to "
                                                                           "create).")
    body: Optional[str] = Field(default=None, description="The safe Markdown subset with headings, the post's own "
                                                          "pictures and `[poll:<poll_id>]` lines; at most 50,000.")
    excerpt: Optional[str] = Field(default=None, max_length=1200, description="At most 300 characters; empty: "
                                                                             "the body's first words.")
    status: Optional[Literal["draft", "scheduled", "published"]] = None
    publish_at: Optional[int] = Field(default=None, description="Scheduled: seconds since the epoch, within a "
                                                                "year.")
    slug: Optional[str] = Field(default=None, max_length=60, description="Its address; default: from the title.")
    version: Optional[int] = Field(default=None, description="The version read: a post changed since is a 409.")


class PostImageBody(_Body):
    key: str = Field(min_length=1, max_length=300, description="The upload's key, as the presigned POST gave it.")
    cover: bool = Field(default=False, description="The post's cover (else a picture for its body).")


class PreviewBody(_Body):
    model_config = ConfigDict(extra="forbid", str_max_length=60_000, strict=True)

    body: str = Field(description="Markdown, at most 50,000 characters.")


class PostsQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=50, description="Posts per page.")
    cursor: Optional[str] = Field(default=None, max_length=2048,
                                  description="`next_cursor` of the previous page, as it came.")


# -- events --------------------------------------------------------------------------------------

class EventBody(_Body):
    model_config = ConfigDict(extra="forbid", str_max_length=12000, strict=True)
    title: str = Field(max_length=400, description="1 to 120 characters.")
    description: Optional[str] = Field(default="", description="Markdown, at most 10,000 characters.")
    starts_at: str = Field(max_length=40, description="On the Helper's clock (`2026-12-08T18:30`) or with an offset.")
    ends_at: str = Field(max_length=40, description="After the start, within a week.")
    where: Literal["online", "in_person"]
    location: str = Field(max_length=2000, description="Online: the https:// link (attendees only); in person: "
                                                       "the address.")
    capacity: int = Field(description="1 to 10,000 places.")
    price_cents: int = Field(default=0, description="0: free RSVP; else the ticket's price in cents.")
    state: Optional[Literal["draft", "announced"]] = Field(default=None, description="A new event is announced "
                                                                                     "unless saved as a draft.")


class RsvpBody(_Body):
    zone: Optional[str] = Field(default=None, max_length=64, description="My IANA time zone, for my emails.")


class CancelEventBody(_Body):
    reason: Optional[str] = Field(default=None, max_length=500, description="Told to everyone with a place.")


class BlogPageQuery(BaseModel):
    cursor: Optional[str] = Field(default=None, max_length=2048, description="The `Older posts` link's, as it came.")


class PushKeysBody(_Body):
    p256dh: str = Field(max_length=200, description="The browser's P-256 public key, base64url (65 bytes).")
    auth: str = Field(max_length=100, description="The browser's 16-byte auth secret, base64url.")


class PushSubscriptionBody(_Body):
    """A browser's `PushSubscription.toJSON()`, as it gives it."""

    endpoint: str = Field(max_length=2048, description="The push service URL (https).")
    expirationTime: Optional[float] = Field(default=None, description="As the browser says; not used.")  # noqa: N815
    keys: PushKeysBody


class PushEndpointBody(_Body):
    endpoint: str = Field(max_length=2048, description="The push service URL of the subscription to forget.")


# -- notifications -------------------------------------------------------------------------------

NoticeCategory = Literal["calls", "payments", "refunds", "reviews", "bookings", "orders", "events", "alerts"]


class NotificationsQuery(BaseModel):
    cursor: Optional[str] = Field(default=None, max_length=2048, description="`next` of the previous page, as it came.")


class NotificationChannelsBody(_Body):
    email: Optional[bool] = Field(default=None, description="Email me about this category.")
    push: Optional[bool] = Field(default=None, description="Push it to my browsers (Web Push).")


class NotificationPreferencesBody(_Body):
    categories: dict[NoticeCategory, NotificationChannelsBody] = Field(
        description="Category -> {email, push}; what is left out keeps its value.")
