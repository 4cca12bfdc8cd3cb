"""The Sales page in real Chromium on the whole local stack: a Helper's store sells two products
through the API and the PayPal sandbox, and the page shows the revenue and net the API reports,
draws the chart, lists the products best sellers first (a title written as HTML stays text),
groups by week, downloads the report and the orders as CSV, and checks a custom period; it is
screenshot at 1280 and 390 px in light and dark. Then the states: signed out, no sales yet, not
a Helper, and a failed load that a retry recovers."""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, SignedIn, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import approve_in_sandbox, complete

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
HTML_TITLE = '<img src=x onerror="window.__xss=1">Tool roll'

# How many pixels of the chart's canvas are painted (not transparent): axes, grid, lines, bars.
PAINTED_PIXELS = """() => {
  const canvas = document.querySelector("[data-chart] canvas");
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) painted += data[i] > 0 ? 1 : 0;
  return painted;
}"""


def money(cents: int) -> str:
    """As money.js writes it with cents: 3600 → "$36.00"."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def dollars(cents: int) -> str:
    """As the CSV writes it: 3600 → "36.00"."""
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass
class Store:
    seller: SignedIn
    products: dict[str, dict]  # by title


def product_on_sale(api: str, seller: SignedIn, title: str, price_cents: int) -> dict:
    answer = requests.post(f"{api}/me/products", headers=seller.auth, timeout=30, json={
        "title": title, "kind": "physical", "status": "active", "description": f"{title}, made by hand.",
        "variants": [{"name": "", "sku": "", "price_cents": price_cents, "stock": 20}]})
    assert answer.status_code == 201, answer.text
    return answer.json()["product"]


def buy(local_stack: dict, customer: SignedIn, seller: SignedIn, product: dict, quantity: int) -> None:
    """A checkout through the API, approved at the PayPal sandbox and captured: a paid order."""
    api = local_stack["api"]
    variant = product["variants"][0]
    answer = requests.post(f"{api}/checkout", headers=customer.auth, timeout=60, json={
        "seller": seller.username, "lines": [{"slug": product["slug"], "variant_id": variant["variant_id"],
                                              "quantity": quantity, "seen_price_cents": variant["price_cents"]}]})
    assert answer.status_code == 201, answer.text
    approve_in_sandbox(local_stack, answer.json()["payment"])
    complete(api, customer, answer.json()["payment"])


@pytest.fixture(scope="module")
def store(local_stack) -> Store:
    """A store with sales today: two mugs in one order and a tap key in another (each with $5
    shipping), a product nobody bought, and visits to the product pages by someone signed out."""
    api, site = local_stack["api"], local_stack["site"]
    seller = become_helper(api, "salesdesk")
    open_storefront(api, seller)
    shipping = requests.put(f"{api}/me/store/shipping", headers=seller.auth, timeout=30,
                            json={"flat_cents": 500, "free_from_cents": None, "countries": ["US", "CA"]})
    assert shipping.status_code == 200, shipping.text
    products = {title: product_on_sale(api, seller, title, price) for title, price in (
        ("Enamel camp mug", 1800), ("Brass tap key", 1200), (HTML_TITLE, 900))}
    for product, views in ((products["Enamel camp mug"], 3), (products[HTML_TITLE], 2)):
        for _ in range(views):
            seen = requests.get(f"{site}/h/{seller.username}/store/{product['slug']}", timeout=30)
            assert seen.status_code == 200, seen.text
    customer = sign_up_and_in(api, "salesbuyer")
    buy(local_stack, customer, seller, products["Enamel camp mug"], quantity=2)
    buy(local_stack, customer, seller, products["Brass tap key"], quantity=1)
    return Store(seller=seller, products=products)


def report(api: str, seller: SignedIn, **params) -> dict:
    answer = requests.get(f"{api}/me/store/sales", params=params, headers=seller.auth, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def total(page: Page, key: str):
    return page.locator(f"[data-total='{key}']")


def screenshots(page: Page, folder: Path, name: str) -> list[Path]:
    """The whole page in light then dark (the chart redrawn in the other scheme's colours)."""
    shots = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        expect(page.locator("[data-chart]")).to_have_attribute("data-chart-state", "drawn")
        page.wait_for_function("""(scheme) => {
          const canvas = document.querySelector("[data-chart] canvas");
          return canvas && matchMedia(`(prefers-color-scheme: ${scheme})`).matches;
        }""", arg=scheme)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top, where it belongs
        path = folder / f"sales-{name}-{scheme}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")  # colour transitions finished
        shots.append(path)
    page.emulate_media(color_scheme="light")
    return shots


def test_a_seller_sees_what_sold_charted_and_by_product_and_downloads_it(page: Page, local_stack, store, browser_log,
                                                                        tmp_path):
    api, seller = local_stack["api"], store.seller
    expected = report(api, seller)  # the last 30 days by day, as the page starts
    totals = expected["totals"]
    assert (totals["orders"], totals["units"], totals["gross_cents"]) == (2, 3, 2 * 1800 + 500 + 1200 + 500)

    # Signed out, the page sends the visitor to sign in and back.
    page.goto("/sales.html")
    expect(page).to_have_url(re.compile(r"/sign-in\.html\?next=%2Fsales\.html$"))
    sign_in(page, seller.email, PASSWORD, "/sales.html")

    # The totals as the API reports them.
    expect(total(page, "gross")).to_have_text(money(totals["gross_cents"]))
    expect(total(page, "net")).to_have_text(money(totals["net_cents"]))
    expect(total(page, "fees")).to_have_text(money(totals["fee_cents"]))
    expect(total(page, "refunded")).to_have_text("$0.00")
    expect(total(page, "orders")).to_have_text("2")
    expect(total(page, "units")).to_have_text("3")
    assert totals["views"] == 5 and totals["conversion_basis_points"] == 4000
    expect(total(page, "conversion")).to_have_text("40%")
    expect(page.get_by_test_id("total-conversion")).to_contain_text("2 orders from 5 product page views")
    expect(page.get_by_role("radio", name="Last 30 days")).to_be_checked()
    expect(page.get_by_role("radio", name="Day", exact=True)).to_be_checked()
    expect(page.get_by_test_id("sales-empty")).to_be_hidden()
    expect(page.locator("[data-sales-status]")).to_have_text("")

    # The chart: drawn on its canvas, an image named by what it shows, its figures in a table.
    chart = page.get_by_test_id("sales-chart")
    expect(chart).to_have_attribute("data-chart-state", "drawn")
    expect(chart).to_have_attribute("data-buckets", str(len(expected["series"])))
    assert page.evaluate(PAINTED_PIXELS) > 2000
    canvas = chart.locator("canvas")
    expect(canvas).to_have_attribute("role", "img")
    expect(canvas).to_have_attribute("aria-label", re.compile(r"^Chart of revenue, net and orders by day\. 2 orders "))
    expect(canvas).to_have_attribute("aria-describedby", "chart-summary")
    expect(canvas).to_have_attribute("aria-details", "sales-series")
    expect(page.locator("#chart-summary")).to_contain_text(f"brought {money(totals['gross_cents'])} in revenue")
    expect(page.locator("[data-legend-value='gross']")).to_have_text(money(totals["gross_cents"]))
    series_rows = page.get_by_test_id("series-row")
    expect(series_rows).to_have_count(len(expected["series"]))
    today = expected["series"][-1]
    expect(series_rows.last.locator("[data-gross]")).to_have_text(money(today["gross_cents"]))

    # Hovering a day's bar shows that day's figures in the legend; leaving shows the period's again.
    plot_area = chart.locator(".u-over")
    plot_area.scroll_into_view_if_needed()
    box = plot_area.bounding_box()
    plot_area.hover(position={"x": box["width"] - 4, "y": box["height"] / 2})
    expect(page.locator("[data-chart-moment]")).to_have_text(re.compile(r"^\w{3} \d{1,2}, \d{4}$"))
    expect(page.locator("[data-legend-value='gross']")).to_have_text(money(today["gross_cents"]))
    page.get_by_role("heading", name="Revenue and net").hover()
    expect(page.locator("[data-chart-moment]")).to_have_text("Whole period, by day")

    # The legend hides and shows a series.
    orders_button = page.get_by_role("button", name=re.compile(r"^Orders"))
    orders_button.click()
    expect(orders_button).to_have_attribute("aria-pressed", "false")
    expect(chart).to_have_attribute("data-chart-state", "drawn")
    orders_button.click()
    expect(orders_button).to_have_attribute("aria-pressed", "true")

    # Products: best sellers first, linked to their pages, the top ones marked; a title written
    # as HTML is shown as its text and never runs.
    rows = page.get_by_test_id("product-row")
    expect(rows).to_have_count(3)
    mug, key = store.products["Enamel camp mug"], store.products["Brass tap key"]
    assert [row.get_attribute("data-slug") for row in rows.all()] == [
        p["slug"] for p in sorted(expected["products"], key=lambda p: -p["gross_cents"])]
    assert rows.first.get_attribute("data-slug") == mug["slug"]
    expect(rows.first).to_have_attribute("data-top", "1")
    expect(rows.first).to_contain_text("Top seller")
    expect(rows.nth(1)).to_have_attribute("data-top", "2")
    expect(rows.first.get_by_role("link", name="Enamel camp mug")).to_have_attribute(
        "href", f"/h/{seller.username}/store/{mug['slug']}")
    expect(rows.first.locator("[data-gross]")).to_have_text(money(2 * 1800))
    expect(rows.first).to_contain_text("33.33%")  # one order from three views of its page
    unsold = rows.nth(2)
    expect(unsold.get_by_role("link")).to_have_text(HTML_TITLE)
    expect(unsold).not_to_have_attribute("data-top", re.compile("."))
    assert page.evaluate("window.__xss") is None
    assert key["slug"] == rows.nth(1).get_attribute("data-slug")

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        expect(chart).to_have_attribute("data-chart-state", "drawn")
        page.wait_for_function("(width) => document.querySelector('[data-chart] canvas').clientWidth <= width",
                               arg=viewport["width"])
        screenshots(page, tmp_path, name)
    page.set_viewport_size(DESKTOP)

    # By week: the series the API gives by week, the totals the same; the address keeps it.
    weekly = report(api, seller, **{"from": expected["from"], "to": expected["to"], "by": "week"})
    page.get_by_role("radio", name="Week", exact=True).check()
    expect(page).to_have_url(re.compile(r"[?&]by=week"))
    expect(chart).to_have_attribute("data-by", "week")
    expect(chart).to_have_attribute("data-buckets", str(len(weekly["series"])))
    expect(series_rows).to_have_count(len(weekly["series"]))
    assert len(weekly["series"]) < len(expected["series"])
    expect(series_rows.first).to_contain_text("Week of")
    expect(series_rows.last.locator("[data-gross]")).to_have_text(money(weekly["series"][-1]["gross_cents"]))
    expect(page.locator("[data-figures-summary]")).to_have_text("The figures by week, as a table")
    expect(total(page, "gross")).to_have_text(money(totals["gross_cents"]))

    # The report as CSV: the weekly series, the products, and the totals row.
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download report (CSV)").click()
    download = downloading.value
    assert download.suggested_filename == f"interkanect-sales-{expected['from']}-{expected['to']}.csv"
    lines = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    [total_row] = [line for line in lines if line["section"] == "total"]
    assert (total_row["orders"], total_row["units"], total_row["gross"], total_row["net"]) == (
        "2", "3", dollars(totals["gross_cents"]), dollars(totals["net_cents"]))
    assert len([line for line in lines if line["section"] == "week"]) == len(weekly["series"])
    expect(page.locator("[data-download-status]")).to_contain_text("report file is downloading")

    # The period's orders as CSV, one row per order line.
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download orders (CSV)").click()
    orders = list(csv.DictReader(io.StringIO(Path(downloading.value.path()).read_text(encoding="utf-8"))))
    assert sorted((line["product"], line["quantity"]) for line in orders) == [
        ("Brass tap key", "1"), ("Enamel camp mug", "2")]

    # A custom period: checked before it is asked for, then today alone, by day.
    page.get_by_role("radio", name="Custom").check()
    from_field, to_field = page.get_by_label("From", exact=True), page.get_by_label("To", exact=True)
    expect(from_field).to_be_focused()
    from_field.fill(expected["to"])
    to_field.fill(expected["from"])
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#from-error")).to_have_text("The period starts after it ends.")
    expect(from_field).to_have_attribute("aria-invalid", "true")
    controls = page.locator("[data-period-form]")
    controls.screenshot(path=str(tmp_path / "sales-custom-period-desktop.png"), animations="disabled")
    page.set_viewport_size(PHONE)
    controls.screenshot(path=str(tmp_path / "sales-custom-period-phone.png"), animations="disabled")
    page.set_viewport_size(DESKTOP)
    to_field.fill(expected["to"])
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(rf"period=custom&from={expected['to']}&to={expected['to']}&by=day"))
    expect(chart).to_have_attribute("data-buckets", "1")
    expect(total(page, "gross")).to_have_text(money(totals["gross_cents"]))

    # A reload keeps the period.
    page.reload()
    expect(page.get_by_role("radio", name="Custom")).to_be_checked()
    expect(chart).to_have_attribute("data-buckets", "1")

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_a_helper_without_sales_is_told_how_to_start_and_a_customer_how_to_sell(page: Page, local_stack,
                                                                                browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "nosales")
    sign_in(page, helper.email, PASSWORD, "/sales.html")
    empty = page.get_by_test_id("sales-empty")
    expect(empty.get_by_role("heading", name="No sales yet")).to_be_visible()
    expect(empty.get_by_role("link", name="Go to My Store")).to_have_attribute("href", "/my-store.html")
    expect(page.locator("[data-results]")).to_be_hidden()
    expect(page.locator("[data-period-form]")).to_be_hidden()
    expect(page.locator("[data-sales-status]")).to_have_text("")

    customer = sign_up_and_in(api, "nostore")
    page.evaluate("localStorage.clear()")
    sign_in(page, customer.email, PASSWORD, "/sales.html")
    expect(empty.get_by_role("heading", name="Sales are for Helpers with a store")).to_be_visible()
    expect(empty.get_by_role("link", name="Create your Helper page")).to_have_attribute(
        "href", "/become-a-helper.html")

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_a_report_that_cannot_be_loaded_says_so_and_loads_on_retry(page: Page, local_stack, store, browser_log):
    failing = re.compile(r"/api/me/store/sales\?")
    page.route(failing, lambda route: route.fulfill(status=503, content_type="application/json",
                                                    body='{"error": {"code": "unavailable", "message": '
                                                         '"The sales report is resting. Try again."}}'))
    sign_in(page, store.seller.email, PASSWORD, "/sales.html")
    failure = page.locator(".load-failure")
    expect(failure).to_contain_text("The sales report is resting. Try again.")
    expect(page.locator("[data-results]")).to_be_hidden()

    page.unroute(failing)
    failure.get_by_role("button", name="Try again").click()
    expect(failure).to_have_count(0)
    expect(total(page, "orders")).to_have_text("2")
    expect(page.get_by_test_id("sales-chart")).to_have_attribute("data-chart-state", "drawn")

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(r"503 \(Service Unavailable\)") == []


# ---- A busy store, to see the page with a year of figures --------------------------------------


def busy_report(first: str, last: str, by: str) -> dict:
    """A report as the API shapes it, for a store that sells every day (figures made up from the
    days themselves, so the same period always gives the same figures)."""
    start, end = date.fromisoformat(first), date.fromisoformat(last)

    def bucket_of(day: date) -> date:
        return {"day": day, "week": day - timedelta(days=day.weekday()), "month": day.replace(day=1)}[by]

    buckets: dict[date, dict] = {}
    day = start
    while day <= end:
        orders = 2 + (day.toordinal() * 7919) % 9
        gross = orders * (2400 + (day.toordinal() * 104_729) % 3100)
        fee, refunded = gross // 5, (gross // 10 if day.day % 11 == 0 else 0)
        figures = buckets.setdefault(bucket_of(day), {"orders": 0, "units": 0, "gross_cents": 0, "fee_cents": 0,
                                                      "refunded_cents": 0, "net_cents": 0, "views": 0})
        for name, value in (("orders", orders), ("units", orders + orders // 3), ("gross_cents", gross),
                            ("fee_cents", fee), ("refunded_cents", refunded),
                            ("net_cents", gross - fee - refunded * 4 // 5), ("views", orders * 23)):
            figures[name] += value
        day += timedelta(days=1)

    def with_conversion(figures: dict) -> dict:
        views = figures["views"]
        return {**figures, "conversion_basis_points": (figures["orders"] * 20_000 + views) // (views * 2) if views else None}

    series = [{"start": bucket.isoformat(), **with_conversion(figures)} for bucket, figures in sorted(buckets.items())]
    totals = {name: sum(bucket[name] for bucket in series) for name in
              ("orders", "units", "gross_cents", "fee_cents", "refunded_cents", "net_cents", "views")}
    shares = (("Leak repair field guide (PDF)", 38), ("Enamel camp mug", 24), ("Brass tap key", 15),
              ("A very long product title about a set of twelve stainless steel pipe wrenches", 12),
              ("Thread seal tape", 8), ("Sticker pack", 3))
    products = [{"slug": f"product-{index}", "title": title,
                 **with_conversion({name: totals[name] * share // 100 for name in totals})}
                for index, (title, share) in enumerate(shares)]
    return {"from": first, "to": last, "by": by, "currency": "USD", "totals": with_conversion(totals),
            "series": series, "products": products}


def serve_busy_reports(route) -> None:
    query = {name: values[0] for name, values in parse_qs(urlparse(route.request.url).query).items()}
    route.fulfill(status=200, content_type="application/json",
                  body=json.dumps(busy_report(query["from"], query["to"], query.get("by", "day"))))


def test_a_year_of_sales_reads_well_on_a_desktop_and_a_phone(page: Page, local_stack, store, browser_log, tmp_path):
    page.route(re.compile(r"/api/me/store/sales\?"), serve_busy_reports)
    sign_in(page, store.seller.email, PASSWORD, "/sales.html?period=12m")
    chart = page.get_by_test_id("sales-chart")
    expect(page.get_by_role("radio", name="Last 12 months")).to_be_checked()
    expect(page.get_by_role("radio", name="Month", exact=True)).to_be_checked()
    expect(chart).to_have_attribute("data-by", "month")
    expect(chart).to_have_attribute("data-buckets", "12")
    expect(page.get_by_test_id("product-row").first).to_have_attribute("data-top", "1")

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.wait_for_function("(width) => document.querySelector('[data-chart] canvas').clientWidth <= width",
                               arg=viewport["width"])
        # Nothing sticks out sideways: the page is as wide as the window.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
        screenshots(page, tmp_path, f"year-{name}")

    page.get_by_role("radio", name="Last 30 days").check()
    expect(chart).to_have_attribute("data-buckets", "30")
    screenshots(page, tmp_path, "month-phone")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
