"""A Helper's store: its products (stock kept on the product, taken and given back with
conditional writes), orders (a reservation and its stock in one transaction), the words products
are found by, and the sales counted per seller and per product per day. DynamoDB in
`adapters/store_dynamo.py`; the in-memory twins here."""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Protocol

from chalicelib.domain.store import Order, OrderState, Product, ProductStatus, SoldOut, stock_taken


class StaleProduct(Exception):
    """A product changed after it was read (its `updated_at`): read it again and re-quote."""


class ProductStore(Protocol):
    def create(self, product: Product) -> bool:
        """Writes a new product; False when its seller has a product at that slug (nothing written)."""
        ...

    def get(self, seller_id: str, slug: str) -> Product | None: ...

    def get_many(self, seller_id: str, slugs: Iterable[str]) -> dict[str, Product]:
        """Products of one seller by slug (one BatchGetItem); absent ones are left out."""
        ...

    def update(self, before: Product, after: Product) -> bool:
        """Saves the seller's edit if the product is still as read (its `updated_at`), without
        writing the stock of a variant whose stock the edit did not change (sales keep taking
        it meanwhile); False when it changed meanwhile."""
        ...

    def for_seller(self, seller_id: str, *, active_only: bool, limit: int,
                   after: dict | None = None) -> tuple[list[Product], dict | None]:
        """A page of one seller's products, newest first (active ones only for the store
        page), and the key to continue after."""
        ...

    def marketplace(self, *, category: str | None, limit: int,
                    after: dict | None = None) -> tuple[list[Product], dict | None]:
        """A page of every seller's active products, newest first, in one help category or all."""
        ...


class ProductSearch(Protocol):
    def replace(self, product_id: str, old_terms: Iterable[str], new_terms: Iterable[str]) -> None: ...

    def matching(self, prefix: str) -> set[str]:
        """The ids (`<seller_id>/<slug>`) of products with a word starting with `prefix` (the
        service keeps only products on sale indexed)."""
        ...


class OrderStore(Protocol):
    def reserve(self, order: Order, *, seen: Mapping[str, int]) -> None:
        """Writes the new order and takes its stock from its products, at once: raises SoldOut
        when a variant has too few units left, StaleProduct when a product is no longer as read
        (`seen`: slug -> updated_at) or no longer active; nothing is written then."""
        ...

    def get(self, order_id: str) -> Order | None: ...

    def transition(self, before: Order, after: Order) -> bool:
        """Replaces `before` by `after` if it is still at `before.version`; False otherwise.
        The download counts are left as they are (only `count_download` moves them)."""
        ...

    def cancel(self, before: Order, after: Order) -> bool:
        """A reserved order cancelled (`after`) and its stock given back, at once; False when the
        order moved on meanwhile (nothing written)."""
        ...

    def expired(self, now: int, *, limit: int) -> list[Order]:
        """Reserved orders whose reservation ran out (a Query per shard of a sparse index)."""
        ...

    def for_buyer(self, buyer_id: str, *, limit: int, after: dict | None = None) -> tuple[list[Order], dict | None]:
        """A page of a buyer's paid (and later) orders, newest first."""
        ...

    def for_seller(self, seller_id: str, *, limit: int, after: dict | None = None,
                   state: OrderState | None = None) -> tuple[list[Order], dict | None]:
        """A page of a seller's paid (and later) orders, newest first, in one state or all."""
        ...

    def count_download(self, order: Order, key: str, *, limit: int) -> bool:
        """One more download of a file of the order if fewer than `limit` were made; False
        otherwise (nothing counted)."""
        ...


@dataclass(frozen=True)
class SalesDay:
    """A seller's sales on one day (the seller's own time zone is not known: UTC days) or one
    month (`day` is then "2026-12"), or one product's (`slug` set), also by year ("2026"). Cents are gross amounts paid,
    fees the platform's and PayPal's. Views are counted on the products' rows only."""

    seller_id: str
    day: str  # "2026-12-06", or "2026-12" for a month
    slug: str | None = None
    orders: int = 0
    units: int = 0
    gross_cents: int = 0
    fee_cents: int = 0  # the platform's fee and PayPal's fee the seller bore
    refunded_cents: int = 0  # given back to buyers
    returned_cents: int = 0  # of which the seller's share (what the ledger takes back from them)
    views: int = 0


class SalesBook(Protocol):
    def record_sale(self, order: Order, *, day: str, fees: Mapping[str, int], paid: Order) -> bool:
        """Marks `order` paid (`paid`, if it is still at `order.version`) and counts the sale in
        the seller's day and each product's day, at once; `fees` is the fee each product bore
        (by slug; they add up to the order's). False when it was marked before."""
        ...

    def record_refund(self, order: Order, after: Order, *, day: str, cents: int, returned_cents: int) -> bool:
        """Counts a refund of `cents` (of which `returned_cents` were the seller's share) in the
        seller's day and sets the order's refunded cents (`after`), at once; False when the order
        changed meanwhile."""
        ...

    def record_view(self, seller_id: str, slug: str, *, day: str) -> None:
        """One more view of a product page, on the product's day and month."""
        ...

    def days(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        """The seller's days from `first` to `last` (inclusive) with any sale or refund."""
        ...

    def months(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        """The seller's months ("2026-01") from `first` to `last` (inclusive), kept with the days."""
        ...

    def product_days(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        """Every product's days in the period, with any sale or view."""
        ...

    def product_months(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        """Every product's months in the period."""
        ...

    def product_years(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        """Every product's (calendar) years in the period ("2026")."""
        ...


# -- in-memory twins -------------------------------------------------------------------------

def _page(items: list, limit: int, after: dict | None, key) -> tuple[list, dict | None]:
    start = 0
    if after is not None:
        keys = [key(item) for item in items]
        start = keys.index(after["key"]) + 1 if after.get("key") in keys else len(items)
    page = items[start:start + limit]
    more = start + limit < len(items)
    return page, ({"key": key(page[-1])} if more and page else None)


def _newest(product: Product) -> tuple:
    return (product.created_at, product.product_id)  # sorted with reverse=True: as DynamoDB's index


class InMemoryProductStore:
    def __init__(self) -> None:
        self.products: dict[str, Product] = {}
        self.lock = threading.Lock()

    def create(self, product: Product) -> bool:
        with self.lock:
            if product.product_id in self.products:
                return False
            self.products[product.product_id] = product
            return True

    def get(self, seller_id: str, slug: str) -> Product | None:
        return self.products.get(f"{seller_id}/{slug}")

    def get_many(self, seller_id: str, slugs: Iterable[str]) -> dict[str, Product]:
        return {slug: p for slug in slugs if (p := self.get(seller_id, slug)) is not None}

    def update(self, before: Product, after: Product) -> bool:
        with self.lock:
            current = self.products.get(before.product_id)
            if current is None or current.updated_at != before.updated_at:
                return False
            stock_now = {v.variant_id: v.stock for v in current.variants}
            stock_read = {v.variant_id: v.stock for v in before.variants}
            variants = tuple(
                v if stock_read.get(v.variant_id, "new") != v.stock or v.variant_id not in stock_now
                else replace(v, stock=stock_now[v.variant_id])
                for v in after.variants)
            self.products[before.product_id] = replace(after, variants=variants)
            return True

    def for_seller(self, seller_id: str, *, active_only: bool, limit: int,
                   after: dict | None = None) -> tuple[list[Product], dict | None]:
        mine = sorted((p for p in self.products.values() if p.seller_id == seller_id
                       and (not active_only or p.status is ProductStatus.ACTIVE)), key=_newest, reverse=True)
        return _page(mine, limit, after, lambda p: p.product_id)

    def marketplace(self, *, category: str | None, limit: int,
                    after: dict | None = None) -> tuple[list[Product], dict | None]:
        shown = sorted((p for p in self.products.values() if p.status is ProductStatus.ACTIVE
                        and (category is None or p.category == category)), key=_newest, reverse=True)
        return _page(shown, limit, after, lambda p: p.product_id)

    def take(self, order: Order, seen: Mapping[str, int]) -> None:
        """The stock half of a reservation (OrderStore's twin calls it under its lock)."""
        taken = stock_taken(order.lines)
        for slug, by_variant in taken.items():
            product = self.get(order.seller_id, slug)
            if product is None or product.status is not ProductStatus.ACTIVE or \
                    product.updated_at != seen.get(slug, product.updated_at):
                raise StaleProduct(slug)
            for variant in product.variants:
                wanted = by_variant.get(variant.variant_id, 0)
                if wanted and variant.stock is not None and variant.stock < wanted:
                    raise SoldOut(f"Only {variant.stock} of {product.title} left.", field="lines")
        for slug, by_variant in taken.items():
            self._move(order.seller_id, slug, by_variant, sign=-1)

    def give_back(self, order: Order) -> None:
        for slug, by_variant in stock_taken(order.lines).items():
            self._move(order.seller_id, slug, by_variant, sign=1)

    def _move(self, seller_id: str, slug: str, by_variant: Mapping[str, int], *, sign: int) -> None:
        product = self.get(seller_id, slug)
        if product is None:
            return
        variants = tuple(replace(v, stock=v.stock + sign * by_variant.get(v.variant_id, 0))
                         if v.stock is not None else v for v in product.variants)
        self.products[product.product_id] = replace(product, variants=variants)


class InMemoryProductSearch:
    def __init__(self) -> None:
        self.terms: dict[str, set[str]] = {}

    def replace(self, product_id: str, old_terms: Iterable[str], new_terms: Iterable[str]) -> None:
        for term in set(old_terms) - set(new_terms):
            self.terms.get(term, set()).discard(product_id)
        for term in new_terms:
            self.terms.setdefault(term, set()).add(product_id)

    def matching(self, prefix: str) -> set[str]:
        return {p for term, products in self.terms.items() if term.startswith(prefix) for p in products}


def _order_newest(order: Order) -> tuple:
    return (order.created_at, order.order_id)  # sorted with reverse=True: as DynamoDB's index


class InMemoryOrderStore:
    def __init__(self, products: InMemoryProductStore) -> None:
        self.products = products
        self.orders: dict[str, Order] = {}

    @property
    def lock(self) -> threading.Lock:
        return self.products.lock  # one lock: a reservation and its stock change together

    def reserve(self, order: Order, *, seen: Mapping[str, int]) -> None:
        with self.lock:
            if order.order_id in self.orders:
                raise ValueError(f"order {order.order_id} exists")
            self.products.take(order, seen)
            self.orders[order.order_id] = order

    def get(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    def transition(self, before: Order, after: Order) -> bool:
        with self.lock:
            return self._swap(before, after)

    def _swap(self, before: Order, after: Order) -> bool:
        """Transitions never change the download counts (only `count_download` does)."""
        current = self.orders.get(before.order_id)
        if current is None or current.version != before.version:
            return False
        self.orders[before.order_id] = replace(after, downloads=current.downloads)
        return True

    def cancel(self, before: Order, after: Order) -> bool:
        with self.lock:
            if before.state is not OrderState.RESERVED or not self._swap(before, after):
                return False
            self.products.give_back(before)
            return True

    def expired(self, now: int, *, limit: int) -> list[Order]:
        due = [o for o in self.orders.values() if o.state is OrderState.RESERVED and o.reserved_until <= now]
        return sorted(due, key=lambda o: o.reserved_until)[:limit]

    def for_buyer(self, buyer_id: str, *, limit: int, after: dict | None = None) -> tuple[list[Order], dict | None]:
        mine = sorted((o for o in self.orders.values() if o.buyer_id == buyer_id and o.paid), key=_order_newest,
                      reverse=True)
        return _page(mine, limit, after, lambda o: o.order_id)

    def for_seller(self, seller_id: str, *, limit: int, after: dict | None = None,
                   state: OrderState | None = None) -> tuple[list[Order], dict | None]:
        mine = sorted((o for o in self.orders.values() if o.seller_id == seller_id and o.paid
                       and (state is None or o.state is state)), key=_order_newest, reverse=True)
        return _page(mine, limit, after, lambda o: o.order_id)

    def count_download(self, order: Order, key: str, *, limit: int) -> bool:
        with self.lock:
            current = self.orders.get(order.order_id)
            if current is None or current.downloads.get(key, 0) >= limit:
                return False
            self.orders[order.order_id] = replace(current, downloads={**current.downloads,
                                                                      key: current.downloads.get(key, 0) + 1})
            return True


class InMemorySalesBook:
    def __init__(self, orders: InMemoryOrderStore) -> None:
        self.orders = orders
        self.rows: dict[tuple[str, str, str | None], SalesDay] = {}

    def _add(self, seller_id: str, day: str, slug: str | None, **amounts: int) -> None:
        row = self.rows.get((seller_id, day, slug)) or SalesDay(seller_id=seller_id, day=day, slug=slug)
        self.rows[(seller_id, day, slug)] = replace(row, **{k: getattr(row, k) + v for k, v in amounts.items()})

    def record_sale(self, order: Order, *, day: str, fees: Mapping[str, int], paid: Order) -> bool:
        with self.orders.lock:
            if not self.orders._swap(order, paid):
                return False
            for when in (day, day[:7], day[:4]):
                if len(when) > 4:  # the seller's days and months (a product's years too)
                    self._add(order.seller_id, when, None, orders=1, gross_cents=order.total_cents,
                              units=sum(line.quantity for line in order.lines), fee_cents=sum(fees.values()))
                for slug, by_variant in stock_taken(order.lines).items():
                    self._add(order.seller_id, when, slug, orders=1, units=sum(by_variant.values()),
                              gross_cents=sum(line.line_cents for line in order.lines if line.slug == slug),
                              fee_cents=fees.get(slug, 0))
            return True

    def record_refund(self, order: Order, after: Order, *, day: str, cents: int, returned_cents: int) -> bool:
        with self.orders.lock:
            if not self.orders._swap(order, after):
                return False
            for when in (day, day[:7]):
                self._add(order.seller_id, when, None, refunded_cents=cents, returned_cents=returned_cents)
            return True

    def record_view(self, seller_id: str, slug: str, *, day: str) -> None:
        with self.orders.lock:
            for when in (day, day[:7], day[:4]):
                self._add(seller_id, when, slug, views=1)

    def _rows(self, seller_id: str, first: str, last: str, *, products: bool, length: int) -> list[SalesDay]:
        return sorted((r for (s, d, slug), r in self.rows.items() if s == seller_id and len(d) == length
                       and (slug is not None) == products and first <= d <= last),
                      key=lambda r: (r.day, r.slug or ""))

    def days(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        return self._rows(seller_id, first, last, products=False, length=10)

    def months(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        return self._rows(seller_id, first, last, products=False, length=7)

    def product_days(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        return self._rows(seller_id, first, last, products=True, length=10)

    def product_months(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        return self._rows(seller_id, first, last, products=True, length=7)

    def product_years(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        return self._rows(seller_id, first, last, products=True, length=4)
