"""A Helper's store, as pure rules: what a product is (digital or physical, its variants, its
files and images), the store's shipping rule, what a cart costs (always at the server's prices),
an order's life (reserved -> paid -> shipped -> delivered, or cancelled), when the seller's
earnings are released, when a buyer may ask for a refund, and how often a file may be downloaded.

Amounts are integer cents. Defaults are the settings' defaults (chalicelib/settings.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Iterable, Mapping

from chalicelib.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, Problems
from chalicelib.domain import slugs
from chalicelib.domain.money import is_cents
from chalicelib.domain.refunds import RefundWindowClosed
from chalicelib.domain.user_text import has_control_characters, visible_text

TITLE_MAX = 120
DESCRIPTION_MAX = 10_000
VARIANT_NAME_MAX = 60
SKU_MAX = 64
MAX_VARIANTS = 20
MAX_IMAGES = 8
MAX_FILES = 10
MAX_STOCK = 1_000_000
MAX_QUANTITY = 99  # of one variant in one cart
MAX_CART_LINES = 20
FILE_MAX_BYTES = 500 * 1024 * 1024
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# A product picture is kept at the two sizes it is shown at: on its page (the longest side 1600
# px, sharp on a phone's 3x screen) and on cards (640 px), as `<picture id>/<size>.webp`.
PICTURE_FULL, PICTURE_CARD = 1600, 640


def picture_sizes(prefix: str, picture_id: str) -> dict[str, int]:
    """The keys a product picture is stored under, each with its longest side in pixels; the
    first is the one the product lists."""
    return {f"{prefix}{picture_id}/{size}.webp": size for size in (PICTURE_FULL, PICTURE_CARD)}


def card_picture(key: str) -> str:
    """The card-sized copy of a product picture (pictures kept before there were two sizes have
    only the one)."""
    full = f"/{PICTURE_FULL}.webp"
    return f"{key[:-len(full)]}/{PICTURE_CARD}.webp" if key.endswith(full) else key
# The files a digital product may deliver: their types are checked when they arrive, and they
# always leave as attachments, so a file can never run as a page of the site.
FILE_TYPES = {
    "application/pdf": "pdf", "application/zip": "zip", "application/epub+zip": "epub",
    "audio/mpeg": "mp3", "audio/wav": "wav", "video/mp4": "mp4", "image/jpeg": "jpg", "image/png": "png",
    "text/plain": "txt", "text/csv": "csv",
}
RESERVATION_SECONDS = 30 * 60  # stock held for an unpaid checkout
DOWNLOAD_LIMIT = 5  # per purchased file
DIGITAL_HOLD_HOURS = 24  # a digital sale's earnings wait this long after payment
PHYSICAL_HOLD_DAYS = 7  # a physical sale's earnings wait this long after shipping
DIGITAL_REFUND_HOURS = 24  # a buyer may ask within this long of paying, downloaded at most once
PHYSICAL_REFUND_DAYS = 14  # ... or within this long of delivery
CARRIERS = ("USPS", "UPS", "FEDEX", "DHL", "OTHER")
SLUG_PATTERN, SLUG_MAX = slugs.SLUG_PATTERN, slugs.SLUG_MAX
COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")


class ProductKind(str, Enum):
    DIGITAL = "digital"
    PHYSICAL = "physical"


class ProductStatus(str, Enum):
    DRAFT = "draft"  # only its seller sees it
    ACTIVE = "active"  # on the store page and the Marketplace, for sale
    ARCHIVED = "archived"  # no longer sold; kept for the orders that name it


class OrderState(str, Enum):
    RESERVED = "reserved"  # stock held, waiting for the buyer's payment
    PAID = "paid"
    SHIPPED = "shipped"  # physical only
    DELIVERED = "delivered"  # physical only
    CANCELLED = "cancelled"  # never paid: the reservation expired, or PayPal was cancelled or declined


class SoldOut(Conflict):
    """A variant has fewer units left than the cart asks for."""

    code = "sold_out"


class CartChanged(Conflict):
    """The cart no longer matches the store (a price changed, a product was archived): the
    answer carries the store's current state, so the buyer can confirm it."""

    code = "cart_changed"

    def __init__(self, message: str, *, current: list[dict], field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.details = {"lines": current}


class OrderClosed(Conflict):
    """The order is not in a state where that can happen."""

    code = "order_closed"


class DownloadLimitReached(Conflict):
    code = "download_limit_reached"


@dataclass(frozen=True)
class Variant:
    """One thing a buyer can choose: a size, an edition; `stock` None is unlimited."""

    variant_id: str
    name: str
    sku: str
    price_cents: int
    stock: int | None = None


@dataclass(frozen=True)
class ProductFile:
    """A file a digital product delivers, kept in the private bucket under `key`."""

    file_id: str
    name: str
    content_type: str
    size: int
    key: str


@dataclass(frozen=True)
class Product:
    """A product of one seller's store; `slug` is its address in the store, fixed when created."""

    seller_id: str
    slug: str
    title: str
    description: str
    kind: ProductKind
    status: ProductStatus
    variants: tuple[Variant, ...]
    created_at: int
    updated_at: int
    category: str | None = None  # a help category, for the Marketplace
    images: tuple[str, ...] = ()  # keys in the uploads bucket, first shown first
    files: tuple[ProductFile, ...] = ()
    description_html: str = ""  # rendered at save (domain.rich_text)
    summary: str = ""  # plain text, for cards and link previews
    hidden_note: str | None = None  # set when ops hid it after a report: archived, and not for sale again

    @property
    def product_id(self) -> str:
        return product_id(self.seller_id, self.slug)

    def variant(self, variant_id: str) -> Variant | None:
        return next((v for v in self.variants if v.variant_id == variant_id), None)

    @property
    def price_from_cents(self) -> int:
        return min(v.price_cents for v in self.variants)

    @property
    def sold_out(self) -> bool:
        return all(v.stock == 0 for v in self.variants)

    def with_changes(self, **changes: Any) -> "Product":
        return replace(self, **changes)


@dataclass(frozen=True)
class ShippingRule:
    """How a store ships physical goods: a flat rate per order, free from a threshold (when
    set), to the countries listed (ISO codes)."""

    flat_cents: int = 0
    free_from_cents: int | None = None
    countries: tuple[str, ...] = ("US",)

    def cost(self, items_cents: int) -> int:
        if self.free_from_cents is not None and items_cents >= self.free_from_cents:
            return 0
        return self.flat_cents


@dataclass(frozen=True)
class CartLine:
    """What the browser asks for: a variant of a product, a quantity, and the unit price it
    showed (so a changed price is noticed, never silently charged)."""

    slug: str
    variant_id: str
    quantity: int
    seen_price_cents: int | None = None


@dataclass(frozen=True)
class OrderLine:
    """One line of an order, priced by the server when the order was made."""

    slug: str
    variant_id: str
    title: str
    variant_name: str
    sku: str
    kind: ProductKind
    quantity: int
    unit_cents: int

    @property
    def line_cents(self) -> int:
        return self.unit_cents * self.quantity


@dataclass(frozen=True)
class Quote:
    """What a cart costs now."""

    lines: tuple[OrderLine, ...]
    items_cents: int
    shipping_cents: int

    @property
    def total_cents(self) -> int:
        return self.items_cents + self.shipping_cents

    @property
    def ships(self) -> bool:
        return any(line.kind is ProductKind.PHYSICAL for line in self.lines)


@dataclass(frozen=True)
class Shipment:
    """How a physical order left: the carrier and its tracking number."""

    carrier: str
    tracking_number: str
    carrier_name: str = ""  # for carrier OTHER


@dataclass(frozen=True)
class Order:
    """One buyer's order from one store, from reservation to delivery. `downloads` counts the
    downloads of each purchased file (`<slug>/<file_id>`)."""

    order_id: str
    buyer_id: str
    seller_id: str
    lines: tuple[OrderLine, ...]
    items_cents: int
    shipping_cents: int
    currency: str
    state: OrderState
    created_at: int
    reserved_until: int
    payment_id: str
    version: int = 1
    paid_at: int | None = None
    shipped_at: int | None = None
    delivered_at: int | None = None
    shipment: Shipment | None = None
    ship_to: Mapping[str, str] | None = None  # the address PayPal gave (name, lines, city, ...)
    refunded_cents: int = 0
    downloads: Mapping[str, int] = field(default_factory=dict)
    closed_reason: str | None = None

    @property
    def total_cents(self) -> int:
        return self.items_cents + self.shipping_cents

    @property
    def ships(self) -> bool:
        return any(line.kind is ProductKind.PHYSICAL for line in self.lines)

    @property
    def paid(self) -> bool:
        return self.state in (OrderState.PAID, OrderState.SHIPPED, OrderState.DELIVERED)

    def with_changes(self, **changes: Any) -> "Order":
        return replace(self, version=self.version + 1, **changes)


def product_id(seller_id: str, slug: str) -> str:
    return f"{seller_id}/{slug}"


# -- checking what sellers write --------------------------------------------------------------

def slug_of(title: str) -> str:
    """An address for a product from its title."""
    return slugs.slug_of(title, fallback="product")


def check_slug(slug: object) -> str:
    return slugs.check_slug(slug, what="A product")


def _text(value: object, *, field: str, label: str, max_length: int, required: bool = True,
          multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{label} is text.", field=field)
    text = visible_text(value).strip()
    if required and not text:
        raise InvalidInput(f"{label} is required.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{label} is at most {max_length} characters.", field=field)
    if has_control_characters(text, allowed="\n\t" if multiline else ""):
        raise InvalidInput(f"{label} has characters that cannot be shown.", field=field)
    return text


def check_price(value: object, *, field: str, max_cents: int) -> int:
    """Whole cents from 0 (free) to `max_cents`: not a float, not a string, not negative."""
    if not is_cents(value) or not 0 <= value <= max_cents:  # type: ignore[operator]
        raise InvalidInput(f"A price is whole cents from 0 to {max_cents}.", field=field)
    return value  # type: ignore[return-value]


def check_variants(raw: object, *, max_price_cents: int, kind: ProductKind,
                   new_id: Any) -> tuple[Variant, ...]:
    """One to MAX_VARIANTS variants, named uniquely (a single one may be unnamed), priced in
    whole cents; stock a whole number or None (unlimited; digital goods are always unlimited)."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_VARIANTS:
        raise InvalidInput(f"A product has 1 to {MAX_VARIANTS} variants.", field="variants")
    problems, variants, names = Problems(), [], set()
    for index, item in enumerate(raw):
        where = f"variants.{index}"
        if not isinstance(item, dict):
            raise InvalidInput("A variant has a name, a SKU, a price and a stock.", field=where)
        name = problems.check(lambda: _text(item.get("name", ""), field=f"{where}.name", label="A variant's name",
                                            max_length=VARIANT_NAME_MAX, required=len(raw) > 1)) or ""
        sku = problems.check(lambda: _text(item.get("sku", ""), field=f"{where}.sku", label="A SKU",
                                           max_length=SKU_MAX, required=False)) or ""
        price = problems.check(lambda: check_price(item.get("price_cents"), field=f"{where}.price_cents",
                                                   max_cents=max_price_cents))
        stock = item.get("stock")
        if kind is ProductKind.DIGITAL:
            stock = None
        elif stock is not None and (not is_cents(stock) or not 0 <= stock <= MAX_STOCK):
            problems.add(InvalidInput(f"Stock is a whole number from 0 to {MAX_STOCK}, or empty for unlimited.",
                                      field=f"{where}.stock"))
            stock = None
        if name.casefold() in names:
            problems.add(InvalidInput("Two variants have the same name.", field=f"{where}.name"))
        names.add(name.casefold())
        variant_id = item.get("variant_id")
        if not isinstance(variant_id, str) or not re.fullmatch(r"[a-z0-9]{1,32}", variant_id):
            variant_id = new_id()
        variants.append(Variant(variant_id=variant_id, name=name, sku=sku, price_cents=price or 0, stock=stock))
    problems.raise_any()
    if len({v.variant_id for v in variants}) != len(variants):
        raise InvalidInput("Two variants have the same id.", field="variants")
    return tuple(variants)


def check_product(fields: Mapping[str, Any], *, max_price_cents: int, new_id: Any,
                  categories: Iterable[str]) -> dict[str, Any]:
    """A product's editable fields, every problem reported at once: title, description
    (Markdown), kind, status, variants and the help category it is listed under."""
    problems = Problems()
    title = problems.check(lambda: _text(fields.get("title"), field="title", label="A title", max_length=TITLE_MAX))
    description = problems.check(lambda: _text(fields.get("description", ""), field="description",
                                               label="A description", max_length=DESCRIPTION_MAX,
                                               required=False, multiline=True))
    try:
        kind = ProductKind(fields.get("kind"))
    except ValueError:
        problems.add(InvalidInput("A product is digital or physical.", field="kind"))
        kind = ProductKind.DIGITAL
    try:
        status = ProductStatus(fields.get("status", ProductStatus.DRAFT.value))
    except ValueError:
        problems.add(InvalidInput("A product is a draft, active or archived.", field="status"))
        status = ProductStatus.DRAFT
    variants = problems.check(lambda: check_variants(fields.get("variants"), max_price_cents=max_price_cents,
                                                     kind=kind, new_id=new_id))
    category = fields.get("category")
    if category is not None and category not in set(categories):
        problems.add(InvalidInput("Choose one of your help categories.", field="category"))
    problems.raise_any()
    return {"title": title, "description": description or "", "kind": kind, "status": status,
            "variants": variants, "category": category}


def check_publishable(product: Product) -> None:
    """An active digital product delivers at least one file."""
    if product.status is ProductStatus.ACTIVE and product.kind is ProductKind.DIGITAL and not product.files:
        raise InvalidInput("Add the file a buyer gets before putting a digital product on sale.", field="status")


def check_shipping(fields: Mapping[str, Any], *, max_price_cents: int) -> ShippingRule:
    problems = Problems()
    flat = problems.check(lambda: check_price(fields.get("flat_cents", 0), field="flat_cents",
                                              max_cents=max_price_cents))
    free_from = fields.get("free_from_cents")
    if free_from is not None:
        free_from = problems.check(lambda: check_price(free_from, field="free_from_cents", max_cents=max_price_cents))
    countries = fields.get("countries", ["US"])
    if not isinstance(countries, list) or not 1 <= len(countries) <= 250 or \
            not all(isinstance(c, str) and COUNTRY_PATTERN.fullmatch(c) for c in countries):
        problems.add(InvalidInput("Ship to at least one country (two-letter codes such as US).", field="countries"))
        countries = ["US"]
    problems.raise_any()
    return ShippingRule(flat_cents=flat or 0, free_from_cents=free_from, countries=tuple(dict.fromkeys(countries)))


def check_upload(content_type: object, size: object, *, allowed: Mapping[str, str], max_bytes: int,
                 field: str) -> str:
    """A file to be uploaded: one of the allowed types, 1 byte to `max_bytes`."""
    if not isinstance(content_type, str) or content_type not in allowed:
        raise InvalidInput(f"Files of type {content_type!r} cannot be uploaded here.", field=field)
    if not is_cents(size) or not 1 <= size <= max_bytes:  # type: ignore[operator]
        raise InvalidInput(f"A file is at most {max_bytes // (1024 * 1024)} MB.", field=field)
    return content_type


# -- carts and orders ------------------------------------------------------------------------

def check_cart(raw: object) -> tuple[CartLine, ...]:
    """The browser's cart: 1 to MAX_CART_LINES lines of a product, a variant and a quantity
    from 1 to MAX_QUANTITY; the same variant twice is one line."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_CART_LINES:
        raise InvalidInput(f"A cart has 1 to {MAX_CART_LINES} lines.", field="lines")
    merged: dict[tuple[str, str], CartLine] = {}
    for index, item in enumerate(raw):
        where = f"lines.{index}"
        if not isinstance(item, dict):
            raise InvalidInput("A cart line names a product, a variant and a quantity.", field=where)
        slug = check_slug(item.get("slug"))
        variant_id = item.get("variant_id")
        if not isinstance(variant_id, str) or not re.fullmatch(r"[a-z0-9]{1,32}", variant_id):
            raise InvalidInput("Unknown variant.", field=f"{where}.variant_id")
        quantity = item.get("quantity")
        if not is_cents(quantity) or not 1 <= quantity <= MAX_QUANTITY:  # type: ignore[operator]
            raise InvalidInput(f"A quantity is from 1 to {MAX_QUANTITY}.", field=f"{where}.quantity")
        seen = item.get("seen_price_cents")
        if seen is not None and not is_cents(seen):
            raise InvalidInput("A price is whole cents.", field=f"{where}.seen_price_cents")
        key = (slug, variant_id)
        before = merged.get(key)
        total = quantity + (before.quantity if before else 0)  # type: ignore[operator]
        if total > MAX_QUANTITY:
            raise InvalidInput(f"A quantity is from 1 to {MAX_QUANTITY}.", field=f"{where}.quantity")
        merged[key] = CartLine(slug, variant_id, total, seen if seen is not None else
                               (before.seen_price_cents if before else None))
    return tuple(merged.values())


def quote(cart: Iterable[CartLine], products: Mapping[str, Product], shipping: ShippingRule, *,
          country: str | None = None) -> Quote:
    """What the cart costs at the store's prices now. A product gone or not on sale, an unknown
    variant or a price that differs from the one the buyer saw is a CartChanged carrying every
    line as the store has it now; too few units left is SoldOut."""
    lines, changed = [], False
    current: list[dict] = []
    for line in cart:
        product = products.get(line.slug)
        variant = product.variant(line.variant_id) if product else None
        on_sale = product is not None and product.status is ProductStatus.ACTIVE and variant is not None
        current.append(line_state(line, product, variant))
        if not on_sale or (line.seen_price_cents is not None and line.seen_price_cents != variant.price_cents):
            changed = True
            continue
        assert product is not None and variant is not None
        if variant.stock is not None and variant.stock < line.quantity:
            raise SoldOut(f"Only {variant.stock} of {product.title} ({variant.name or 'this'}) left.",
                          field="lines")
        lines.append(OrderLine(slug=product.slug, variant_id=variant.variant_id, title=product.title,
                               variant_name=variant.name, sku=variant.sku, kind=product.kind,
                               quantity=line.quantity, unit_cents=variant.price_cents))
    if changed:
        raise CartChanged("Your cart changed: check the prices and products before paying.", current=current)
    items = sum(line.line_cents for line in lines)
    ships = any(line.kind is ProductKind.PHYSICAL for line in lines)
    if ships and country is not None and country not in shipping.countries:
        raise InvalidInput("This store does not ship to your country.", field="country")
    return Quote(lines=tuple(lines), items_cents=items, shipping_cents=shipping.cost(items) if ships else 0)


def line_state(line: CartLine, product: Product | None, variant: Variant | None) -> dict:
    """A cart line as the store has it now, for the buyer to confirm."""
    available = product is not None and product.status is ProductStatus.ACTIVE and variant is not None
    return {"slug": line.slug, "variant_id": line.variant_id, "quantity": line.quantity,
            "available": available,
            "title": product.title if product else None,
            "variant_name": variant.name if variant else None,
            "price_cents": variant.price_cents if variant else None,
            "stock": variant.stock if variant else None}


def stock_taken(lines: Iterable[OrderLine]) -> dict[str, dict[str, int]]:
    """The units an order holds, by product slug and variant (what its reservation took)."""
    taken: dict[str, dict[str, int]] = {}
    for line in lines:
        by_variant = taken.setdefault(line.slug, {})
        by_variant[line.variant_id] = by_variant.get(line.variant_id, 0) + line.quantity
    return taken


def paid(order: Order, *, now: int, ship_to: Mapping[str, str] | None = None) -> Order:
    if order.state is not OrderState.RESERVED:
        raise OrderClosed(f"This order is {order.state.value}.")
    return order.with_changes(state=OrderState.PAID, paid_at=now, ship_to=ship_to)


def cancelled(order: Order, *, reason: str) -> Order:
    if order.state is not OrderState.RESERVED:
        raise OrderClosed(f"This order is {order.state.value}.")
    return order.with_changes(state=OrderState.CANCELLED, closed_reason=reason)


def check_shipment(carrier: object, tracking_number: object, carrier_name: object = "") -> Shipment:
    if carrier not in CARRIERS:
        raise InvalidInput(f"The carrier is one of {', '.join(CARRIERS)}.", field="carrier")
    number = _text(tracking_number, field="tracking_number", label="A tracking number", max_length=64)
    if not re.fullmatch(r"[A-Za-z0-9 -]+", number):
        raise InvalidInput("A tracking number is letters, digits, spaces and '-'.", field="tracking_number")
    name = ""
    if carrier == "OTHER":
        name = _text(carrier_name, field="carrier_name", label="The carrier's name", max_length=64)
    return Shipment(carrier=str(carrier), tracking_number=number, carrier_name=name)


def shipped(order: Order, shipment: Shipment, *, now: int) -> Order:
    if not order.ships:
        raise OrderClosed("Digital orders are not shipped.")
    if order.state is not OrderState.PAID:
        raise OrderClosed(f"Only a paid order is shipped; this one is {order.state.value}.")
    return order.with_changes(state=OrderState.SHIPPED, shipped_at=now, shipment=shipment)


def delivered(order: Order, *, now: int) -> Order:
    if order.state is not OrderState.SHIPPED:
        raise OrderClosed(f"Only a shipped order is delivered; this one is {order.state.value}.")
    return order.with_changes(state=OrderState.DELIVERED, delivered_at=now)


def check_seller(order: Order, user_id: str) -> None:
    if order.seller_id != user_id:
        raise Forbidden("Only the seller does that.")


# -- money after the sale --------------------------------------------------------------------

def earnings_release_at(order: Order, *, digital_hold_hours: int = DIGITAL_HOLD_HOURS,
                        physical_hold_days: int = PHYSICAL_HOLD_DAYS) -> int | None:
    """When the seller's share may become payable: a digital sale `digital_hold_hours` after
    payment, a physical one `physical_hold_days` after shipping (None: not shipped yet)."""
    if not order.paid or order.paid_at is None:
        return None
    if not order.ships:
        return order.paid_at + digital_hold_hours * 3600
    if order.shipped_at is None:
        return None
    return order.shipped_at + physical_hold_days * 86400


def refund_request_closes_at(order: Order, *, digital_hours: int = DIGITAL_REFUND_HOURS,
                             physical_days: int = PHYSICAL_REFUND_DAYS) -> int | None:
    """Until when the buyer may ask for a refund (None: not yet known, a physical order not
    delivered yet, which the buyer can always ask about)."""
    if not order.paid or order.paid_at is None:
        return None
    if not order.ships:
        return order.paid_at + digital_hours * 3600
    if order.delivered_at is None:
        return None
    return order.delivered_at + physical_days * 86400


def refund_refusal(order: Order, *, now: int, digital_hours: int = DIGITAL_REFUND_HOURS,
                   physical_days: int = PHYSICAL_REFUND_DAYS) -> DomainError | None:
    """Why the buyer may not ask for a refund now (None: they may): a digital order within the
    window and downloaded at most once per file; a physical one until `physical_days` after
    delivery (and any time before)."""
    if not order.paid:
        return OrderClosed("Only a paid order can be refunded.")
    if order.refunded_cents >= order.total_cents:
        return OrderClosed("This order was refunded already.")
    closes = refund_request_closes_at(order, digital_hours=digital_hours, physical_days=physical_days)
    if closes is not None and now >= closes:
        window = f"{digital_hours} hours of buying" if not order.ships else f"{physical_days} days of delivery"
        return RefundWindowClosed(f"Refunds can be asked for within {window}.")
    if not order.ships and any(count > 1 for count in order.downloads.values()):
        return Conflict("A file downloaded more than once cannot be refunded.")
    return None


def download_key(slug: str, file_id: str) -> str:
    return f"{slug}/{file_id}"


def check_download(order: Order, *, buyer_id: str, slug: str, file_id: str, limit: int = DOWNLOAD_LIMIT) -> str:
    """The buyer may download a file of a product they paid for and were not refunded, at most
    `limit` times; returns the download's counter key."""
    if order.buyer_id != buyer_id:
        raise Forbidden("Only the buyer downloads their purchase.")
    if not order.paid:
        raise OrderClosed("This order is not paid.")
    if order.refunded_cents > 0:
        raise Forbidden("This purchase was refunded, so its files are no longer available.")
    if not any(line.slug == slug and line.kind is ProductKind.DIGITAL for line in order.lines):
        raise Forbidden("This order does not include that file.")
    key = download_key(slug, file_id)
    if order.downloads.get(key, 0) >= limit:
        raise DownloadLimitReached(f"This file was downloaded {limit} times, the most a purchase allows.")
    return key


def shares(total_cents: int, weights: Mapping[str, int]) -> dict[str, int]:
    """`total_cents` divided in proportion to `weights`, to the cent: each share rounded down,
    the cents left over given to the largest remainders (ties by name), so the shares always add
    up to the total. With no weight at all, everything goes to the first name."""
    names = sorted(weights)
    if not names:
        return {}
    whole = sum(weights.values())
    if whole <= 0:
        return {name: (total_cents if index == 0 else 0) for index, name in enumerate(names)}
    exact = {name: total_cents * weights[name] for name in names}
    given = {name: exact[name] // whole for name in names}
    left = total_cents - sum(given.values())
    for name in sorted(names, key=lambda n: (-(exact[n] % whole), n))[:left]:
        given[name] += 1
    return given


# The first bytes of the file types a digital product may deliver (text has none to check).
_MAGIC = {"application/pdf": (b"%PDF",), "application/zip": (b"PK\x03\x04",), "application/epub+zip": (b"PK\x03\x04",),
          "audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"), "audio/wav": (b"RIFF",),
          "image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}


def file_matches(content_type: str, head: bytes) -> bool:
    """Whether an uploaded file's first bytes are the type it claims (not a renamed page or
    script); MP4 carries `ftyp` at byte 4, and text must not look like HTML."""
    if content_type == "video/mp4":
        return head[4:8] == b"ftyp"
    if content_type in ("text/plain", "text/csv"):
        start = head.lstrip().lower()
        return not start.startswith((b"<", b"\xef\xbb\xbf<"))
    return any(head.startswith(magic) for magic in _MAGIC.get(content_type, ()))


def check_file_name(name: object) -> str:
    """A downloadable file's name as the buyer will see it: no path, no control characters."""
    text = _text(name, field="name", label="A file name", max_length=120)
    if "/" in text or "\\" in text or text in (".", ".."):
        raise InvalidInput("A file name has no folders in it.", field="name")
    return text
