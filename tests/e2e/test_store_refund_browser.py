"""The seller refunds a store order from the Orders page in real Chromium on the whole local
stack (API, PayPal sandbox): part of it first, then the rest, each confirmed before it goes and
checked against the API's order; an amount over what is left, and one the order no longer has
because it was refunded meanwhile, are refused beside the amount. Also: the Sales page is one
link away from Orders and My Store. Screenshots of the card with its refund form open (and at
its confirm step) at 1280 and 390 px wide are kept in the test's tmp dir."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.pages import become_helper, open_storefront
from tests.support.store import buy
from tests.support.store_seller import product_on_sale

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def shoot(page: Page, card: Locator, folder, name: str) -> None:
    """The order card at 1280 and 390 px wide, as `<name>-1280.png` and `<name>-390.png` (cut
    from the whole page, so that the sticky header covers none of it)."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        box = card.bounding_box()
        page.screenshot(path=folder / f"{name}-{size['width']}.png", full_page=True,
                        clip={"x": box["x"] - 8, "y": box["y"] - 8, "width": box["width"] + 16,
                              "height": box["height"] + 16})
    page.set_viewport_size(DESKTOP)


def typed(cents: int) -> str:
    """An amount as a person types it: 3701 → "37.01"."""
    return f"{cents // 100}.{cents % 100:02d}"


def refunded_cents(api: str, seller, order_id: str) -> int:
    answer = requests.get(f"{api}/orders/{order_id}", headers=seller.auth, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["order"]["refunded_cents"]


def test_the_seller_refunds_part_of_an_order_then_the_rest_from_the_orders_page(
        page: Page, local_stack, browser_log, tmp_path):
    api = local_stack["api"]
    helper = become_helper(api, "refunder")
    open_storefront(api, helper)
    mugs = product_on_sale(api, helper, title="Enamel camp mug", variants=[
        {"name": "Forest green", "sku": "MUG-GRN", "price_cents": 1850, "stock": 4}])
    customer = sign_up_and_in(api, "mugbuyer")
    order = buy(local_stack, customer, helper, mugs, quantity=2)
    total = order["total_cents"]

    sign_in(page, helper.email, PASSWORD, "/my-orders.html")
    expect(page.get_by_role("link", name="Sales", exact=True)).to_have_attribute("href", "/sales.html")
    card = page.locator(f"[data-order-id='{order['order_id']}']")
    expect(card.locator("[data-refunded]")).to_have_count(0)

    # The form opens with what is left, in dollars; more than that is refused beside the amount.
    card.locator("summary", has_text="Refund").click()
    amount = card.get_by_label("Amount to refund")
    expect(amount).to_have_value(typed(total))
    expect(card.locator("[data-refund-form]")).to_contain_text(f"Up to {dollars(total)}, the whole order.")
    amount.fill(typed(total + 1))
    card.get_by_role("button", name="Review refund").click()
    amount_error = card.locator("[data-error-for='amount_cents']")
    expect(amount_error).to_have_text(f"Only {dollars(total)} is left to refund.")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(card.locator("[data-error-for='reason']")).to_have_text("Say why in a few words: the buyer reads it.")
    shoot(page, card, tmp_path, "refund-form-errors")

    # $5.00 for a chipped mug: the confirm step asks before anything is sent.
    amount.fill("5")
    expect(amount).not_to_have_attribute("aria-invalid", "true")
    expect(amount_error).to_have_text("")
    card.get_by_label("Reason").fill("One mug arrived chipped.")
    card.get_by_role("button", name="Review refund").click()
    expect(card.locator("[data-refund-question]")).to_have_text("Refund $5.00 to the buyer through PayPal?")
    expect(amount).to_have_js_property("readOnly", True)
    expect(card.get_by_role("button", name="Review refund")).to_be_hidden()
    shoot(page, card, tmp_path, "refund-form-confirm")

    # Sending: nothing can be clicked twice while the API answers (the request is held here).
    held, refunds = [], re.compile(r"/orders/[^/]+/refunds$")

    def hold(route):
        held.append(route)

    page.route(refunds, hold)
    send = card.get_by_role("button", name="Refund $5.00")
    send.click()
    expect(card.get_by_role("button", name="Refunding…")).to_be_disabled()
    expect(card.get_by_role("button", name="Change")).to_be_disabled()
    for _ in range(50):  # the route handler runs between calls to the browser
        if held:
            break
        page.evaluate("0")
    assert len(held) == 1
    held[0].continue_()
    page.unroute(refunds, hold)

    expect(page.locator("[data-orders-notice]")).to_have_text(
        re.compile(r"^\$5\.00 of order \w+ went back to the buyer through PayPal\. They get an email\.$"))
    card = page.locator(f"[data-order-id='{order['order_id']}']")
    expect(card.locator("[data-refunded]")).to_have_text(f"Refunded $5.00 of {dollars(total)}.")
    expect(card.locator(".order-refund-badge")).to_have_text("Partly refunded")
    expect(card.locator("[data-order-total]")).to_have_text(dollars(total - 500))
    assert refunded_cents(api, helper, order["order_id"]) == 500
    shoot(page, card, tmp_path, "refund-partly")

    # The rest: prefilled with what is left now; then the order is fully refunded.
    card.locator("summary", has_text="Refund").click()
    expect(card.get_by_label("Amount to refund")).to_have_value(typed(total - 500))
    expect(card.locator("[data-refund-form]")).to_contain_text(
        f"Up to {dollars(total - 500)}, what is left of {dollars(total)}.")
    card.get_by_label("Reason").fill("Both mugs were chipped after all.")
    card.get_by_role("button", name="Review refund").click()
    card.get_by_role("button", name=f"Refund {dollars(total - 500)}").click()
    expect(card.locator("[data-refunded]")).to_have_text(
        f"Fully refunded: {dollars(total)} went back to the buyer.")
    expect(card.locator(".order-refund-badge")).to_have_text("Refunded")
    expect(card.locator("summary")).to_have_count(0)
    expect(card.get_by_role("button", name="Mark as shipped")).to_have_count(0)
    assert refunded_cents(api, helper, order["order_id"]) == total
    shoot(page, card, tmp_path, "refund-full")

    # Reloaded, the card says the same; My Store links to Sales too.
    page.reload()
    expect(page.locator(f"[data-order-id='{order['order_id']}'] [data-refunded]")).to_contain_text("Fully refunded")
    page.goto("/my-store.html")
    expect(page.locator("[data-catalogue]").get_by_role("link", name="Sales", exact=True)).to_have_attribute(
        "href", "/sales.html")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_a_refund_of_more_than_is_left_after_another_refund_is_refused_beside_the_amount(
        page: Page, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "stalepage")
    open_storefront(api, helper)
    snake = product_on_sale(api, helper, title="Drain snake", variants=[
        {"name": "Standard", "sku": "DS-1", "price_cents": 2400, "stock": 2}])
    customer = sign_up_and_in(api, "snakebuyer")
    order = buy(local_stack, customer, helper, snake)
    total = order["total_cents"]

    sign_in(page, helper.email, PASSWORD, "/my-orders.html")
    card = page.locator(f"[data-order-id='{order['order_id']}']")
    card.locator("summary", has_text="Refund").click()
    expect(card.get_by_label("Amount to refund")).to_have_value(typed(total))

    # Meanwhile $3.00 is refunded elsewhere (another tab): the page still offers the whole total.
    answer = requests.post(f"{api}/orders/{order['order_id']}/refunds", headers=helper.auth, timeout=60,
                           json={"amount_cents": 300, "reason": "Late delivery."})
    assert answer.status_code == 200, answer.text

    card.get_by_label("Reason").fill("It never arrived.")
    card.get_by_role("button", name="Review refund").click()
    card.get_by_role("button", name=f"Refund {dollars(total)}").click()
    card = page.locator(f"[data-order-id='{order['order_id']}']")
    expect(card.locator("[data-error-for='amount_cents']")).to_have_text(
        f"The order was refunded meanwhile: {dollars(total - 300)} is left.")
    expect(card.get_by_label("Amount to refund")).to_have_attribute("aria-invalid", "true")
    expect(card.get_by_label("Amount to refund")).to_be_focused()
    expect(card.locator("[data-refunded]")).to_have_text(f"Refunded $3.00 of {dollars(total)}.")
    assert refunded_cents(api, helper, order["order_id"]) == 300
    assert browser_log.csp_violations() == []
    refused = r"status of 400 .*/orders/[^/]+/refunds\)$"
    assert len(browser_log.errors) - len(browser_log.unexpected(refused)) == 1
    assert browser_log.unexpected(refused) == []
