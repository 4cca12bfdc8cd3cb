"""A Helper's store: products (their stock beside them, taken by reservations), the words
products are found by, orders, and the sales counted per seller and per product per day."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import index, register

LISTED = "active"  # the Marketplace's one partition value (`listed` is set only while active)


class ProductRecord(Model):
    """One product of one seller's store. The variants are JSON without their stock; `stock` maps
    a limited variant's id to the units left (a variant absent from it is unlimited), so a
    reservation takes units with a conditional update of that entry alone. The index attributes
    `active_seller`, `listed` and `listed_category` are set only while the product is active, so
    drafts and archived products leave the store page and the Marketplace."""

    class Meta:
        table_name = "products"

    seller_id = UnicodeAttribute(hash_key=True)
    slug = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    description_html = UnicodeAttribute(default="")
    summary = UnicodeAttribute(default="")
    hidden_note = UnicodeAttribute(null=True)  # ops hid it after a report (services/moderation.py)
    kind = UnicodeAttribute()
    status = UnicodeAttribute()
    category = UnicodeAttribute(null=True)
    variants = JSONAttribute()  # [{"variant_id", "name", "sku", "price_cents"}, ...] in the seller's order
    stock = MapAttribute(default=dict)  # {variant_id: units left}, limited variants only
    images = ListAttribute(of=UnicodeAttribute, default=list)
    files = JSONAttribute(default=list)  # [{"file_id", "name", "content_type", "size", "key"}, ...]
    created_at = NumberAttribute()
    updated_at = NumberAttribute()  # every edit and every reservation is conditional on it
    newest = UnicodeAttribute()  # "<created_at, 12 digits>#<seller_id>/<slug>"
    active_seller = UnicodeAttribute(null=True)  # the seller's id while active
    listed = UnicodeAttribute(null=True)  # LISTED while active
    listed_category = UnicodeAttribute(null=True)  # the help category while active, if one is chosen
    seller_newest = index("seller_newest", ("seller_id", UnicodeAttribute), ("newest", UnicodeAttribute))()
    seller_active = index("seller_active", ("active_seller", UnicodeAttribute), ("newest", UnicodeAttribute))()
    marketplace = index("marketplace", ("listed", UnicodeAttribute), ("newest", UnicodeAttribute))()
    category_newest = index("category_newest", ("listed_category", UnicodeAttribute),
                            ("newest", UnicodeAttribute))()


class ProductTermRecord(Model):
    """One word a product is found by; partition = the word's first two letters."""

    class Meta:
        table_name = "product_terms"

    partition = UnicodeAttribute(hash_key=True)
    term_product = UnicodeAttribute(range_key=True)  # "<term>#<seller_id>/<slug>"
    product_id = UnicodeAttribute()


class OrderRecord(Model):
    """One buyer's order from one store; every change is conditional on `version`, except the
    download counters, which only `downloads.<key>` updates touch. The index attributes are set
    for the order's state on every write: `paid_buyer`, `paid_seller` and `seller_state` once it
    is paid, `reserve_shard` only while it is reserved (the expiry sweep's Query per shard)."""

    class Meta:
        table_name = "orders"

    order_id = UnicodeAttribute(hash_key=True)
    buyer_id = UnicodeAttribute()
    seller_id = UnicodeAttribute()
    lines = JSONAttribute()  # [{"slug", "variant_id", "title", "variant_name", "sku", "kind", "quantity", ...}]
    items_cents = NumberAttribute()
    shipping_cents = NumberAttribute()
    currency = UnicodeAttribute()
    state = UnicodeAttribute()
    created_at = NumberAttribute()
    reserved_until = NumberAttribute()
    payment_id = UnicodeAttribute()
    version = NumberAttribute()
    paid_at = NumberAttribute(null=True)
    shipped_at = NumberAttribute(null=True)
    delivered_at = NumberAttribute(null=True)
    shipment = JSONAttribute(null=True)  # {"carrier", "tracking_number", "carrier_name"}
    ship_to = JSONAttribute(null=True)  # the address PayPal gave
    refunded_cents = NumberAttribute(default=0)
    downloads = MapAttribute(default=dict)  # {"<slug>/<file_id>": count}, always present
    closed_reason = UnicodeAttribute(null=True)
    newest = UnicodeAttribute()  # "<created_at, 12 digits>#<order_id>"
    paid_buyer = UnicodeAttribute(null=True)
    paid_seller = UnicodeAttribute(null=True)
    seller_state = UnicodeAttribute(null=True)  # "<seller_id>#<state>"
    reserve_shard = NumberAttribute(null=True)
    buyer_paid = index("buyer_paid", ("paid_buyer", UnicodeAttribute), ("newest", UnicodeAttribute))()
    seller_paid = index("seller_paid", ("paid_seller", UnicodeAttribute), ("newest", UnicodeAttribute))()
    seller_in_state = index("seller_in_state", ("seller_state", UnicodeAttribute), ("newest", UnicodeAttribute))()
    by_expiry = index("by_expiry", ("reserve_shard", NumberAttribute), ("reserved_until", NumberAttribute))()


class SalesRecord(Model):
    """A seller's sales on one UTC day (`d#<day>`) or one product's (`p#<day>#<slug>`), so a
    period of either is one Query; the counters change only by ADD."""

    class Meta:
        table_name = "sales"

    seller_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    orders = NumberAttribute(default=0)
    units = NumberAttribute(default=0)
    gross_cents = NumberAttribute(default=0)
    fee_cents = NumberAttribute(default=0)
    refunded_cents = NumberAttribute(default=0)  # given back to buyers
    returned_cents = NumberAttribute(default=0)  # of which the seller's share (the ledger's)
    views = NumberAttribute(default=0)


register(ProductRecord, ProductTermRecord, OrderRecord, SalesRecord)
