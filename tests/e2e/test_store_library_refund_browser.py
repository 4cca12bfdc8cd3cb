"""A buyer asks for a store refund from their library, in real Chromium on the whole local stack:
the order card names the seller (a link to their store) and links each line to its product;
"Ask for a refund" opens a form that wants a reason of at least 10 characters; once sent, the
card says the request is asked for and when our team decides, a reload keeps it (the page reads
`GET /refunds`, so the form is not offered twice), and the API has the request open for that
order's payment. Screenshots of the card with its form at 1280 and 390 px are kept in the
test's tmp dir."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.store import buy, digital_product, open_store

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
REASON = "The guide's PDF has only one page, not the 48 the description promised."


def shoot(page: Page, card: Locator, folder: Path, name: str) -> Path:
    """A screenshot of one order card, kept with the test (cut from the whole page, so the sticky
    header does not cover a card taller than the window)."""
    path = folder / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")
    box = card.bounding_box()
    assert box is not None
    page.screenshot(path=str(path), full_page=True, clip=box, animations="disabled")
    return path


def test_a_buyer_asks_for_a_refund_of_a_download_from_the_library(page: Page, local_stack, browser_log, tmp_path):
    api = local_stack["api"]
    seller = open_store(api, "refundseller")
    guide, _ = digital_product(api, seller)
    customer = sign_up_and_in(api, "refundbuyer")
    order = buy(local_stack, customer, seller, guide)

    page.set_viewport_size(DESKTOP)
    sign_in(page, customer.email, PASSWORD, "/library.html")
    card = page.get_by_test_id("order")
    expect(card).to_have_count(1)

    # Who sold it, and where the product is.
    expect(card.get_by_test_id("order-seller").get_by_role("link", name=seller.display_name)).to_have_attribute(
        "href", f"/h/{seller.username}/store")
    expect(card.get_by_role("link", name="Fix-it field guide")).to_have_attribute(
        "href", f"/h/{seller.username}/store/{guide['slug']}")

    # The disclosure opens the form; a reason too short is said beside the field.
    ask = card.get_by_role("button", name="Ask for a refund")
    expect(ask).to_have_attribute("aria-expanded", "false")
    form = card.get_by_role("form", name="Ask for a refund")
    expect(form).to_be_hidden()
    ask.click()
    expect(ask).to_have_attribute("aria-expanded", "true")
    expect(form).to_be_visible()
    reason = form.get_by_label("Why do you want a refund?")
    expect(reason).to_be_focused()
    reason.fill("Bad.")
    form.get_by_role("button", name="Send refund request").click()
    expect(form.locator("[data-error-for='reason']")).to_have_text("Say a little more: at least 10 characters.")
    expect(reason).to_have_attribute("aria-invalid", "true")
    reason.fill(REASON)
    expect(reason).not_to_have_attribute("aria-invalid", "true")
    expect(form.locator("[data-error-for='reason']")).to_be_empty()
    shoot(page, card, tmp_path, "refund-form-1280")
    page.set_viewport_size(PHONE)
    shoot(page, card, tmp_path, "refund-form-390")
    page.set_viewport_size(DESKTOP)

    # Sent: the card says it was asked for and by when our team decides; the form is gone.
    form.get_by_role("button", name="Send refund request").click()
    asked = card.get_by_test_id("refund-asked")
    expect(asked).to_have_text(re.compile(r"^Refund asked for: our team decides by \w{3} \d{1,2}, \d{4}\.$"))
    expect(asked).to_be_focused()
    expect(card.get_by_role("button", name="Ask for a refund")).to_have_count(0)
    shoot(page, card, tmp_path, "refund-asked-1280")

    # A reload keeps it: the page reads the requests already made.
    page.reload()
    expect(card.get_by_test_id("refund-asked")).to_contain_text("Refund asked for: our team decides by")
    expect(card.get_by_role("button", name="Ask for a refund")).to_have_count(0)

    # The API has it open, for this order's payment, with the buyer's reason.
    mine = requests.get(f"{api}/refunds", headers=customer.auth, timeout=30)
    assert mine.status_code == 200, mine.text
    [request] = [r for r in mine.json()["asked"] if r["payment_id"] == order["payment_id"]]
    assert request["state"] == "open"
    assert request["reason"] == REASON

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
