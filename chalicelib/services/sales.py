"""A seller's Sales page: revenue, fees, net, refunds, units and conversion for a period, by
day, week or month and by product, from the day and month counters the store keeps with every
sale (so a year costs the same requests and about the same rows for 100 orders as for 10,000:
a few Queries and one BatchGetItem);
and the report and the period's orders as CSV."""
from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime, timezone

from chalicelib.domain import sales as report
from chalicelib.domain.money import to_paypal_value
from chalicelib.services.earnings import safe_cell
from chalicelib.services.store import StoreDesk

TOP_PRODUCTS = 50
ORDERS_PAGE = 100
MAX_CSV_ORDERS = 50_000


def sales_report(*, seller_id: str, first: object, last: object, by: object, desk: StoreDesk, today: date) -> dict:
    """The report of a period: the seller's whole months from the month counters and its edges
    from the day counters (a series by day or week reads the days of the whole period: one point
    a day); the products' whole calendar years from their year counters, then months, then days."""
    start, end, grouping = report.check_period(first, last, by, today=today)
    months, edges = report.split_period(start, end)
    years, month_runs = report.whole_years(months)
    sales, seller = desk.sales, seller_id
    product_rows = sales.product_years(seller, first=years[0], last=years[-1]) if years else []
    for run in month_runs:
        product_rows += sales.product_months(seller, first=run[0], last=run[-1])
    for begins, ends in edges:
        product_rows += sales.product_days(seller, first=begins.isoformat(), last=ends.isoformat())
    if grouping == "month":
        seller_rows = [report.as_first_day(row) for row in
                       (sales.months(seller, first=months[0], last=months[-1]) if months else [])]
        for begins, ends in edges:
            seller_rows += sales.days(seller, first=begins.isoformat(), last=ends.isoformat())
    else:
        seller_rows = sales.days(seller, first=start.isoformat(), last=end.isoformat())
    products = report.by_product(product_rows)
    top = dict(list(products.items())[:TOP_PRODUCTS])
    known = desk.products.get_many(seller_id, list(top)) if top else {}
    totals = report.total(seller_rows)
    totals = replace(totals, views=sum(figures.views for figures in products.values()))
    return {
        "from": start.isoformat(), "to": end.isoformat(), "by": grouping, "currency": desk.settings.currency,
        "totals": totals.view(),
        "series": [{"start": bucket.isoformat(), **figures.view(with_views=False)}
                   for bucket, figures in report.series(seller_rows, start, end, grouping)],
        "products": [{"slug": slug, "title": known[slug].title if slug in known else slug, **figures.view()}
                     for slug, figures in top.items()],
    }


def _dollars(cents: int) -> str:
    return ("-" if cents < 0 else "") + to_paypal_value(abs(cents))


REPORT_COLUMNS = ("section", "start", "product", "orders", "units", "gross", "fees", "refunded", "net", "views",
                  "conversion_percent")


def _percent(basis_points: int | None) -> str:
    return "" if basis_points is None else f"{basis_points // 100}.{basis_points % 100:02d}"


def report_csv(found: dict) -> str:
    """The report as CSV: one row per bucket of the series, then one per product, then the totals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)

    def row(section: str, start: str, product: str, figures: dict) -> None:
        writer.writerow([safe_cell(value) for value in (
            section, start, product, figures["orders"], figures["units"], _dollars(figures["gross_cents"]),
            _dollars(figures["fee_cents"]), _dollars(figures["refunded_cents"]), _dollars(figures["net_cents"]),
            figures.get("views", ""), _percent(figures.get("conversion_basis_points")))])

    for bucket in found["series"]:
        row(found["by"], bucket["start"], "", bucket)
    for product in found["products"]:
        row("product", found["from"], product["title"], product)
    row("total", found["from"], "", found["totals"])
    return out.getvalue()


ORDER_COLUMNS = ("order_id", "paid_at", "state", "product", "variant", "sku", "kind", "quantity", "unit_price",
                 "line_total", "shipping", "order_total", "refunded", "currency", "carrier", "tracking_number",
                 "ship_to_name", "ship_to_city", "ship_to_country")


def orders_csv(*, seller_id: str, first: object, last: object, desk: StoreDesk, today: date) -> str:
    """The period's paid orders, one row per line, newest first (read page by page until older
    than the period; at most MAX_CSV_ORDERS)."""
    start, end, _ = report.check_period(first, last, "day", today=today)
    begins = int(datetime(start.year, start.month, start.day, tzinfo=timezone.utc).timestamp())
    ends = int(datetime(end.year, end.month, end.day, tzinfo=timezone.utc).timestamp()) + 86400
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ORDER_COLUMNS)
    after, written = None, 0
    while written < MAX_CSV_ORDERS:
        orders, after = desk.orders.for_seller(seller_id, limit=ORDERS_PAGE, after=after)
        for order in orders:
            if order.created_at >= ends:
                continue
            if order.created_at < begins:
                return out.getvalue()
            written += 1
            paid = datetime.fromtimestamp(order.paid_at or order.created_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            ship_to = order.ship_to or {}
            shipment = order.shipment
            for line in order.lines:
                writer.writerow([safe_cell(value) for value in (
                    order.order_id, paid, order.state.value, line.title, line.variant_name, line.sku, line.kind.value,
                    line.quantity, _dollars(line.unit_cents), _dollars(line.line_cents),
                    _dollars(order.shipping_cents), _dollars(order.total_cents), _dollars(order.refunded_cents),
                    order.currency, shipment.carrier if shipment else "", shipment.tracking_number if shipment else "",
                    ship_to.get("full_name", ""), ship_to.get("admin_area_2", ""), ship_to.get("country_code", ""))])
        if after is None:
            break
    return out.getvalue()
