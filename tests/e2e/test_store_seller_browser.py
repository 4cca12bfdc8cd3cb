"""The seller's side of the store in real Chromium on the whole local stack: a Helper with a
storefront lists a digital product (a picture and a PDF uploaded through the page, straight to
S3, then put on sale) and a physical one with two variants and their stock; both show in their
store. A customer buys the physical one (API and PayPal sandbox) and the Helper ships it from
the Orders page with a tracking number. Also: the editor marks each field the server refuses,
My Store sends visitors to sign in and customers to become Helpers, and the owner's toolbar on
a Helper page shows to its owner only. Screenshots of My Store (list and editor) and the Orders
page at 1280 and 390 px wide are kept in the test's tmp dir."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.pages import become_helper, open_storefront
from tests.support.store import SHIP_TO, buy, sample_pdf
from tests.support.store_seller import png_bytes, product_on_sale, write_file

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def shoot(page: Page, folder, name: str) -> None:
    """The whole page at 1280 and 390 px wide, as `<name>-1280.png` and `<name>-390.png`."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")  # sticky bars where a person first sees them
        page.screenshot(path=folder / f"{name}-{size['width']}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def my_products(api: str, helper) -> dict:
    answer = requests.get(f"{api}/me/products", headers=helper.auth, timeout=30)
    assert answer.status_code == 200, answer.text
    return {p["slug"]: p for p in answer.json()["products"]}


def variant_row(page: Page, index: int):
    return page.locator("[data-variant-row]").nth(index)


def fill_variant(page: Page, index: int, *, name: str = "", sku: str = "", price: str, stock: str | None = None):
    row = variant_row(page, index)
    row.get_by_label("Name").fill(name)
    row.get_by_label("SKU").fill(sku)
    row.get_by_label("Price in dollars").fill(price)
    if stock is not None:
        row.get_by_label("Stock").fill(stock)


def test_a_helper_lists_a_digital_and_a_physical_product_with_pictures_files_and_stock(
        page: Page, local_stack, browser_log, tmp_path):
    api = local_stack["api"]
    helper = become_helper(api, "seller", categories=("plumbing",))
    open_storefront(api, helper)
    picture = write_file(tmp_path, "washers.png", png_bytes())
    guide = write_file(tmp_path, "leak-guide.pdf", sample_pdf())

    # The first visit: an invitation to add the first product, and the store's shipping.
    sign_in(page, helper.email, PASSWORD, "/my-store.html")
    expect(page.locator("[data-first-product]")).to_be_visible()
    expect(page.get_by_label("Countries you ship to")).to_have_value("US")
    shoot(page, tmp_path, "my-store-empty")

    # A digital product: title, Markdown description, a price of $12.50, created as a draft.
    page.get_by_role("link", name="New product").click()
    expect(page.get_by_role("heading", name="New product")).to_be_visible()
    expect(page.locator("#pictures")).to_contain_text("Save the product first")
    page.get_by_label("Title").fill("Leak repair field guide")
    page.get_by_label("Description").fill("Twenty fixes, **step by step**.\n\n- Taps\n- Drains")
    fill_variant(page, 0, price="12.50")
    page.get_by_role("button", name="Create product").click()
    expect(page.locator("[data-store-notice]")).to_contain_text("Product created as a draft")
    expect(page).to_have_url(re.compile(r"/my-store\.html\?product=leak-repair-field-guide$"))
    expect(page.get_by_role("heading", name="Leak repair field guide")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Digital"))).to_be_disabled()

    # Its picture, straight to S3 and back.
    page.locator("#picture-file").set_input_files(picture)
    expect(page.locator("[data-picture-status]")).to_have_text("Picture added.")
    expect(page).to_have_url(re.compile(r"\?product=leak-repair-field-guide$"))
    expect(page.locator("[data-picture-list] img")).to_have_count(1)
    expect(page.locator(".picture-cover")).to_have_text("Cover")

    # A digital product needs its file before it goes on sale.
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status-error")).to_contain_text("Add the file a buyer gets")
    page.get_by_label("Status").select_option("draft")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("[data-store-notice]")).to_have_text("Saved.")

    # The PDF buyers get, into the private bucket, listed with its size.
    page.locator("#product-file").set_input_files(guide)
    expect(page.locator("[data-file-status]")).to_contain_text("leak-guide.pdf is ready")
    expect(page.get_by_test_id("product-file")).to_contain_text("leak-guide.pdf")
    expect(page.get_by_test_id("product-file")).to_contain_text(f"{guide.stat().st_size} bytes")
    expect(page.get_by_role("button", name="Remove leak-guide.pdf")).to_be_visible()
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("[data-store-notice]")).to_have_text("Saved. It is on sale in your store.")
    expect(page.get_by_role("link", name="See it in your store")).to_have_attribute(
        "href", f"/h/{helper.username}/store/leak-repair-field-guide")
    shoot(page, tmp_path, "my-store-editor-digital")

    # A physical product with two variants and their stock, on sale at once.
    page.get_by_role("link", name="All products").click()
    page.get_by_role("link", name="New product").click()
    page.get_by_label("Title").fill("Tap washers, set of 10")
    page.get_by_label("Description").fill("Rubber washers for ½-inch taps.")
    page.get_by_role("radio", name=re.compile("Physical")).check()
    expect(page.locator("#files")).to_be_hidden()
    fill_variant(page, 0, name="Small", sku="TW-S", price="9.99", stock="5")
    page.get_by_role("button", name="Add a variant").click()
    fill_variant(page, 1, name="Large", sku="TW-L", price="14.5", stock="3")
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Marketplace category").select_option("plumbing")
    page.get_by_role("button", name="Create product").click()
    expect(page.locator("[data-store-notice]")).to_contain_text("Product created")
    expect(page.get_by_role("radio", name=re.compile("Physical"))).to_be_disabled()
    page.locator("#picture-file").set_input_files(picture)
    expect(page.locator("[data-picture-status]")).to_have_text("Picture added.")
    shoot(page, tmp_path, "my-store-editor-physical")

    # The list: both, with their status, price and stock.
    page.get_by_role("link", name="All products").click()
    rows = page.get_by_test_id("product-row")
    expect(rows).to_have_count(2)
    washers = page.locator("[data-product='tap-washers-set-of-10']")
    expect(washers.locator("[data-product-status]")).to_have_text("Active")
    expect(washers.locator("[data-product-price]")).to_have_text("From $9.99")
    expect(washers.locator("[data-product-stock]")).to_have_text("8 in stock across 2 variants")
    guide_row = page.locator("[data-product='leak-repair-field-guide']")
    expect(guide_row.locator("[data-product-price]")).to_have_text("$12.50")
    expect(guide_row).to_contain_text("1 file")
    expect(guide_row.locator(".product-thumb img")).to_be_visible()
    expect(page.locator("[data-store-link]")).to_have_attribute("href", f"/h/{helper.username}/store")
    shoot(page, tmp_path, "my-store-list")

    # Dollars became exact cents, the variants kept their ids, the file and picture are there.
    saved = my_products(api, helper)
    assert [(v["name"], v["sku"], v["price_cents"], v["stock"]) for v in saved["tap-washers-set-of-10"]["variants"]] \
        == [("Small", "TW-S", 999, 5), ("Large", "TW-L", 1450, 3)]
    assert saved["tap-washers-set-of-10"]["category"] == "plumbing"
    digital = saved["leak-repair-field-guide"]
    assert (digital["status"], digital["variants"][0]["price_cents"], len(digital["images"])) == ("active", 1250, 1)
    assert [(f["name"], f["content_type"]) for f in digital["files"]] == [("leak-guide.pdf", "application/pdf")]

    # Editing keeps each variant's id: stock of Large goes to 7.
    before = [v["variant_id"] for v in saved["tap-washers-set-of-10"]["variants"]]
    washers.get_by_role("link", name=re.compile("^Edit")).click()
    variant_row(page, 1).get_by_label("Stock").fill("7")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("[data-store-notice]")).to_contain_text("Saved.")
    after = my_products(api, helper)["tap-washers-set-of-10"]["variants"]
    assert [v["variant_id"] for v in after] == before and after[1]["stock"] == 7

    # Both are in the Helper's store, for everyone.
    page.goto(f"/h/{helper.username}/store")
    expect(page.locator("main")).to_contain_text("Leak repair field guide")
    expect(page.locator("main")).to_contain_text("Tap washers, set of 10")
    assert browser_log.csp_violations() == []
    refused = r"status of 400 .*/api/me/products/leak-repair-field-guide\)$"
    assert len(browser_log.errors) - len(browser_log.unexpected(refused)) == 1  # on sale without its file
    assert browser_log.unexpected(refused) == []


def test_the_helper_ships_a_paid_order_from_the_orders_page(page: Page, local_stack, browser_log, tmp_path):
    api = local_stack["api"]
    helper = become_helper(api, "shipper")
    open_storefront(api, helper)
    washers = product_on_sale(api, helper, title="Brass tap washers", variants=[
        {"name": "Small", "sku": "BW-S", "price_cents": 999, "stock": 5},
        {"name": "Large", "sku": "BW-L", "price_cents": 1450, "stock": 3}])
    customer = sign_up_and_in(api, "buyer")
    order = buy(local_stack, customer, helper, washers, variant=1, quantity=2)

    # The order waits in the queue: its lines, the total with shipping, where it goes.
    sign_in(page, helper.email, PASSWORD, "/my-orders.html")
    card = page.locator(f"[data-order-id='{order['order_id']}']")
    expect(card).to_be_visible()
    expect(card.locator("[data-order-state]")).to_have_text("Paid")
    expect(card).to_contain_text("Brass tap washers")
    expect(card).to_contain_text("Large")
    expect(card).to_contain_text("× 2")
    expect(card.locator("[data-order-total]")).to_have_text(f"${order['total_cents'] // 100}.{order['total_cents'] % 100:02d}")
    ship_to = card.locator("[data-ship-to] address")
    expect(ship_to).to_contain_text(SHIP_TO["name"]["full_name"])
    expect(ship_to).to_contain_text("1600 Grand Ave")
    expect(ship_to).to_contain_text("Saint Paul, MN 55105")
    expect(page.get_by_role("link", name="All")).to_have_attribute("aria-current", "page")
    shoot(page, tmp_path, "my-orders-paid")

    # A tracking number is required; then USPS and the number mark it shipped.
    card.get_by_role("button", name="Mark as shipped").click()
    expect(card.locator("[data-error-for='tracking_number']")).to_have_text(
        "Enter the tracking number the carrier gave you.")
    card.get_by_label("Carrier", exact=True).select_option("USPS")
    card.get_by_label("Tracking number").fill("9400 1000 0000 0000 0000 00")
    card.get_by_role("button", name="Mark as shipped").click()
    expect(page.locator("[data-orders-notice]")).to_contain_text("is marked shipped")
    card = page.locator(f"[data-order-id='{order['order_id']}']")
    expect(card.locator("[data-order-state]")).to_have_text("Shipped")
    expect(card.locator("[data-carrier]")).to_have_text("USPS")
    expect(card.locator("[data-tracking]")).to_have_text("9400 1000 0000 0000 0000 00")
    expect(card.get_by_role("button", name="Mark as shipped")).to_have_count(0)

    # The Shipped tab lists it, the Paid tab no longer does; the API says shipped too.
    page.get_by_role("link", name="Shipped").click()
    expect(page.get_by_role("link", name="Shipped")).to_have_attribute("aria-current", "page")
    expect(page.locator(f"[data-order-id='{order['order_id']}']")).to_be_visible()
    shoot(page, tmp_path, "my-orders-shipped")
    page.get_by_role("link", name="Paid").click()
    expect(page.locator("[data-orders-empty]")).to_contain_text("Nothing waiting")
    seen = requests.get(f"{api}/orders/{order['order_id']}", headers=customer.auth, timeout=30).json()["order"]
    assert seen["state"] == "shipped"
    assert seen["shipment"] == {"carrier": "USPS", "carrier_name": "", "tracking_number": "9400 1000 0000 0000 0000 00"}
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_the_editor_marks_every_field_the_server_refuses(page: Page, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "fussy")
    sign_in(page, helper.email, PASSWORD, "/my-store.html?new=1")

    # Nothing can go on sale without a storefront: the editor says so and where to set it up.
    expect(page.locator("[data-status-storefront]")).to_contain_text("Set up your storefront")
    page.get_by_role("radio", name=re.compile("Physical")).check()
    page.get_by_role("button", name="Create product").click()
    expect(page.locator("#title-error")).to_have_text("Give your product a title.")

    # Read in the browser: a price that is no amount, a stock that is no number.
    page.get_by_label("Title").fill("Drain snake")
    fill_variant(page, 0, name="Short", price="ten dollars", stock="3")
    page.get_by_role("button", name="Add a variant").click()
    fill_variant(page, 1, name="Short", price="12")
    page.get_by_role("button", name="Create product").click()
    expect(variant_row(page, 0).locator("[data-row-error]")).to_contain_text("Enter a price in dollars")
    expect(variant_row(page, 0).get_by_label("Price in dollars")).to_have_attribute("aria-invalid", "true")
    expect(variant_row(page, 1).locator("[data-row-error]")).to_contain_text("Enter how many you have")

    # Checked by the server, every problem at once: a price over the ceiling and two variants
    # named alike, each beside its row.
    fill_variant(page, 0, name="Short", price="5000", stock="3")
    variant_row(page, 1).get_by_label("Unlimited").check()
    page.get_by_role("button", name="Create product").click()
    expect(variant_row(page, 0).locator("[data-row-error]")).to_contain_text("A price is whole cents")
    expect(variant_row(page, 1).locator("[data-row-error]")).to_have_text("Two variants have the same name.")
    expect(page.locator("[data-product-form] [data-form-alert]")).to_have_text(
        "The product was not saved. Check the highlighted fields.")

    # Putting it on sale without a storefront is refused beside the status.
    fill_variant(page, 0, name="Short", price="50", stock="3")
    variant_row(page, 1).get_by_label("Name").fill("Long")
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Create product").click()
    expect(page.locator("#status-error")).to_contain_text("Set up your storefront")
    page.get_by_label("Status").select_option("draft")
    page.get_by_role("button", name="Create product").click()
    expect(page.locator("[data-store-notice]")).to_contain_text("Product created as a draft")
    assert [(v["name"], v["price_cents"], v["stock"]) for v in my_products(api, helper)["drain-snake"]["variants"]] \
        == [("Short", 5000, 3), ("Long", 1200, None)]

    # Without a storefront the list sends the Helper to set it up for shipping too.
    page.get_by_role("link", name="All products").click()
    expect(page.locator("[data-shipping-missing]")).to_be_visible()
    expect(page.locator("[data-shipping-missing] a")).to_have_attribute("href", "/payments.html#getting-paid")
    expect(page.locator("[data-storefront-needed]")).to_be_visible()
    assert browser_log.csp_violations() == []
    refused = r"status of 400 .*/api/me/products\)$"
    assert len(browser_log.errors) - len(browser_log.unexpected(refused)) == 2  # the two refusals above
    assert browser_log.unexpected(refused) == []


def test_my_store_sends_visitors_to_sign_in_and_customers_to_become_a_helper(page: Page, local_stack, browser_log):
    page.goto("/my-store.html")
    expect(page).to_have_url(re.compile(r"/sign-in\.html\?next=%2Fmy-store\.html$"))
    page.goto("/my-orders.html")
    expect(page).to_have_url(re.compile(r"/sign-in\.html\?next=%2Fmy-orders\.html$"))

    customer = sign_up_and_in(local_stack["api"], "notaseller")
    sign_in(page, customer.email, PASSWORD, "/my-store.html")
    gate = page.locator("[data-not-helper]")
    expect(gate).to_contain_text("Become a Helper first")
    expect(gate.get_by_role("link", name="Create my Helper page")).to_have_attribute("href", "/become-a-helper.html")
    expect(page.locator("[data-catalogue]")).to_be_hidden()
    page.goto("/my-orders.html")
    expect(page.locator("[data-not-helper]")).to_be_visible()
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_the_owner_toolbar_shows_on_the_helpers_own_page_only_and_the_store_link_to_everyone(
        page: Page, local_stack, open_context, browser_log, tmp_path):
    api = local_stack["api"]
    helper = become_helper(api, "toolbar")
    other = sign_up_and_in(api, "passerby")

    # A visitor: the Store link, no toolbar, and the hero where it always is.
    page.goto(f"/h/{helper.username}")
    expect(page.get_by_role("link", name="Store", exact=True)).to_have_attribute("href", f"/h/{helper.username}/store")
    toolbar = page.get_by_role("navigation", name="Manage your page")
    expect(toolbar).to_have_count(0)  # hidden: not in the accessibility tree
    visitor_hero = page.locator(".helper-hero").bounding_box()

    # Someone else signed in: still no toolbar.
    sign_in(page, other.email, PASSWORD, f"/h/{helper.username}")
    expect(page.locator("[data-call-now-note]")).to_have_text(re.compile("Video call|Sign in"))
    expect(page.locator("[data-owner-toolbar]")).to_be_hidden()

    # The owner: My page, My Store, Orders and Sales, above the banner.
    owner = browser_log.watch(open_context().new_page(), "owner")
    sign_in(owner, helper.email, PASSWORD, f"/h/{helper.username}")
    toolbar = owner.get_by_role("navigation", name="Manage your page")
    expect(toolbar).to_be_visible()
    for name, href in (("My page", "/become-a-helper.html"), ("My Store", "/my-store.html"),
                       ("Orders", "/my-orders.html"), ("Sales", "/sales.html")):
        expect(toolbar.get_by_role("link", name=name, exact=True)).to_have_attribute("href", href)
    assert owner.locator("[data-owner-toolbar]").bounding_box()["y"] < owner.locator(".helper-hero").bounding_box()["y"]
    shoot(owner, tmp_path, "helper-page-owner")
    toolbar.get_by_role("link", name="My Store", exact=True).click()
    expect(owner).to_have_url(re.compile(r"/my-store\.html$"))
    expect(owner.locator("[data-first-product]")).to_be_visible()

    page.goto(f"/h/{helper.username}")
    expect(page.locator("[data-owner-toolbar]")).to_be_hidden()
    assert page.locator(".helper-hero").bounding_box() == visitor_hero
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
