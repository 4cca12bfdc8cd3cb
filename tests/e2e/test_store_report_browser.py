"""Reporting a product and ops hiding it, in real Chromium on the whole local stack: a signed-in
visitor reports a product from its page (the one Report form: a reason is required, a note is
optional; a second report says it was sent already), the seller sees no Report button on their own
product, ops finds the product's card in the one moderation queue (kind, a link to it, the count
and reasons, the note as text) and hides it with a note; the product page and the Marketplace no
longer show it and the seller is emailed why."""
from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.mailbox import emails_to
from tests.support.moderation import case_of, queued
from tests.support.payments import eventually, ops_person
from tests.support.store import open_store, physical_product

pytestmark = pytest.mark.e2e

NOTE = "Sold as <b>genuine</b> but it is a copy."
NOT_FOUND = r"Failed to load resource: the server responded with a status of 404"  # the hidden product
ALREADY = r"Failed to load resource: the server responded with a status of 409"  # the second report


def test_a_visitor_reports_a_product_and_ops_hides_it(page: Page, local_stack, browser_log):
    api, tag = local_stack["api"], uuid.uuid4().hex[:6]
    seller = open_store(api, f"rps{tag}")
    seller_id = requests.get(f"{api}/me", headers=seller.auth, timeout=30).json()["user_id"]
    product = physical_product(api, seller, title=f"Designer mug {tag}", pictures=0)
    path = f"/h/{seller.username}/store/{product['slug']}"
    visitor = sign_up_and_in(api, f"rpv{tag}")

    # The seller has nothing to report on their own product.
    sign_in(page, seller.email, PASSWORD, path)
    expect(page.get_by_role("heading", level=1)).to_have_text(product["title"])
    expect(page.get_by_role("button", name="Report this product")).to_be_hidden()
    page.context.clear_cookies()
    page.evaluate("() => localStorage.clear()")

    # A visitor reports it: a reason is required; once sent, thanks in the form's place.
    sign_in(page, visitor.email, PASSWORD, path)
    page.get_by_role("button", name="Report this product").click()
    form = page.get_by_role("form", name="Report this product")
    form.get_by_role("button", name="Send report").click()  # no reason: refused here, nothing sent
    expect(form.locator("[data-error-for='reason']")).to_have_text("Choose a reason.")
    form.get_by_label("Why are you reporting this product?").select_option(label="Counterfeit or infringing")
    form.get_by_label("Anything our team should know (optional)").fill(NOTE)
    with page.expect_response(lambda r: r.url.endswith("/reports") and r.request.method == "POST") as sent:
        form.get_by_role("button", name="Send report").click()
    assert sent.value.status == 201
    assert sent.value.request.post_data_json == {"kind": "product", "id": f"{seller_id}/{product['slug']}",
                                                  "reason": "counterfeit", "note": NOTE}
    expect(page.get_by_test_id("reported")).to_have_text("Thanks — our team will look at it.")

    # Reporting it again from a fresh page: the server says it was reported already, and so does the page.
    page.reload()
    page.get_by_role("button", name="Report this product").click()
    page.get_by_label("Why are you reporting this product?").select_option(label="Spam or advertising")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_test_id("reported")).to_have_text("You reported this product already — our team will look "
                                                         "at it.")

    # Ops finds one card for it in the one queue and hides it with a note.
    ops = ops_person(local_stack, f"rpo{tag}")
    page.context.clear_cookies()
    page.evaluate("() => localStorage.clear()")
    sign_in(page, ops.email, PASSWORD, "/ops-reviews.html")
    card = case_of(page, f"product:{seller_id}/{product['slug']}")
    expect(card).to_have_count(1)
    expect(card.locator(".ops-kind")).to_have_text("Product")
    expect(card.get_by_test_id("ops-item-link")).to_have_attribute("href", path)
    expect(card.get_by_test_id("ops-count")).to_have_text("1 report waiting")
    expect(card.get_by_test_id("ops-reasons")).to_contain_text("Counterfeit or infringing × 1")
    expect(card.get_by_test_id("ops-report")).to_contain_text(NOTE)  # as text
    expect(card.locator("b")).to_have_count(0)
    expect(card).to_contain_text(f"@{seller.username}")
    card.get_by_label("Note (required to hide)").fill(f"Counterfeit goods are not allowed ({tag}).")
    card.get_by_role("button", name="Hide", exact=True).click()
    expect(card).to_have_count(0)
    expect(page.get_by_test_id("ops-outcome")).to_contain_text("left the store and the Marketplace")
    assert f"product:{seller_id}/{product['slug']}" not in queued(api, ops)

    # The public no longer finds it (public pages are cached for 30 seconds: a fresh address); its
    # seller is told why.
    assert page.request.get(path).status == 404
    page.goto(f"{path}?after-hiding")
    expect(page.get_by_role("heading", level=1)).not_to_have_text(product["title"])
    found = requests.get(f"{api}/marketplace/products", params={"q": product["title"]}, timeout=30).json()
    assert product["slug"] not in [p["slug"] for p in found["products"]]
    email = eventually(lambda: next((m for m in emails_to(local_stack["aws"], seller.email)
                                     if m.get("subject") == "Your product was hidden"), None))
    assert email and f"Counterfeit goods are not allowed ({tag})." in email["body"]
    assert re.search(re.escape(product["title"]), email["body"])

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(NOT_FOUND, ALREADY) == []
