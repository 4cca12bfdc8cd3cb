"""A Helper's store: the seller's catalogue (products, pictures, files, shipping), the store and
product pages and the Marketplace, checkout through PayPal (stock reserved before the buyer
pays, given back if they do not), what a paid order does (the sale counted, the buyer's library,
the seller's order queue), shipping with tracking, and downloads.

Prices always come from the store, never from the browser; every step that touches stock or
money is a conditional write, so retries and races change nothing twice."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from chalicelib.adapters.store import StaleProduct
from chalicelib.domain import store as rules
from chalicelib.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from chalicelib.domain.fees import PaymentKind
from chalicelib.domain.money import is_cents
from chalicelib.domain import ledger as books
from chalicelib.domain.payments import Payment, PaymentState, check_text, split_of
from chalicelib.domain.plans import current_plan
from chalicelib.domain.search import index_terms, query_terms
from chalicelib.domain.store import Order, OrderState, Product, ProductKind, ProductStatus
from chalicelib.observability import logger
from chalicelib.services.emails import tell, tell_each
from chalicelib.services.helper_pages import page_named
from chalicelib.services.pictures import INCOMING, publish_upload, upload_id
from chalicelib.services.payments import (
    PaidThrough,
    PaymentDesk,
    Purpose,
    open_payment,
    paypal_errors,
    refund_in_full,
    refund_part,
    void_or_deliver,
)

if TYPE_CHECKING:
    from chalicelib.adapters.store import OrderStore, ProductSearch, ProductStore, SalesBook
    from chalicelib.adapters.uploads import UploadStorage

PAGE_SIZE = 24
# The store page's first screenful: three rows of four at 1280 px (what a visitor sees before
# "More products"); each product shown costs ~0.15 ms to read and draw.
STORE_PAGE_SIZE = 12
SLUG_TRIES = 20
NEW_ID = Callable[[], str]


def _new_id() -> str:
    return uuid.uuid4().hex


def _short_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class StoreDesk(PaidThrough):
    """What the store touches: its own stores, the pages and storefronts of sellers, paying
    (orders, capture, refunds), the uploads bucket (pictures) and the private files bucket."""

    products: ProductStore
    search: ProductSearch
    orders: OrderStore
    sales: SalesBook
    payments: PaymentDesk
    images: UploadStorage
    files: UploadStorage


def utc_day(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d")


# -- what people see ----------------------------------------------------------------------------

def media_url(key: str) -> str:
    return f"/{key}"


def product_view(product: Product, *, owner: bool = False) -> dict:
    """A product as the store shows it; the seller also sees its files and drafts' details."""
    view = {
        "seller_id": product.seller_id, "slug": product.slug, "title": product.title,
        "description": product.description, "description_html": product.description_html,
        "summary": product.summary, "kind": product.kind.value, "status": product.status.value,
        "category": product.category, "images": [media_url(key) for key in product.images],
        "price_from_cents": product.price_from_cents, "sold_out": product.sold_out,
        "variants": [{"variant_id": v.variant_id, "name": v.name, "sku": v.sku, "price_cents": v.price_cents,
                      "stock": v.stock} for v in product.variants],
        "created_at": product.created_at, "updated_at": product.updated_at,
    }
    if owner:
        view["image_keys"] = list(product.images)
        view["files"] = [{"file_id": f.file_id, "name": f.name, "content_type": f.content_type, "size": f.size}
                         for f in product.files]
    else:
        view["files"] = [{"file_id": f.file_id, "name": f.name, "size": f.size} for f in product.files]
    return view


def order_view(order: Order, *, as_seller: bool) -> dict:
    """An order as its buyer or its seller sees it (the seller sees where it ships)."""
    view = {
        "order_id": order.order_id, "seller_id": order.seller_id, "state": order.state.value,
        "lines": [{"slug": line.slug, "variant_id": line.variant_id, "title": line.title,
                   "variant_name": line.variant_name, "sku": line.sku, "kind": line.kind.value,
                   "quantity": line.quantity, "unit_cents": line.unit_cents, "line_cents": line.line_cents}
                  for line in order.lines],
        "items_cents": order.items_cents, "shipping_cents": order.shipping_cents,
        "total_cents": order.total_cents, "currency": order.currency, "payment_id": order.payment_id,
        "created_at": order.created_at, "paid_at": order.paid_at, "shipped_at": order.shipped_at,
        "delivered_at": order.delivered_at, "refunded_cents": order.refunded_cents, "ships": order.ships,
        "shipment": None if order.shipment is None else {
            "carrier": order.shipment.carrier, "carrier_name": order.shipment.carrier_name,
            "tracking_number": order.shipment.tracking_number},
        "downloads": dict(order.downloads),
    }
    if as_seller:
        view["buyer_id"] = order.buyer_id
        view["ship_to"] = dict(order.ship_to) if order.ship_to else None
    return view


# -- the seller's catalogue -----------------------------------------------------------------

def _seller(user_id: str, desk: StoreDesk) -> Any:
    page = desk.pages.get(user_id)
    if page is None:
        raise NotFound("Become a Helper first: a store belongs to a Helper page.")
    return page


def _own(seller_id: str, slug: str, desk: StoreDesk) -> Product:
    """One of the seller's products; an address no product could have is not found either."""
    found = isinstance(slug, str) and rules.SLUG_PATTERN.fullmatch(slug) and len(slug) <= rules.SLUG_MAX
    product = desk.products.get(seller_id, slug) if found else None
    if product is None:
        raise NotFound("You have no product at that address.")
    return product


def _rendered(description: str) -> tuple[str, str]:
    from chalicelib.domain.rich_text import plain_text, render_markdown

    return render_markdown(description), plain_text(description, max_length=200)


def _check_on_sale(product: Product, desk: StoreDesk) -> None:
    rules.check_publishable(product)
    if product.status is ProductStatus.ACTIVE and desk.storefronts.get(product.seller_id) is None:
        raise InvalidInput("Set up your storefront (where payouts go) before putting products on sale.",
                           field="status")


def _index(before: Product | None, after: Product, desk: StoreDesk) -> None:
    """The words the Marketplace finds a product by: only while it is on sale."""
    old = index_terms(before.title, before.summary) if before and before.status is ProductStatus.ACTIVE else set()
    new = index_terms(after.title, after.summary) if after.status is ProductStatus.ACTIVE else set()
    if old != new:
        desk.search.replace(after.product_id, old, new)


def list_my_products(*, seller_id: str, desk: StoreDesk, after: dict | None = None,
                     limit: int = 100) -> tuple[list[Product], dict | None]:
    _seller(seller_id, desk)
    return desk.products.for_seller(seller_id, active_only=False, limit=limit, after=after)


def my_product(*, seller_id: str, slug: str, desk: StoreDesk) -> Product:
    return _own(seller_id, slug, desk)


def create_product(*, seller_id: str, fields: dict, desk: StoreDesk, now: int, new_id: NEW_ID = _short_id) -> Product:
    """A new product (a draft unless said otherwise) at an address made from its title, or the
    one asked for; a taken address gets a number (`lamp-2`) unless it was asked for."""
    page = _seller(seller_id, desk)
    checked = rules.check_product(fields, max_price_cents=desk.settings.max_session_price_cents, new_id=new_id,
                                  categories=page.categories)
    asked = fields.get("slug")
    base = rules.check_slug(asked) if asked is not None else rules.slug_of(checked["title"])
    html, summary = _rendered(checked["description"])
    product = Product(seller_id=seller_id, slug=base, created_at=now, updated_at=now, description_html=html,
                      summary=summary, **checked)
    _check_on_sale(product, desk)
    for attempt in range(SLUG_TRIES):
        slug = base if attempt == 0 else f"{base[:rules.SLUG_MAX - 4]}-{attempt + 1}"
        candidate = product.with_changes(slug=slug)
        if desk.products.create(candidate):
            _index(None, candidate, desk)
            return candidate
        if asked is not None:
            raise Conflict("You have a product at that address already.", field="slug")
    raise Conflict("Choose another address for this product.", field="slug")


def update_product(*, seller_id: str, slug: str, fields: dict, desk: StoreDesk, now: int,
                   new_id: NEW_ID = _short_id) -> Product:
    """The seller's edit of every field but the address; variants keep their ids (so carts and
    orders still name them), and a variant's stock is written only if the edit changed it."""
    before = _own(seller_id, slug, desk)
    page = _seller(seller_id, desk)
    checked = rules.check_product({"kind": before.kind.value, **fields},
                                  max_price_cents=desk.settings.max_session_price_cents, new_id=new_id,
                                  categories=page.categories)
    if checked["kind"] is not before.kind:
        raise InvalidInput("A product stays digital or physical; make a new one instead.", field="kind")
    if before.hidden_note is not None and checked["status"] is ProductStatus.ACTIVE:
        raise Conflict("Our team took this product off sale after a report (we emailed you why); it cannot go back "
                       "on sale. Write to support if you think this is a mistake.", field="status")
    html, summary = _rendered(checked["description"])
    after = before.with_changes(updated_at=max(now, before.updated_at + 1), description_html=html, summary=summary,
                                **checked)
    _check_on_sale(after, desk)
    if not desk.products.update(before, after):
        raise Conflict("This product changed while you edited it; reload it and try again.")
    _index(before, after, desk)
    return after


def _changed(before: Product, desk: StoreDesk, now: int, **changes: Any) -> Product:
    after = before.with_changes(updated_at=max(now, before.updated_at + 1), **changes)
    if not desk.products.update(before, after):
        raise Conflict("This product changed meanwhile; reload it and try again.")
    return after


def unlist_product(*, seller_id: str, slug: str, note: str, now: int, desk: StoreDesk) -> Product | None:
    """Ops hides a reported product: archived, it leaves the store page and the Marketplace (orders
    that name it keep it), and its seller is told why by email."""
    from chalicelib.services.emails import tell_hidden

    before = desk.products.get(seller_id, slug)
    if before is None or before.status is not ProductStatus.ACTIVE:
        return before
    after = _changed(before, desk, now, status=ProductStatus.ARCHIVED, hidden_note=note)
    _index(before, after, desk)
    tell_hidden(desk, seller_id, what="product", title=before.title, note=note, url="/my-store.html")
    return after


def request_image_upload(*, seller_id: str, slug: str, content_type: object, desk: StoreDesk) -> dict:
    """A presigned POST for one more picture of the product (JPEG, PNG or WebP, up to 5 MB)."""
    product = _own(seller_id, slug, desk)
    if len(product.images) >= rules.MAX_IMAGES:
        raise Conflict(f"A product has at most {rules.MAX_IMAGES} pictures.")
    extension = rules.IMAGE_TYPES.get(content_type) if isinstance(content_type, str) else None
    if extension is None:
        raise InvalidInput("Pictures are JPEG, PNG or WebP.", field="content_type")
    key = f"{_upload_prefix(seller_id, product.slug)}{_new_id()}.{extension}"
    redirect = f"{desk.settings.site_url}/my-store.html?product={product.slug}"
    post = desk.images.presigned_post(key=key, content_type=content_type, max_bytes=rules.IMAGE_MAX_BYTES,
                                      redirect=redirect)
    return {"url": post["url"], "fields": post["fields"], "key": key, "max_bytes": rules.IMAGE_MAX_BYTES}


def _image_prefix(seller_id: str, slug: str) -> str:
    return f"media/products/{seller_id}/{slug}/"


def _upload_prefix(seller_id: str, slug: str) -> str:
    return f"{INCOMING}products/{seller_id}/{slug}/"


def add_image(*, seller_id: str, slug: str, key: object, desk: StoreDesk, now: int) -> Product:
    """Shows an uploaded picture once it is checked (the seller's own upload, a real image of the
    type it claims, within the size) and redrawn at the sizes it is shown at."""
    product = _own(seller_id, slug, desk)
    picture_id = upload_id(key, prefix=_upload_prefix(seller_id, product.slug), extensions=rules.IMAGE_TYPES.values())
    if picture_id is None:
        raise Forbidden("That picture is not one of this product's uploads.")
    sizes = rules.picture_sizes(_image_prefix(seller_id, product.slug), picture_id)
    shown = next(iter(sizes))
    if shown in product.images:
        return product  # a retry of a picture already added
    if len(product.images) >= rules.MAX_IMAGES:
        raise Conflict(f"A product has at most {rules.MAX_IMAGES} pictures.")
    publish_upload(storage=desk.images, upload_key=key, sizes=sizes, max_bytes=rules.IMAGE_MAX_BYTES,
                   refusal="Pictures are JPEG, PNG or WebP files of at most 5 MB.")
    return _changed(product, desk, now, images=(*product.images, shown))


def set_images(*, seller_id: str, slug: str, keys: object, desk: StoreDesk, now: int) -> Product:
    """Reorders the product's pictures or removes some (a removed picture is deleted)."""
    product = _own(seller_id, slug, desk)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or \
            not set(keys) <= set(product.images) or len(set(keys)) != len(keys):
        raise InvalidInput("List the product's own pictures, each once.", field="keys")
    after = _changed(product, desk, now, images=tuple(keys))
    for gone in set(product.images) - set(keys):
        for stored in {gone, rules.card_picture(gone)}:
            desk.images.delete(stored)
    return after


def _file_key(seller_id: str, slug: str, file_id: str) -> str:
    return f"files/{seller_id}/{slug}/{file_id}"


def request_file_upload(*, seller_id: str, slug: str, content_type: object, size: object, desk: StoreDesk,
                        new_id: NEW_ID = _new_id) -> dict:
    """A presigned POST into the private bucket for a file the buyer of a digital product gets:
    one of the allowed types, at most 500 MB (S3 enforces both)."""
    product = _own(seller_id, slug, desk)
    if product.kind is not ProductKind.DIGITAL:
        raise Conflict("Only digital products deliver files.")
    if len(product.files) >= rules.MAX_FILES:
        raise Conflict(f"A product delivers at most {rules.MAX_FILES} files.")
    checked = rules.check_upload(content_type, size, allowed=rules.FILE_TYPES, max_bytes=rules.FILE_MAX_BYTES,
                                 field="content_type")
    file_id = new_id()
    key = _file_key(seller_id, product.slug, file_id)
    redirect = f"{desk.settings.site_url}/my-store.html?product={product.slug}"
    post = desk.files.presigned_post(key=key, content_type=checked, max_bytes=rules.FILE_MAX_BYTES,
                                     redirect=redirect)
    return {"url": post["url"], "fields": post["fields"], "file_id": file_id, "max_bytes": rules.FILE_MAX_BYTES}


def add_file(*, seller_id: str, slug: str, file_id: object, name: object, desk: StoreDesk, now: int) -> Product:
    """Adds an uploaded file to the product after checking what arrived: its size and that its
    first bytes are the type it was uploaded as."""
    product = _own(seller_id, slug, desk)
    if not isinstance(file_id, str) or not file_id.isalnum() or len(file_id) > 64:
        raise InvalidInput("Unknown file.", field="file_id")
    if any(f.file_id == file_id for f in product.files):
        return product
    if len(product.files) >= rules.MAX_FILES:
        raise Conflict(f"A product delivers at most {rules.MAX_FILES} files.")
    shown_name = rules.check_file_name(name)
    key = _file_key(seller_id, product.slug, file_id)
    stored = desk.files.describe(key)
    if stored is None:
        raise NotFound("No file was uploaded under that id.")
    if stored.content_type not in rules.FILE_TYPES or stored.size > rules.FILE_MAX_BYTES or \
            not rules.file_matches(stored.content_type, stored.head):
        desk.files.delete(key)
        raise InvalidInput("That file is not the type it was uploaded as.", field="file_id")
    added = rules.ProductFile(file_id=file_id, name=shown_name, content_type=stored.content_type,
                              size=stored.size, key=key)
    return _changed(product, desk, now, files=(*product.files, added))


def remove_file(*, seller_id: str, slug: str, file_id: str, desk: StoreDesk, now: int) -> Product:
    """Takes a file off the product; buyers who have it keep downloading it, so it stays stored."""
    product = _own(seller_id, slug, desk)
    kept = tuple(f for f in product.files if f.file_id != file_id)
    if len(kept) == len(product.files):
        raise NotFound("This product has no such file.")
    after = product.with_changes(files=kept)
    rules.check_publishable(after)
    return _changed(product, desk, now, files=kept)


def save_shipping(*, seller_id: str, fields: dict, desk: StoreDesk, now: int) -> dict:
    storefront = desk.storefronts.get(seller_id)
    if storefront is None:
        raise NotFound("Set up your storefront (where payouts go) first.")
    rule = rules.check_shipping(fields, max_price_cents=desk.settings.max_session_price_cents)
    desk.storefronts.save(replace(storefront, shipping=rule, updated_at=now))
    return shipping_view(rule)


def shipping_view(rule: rules.ShippingRule) -> dict:
    return {"flat_cents": rule.flat_cents, "free_from_cents": rule.free_from_cents, "countries": list(rule.countries)}


# -- the store, its products and the Marketplace -------------------------------------------------

@dataclass(frozen=True)
class StorePage:
    page: Any  # the seller's HelperPage
    products: list[Product]
    after: dict | None
    shipping: rules.ShippingRule | None  # None: the store cannot take payments yet


def store_page(*, username: str, desk: StoreDesk, after: dict | None = None,
               limit: int = STORE_PAGE_SIZE) -> StorePage:
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    products, more = desk.products.for_seller(page.user_id, active_only=True, limit=limit, after=after)
    storefront = desk.storefronts.get(page.user_id)
    return StorePage(page=page, products=products, after=more, shipping=storefront.shipping if storefront else None)


def product_page(*, username: str, slug: str, desk: StoreDesk, now: int, viewer_id: str | None = None,
                 count_view: bool = True) -> tuple[Any, Product, rules.ShippingRule | None]:
    """A product on sale (its seller also sees drafts); a visit is counted for the Sales page."""
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    product = desk.products.get(page.user_id, slug) if rules.SLUG_PATTERN.fullmatch(slug or "") else None
    if product is None or (product.status is not ProductStatus.ACTIVE and viewer_id != page.user_id):
        raise NotFound("This store has no such product.")
    if count_view and product.status is ProductStatus.ACTIVE and viewer_id != page.user_id:
        desk.sales.record_view(page.user_id, product.slug, day=utc_day(now))
    storefront = desk.storefronts.get(page.user_id)
    return page, product, storefront.shipping if storefront else None


def marketplace(*, desk: StoreDesk, category: str | None = None, query: str | None = None,
                after: dict | None = None, limit: int = PAGE_SIZE) -> tuple[list[Product], dict | None]:
    """Every product on sale, newest first: all, in a help category, or matching every word of a
    search (each a prefix, as the directory's search)."""
    if query:
        words = query_terms(query)
        if not words:
            return [], None
        found: set[str] | None = None
        for word in words:
            matching = desk.search.matching(word)
            found = matching if found is None else found & matching
        by_seller: dict[str, list[str]] = {}
        for product_id in sorted(found or ()):
            seller_id, _, slug = product_id.partition("/")
            by_seller.setdefault(seller_id, []).append(slug)
        products = [p for seller_id, slugs in by_seller.items()
                    for p in desk.products.get_many(seller_id, slugs).values()
                    if p.status is ProductStatus.ACTIVE and (category is None or p.category == category)]
        products.sort(key=lambda p: (-p.created_at, p.product_id))
        return products[:limit], None
    return desk.products.marketplace(category=category, limit=limit, after=after)


# -- checkout ------------------------------------------------------------------------------------

def _order_id_of(payment: Payment) -> str:
    return payment.payment_id.removeprefix("order-")


def _paypal_items(quote: rules.Quote) -> list:
    from chalicelib.adapters.paypal import OrderItem

    return [OrderItem(name=(f"{line.title} ({line.variant_name})" if line.variant_name else line.title)[:127],
                      sku=line.sku, quantity=line.quantity, unit_amount_cents=line.unit_cents,
                      category="PHYSICAL_GOODS" if line.kind is ProductKind.PHYSICAL else "DIGITAL_GOODS")
            for line in quote.lines]


def checkout(*, buyer_id: str, seller: str, lines: object, desk: StoreDesk, now: int,
             new_id: NEW_ID = _new_id) -> tuple[Order, Payment | None]:
    """One store's cart becomes an order: priced by the store, its stock reserved (for
    `reservation_seconds`), and a PayPal order with its items for the buyer to approve."""
    page = page_named(seller, accounts=desk.accounts, pages=desk.pages)
    seller_id = page.user_id
    if seller_id == buyer_id:
        raise Forbidden("You cannot buy from your own store.")
    storefront = desk.storefronts.get(seller_id)
    if storefront is None:
        raise Conflict("This store cannot take payments yet.")
    cart = rules.check_cart(lines)
    order_id = new_id()
    for attempt in range(2):  # a product edited between the read and the reservation: read again once
        products = desk.products.get_many(seller_id, [line.slug for line in cart])
        quote = rules.quote(cart, products, storefront.shipping)
        order = Order(order_id=order_id, buyer_id=buyer_id, seller_id=seller_id, lines=quote.lines,
                      items_cents=quote.items_cents, shipping_cents=quote.shipping_cents,
                      currency=desk.settings.currency, state=OrderState.RESERVED, created_at=now,
                      reserved_until=now + desk.settings.reservation_seconds, payment_id=f"order-{order_id}")
        try:
            desk.orders.reserve(order, seen={slug: p.updated_at for slug, p in products.items()})
            break
        except StaleProduct:
            if attempt:
                raise Conflict("The store is being changed right now; try again in a moment.") from None
    if order.total_cents == 0:
        return _free_order(order, desk, now)
    subscription = desk.payments.plans.get(seller_id)
    payment = Payment(
        payment_id=order.payment_id, kind=PaymentKind.MERCHANDISE, payer_id=buyer_id, helper_id=seller_id,
        amount_cents=order.total_cents, currency=order.currency, state=PaymentState.CREATED, created_at=now,
        description=f"Order from {storefront.name} on {desk.settings.brand_name}"[:127],
        helper_plan=current_plan(subscription, now).name)
    try:
        opened = open_payment(payment, desk=desk.payments, items=_paypal_items(quote),
                              shipping_cents=quote.shipping_cents, ships=quote.ships)
    except Exception:
        desk.orders.cancel(order, rules.cancelled(order, reason="PayPal could not open the payment."))
        raise
    return order, opened


def _free_order(order: Order, desk: StoreDesk, now: int) -> tuple[Order, None]:
    """Everything in the cart is free: no PayPal order; digital goods are the buyer's at once.
    Free physical goods would need an address PayPal is not there to give: refused."""
    if order.ships:
        desk.orders.cancel(order, rules.cancelled(order, reason="Free physical goods cannot be ordered."))
        raise InvalidInput("Physical goods are ordered with a price or shipping to pay (PayPal gives the address).",
                           field="lines")
    paid = rules.paid(order, now=now)
    _record_sale(order, paid, 0, desk, now)
    return paid, None


# -- what a paid order does ---------------------------------------------------------------------

def order_purpose(desk: StoreDesk) -> Purpose:
    """What a store payment pays for, registered on the payment desk (deps)."""
    return Purpose(deliver=partial(_deliver_order, desk=desk), still_wanted=partial(_order_waits, desk=desk),
                   failed=partial(_order_failed, desk=desk), refusal=partial(_refund_refusal, desk=desk),
                   refundable_until=partial(_refundable_until, desk=desk), refunded=partial(_order_refunded, desk=desk))


def _windows(desk: StoreDesk) -> dict[str, int]:
    return {"digital_hours": desk.settings.digital_refund_hours, "physical_days": desk.settings.physical_refund_days}


def _refund_refusal(payment: Payment, now: int, *, desk: StoreDesk) -> DomainError | None:
    """A buyer may ask within the store's windows: a digital order within a day of buying and
    downloaded at most once per file, a physical one until two weeks after delivery."""
    order = desk.orders.get(_order_id_of(payment))
    if order is None:
        return NotFound("No such order.")
    return rules.refund_refusal(order, now=now, **_windows(desk))


def _refundable_until(payment: Payment, *, desk: StoreDesk) -> int | None:
    order = desk.orders.get(_order_id_of(payment))
    return rules.refund_request_closes_at(order, **_windows(desk)) if order is not None else None


def _order_refunded(payment: Payment, cents: int, now: int, *, desk: StoreDesk) -> None:
    """A refund posted in the ledger: counted on the order (files of a refunded purchase no
    longer download) and in the seller's sales of the day, at once."""
    split = split_of(payment)  # `payment` as it was before this refund: its refunds so far
    returned = books.returned_share(split, payment.refunded_cents + cents) - \
        books.returned_share(split, payment.refunded_cents)
    for _ in range(5):  # a download or a shipment changing the order meanwhile: read it again
        order = desk.orders.get(_order_id_of(payment))
        if order is None:
            return
        after = order.with_changes(refunded_cents=min(order.total_cents, order.refunded_cents + cents))
        if desk.sales.record_refund(order, after, day=utc_day(now), cents=cents, returned_cents=returned):
            return
    logger().error("refund not counted on its order", extra={"payment_id": payment.payment_id})


def refund_order(*, order_id: str, seller_id: str, amount_cents: object, reason: object, desk: StoreDesk,
                 now: int) -> Order:
    """The seller gives money back, all or part of what is left of the order, through PayPal;
    the buyer is told. Asking again for the same step is the same refund (PayPal-Request-Id)."""
    order = _order_for(order_id, seller_id, desk)
    rules.check_seller(order, seller_id)
    if not order.paid:
        raise rules.OrderClosed("Only a paid order can be refunded.")
    left = order.total_cents - order.refunded_cents
    if not is_cents(amount_cents) or not 1 <= amount_cents <= left:  # type: ignore[operator]
        raise InvalidInput(f"Refund whole cents from 1 to {left}.", field="amount_cents")
    note = check_text(reason, field="reason", label="A reason", minimum=3, maximum=500)
    payment = desk.payments.payments.get(order.payment_id)
    if payment is None or payment.capture_id is None:
        raise rules.OrderClosed("This order's payment was not captured.")
    refund = refund_part(payment=payment, amount_cents=amount_cents, reason=note, desk=desk.payments, now=now,
                         request_id=f"store-refund-{order.order_id}-{order.refunded_cents}")
    if refund.status == "COMPLETED":
        tell(desk, order.buyer_id, "payment_refunded", reason=note, amount_cents=refund.amount_cents)
    return desk.orders.get(order.order_id) or order


def _order_waits(payment: Payment, now: int, *, desk: StoreDesk) -> bool:
    order = desk.orders.get(_order_id_of(payment))
    return order is not None and order.state is OrderState.RESERVED


def _order_failed(payment: Payment, now: int, *, desk: StoreDesk) -> None:
    order = desk.orders.get(_order_id_of(payment))
    if order is not None and order.state is OrderState.RESERVED:
        desk.orders.cancel(order, rules.cancelled(order, reason="The payment did not go through."))


def _ship_to(payment: Payment, desk: StoreDesk) -> dict | None:
    """The address the buyer chose at PayPal; None if PayPal cannot say now (the order is paid
    all the same: the money is in, and the seller sees the address missing and can ask)."""
    try:
        with paypal_errors():
            address = desk.payments.gateway.get_order(payment.order_id).shipping
    except DomainError as unavailable:
        logger().warning("shipping address not read", extra={"payment_id": payment.payment_id,
                                                              "error": unavailable.message})
        return None
    if address is None:
        return None
    return {"full_name": address.full_name, "address_line_1": address.address_line_1,
            "address_line_2": address.address_line_2, "admin_area_2": address.admin_area_2,
            "admin_area_1": address.admin_area_1, "postal_code": address.postal_code,
            "country_code": address.country_code}


def _deliver_order(payment: Payment, now: int, first: bool, *, desk: StoreDesk) -> None:
    """The order is paid: the sale counted with it, once; the buyer's receipt and the seller's
    news. An order whose reservation ran out before the money arrived is refunded whole."""
    order = desk.orders.get(_order_id_of(payment))
    if order is None:
        return
    if order.state is OrderState.CANCELLED:
        refund_in_full(payment=payment, desk=desk.payments, now=now,
                       reason="Your reservation ran out before the payment arrived, so it was refunded in full.")
        return
    if order.state is not OrderState.RESERVED:
        return  # delivered before (a retry)
    paid = rules.paid(order, now=now, ship_to=_ship_to(payment, desk) if order.ships else None)
    _record_sale(order, paid, payment.amount_cents - (payment.helper_cents or 0), desk, now)


def _record_sale(order: Order, paid: Order, fee_cents: int, desk: StoreDesk, now: int) -> None:
    """Counts the sale with the order marked paid, at once (so exactly once), then tells both."""
    weights = {slug: sum(line.line_cents for line in order.lines if line.slug == slug)
               for slug in rules.stock_taken(order.lines)}
    if not desk.sales.record_sale(order, day=utc_day(now), fees=rules.shares(fee_cents, weights), paid=paid):
        return
    tell_each(desk, (order.buyer_id, "order_receipt", {"order": order_view(paid, as_seller=False),
                                                       "library_url": "/library.html"}),
              (order.seller_id, "order_received", {"order": order_view(paid, as_seller=True),
                                                   "orders_url": "/my-orders.html"}))


def expire_reservations(*, desk: StoreDesk, now: int, limit: int = 100) -> int:
    """Unpaid orders whose reservation ran out give their stock back; their payment is voided
    first, so a buyer approving at PayPal afterwards is never charged. An order whose money did
    arrive is delivered instead. Returns how many gave their stock back."""
    expired = 0
    for order in desk.orders.expired(now, limit=limit):
        # The money may have arrived with the order not marked paid (a crash between the two):
        # it is delivered then, and the order keeps its stock.
        if void_or_deliver(payment_id=order.payment_id, reason="The reservation ran out; nothing was charged.",
                           desk=desk.payments, now=now):
            continue
        if desk.orders.cancel(order, rules.cancelled(order, reason="The reservation ran out.")):
            expired += 1
    return expired


# -- after the sale ------------------------------------------------------------------------------

def _order_for(order_id: str, user_id: str, desk: StoreDesk) -> Order:
    order = desk.orders.get(order_id) if isinstance(order_id, str) else None
    if order is None or user_id not in (order.buyer_id, order.seller_id):
        raise NotFound("No such order.")
    return order


def get_order(*, order_id: str, user_id: str, desk: StoreDesk) -> dict:
    order = _order_for(order_id, user_id, desk)
    return order_view(order, as_seller=order.seller_id == user_id)


def library(*, buyer_id: str, desk: StoreDesk, now: int, after: dict | None = None,
            limit: int = PAGE_SIZE) -> tuple[list[dict], dict | None]:
    """The buyer's paid orders, newest first: who sold each (and where their store is), each
    digital line's files to download, and whether (until when) a refund may be asked for."""
    orders, more = desk.orders.for_buyer(buyer_id, limit=limit, after=after)
    sellers = desk.pages.get_many({order.seller_id for order in orders}) if orders else {}
    views = []
    for order in orders:
        view = order_view(order, as_seller=False)
        page = sellers.get(order.seller_id)
        view["seller"] = None if page is None else {
            "username": page.username, "display_name": page.display_name, "store_url": f"/h/{page.username}/store"}
        refusal = rules.refund_refusal(order, now=now, **_windows(desk))
        view["refund"] = {"may_ask": refusal is None, "why_not": None if refusal is None else refusal.message,
                          "until": rules.refund_request_closes_at(order, **_windows(desk))}
        digital = [line.slug for line in order.lines if line.kind is ProductKind.DIGITAL]
        products = desk.products.get_many(order.seller_id, digital) if digital and not order.refunded_cents else {}
        limit_left = desk.settings.download_limit
        view["files"] = [{"slug": slug, "file_id": f.file_id, "name": f.name, "size": f.size,
                          "downloads_left": max(0, limit_left - order.downloads.get(rules.download_key(slug, f.file_id), 0))}
                         for slug, product in products.items() for f in product.files]
        views.append(view)
    return views, more


def seller_orders(*, seller_id: str, desk: StoreDesk, state: str | None = None, after: dict | None = None,
                  limit: int = PAGE_SIZE) -> tuple[list[dict], dict | None]:
    wanted = None
    if state is not None:
        try:
            wanted = OrderState(state)
        except ValueError:
            raise InvalidInput("Unknown order state.", field="state") from None
    orders, more = desk.orders.for_seller(seller_id, limit=limit, after=after, state=wanted)
    return [order_view(order, as_seller=True) for order in orders], more


def ship(*, order_id: str, seller_id: str, carrier: object, tracking_number: object, carrier_name: object = "",
         desk: StoreDesk, now: int) -> Order:
    """The seller sent a physical order: the tracking number goes to PayPal (which tells the
    buyer too), the order is shipped, the buyer gets an email. Saying it twice changes nothing."""
    order = _order_for(order_id, seller_id, desk)
    rules.check_seller(order, seller_id)
    shipment = rules.check_shipment(carrier, tracking_number, carrier_name)
    if order.state is OrderState.SHIPPED and order.shipment == shipment:
        return order
    after = rules.shipped(order, shipment, now=now)
    payment = desk.payments.payments.get(order.payment_id)
    if payment is not None and payment.order_id and payment.capture_id:
        with paypal_errors():
            desk.payments.gateway.add_tracking(
                order_id=payment.order_id, capture_id=payment.capture_id, tracking_number=shipment.tracking_number,
                carrier=shipment.carrier, carrier_name_other=shipment.carrier_name or None,
                request_id=f"track-{order.order_id}-{shipment.tracking_number}"[:108])
    if not desk.orders.transition(order, after):
        raise Conflict("This order changed meanwhile; reload it.")
    tell(desk, order.buyer_id, "order_shipped", order=order_view(after, as_seller=False),
         orders_url="/library.html")
    return after


def mark_delivered(*, order_id: str, user_id: str, desk: StoreDesk, now: int) -> Order:
    """The buyer (or the seller) says the parcel arrived: the refund window starts, and the
    other one is told."""
    order = _order_for(order_id, user_id, desk)
    if order.state is OrderState.DELIVERED:
        return order
    after = rules.delivered(order, now=now)
    if not desk.orders.transition(order, after):
        raise Conflict("This order changed meanwhile; reload it.")
    by_buyer = user_id == order.buyer_id
    tell(desk, order.seller_id if by_buyer else order.buyer_id, "order_delivered",
         order=order_view(after, as_seller=by_buyer), by_buyer=by_buyer,
         refund_days=desk.settings.physical_refund_days,
         orders_url="/my-orders.html" if by_buyer else "/library.html")
    return after


def download(*, order_id: str, buyer_id: str, slug: str, file_id: str, desk: StoreDesk) -> str:
    """A short-lived link to a purchased file, counted against the purchase's limit; the file
    leaves the private bucket as an attachment of its checked type."""
    order = _order_for(order_id, buyer_id, desk)
    limit = desk.settings.download_limit
    key = rules.check_download(order, buyer_id=buyer_id, slug=slug, file_id=file_id, limit=limit)
    product = desk.products.get(order.seller_id, slug)
    stored = next((f for f in product.files if f.file_id == file_id), None) if product else None
    if stored is None:
        raise NotFound("That file is no longer available; ask the seller.")
    if not desk.orders.count_download(order, key, limit=limit):
        raise rules.DownloadLimitReached(f"This file was downloaded {limit} times, the most a purchase allows.")
    return desk.files.download_url(stored.key, filename=stored.name, content_type=stored.content_type,
                                   seconds=desk.settings.download_link_seconds)


def earnings_hold(desk: StoreDesk) -> Callable[[Payment], int | None]:
    """When a store sale's earnings may be released (services.payouts registers it by kind)."""
    def closes(payment: Payment) -> int | None:
        order = desk.orders.get(_order_id_of(payment))
        if order is None:  # not one of the store's orders: counted from the capture
            return payment.captured_at
        return rules.earnings_release_at(order, digital_hold_hours=desk.settings.digital_hold_hours,
                                         physical_hold_days=desk.settings.physical_hold_days)
    return closes
