"""A Helper's store in DynamoDB (tables/store.py): products with their stock, the words products
are found by, orders (a reservation and the stock it takes in one TransactWriteItems) and the
sales counted per day. The contracts and the in-memory twins are in `adapters/store.py`.

Stock lives in the product's `stock` map, one entry per limited variant, moved only by
conditional `SET stock.<variant> = stock.<variant> -/+ n` (ADD is for top-level attributes), so
a seller's edit and a sale never overwrite each other.
"""
from __future__ import annotations

import zlib
from dataclasses import asdict
from typing import Any, Iterable, Mapping

from pynamodb.exceptions import PutError

from chalicelib.adapters.dynamo_writes import (
    ATTEMPTS,
    CONDITION_FAILED,
    Update,
    code,
    over_version,
    transact,
    written,
)
from chalicelib.adapters.store import SalesDay, StaleProduct
from chalicelib.adapters.tables.store import LISTED, OrderRecord, ProductRecord, ProductTermRecord, SalesRecord
from chalicelib.domain.search import partition_of
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
    stock_taken,
)

EXPIRY_SHARDS = 4  # reserved orders are spread over this many partitions of the expiry index
MAX_MATCHES_PER_TERM = 500


# -- records ---------------------------------------------------------------------------------

def _newest(created_at: int, key: str) -> str:
    return f"{created_at:012d}#{key}"


def _product_key(seller_id: str, slug: str) -> dict:
    return {"seller_id": {"S": seller_id}, "slug": {"S": slug}}


def _product_record(product: Product) -> ProductRecord:
    active = product.status is ProductStatus.ACTIVE
    return ProductRecord(
        product.seller_id, product.slug, title=product.title, description=product.description,
        description_html=product.description_html, summary=product.summary, kind=product.kind.value,
        hidden_note=product.hidden_note,
        status=product.status.value, category=product.category,
        variants=[{"variant_id": v.variant_id, "name": v.name, "sku": v.sku, "price_cents": v.price_cents}
                  for v in product.variants],
        stock={v.variant_id: v.stock for v in product.variants if v.stock is not None},
        images=list(product.images), files=[asdict(f) for f in product.files],
        created_at=product.created_at, updated_at=product.updated_at,
        newest=_newest(product.created_at, product.product_id),
        active_seller=product.seller_id if active else None, listed=LISTED if active else None,
        listed_category=product.category if active and product.category else None)


def _product(record: Any) -> Product:
    stock = record.stock.as_dict() if record.stock is not None else {}
    variants = tuple(Variant(variant_id=v["variant_id"], name=v["name"], sku=v["sku"],
                             price_cents=int(v["price_cents"]),
                             stock=int(stock[v["variant_id"]]) if v["variant_id"] in stock else None)
                     for v in record.variants)
    return Product(seller_id=record.seller_id, slug=record.slug, title=record.title,
                   description=record.description or "", kind=ProductKind(record.kind),
                   status=ProductStatus(record.status), variants=variants, created_at=int(record.created_at),
                   updated_at=int(record.updated_at), category=record.category,
                   images=tuple(record.images or ()),
                   files=tuple(ProductFile(file_id=f["file_id"], name=f["name"], content_type=f["content_type"],
                                           size=int(f["size"]), key=f["key"]) for f in record.files or ()),
                   description_html=record.description_html or "", summary=record.summary or "",
                   hidden_note=record.hidden_note)


def _products(seller_id: str, slugs: Iterable[str]) -> dict[str, Product]:
    """One seller's products by slug, as they are now (one consistent BatchGetItem)."""
    keys = [(seller_id, slug) for slug in dict.fromkeys(slugs)]
    return {record.slug: _product(record) for record in ProductRecord.batch_get(keys, consistent_read=True)}


def _order_key(order_id: str) -> dict:
    return {"order_id": {"S": order_id}}


def _expiry_shard(order_id: str) -> int:
    return zlib.crc32(order_id.encode()) % EXPIRY_SHARDS


def _order_record(order: Order) -> OrderRecord:
    paid = order.paid
    return OrderRecord(
        order.order_id, buyer_id=order.buyer_id, seller_id=order.seller_id,
        lines=[{**asdict(line), "kind": line.kind.value} for line in order.lines],
        items_cents=order.items_cents, shipping_cents=order.shipping_cents, currency=order.currency,
        state=order.state.value, created_at=order.created_at, reserved_until=order.reserved_until,
        payment_id=order.payment_id, version=order.version, paid_at=order.paid_at, shipped_at=order.shipped_at,
        delivered_at=order.delivered_at, shipment=asdict(order.shipment) if order.shipment else None,
        ship_to=dict(order.ship_to) if order.ship_to is not None else None,
        refunded_cents=order.refunded_cents, downloads=dict(order.downloads), closed_reason=order.closed_reason,
        newest=_newest(order.created_at, order.order_id),
        paid_buyer=order.buyer_id if paid else None, paid_seller=order.seller_id if paid else None,
        seller_state=f"{order.seller_id}#{order.state.value}" if paid else None,
        reserve_shard=_expiry_shard(order.order_id) if order.state is OrderState.RESERVED else None)


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


def _order(record: Any) -> Order:
    lines = tuple(OrderLine(slug=line["slug"], variant_id=line["variant_id"], title=line["title"],
                            variant_name=line["variant_name"], sku=line["sku"], kind=ProductKind(line["kind"]),
                            quantity=int(line["quantity"]), unit_cents=int(line["unit_cents"]))
                  for line in record.lines)
    downloads = record.downloads.as_dict() if record.downloads is not None else {}
    return Order(order_id=record.order_id, buyer_id=record.buyer_id, seller_id=record.seller_id, lines=lines,
                 items_cents=int(record.items_cents), shipping_cents=int(record.shipping_cents),
                 currency=record.currency, state=OrderState(record.state), created_at=int(record.created_at),
                 reserved_until=int(record.reserved_until), payment_id=record.payment_id,
                 version=int(record.version), paid_at=_number(record.paid_at),
                 shipped_at=_number(record.shipped_at), delivered_at=_number(record.delivered_at),
                 shipment=Shipment(**record.shipment) if record.shipment else None,
                 ship_to=record.ship_to, refunded_cents=int(record.refunded_cents or 0),
                 downloads={key: int(count) for key, count in downloads.items()},
                 closed_reason=record.closed_reason)


def _order_update(before: Order, after: Order) -> Update:
    """`after` written over `before` if it is still at its version; the download counters are
    left as they are (count_download moves them without a new version)."""
    update = Update(OrderRecord, _order_key(after.order_id)).replacing_with(_order_record(after),
                                                                           keep=("downloads",))
    downloads = update.name("downloads")
    update.sets.append(f"{downloads} = if_not_exists({downloads}, {update.value({'M': {}})})")
    update.conditions.append(f"{update.name('version')} = {update.number(before.version)}")
    return update


# -- products --------------------------------------------------------------------------------

def _page(model: Any, index: Any, hash_key: str, *, limit: int, after: dict | None,
          convert: Any) -> tuple[list, dict | None]:
    """A page of an index newest first, and the key to continue after when more follow (one item
    more is read to know, so the last page says it is the last, as the twins do)."""
    found = list(index.query(hash_key, scan_index_forward=False, limit=limit + 1, last_evaluated_key=after))
    page = found[:limit]
    if len(found) <= limit or not page:
        return [convert(record) for record in page], None
    names = {key["AttributeName"] for key in model._get_schema()["key_schema"] + index._get_schema()["key_schema"]}
    last = page[-1].serialize()
    return [convert(record) for record in page], {name: last[name] for name in names}


class DynamoProductStore:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # the tables' shared pynamodb Connection

    def create(self, product: Product) -> bool:
        try:
            _product_record(product).save(condition=ProductRecord.slug.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, seller_id: str, slug: str) -> Product | None:
        try:
            return _product(ProductRecord.get(seller_id, slug, consistent_read=True))
        except ProductRecord.DoesNotExist:
            return None

    def get_many(self, seller_id: str, slugs: Iterable[str]) -> dict[str, Product]:
        return _products(seller_id, slugs)

    def update(self, before: Product, after: Product) -> bool:
        update = Update(ProductRecord, _product_key(before.seller_id, before.slug)).replacing_with(
            _product_record(after), keep=("stock",))
        read = {v.variant_id: v.stock for v in before.variants}
        for variant in after.variants:
            is_new = variant.variant_id not in read
            if not is_new and read[variant.variant_id] == variant.stock:
                continue  # not the seller's change: sales keep taking it meanwhile
            if variant.stock is not None:
                update.sets.append(f"{update.name('stock', variant.variant_id)} = {update.number(variant.stock)}")
            elif not is_new:  # unlimited from now on (a name is made only when used: DynamoDB refuses others)
                update.removes.append(update.name("stock", variant.variant_id))
        kept = {v.variant_id for v in after.variants}
        update.removes += [update.name("stock", variant_id) for variant_id, stock in read.items()
                           if variant_id not in kept and stock is not None]
        update.conditions.append(f"{update.name('updated_at')} = {update.number(before.updated_at)}")
        return written(self._connection.client, update)

    def for_seller(self, seller_id: str, *, active_only: bool, limit: int,
                   after: dict | None = None) -> tuple[list[Product], dict | None]:
        index = ProductRecord.seller_active if active_only else ProductRecord.seller_newest
        return _page(ProductRecord, index, seller_id, limit=limit, after=after, convert=_product)

    def marketplace(self, *, category: str | None, limit: int,
                    after: dict | None = None) -> tuple[list[Product], dict | None]:
        if category is None:
            return _page(ProductRecord, ProductRecord.marketplace, LISTED, limit=limit, after=after,
                         convert=_product)
        return _page(ProductRecord, ProductRecord.category_newest, category, limit=limit, after=after,
                     convert=_product)


class DynamoProductSearch:
    def replace(self, product_id: str, old_terms: Iterable[str], new_terms: Iterable[str]) -> None:
        old, new = set(old_terms), set(new_terms)
        with ProductTermRecord.batch_write() as batch:
            for term in old - new:
                batch.delete(ProductTermRecord(partition_of(term), f"{term}#{product_id}"))
            for term in new:  # every one, as the twin: a term missing from `old` is written too
                batch.save(ProductTermRecord(partition_of(term), f"{term}#{product_id}", product_id=product_id))

    def matching(self, prefix: str) -> set[str]:
        """Products with a term starting with `prefix`: one Query on the prefix's partition."""
        records = ProductTermRecord.query(partition_of(prefix), ProductTermRecord.term_product.startswith(prefix),
                                          limit=MAX_MATCHES_PER_TERM)
        return {record.product_id for record in records}


# -- orders ----------------------------------------------------------------------------------

def _check_reservable(taken: Mapping[str, Mapping[str, int]], products: Mapping[str, Product],
                      seen: Mapping[str, int]) -> None:
    """What the twin checks before taking stock, in its order: each product there, active and as
    read, then enough units of each limited variant."""
    for slug, by_variant in taken.items():
        product = products.get(slug)
        if product is None or product.status is not ProductStatus.ACTIVE or \
                product.updated_at != seen.get(slug, product.updated_at):
            raise StaleProduct(slug)
        for variant in product.variants:
            wanted = by_variant.get(variant.variant_id, 0)
            if wanted and variant.stock is not None and variant.stock < wanted:
                raise SoldOut(f"Only {variant.stock} of {product.title} left.", field="lines")


def _taking(product: Product, by_variant: Mapping[str, int]) -> dict:
    """The transaction item taking an order's units of one product: each limited variant down by
    its quantity if that many are left, the product still active and as read (its `updated_at`)."""
    update = Update(ProductRecord, _product_key(product.seller_id, product.slug))
    update.conditions += [f"{update.name('status')} = {update.value({'S': ProductStatus.ACTIVE.value})}",
                          f"{update.name('updated_at')} = {update.number(product.updated_at)}"]
    for variant in product.variants:
        wanted = by_variant.get(variant.variant_id, 0)
        if wanted and variant.stock is not None:
            path, units = update.name("stock", variant.variant_id), update.number(wanted)
            update.sets.append(f"{path} = {path} - {units}")
            update.conditions.append(f"{path} >= {units}")
    return update.item(ReturnValuesOnConditionCheckFailure="ALL_OLD")


def _giving_back(product: Product, by_variant: Mapping[str, int]) -> dict | None:
    """The transaction item giving an order's units back to the variants still limited (if the
    seller made one unlimited or deleted it meanwhile, the condition fails and it is read again)."""
    update = Update(ProductRecord, _product_key(product.seller_id, product.slug))
    for variant in product.variants:
        units = by_variant.get(variant.variant_id, 0)
        if units and variant.stock is not None:
            path = update.name("stock", variant.variant_id)
            update.sets.append(f"{path} = {path} + {update.number(units)}")
            update.conditions.append(f"attribute_exists({path})")
    return update.item() if update.sets else None


class DynamoOrderStore:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # the tables' shared pynamodb Connection, for transactions

    def reserve(self, order: Order, *, seen: Mapping[str, int]) -> None:
        """As the contract says. The products are read first (to know which variants are limited;
        one that is not as `seen` is stale then), and the transaction is conditional on what was
        read; a product changed since, but not named in `seen`, is read again. Losing ATTEMPTS
        times to other writers of the same products is a StaleProduct: the caller reads again."""
        taken = stock_taken(order.lines)
        put = {"Put": {"TableName": OrderRecord.Meta.table_name, "Item": _order_record(order).serialize(),
                       "ConditionExpression": "attribute_not_exists(order_id)"}}
        for _ in range(ATTEMPTS):
            products = _products(order.seller_id, taken)
            _check_reservable(taken, products, seen)
            items = [put] + [_taking(products[slug], by_variant) for slug, by_variant in taken.items()]
            reasons = transact(self._connection.client, items)
            if reasons is None:
                return
            if code(reasons[0]) == CONDITION_FAILED:
                raise ValueError(f"order {order.order_id} exists")
            # Which condition failed says which error it is: the products as they were then.
            for slug, reason in zip(taken, reasons[1:]):
                if code(reason) == CONDITION_FAILED:
                    old = reason.get("Item")  # absent: the product is gone
                    products.pop(slug)
                    if old:
                        products[slug] = _product(ProductRecord.from_raw_data(old))
            _check_reservable(taken, products, seen)
        raise StaleProduct(", ".join(taken))

    def get(self, order_id: str) -> Order | None:
        try:
            return _order(OrderRecord.get(order_id, consistent_read=True))
        except OrderRecord.DoesNotExist:
            return None

    def transition(self, before: Order, after: Order) -> bool:
        return written(self._connection.client, _order_update(before, after))

    def cancel(self, before: Order, after: Order) -> bool:
        if before.state is not OrderState.RESERVED:
            return False
        taken = stock_taken(before.lines)
        for _ in range(ATTEMPTS):
            update = _order_update(before, after)
            update.conditions.append(f"{update.name('state')} = {update.value({'S': OrderState.RESERVED.value})}")
            products = _products(before.seller_id, taken)
            giving = [_giving_back(products[slug], by_variant) for slug, by_variant in taken.items()
                      if slug in products]
            reasons = transact(self._connection.client, [update.item()] + [item for item in giving if item])
            if reasons is None:
                return True
            if code(reasons[0]) == CONDITION_FAILED:
                return False
            # a product changed between the read and the write: read it again
        raise RuntimeError(f"order {before.order_id}: its products kept changing while it was cancelled")

    def expired(self, now: int, *, limit: int) -> list[Order]:
        due = [_order(record) for shard in range(EXPIRY_SHARDS)
               for record in OrderRecord.by_expiry.query(shard, OrderRecord.reserved_until <= now, limit=limit)]
        return sorted(due, key=lambda order: order.reserved_until)[:limit]

    def for_buyer(self, buyer_id: str, *, limit: int, after: dict | None = None) -> tuple[list[Order], dict | None]:
        return _page(OrderRecord, OrderRecord.buyer_paid, buyer_id, limit=limit, after=after, convert=_order)

    def for_seller(self, seller_id: str, *, limit: int, after: dict | None = None,
                   state: OrderState | None = None) -> tuple[list[Order], dict | None]:
        if state is None:
            return _page(OrderRecord, OrderRecord.seller_paid, seller_id, limit=limit, after=after, convert=_order)
        return _page(OrderRecord, OrderRecord.seller_in_state, f"{seller_id}#{state.value}", limit=limit,
                     after=after, convert=_order)

    def count_download(self, order: Order, key: str, *, limit: int) -> bool:
        if limit <= 0:
            return False
        update = Update(OrderRecord, _order_key(order.order_id))
        count = update.name("downloads", key)
        update.sets.append(f"{count} = if_not_exists({count}, {update.number(0)}) + {update.number(1)}")
        update.conditions += [f"attribute_exists({update.name('order_id')})",
                              f"attribute_not_exists({count}) OR {count} < {update.number(limit)}"]
        return written(self._connection.client, update)


# -- sales -----------------------------------------------------------------------------------

def _counting(seller_id: str, entry: str, **amounts: int) -> dict:
    """A transaction item adding `amounts` to a day's counters (the row made by the first)."""
    update = Update(SalesRecord, {"seller_id": {"S": seller_id}, "entry": {"S": entry}})
    update.adds += [f"{update.name(name)} {update.number(amount)}" for name, amount in amounts.items()]
    return update.item()


def _sales_day(record: Any) -> SalesDay:
    _, day, *slug = record.entry.split("#", 2)
    return SalesDay(seller_id=record.seller_id, day=day, slug=slug[0] if slug else None,
                    orders=int(record.orders or 0), units=int(record.units or 0),
                    gross_cents=int(record.gross_cents or 0), fee_cents=int(record.fee_cents or 0),
                    refunded_cents=int(record.refunded_cents or 0), returned_cents=int(record.returned_cents or 0),
                    views=int(record.views or 0))


def _rows_between(seller_id: str, low: str, high: str) -> list[SalesDay]:
    return [_sales_day(record) for record in
            SalesRecord.query(seller_id, SalesRecord.entry.between(low, high), consistent_read=True)]


class DynamoSalesBook:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # the tables' shared pynamodb Connection, for transactions

    def record_sale(self, order: Order, *, day: str, fees: Mapping[str, int], paid: Order) -> bool:
        items = [_order_update(order, paid).item()]
        seller = {"orders": 1, "units": sum(line.quantity for line in order.lines), "gross_cents": order.total_cents,
                  "fee_cents": sum(fees.values())}
        items += [_counting(order.seller_id, entry, **seller) for entry in (f"d#{day}", f"M#{day[:7]}")]
        for slug, by_variant in stock_taken(order.lines).items():
            product = {"orders": 1, "units": sum(by_variant.values()), "fee_cents": fees.get(slug, 0),
                       "gross_cents": sum(line.line_cents for line in order.lines if line.slug == slug)}
            items += [_counting(order.seller_id, entry, **product)
                      for entry in (f"p#{day}#{slug}", f"P#{day[:7]}#{slug}", f"Y#{day[:4]}#{slug}")]
        return over_version(self._connection.client, items)

    def record_refund(self, order: Order, after: Order, *, day: str, cents: int, returned_cents: int) -> bool:
        return over_version(self._connection.client, [_order_update(order, after).item()] + [
            _counting(order.seller_id, entry, refunded_cents=cents, returned_cents=returned_cents)
            for entry in (f"d#{day}", f"M#{day[:7]}")])

    def record_view(self, seller_id: str, slug: str, *, day: str) -> None:
        for entry in (f"p#{day}#{slug}", f"P#{day[:7]}#{slug}", f"Y#{day[:4]}#{slug}"):
            update = Update(SalesRecord, {"seller_id": {"S": seller_id}, "entry": {"S": entry}})
            update.adds.append(f"{update.name('views')} {update.number(1)}")
            self._connection.client.update_item(**update.params())

    # The seller's rows are "d#<day>" and "M#<month>"; a product's "p#<day>#<slug>", "P#<month>#<slug>"
    # and "Y#<year>#<slug>": a period of one kind is one Query between its first and last key ("~"
    # sorts after every character of a slug, so the last period's products are all inside).
    def days(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        return _rows_between(seller_id, f"d#{first}", f"d#{last}")

    def months(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        return _rows_between(seller_id, f"M#{first}", f"M#{last}")

    def product_days(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        return _rows_between(seller_id, f"p#{first}", f"p#{last}#~")

    def product_months(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        return _rows_between(seller_id, f"P#{first}", f"P#{last}#~")

    def product_years(self, seller_id: str, *, first: str, last: str) -> list[SalesDay]:
        return _rows_between(seller_id, f"Y#{first}", f"Y#{last}#~")
