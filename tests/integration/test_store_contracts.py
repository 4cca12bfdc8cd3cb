"""Contract tests for the store's products, orders, search words and sales counters: the in-memory
twins and DynamoDB (moto over HTTP) pass the same tests — a slug taken once, a seller's edit that
keeps the units sold meanwhile, listings paged newest first, a reservation and its stock written
at once or not at all (one winner of ten for the last unit), stock given back once, the expiry
sweep, transitions over the version read, downloads up to the limit, and each sale, refund and
view counted once in the seller's and the product's day."""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.adapters.store import (
    InMemoryOrderStore,
    InMemoryProductSearch,
    InMemoryProductStore,
    InMemorySalesBook,
    SalesDay,
    StaleProduct,
)
from chalicelib.domain.store import (
    Order,
    OrderLine,
    OrderState,
    Product,
    ProductFile,
    ProductKind,
    ProductStatus,
    Shipment,
    SoldOut,
    Variant,
    cancelled,
    delivered,
    download_key,
    paid,
    shipped,
)
from tests.support.race import race as racing

pytestmark = pytest.mark.integration

T0 = 1_800_000_000
DAY = "2027-01-15"


@dataclass
class Store:
    products: Any
    orders: Any
    sales: Any
    search: Any


@pytest.fixture(params=["in-memory", "dynamodb"])
def store(request) -> Store:
    if request.param == "in-memory":
        products = InMemoryProductStore()
        orders = InMemoryOrderStore(products)
        return Store(products, orders, InMemorySalesBook(orders), InMemoryProductSearch())
    deps = request.getfixturevalue("app_env")
    return Store(deps.product_store(), deps.order_store(), deps.sales_book(), deps.product_search())


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def product(seller_id: str, *, stock: tuple = (5, None), status: ProductStatus = ProductStatus.ACTIVE,
            kind: ProductKind = ProductKind.PHYSICAL, created_at: int = T0, category: str | None = None) -> Product:
    """A product whose variants v0, v1, ... have the given stock (None: unlimited)."""
    variants = tuple(Variant(variant_id=f"v{n}", name=f"Size {n}", sku=f"SKU-{n}", price_cents=1000 + 100 * n,
                             stock=units) for n, units in enumerate(stock))
    files = (ProductFile("f1", "Guide.pdf", "application/pdf", 1234, "files/f1.pdf"),) \
        if kind is ProductKind.DIGITAL else ()
    return Product(seller_id=seller_id, slug=unique("p"), title="Desk lamp", description="A *lamp*.", kind=kind,
                   status=status, variants=variants, created_at=created_at, updated_at=created_at,
                   category=category, images=("uploads/a.jpg", "uploads/b.png"), files=files,
                   description_html="<p>A <em>lamp</em>.</p>", summary="A lamp.")


def order_of(*wanted: tuple[Product, str, int], buyer_id: str = "buyer", created_at: int = T0,
             reserved_until: int | None = None) -> Order:
    """A reserved order of (product, variant id, quantity) lines, priced at the products' prices."""
    lines = tuple(OrderLine(slug=p.slug, variant_id=v, title=p.title, variant_name=p.variant(v).name,
                            sku=p.variant(v).sku, kind=p.kind, quantity=q, unit_cents=p.variant(v).price_cents)
                  for p, v, q in wanted)
    ships = any(line.kind is ProductKind.PHYSICAL for line in lines)
    return Order(order_id=unique("o"), buyer_id=buyer_id, seller_id=wanted[0][0].seller_id, lines=lines,
                 items_cents=sum(line.line_cents for line in lines), shipping_cents=500 if ships else 0,
                 currency="USD", state=OrderState.RESERVED, created_at=created_at,
                 reserved_until=created_at + 1800 if reserved_until is None else reserved_until,
                 payment_id=unique("pay"), ship_to={"name": "Ann Lee", "city": "Austin", "country": "US"})


def stock_of(store: Store, item: Product) -> dict[str, int | None]:
    return {v.variant_id: v.stock for v in store.products.get(item.seller_id, item.slug).variants}


def every(page) -> list:
    """Every item of a paged listing: `page(after)` until it says there is no more."""
    found, after = [], None
    while True:
        items, after = page(after)
        found += items
        if after is None:
            return found


def placed(store: Store, *wanted: tuple[Product, str, int], **fields) -> Order:
    order = order_of(*wanted, **fields)
    store.orders.reserve(order, seen={p.slug: p.updated_at for p, _, _ in wanted})
    return order


# -- products --------------------------------------------------------------------------------

def test_a_slug_is_taken_once_and_a_product_reads_back_as_written(store):
    seller = unique("s")
    lamp = product(seller, stock=(5, None, 0), category="lighting")
    assert store.products.create(lamp) is True
    assert store.products.create(lamp.with_changes(title="Another lamp")) is False
    assert store.products.get(seller, lamp.slug) == lamp
    guide = product(seller, stock=(None,), kind=ProductKind.DIGITAL, status=ProductStatus.DRAFT)
    store.products.create(guide)
    assert store.products.get(seller, guide.slug) == guide
    assert store.products.get_many(seller, [lamp.slug, "no-such-product", guide.slug]) == \
        {lamp.slug: lamp, guide.slug: guide}
    assert store.products.get(seller, "no-such-product") is None
    assert store.products.get(unique("s"), lamp.slug) is None


def test_an_edit_keeps_the_units_sold_meanwhile_and_sets_only_the_stock_it_changed(store):
    seller = unique("s")
    lamp = product(seller, stock=(5, 3, None))
    store.products.create(lamp)
    read = store.products.get(seller, lamp.slug)
    placed(store, (lamp, "v0", 2))  # a sale after the seller opened the editor

    v0, v1, v2 = read.variants
    edited = read.with_changes(title="Desk lamp, brass", updated_at=T0 + 60,
                               variants=(v0, Variant("v1", "Size 1", "SKU-1", 1200, stock=10), v2,
                                         Variant("v3", "Size 3", "SKU-3", 900, stock=4)))
    assert store.products.update(read, edited) is True
    assert store.products.update(read, edited.with_changes(title="Lost")) is False  # read before the edit
    now = store.products.get(seller, lamp.slug)
    assert now.title == "Desk lamp, brass" and now.variant("v1").price_cents == 1200
    assert stock_of(store, lamp) == {"v0": 3, "v1": 10, "v2": None, "v3": 4}

    fewer = now.with_changes(updated_at=T0 + 120, variants=(
        Variant("v0", "Size 0", "SKU-0", 1000, stock=None), now.variant("v2"), now.variant("v3")))
    assert store.products.update(now, fewer) is True  # v0 unlimited from now on, v1 deleted
    assert store.products.get(seller, lamp.slug) == fewer
    placed(store, (fewer, "v0", 50))  # unlimited: nothing taken
    assert stock_of(store, lamp) == {"v0": None, "v2": None, "v3": 4}


def test_an_edit_that_swaps_every_variant_for_a_new_unlimited_one_is_written(store):
    guide = product(unique("s"), stock=(None,), kind=ProductKind.DIGITAL)
    store.products.create(guide)
    fresh = Variant(variant_id="v9", name="", sku="", price_cents=0, stock=None)
    edited = guide.with_changes(variants=(fresh,), updated_at=guide.updated_at + 1)
    assert store.products.update(guide, edited) is True
    assert store.products.get(guide.seller_id, guide.slug).variants == (fresh,)


def test_a_sellers_products_are_listed_newest_first_in_pages_and_only_active_ones_on_the_store_page(store):
    seller = unique("s")
    statuses = [ProductStatus.ACTIVE, ProductStatus.DRAFT, ProductStatus.ACTIVE, ProductStatus.ARCHIVED,
                ProductStatus.ACTIVE]
    made = [product(seller, status=status, created_at=T0 + n) for n, status in enumerate(statuses)]
    for item in made:
        store.products.create(item)

    def listed(active_only, limit):
        return [p.slug for p in every(lambda after: store.products.for_seller(
            seller, active_only=active_only, limit=limit, after=after))]

    newest_first = list(reversed(made))
    assert listed(False, 2) == [p.slug for p in newest_first]
    assert listed(True, 2) == [p.slug for p in newest_first if p.status is ProductStatus.ACTIVE]
    assert listed(True, 3) == [p.slug for p in newest_first if p.status is ProductStatus.ACTIVE]  # one full page

    withdrawn = made[4]
    store.products.update(withdrawn, withdrawn.with_changes(status=ProductStatus.DRAFT, updated_at=T0 + 99))
    assert listed(True, 10) == [made[2].slug, made[0].slug]
    assert listed(False, 10) == [p.slug for p in newest_first]
    assert store.products.for_seller(unique("nobody"), active_only=False, limit=5) == ([], None)


def test_the_marketplace_lists_every_sellers_active_products_newest_first_in_one_category_or_all(store):
    category = unique("cat")
    first, second = unique("s"), unique("s")
    made = [product(first, created_at=T0 + 1, category=category),
            product(second, created_at=T0 + 2, category=category),
            product(first, created_at=T0 + 3, category=None),
            product(second, created_at=T0 + 4, category=category, status=ProductStatus.DRAFT),
            product(first, created_at=T0 + 5, category=category)]
    for item in made:
        store.products.create(item)

    def listed(category, limit):
        return [p.product_id for p in every(lambda after: store.products.marketplace(
            category=category, limit=limit, after=after))]

    assert listed(category, 2) == [made[4].product_id, made[1].product_id, made[0].product_id]
    everywhere = [pid for pid in listed(None, 50) if pid.split("/")[0] in (first, second)]
    assert everywhere == [made[4].product_id, made[2].product_id, made[1].product_id, made[0].product_id]

    archived = made[1].with_changes(status=ProductStatus.ARCHIVED, updated_at=T0 + 60)
    store.products.update(made[1], archived)
    assert listed(category, 10) == [made[4].product_id, made[0].product_id]
    uncategorised = made[4].with_changes(category=None, updated_at=T0 + 60)
    store.products.update(made[4], uncategorised)
    assert listed(category, 10) == [made[0].product_id]
    assert store.products.marketplace(category=unique("none"), limit=5) == ([], None)


# -- reservations ----------------------------------------------------------------------------

def test_a_reservation_writes_the_order_and_takes_the_stock_of_limited_variants_only(store):
    seller = unique("s")
    lamp, shade = product(seller, stock=(5, None)), product(seller, stock=(2,))
    store.products.create(lamp)
    store.products.create(shade)
    order = placed(store, (lamp, "v0", 2), (lamp, "v1", 3), (shade, "v0", 2))
    assert store.orders.get(order.order_id) == order
    assert stock_of(store, lamp) == {"v0": 3, "v1": None}
    assert stock_of(store, shade) == {"v0": 0}
    assert store.products.get(seller, lamp.slug).updated_at == lamp.updated_at  # a sale is not an edit
    again = placed(store, (lamp, "v0", 1))
    with pytest.raises(ValueError):
        store.orders.reserve(again, seen={lamp.slug: lamp.updated_at})  # the same order twice
    assert stock_of(store, lamp) == {"v0": 2, "v1": None}
    assert store.orders.get("no-such-order") is None


def test_a_sold_out_variant_reserves_nothing(store):
    seller = unique("s")
    lamp, shade = product(seller, stock=(5,)), product(seller, stock=(1,))
    store.products.create(lamp)
    store.products.create(shade)
    order = order_of((lamp, "v0", 2), (shade, "v0", 2))
    with pytest.raises(SoldOut):
        store.orders.reserve(order, seen={lamp.slug: lamp.updated_at, shade.slug: shade.updated_at})
    assert store.orders.get(order.order_id) is None
    assert (stock_of(store, lamp), stock_of(store, shade)) == ({"v0": 5}, {"v0": 1})


def test_a_product_changed_or_withdrawn_since_it_was_read_reserves_nothing(store):
    seller = unique("s")
    lamp, shade = product(seller, stock=(5,)), product(seller, stock=(5,))
    store.products.create(lamp)
    store.products.create(shade)
    repriced = lamp.with_changes(updated_at=T0 + 60)
    store.products.update(lamp, repriced)
    order = order_of((shade, "v0", 1), (lamp, "v0", 1))
    with pytest.raises(StaleProduct):
        store.orders.reserve(order, seen={lamp.slug: lamp.updated_at, shade.slug: shade.updated_at})
    store.products.update(repriced, repriced.with_changes(status=ProductStatus.ARCHIVED, updated_at=T0 + 120))
    with pytest.raises(StaleProduct):
        store.orders.reserve(order, seen={lamp.slug: T0 + 120, shade.slug: shade.updated_at})
    gone = order_of((shade, "v0", 1), (product(seller), "v0", 1))  # never created
    with pytest.raises(StaleProduct):
        store.orders.reserve(gone, seen={})
    assert store.orders.get(order.order_id) is None and store.orders.get(gone.order_id) is None
    assert (stock_of(store, lamp), stock_of(store, shade)) == ({"v0": 5}, {"v0": 5})


def race(moves: list) -> list:
    return racing(moves, who="buyer")


def ten_buyers_for_the_last_unit(store: Store) -> None:
    seller = unique("s")
    lamp = product(seller, stock=(1,))
    store.products.create(lamp)
    orders = [order_of((lamp, "v0", 1), buyer_id=f"buyer{n}") for n in range(10)]
    outcomes = race([lambda order=order: store.orders.reserve(order, seen={lamp.slug: lamp.updated_at})
                     for order in orders])
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, SoldOut):
            raise outcome
    assert sum(outcome is None for outcome in outcomes) == 1, outcomes
    assert sum(store.orders.get(order.order_id) is not None for order in orders) == 1
    assert stock_of(store, lamp) == {"v0": 0}


def test_ten_buyers_racing_for_the_last_unit_leave_one_order_and_no_stock(store):
    store.orders.get("warm-up")  # the client is built once, before the threads share it
    ten_buyers_for_the_last_unit(store)


def test_a_cancelled_reservation_gives_its_stock_back_once(store):
    seller = unique("s")
    lamp = product(seller, stock=(5, 4, None))
    store.products.create(lamp)
    order = placed(store, (lamp, "v0", 2), (lamp, "v1", 3), (lamp, "v2", 1))
    assert stock_of(store, lamp) == {"v0": 3, "v1": 1, "v2": None}
    given_up = cancelled(order, reason="expired")
    assert store.orders.cancel(order, given_up) is True
    assert stock_of(store, lamp) == {"v0": 5, "v1": 4, "v2": None}
    assert store.orders.cancel(order, given_up) is False  # a second sweep
    assert stock_of(store, lamp) == {"v0": 5, "v1": 4, "v2": None}
    assert store.orders.get(order.order_id) == given_up


def test_a_cancellation_gives_back_only_to_variants_still_limited(store):
    seller = unique("s")
    lamp = product(seller, stock=(5, 4, 3))
    store.products.create(lamp)
    order = placed(store, (lamp, "v0", 2), (lamp, "v1", 3), (lamp, "v2", 1))
    read = store.products.get(seller, lamp.slug)
    edited = read.with_changes(updated_at=T0 + 60, variants=(
        read.variant("v0"), Variant("v1", "Size 1", "SKU-1", 1100, stock=None)))  # v1 unlimited, v2 deleted
    assert store.products.update(read, edited) is True
    assert store.orders.cancel(order, cancelled(order, reason="payment_declined")) is True
    assert stock_of(store, lamp) == {"v0": 5, "v1": None}


def test_a_paid_order_is_not_cancelled_and_keeps_its_stock(store):
    seller = unique("s")
    lamp = product(seller, stock=(5,))
    store.products.create(lamp)
    order = placed(store, (lamp, "v0", 2))
    bought = paid(order, now=T0 + 60)
    assert store.orders.transition(order, bought) is True
    assert store.orders.cancel(order, cancelled(order, reason="expired")) is False
    assert store.orders.cancel(bought, bought.with_changes(state=OrderState.CANCELLED)) is False
    assert stock_of(store, lamp) == {"v0": 3}
    assert store.orders.get(order.order_id) == bought


def test_the_sweep_finds_reservations_that_ran_out_and_nothing_else(store):
    seller = unique("s")
    lamp = product(seller, stock=(None,))
    store.products.create(lamp)
    base = 3_000_000_000 + int(uuid.uuid4().int % 1_000_000) * 1000  # this test's own stretch of time
    due = [placed(store, (lamp, "v0", 1), reserved_until=base - n) for n in (30, 10, 20)]
    later = placed(store, (lamp, "v0", 1), reserved_until=base + 60)
    settled = placed(store, (lamp, "v0", 1), reserved_until=base - 5)
    store.orders.transition(settled, paid(settled, now=base - 100))
    dropped = placed(store, (lamp, "v0", 1), reserved_until=base - 5)
    store.orders.cancel(dropped, cancelled(dropped, reason="cancelled"))
    mine = {o.order_id for o in due + [later, settled, dropped]}

    found = [o for o in store.orders.expired(base, limit=1000) if o.order_id in mine]
    assert found == sorted(due, key=lambda o: o.reserved_until)
    assert [o.order_id for o in store.orders.expired(base + 60, limit=1000) if o.order_id in mine][-1] == \
        later.order_id


# -- after the reservation -------------------------------------------------------------------

def test_a_transition_is_written_only_over_the_version_read(store):
    seller = unique("s")
    lamp = product(seller)
    store.products.create(lamp)
    order = placed(store, (lamp, "v0", 1))
    bought = paid(order, now=T0 + 60)
    assert store.orders.transition(order, bought) is True
    assert store.orders.transition(order, cancelled(order, reason="expired")) is False  # read before paying
    sent = shipped(bought, Shipment("OTHER", "TRACK 123", carrier_name="Courier Co"), now=T0 + 3600)
    assert store.orders.transition(bought, sent) is True
    there = delivered(sent, now=T0 + 86400)
    assert store.orders.transition(sent, there) is True
    assert store.orders.get(order.order_id) == there
    assert store.orders.transition(order.with_changes(order_id=unique("o")), bought) is False  # no such order


def test_paid_orders_are_listed_for_the_buyer_and_the_seller_newest_first_and_by_state(store):
    seller, buyer = unique("s"), unique("b")
    lamp = product(seller)
    store.products.create(lamp)
    orders = [placed(store, (lamp, "v0", 1), buyer_id=buyer, created_at=T0 + n) for n in range(4)]
    bought = {o.order_id: paid(o, now=T0 + 100) for o in orders[:3]}  # the last one is never paid
    for order in orders[:3]:
        store.orders.transition(order, bought[order.order_id])
    sent = shipped(bought[orders[1].order_id], Shipment("UPS", "1Z999"), now=T0 + 200)
    store.orders.transition(bought[orders[1].order_id], sent)

    paid_newest_first = [orders[2].order_id, orders[1].order_id, orders[0].order_id]
    assert [o.order_id for o in every(lambda after: store.orders.for_buyer(buyer, limit=1, after=after))] == \
        paid_newest_first
    assert [o.order_id for o in every(lambda after: store.orders.for_seller(seller, limit=2, after=after))] == \
        paid_newest_first
    assert store.orders.for_seller(seller, limit=5, state=OrderState.SHIPPED) == ([sent], None)
    assert [o.order_id for o in store.orders.for_seller(seller, limit=5, state=OrderState.PAID)[0]] == \
        [orders[2].order_id, orders[0].order_id]
    assert store.orders.for_seller(seller, limit=5, state=OrderState.RESERVED) == ([], None)
    assert store.orders.for_buyer(unique("b"), limit=5) == ([], None)


def test_a_file_is_counted_on_each_download_until_the_limit(store):
    seller = unique("s")
    guide = product(seller, stock=(None,), kind=ProductKind.DIGITAL)
    store.products.create(guide)
    order = placed(store, (guide, "v0", 1))
    bought = paid(order, now=T0 + 60)
    store.orders.transition(order, bought)
    key, other = download_key(guide.slug, "f1"), download_key(guide.slug, "f2")
    assert [store.orders.count_download(bought, key, limit=2) for _ in range(3)] == [True, True, False]
    assert store.orders.count_download(bought, other, limit=2) is True
    assert store.orders.get(order.order_id).downloads == {key: 2, other: 1}
    assert store.orders.count_download(bought.with_changes(order_id=unique("o")), key, limit=2) is False


def test_a_sale_is_counted_once_in_the_sellers_and_each_products_day_as_the_order_is_marked_paid(store):
    seller = unique("s")
    lamp, shade = product(seller, stock=(5, None)), product(seller, stock=(None,))
    store.products.create(lamp)
    store.products.create(shade)
    order = placed(store, (lamp, "v0", 2), (lamp, "v1", 1), (shade, "v0", 3))
    bought = paid(order, now=T0 + 60)
    fees = {lamp.slug: 700, shade.slug: 350}
    assert store.sales.record_sale(order, day=DAY, fees=fees, paid=bought) is True
    assert store.sales.record_sale(order, day=DAY, fees=fees, paid=bought) is False  # PayPal's webhook again
    assert store.orders.get(order.order_id) == bought

    lamp_cents, shade_cents = 2 * 1000 + 1100, 3 * 1000
    assert store.sales.days(seller, first=DAY, last=DAY) == [
        SalesDay(seller, DAY, orders=1, units=6, gross_cents=lamp_cents + shade_cents + 500, fee_cents=1050)]
    assert sorted(store.sales.product_days(seller, first=DAY, last=DAY), key=lambda d: d.slug) == sorted([
        SalesDay(seller, DAY, slug=lamp.slug, orders=1, units=3, gross_cents=lamp_cents, fee_cents=700),
        SalesDay(seller, DAY, slug=shade.slug, orders=1, units=3, gross_cents=shade_cents, fee_cents=350)],
        key=lambda d: d.slug)
    assert sorted((d.slug, d.units) for d in store.sales.product_years(seller, first=DAY[:4], last=DAY[:4])) == \
        sorted([(lamp.slug, 3), (shade.slug, 3)])  # and each product's year
    month = DAY[:7]  # and in the month's counters, the same
    assert store.sales.months(seller, first=month, last=month) == [
        SalesDay(seller, month, orders=1, units=6, gross_cents=lamp_cents + shade_cents + 500, fee_cents=1050)]
    assert sorted((d.slug, d.gross_cents) for d in store.sales.product_months(seller, first=month, last=month)) == \
        sorted([(lamp.slug, lamp_cents), (shade.slug, shade_cents)])


def test_a_refund_is_counted_in_the_sellers_day_with_the_orders_refunded_cents(store):
    seller = unique("s")
    lamp = product(seller, stock=(None,))
    store.products.create(lamp)
    order = placed(store, (lamp, "v0", 1))
    bought = paid(order, now=T0 + 60)
    store.sales.record_sale(order, day="2027-01-15", fees={lamp.slug: 200}, paid=bought)
    refunded = bought.with_changes(refunded_cents=600)
    assert store.sales.record_refund(bought, refunded, day="2027-01-17", cents=600, returned_cents=480) is True
    assert store.sales.record_refund(bought, refunded.with_changes(refunded_cents=1500), day="2027-01-17",
                                     cents=900, returned_cents=720) is False  # read before the first refund
    assert store.orders.get(order.order_id) == refunded
    assert store.sales.days(seller, first="2027-01-16", last="2027-01-31") == [
        SalesDay(seller, "2027-01-17", refunded_cents=600, returned_cents=480)]


def test_views_are_counted_in_the_products_day_and_month_only(store):
    seller = unique("s")
    for day, slug in (("2027-01-15", "lamp"), ("2027-01-15", "lamp"), ("2027-01-15", "shade"),
                      ("2027-01-16", "lamp")):
        store.sales.record_view(seller, slug, day=day)
    assert store.sales.days(seller, first="2027-01-01", last="2027-01-31") == []
    assert store.sales.product_days(seller, first="2027-01-15", last="2027-01-16") == [
        SalesDay(seller, "2027-01-15", slug="lamp", views=2), SalesDay(seller, "2027-01-15", slug="shade", views=1),
        SalesDay(seller, "2027-01-16", slug="lamp", views=1)]
    assert store.sales.product_months(seller, first="2027-01", last="2027-01") == [
        SalesDay(seller, "2027-01", slug="lamp", views=3), SalesDay(seller, "2027-01", slug="shade", views=1)]


def test_a_period_holds_its_own_days_only_from_first_to_last_inclusive(store):
    seller = unique("s")
    for day in ("2027-01-31", "2027-02-01", "2027-02-14", "2027-02-28", "2027-03-01"):
        store.sales.record_view(seller, "lamp", day=day)
        store.sales.record_view(seller, "zz-top-shade", day=day)
    assert [d.day for d in store.sales.product_days(seller, first="2027-02-01", last="2027-02-28")
            if d.slug == "lamp"] == ["2027-02-01", "2027-02-14", "2027-02-28"]
    assert [(d.day, d.slug) for d in store.sales.product_months(seller, first="2027-02", last="2027-03")] == \
        [("2027-02", "lamp"), ("2027-02", "zz-top-shade"), ("2027-03", "lamp"), ("2027-03", "zz-top-shade")]
    assert [(d.day, d.slug) for d in store.sales.product_days(seller, first="2027-02-14", last="2027-02-28")] == \
        [("2027-02-14", "lamp"), ("2027-02-14", "zz-top-shade"), ("2027-02-28", "lamp"),
         ("2027-02-28", "zz-top-shade")]
    assert store.sales.days(unique("s"), first="2027-01-01", last="2027-12-31") == []


# -- search ----------------------------------------------------------------------------------

def test_a_product_is_found_by_the_start_of_its_words_and_no_longer_by_words_it_dropped(store):
    word = unique("zq")  # this test's own words: the index is shared
    lamp, shade = f"{unique('s')}/lamp", f"{unique('s')}/shade"
    store.search.replace(lamp, [], [f"{word}brass", f"{word}desk"])
    store.search.replace(shade, [], [f"{word}brass"])
    assert store.search.matching(f"{word}b") == {lamp, shade}
    assert store.search.matching(f"{word}desk") == {lamp}
    store.search.replace(lamp, [f"{word}brass", f"{word}desk"], [f"{word}desk", f"{word}copper"])
    assert store.search.matching(f"{word}b") == {shade}
    assert store.search.matching(f"{word}c") == {lamp}
    assert store.search.matching(f"{word}d") == {lamp}
    store.search.replace(shade, [f"{word}brass"], [])
    assert store.search.matching(f"{word}") == {lamp}


# -- DynamoDB only: the transaction's own conditions -----------------------------------------

@pytest.fixture
def dynamo(app_env) -> Store:
    return Store(app_env.product_store(), app_env.order_store(), app_env.sales_book(), app_env.product_search())


def read_before(monkeypatch, products: dict) -> None:
    """The reservation's read of the products answers as they were (`products`): what changed
    afterwards is left for the transaction's conditions to find."""
    from chalicelib.adapters import store_dynamo

    monkeypatch.setattr(store_dynamo, "_products", lambda seller_id, slugs: {s: products[s] for s in slugs})


def test_stock_sold_between_the_read_and_the_write_is_sold_out_and_nothing_is_written(dynamo, monkeypatch):
    seller = unique("s")
    lamp, shade = product(seller, stock=(3,)), product(seller, stock=(5,))
    dynamo.products.create(lamp)
    dynamo.products.create(shade)
    placed(dynamo, (lamp, "v0", 2))
    read_before(monkeypatch, {lamp.slug: lamp, shade.slug: shade})  # 3 of the lamp, as it was read
    order = order_of((shade, "v0", 1), (lamp, "v0", 2))
    with pytest.raises(SoldOut, match="Only 1 of Desk lamp left"):
        dynamo.orders.reserve(order, seen={lamp.slug: lamp.updated_at, shade.slug: shade.updated_at})
    assert dynamo.orders.get(order.order_id) is None
    assert (stock_of(dynamo, lamp), stock_of(dynamo, shade)) == ({"v0": 1}, {"v0": 5})


def test_a_product_edited_between_the_read_and_the_write_is_stale_and_nothing_is_written(dynamo, monkeypatch):
    seller = unique("s")
    lamp, shade = product(seller, stock=(3,)), product(seller, stock=(5,))
    dynamo.products.create(lamp)
    dynamo.products.create(shade)
    dynamo.products.update(shade, shade.with_changes(title="Shade, linen", updated_at=T0 + 60))
    read_before(monkeypatch, {lamp.slug: lamp, shade.slug: shade})
    order = order_of((lamp, "v0", 1), (shade, "v0", 1))
    with pytest.raises(StaleProduct):
        dynamo.orders.reserve(order, seen={lamp.slug: lamp.updated_at, shade.slug: shade.updated_at})
    assert dynamo.orders.get(order.order_id) is None
    assert (stock_of(dynamo, lamp), stock_of(dynamo, shade)) == ({"v0": 3}, {"v0": 5})


def test_ten_buyers_who_all_read_the_last_unit_before_any_writes_leave_one_order(dynamo, monkeypatch):
    from chalicelib.adapters import store_dynamo

    read, lined_up = store_dynamo._products, threading.Barrier(10, timeout=30)

    def read_then_wait(seller_id, slugs):
        products = read(seller_id, slugs)
        lined_up.wait()
        return products

    monkeypatch.setattr(store_dynamo, "_products", read_then_wait)
    dynamo.orders.get("warm-up")
    ten_buyers_for_the_last_unit(dynamo)
