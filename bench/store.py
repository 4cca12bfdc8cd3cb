"""The store's costs, printed by `make bench`:

1. Settling a store capture: `complete_payment` for an order (a physical and a digital line)
   whose buyer approved at PayPal — captured, posted to the ledger, the order paid with its sale
   counted, both parties emailed — on the local stack, counting DynamoDB requests by operation and
   the PayPal sandbox's requests. Target: at most 8 DynamoDB requests, no Scan.
2. A store page (the seller by username, their first 12 products on sale and their shipping
   rule, rendered) with 10 and with 1,000 products, and a year's Sales report with 100 and with 10,000 orders: the same DynamoDB
   requests for both sizes, and the time within 1.2x. Judged on dynalite, whose Query reads a
   key range up to its limit as DynamoDB does (moto walks the whole table on every Query, so its
   time grows with the table whatever the design; printed beside it).
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter

RUNS = 9
SAMPLES = 9
TARGET_SETTLE_REQUESTS = 8
TARGET_TIME_RATIO = 1.2
PRODUCTS = (10, 1_000)
ORDERS = (100, 10_000)


# -- 1. settling a capture --------------------------------------------------------------------------

def settle() -> dict:
    import requests

    from bench.dynamodb_requests import counting_dynamodb
    from bench.settle_capture import paying_stack, paypal_requests
    from chalicelib import deps
    from chalicelib.services.payments import complete_payment
    from tests.support.accounts import sign_up_and_in
    from tests.support.pages import become_helper, open_storefront
    from tests.support.payments import approve_in_sandbox
    from tests.support.store import create_product

    with paying_stack("ik-bench-store-") as endpoints:
        api = endpoints["api"]
        seller = become_helper(api, "benchseller")
        open_storefront(api, seller)
        buyer = sign_up_and_in(api, "benchbuyer")
        buyer_id = requests.get(f"{api}/me", headers=buyer.auth, timeout=30).json()["user_id"]
        mug = create_product(api, seller, title="Bench mug", kind="physical", status="active",
                             variants=[{"name": "Blue", "sku": "MUG", "price_cents": 1500, "stock": 10_000}])
        desk = deps.payment_desk()
        timings, runs, paypal_calls = [], [], []
        for run in range(RUNS + 1):  # the first run warms the process
            lines = [{"slug": mug["slug"], "variant_id": mug["variants"][0]["variant_id"], "quantity": 2}]
            bought = requests.post(f"{api}/checkout", headers=buyer.auth, timeout=30,
                                   json={"seller": seller.username, "lines": lines})
            assert bought.status_code == 201, bought.text
            payment = bought.json()["payment"]
            approve_in_sandbox(endpoints, payment)
            before = paypal_requests(endpoints["paypal"])
            with counting_dynamodb() as counts:
                started = time.perf_counter()
                settled = complete_payment(payment_id=payment["payment_id"], user_id=buyer_id, desk=desk,
                                           now=int(time.time()))
                elapsed = time.perf_counter() - started
            assert settled.state.value == "captured", settled
            if run:
                timings.append(elapsed)
                runs.append(Counter(counts))
                paypal_calls.append(paypal_requests(endpoints["paypal"]) - before)
    return {"ms": statistics.median(timings) * 1000, "requests": runs[-1], "paypal": max(paypal_calls),
            "steady": all(r == runs[-1] for r in runs)}


# -- 2. the same requests whatever the size -----------------------------------------------------------

def fill_store(seller_id: str, count: int) -> None:
    from chalicelib.adapters.store_dynamo import DynamoProductStore
    from chalicelib.domain.store import Product, ProductKind, ProductStatus, Variant

    store = DynamoProductStore(None)
    for n in range(count):
        store.create(Product(seller_id=seller_id, slug=f"product-{n:05d}", title=f"Product {n}",
                             description="A thing.", kind=ProductKind.PHYSICAL,
                             status=ProductStatus.ACTIVE if n % 10 else ProductStatus.DRAFT,
                             variants=(Variant("v1", "Standard", f"SKU-{n}", 1000 + n, 5),),
                             created_at=1_800_000_000 + n, updated_at=1_800_000_000 + n, summary="A thing."))


def fill_sales(seller_id: str, orders: int) -> None:
    """A year of sales: `orders` orders spread over the days of 2026 and 20 products, as the
    settlement transaction leaves the day counters."""
    from datetime import date, timedelta

    from chalicelib.adapters.tables.store import SalesRecord

    days: dict[str, Counter] = {}
    for n in range(orders):
        day = (date(2026, 1, 1) + timedelta(days=n * 365 // orders)).isoformat()  # spread over the year
        slug = f"product-{n % 20:05d}"
        for entry in (f"d#{day}", f"M#{day[:7]}", f"p#{day}#{slug}", f"P#{day[:7]}#{slug}", f"Y#{day[:4]}#{slug}"):
            counter = days.setdefault(entry, Counter())
            counter.update(orders=1, units=1 + n % 3, gross_cents=1500, fee_cents=300)
            if entry[0] in "pPY":
                counter.update(views=4)
    with SalesRecord.batch_write() as batch:
        for entry, counter in days.items():
            batch.save(SalesRecord(seller_id, entry, **counter))


def sizes(engine: str) -> dict:
    from bench.directory_page import ENGINES
    from bench.dynamodb_requests import counting_dynamodb
    from chalicelib.adapters.accounts import DynamoAccountStore
    from chalicelib.adapters.helper_pages import DynamoHelperPageStore
    from chalicelib.adapters.payments import DynamoStorefrontStore
    from chalicelib.adapters.store_dynamo import DynamoProductStore, DynamoSalesBook
    from chalicelib.adapters.tables import bind_tables, create_tables
    from chalicelib.domain.helper_pages import HelperPage
    from chalicelib.domain.payments import Storefront
    from chalicelib.settings import Settings

    figures: dict = {}
    with ENGINES[engine]() as endpoint:
        os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
        settings = Settings(aws_endpoint_url=endpoint, table_prefix=f"bench-store-{engine}-")
        create_tables(settings)
        connection = bind_tables(settings)
        for count in PRODUCTS:
            fill_store(f"seller-{count}", count)
        for count in ORDERS:
            fill_sales(f"seller-{count}", count)
            fill_store(f"seller-{count}", 20)  # the products sold, for their titles
        products, sales = DynamoProductStore(connection), DynamoSalesBook(connection)
        pages, storefronts = DynamoHelperPageStore(), DynamoStorefrontStore()
        for count in PRODUCTS:
            pages.save(HelperPage(user_id=f"seller-{count}", username=f"seller{count}", display_name="Seller",
                                  headline="Sells things", offer="Things."))
            storefronts.save(Storefront(user_id=f"seller-{count}", paypal_email="pay@example.com", name="Store",
                                        created_at=1, updated_at=1))

        class Desk:  # what the store page and the Sales report read
            def __init__(self) -> None:
                self.sales, self.products, self.pages, self.storefronts = sales, products, pages, storefronts
                self.accounts = DynamoAccountStore(connection)
                self.settings = settings

        desk = Desk()
        steps = {
            **{f"store page, {count:,} products": (lambda c=count: _store_page(desk, f"seller{c}", settings))
               for count in PRODUCTS},
            **{f"Sales report, a year of {count:,} orders": (lambda c=count: _report(desk, f"seller-{c}", c))
               for count in ORDERS},
        }
        timings = {name: [] for name in steps}
        requests = {name: [] for name in steps}
        for _ in range(SAMPLES):
            for name, step in steps.items():  # alternate, so machine noise hits both alike
                with counting_dynamodb() as counts:
                    started = time.perf_counter()
                    step()
                    timings[name].append(time.perf_counter() - started)
                requests[name].append(sum(counts.values()))
        for name in steps:
            figures[name] = {"requests": statistics.mean(requests[name]), "ms": statistics.median(timings[name]) * 1000}
    return figures


def _report(desk, seller_id: str, orders: int) -> dict:
    """A year's report by month, as the Sales page asks for it first."""
    from datetime import date

    from chalicelib.services.sales import sales_report

    found = sales_report(seller_id=seller_id, first="2026-01-01", last="2026-12-31", by="month", desk=desk,
                         today=date(2026, 12, 31))
    assert found["totals"]["orders"] == orders and len(found["products"]) == min(orders, 20)
    return found


def _store_page(desk, username: str, settings) -> str:
    """The store page as a visitor gets it: the seller by username, their first page of products
    on sale and their shipping rule, rendered."""
    from chalicelib.api.store_html import render_store
    from chalicelib.services.store import store_page

    found = store_page(username=username, desk=desk)
    return render_store(page=found.page, products=found.products, next_cursor=None, shipping=found.shipping,
                        site_url="https://bench.example")


def main() -> int:
    failed = False
    print("Settling a store capture (checkout approved at PayPal → captured, ledger, order paid, sale counted)")
    found = settle()
    calls = ", ".join(f"{n} {op}" for op, n in sorted(found["requests"].items()))
    total = sum(found["requests"].values())
    print(f"  {found['ms']:.1f} ms median of {RUNS}; DynamoDB: {total} requests ({calls}); PayPal: {found['paypal']} "
          f"requests; the same every run: {found['steady']}  (target <= {TARGET_SETTLE_REQUESTS}, no Scan)")
    failed |= total > TARGET_SETTLE_REQUESTS or "Scan" in found["requests"] or not found["steady"]
    for engine in ("dynalite", "moto"):
        figures = sizes(engine)
        print(f"Store page and Sales report by size, on {engine}, median of {SAMPLES}:")
        for name, f in figures.items():
            print(f"  {name:<40} {f['requests']:4.1f} requests  {f['ms']:7.1f} ms")
        for small, large in ((f"store page, {PRODUCTS[0]:,} products", f"store page, {PRODUCTS[1]:,} products"),
                             (f"Sales report, a year of {ORDERS[0]:,} orders",
                              f"Sales report, a year of {ORDERS[1]:,} orders")):
            ratio = figures[large]["ms"] / figures[small]["ms"]
            same = figures[large]["requests"] == figures[small]["requests"]
            print(f"  {large}: same requests {same}, time {ratio:.2f}x"
                  + (f"  (target <= {TARGET_TIME_RATIO}x)" if engine == "dynalite" else "  (moto: not judged)"))
            if engine == "dynalite":
                failed |= not same or ratio > TARGET_TIME_RATIO
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
