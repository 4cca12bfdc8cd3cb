"""Orders v2 and Payments v2 of the local PayPal sandbox: create, show and capture orders; add
tracking to captured ones; show captures; refund them; show refunds. Bodies, statuses and error
issues are PayPal's (checked against PayPal's OpenAPI specs by the tests). Money is integer
minor units inside.

An order lives CREATED (or PAYER_ACTION_REQUIRED when `payment_source.paypal` was given) until
the payer approves it on the sandbox's approval page (APPROVED), then COMPLETED once captured.
Orders not approved (or approved but not captured) within `order_ttl_seconds` expire: PayPal
then answers 404 for them.

Items and `amount.breakdown` must add up as at PayPal (ITEM_TOTAL_MISMATCH, TAX_TOTAL_MISMATCH,
AMOUNT_MISMATCH). Where the order ships (`shipping_preference` GET_FROM_FILE, PayPal's default),
the payer confirms or changes an address on the approval page (the sandbox buyer's, or the one
the merchant sent); SET_PROVIDED_ADDRESS ships to the merchant's address as sent; NO_SHIPPING
ships nothing. The order then shows `purchase_units[].shipping` (name and address), and the
trackers added by `POST /v2/checkout/orders/{id}/track` under `shipping.trackers`.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from infra.local.paypal_core import (
    PAYMENTS_DOCS,
    PayPalError,
    SandboxRequest,
    SandboxResponse,
    internal_server_error,
    paypal_id,
    rfc3339,
    service_unavailable,
)
from infra.local.paypal_issues import (  # noqa: F401 - the operation names are part of this module's API
    CAPTURE,
    CREATE,
    DOCS,
    ISSUES,
    PATCH_ORDER,
    REDIRECT_ISSUES,
    REFUND,
    SHOW_CAPTURE,
    SHOW_ORDER,
    SHOW_REFUND,
    TRACK,
    issue_error,
    issue_for,
)
from infra.local.paypal_money import (
    CURRENCY_DECIMALS,
    AmountProblem,
    display,
    format_value,
    money,
    parse_value,
)

if TYPE_CHECKING:
    from infra.local.paypal_sandbox import PayPalSandbox

OPEN = ("CREATED", "PAYER_ACTION_REQUIRED")
MAX_PURCHASE_UNITS = 10
REFUND_CUSTOM_ID = re.compile(r"^[A-Za-z0-9\-_.,]*$")  # the refund schema's pattern
AMOUNT_PARTS = ("item_total", "shipping", "handling", "tax_total", "insurance", "shipping_discount",
                "discount")
ITEM_CATEGORIES = ("DIGITAL_GOODS", "PHYSICAL_GOODS", "DONATION")
QUANTITY = re.compile(r"^[1-9][0-9]{0,9}$")
CAPTURE_ID = re.compile(r"^[A-Za-z0-9]{1,50}$")  # the tracking request's capture_id pattern
SHIPPING_PREFERENCES = ("GET_FROM_FILE", "NO_SHIPPING", "SET_PROVIDED_ADDRESS")
DEFAULT_SHIPPING_PREFERENCE = "GET_FROM_FILE"  # PayPal's, when the order names none
OTHER_CARRIER = "OTHER"  # PayPal's carrier for one not in its list: named in carrier_name_other
TRACKER_STATUS = "SHIPPED"
# The captures PayPal takes tracking for (its tracking guide; the issue's own words say COMPLETED only).
TRACKABLE_CAPTURES = ("COMPLETED", "PARTIALLY_REFUNDED", "PENDING")
# The address parts a shipping address keeps (PayPal's address_portable), with their maximum lengths.
ADDRESS_PARTS = (("address_line_1", 300), ("address_line_2", 300), ("admin_area_2", 120),
                 ("admin_area_1", 300), ("postal_code", 60), ("country_code", 2))
MAX_FULL_NAME = 300
COUNTRY_CODE = re.compile(r"^([A-Z]{2}|C2)$")
# Countries whose addresses PayPal refuses without a city, a postal code or a state (a short list;
# PayPal's own is longer).
CITY_REQUIRED = frozenset({"US", "CA", "GB", "AU", "DE", "FR", "IT", "ES", "NL", "JP"})
POSTAL_CODE_REQUIRED = frozenset({"US", "CA", "GB", "AU", "DE", "FR", "IT", "ES", "NL", "JP"})
STATE_REQUIRED = frozenset({"US", "CA", "AU"})
US_ZIP = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")


@lru_cache(maxsize=1)
def carriers() -> frozenset[str]:
    """PayPal's shipment carriers, from its spec (`shipment_carrier`), and OTHER: the spec's list
    lacks it, though its `carrier_name_other` field and PayPal's docs and SDK name it."""
    from infra.local.paypal_specs import paypal_specs

    schemas = paypal_specs()["checkout_orders_v2"].document["components"]["schemas"]
    return frozenset(schemas["shipment_carrier"]["enum"]) | {OTHER_CARRIER}


class AddressProblem(Exception):
    """A shipping address PayPal would refuse: its issue, the part at fault (e.g. `admin_area_2`)
    and the words a person reads on the approval page."""

    def __init__(self, issue: str, part: str, words: str) -> None:
        super().__init__(words)
        self.issue, self.part, self.words = issue, part, words


def shipping_address(full_name: Any, address: dict) -> dict:
    """A shipping address checked as PayPal checks one, as an order shows it:
    `{"name": {"full_name"}, "address": {...}}` (empty parts left out; surrounding spaces trimmed).
    Raises AddressProblem."""
    if not isinstance(full_name, str) or not full_name.strip():
        raise AddressProblem("SHIPPING_ADDRESS_INVALID", "full_name", "Enter the name to ship to.")
    full_name = " ".join(full_name.split())
    if len(full_name) > MAX_FULL_NAME:
        raise AddressProblem("SHIPPING_ADDRESS_INVALID", "full_name",
                             f"A name has at most {MAX_FULL_NAME} characters.")
    kept: dict[str, str] = {}
    for part, limit in ADDRESS_PARTS:
        value = address.get(part)
        if value is None:
            continue
        if not isinstance(value, str) or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise AddressProblem("SHIPPING_ADDRESS_INVALID", part, "An address is plain text on one line.")
        value = value.strip()
        if len(value) > limit and part != "country_code":  # a country's own check says more
            raise AddressProblem("SHIPPING_ADDRESS_INVALID", part, f"This part has at most {limit} characters.")
        if value:
            kept[part] = value
    country = kept.get("country_code", "").upper()
    if not COUNTRY_CODE.match(country):
        raise AddressProblem("SHIPPING_ADDRESS_INVALID", "country_code",
                             "Enter the country as its two-letter code, such as US.")
    kept["country_code"] = country
    if "address_line_1" not in kept:
        raise AddressProblem("SHIPPING_ADDRESS_INVALID", "address_line_1", "Enter the street address.")
    if country in CITY_REQUIRED and "admin_area_2" not in kept:
        raise AddressProblem("CITY_REQUIRED", "admin_area_2", "Enter the city.")
    if country in STATE_REQUIRED and "admin_area_1" not in kept:
        raise AddressProblem("SHIPPING_ADDRESS_INVALID", "admin_area_1", "Enter the state or province.")
    if country in POSTAL_CODE_REQUIRED and "postal_code" not in kept:
        raise AddressProblem("POSTAL_CODE_REQUIRED", "postal_code", "Enter the postal code.")
    if country == "US" and not US_ZIP.match(kept["postal_code"]):
        raise AddressProblem("SHIPPING_ADDRESS_INVALID", "postal_code", "A US ZIP code is 5 digits (or 5+4).")
    return {"name": {"full_name": full_name}, "address": kept}


# -- reading request bodies ---------------------------------------------------------------------

class _Reader:
    """Checks one operation's request body the way PayPal does, raising PayPal's issue."""

    def __init__(self, operation: str) -> None:
        self.operation = operation

    def fail(self, issue: str, field: str, value: Any = None) -> PayPalError:
        return issue_error(self.operation, issue, field=field, value=value)

    def object(self, node: dict, key: str, field: str, *, required: bool = False) -> dict | None:
        value = node.get(key)
        if value is None:
            if required:
                raise self.fail("MISSING_REQUIRED_PARAMETER", field)
            return None
        if not isinstance(value, dict):
            raise self.fail("INVALID_PARAMETER_SYNTAX", field, value)
        return value

    def text(self, node: dict, key: str, field: str, *, low: int = 1, high: int = 127,
             required: bool = False) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                raise self.fail("MISSING_REQUIRED_PARAMETER", field)
            return None
        if not isinstance(value, str):
            raise self.fail("INVALID_PARAMETER_SYNTAX", field, value)
        if not low <= len(value) <= high:
            raise self.fail("INVALID_STRING_LENGTH", field, value)
        return value

    def choice(self, node: dict, key: str, field: str, allowed: tuple[str, ...]) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail("INVALID_PARAMETER_SYNTAX", field, value)
        if value not in allowed:
            raise self.fail(issue_for(self.operation, "INVALID_PARAMETER_VALUE", "INVALID_PARAMETER_SYNTAX"),
                            field, value)
        return value

    def url(self, node: dict, key: str, field: str) -> str | None:
        value = self.text(node, key, field, high=4000)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c in value for c in " \r\n\t"):
            raise self.fail("INVALID_PARAMETER_SYNTAX", field, value)
        return value

    def money(self, node: dict, key: str, field: str, *, required: bool = False,
              currency: str | None = None) -> tuple[int, str] | None:
        """A `money` object: (minor units, currency). Syntax is a 400, business rules a 422."""
        amount = self.object(node, key, field, required=required)
        if amount is None:
            return None
        code = self.text(amount, "currency_code", f"{field}/currency_code", low=3, high=3, required=True)
        if not isinstance(amount.get("value"), str) and amount.get("value") is not None:
            raise self.fail("INVALID_PARAMETER_SYNTAX", f"{field}/value", amount["value"])
        value = self.text(amount, "value", f"{field}/value", low=1, high=32, required=True)
        if code not in CURRENCY_DECIMALS:
            raise self.fail("INVALID_CURRENCY_CODE", f"{field}/currency_code", code)
        if currency is not None and code != currency:
            raise self.fail(issue_for(self.operation, "MULTI_CURRENCY_ORDER", "REFUND_CAPTURE_CURRENCY_MISMATCH"),
                            f"{field}/currency_code", code)
        try:
            minor = parse_value(value, code, field=f"{field}/value")
        except AmountProblem as problem:
            issue = problem.issue
            if issue == "DECIMALS_NOT_SUPPORTED":
                issue = issue_for(self.operation, issue, "DECIMAL_PRECISION")
            if issue == "MAX_VALUE_EXCEEDED":
                issue = issue_for(self.operation, issue, "INVALID_PARAMETER_SYNTAX")
            raise self.fail(issue, problem.field, value) from None
        return minor, code


def _unit_field(reference_id: str, path: str = "") -> str:
    """PayPal names a purchase unit's fields by its reference id: `/purchase_units/@reference_id=='default'/amount`."""
    return f"/purchase_units/@reference_id=='{reference_id}'{path}"


def _experience(reader: _Reader, node: dict | None, field: str, *, legacy: bool) -> dict:
    """return/cancel URLs, brand, user action and shipping preference from `experience_context`
    (or the legacy `application_context`)."""
    if node is None:
        return {}
    landing = ("LOGIN", "BILLING", "NO_PREFERENCE") if legacy else ("LOGIN", "GUEST_CHECKOUT", "NO_PREFERENCE")
    found = {
        "brand_name": reader.text(node, "brand_name", f"{field}/brand_name"),
        "return_url": reader.url(node, "return_url", f"{field}/return_url"),
        "cancel_url": reader.url(node, "cancel_url", f"{field}/cancel_url"),
        "user_action": reader.choice(node, "user_action", f"{field}/user_action", ("CONTINUE", "PAY_NOW")),
        "shipping_preference": reader.choice(node, "shipping_preference", f"{field}/shipping_preference",
                                             SHIPPING_PREFERENCES),
        "landing_page": reader.choice(node, "landing_page", f"{field}/landing_page", landing),
        "locale": reader.text(node, "locale", f"{field}/locale", low=2, high=10),
    }
    return {key: value for key, value in found.items() if value is not None}


def read_order_request(body: dict) -> dict:
    """A create-order body checked as PayPal checks it; the parts the sandbox keeps."""
    reader = _Reader(CREATE)
    intent = reader.choice(body, "intent", "/intent", ("CAPTURE", "AUTHORIZE"))
    if intent is None:
        raise reader.fail("MISSING_REQUIRED_PARAMETER", "/intent")
    units = body.get("purchase_units")
    if units is None:
        raise reader.fail("MISSING_REQUIRED_PARAMETER", "/purchase_units")
    if not isinstance(units, list):
        raise reader.fail("INVALID_PARAMETER_SYNTAX", "/purchase_units")
    if not units:
        raise reader.fail("INVALID_ARRAY_MIN_ITEMS", "/purchase_units")
    if len(units) > MAX_PURCHASE_UNITS:
        raise reader.fail("INVALID_ARRAY_MAX_ITEMS", "/purchase_units")
    source = reader.object(body, "payment_source", "/payment_source")
    wallet = None
    if source is not None:
        for key in source:
            if key != "paypal":
                raise reader.fail("NOT_SUPPORTED", f"/payment_source/{key}")
        wallet = reader.object(source, "paypal", "/payment_source/paypal") or {}
    experience = _experience(reader, reader.object(body, "application_context", "/application_context"),
                             "/application_context", legacy=True)
    if wallet is not None:
        experience.update(_experience(
            reader, reader.object(wallet, "experience_context", "/payment_source/paypal/experience_context"),
            "/payment_source/paypal/experience_context", legacy=False))

    preference = experience.get("shipping_preference", DEFAULT_SHIPPING_PREFERENCE)
    kept = []
    seen_references: set[str] = set()
    currency = None
    for index, unit in enumerate(units):
        if not isinstance(unit, dict):
            raise reader.fail("INVALID_PARAMETER_SYNTAX", f"/purchase_units/{index}")
        reference = reader.text(unit, "reference_id", f"/purchase_units/{index}/reference_id", high=256)
        if reference is None and len(units) > 1:
            raise reader.fail("REFERENCE_ID_REQUIRED", f"/purchase_units/{index}/reference_id")
        reference = reference or "default"
        if reference in seen_references:
            raise reader.fail("DUPLICATE_REFERENCE_ID", _unit_field(reference, "/reference_id"), reference)
        seen_references.add(reference)
        texts = {key: reader.text(unit, key, _unit_field(reference, f"/{key}"), high=high)
                 for key, high in (("description", 127), ("custom_id", 127), ("invoice_id", 127),
                                   ("soft_descriptor", 22))}
        total, code = reader.money(unit, "amount", _unit_field(reference, "/amount"), required=True,
                                   currency=currency)
        currency = currency or code
        if total <= 0:
            raise reader.fail("CANNOT_BE_ZERO_OR_NEGATIVE", _unit_field(reference, "/amount/value"),
                              unit["amount"]["value"])
        breakdown, items = _read_lines(reader, unit, reference, total, code)
        amount = {"currency_code": code, "value": format_value(total, code)}  # ".5" reads back "0.50"
        if breakdown:
            amount["breakdown"] = breakdown
        shipping = _read_shipping(reader, unit, reference, preference)
        kept.append({"reference_id": reference, "amount": amount, "currency": code,
                     "total": total, **{k: v for k, v in texts.items() if v is not None},
                     **({"items": items} if items is not None else {}),
                     **({"shipping": shipping} if shipping else {})})
    donations = any(item.get("category") == "DONATION" for unit in kept for item in unit.get("items", ()))
    if donations and len(kept) > 1:
        raise reader.fail("DONATION_ITEMS_NOT_SUPPORTED", "/purchase_units")
    if intent == "AUTHORIZE":
        raise reader.fail("AUTH_CAPTURE_NOT_ENABLED", "/intent", intent)
    return {"intent": intent, "units": kept, "experience": experience, "wallet": wallet is not None}


def _read_lines(reader: _Reader, unit: dict, reference: str, total: int,
                currency: str) -> tuple[dict | None, list[dict] | None]:
    """`amount.breakdown` and `items`, checked as PayPal checks them (the parts add up to the
    amount; the items to item_total, their taxes to tax_total; DONATION alone) and written as
    PayPal writes them back (two decimals, only the fields PayPal keeps): (breakdown, items)."""
    field = _unit_field(reference, "/amount/breakdown")
    breakdown = reader.object(unit["amount"], "breakdown", field)
    items = unit.get("items")
    if items is not None and not isinstance(items, list):
        raise reader.fail("INVALID_PARAMETER_SYNTAX", _unit_field(reference, "/items"))
    parts = {}
    for name in AMOUNT_PARTS if breakdown else ():
        part = reader.money(breakdown, name, f"{field}/{name}", currency=currency)
        if part is not None:
            if part[0] < 0:
                raise reader.fail("CANNOT_BE_NEGATIVE", f"{field}/{name}/value", breakdown[name]["value"])
            parts[name] = part[0]
    if breakdown:
        expected = sum(parts.get(n, 0) for n in AMOUNT_PARTS[:5]) - parts.get("shipping_discount", 0) - \
            parts.get("discount", 0)
        if expected != total:
            raise reader.fail("AMOUNT_MISMATCH", _unit_field(reference, "/amount/value"), unit["amount"]["value"])
    kept_breakdown = {name: money(parts[name], currency) for name in AMOUNT_PARTS if name in parts} or None
    if items is None:
        return kept_breakdown, None
    kept_items, item_sum, tax_sum, taxed = [], 0, 0, False
    for index, item in enumerate(items):
        kept, price, tax = _read_item(reader, item, _unit_field(reference, f"/items/{index}"), currency)
        kept_items.append(kept)
        item_sum += price * int(kept["quantity"])
        if tax is not None:
            taxed = True
            tax_sum += tax * int(kept["quantity"])
    categories = {item["category"] for item in kept_items if "category" in item}
    if "DONATION" in categories and len(categories) > 1:
        raise reader.fail("MULTIPLE_ITEM_CATEGORIES", _unit_field(reference, "/items"))
    if kept_items:
        if "item_total" not in parts:
            raise reader.fail("ITEM_TOTAL_REQUIRED", f"{field}/item_total")
        if item_sum != parts["item_total"]:
            raise reader.fail("ITEM_TOTAL_MISMATCH", f"{field}/item_total/value",
                              breakdown["item_total"]["value"])
        if taxed and "tax_total" not in parts:
            raise reader.fail("TAX_TOTAL_REQUIRED", f"{field}/tax_total")
        if taxed and tax_sum != parts["tax_total"]:
            raise reader.fail("TAX_TOTAL_MISMATCH", f"{field}/tax_total/value", breakdown["tax_total"]["value"])
    return kept_breakdown, kept_items or None


def _read_item(reader: _Reader, item: Any, path: str, currency: str) -> tuple[dict, int, int | None]:
    """One of a purchase unit's `items` as PayPal keeps it, its unit amount and its tax (minor units)."""
    if not isinstance(item, dict):
        raise reader.fail("INVALID_PARAMETER_SYNTAX", path)
    kept: dict[str, Any] = {"name": reader.text(item, "name", f"{path}/name", high=127, required=True)}
    price, _ = reader.money(item, "unit_amount", f"{path}/unit_amount", required=True, currency=currency)
    if price < 0:
        raise reader.fail("CANNOT_BE_NEGATIVE", f"{path}/unit_amount/value", item["unit_amount"]["value"])
    kept["unit_amount"] = money(price, currency)
    tax = reader.money(item, "tax", f"{path}/tax", currency=currency)
    if tax is not None:
        if tax[0] < 0:
            raise reader.fail("CANNOT_BE_NEGATIVE", f"{path}/tax/value", item["tax"]["value"])
        kept["tax"] = money(tax[0], currency)
    quantity = reader.text(item, "quantity", f"{path}/quantity", high=10, required=True)
    if not QUANTITY.match(quantity):
        raise reader.fail("INVALID_PARAMETER_SYNTAX", f"{path}/quantity", quantity)
    kept["quantity"] = quantity
    for key in ("description", "sku"):
        value = reader.text(item, key, f"{path}/{key}", low=0, high=127)
        if value:
            kept[key] = value
    for key in ("url", "image_url"):
        value = reader.url(item, key, f"{path}/{key}")
        if value is not None:
            kept[key] = value
    category = reader.choice(item, "category", f"{path}/category", ITEM_CATEGORIES)
    if category is not None:
        kept["category"] = category
    return kept, price, None if tax is None else tax[0]


def _read_shipping(reader: _Reader, unit: dict, reference: str, preference: str) -> dict | None:
    """The merchant's `shipping` (name and address) of a purchase unit, checked as PayPal checks
    an address; SET_PROVIDED_ADDRESS needs one. None when the unit names none."""
    field = _unit_field(reference, "/shipping")
    shipping = reader.object(unit, "shipping", field)
    address = reader.object(shipping, "address", f"{field}/address") if shipping else None
    if address is None:
        if preference == "SET_PROVIDED_ADDRESS":
            raise reader.fail("MISSING_REQUIRED_PARAMETER", f"{field}/address")
        return None
    name = reader.object(shipping, "name", f"{field}/name") or {}
    full_name = reader.text(name, "full_name", f"{field}/name/full_name", high=MAX_FULL_NAME)
    parts = {part: reader.text(address, part, f"{field}/address/{part}", low=0, high=limit)
             for part, limit in ADDRESS_PARTS}
    try:
        checked = shipping_address(full_name or "-", parts)  # the name is optional here
    except AddressProblem as problem:
        part = "name/full_name" if problem.part == "full_name" else f"address/{problem.part}"
        raise reader.fail(problem.issue, f"{field}/{part}", address.get(problem.part)) from None
    return checked if full_name is not None else {"address": checked["address"]}


# -- the Orders and Payments APIs ----------------------------------------------------------------

class Checkout:
    """Orders v2 and Payments v2 on the sandbox's state; also approves orders (to the address the
    payer picks) for the approval page and the control routes, and reverses captures
    (chargebacks) for the control routes."""

    def __init__(self, sandbox: "PayPalSandbox") -> None:
        self.sandbox = sandbox

    def register(self, router: Any) -> None:
        router.add("POST", "/v2/checkout/orders", self.create_order, idempotent=True, replay_status=200,
                   fault="orders", mocks=self.mocks(CREATE))
        router.add("GET", "/v2/checkout/orders/{id}", self.show_order, mocks=self.mocks(SHOW_ORDER))
        router.add("PATCH", "/v2/checkout/orders/{id}", self.patch_order, mocks=self.mocks(PATCH_ORDER))
        router.add("POST", "/v2/checkout/orders/{id}/capture", self.capture_order, idempotent=True,
                   replay_status=200, fault="capture", mocks=self.mocks(CAPTURE))
        router.add("POST", "/v2/checkout/orders/{id}/track", self.track_order, idempotent=True,
                   replay_status=200, mocks=self.mocks(TRACK))
        router.add("GET", "/v2/payments/captures/{capture_id}", self.show_capture, mocks=self.mocks(SHOW_CAPTURE))
        router.add("POST", "/v2/payments/captures/{capture_id}/refund", self.refund_capture, idempotent=True,
                   fault="refund", mocks=self.mocks(REFUND))
        router.add("GET", "/v2/payments/refunds/{refund_id}", self.show_refund, mocks=self.mocks(SHOW_REFUND))

    # -- helpers ---------------------------------------------------------------------------
    @property
    def _state(self):
        return self.sandbox.state

    def _now(self) -> float:
        return self.sandbox.clock()

    def _link(self, path: str, rel: str, method: str = "GET") -> dict:
        return {"href": f"{self.sandbox.url}{path}", "rel": rel, "method": method}

    def approve_url(self, order_id: str) -> str:
        return f"{self.sandbox.url}/checkoutnow?token={order_id}"

    def expired(self, order: dict) -> bool:
        """Open and approved orders lapse after `order_ttl_seconds` (PayPal: 3 hours by default)."""
        if order["status"] not in (*OPEN, "APPROVED"):
            return False
        since = order.get("approved_at") or order["created_at"]
        return self._now() - since > self.sandbox.order_ttl_seconds

    def live_order(self, order_id: str, operation: str = SHOW_ORDER) -> dict:
        """The order, or PayPal's 404 for an unknown or expired one. Call with the state lock held."""
        order = self._state.orders.get(order_id)
        if order is None or self.expired(order):
            raise issue_error(operation, "INVALID_RESOURCE_ID")
        return order

    def mocks(self, operation: str):
        """What a `PayPal-Mock-Response: {"mock_application_codes": "..."}` header makes this operation
        answer: the issue's PayPal error (nothing changes), or a 500/503."""
        bad_value = issue_for(operation, "INVALID_PARAMETER_VALUE", "INVALID_PARAMETER_SYNTAX")

        def mocked(request: SandboxRequest, codes: list[str] | None) -> PayPalError:
            if not codes:
                return issue_error(operation, bad_value, field="PayPal-Mock-Response", location=None)
            code = codes[0]
            if code == "INTERNAL_SERVER_ERROR":
                return internal_server_error(DOCS[operation])
            if code == "SERVICE_UNAVAILABLE":
                return service_unavailable(DOCS[operation])
            if not any(code in issues for issues in ISSUES[operation].values()):
                return issue_error(operation, bad_value, field="PayPal-Mock-Response", value=code, location=None)
            extra = ()
            if operation == CAPTURE and code in REDIRECT_ISSUES:
                extra = ({"href": self.approve_url(request.params.get("id", "")), "rel": "redirect",
                          "method": "GET"},)
            return issue_error(operation, code, extra_links=extra)
        return mocked

    # -- rendering -------------------------------------------------------------------------
    def order_links(self, order: dict) -> list[dict]:
        path = f"/v2/checkout/orders/{order['id']}"
        status = order["status"]
        links = [self._link(path, "self")]
        if status == "PAYER_ACTION_REQUIRED":
            links.append({"href": self.approve_url(order["id"]), "rel": "payer-action", "method": "GET"})
        if status == "CREATED":
            links.append({"href": self.approve_url(order["id"]), "rel": "approve", "method": "GET"})
        if status in ("CREATED", "APPROVED"):
            links += [self._link(path, "update", "PATCH"), self._link(f"{path}/capture", "capture", "POST")]
        return links

    def _payer(self, order: dict) -> dict:
        buyer = order["payer"]
        return {"name": {"given_name": buyer["given_name"], "surname": buyer["surname"]},
                "email_address": buyer["email_address"], "payer_id": buyer["payer_id"],
                "address": {"country_code": buyer["country_code"]}}

    def _payment_source(self, order: dict) -> dict | None:
        buyer = order.get("payer")
        if buyer is None:
            return {"paypal": {}} if order.get("wallet") else None
        return {"paypal": {"email_address": buyer["email_address"], "account_id": buyer["payer_id"],
                           "account_status": "VERIFIED",
                           "name": {"given_name": buyer["given_name"], "surname": buyer["surname"]},
                           "address": {"country_code": buyer["country_code"]}}}

    def _payments(self, unit_index: int, order: dict) -> dict | None:
        captures = [self._state.captures[c] for c in order.get("capture_ids", [])
                    if self._state.captures[c]["unit"] == unit_index]
        if not captures:
            return None
        payments: dict[str, Any] = {"captures": [self.capture_json(c, orders_api=True) for c in captures]}
        refunds = [self._state.refunds[r] for c in captures for r in c["refund_ids"]]
        if refunds:
            payments["refunds"] = [self.refund_json(r) for r in refunds]
        return payments

    @staticmethod
    def shipping_preference(order: dict) -> str:
        return order["experience"].get("shipping_preference", DEFAULT_SHIPPING_PREFERENCE)

    def default_shipping(self, order: dict) -> dict:
        """Where the payer's goods go unless they say otherwise: the merchant's address for the
        order, else the sandbox buyer's own."""
        provided = order["purchase_units"][0].get("shipping")
        if provided and "name" in provided:
            return json.loads(json.dumps(provided))
        buyer = self.sandbox.buyer
        return {"name": {"full_name": buyer.full_name},
                "address": dict(provided["address"]) if provided else dict(buyer.address)}

    def _shipping_json(self, order: dict, unit: dict) -> dict | None:
        """`shipping` of a purchase unit: the address (none for NO_SHIPPING) and the trackers."""
        shown: dict[str, Any] = {}
        if self.shipping_preference(order) != "NO_SHIPPING":
            if unit.get("shipping"):
                shown.update(json.loads(json.dumps(unit["shipping"])))
            elif order.get("payer"):  # approved before the sandbox kept the payer's pick
                shown.update(self.default_shipping(order))
        if unit.get("trackers"):
            shown["trackers"] = [self.tracker_json(tracker) for tracker in unit["trackers"]]
        return shown or None

    @staticmethod
    def tracker_json(tracker: dict) -> dict:
        """A tracker as PayPal lists it under `shipping.trackers` (its carrier and number stay inside)."""
        shown: dict[str, Any] = {"id": tracker["id"], "status": tracker["status"]}
        if tracker.get("items"):
            shown["items"] = tracker["items"]
        shown["create_time"] = rfc3339(tracker["created_at"])
        shown["update_time"] = rfc3339(tracker["updated_at"])
        return shown

    def _unit_json(self, order: dict, index: int, unit: dict, *, full: bool) -> dict:
        shown: dict[str, Any] = {"reference_id": unit["reference_id"]}
        if full:
            shown["amount"] = unit["amount"]
            shown["payee"] = self.sandbox.merchant.payee()
            for key in ("description", "custom_id", "invoice_id", "soft_descriptor", "items"):
                if key in unit:
                    shown[key] = unit[key]
        shipping = self._shipping_json(order, unit)
        if shipping:
            shown["shipping"] = shipping
        payments = self._payments(index, order)
        if payments:
            shown["payments"] = payments
        return shown

    def order_json(self, order: dict, view: str = "full") -> dict:
        """The order as PayPal shows it: `full` (GET, or `Prefer: return=representation`),
        `minimal` (create's default: id, status, links) or `capture` (capture's default)."""
        shown: dict[str, Any] = {"id": order["id"]}
        source = self._payment_source(order)
        if view == "minimal":
            shown["status"] = order["status"]
            if source is not None and order.get("payer") is None:
                shown["payment_source"] = source
            shown["links"] = self.order_links(order)
            return shown
        if source is not None:
            shown["payment_source"] = source
        if view == "full":
            shown["intent"] = order["intent"]
        shown["purchase_units"] = [self._unit_json(order, i, u, full=view == "full")
                                   for i, u in enumerate(order["purchase_units"])]
        if order.get("payer"):
            shown["payer"] = self._payer(order)
        if view == "full":
            shown["create_time"] = rfc3339(order["created_at"])
            if order.get("updated_at"):
                shown["update_time"] = rfc3339(order["updated_at"])
        shown["status"] = order["status"]
        shown["links"] = self.order_links(order)
        return shown

    def capture_json(self, capture: dict, *, orders_api: bool = False) -> dict:
        """A capture as Orders v2 shows it inside an order, or (`orders_api=False`) as Payments v2
        and the capture webhooks show it (with the order id and the payee)."""
        currency = capture["currency"]
        shown: dict[str, Any] = {"id": capture["id"], "status": capture["status"]}
        if capture.get("status_details"):
            shown["status_details"] = capture["status_details"]
        shown["amount"] = money(capture["gross"], currency)
        shown["final_capture"] = True
        shown["seller_protection"] = {"status": "ELIGIBLE",
                                      "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"]}
        if capture["status"] != "DECLINED":
            shown["seller_receivable_breakdown"] = {
                "gross_amount": money(capture["gross"], currency),
                "paypal_fee": money(capture["fee"], currency),
                "net_amount": money(capture["gross"] - capture["fee"], currency),
            }
        for key in ("custom_id", "invoice_id"):
            if capture.get(key):
                shown[key] = capture[key]
        if not orders_api:
            shown["supplementary_data"] = {"related_ids": {"order_id": capture["order_id"]}}
            shown["payee"] = self.sandbox.merchant.payee()
        path = f"/v2/payments/captures/{capture['id']}"
        shown["links"] = [self._link(path, "self"), self._link(f"{path}/refund", "refund", "POST"),
                          self._link(f"/v2/checkout/orders/{capture['order_id']}", "up")]
        shown["create_time"] = rfc3339(capture["created_at"])
        shown["update_time"] = rfc3339(capture.get("updated_at") or capture["created_at"])
        return shown

    def refund_json(self, refund: dict, view: str = "full") -> dict:
        currency = refund["currency"]
        path = f"/v2/payments/refunds/{refund['id']}"
        links = [self._link(path, "self"), self._link(f"/v2/payments/captures/{refund['capture_id']}", "up")]
        if view == "minimal":
            return {"id": refund["id"], "status": refund["status"], "links": links}
        shown: dict[str, Any] = {"id": refund["id"], "amount": money(refund["amount"], currency)}
        for key in ("invoice_id", "custom_id", "note_to_payer"):
            if refund.get(key):
                shown[key] = refund[key]
        if refund["status"] == "COMPLETED":
            shown["seller_payable_breakdown"] = {
                "gross_amount": money(refund["amount"], currency),
                "paypal_fee": money(0, currency),  # PayPal keeps its fee on a refund
                "net_amount": money(refund["amount"], currency),
                "total_refunded_amount": money(refund["total_refunded"], currency),
            }
        shown["status"] = refund["status"]
        shown["payer"] = self.sandbox.merchant.payee()
        shown["create_time"] = rfc3339(refund["created_at"])
        shown["update_time"] = rfc3339(refund["created_at"])
        shown["links"] = links
        return shown

    def render(self, resource: dict) -> Any:
        """The latest state of a stored answer's resource, for a PayPal-Request-Id replay."""
        with self._state.lock:
            order = self._state.orders.get(resource["id"])
            return None if order is None else self.order_json(order, resource.get("view", "full"))

    # -- Orders v2 -------------------------------------------------------------------------
    def create_order(self, request: SandboxRequest) -> SandboxResponse:
        """`POST /v2/checkout/orders`."""
        parsed = read_order_request(request.json_object())
        if self.sandbox.take_fault("orders", "declined"):
            raise issue_error(CREATE, "TRANSACTION_REFUSED")
        now = self._now()
        order = {
            "id": paypal_id(), "intent": parsed["intent"],
            "client_id": request.token.client_id if request.token else None,
            "status": "PAYER_ACTION_REQUIRED" if parsed["wallet"] else "CREATED", "wallet": parsed["wallet"],
            "purchase_units": parsed["units"],
            "experience": parsed["experience"], "payer": None, "capture_ids": [],
            "created_at": now, "updated_at": None, "approved_at": None,
        }
        with self._state.lock:
            self._state.orders[order["id"]] = order
            view = "full" if request.wants_representation else "minimal"
            body = self.order_json(order, view)
        return SandboxResponse(201, body, resource={"kind": "order", "id": order["id"], "view": view})

    def show_order(self, request: SandboxRequest) -> SandboxResponse:
        """`GET /v2/checkout/orders/{id}`: the order, or PayPal's 404 for an unknown id."""
        with self._state.lock:
            return SandboxResponse(200, self.order_json(self.live_order(request.params["id"])))

    def patch_order(self, request: SandboxRequest) -> SandboxResponse:
        """`PATCH /v2/checkout/orders/{id}`: JSON Patch `add`/`replace`/`remove` of a purchase unit's
        `amount`, `description`, `custom_id`, `invoice_id` or `soft_descriptor`, addressed as
        `/purchase_units/@reference_id=='ID'/field`, before capture. All or nothing; 204."""
        operations = request.json()
        if not isinstance(operations, list) or not operations:
            raise issue_error(PATCH_ORDER, "MALFORMED_REQUEST_JSON")
        reader = _Reader(PATCH_ORDER)
        with self._state.lock:
            order = self.live_order(request.params["id"], PATCH_ORDER)
            if order["status"] == "COMPLETED":
                raise issue_error(PATCH_ORDER, "ORDER_ALREADY_COMPLETED")
            units = json.loads(json.dumps(order["purchase_units"]))  # a copy: all operations or none
            for index, operation in enumerate(operations):
                self._apply_patch(reader, units, operation, f"/{index}")
            order.update(purchase_units=units, updated_at=self._now())
        return SandboxResponse(204)

    def _apply_patch(self, reader: _Reader, units: list[dict], operation: Any, where: str) -> None:
        if not isinstance(operation, dict):
            raise reader.fail("MALFORMED_REQUEST_JSON", where)
        op, path = operation.get("op"), operation.get("path")
        if op is None:
            raise reader.fail("MISSING_REQUIRED_PARAMETER", f"{where}/op")
        if op not in ("add", "replace", "remove"):
            raise reader.fail("INVALID_PARAMETER_VALUE", f"{where}/op", op)
        if not path:
            raise reader.fail("PATCH_PATH_REQUIRED", f"{where}/path")
        match = re.fullmatch(r"/purchase_units/@reference_id=='([^']*)'/(\w+)", path) if isinstance(path, str) else None
        if match is None:
            raise reader.fail("NOT_PATCHABLE" if isinstance(path, str) and path.startswith("/")
                              else "INVALID_JSON_POINTER_FORMAT", f"{where}/path", path)
        reference, name = match.groups()
        unit = next((u for u in units if u["reference_id"] == reference), None)
        if unit is None:
            raise reader.fail("REFERENCE_ID_NOT_FOUND", f"{where}/path", path)
        limits = {"description": 127, "custom_id": 127, "invoice_id": 127, "soft_descriptor": 22}
        if name != "amount" and name not in limits:
            raise reader.fail("NOT_PATCHABLE", f"{where}/path", path)
        if (op == "add") == (name in unit) or (op == "remove" and name == "amount"):
            raise reader.fail("NOT_PATCHABLE" if name == "amount" else "INVALID_PATCH_OPERATION", f"{where}/path", path)
        if op == "remove":
            del unit[name]
            return
        if "value" not in operation:
            raise reader.fail("PATCH_VALUE_REQUIRED", f"{where}/value")
        if name == "amount":
            total, code = reader.money(operation, "value", path, required=True, currency=unit["currency"])
            if total <= 0:
                raise reader.fail("CANNOT_BE_ZERO_OR_NEGATIVE", f"{path}/value", operation["value"]["value"])
            unit.update(amount={"currency_code": code, "value": format_value(total, code)}, total=total)
        else:
            unit[name] = reader.text(operation, "value", path, high=limits[name], required=True)

    def picks_address(self, order: dict) -> bool:
        """Whether the payer picks where the order ships (GET_FROM_FILE)."""
        return self.shipping_preference(order) == "GET_FROM_FILE"

    def approve(self, order_id: str, shipping: dict | None = None) -> tuple[dict, bool]:
        """The payer approves: CREATED / PAYER_ACTION_REQUIRED -> APPROVED, with the sandbox buyer as
        payer; an order that ships goes to `shipping` (a `shipping_address`, GET_FROM_FILE orders
        only: the payer's pick; by default `default_shipping`). CHECKOUT.ORDER.APPROVED goes to the
        webhooks. Returns the order and whether this call approved it (False: approved before).
        Raises LookupError (unknown or expired) or ValueError (completed)."""
        with self._state.lock:
            order = self._state.orders.get(order_id)
            if order is None:
                raise LookupError("unknown")
            if self.expired(order):
                raise LookupError("expired")
            if order["status"] == "APPROVED":
                return order, False
            if order["status"] not in OPEN:
                raise ValueError(order["status"])
            now = self._now()
            if self.picks_address(order):
                chosen = shipping or self.default_shipping(order)
                for unit in order["purchase_units"]:
                    unit["shipping"] = json.loads(json.dumps(chosen))
            order.update(status="APPROVED", payer=self.sandbox.buyer.payer(), approved_at=now, updated_at=now)
            resource = self.order_json(order)
        self.sandbox.webhooks.emit("CHECKOUT.ORDER.APPROVED", resource, resource_type="checkout-order",
                                   summary="An order has been approved by buyer")
        return order, True

    def capture_order(self, request: SandboxRequest) -> SandboxResponse:
        """`POST /v2/checkout/orders/{id}/capture`: only an APPROVED order, exactly once."""
        body = request.json_object(optional=True)
        if "payment_source" in body and not isinstance(body["payment_source"], dict):
            raise issue_error(CAPTURE, "INVALID_PARAMETER_SYNTAX", field="/payment_source")
        with self._state.lock:
            order = self.live_order(request.params["id"], CAPTURE)
            if order["status"] == "COMPLETED":
                raise issue_error(CAPTURE, "ORDER_ALREADY_CAPTURED")
            if order["status"] != "APPROVED":
                raise issue_error(CAPTURE, "ORDER_NOT_APPROVED")
            declined = self.sandbox.take_fault("capture", "declined")
            now = self._now()
            for index, unit in enumerate(order["purchase_units"]):
                capture = {
                    "id": paypal_id(), "order_id": order["id"], "unit": index,
                    "status": "DECLINED" if declined else "COMPLETED", "currency": unit["currency"],
                    "gross": unit["total"],
                    "fee": 0 if declined else self.sandbox.fees.fee(unit["total"], unit["currency"]),
                    "refunded": 0, "refund_ids": [], "created_at": now, "updated_at": now,
                    **{k: unit[k] for k in ("custom_id", "invoice_id") if k in unit},
                }
                self._state.captures[capture["id"]] = capture
                order["capture_ids"].append(capture["id"])
            order.update(status="COMPLETED", updated_at=now)
            view = "full" if request.wants_representation else "capture"
            answer = self.order_json(order, view)
            events = [(self._state.captures[c], self.capture_json(self._state.captures[c]))
                      for c in order["capture_ids"]]
        for capture, resource in events:
            amount = display(capture["gross"], capture["currency"])
            if declined:
                self.sandbox.webhooks.emit("PAYMENT.CAPTURE.DENIED", resource, resource_type="capture",
                                           summary=f"Payment denied for {amount}")
            else:
                self.sandbox.webhooks.emit("PAYMENT.CAPTURE.COMPLETED", resource, resource_type="capture",
                                           summary=f"Payment completed for {amount}")
        return SandboxResponse(201, answer, resource={"kind": "order", "id": order["id"], "view": view})

    def track_order(self, request: SandboxRequest) -> SandboxResponse:
        """`POST /v2/checkout/orders/{id}/track`: a tracking number for a capture of the order
        (one purchase unit) that is COMPLETED, PARTIALLY_REFUNDED or PENDING, shown under
        `purchase_units[0].shipping.trackers` with PayPal's id `CAPTURE_ID-TRACKING_NUMBER`; the
        same number again adds nothing (200). Answers the order. PayPal's spec requires
        `transaction_id` and `status` here too (inherited from the v1 Tracking API's schema);
        PayPal's own example and SDK send neither, and neither does the sandbox ask for them."""
        reader = _Reader(TRACK)
        try:
            body = request.json_object()
        except PayPalError as error:
            if error.status != 400:
                raise
            raise reader.fail("INVALID_PARAMETER_SYNTAX", "/") from None  # the spec's issue for this route
        capture_id = reader.text(body, "capture_id", "/capture_id", high=50, required=True)
        if not CAPTURE_ID.match(capture_id):
            raise reader.fail("INVALID_PARAMETER_SYNTAX", "/capture_id", capture_id)
        number = reader.text(body, "tracking_number", "/tracking_number", high=64, required=True)
        if any(ord(c) < 32 or ord(c) == 127 for c in number) or not number.strip():
            raise reader.fail("INVALID_PARAMETER_SYNTAX", "/tracking_number", number)
        carrier = reader.text(body, "carrier", "/carrier", high=64, required=True)
        if carrier not in carriers():
            raise reader.fail("INVALID_PARAMETER_VALUE", "/carrier", carrier)
        other = reader.text(body, "carrier_name_other", "/carrier_name_other", high=64)
        if carrier == OTHER_CARRIER and other is None:
            raise reader.fail("MISSING_REQUIRED_PARAMETER", "/carrier_name_other")
        if carrier != OTHER_CARRIER and other is not None:
            raise reader.fail("INVALID_PARAMETER_VALUE", "/carrier_name_other", other)
        if not isinstance(body.get("notify_payer", False), bool):
            raise reader.fail("INVALID_PARAMETER_SYNTAX", "/notify_payer", body["notify_payer"])
        items = self._tracker_items(reader, body)
        with self._state.lock:
            order = self.live_order(request.params["id"], TRACK)
            if len(order["purchase_units"]) > 1:
                raise reader.fail("MSP_NOT_SUPPORTED", "/capture_id", capture_id)
            if capture_id not in order["capture_ids"]:
                raise reader.fail("CAPTURE_ID_NOT_FOUND", "/capture_id", capture_id)
            if self._state.captures[capture_id]["status"] not in TRACKABLE_CAPTURES:
                raise reader.fail("CAPTURE_STATUS_NOT_VALID", "/capture_id", capture_id)
            unit = order["purchase_units"][0]
            skus = {item["sku"] for item in unit.get("items", ()) if item.get("sku")}
            for index, item in enumerate(items):
                if "sku" in item and item["sku"] not in skus:
                    raise reader.fail("ITEM_SKU_MISMATCH", f"/items/{index}/sku", item["sku"])
            trackers = unit.setdefault("trackers", [])
            tracker_id = f"{capture_id}-{number}"
            added = not any(t["id"] == tracker_id for t in trackers)
            if added:
                now = self._now()
                trackers.append({"id": tracker_id, "capture_id": capture_id, "tracking_number": number,
                                 "carrier": carrier, **({"carrier_name_other": other} if other else {}),
                                 "notify_payer": body.get("notify_payer", False), "status": TRACKER_STATUS,
                                 **({"items": items} if items else {}), "created_at": now, "updated_at": now})
                order["updated_at"] = now
            answer = self.order_json(order)
        return SandboxResponse(201 if added else 200, answer,
                               resource={"kind": "order", "id": order["id"], "view": "full"})

    @staticmethod
    def _tracker_items(reader: _Reader, body: dict) -> list[dict]:
        """The tracking request's `items`: what of the order this shipment holds."""
        items = body.get("items")
        if items is None:
            return []
        if not isinstance(items, list):
            raise reader.fail("INVALID_PARAMETER_SYNTAX", "/items")
        kept = []
        for index, item in enumerate(items):
            path = f"/items/{index}"
            if not isinstance(item, dict):
                raise reader.fail("INVALID_PARAMETER_SYNTAX", path)
            shown = {key: value for key, value in (
                ("name", reader.text(item, "name", f"{path}/name", high=127)),
                ("quantity", reader.text(item, "quantity", f"{path}/quantity", high=10)),
                ("sku", reader.text(item, "sku", f"{path}/sku", high=127)),
                ("url", reader.url(item, "url", f"{path}/url")),
                ("image_url", reader.url(item, "image_url", f"{path}/image_url"))) if value is not None}
            if "quantity" in shown and not QUANTITY.match(shown["quantity"]):
                raise reader.fail("INVALID_PARAMETER_SYNTAX", f"{path}/quantity", shown["quantity"])
            kept.append(shown)
        return kept

    # -- Payments v2 -----------------------------------------------------------------------
    def show_capture(self, request: SandboxRequest) -> SandboxResponse:
        with self._state.lock:
            capture = self._state.captures.get(request.params["capture_id"])
            if capture is None:
                raise issue_error(SHOW_CAPTURE, "INVALID_RESOURCE_ID")
            return SandboxResponse(200, self.capture_json(capture))

    def show_refund(self, request: SandboxRequest) -> SandboxResponse:
        with self._state.lock:
            refund = self._state.refunds.get(request.params["refund_id"])
            if refund is None:
                raise issue_error(SHOW_REFUND, "INVALID_RESOURCE_ID")
            return SandboxResponse(200, self.refund_json(refund))

    def refund_capture(self, request: SandboxRequest) -> SandboxResponse:
        """`POST /v2/payments/captures/{id}/refund`: all that is left without an `amount`, else
        part of it; never more than what is left. PayPal keeps its fee (the refund's fee is 0)."""
        body = request.json_object(optional=True, docs=PAYMENTS_DOCS)
        reader = _Reader(REFUND)
        texts = {key: reader.text(body, key, f"/{key}", high=high)
                 for key, high in (("note_to_payer", 255), ("custom_id", 127), ("invoice_id", 127))}
        if texts["custom_id"] is not None and not REFUND_CUSTOM_ID.match(texts["custom_id"]):
            raise reader.fail("INVALID_PARAMETER_SYNTAX", "/custom_id", texts["custom_id"])
        with self._state.lock:
            capture = self._state.captures.get(request.params["capture_id"])
            if capture is None:
                raise issue_error(REFUND, "INVALID_RESOURCE_ID")
            if capture.get("reversed"):
                raise issue_error(REFUND, "REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK")
            if capture["status"] == "PENDING":
                raise issue_error(REFUND, "PENDING_CAPTURE")
            if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"):
                raise issue_error(REFUND, "REFUND_NOT_ALLOWED")
            left = capture["gross"] - capture["refunded"]
            if left <= 0:
                raise issue_error(REFUND, "CAPTURE_FULLY_REFUNDED")
            asked = reader.money(body, "amount", "/amount", currency=capture["currency"])
            amount = left if asked is None else asked[0]
            if amount <= 0:
                raise reader.fail("CANNOT_BE_ZERO_OR_NEGATIVE", "/amount/value", body["amount"]["value"])
            if amount > left:
                raise reader.fail("REFUND_AMOUNT_EXCEEDED", "/amount/value", body["amount"]["value"])
            failed = self.sandbox.take_fault("refund", "declined")
            refund = self._new_refund(capture, amount, status="FAILED" if failed else "COMPLETED",
                                      invoice_id=texts["invoice_id"] or capture.get("invoice_id"),
                                      custom_id=texts["custom_id"], note_to_payer=texts["note_to_payer"])
            resource = self.refund_json(refund)
            answer = resource if request.wants_representation else self.refund_json(refund, "minimal")
        if not failed:
            self.sandbox.webhooks.emit("PAYMENT.CAPTURE.REFUNDED", resource, resource_type="refund",
                                       summary=f"A {display(amount, refund['currency'])} capture payment "
                                               "was refunded")
        return SandboxResponse(201, answer)

    def _new_refund(self, capture: dict, amount: int, *, status: str, reversal: bool = False,
                    **texts: str | None) -> dict:
        """Records a refund (or a reversal) of `capture`; call with the state lock held."""
        now = self._now()
        if status == "COMPLETED":
            capture["refunded"] += amount
            capture["status"] = "REFUNDED" if capture["refunded"] >= capture["gross"] else "PARTIALLY_REFUNDED"
            capture["updated_at"] = now
        refund = {"id": paypal_id(), "capture_id": capture["id"], "order_id": capture["order_id"],
                  "status": status, "amount": amount, "currency": capture["currency"],
                  "total_refunded": capture["refunded"], "created_at": now, "reversal": reversal,
                  **{k: v for k, v in texts.items() if v}}
        self._state.refunds[refund["id"]] = refund
        capture["refund_ids"].append(refund["id"])
        return refund

    def reverse(self, capture_id: str, amount: int | None = None) -> dict:
        """A chargeback: what is left of the capture goes back to the payer (PAYMENT.CAPTURE.REVERSED,
        whose resource is the reversal, shaped as a refund with an `up` link to the capture).
        Raises LookupError (unknown capture) or ValueError (nothing left to reverse)."""
        with self._state.lock:
            capture = self._state.captures.get(capture_id)
            if capture is None:
                raise LookupError(capture_id)
            left = capture["gross"] - capture["refunded"]
            if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED") or left <= 0:
                raise ValueError(f"capture {capture_id} is {capture['status']}; nothing to reverse")
            amount = left if amount is None else amount
            if not 0 < amount <= left:
                raise ValueError(f"a reversal is more than 0 and at most {format_value(left, capture['currency'])}")
            custom_id = capture.get("custom_id")
            if custom_id and not REFUND_CUSTOM_ID.match(custom_id):
                custom_id = None  # a refund's custom_id has a narrower alphabet than an order's
            reversal = self._new_refund(capture, amount, status="COMPLETED", reversal=True,
                                        note_to_payer="Payment reversed", invoice_id=capture.get("invoice_id"),
                                        custom_id=custom_id)
            capture["reversed"] = True
            capture["status_details"] = {"reason": "CHARGEBACK"}
            resource = self.refund_json(reversal)
        self.sandbox.webhooks.emit("PAYMENT.CAPTURE.REVERSED", resource, resource_type="refund",
                                   summary=f"A {display(amount, reversal['currency'])} capture payment was reversed")
        return resource
