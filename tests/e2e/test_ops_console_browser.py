"""The ops console in real Chromium on the whole local stack: ops follows the one Ops link in the
menu to /ops.html and sees today's figures (a call paid at the PayPal sandbox counted), what waits
for them with links to the other ops pages, and the audit log; finds a person by username and by
email, opens their page with the call and the payment in their history, disqualifies a Helper with
a reason and restores them (both in the audit log on the page); at phone width nothing overflows;
anyone else is told the console is not for them."""
from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import ops_person, paid_call_that_ended

pytestmark = pytest.mark.e2e

REFUSED_REQUEST = r"Failed to load resource: the server responded with a status of 403"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def cast(local_stack) -> dict:
    api = local_stack["api"]
    helper = become_helper(api, "consolehelper")
    open_storefront(api, helper)
    caller = sign_up_and_in(api, "consolecaller")
    payment = paid_call_that_ended(local_stack, helper, caller, price_cents=2500)
    return {"helper": helper, "caller": caller, "payment": payment, "ops": ops_person(local_stack, "consoleops"),
            "caller_id": requests.get(f"{api}/me", headers=caller.auth, timeout=30).json()["user_id"]}


def open_account_menu(page: Page) -> None:
    trigger = page.get_by_role("button", name=re.compile(r"^Signed in as "))
    expect(trigger).to_have_attribute("aria-expanded", re.compile("true|false"))
    if trigger.get_attribute("aria-expanded") != "true":
        trigger.click()
    expect(page.get_by_test_id("payments-link")).to_be_visible()


def test_ops_sees_the_numbers_finds_a_person_and_opens_their_history(page: Page, cast, browser_log):
    sign_in(page, cast["ops"].email, PASSWORD, "/index.html")
    open_account_menu(page)
    expect(page.get_by_test_id("ops-link")).to_have_text("Ops")
    page.get_by_test_id("ops-link").click()
    expect(page).to_have_url(re.compile(r"/ops\.html$"))
    expect(page.get_by_role("heading", name="Ops console", level=1)).to_be_visible()

    # Today's figures: the paid call is in them (the stack is shared: at least ours).
    sessions = page.get_by_test_id("ops-stat-paid_sessions").locator("[data-stat-value]")
    expect(sessions).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(page.get_by_test_id("ops-stat-revenue").locator("[data-stat-value]")).to_have_text(
        re.compile(r"^\$[\d,]+\.\d\d$"))
    expect(page.get_by_test_id("ops-stat-revenue")).to_contain_text("in 7 days")
    expect(page.locator("[data-week-rows] tr")).to_have_count(7)
    expect(page.locator("[data-week-chart] svg rect")).to_have_count(7)

    # What waits for ops, each leading to its page.
    expect(page.get_by_test_id("ops-refunds-link")).to_have_attribute("href", "/ops-refunds.html")
    expect(page.get_by_test_id("ops-reviews-link")).to_have_attribute("href", "/ops-reviews.html")
    expect(page.get_by_test_id("ops-watch-link")).to_have_attribute("href", "/ops-watch.html")
    expect(page.locator("[data-queue-moderation]")).to_have_text(re.compile(r"^\d+\+?$"))

    # Find the caller by username, then by email.
    caller = cast["caller"]
    query = page.get_by_test_id("ops-people-query")
    query.fill(f"@{caller.username}")
    query.press("Enter")
    result = page.get_by_test_id("ops-person-result")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(caller.email)
    query.fill(caller.email)
    page.get_by_role("button", name="Find", exact=True).click()
    expect(result).to_have_attribute("data-user-id", cast["caller_id"])

    # Their page: the call and the payment, with the Helper named.
    result.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/ops-person\.html\?id="))
    expect(page.get_by_role("heading", name=caller.display_name, level=1)).to_be_visible()
    call = page.locator(f"[data-testid='person-call'][data-call-id='{cast['payment']['call_id']}']")
    expect(call).to_contain_text("Caller")
    expect(call).to_contain_text("$25.00")
    expect(call.get_by_role("link", name=f"@{cast['helper'].username}")).to_be_visible()
    payment = page.locator(f"[data-testid='person-payment'][data-payment-id='{cast['payment']['payment_id']}']")
    expect(payment).to_contain_text("Paid")
    expect(payment).to_contain_text("$25.00")
    expect(page.get_by_test_id("ops-standing")).to_contain_text("Only Helpers can be disqualified")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_ops_disqualifies_and_restores_a_helper_from_their_page(page: Page, cast, browser_log):
    helper = cast["helper"]
    sign_in(page, cast["ops"].email, PASSWORD, f"/ops.html?q={helper.username}")
    page.get_by_test_id("ops-person-result").get_by_role("link").click()
    standing = page.get_by_test_id("ops-standing")
    expect(standing.get_by_test_id("ops-standing-state")).to_have_text("In good standing")

    standing.get_by_role("button", name="Disqualify").click()
    expect(standing.locator("[data-error-for='reason']")).to_contain_text("Write why")
    standing.get_by_test_id("ops-standing-reason").fill("Hosted free sessions excessively after two warnings.")
    standing.get_by_role("button", name="Disqualify").click()
    expect(standing.get_by_test_id("ops-standing-state")).to_have_text("Disqualified")
    expect(standing).to_contain_text("after two warnings")
    entry = page.get_by_test_id("audit-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Disqualified")
    expect(entry).to_contain_text(f"@{cast['ops'].username}")

    appeal = f"Appeal heard: a charity week ({uuid.uuid4().hex[:8]})."
    standing.get_by_test_id("ops-standing-reason").fill(appeal)
    standing.get_by_role("button", name="Restore").click()
    expect(standing.get_by_test_id("ops-standing-state")).to_have_text("In good standing")
    expect(page.get_by_test_id("audit-entry")).to_have_count(2)  # the same second: in either order
    expect(page.get_by_test_id("audit-entry").filter(has_text="Restored")).to_contain_text(appeal)

    # The console's audit log lists both, and offers the CSV.
    page.get_by_test_id("ops-console-link").click()
    restored = page.get_by_test_id("audit-entry").filter(has_text=appeal)
    expect(restored).to_contain_text("Restored")
    expect(restored.get_by_role("link", name=f"@{helper.username}")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("ops-audit-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


@pytest.mark.parametrize("viewport", [PHONE])
def test_at_phone_width_the_console_and_a_persons_page_fit_the_screen(page: Page, cast, browser_log):
    sign_in(page, cast["ops"].email, PASSWORD, f"/ops.html?q={cast['caller'].email}")
    expect(page.get_by_test_id("ops-person-result")).to_have_count(1)
    expect(page.get_by_test_id("ops-stat-paid_sessions")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_test_id("ops-person-result").get_by_role("link").click()
    expect(page.get_by_test_id("person-call").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert browser_log.unexpected() == []


def test_the_console_is_for_ops_only(page: Page, local_stack, browser_log):
    page.goto("/ops.html")
    expect(page).to_have_url(re.compile(r"/sign-in\.html\?next=%2Fops\.html$"))
    customer = sign_up_and_in(local_stack["api"], "notopsconsole")
    sign_in(page, customer.email, PASSWORD, "/index.html")
    open_account_menu(page)
    expect(page.get_by_test_id("ops-link")).to_have_count(0)
    page.goto("/ops.html")
    expect(page.get_by_role("heading", name="This page is for the ops team")).to_be_visible()
    expect(page.locator("[data-console]")).to_be_hidden()
    page.goto("/ops-person.html?id=someone")
    expect(page.get_by_role("heading", name="This page is for the ops team")).to_be_visible()
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(REFUSED_REQUEST) == []
