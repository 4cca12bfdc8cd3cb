"""The PayPal gateway: PayPal's official server SDK (`paypalserversdk`) with client-credentials
OAuth, pointed at whatever base URL the settings name (PayPal sandbox, live, or the local
sandbox), for Orders v2 (create, show, capture) and Payments v2 (show capture, refund); and
Payouts v1 (create a batch, show a batch or an item, cancel an unclaimed item), which the SDK
lacks, as plain HTTPS with the same OAuth token. Store checkouts send line items, a shipping
charge and (for physical goods) ask PayPal for the buyer's address; shipped orders get their
tracking number through Orders v2's tracking call. The SDK is imported on first use, never at
import: cold starts stay lean.

Money is integer cents here and PayPal's decimal strings on the wire, converted exactly.
Every failure leaves as one of the `PayPalProblem` classes below, never as an SDK exception."""
from __future__ import annotations

import copy
import http.client
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable, Protocol, Sequence
from urllib.parse import quote, urlencode, urlsplit

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import basis_points_of, cents_from_paypal, to_paypal_value
from chalicelib.domain.payouts import MAX_BATCH_ITEMS as MAX_PAYOUT_ITEMS
from chalicelib.domain.payouts import MAX_SENDER_ITEM_ID
from chalicelib.settings import Settings

LIVE_BASE_URL = "https://api-m.paypal.com"
TOKEN_REFRESH_MARGIN_SECONDS = 120
PREFER = "return=representation"
MAX_REQUEST_ID_LENGTH = 108  # PayPal's limit for PayPal-Request-Id
MAX_TEXT = 127  # description, custom_id, brand_name
MAX_NOTE = 255  # note_to_payer
ITEM_CATEGORIES = ("DIGITAL_GOODS", "PHYSICAL_GOODS")  # PayPal's item categories a store sells
MAX_ITEM_QUANTITY = 10000
MAX_SKU = 127
MAX_TRACKING_NUMBER = 64  # PayPal's shipment_tracker: tracking_number, carrier_name_other
MAX_CARRIER_NAME = 64
OTHER_CARRIER = "OTHER"  # a carrier PayPal does not list: its name goes in carrier_name_other
TRACKABLE_CAPTURES = frozenset({"COMPLETED", "PARTIALLY_REFUNDED", "PENDING"})  # PayPal's tracking guide

# PayPal's issue names (details[].issue) and what they mean for us.
NOT_APPROVED_ISSUES = frozenset({"ORDER_NOT_APPROVED", "PAYER_ACTION_REQUIRED"})
DECLINED_ISSUES = frozenset({
    "INSTRUMENT_DECLINED", "TRANSACTION_REFUSED", "PAYER_CANNOT_PAY", "PAYER_ACCOUNT_RESTRICTED",
    "PAYER_ACCOUNT_LOCKED_OR_CLOSED", "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING",
    "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED", "PAYMENT_SOURCE_DECLINED_BY_PROCESSOR",
})
ALREADY_CAPTURED = "ORDER_ALREADY_CAPTURED"
UNAVAILABLE_STATUSES = frozenset({408, 409, 429})  # timeout, request still in progress, rate limit

# Payouts v1 (payments_payouts_batch_v1): PayPal's limits (items a batch and sender_item_id: domain.payouts).
MAX_SENDER_BATCH_ID = 256
MAX_RECEIVER = 127
MAX_EMAIL_SUBJECT = 255
MAX_EMAIL_MESSAGE = 1000
MAX_PAYOUT_NOTE = 4000  # ASCII characters; 1000 when the note has any other
MAX_PAYOUT_NOTE_NON_ASCII = 1000
MAX_PAGE = MAX_PAGE_SIZE = 1000
PAYOUT_OUTCOMES = ("SUCCESS", "FAILED", "RETURNED", "UNCLAIMED")  # the twin's receiver outcomes
DUPLICATE_BATCH_FIELD = "SENDER_BATCH_ID"  # details[].field of PayPal's USER_BUSINESS_ERROR for a reused id
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PAYOUT_ITEM_ERRORS = {  # what PayPal's item `errors` say for each failed outcome (as the sandbox)
    "FAILED": ("RECEIVER_ACCOUNT_LOCKED",
               "Receiver's account is locked or inactive. The payout was not sent."),
    "UNCLAIMED": ("RECEIVER_UNREGISTERED",
                  "The recipient for this payout does not have an account. A link to sign up for an "
                  "account was sent to the recipient. However, if the recipient does not claim this "
                  "payout within 30 days, the funds will be returned to your account."),
    "RETURNED": ("RECEIVER_UNREGISTERED",
                 "The recipient did not claim this payout within 30 days, so the funds were returned "
                 "to your account."),
}


# -- errors -----------------------------------------------------------------------------------

class PayPalNotConfigured(RuntimeError):
    """The settings lack what it takes to reach PayPal (client id, or secret and its source)."""


class PayPalProblem(RuntimeError):
    """PayPal said no, or could not be asked; carries PayPal's own words for logs and support."""

    def __init__(self, message: str, *, status: int | None = None, name: str | None = None,
                 issue: str | None = None, debug_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status  # PayPal's HTTP status, None when it never answered
        self.name = name  # e.g. UNPROCESSABLE_ENTITY
        self.issue = issue  # e.g. ORDER_NOT_APPROVED (the first of `details`)
        self.debug_id = debug_id  # quote it to PayPal's support


class OrderNotApproved(PayPalProblem):
    """Capture was asked before the payer approved the order (422 ORDER_NOT_APPROVED)."""


class PaymentDeclined(PayPalProblem):
    """PayPal declined the payer's funding (INSTRUMENT_DECLINED, TRANSACTION_REFUSED, ...) or
    the capture came back DECLINED; `order` is the order as PayPal left it, when known."""

    def __init__(self, message: str, *, order: "PayPalOrder | None" = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.order = order


class PayPalUnavailable(PayPalProblem):
    """5xx, 429, a timeout or a dropped connection: try again later with the same request id."""


class PayPalRejected(PayPalProblem):
    """Any other 4xx: PayPal understood and refused; the message names PayPal's name and issue."""


class PayPalCredentialsRejected(PayPalRejected):
    """PayPal refused the client id and secret (OAuth `invalid_client`)."""


class PayPalNotFound(PayPalRejected):
    """PayPal knows no such order, capture, refund, payout batch or payout item (404)."""


class DuplicatePayoutBatch(PayPalRejected):
    """The sender_batch_id was used before (PayPal's 400 USER_BUSINESS_ERROR): PayPal pays a
    sender_batch_id once. `payout_batch_id` is the original batch, from PayPal's error link."""

    def __init__(self, message: str, *, payout_batch_id: str | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.payout_batch_id = payout_batch_id


# -- what PayPal tells us ---------------------------------------------------------------------

@dataclass(frozen=True)
class PayPalAccessToken:
    """A bearer token for PayPal's REST API and when it stops working (epoch seconds)."""

    value: str
    token_type: str
    scope: str
    expires_at: float

    def fresh(self, now: float, margin: float = TOKEN_REFRESH_MARGIN_SECONDS) -> bool:
        return now < self.expires_at - margin


@dataclass(frozen=True)
class PayPalCapture:
    """A captured payment: PENDING, COMPLETED, DECLINED, REFUNDED, PARTIALLY_REFUNDED, REVERSED
    (or FAILED); the fee and net arrive with COMPLETED captures."""

    capture_id: str
    status: str
    amount_cents: int
    paypal_fee_cents: int | None = None
    net_cents: int | None = None
    order_id: str | None = None
    custom_id: str | None = None
    create_time: str | None = None
    status_reason: str | None = None  # status_details.reason: CHARGEBACK, PENDING_REVIEW, ...


@dataclass(frozen=True)
class OrderItem:
    """One line of an order as PayPal shows it to the buyer."""

    name: str  # 1 to 127 characters
    sku: str  # 0 to 127 characters ("" for none)
    quantity: int  # 1 to 10000
    unit_amount_cents: int  # 0 or more
    category: str  # DIGITAL_GOODS or PHYSICAL_GOODS


@dataclass(frozen=True)
class ShippingAddress:
    """Where the buyer wants physical goods sent, as PayPal has it."""

    full_name: str
    address_line_1: str
    address_line_2: str
    admin_area_2: str  # city
    admin_area_1: str  # state / province
    postal_code: str
    country_code: str  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class ShipmentTracking:
    """A tracking number the in-memory twin was given for a captured order (`add_tracking`)."""

    tracker_id: str  # PayPal's: the capture id and the tracking number, joined by "-"
    order_id: str
    capture_id: str
    tracking_number: str
    carrier: str
    carrier_name_other: str | None = None


@dataclass(frozen=True)
class PayPalOrder:
    """A Checkout order: CREATED, PAYER_ACTION_REQUIRED, APPROVED, COMPLETED or VOIDED. A store
    order carries its `items` and `shipping_cents`; one that ships, the buyer's `shipping`
    address once approved and the ids of its trackers once tracked."""

    order_id: str
    status: str
    approve_url: str | None
    amount_cents: int
    currency: str
    custom_id: str | None = None
    payer_id: str | None = None
    capture: PayPalCapture | None = None
    items: tuple[OrderItem, ...] = ()
    shipping_cents: int = 0
    shipping: ShippingAddress | None = None
    tracker_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PayPalRefund:
    """A refund of (part of) a capture; status COMPLETED, PENDING, FAILED or CANCELLED."""

    refund_id: str
    status: str
    amount_cents: int
    capture_id: str | None = None
    custom_id: str | None = None


@dataclass(frozen=True)
class PayoutRequestItem:
    """One payment of a payout batch: `amount_cents` to the PayPal account of `receiver` (an
    email); `sender_item_id` (at most 63 characters, unique in the batch) is ours to match it."""

    sender_item_id: str
    receiver: str
    amount_cents: int
    note: str = ""


@dataclass(frozen=True)
class PayoutItemResult:
    """A payout item as PayPal has it: `status` is PayPal's transaction_status (SUCCESS, FAILED,
    PENDING, UNCLAIMED, RETURNED, ONHOLD, BLOCKED, REFUNDED, REVERSED, ...), upper case;
    `fee_cents` PayPal's payout_item_fee; `error_*` PayPal's `errors` for a failed item."""

    payout_item_id: str
    payout_batch_id: str | None
    sender_item_id: str | None
    status: str
    amount_cents: int
    currency: str
    fee_cents: int | None
    receiver: str | None
    error_name: str | None
    error_message: str | None


@dataclass(frozen=True)
class PayoutBatch:
    """A payout batch: `status` is PayPal's batch_status (PENDING, PROCESSING, SUCCESS, DENIED,
    CANCELED); `items` one page of its items (none in the answer to a create), `has_more` when
    another page follows."""

    payout_batch_id: str
    sender_batch_id: str | None
    status: str
    items: tuple[PayoutItemResult, ...] = ()
    page: int = 1
    has_more: bool = False


class PaymentGateway(Protocol):
    def access_token(self) -> PayPalAccessToken: ...

    def create_order(self, *, request_id: str, amount_cents: int, currency: str, description: str,
                     reference_id: str, custom_id: str, return_url: str, cancel_url: str,
                     brand_name: str, items: Sequence[OrderItem] = (), shipping_cents: int = 0,
                     ships: bool = False) -> PayPalOrder: ...

    def get_order(self, order_id: str) -> PayPalOrder: ...

    def capture_order(self, *, order_id: str, request_id: str) -> PayPalOrder: ...

    def get_capture(self, capture_id: str) -> PayPalCapture: ...

    def refund_capture(self, *, capture_id: str, amount_cents: int, currency: str, request_id: str,
                       note: str, custom_id: str | None = None) -> PayPalRefund: ...

    def add_tracking(self, *, order_id: str, capture_id: str, tracking_number: str, carrier: str,
                     request_id: str, carrier_name_other: str | None = None) -> None: ...


class PayoutGateway(Protocol):
    """Payouts v1: what `PayPalGateway` and `InMemoryPayPalGateway` also do."""

    def create_payout_batch(self, *, sender_batch_id: str, items: Sequence[PayoutRequestItem],
                            currency: str, email_subject: str, email_message: str,
                            request_id: str) -> PayoutBatch: ...

    def get_payout_batch(self, payout_batch_id: str, *, page: int = 1,
                         page_size: int = 1000) -> PayoutBatch: ...

    def get_payout_item(self, payout_item_id: str) -> PayoutItemResult: ...

    def cancel_payout_item(self, payout_item_id: str, *,
                           request_id: str | None = None) -> PayoutItemResult: ...


def paypal_fee_cents(amount_cents: int, *, basis_points: int = 349, fixed_cents: int = 49) -> int:
    """PayPal's processing fee on a payment, as the twin charges it: a rate (basis points,
    rounded half up) plus a fixed part, never more than the payment itself."""
    return min(amount_cents, basis_points_of(amount_cents, basis_points) + fixed_cents)


# -- checking what we send --------------------------------------------------------------------

def _check_cents(amount_cents: object) -> int:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValueError(f"an amount is a positive whole number of cents, not {amount_cents!r}")
    return amount_cents


def _check_currency(currency: str) -> str:
    if not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
        raise ValueError(f"a currency is three capital letters (ISO 4217), not {currency!r}")
    return currency


def _check_request_id(request_id: str) -> str:
    if not (isinstance(request_id, str) and 0 < len(request_id) <= MAX_REQUEST_ID_LENGTH):
        raise ValueError(f"a PayPal-Request-Id has 1 to {MAX_REQUEST_ID_LENGTH} characters")
    return request_id


def _check_text(name: str, value: str, limit: int = MAX_TEXT) -> str:
    if not (isinstance(value, str) and 0 < len(value) <= limit):
        raise ValueError(f"{name} has 1 to {limit} characters")
    return value


def _check_count(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or \
            (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"of {low} or more"
        raise ValueError(f"{name} is a whole number {span}, not {value!r}")
    return value


def _order_lines(items: Sequence[OrderItem], *, amount_cents: int, shipping_cents: int) -> int | None:
    """Checks a store order's lines before anything is sent: PayPal's limits on each item, and
    the amount equal to the items (quantity x unit amount) plus shipping, as PayPal insists.
    The items' total; None for an order without items (and then no shipping either)."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise ValueError("items is a sequence of OrderItem")
    _check_count("shipping_cents", shipping_cents, 0)
    if not items:
        if shipping_cents:
            raise ValueError("shipping is charged on items: an order with shipping_cents needs its items")
        return None
    item_total = 0
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, OrderItem):
            raise ValueError(f"{where} is an OrderItem, not {type(item).__name__}")
        if not (isinstance(item.name, str) and item.name.strip()):
            raise ValueError(f"{where}.name is needed")
        _check_text(f"{where}.name", item.name)
        if not (isinstance(item.sku, str) and len(item.sku) <= MAX_SKU):
            raise ValueError(f"{where}.sku has 0 to {MAX_SKU} characters")
        _check_count(f"{where}.quantity", item.quantity, 1, MAX_ITEM_QUANTITY)
        _check_count(f"{where}.unit_amount_cents", item.unit_amount_cents, 0)
        if item.category not in ITEM_CATEGORIES:
            raise ValueError(f"{where}.category is one of {', '.join(ITEM_CATEGORIES)}, not {item.category!r}")
        item_total += item.quantity * item.unit_amount_cents
    if amount_cents != item_total + shipping_cents:
        raise ValueError(f"amount_cents {amount_cents} is not the items' {item_total} plus shipping "
                         f"{shipping_cents} ({item_total + shipping_cents})")
    return item_total


def _check_capture_id(capture_id: str) -> str:
    """A capture id as the tracking call takes it (PayPal's pattern: letters and digits, 1 to 50)."""
    if not (isinstance(capture_id, str) and re.fullmatch(r"[A-Za-z0-9]{1,50}", capture_id)):
        raise ValueError(f"capture_id is not a PayPal capture id: {capture_id!r}")
    return capture_id


def _check_tracking(tracking_number: str, carrier: str, carrier_name_other: str | None) -> None:
    """A tracking number (one line, 1 to 64 characters) and one of PayPal's carriers (the SDK's
    ShipmentCarrier names them all); OTHER with the carrier's name, any other without one."""
    from paypalserversdk.models.shipment_carrier import ShipmentCarrier

    _check_key("tracking_number", tracking_number, MAX_TRACKING_NUMBER)
    if not tracking_number.strip():
        raise ValueError("tracking_number is needed")
    if not (isinstance(carrier, str) and re.fullmatch(r"[0-9A-Z_]+", carrier)
            and vars(ShipmentCarrier).get(carrier) == carrier):
        raise ValueError(f"carrier is one of PayPal's carriers (USPS, UPS, FEDEX, DHL, ... or "
                         f"{OTHER_CARRIER}), not {carrier!r}")
    if carrier == OTHER_CARRIER:
        if carrier_name_other is None:
            raise ValueError(f"carrier {OTHER_CARRIER} needs carrier_name_other, the carrier's name")
        _check_key("carrier_name_other", carrier_name_other, MAX_CARRIER_NAME)
        if not carrier_name_other.strip():
            raise ValueError("carrier_name_other is needed")
    elif carrier_name_other is not None:
        raise ValueError(f"carrier_name_other is only for carrier {OTHER_CARRIER}, not {carrier}")


def tracker_id(capture_id: str, tracking_number: str) -> str:
    """PayPal's id for the tracker of a tracking number on a capture."""
    return f"{capture_id}-{tracking_number}"


def _check_refund_custom_id(custom_id: str) -> str:
    """A refund's custom_id has a narrower alphabet than an order's (PayPal's `refund` schema)."""
    _check_text("custom_id", custom_id)
    if not re.fullmatch(r"[A-Za-z0-9\-_.,]+", custom_id):
        raise ValueError(f"a refund's custom_id holds only letters, digits and - _ . , : {custom_id!r}")
    return custom_id


def _check_url(name: str, url: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} is an absolute http(s) URL, not {url!r}")
    return url


def _check_id(name: str, value: str) -> str:
    """PayPal ids are short and URL-safe; anything else cannot be one (and never reaches a path)."""
    if not (isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value)):
        raise ValueError(f"{name} is not a PayPal id: {value!r}")
    return value


def _clipped(name: str, text: str, limit: int = MAX_TEXT) -> str:
    """Free text PayPal shows people (a description, a brand): required, cut to PayPal's limit."""
    if not (isinstance(text, str) and text.strip()):
        raise ValueError(f"{name} is needed")
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _check_key(name: str, value: str, limit: int) -> str:
    """Our own ids PayPal keeps (sender_batch_id, sender_item_id): one line, never cut."""
    if not (isinstance(value, str) and re.fullmatch(rf"[^\x00-\x1f\x7f]{{1,{limit}}}", value)):
        raise ValueError(f"{name} has 1 to {limit} characters on one line, not {value!r}")
    return value


def _one_line(name: str, text: str, limit: int, *, non_ascii_limit: int | None = None) -> str | None:
    """Free text a payout's receiver reads (subject, message, note): PayPal takes one line
    (`^.*$`), so line breaks become spaces; cut to PayPal's limit; None when empty."""
    if not isinstance(text, str):
        raise ValueError(f"{name} is text, not {text!r}")
    flat = " ".join(text.split())
    if not flat:
        return None
    if not flat.isascii() and non_ascii_limit is not None:
        limit = non_ascii_limit
    if len(flat) <= limit:
        return flat
    return flat[: limit - 3] + "..." if flat.isascii() else flat[: limit - 1] + "\u2026"


def _check_page(name: str, value: int, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise ValueError(f"{name} is a whole number from 1 to {limit}, not {value!r}")
    return value


def _payout_request(*, sender_batch_id: str, items: Sequence[PayoutRequestItem], currency: str,
                    email_subject: str, email_message: str) -> dict:
    """The body of `POST /v1/payments/payouts` (create_payout_request), checked before anything
    is sent: 1 to 15000 items to PayPal accounts by email, one currency, unique sender_item_ids."""
    _check_key("sender_batch_id", sender_batch_id, MAX_SENDER_BATCH_ID)
    _check_currency(currency)
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise ValueError("items is a sequence of PayoutRequestItem")
    if not 1 <= len(items) <= MAX_PAYOUT_ITEMS:
        raise ValueError(f"a payout batch has 1 to {MAX_PAYOUT_ITEMS} items, not {len(items)}")
    header = {"sender_batch_id": sender_batch_id, "recipient_type": "EMAIL"}
    for key, text, limit in (("email_subject", email_subject, MAX_EMAIL_SUBJECT),
                             ("email_message", email_message, MAX_EMAIL_MESSAGE)):
        if (line := _one_line(key, text, limit)) is not None:
            header[key] = line
    sent, seen = [], set()
    for index, item in enumerate(items):
        if not isinstance(item, PayoutRequestItem):
            raise ValueError(f"items[{index}] is a PayoutRequestItem, not {type(item).__name__}")
        _check_key(f"items[{index}].sender_item_id", item.sender_item_id, MAX_SENDER_ITEM_ID)
        if item.sender_item_id in seen:
            raise ValueError(f"sender_item_id {item.sender_item_id!r} is in the batch twice")
        seen.add(item.sender_item_id)
        receiver = item.receiver
        if not (isinstance(receiver, str) and len(receiver) <= MAX_RECEIVER and _EMAIL.fullmatch(receiver)):
            raise ValueError(f"items[{index}].receiver is an email address of at most {MAX_RECEIVER} "
                             f"characters, not {receiver!r}")
        value = to_paypal_value(_check_cents(item.amount_cents))
        entry = {"recipient_type": "EMAIL", "amount": {"value": value, "currency": currency},
                 "receiver": receiver, "sender_item_id": item.sender_item_id}
        note = _one_line(f"items[{index}].note", item.note, MAX_PAYOUT_NOTE,
                         non_ascii_limit=MAX_PAYOUT_NOTE_NON_ASCII)
        if note is not None:
            entry["note"] = note
        sent.append(entry)
    return {"sender_batch_header": header, "items": sent}


# -- reading PayPal's JSON (the spec's field names) -------------------------------------------

def _money(node: Any) -> int | None:
    if not (isinstance(node, dict) and "value" in node):
        return None
    try:
        return cents_from_paypal(node["value"])
    except InvalidInput as error:  # PayPal sent what is not an amount: an unreadable answer
        raise ValueError(f"amount {node['value']!r}: {error}") from None


def _link(links: Any, *rels: str) -> str | None:
    for rel in rels:
        for link in links or ():
            if isinstance(link, dict) and link.get("rel") == rel and link.get("href"):
                return link["href"]
    return None


def _id_after(href: str | None, segment: str) -> str | None:
    """The path segment after `segment` in a HATEOAS link (`.../orders/ID` -> ID)."""
    if not href:
        return None
    parts = urlsplit(href).path.rstrip("/").split("/")
    return parts[parts.index(segment) + 1] if segment in parts[:-1] else None


def capture_from_paypal(body: dict, *, order_id: str | None = None) -> PayPalCapture:
    """A capture as the Orders and Payments APIs (and webhooks' `resource`) describe one."""
    breakdown = body.get("seller_receivable_breakdown") or {}
    related = (body.get("supplementary_data") or {}).get("related_ids") or {}
    return PayPalCapture(
        capture_id=body["id"],
        status=body["status"],
        amount_cents=_money(body.get("amount")) or 0,
        paypal_fee_cents=_money(breakdown.get("paypal_fee")),
        net_cents=_money(breakdown.get("net_amount")),
        order_id=order_id or related.get("order_id") or _id_after(_link(body.get("links"), "up"), "orders"),
        custom_id=body.get("custom_id"),
        create_time=body.get("create_time"),
        status_reason=(body.get("status_details") or {}).get("reason"),
    )


def _item_from_paypal(item: dict) -> OrderItem:
    quantity = item["quantity"]
    if not (isinstance(quantity, str) and re.fullmatch(r"[1-9][0-9]{0,9}", quantity)):
        raise ValueError(f"item quantity {quantity!r}")
    unit_amount = _money(item.get("unit_amount"))
    if unit_amount is None:
        raise ValueError("an item without unit_amount")
    return OrderItem(name=item["name"], sku=item.get("sku") or "", quantity=int(quantity),
                     unit_amount_cents=unit_amount, category=item.get("category") or "")


def _shipping_from_paypal(shipping: dict) -> ShippingAddress | None:
    """`purchase_units[].shipping` (name and address) as ours; None when it names no address."""
    address = shipping.get("address") or {}
    if not address:
        return None
    return ShippingAddress(
        full_name=(shipping.get("name") or {}).get("full_name") or "",
        address_line_1=address.get("address_line_1") or "",
        address_line_2=address.get("address_line_2") or "",
        admin_area_2=address.get("admin_area_2") or "",
        admin_area_1=address.get("admin_area_1") or "",
        postal_code=address.get("postal_code") or "",
        country_code=address.get("country_code") or "",
    )


def order_from_paypal(body: dict) -> PayPalOrder:
    """An order as Orders v2 answers it with `Prefer: return=representation`: the first
    purchase unit's amount, items, shipping (address and trackers) and latest capture."""
    unit = (body.get("purchase_units") or [{}])[0]
    amount = unit.get("amount") or {}
    captures = (unit.get("payments") or {}).get("captures") or []
    wallet = (body.get("payment_source") or {}).get("paypal") or {}
    shipping = unit.get("shipping") or {}
    return PayPalOrder(
        order_id=body["id"],
        status=body["status"],
        approve_url=_link(body.get("links"), "payer-action", "approve"),
        amount_cents=_money(amount) or 0,
        currency=amount.get("currency_code", ""),
        custom_id=unit.get("custom_id"),
        payer_id=(body.get("payer") or {}).get("payer_id") or wallet.get("account_id"),
        capture=capture_from_paypal(captures[-1], order_id=body["id"]) if captures else None,
        items=tuple(_item_from_paypal(item) for item in unit.get("items") or ()),
        shipping_cents=_money((amount.get("breakdown") or {}).get("shipping")) or 0,
        shipping=_shipping_from_paypal(shipping),
        tracker_ids=tuple(tracker["id"] for tracker in shipping.get("trackers") or ()),
    )


def refund_from_paypal(body: dict, *, capture_id: str | None = None) -> PayPalRefund:
    """A refund as Payments v2 (and webhooks' `resource`) describe one."""
    return PayPalRefund(
        refund_id=body["id"],
        status=body["status"],
        amount_cents=_money(body.get("amount")) or 0,
        capture_id=capture_id or _id_after(_link(body.get("links"), "up"), "captures"),
        custom_id=body.get("custom_id"),
    )


def payout_item_from_paypal(body: dict) -> PayoutItemResult:
    """A payout item as Payouts v1 shows one (GET payouts-item, a batch's `items`, the cancel
    answer) and as the PAYMENT.PAYOUTS-ITEM.* webhooks' `resource` carries it. An item PayPal
    has not started on may come without transaction_status: it is PENDING."""
    detail = body.get("payout_item") or {}
    amount = detail.get("amount") or {}
    errors = body.get("errors") or {}
    if isinstance(errors, list):
        errors = errors[0] if errors and isinstance(errors[0], dict) else {}
    status = body.get("transaction_status") or "PENDING"
    if not isinstance(status, str):
        raise ValueError(f"transaction_status {status!r}")
    return PayoutItemResult(
        payout_item_id=body["payout_item_id"],
        payout_batch_id=body.get("payout_batch_id"),
        sender_item_id=detail.get("sender_item_id"),
        status=status.upper(),
        amount_cents=_money(amount) or 0,
        currency=amount.get("currency") or amount.get("currency_code") or "",
        fee_cents=_money(body.get("payout_item_fee")),
        receiver=detail.get("receiver"),
        error_name=errors.get("name"),
        error_message=errors.get("message"),
    )


def payout_batch_from_paypal(body: dict, *, page: int = 1, page_size: int | None = None) -> PayoutBatch:
    """A payout batch as Payouts v1 answers a create (the header only) or a show (a page of its
    items; more pages by total_pages, total_items or a `next` link), and as the
    PAYMENT.PAYOUTSBATCH.* webhooks' `resource` carries it."""
    header = body["batch_header"]
    batch_id = header["payout_batch_id"]
    items = tuple(payout_item_from_paypal(item) for item in body.get("items") or ())
    items = tuple(item if item.payout_batch_id else replace(item, payout_batch_id=batch_id)
                  for item in items)
    total_pages, total_items = body.get("total_pages"), body.get("total_items")
    if isinstance(total_pages, int) and not isinstance(total_pages, bool):
        has_more = page < total_pages
    elif isinstance(total_items, int) and not isinstance(total_items, bool) and page_size:
        has_more = page * page_size < total_items
    else:
        has_more = _link(body.get("links"), "next") is not None
    return PayoutBatch(
        payout_batch_id=batch_id,
        sender_batch_id=(header.get("sender_batch_header") or {}).get("sender_batch_id"),
        status=str(header["batch_status"]).upper(),
        items=items,
        page=page,
        has_more=has_more,
    )


def _duplicate_batch(problem: PayPalProblem, body: dict) -> PayPalProblem:
    """PayPal's refusal of a reused sender_batch_id as DuplicatePayoutBatch, naming the original
    batch from the error's link (`details[].link[].href` .../payouts/{id}); others unchanged."""
    if not isinstance(problem, PayPalRejected) or isinstance(problem, PayPalNotFound):
        return problem
    details = body.get("details") if isinstance(body.get("details"), list) else []
    for detail in details:
        if not isinstance(detail, dict):
            continue
        named = str(detail.get("field") or "").upper() == DUPLICATE_BATCH_FIELD or \
            "sender_batch_id" in str(detail.get("issue") or "").lower()
        if not named:
            continue
        links = [link for key in ("link", "links") if isinstance(detail.get(key), list)
                 for link in detail[key] if isinstance(link, dict)]
        hrefs = [link["href"] for link in links if isinstance(link.get("href"), str)]
        original = next((found for href in hrefs if (found := _id_after(href, "payouts"))), None)
        return DuplicatePayoutBatch(str(problem), payout_batch_id=original, status=problem.status,
                                    name=problem.name, issue=problem.issue, debug_id=problem.debug_id)
    return problem


# -- building the SDK client ------------------------------------------------------------------

def client_secret(settings: Settings, ssm: Any = None) -> str:
    """The PayPal client secret: from the settings, else the SSM SecureString they name."""
    if settings.paypal_client_secret:
        return settings.paypal_client_secret
    name = settings.paypal_client_secret_parameter
    if not name:
        raise PayPalNotConfigured("Set IK_PAYPAL_CLIENT_SECRET or IK_PAYPAL_CLIENT_SECRET_PARAMETER.")
    if ssm is None:
        raise PayPalNotConfigured(f"Reading the PayPal secret from SSM parameter {name} "
                                  "needs an SSM client.")
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


@lru_cache(maxsize=1)
def _configuration_class() -> type:
    """The SDK's Configuration with any base URL; built once, on first use."""
    from paypalserversdk.configuration import Configuration, Server

    class BaseUrlConfiguration(Configuration):
        """The SDK hard-codes sandbox and live URLs; this one answers the URL it was given."""

        def __init__(self, *, base_url: str, **options: Any) -> None:
            self.base_url = base_url.rstrip("/")
            super().__init__(**options)

        def get_base_uri(self, server: Any = Server.DEFAULT) -> str:
            return self.base_url

        def clone_with(self, base_url: str | None = None, **overrides: Any) -> "BaseUrlConfiguration":
            plain = super().clone_with(**overrides)
            return type(self)(
                base_url=base_url or self.base_url,
                http_client_instance=plain.http_client_instance,
                override_http_client_configuration=plain.override_http_client_configuration,
                http_call_back=plain.http_callback, timeout=plain.timeout,
                max_retries=plain.max_retries, backoff_factor=plain.backoff_factor,
                retry_statuses=plain.retry_statuses, retry_methods=plain.retry_methods,
                proxy_settings=plain.proxy_settings, logging_configuration=plain.logging_configuration,
                environment=plain.environment,
                client_credentials_auth_credentials=plain.client_credentials_auth_credentials,
            )

    return BaseUrlConfiguration


def build_paypal_client(settings: Settings, *, ssm: Any = None, token_provider: Callable | None = None,
                        timeout: int = 30, max_retries: int = 0, http_call_back: Any = None) -> Any:
    """A `PaypalServersdkClient` for `settings.paypal_base_url`, authenticating by client credentials.

    `token_provider(last_token, oauth)` (the SDK's hook) lets a caller own the token cache;
    `http_call_back` (an SDK `HttpCallBack`) sees every request and response (tests record them).
    No retries by default: the caller retries with the same PayPal-Request-Id."""
    from paypalserversdk.configuration import Environment
    from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
    from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

    if not settings.paypal_client_id:
        raise PayPalNotConfigured("Set IK_PAYPAL_CLIENT_ID.")
    credentials = ClientCredentialsAuthCredentials(
        o_auth_client_id=settings.paypal_client_id,
        o_auth_client_secret=client_secret(settings, ssm),
        o_auth_token_provider=token_provider,
    )
    live = settings.paypal_base_url.rstrip("/") == LIVE_BASE_URL
    configuration = _configuration_class()(
        base_url=settings.paypal_base_url,
        environment=Environment.PRODUCTION if live else Environment.SANDBOX,
        client_credentials_auth_credentials=credentials,
        timeout=timeout,
        max_retries=max_retries,
        http_call_back=http_call_back,
    )
    return PaypalServersdkClient(config=configuration)


# -- turning SDK failures into ours -----------------------------------------------------------

def _error_body(response: Any) -> dict:
    try:
        body = json.loads(getattr(response, "text", None) or "")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _problem_from_response(status: int, response: Any, action: str) -> PayPalProblem:
    """The `PayPalProblem` for a PayPal error answer (`response`: the SDK's HttpResponse)."""
    body = _error_body(response)
    details = body.get("details") if isinstance(body.get("details"), list) else []
    first = details[0] if details and isinstance(details[0], dict) else {}
    name = body.get("name") or body.get("error")
    issue = first.get("issue")
    headers = getattr(response, "headers", None) or {}
    debug_id = body.get("debug_id") or next(
        (v for k, v in dict(headers).items() if k.lower() == "paypal-debug-id"), None)
    words = first.get("description") or body.get("message") or body.get("error_description") or ""
    unavailable = not status or status >= 500 or status in UNAVAILABLE_STATUSES
    message = (f"PayPal {'could not ' + action + ' now' if unavailable else 'refused to ' + action}: "
               f"{status} {name or ''}{' ' + issue if issue else ''}{': ' + words if words else ''}"
               f"{f' (debug_id {debug_id})' if debug_id else ''}")
    details_kw = dict(status=status, name=name, issue=issue, debug_id=debug_id)
    if unavailable:
        return PayPalUnavailable(message, **details_kw)
    if issue in NOT_APPROVED_ISSUES:
        return OrderNotApproved(message, **details_kw)
    if issue in DECLINED_ISSUES:
        return PaymentDeclined(message, **details_kw)
    if status == 404:
        return PayPalNotFound(message, **details_kw)
    return PayPalRejected(message, **details_kw)


def _sdk_failures() -> tuple[type, ...]:
    from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
    from paypalserversdk.exceptions.api_exception import ApiException
    from requests.exceptions import RequestException

    return ApiException, RequestException, AuthValidationException


def _problem_from(error: Exception, action: str) -> PayPalProblem:
    """Maps an exception raised inside the SDK (HTTP answer, transport, auth) to ours."""
    from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
    from paypalserversdk.exceptions.api_exception import ApiException
    from requests.exceptions import RequestException

    if isinstance(error, ApiException):
        status = int(getattr(error, "response_code", 0) or 0)
        return _problem_from_response(status, getattr(error, "response", None), action)
    if isinstance(error, RequestException):
        return PayPalUnavailable(f"PayPal could not be reached to {action}: "
                                 f"{type(error).__name__}: {error}")
    if isinstance(error, AuthValidationException):
        return PayPalUnavailable(f"No usable PayPal access token to {action}: {error}")
    return PayPalUnavailable(f"PayPal's answer to {action} could not be read: "
                             f"{type(error).__name__}: {error}")


# -- the gateway ------------------------------------------------------------------------------

class PayPalGateway:
    """PayPal through the official SDK; owns the OAuth token so every SDK call shares one."""

    def __init__(self, settings: Settings, *, ssm: Any = None,
                 clock: Callable[[], float] = time.time, timeout: int = 30, max_retries: int = 0,
                 http_call_back: Any = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Any = None  # the SDK's OAuthToken (its `expiry` uses the SDK's own clock)
        self._expires_at = 0.0  # by our clock, from `expires_in`
        self._base_url = _check_url("paypal_base_url", settings.paypal_base_url).rstrip("/")
        self._timeout = timeout
        self._http_call_back = http_call_back
        self.sdk = build_paypal_client(settings, ssm=ssm, token_provider=self._provide_token,
                                       timeout=timeout, max_retries=max_retries,
                                       http_call_back=http_call_back)

    # -- OAuth ----------------------------------------------------------------------------
    def access_token(self) -> PayPalAccessToken:
        """A fresh bearer token, fetched from PayPal only when the cached one is nearly spent."""
        try:
            token = self._sdk_token()
        except _sdk_failures() as error:
            raise _problem_from(error, "issue an access token") from error
        return PayPalAccessToken(value=token.access_token, token_type=token.token_type,
                                 scope=getattr(token, "scope", ""), expires_at=self._expires_at)

    def _sdk_token(self) -> Any:
        from paypalserversdk.exceptions.o_auth_provider_exception import OAuthProviderException

        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._expires_at - TOKEN_REFRESH_MARGIN_SECONDS:
                try:
                    self._token = self.sdk.oauth_2.fetch_token()
                    self._expires_at = now + int(getattr(self._token, "expires_in", 0) or 0)
                except OAuthProviderException as error:
                    if error.response_code != 401:
                        raise _problem_from(error, "issue an access token") from error
                    reason = error.error_description or error.error
                    raise PayPalCredentialsRejected(
                        f"PayPal rejected the client credentials: {reason}",
                        status=401, name=error.error) from error
            return self._token

    def _provide_token(self, last_token: Any, oauth: Any) -> Any:
        """The SDK's token hook: every SDK call asks here, so one cached token serves all."""
        return self._sdk_token()

    def _forget_token(self) -> None:
        """PayPal no longer takes the token (revoked, or expired early): fetch a new one next."""
        with self._lock:
            if self._token is not None:
                self._token.expiry = 0  # the SDK holds the same object; this makes it ask again
            self._token = None
            self._expires_at = 0.0

    # -- calling the SDK ------------------------------------------------------------------
    def _call(self, action: str, call: Callable[[], Any]) -> dict:
        """Runs one SDK call and returns PayPal's JSON answer, or raises a `PayPalProblem`.

        A 401 means PayPal dropped our token: it is fetched again and the call made once more
        (safe: every write carries its PayPal-Request-Id)."""
        for attempt in (1, 2):
            try:
                response = call()
                body = json.loads(response.text or "{}")
                if not isinstance(body, dict):
                    raise ValueError("not a JSON object")
                return body
            except PayPalProblem:
                raise
            except (*_sdk_failures(), ValueError, TypeError, AttributeError, KeyError) as error:
                # ValueError & co: the SDK could not read a 2xx answer into its models
                problem = _problem_from(error, action)
                if problem.status == 401 and attempt == 1:
                    self._forget_token()
                    continue
                raise problem from error
        raise AssertionError("unreachable")

    def _read(self, action: str, reader: Callable[[dict], Any], body: dict) -> Any:
        """Reads PayPal's answer into ours; an answer we cannot read is a PayPal fault to retry."""
        try:
            return reader(body)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            raise PayPalUnavailable(f"PayPal's answer to {action} could not be read: "
                                    f"{type(error).__name__}: {error}") from error

    # -- Orders v2 ------------------------------------------------------------------------
    def create_order(self, *, request_id: str, amount_cents: int, currency: str, description: str,
                     reference_id: str, custom_id: str, return_url: str, cancel_url: str,
                     brand_name: str, items: Sequence[OrderItem] = (), shipping_cents: int = 0,
                     ships: bool = False) -> PayPalOrder:
        """A CAPTURE order for one purchase unit, paid from a PayPal wallet (`Pay Now`); the payer
        approves it at `approve_url`. With `items`, the unit lists them and breaks the amount
        down (item_total, shipping), which must add up; `ships` has the payer pick the address
        PayPal has on file (GET_FROM_FILE), else nothing ships (NO_SHIPPING)."""
        from paypalserversdk.models.amount_breakdown import AmountBreakdown
        from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
        from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
        from paypalserversdk.models.item_request import ItemRequest
        from paypalserversdk.models.money import Money
        from paypalserversdk.models.order_request import OrderRequest
        from paypalserversdk.models.payment_source import PaymentSource
        from paypalserversdk.models.paypal_experience_user_action import PaypalExperienceUserAction
        from paypalserversdk.models.paypal_wallet import PaypalWallet
        from paypalserversdk.models.paypal_wallet_context_shipping_preference import (
            PaypalWalletContextShippingPreference,
        )
        from paypalserversdk.models.paypal_wallet_experience_context import (
            PaypalWalletExperienceContext,
        )
        from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest

        _check_currency(currency)
        item_total = _order_lines(items, amount_cents=_check_cents(amount_cents), shipping_cents=shipping_cents)
        if not isinstance(ships, bool):
            raise ValueError(f"ships is True or False, not {ships!r}")
        money = lambda cents: Money(currency_code=currency, value=to_paypal_value(cents))  # noqa: E731
        lines: dict[str, Any] = {}
        breakdown: dict[str, Any] = {}
        if item_total is not None:
            breakdown["breakdown"] = AmountBreakdown(item_total=money(item_total), shipping=money(shipping_cents))
            lines["items"] = [ItemRequest(name=item.name, unit_amount=money(item.unit_amount_cents),
                                          quantity=str(item.quantity), category=item.category,
                                          **({"sku": item.sku} if item.sku else {}))
                              for item in items]
        preference = (PaypalWalletContextShippingPreference.GET_FROM_FILE if ships
                      else PaypalWalletContextShippingPreference.NO_SHIPPING)
        body = OrderRequest(
            intent=CheckoutPaymentIntent.CAPTURE,
            purchase_units=[PurchaseUnitRequest(
                amount=AmountWithBreakdown(currency_code=currency, value=to_paypal_value(amount_cents),
                                           **breakdown),
                reference_id=_check_text("reference_id", reference_id, 256),
                description=_clipped("description", description),
                custom_id=_check_text("custom_id", custom_id),
                **lines,
            )],
            payment_source=PaymentSource(paypal=PaypalWallet(
                experience_context=PaypalWalletExperienceContext(
                    brand_name=_clipped("brand_name", brand_name),
                    shipping_preference=preference,
                    user_action=PaypalExperienceUserAction.PAY_NOW,
                    return_url=_check_url("return_url", return_url),
                    cancel_url=_check_url("cancel_url", cancel_url),
                ))),
        )
        options = {"body": body, "paypal_request_id": _check_request_id(request_id), "prefer": PREFER}
        answer = self._call("create an order", lambda: self.sdk.orders.create_order(options))
        if not answer.get("purchase_units"):  # a minimal answer: ask for the whole order
            return self.get_order(self._read("create an order", lambda b: b["id"], answer))
        return self._read("create an order", order_from_paypal, answer)

    def get_order(self, order_id: str) -> PayPalOrder:
        """The order as PayPal has it now (GETs take neither PayPal-Request-Id nor Prefer)."""
        options = {"id": _check_id("order_id", order_id)}
        answer = self._call(f"show order {order_id}", lambda: self.sdk.orders.get_order(options))
        return self._read(f"show order {order_id}", order_from_paypal, answer)

    def capture_order(self, *, order_id: str, request_id: str) -> PayPalOrder:
        """Captures an approved order. Idempotent: the same request id replays PayPal's answer,
        and an order captured already (ORDER_ALREADY_CAPTURED) is read back with its capture.
        A DECLINED capture raises PaymentDeclined carrying the order."""
        action = f"capture order {order_id}"
        options = {"id": _check_id("order_id", order_id),
                   "paypal_request_id": _check_request_id(request_id), "prefer": PREFER}
        try:
            answer = self._call(action, lambda: self.sdk.orders.capture_order(options))
        except PayPalRejected as problem:
            if problem.issue != ALREADY_CAPTURED:
                raise
            return _settled(self.get_order(order_id), action)
        if not answer.get("purchase_units"):  # a minimal answer: ask for the whole order
            return _settled(self.get_order(order_id), action)
        return _settled(self._read(action, order_from_paypal, answer), action)

    def add_tracking(self, *, order_id: str, capture_id: str, tracking_number: str, carrier: str,
                     request_id: str, carrier_name_other: str | None = None) -> None:
        """Gives PayPal the tracking number of a captured order's shipment; PayPal tells the
        payer (notify_payer). Only a capture of the order that is COMPLETED, PARTIALLY_REFUNDED or
        PENDING takes one (else PayPal's 422: CAPTURE_ID_NOT_FOUND, CAPTURE_STATUS_NOT_VALID). A
        retry with the same request id, or the same tracking number again, adds no second tracker."""
        from paypalserversdk.models.order_tracker_request import OrderTrackerRequest

        _check_id("order_id", order_id)
        _check_capture_id(capture_id)
        _check_tracking(tracking_number, carrier, carrier_name_other)
        _check_request_id(request_id)
        body = OrderTrackerRequest(capture_id=capture_id, tracking_number=tracking_number, carrier=carrier,
                                   notify_payer=True,
                                   **({"carrier_name_other": carrier_name_other} if carrier_name_other else {}))
        options = {"id": order_id, "body": body}
        self._call(f"add tracking to order {order_id}",
                   lambda: self._orders_sending(request_id).create_order_tracking(options))

    def _orders_sending(self, request_id: str) -> Any:
        """The SDK's orders controller, its calls carrying `PayPal-Request-Id`: its tracking call
        takes no such parameter, though PayPal honours the header on every POST."""
        from paypalserversdk.controllers.orders_controller import OrdersController
        from requests.structures import CaseInsensitiveDict

        shared = self.sdk.global_configuration
        configuration = copy.copy(shared)  # shallow: the same HTTP client, auth and token
        configuration.additional_headers(CaseInsensitiveDict(
            {**shared.get_additional_headers(), "PayPal-Request-Id": request_id}))
        return OrdersController(configuration)

    # -- Payments v2 ----------------------------------------------------------------------
    def get_capture(self, capture_id: str) -> PayPalCapture:
        """A captured payment, with its status now (refunds and reversals change it)."""
        options = {"capture_id": _check_id("capture_id", capture_id)}
        action = f"show capture {capture_id}"
        answer = self._call(action, lambda: self.sdk.payments.get_captured_payment(options))
        return self._read(action, capture_from_paypal, answer)

    def refund_capture(self, *, capture_id: str, amount_cents: int, currency: str, request_id: str,
                       note: str, custom_id: str | None = None) -> PayPalRefund:
        """Refunds `amount_cents` of a capture (at most what is left of it)."""
        from paypalserversdk.models.money import Money
        from paypalserversdk.models.refund_request import RefundRequest

        request = {"amount": Money(currency_code=_check_currency(currency),
                                   value=to_paypal_value(_check_cents(amount_cents)))}
        if note and note.strip():
            request["note_to_payer"] = _clipped("note", note, MAX_NOTE)
        if custom_id is not None:
            request["custom_id"] = _check_refund_custom_id(custom_id)
        options = {"capture_id": _check_id("capture_id", capture_id), "body": RefundRequest(**request),
                   "paypal_request_id": _check_request_id(request_id), "prefer": PREFER}
        action = f"refund capture {capture_id}"
        answer = self._call(action, lambda: self.sdk.payments.refund_captured_payment(options))
        return self._read(action, lambda b: refund_from_paypal(b, capture_id=capture_id), answer)

    # -- Payouts v1 (plain HTTPS: the SDK has no payouts) ----------------------------------
    def create_payout_batch(self, *, sender_batch_id: str, items: Sequence[PayoutRequestItem],
                            currency: str, email_subject: str, email_message: str,
                            request_id: str) -> PayoutBatch:
        """Sends a batch of payouts and answers its header (no items): PENDING, PayPal pays in
        the background. A sender_batch_id PayPal has seen raises DuplicatePayoutBatch naming the
        original, so a retry with the same sender_batch_id, after any failure, never pays twice."""
        body = _payout_request(sender_batch_id=sender_batch_id, items=items, currency=currency,
                               email_subject=email_subject, email_message=email_message)
        action = f"create payout batch {sender_batch_id}"
        answer = self._rest("POST", "/v1/payments/payouts", action, body=body,
                            request_id=_check_request_id(request_id), refusal=_duplicate_batch)
        return self._read(action, payout_batch_from_paypal, answer)

    def get_payout_batch(self, payout_batch_id: str, *, page: int = 1,
                         page_size: int = 1000) -> PayoutBatch:
        """The batch's status and one page of its items (`has_more`: ask for `page + 1`)."""
        path = f"/v1/payments/payouts/{_check_id('payout_batch_id', payout_batch_id)}"
        query = {"page": _check_page("page", page, MAX_PAGE), "total_required": "true",
                 "page_size": _check_page("page_size", page_size, MAX_PAGE_SIZE)}
        action = f"show payout batch {payout_batch_id}"
        answer = self._rest("GET", path, action, query=query)
        return self._read(action, lambda b: payout_batch_from_paypal(b, page=page, page_size=page_size),
                          answer)

    def get_payout_item(self, payout_item_id: str) -> PayoutItemResult:
        action = f"show payout item {payout_item_id}"
        path = f"/v1/payments/payouts-item/{_check_id('payout_item_id', payout_item_id)}"
        return self._read(action, payout_item_from_paypal, self._rest("GET", path, action))

    def cancel_payout_item(self, payout_item_id: str, *, request_id: str | None = None) -> PayoutItemResult:
        """Takes back an UNCLAIMED item (it turns RETURNED); any other raises PayPalRejected
        (ITEM_INCORRECT_STATUS). A fresh PayPal-Request-Id by default, so a refusal stored for
        an earlier attempt is never what a later one hears."""
        action = f"cancel payout item {payout_item_id}"
        path = f"/v1/payments/payouts-item/{_check_id('payout_item_id', payout_item_id)}/cancel"
        answer = self._rest("POST", path, action,
                            request_id=_check_request_id(request_id or f"cancel-{secrets.token_hex(16)}"))
        return self._read(action, payout_item_from_paypal, answer)

    def _rest(self, method: str, path: str, action: str, *, query: dict | None = None,
              body: dict | None = None, request_id: str | None = None,
              refusal: Callable[[PayPalProblem, dict], PayPalProblem] | None = None) -> dict:
        """One REST call with the SDK's bearer token; PayPal's JSON answer, or a `PayPalProblem`
        as `_call` makes them (a 401 fetches the token again and asks once more)."""
        url = f"{self._base_url}{quote(path)}" + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body, separators=(",", ":")).encode("utf-8") if body is not None else None
        for attempt in (1, 2):
            try:
                token = self._sdk_token()
            except _sdk_failures() as error:
                raise _problem_from(error, action) from error
            headers = {"Authorization": f"Bearer {token.access_token}", "Content-Type": "application/json",
                       "Accept": "application/json"}
            if request_id is not None:
                headers["PayPal-Request-Id"] = request_id
            answer = self._send(method, url, headers, data, action)
            if 200 <= answer.status < 300:
                try:
                    parsed = json.loads(answer.text or "{}")
                    if not isinstance(parsed, dict):
                        raise ValueError("not a JSON object")
                except ValueError as error:
                    raise PayPalUnavailable(f"PayPal's answer to {action} could not be read: "
                                            f"{error}") from error
                return parsed
            if answer.status == 401 and attempt == 1:
                self._forget_token()
                continue
            problem = _problem_from_response(answer.status, answer, action)
            raise refusal(problem, _error_body(answer)) if refusal else problem
        raise AssertionError("unreachable")

    def _send(self, method: str, url: str, headers: dict, data: bytes | None, action: str) -> "_Answer":
        """The HTTP exchange itself (redirects not followed), shown to `http_call_back` like the
        SDK's; no answer at all (timeout, refused or dropped connection) is PayPalUnavailable."""
        seen = self._before_request(method, url, headers, data)
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with _opener().open(request, timeout=self._timeout) as response:
                answer = _Answer(response.status, response.read().decode("utf-8", "replace"),
                                 dict(response.headers.items()), response.reason or "")
        except urllib.error.HTTPError as error:  # PayPal answered, with an error status
            text = ""
            if error.fp is not None:
                try:
                    text = error.fp.read().decode("utf-8", "replace")
                except (OSError, http.client.HTTPException):
                    pass  # the status says enough
                finally:
                    error.fp.close()
            answer = _Answer(error.code, text, dict(error.headers.items()) if error.headers else {},
                             str(error.reason or ""))
        except (OSError, http.client.HTTPException, ValueError) as error:  # URLError, timeouts, resets
            raise PayPalUnavailable(f"PayPal could not be reached to {action}: "
                                    f"{type(error).__name__}: {error}") from error
        self._after_response(seen, answer)
        return answer

    def _before_request(self, method: str, url: str, headers: dict, data: bytes | None) -> Any:
        if self._http_call_back is None:
            return None
        from apimatic_core.http.request.http_request import HttpRequest

        seen = HttpRequest(http_method=method, query_url=url, headers=dict(headers),
                           parameters=data.decode("utf-8") if data is not None else None)
        self._http_call_back.on_before_request(seen)
        return seen

    def _after_response(self, seen: Any, answer: "_Answer") -> None:
        if self._http_call_back is None:
            return
        from apimatic_core.http.response.http_response import HttpResponse

        self._http_call_back.on_after_response(
            HttpResponse(answer.status, answer.reason, answer.headers, answer.text, seen))


@dataclass(frozen=True)
class _Answer:
    """PayPal's HTTP answer to a REST call (what `_problem_from_response` reads)."""

    status: int
    text: str
    headers: dict
    reason: str = ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """PayPal's API does not redirect; a 3xx is an answer, not somewhere to send the token."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@lru_cache(maxsize=1)
def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirects())


def _settled(order: PayPalOrder, action: str) -> PayPalOrder:
    """The captured order, or PaymentDeclined when PayPal declined the capture."""
    if order.capture is not None and order.capture.status in ("DECLINED", "FAILED"):
        raise PaymentDeclined(f"PayPal declined the payment to {action}: capture "
                              f"{order.capture.capture_id} is {order.capture.status}",
                              order=order, issue=order.capture.status)
    if order.capture is None:
        raise PayPalUnavailable(f"PayPal answered {action} with order status {order.status} "
                                "but no capture yet; ask again later")
    return order


# -- the twin ---------------------------------------------------------------------------------

def _paypal_id(length: int = 17) -> str:
    """A PayPal-style id: 17 capitals and digits (5O190127TN364715T); payouts' have 13."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _refusal(kind: type, action: str, status: int, name: str, issue: str | None,
             **extra: Any) -> PayPalProblem:
    """A problem worded as `_problem_from_response` words PayPal's answers."""
    return kind(f"PayPal refused to {action}: {status} {name}{' ' + issue if issue else ''}",
                status=status, name=name, issue=issue, debug_id="memory", **extra)


# The address the twin's payer ships to unless a test names another: the local sandbox's buyer's.
TWIN_BUYER_ADDRESS = ShippingAddress(full_name="Sandbox Buyer", address_line_1="1 Main St", address_line_2="",
                                     admin_area_2="San Jose", admin_area_1="CA", postal_code="95131",
                                     country_code="US")


@dataclass
class _TwinOrder:
    """An order in the in-memory PayPal twin, its capture once captured, and whether it ships."""

    order: PayPalOrder
    capture_id: str | None = None
    ships: bool = False


@dataclass
class _TwinCapture:
    """A capture in the in-memory PayPal twin."""

    capture: PayPalCapture
    currency: str
    refunded_cents: int = 0
    reversed: bool = False


@dataclass
class _TwinPayoutBatch:
    """A payout batch in the in-memory PayPal twin."""

    batch: PayoutBatch  # the header: status and ids
    item_ids: list[str]
    denied: bool = False


class InMemoryPayPalGateway:
    """The gateway's twin for unit tests, with PayPal's behaviour: tokens for the right secret,
    orders the payer must approve before capture, fees of 3.49% + 49¢ (rounded half up),
    answers replayed by PayPal-Request-Id (refusals too, as the local sandbox does), refunds up
    to what was captured; payout batches PENDING until `process_payouts`, a sender_batch_id
    taken once, no payout fee (as the local sandbox). Store orders keep their items and
    shipping charge; one that ships takes the payer's address on approval and tracking numbers
    once captured. Thread-safe. Hooks for tests: `approve`,
    `decline_next_capture`, `decline_next_refund`, `unavailable_next`, `reverse`,
    `payout_receiver_outcome`, `process_payouts`, `decline_next_payout_batch`; `payout_calls`
    lists the payouts calls made ("create <sender_batch_id>", "get <id>", "get-item <id>",
    "cancel <id>"), `payout_batches` shows every batch with all its items and `trackings`
    every tracking number added."""

    def __init__(self, *, client_id: str = "client", client_secret: str = "secret",
                 clock: Callable[[], float] = time.time, lifetime_seconds: int = 32400,
                 fee_basis_points: int = 349, fee_fixed_cents: int = 49,
                 approve_base_url: str = "https://www.sandbox.paypal.com/checkoutnow") -> None:
        self._expected = (client_id, client_secret)
        self._given = (client_id, client_secret)
        self._clock = clock
        self._lifetime = lifetime_seconds
        self._token: PayPalAccessToken | None = None
        self._fee = (fee_basis_points, fee_fixed_cents)
        self._approve_base_url = approve_base_url
        self._lock = threading.RLock()
        self._orders: dict[str, _TwinOrder] = {}
        self._captures: dict[str, _TwinCapture] = {}
        self._refunds: dict[str, PayPalRefund] = {}
        self._replies: dict[tuple[str, str, str], Any] = {}  # (operation, resource, request id)
        self._capture_declines: list[str | None] = []
        self._refund_declines = 0
        self._unavailable = 0
        self.fetches = 0
        self.captures_made = 0  # captures that moved money (tests count them)
        self._payout_batches: dict[str, _TwinPayoutBatch] = {}
        self._payout_items: dict[str, PayoutItemResult] = {}
        self._sender_batches: dict[str, str] = {}  # sender_batch_id -> payout_batch_id
        self._receiver_outcomes: dict[str, str] = {}  # lower-case email -> FAILED | RETURNED | UNCLAIMED
        self._payout_denials = 0
        self.payout_calls: list[str] = []
        self._trackings: dict[str, ShipmentTracking] = {}  # by tracker id, in the order added

    # -- OAuth ----------------------------------------------------------------------------
    def use_credentials(self, client_id: str, client_secret: str) -> None:
        """What the app would send; a mismatch makes `access_token` fail like PayPal's 401."""
        self._given = (client_id, client_secret)
        self._token = None

    def access_token(self) -> PayPalAccessToken:
        with self._lock:
            now = self._clock()
            if self._token is None or not self._token.fresh(now):
                if self._given != self._expected:
                    raise PayPalCredentialsRejected(
                        "PayPal rejected the client credentials: Client Authentication failed",
                        status=401, name="invalid_client")
                self.fetches += 1
                self._token = PayPalAccessToken(value=f"A21AA-memory-{self.fetches}", token_type="Bearer",
                                                scope="openid", expires_at=now + self._lifetime)
            return self._token

    # -- test hooks -----------------------------------------------------------------------
    def approve(self, order_id: str, *, payer_id: str = "TWINPAYER0001",
                shipping_address: ShippingAddress | None = None) -> PayPalOrder:
        """The payer approves the order at PayPal (what the approval page does); an order that
        ships goes to `shipping_address`, by default the payer's (TWIN_BUYER_ADDRESS)."""
        if shipping_address is not None and not isinstance(shipping_address, ShippingAddress):
            raise ValueError("shipping_address is a ShippingAddress")
        with self._lock:
            held = self._order(order_id, "approve")
            if shipping_address is not None and not held.ships:
                raise ValueError(f"order {order_id} ships nothing (NO_SHIPPING): the payer gives no address")
            if held.order.status in ("CREATED", "PAYER_ACTION_REQUIRED"):
                shipping = (shipping_address or TWIN_BUYER_ADDRESS) if held.ships else None
                held.order = replace(held.order, status="APPROVED", payer_id=payer_id, shipping=shipping)
            elif held.order.status != "APPROVED":
                raise _refusal(PayPalRejected, f"approve order {order_id}", 422, "UNPROCESSABLE_ENTITY",
                               "ORDER_CANNOT_BE_APPROVED")
            return held.order

    def decline_next_capture(self, issue: str | None = None) -> None:
        """The next capture is declined: with `issue` (e.g. INSTRUMENT_DECLINED) as PayPal's 422,
        the order staying APPROVED; without, as a capture that completes DECLINED (the local
        sandbox's `/sandbox/failures` "capture" "declined")."""
        with self._lock:
            self._capture_declines.append(issue)

    def decline_next_refund(self) -> None:
        """The next refund comes back FAILED and gives nothing back (the sandbox's "refund" "declined")."""
        with self._lock:
            self._refund_declines += 1

    def unavailable_next(self, count: int = 1) -> None:
        """The next `count` calls meet PayPal down (503): PayPalUnavailable, nothing changes."""
        with self._lock:
            self._unavailable += count

    def reverse(self, capture_id: str, amount_cents: int | None = None) -> PayPalRefund:
        """A chargeback: what is left of the capture (or `amount_cents`) goes back to the payer.
        As at PayPal, the capture turns REFUNDED or PARTIALLY_REFUNDED with reason CHARGEBACK
        (the capture status enum has no REVERSED), and refunds are refused from then on."""
        with self._lock:
            held = self._capture_held(capture_id, "reverse")
            left = held.capture.amount_cents - held.refunded_cents
            amount = left if amount_cents is None else _check_cents(amount_cents)
            if held.capture.status not in ("COMPLETED", "PARTIALLY_REFUNDED") or not 0 < amount <= left:
                raise ValueError(f"capture {capture_id} is {held.capture.status}; cannot reverse {amount}")
            held.reversed = True
            return self._give_back(held, amount, custom_id=None, reason="CHARGEBACK")

    # -- Orders v2 ------------------------------------------------------------------------
    def create_order(self, *, request_id: str, amount_cents: int, currency: str, description: str,
                     reference_id: str, custom_id: str, return_url: str, cancel_url: str,
                     brand_name: str, items: Sequence[OrderItem] = (), shipping_cents: int = 0,
                     ships: bool = False) -> PayPalOrder:
        _check_currency(currency)
        _order_lines(items, amount_cents=_check_cents(amount_cents), shipping_cents=shipping_cents)
        if not isinstance(ships, bool):
            raise ValueError(f"ships is True or False, not {ships!r}")
        _check_request_id(request_id)
        _check_text("reference_id", reference_id, 256)
        _clipped("description", description)
        _check_text("custom_id", custom_id)
        _clipped("brand_name", brand_name)
        _check_url("return_url", return_url)
        _check_url("cancel_url", cancel_url)
        with self._lock:
            self._reachable("create an order")
            return self._once(("create", "", request_id), lambda: self._create(
                amount_cents=amount_cents, currency=currency, custom_id=custom_id, items=tuple(items),
                shipping_cents=shipping_cents, ships=ships))

    def _create(self, *, amount_cents: int, currency: str, custom_id: str, items: tuple[OrderItem, ...],
                shipping_cents: int, ships: bool) -> PayPalOrder:
        order_id = _paypal_id()
        order = PayPalOrder(order_id=order_id, status="PAYER_ACTION_REQUIRED",
                            approve_url=f"{self._approve_base_url}?token={order_id}",
                            amount_cents=amount_cents, currency=currency, custom_id=custom_id,
                            items=items, shipping_cents=shipping_cents)
        self._orders[order_id] = _TwinOrder(order, ships=ships)
        return order

    def get_order(self, order_id: str) -> PayPalOrder:
        _check_id("order_id", order_id)
        with self._lock:
            self._reachable(f"show order {order_id}")
            return self._current(self._order(order_id, "show"))

    def capture_order(self, *, order_id: str, request_id: str) -> PayPalOrder:
        _check_id("order_id", order_id)
        _check_request_id(request_id)
        with self._lock:
            self._reachable(f"capture order {order_id}")
            held = self._order(order_id, "capture")
            return self._once(("capture", order_id, request_id), lambda: self._capture(held))

    def _capture(self, held: _TwinOrder) -> PayPalOrder:
        order = held.order
        action = f"capture order {order.order_id}"
        if held.capture_id is not None:  # ORDER_ALREADY_CAPTURED: the gateway reads it back
            return _settled(self._current(held), action)
        if order.status != "APPROVED":
            raise _refusal(OrderNotApproved, action, 422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED")
        declined = self._capture_declines.pop(0) if self._capture_declines else False
        if declined:  # an issue: PayPal's 422 (no order in it), the payer may choose other funding
            raise _refusal(PaymentDeclined, action, 422, "UNPROCESSABLE_ENTITY", declined)
        completed = declined is False
        fee = paypal_fee_cents(order.amount_cents, basis_points=self._fee[0], fixed_cents=self._fee[1])
        capture = PayPalCapture(
            capture_id=_paypal_id(), status="COMPLETED" if completed else "DECLINED",
            amount_cents=order.amount_cents,
            paypal_fee_cents=fee if completed else None,
            net_cents=order.amount_cents - fee if completed else None,
            order_id=order.order_id, custom_id=order.custom_id,
            create_time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._clock())))
        if completed:
            self.captures_made += 1
        self._captures[capture.capture_id] = _TwinCapture(capture, currency=order.currency)
        held.capture_id = capture.capture_id
        held.order = replace(order, status="COMPLETED", approve_url=None)
        return _settled(self._current(held), action)

    def add_tracking(self, *, order_id: str, capture_id: str, tracking_number: str, carrier: str,
                     request_id: str, carrier_name_other: str | None = None) -> None:
        _check_id("order_id", order_id)
        _check_capture_id(capture_id)
        _check_tracking(tracking_number, carrier, carrier_name_other)
        _check_request_id(request_id)
        with self._lock:
            self._reachable(f"add tracking to order {order_id}")
            self._once(("track", order_id, request_id), lambda: self._track(ShipmentTracking(
                tracker_id=tracker_id(capture_id, tracking_number), order_id=order_id, capture_id=capture_id,
                tracking_number=tracking_number, carrier=carrier, carrier_name_other=carrier_name_other)))

    def _track(self, tracking: ShipmentTracking) -> PayPalOrder:
        """As the sandbox: a capture of this order PayPal can track, once per tracking number."""
        action = f"add tracking to order {tracking.order_id}"
        held = self._order(tracking.order_id, "add tracking to")
        if held.capture_id != tracking.capture_id:
            raise _refusal(PayPalRejected, action, 422, "UNPROCESSABLE_ENTITY", "CAPTURE_ID_NOT_FOUND")
        if self._captures[held.capture_id].capture.status not in TRACKABLE_CAPTURES:
            raise _refusal(PayPalRejected, action, 422, "UNPROCESSABLE_ENTITY", "CAPTURE_STATUS_NOT_VALID")
        if tracking.tracker_id not in self._trackings:
            self._trackings[tracking.tracker_id] = tracking
            held.order = replace(held.order, tracker_ids=(*held.order.tracker_ids, tracking.tracker_id))
        return self._current(held)

    @property
    def trackings(self) -> tuple[ShipmentTracking, ...]:
        """Every tracking number added, first to last."""
        with self._lock:
            return tuple(self._trackings.values())

    # -- Payments v2 ----------------------------------------------------------------------
    def get_capture(self, capture_id: str) -> PayPalCapture:
        _check_id("capture_id", capture_id)
        with self._lock:
            self._reachable(f"show capture {capture_id}")
            return self._capture_held(capture_id, "show").capture

    def refund_capture(self, *, capture_id: str, amount_cents: int, currency: str, request_id: str,
                       note: str, custom_id: str | None = None) -> PayPalRefund:
        _check_id("capture_id", capture_id)
        _check_cents(amount_cents)
        _check_currency(currency)
        _check_request_id(request_id)
        if custom_id is not None:
            _check_refund_custom_id(custom_id)
        with self._lock:
            self._reachable(f"refund capture {capture_id}")
            return self._once(("refund", capture_id, request_id), lambda: self._refund(
                capture_id, amount_cents=amount_cents, currency=currency, custom_id=custom_id))

    def _refund(self, capture_id: str, *, amount_cents: int, currency: str,
                custom_id: str | None) -> PayPalRefund:
        action = f"refund capture {capture_id}"
        held = self._capture_held(capture_id, "refund")
        status = held.capture.status
        left = held.capture.amount_cents - held.refunded_cents
        issue = (
            "REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK" if held.reversed
            else "PENDING_CAPTURE" if status == "PENDING"
            else "REFUND_NOT_ALLOWED" if status not in ("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED")
            else "CAPTURE_FULLY_REFUNDED" if left <= 0
            else "REFUND_CAPTURE_CURRENCY_MISMATCH" if currency != held.currency
            else "REFUND_AMOUNT_EXCEEDED" if amount_cents > left
            else None)
        if issue:
            raise _refusal(PayPalRejected, action, 422, "UNPROCESSABLE_ENTITY", issue)
        if self._refund_declines:
            self._refund_declines -= 1
            refund = PayPalRefund(refund_id=_paypal_id(), status="FAILED", amount_cents=amount_cents,
                                  capture_id=capture_id, custom_id=custom_id)
            self._refunds[refund.refund_id] = refund
            return refund
        return self._give_back(held, amount_cents, custom_id=custom_id)

    def _give_back(self, held: _TwinCapture, amount_cents: int, *, custom_id: str | None,
                   reason: str | None = None) -> PayPalRefund:
        """A completed refund (or reversal) of `amount_cents`; call with the lock held."""
        refund = PayPalRefund(refund_id=_paypal_id(), status="COMPLETED", amount_cents=amount_cents,
                              capture_id=held.capture.capture_id, custom_id=custom_id)
        held.refunded_cents += amount_cents
        full = held.refunded_cents >= held.capture.amount_cents
        held.capture = replace(held.capture, status="REFUNDED" if full else "PARTIALLY_REFUNDED",
                               status_reason=reason or held.capture.status_reason)
        self._refunds[refund.refund_id] = refund
        return refund

    # -- state ----------------------------------------------------------------------------
    def _reachable(self, action: str) -> None:
        if self._unavailable:
            self._unavailable -= 1
            raise PayPalUnavailable(f"PayPal could not {action} now: 503 SERVICE_UNAVAILABLE",
                                    status=503, name="SERVICE_UNAVAILABLE", debug_id="memory")

    def _once(self, key: tuple[str, str, str], make: Callable[[], Any]) -> Any:
        """PayPal-Request-Id: the first answer (or 4xx refusal) is the answer to every retry."""
        if key in self._replies:
            reply = self._replies[key]
            if isinstance(reply, PayPalProblem):
                raise reply
            if isinstance(reply, PayPalOrder):  # an order answers with its latest state
                return self._current(self._orders[reply.order_id])
            return reply
        try:
            reply = make()
        except PayPalProblem as problem:
            self._replies[key] = problem
            raise
        self._replies[key] = reply
        return reply

    def _order(self, order_id: str, verb: str) -> _TwinOrder:
        held = self._orders.get(order_id)
        if held is None:
            raise _refusal(PayPalNotFound, f"{verb} order {order_id}", 404, "RESOURCE_NOT_FOUND",
                           "INVALID_RESOURCE_ID")
        return held

    def _capture_held(self, capture_id: str, verb: str) -> _TwinCapture:
        held = self._captures.get(capture_id)
        if held is None:
            raise _refusal(PayPalNotFound, f"{verb} capture {capture_id}", 404, "RESOURCE_NOT_FOUND",
                           "INVALID_RESOURCE_ID")
        return held

    def _current(self, held: _TwinOrder) -> PayPalOrder:
        capture = self._captures[held.capture_id].capture if held.capture_id else None
        return replace(held.order, capture=capture)

    # -- Payouts v1 -----------------------------------------------------------------------
    def payout_receiver_outcome(self, receiver: str, status: str) -> None:
        """Payouts to `receiver` end `status`: SUCCESS (the default), FAILED, RETURNED or
        UNCLAIMED (the sandbox's `POST /sandbox/payouts/receivers`)."""
        if not (isinstance(receiver, str) and _EMAIL.fullmatch(receiver)) or status not in PAYOUT_OUTCOMES:
            raise ValueError(f"a receiver's email and one of {', '.join(PAYOUT_OUTCOMES)}")
        with self._lock:
            if status == "SUCCESS":
                self._receiver_outcomes.pop(receiver.lower(), None)
            else:
                self._receiver_outcomes[receiver.lower()] = status

    def decline_next_payout_batch(self) -> None:
        """The next batch created is DENIED when processed, every item FAILED (the sandbox's
        `/sandbox/failures` "payouts" "declined")."""
        with self._lock:
            self._payout_denials += 1

    def process_payouts(self) -> list[str]:
        """PayPal pays every PENDING batch now: each item ends as its receiver's outcome, the
        batch SUCCESS (even when items failed, as at PayPal) or DENIED. The batches processed."""
        with self._lock:
            done = []
            for held in self._payout_batches.values():
                if held.batch.status != "PENDING":
                    continue
                for item_id in held.item_ids:
                    item = self._payout_items[item_id]
                    outcome = "FAILED" if held.denied else \
                        self._receiver_outcomes.get((item.receiver or "").lower(), "SUCCESS")
                    error = _PAYOUT_ITEM_ERRORS.get(outcome, (None, None))
                    self._payout_items[item_id] = replace(item, status=outcome, error_name=error[0],
                                                          error_message=error[1])
                held.batch = replace(held.batch, status="DENIED" if held.denied else "SUCCESS")
                done.append(held.batch.payout_batch_id)
            return done

    @property
    def payout_batches(self) -> dict[str, PayoutBatch]:
        """Every batch by payout_batch_id, with all its items."""
        with self._lock:
            return {batch_id: replace(held.batch, items=tuple(self._payout_items[i] for i in held.item_ids))
                    for batch_id, held in self._payout_batches.items()}

    def create_payout_batch(self, *, sender_batch_id: str, items: Sequence[PayoutRequestItem],
                            currency: str, email_subject: str, email_message: str,
                            request_id: str) -> PayoutBatch:
        _payout_request(sender_batch_id=sender_batch_id, items=items, currency=currency,
                        email_subject=email_subject, email_message=email_message)
        _check_request_id(request_id)
        action = f"create payout batch {sender_batch_id}"
        with self._lock:
            self.payout_calls.append(f"create {sender_batch_id}")
            self._reachable(action)
            return self._once(("payouts", "", request_id), lambda: self._create_payout_batch(
                action, sender_batch_id=sender_batch_id, items=list(items), currency=currency))

    def _create_payout_batch(self, action: str, *, sender_batch_id: str, items: list[PayoutRequestItem],
                             currency: str) -> PayoutBatch:
        original = self._sender_batches.get(sender_batch_id)
        if original is not None:
            raise _refusal(DuplicatePayoutBatch, action, 400, "USER_BUSINESS_ERROR",
                           "Batch with given sender_batch_id already exists", payout_batch_id=original)
        batch = PayoutBatch(payout_batch_id=_paypal_id(13), sender_batch_id=sender_batch_id,
                            status="PENDING")
        held = _TwinPayoutBatch(batch, item_ids=[], denied=self._payout_denials > 0)
        self._payout_denials = max(0, self._payout_denials - 1)
        for item in items:
            result = PayoutItemResult(
                payout_item_id=_paypal_id(13), payout_batch_id=batch.payout_batch_id,
                sender_item_id=item.sender_item_id, status="PENDING", amount_cents=item.amount_cents,
                currency=currency, fee_cents=0, receiver=item.receiver, error_name=None, error_message=None)
            self._payout_items[result.payout_item_id] = result
            held.item_ids.append(result.payout_item_id)
        self._payout_batches[batch.payout_batch_id] = held
        self._sender_batches[sender_batch_id] = batch.payout_batch_id
        return batch

    def get_payout_batch(self, payout_batch_id: str, *, page: int = 1,
                         page_size: int = 1000) -> PayoutBatch:
        _check_id("payout_batch_id", payout_batch_id)
        _check_page("page", page, MAX_PAGE)
        _check_page("page_size", page_size, MAX_PAGE_SIZE)
        action = f"show payout batch {payout_batch_id}"
        with self._lock:
            self.payout_calls.append(f"get {payout_batch_id}")
            self._reachable(action)
            held = self._payout_batches.get(payout_batch_id)
            if held is None:
                raise _refusal(PayPalNotFound, action, 404, "INVALID_RESOURCE_ID", None)
            shown = held.item_ids[(page - 1) * page_size: page * page_size]
            return replace(held.batch, items=tuple(self._payout_items[i] for i in shown), page=page,
                           has_more=page * page_size < len(held.item_ids))

    def get_payout_item(self, payout_item_id: str) -> PayoutItemResult:
        _check_id("payout_item_id", payout_item_id)
        with self._lock:
            self.payout_calls.append(f"get-item {payout_item_id}")
            action = f"show payout item {payout_item_id}"
            self._reachable(action)
            return self._payout_item(payout_item_id, action)

    def cancel_payout_item(self, payout_item_id: str, *, request_id: str | None = None) -> PayoutItemResult:
        _check_id("payout_item_id", payout_item_id)
        request_id = _check_request_id(request_id or f"cancel-{secrets.token_hex(16)}")
        action = f"cancel payout item {payout_item_id}"
        with self._lock:
            self.payout_calls.append(f"cancel {payout_item_id}")
            self._reachable(action)
            return self._once(("cancel", payout_item_id, request_id),
                              lambda: self._cancel_payout_item(payout_item_id, action))

    def _cancel_payout_item(self, payout_item_id: str, action: str) -> PayoutItemResult:
        item = self._payout_item(payout_item_id, action)
        if item.status != "UNCLAIMED":
            raise _refusal(PayPalRejected, action, 400, "ITEM_INCORRECT_STATUS", None)
        name, message = _PAYOUT_ITEM_ERRORS["RETURNED"]
        item = replace(item, status="RETURNED", error_name=name, error_message=message)
        self._payout_items[payout_item_id] = item
        return item

    def _payout_item(self, payout_item_id: str, action: str) -> PayoutItemResult:
        item = self._payout_items.get(payout_item_id)
        if item is None:
            raise _refusal(PayPalNotFound, action, 404, "INVALID_RESOURCE_ID", None)
        return item
