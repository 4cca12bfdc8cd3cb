"""The buyer's side of the store in real Chromium on the whole local stack, PayPal being the local
sandbox with its approval page: a visitor picks a variant and a quantity, fills a cart with a
physical and a digital product, signs in on the way to checking out and comes back to the cart,
approves at PayPal, lands on "Paid", downloads the file from the library (the same bytes the
seller uploaded, from the downloads origin, never the site's) and says the parcel arrived once it
is shipped; a price that changed after the cart was filled is shown and confirmed before paying; units taken meanwhile by someone else are
said; a free download goes straight to the library. Screenshots at 1280 and 390 px are kept in the test's tmp dir."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.payments import CHECKOUT
from tests.support.store import digital_product, open_store, physical_product, set_price

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def product_path(seller, product: dict) -> str:
    return f"/h/{seller.username}/store/{product['slug']}"


def ready(page: Page) -> None:
    """The page script has wired the store (its cart button works)."""
    expect(page.locator("[data-cart-open]")).to_be_enabled()


def cart(page: Page):
    return page.locator("dialog[data-cart]")


def cart_line(page: Page, title: str):
    return cart(page).get_by_test_id("cart-line").filter(has_text=title)


def shoot(page: Page, folder: Path, name: str, *, full_page: bool = True) -> Path:
    """A screenshot kept with the test (the whole page from its top, or the window as it is)."""
    path = folder / f"{name}.png"
    if full_page:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def test_a_visitor_buys_a_mug_and_a_guide_then_downloads_the_guide(page: Page, local_stack, browser_log, tmp_path):
    api = local_stack["api"]
    seller = open_store(api, "mugseller", flat_cents=500)
    mug = physical_product(api, seller)
    guide, pdf = digital_product(api, seller)
    customer = sign_up_and_in(api, "mugbuyer")

    # The product page: the first variant chosen, its price; thumbnails switch the picture.
    page.goto(product_path(seller, mug))
    ready(page)
    buy = page.locator("[data-buy]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enamel camp mug")
    expect(page.locator("[data-price]")).to_have_text("$18.00")
    expect(page.get_by_role("radio", name=re.compile("Forest green"))).to_be_checked()
    thumbs = page.locator("[data-show-image]")
    expect(thumbs).to_have_count(3)
    thumbs.nth(2).click()
    expect(page.locator("[data-main-image]")).to_have_attribute("src", thumbs.nth(2).get_attribute("data-show-image"))
    expect(thumbs.nth(2)).to_have_attribute("aria-current", "true")
    expect(thumbs.nth(0)).not_to_have_attribute("aria-current", "true")
    shoot(page, tmp_path, "product-1280")

    # Midnight costs more and has 3 left: the price and the stock follow the choice.
    page.get_by_text("Midnight", exact=True).click()
    expect(page.locator("[data-price]")).to_have_text("$20.00")
    expect(page.locator("[data-stock-note]")).to_have_text("3 left")
    more = buy.get_by_role("button", name="One more")
    more.click()
    expect(buy.get_by_label("Quantity")).to_have_value("2")
    buy.get_by_role("button", name="Add to cart").click()

    # The cart opens: one line, two mugs at $20.00.
    expect(cart(page)).to_be_visible()
    line = cart_line(page, "Enamel camp mug")
    expect(line).to_contain_text("Midnight")
    expect(line.get_by_test_id("cart-quantity")).to_have_text("2")
    expect(line.get_by_test_id("cart-line-price")).to_contain_text("$40.00")
    expect(page.locator("[data-cart-sum]")).to_have_text("$40.00")
    expect(page.locator("[data-cart-open] [data-cart-count]")).to_have_text("2")
    shoot(page, tmp_path, "cart-1280", full_page=False)
    page.keyboard.press("Escape")
    expect(cart(page)).to_be_hidden()

    # The guide, from its own page: the same store's cart, now with both.
    page.goto(product_path(seller, guide))
    ready(page)
    expect(page.locator("[data-price]")).to_have_text("$12.00")
    page.get_by_role("button", name="Add to cart").click()
    expect(cart(page).get_by_test_id("cart-line")).to_have_count(2)
    expect(cart_line(page, "Fix-it field guide")).to_contain_text("Digital download")
    expect(page.locator("[data-cart-sum]")).to_have_text("$52.00")
    expect(cart(page).locator("[data-cart-shipping]")).to_contain_text("Shipping $5.00 per order")

    # Checking out signed out: sign in first, and come back to this page with the cart open.
    cart(page).get_by_role("button", name="Check out with PayPal").click()
    expect(page).to_have_url(re.compile(r"/sign-in\.html\?next="))
    page.get_by_label("Email", exact=True).fill(customer.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(re.escape(product_path(seller, guide)) + "$"))
    expect(cart(page)).to_be_visible()
    expect(cart(page).get_by_test_id("cart-line")).to_have_count(2)

    # PayPal's approval page has the order the store priced: $40 + $12 + $5 shipping.
    cart(page).get_by_role("button", name="Check out with PayPal").click()
    page.wait_for_url(CHECKOUT, timeout=30_000)
    expect(page.locator("body")).to_contain_text("$57.00")
    page.get_by_role("button", name="Approve and pay").click()

    # Back on the site: paid, both kinds said, the cart of that store emptied.
    outcome = page.get_by_test_id("payment-outcome")
    expect(outcome).to_have_attribute("data-outcome", "captured", timeout=60_000)
    expect(outcome.get_by_role("heading", level=1)).to_have_text("Paid — your order is in your library")
    expect(outcome).to_contain_text("You paid $57.00")
    expect(outcome).to_contain_text("the seller will ship the rest")
    assert page.evaluate(f"localStorage.getItem('interkanect.cart.{seller.username.lower()}')") is None

    # The library: the order, its lines and total, the file with its downloads left.
    outcome.get_by_role("link", name="Open your library").click()
    expect(page).to_have_url(re.compile(r"/library\.html\?order="))
    order = page.get_by_test_id("order")
    expect(order).to_have_count(1)
    expect(order).to_have_class(re.compile("is-new"))
    expect(order.get_by_test_id("order-total")).to_have_text("$57.00")
    expect(order).to_contain_text("Enamel camp mug")
    expect(order).to_contain_text("2 × $20.00")
    expect(order.get_by_test_id("order-state")).to_have_text("Paid · to be shipped")
    file_row = order.get_by_test_id("order-file")
    expect(file_row).to_contain_text("field-guide.pdf")
    expect(file_row).to_contain_text("5 downloads left")
    shoot(page, tmp_path, "library-1280")

    # Download: the bytes are the PDF the seller uploaded, from the downloads origin, not the site's.
    with page.expect_download() as download:
        file_row.get_by_role("button", name="Download field-guide.pdf").click()
    assert download.value.url.startswith(local_stack["downloads"] + "/")
    saved = Path(download.value.path())
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == pdf.sha256
    assert download.value.suggested_filename == "field-guide.pdf"
    expect(file_row).to_contain_text("4 downloads left")

    # The seller ships; the buyer reads the carrier and tracking number, and says it arrived.
    [placed] = requests.get(f"{api}/me/orders", headers=customer.auth, timeout=30).json()["orders"]
    shipped = requests.post(f"{api}/orders/{placed['order_id']}/shipment", headers=seller.auth, timeout=30,
                            json={"carrier": "USPS", "tracking_number": "9400100000000000000000"})
    assert shipped.status_code == 200, shipped.text
    page.reload()
    expect(order.get_by_test_id("order-state")).to_have_text("Shipped")
    expect(order.get_by_test_id("shipment-text")).to_contain_text("with USPS")
    expect(order.get_by_test_id("tracking-number")).to_have_text("9400100000000000000000")
    order.get_by_role("button", name="It arrived").click()
    expect(order.get_by_test_id("order-state")).to_have_text("Delivered")
    expect(order.get_by_role("button", name="It arrived")).to_have_count(0)
    assert requests.get(f"{api}/orders/{placed['order_id']}", headers=customer.auth,
                        timeout=30).json()["order"]["state"] == "delivered"

    # The header leads to the library and the Marketplace.
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="Marketplace")).to_have_attribute("href", "/marketplace")
    trigger = header.get_by_role("button", name=re.compile(r"^Signed in as "))
    if trigger.get_attribute("aria-expanded") != "true":
        trigger.click()
    expect(page.get_by_test_id("library-link")).to_have_attribute("aria-current", "page")

    # The same pages on a phone: the product, the cart as a sheet, the library.
    page.set_viewport_size(PHONE)
    shoot(page, tmp_path, "library-390")
    page.goto(product_path(seller, mug))
    ready(page)
    shoot(page, tmp_path, "product-390")
    page.get_by_role("button", name="Add to cart").click()
    expect(cart(page)).to_be_visible()
    box = cart(page).bounding_box()
    assert box is not None and box["width"] == PHONE["width"], box
    shoot(page, tmp_path, "cart-390", full_page=False)

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_a_price_changed_after_adding_to_the_cart_is_shown_and_confirmed_before_paying(
        page: Page, local_stack, browser_log, tmp_path):
    api = local_stack["api"]
    seller = open_store(api, "pricyseller", flat_cents=500)
    mug = physical_product(api, seller, pictures=1)
    customer = sign_up_and_in(api, "pricybuyer")
    sign_in(page, customer.email, PASSWORD, product_path(seller, mug))
    ready(page)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-sum]")).to_have_text("$18.00")

    # Meanwhile the seller raises the price.
    set_price(api, seller, mug["slug"], 2100)

    # Checking out tells what changed, with the new price in the cart, and asks to confirm.
    cart(page).get_by_role("button", name="Check out with PayPal").click()
    problem = cart(page).locator("[data-cart-problem]")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("Your cart changed")
    expect(problem).to_contain_text("Enamel camp mug (Forest green) now costs $21.00 (was $18.00)")
    line = cart_line(page, "Enamel camp mug")
    expect(line.get_by_test_id("cart-line-changed")).to_have_text("Now $21.00 each, was $18.00")
    expect(line.get_by_test_id("cart-line-price")).to_contain_text("$21.00")
    expect(page.locator("[data-cart-sum]")).to_have_text("$21.00")
    shoot(page, tmp_path, "cart-changed-1280", full_page=False)
    saved = json.loads(page.evaluate(f"localStorage.getItem('interkanect.cart.{seller.username.lower()}')"))
    assert saved["lines"][0]["price_cents"] == 2100

    # Confirming goes to PayPal at the new price ($21 + $5 shipping); cancelling there keeps the cart.
    cart(page).get_by_role("button", name="Confirm and check out with PayPal").click()
    page.wait_for_url(CHECKOUT, timeout=30_000)
    expect(page.locator("body")).to_contain_text("$26.00")
    page.get_by_role("button", name="Cancel and return").click()
    outcome = page.get_by_test_id("payment-outcome")
    expect(outcome).to_have_attribute("data-outcome", "cancelled", timeout=60_000)
    expect(outcome).to_contain_text("your cart is kept")
    outcome.get_by_role("link", name="Back to the store").click()
    ready(page)
    expect(page.locator("[data-cart-open] [data-cart-count]")).to_have_text("1")

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(r"status of 409") == []


def test_a_free_download_goes_straight_to_the_library(page: Page, local_stack, browser_log):
    api = local_stack["api"]
    seller = open_store(api, "freeseller")
    checklist, pdf = digital_product(api, seller, title="Leak checklist", price_cents=0, file_name="checklist.pdf",
                                     pictures=0)
    customer = sign_up_and_in(api, "freebuyer")
    sign_in(page, customer.email, PASSWORD, product_path(seller, checklist))
    ready(page)
    expect(page.locator("[data-price]")).to_have_text("Free")

    # Buy now: no PayPal, the order is paid at once and waits in the library.
    page.get_by_role("button", name="Buy now").click()
    expect(page).to_have_url(re.compile(r"/library\.html\?order="))
    order = page.get_by_test_id("order")
    expect(order.get_by_test_id("order-total")).to_have_text("Free")
    with page.expect_download() as download:
        order.get_by_role("button", name="Download checklist.pdf").click()
    assert download.value.url.startswith(local_stack["downloads"] + "/")
    assert hashlib.sha256(Path(download.value.path()).read_bytes()).hexdigest() == pdf.sha256

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_the_last_units_taken_meanwhile_are_said_in_the_cart(page: Page, local_stack, browser_log):
    api = local_stack["api"]
    seller = open_store(api, "scarceseller")
    mug = physical_product(api, seller, pictures=0)
    midnight = next(v for v in mug["variants"] if v["name"] == "Midnight")
    customer = sign_up_and_in(api, "scarcebuyer")
    sign_in(page, customer.email, PASSWORD, product_path(seller, mug))
    ready(page)

    # All three Midnight mugs in the cart: the stepper stops at what is left.
    page.get_by_text("Midnight", exact=True).click()
    buy = page.locator("[data-buy]")
    more = buy.get_by_role("button", name="One more")
    more.click()
    more.click()
    expect(buy.get_by_label("Quantity")).to_have_value("3")
    expect(buy.get_by_role("button", name="One more")).to_be_disabled()
    buy.get_by_role("button", name="Add to cart").click()
    expect(cart_line(page, "Enamel camp mug").get_by_test_id("cart-quantity")).to_have_text("3")

    # Someone else checks out two of them first (their reservation holds the stock).
    rival = sign_up_and_in(api, "scarcerival")
    taken = requests.post(f"{api}/checkout", headers=rival.auth, timeout=30, json={
        "seller": seller.username, "lines": [{"slug": mug["slug"], "variant_id": midnight["variant_id"], "quantity": 2}]})
    assert taken.status_code == 201, taken.text

    # Checking out says how many are left; nothing was ordered; fewer makes it go through.
    cart(page).get_by_role("button", name="Check out with PayPal").click()
    problem = cart(page).locator("[data-cart-problem]")
    expect(problem).to_contain_text("Only 1 of Enamel camp mug (Midnight) left")
    assert requests.get(f"{api}/me/orders", headers=customer.auth, timeout=30).json()["orders"] == []
    line = cart_line(page, "Enamel camp mug")
    line.get_by_role("button", name=re.compile("^One less")).click()
    line.get_by_role("button", name=re.compile("^One less")).click()
    expect(line.get_by_test_id("cart-quantity")).to_have_text("1")
    expect(problem).to_be_hidden()
    cart(page).get_by_role("button", name="Check out with PayPal").click()
    page.wait_for_url(CHECKOUT, timeout=30_000)
    expect(page.locator("body")).to_contain_text("$25.00")  # $20 + $5 shipping

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(r"status of 409") == []
