"""The Earnings page in real Chromium on the whole local stack: a Helper's paid session shows as
pending with what the customer paid and the fees, the next payout day, the history downloaded as
CSV, the menu link, the sign-in redirect and the empty state; and, on a stack of its own (the
payout job pays every payable Helper), a payout PayPal could not deliver, with the way to fix it."""
from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import open_person, sign_in
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import eventually, paid_call_that_ended
from tests.support.stack import deps_pointed_at, stack_without_payout_job

pytestmark = pytest.mark.e2e

SESSION_PRICES = {"15": 2500, "30": None, "60": None}


def open_account_menu(page: Page) -> None:
    """Opens the signed-in menu under the person's name in the header."""
    trigger = page.get_by_role("button", name=re.compile(r"^Signed in as "))
    expect(trigger).to_have_attribute("aria-expanded", re.compile("true|false"))
    if trigger.get_attribute("aria-expanded") != "true":
        trigger.click()
    expect(page.get_by_test_id("payments-link")).to_be_visible()


def history_row(page: Page, kind: str):
    return page.locator(f"[data-testid='history-row'][data-kind='{kind}']")


def test_a_helper_sees_a_paid_session_pending_and_downloads_the_history(page: Page, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "earner", prices=SESSION_PRICES)
    open_storefront(api, helper)
    customer = sign_up_and_in(api, "earnercustomer")
    payment = paid_call_that_ended(local_stack, helper, customer, price_cents=2500)

    # Signed out, the page sends the visitor to sign in and back.
    page.goto("/earnings.html")
    expect(page).to_have_url(re.compile(r"/sign-in\.html\?next=%2Fearnings\.html$"))

    # Signed in, the menu under the Helper's name leads there.
    sign_in(page, helper.email, PASSWORD, "/index.html")
    open_account_menu(page)
    page.get_by_test_id("earnings-link").click()
    expect(page).to_have_url(re.compile(r"/earnings\.html$"))
    expect(page.get_by_test_id("earnings-link")).to_have_attribute("aria-current", "page")

    # The balances: 80% of the $25 session pending (the free plan's 20% fee taken), nothing payable yet.
    expect(page.locator("[data-balance-pending]")).to_have_text("$20.00")
    expect(page.get_by_test_id("payout-email")).to_contain_text("Payouts go to the PayPal account")
    expect(page.locator("[data-balance-payable]")).to_have_text("$0.00")
    expect(page.locator("[data-balance-in-transit]")).to_have_text("$0.00")
    expect(page.get_by_test_id("balance-pending")).to_contain_text(
        "Becomes payable 24 hours after a session unless a refund is requested")

    # The next payout day, as the server has it, paid by 7 PM Pacific, with the minimum.
    next_payout = requests.get(f"{api}/me/earnings", headers=helper.auth, timeout=30).json()["next_payout"]
    day = page.locator("[data-next-payout-day] time")
    expect(day).to_have_attribute("datetime", next_payout["day"])
    expect(day).to_have_text(re.compile(r"^\w+day, \w+ \d{1,2}, \d{4}$"))
    expect(page.locator("[data-next-payout-by]")).to_contain_text("Paid by 7 PM Pacific")
    expect(page.locator("[data-next-payout-rule]")).to_contain_text("is payable")

    # The history: the session as the customer paid it, the fees, and what reached the Helper.
    capture = history_row(page, "capture")
    expect(capture).to_have_count(1)
    expect(capture).to_contain_text("Payment received")
    expect(capture).to_contain_text("Session")
    expect(capture.locator("[data-gross]")).to_have_text("$25.00")
    expect(capture.locator("[data-fees]")).to_have_text("$5.00")
    expect(capture.locator("[data-to-you]")).to_have_text("+$20.00")
    expect(capture.locator("[data-account]")).to_have_text("Pending")
    expect(page.locator("[data-payouts]")).to_be_hidden()
    expect(page.get_by_role("button", name="Show older")).to_be_hidden()
    expect(page.get_by_test_id("earnings-empty")).to_be_hidden()

    # Download CSV: a file whose rows parse, the capture among them.
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download CSV").click()
    download = downloading.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    [line] = [row for row in rows if row["kind"] == "capture"]
    assert (line["amount"], line["amount_cents"], line["account"], line["direction"]) == (
        "20.00", "2000", "pending", "credit")
    assert (line["payment_id"], line["gross_cents"]) == (payment["payment_id"], "2500")
    expect(page.locator("[data-history-status]")).to_contain_text("downloading")

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_an_open_refund_request_leads_the_helpers_payments_and_is_said_to_hold_earnings(
        page: Page, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "heldearner", prices=SESSION_PRICES)
    open_storefront(api, helper)
    customer = sign_up_and_in(api, "heldcustomer")
    payment = paid_call_that_ended(local_stack, helper, customer, price_cents=2500)
    asked = requests.post(f"{api}/refunds", json={"payment_id": payment["payment_id"],
                                                   "reason": "The Helper never showed the fix."},
                          headers=customer.auth, timeout=30)
    assert asked.status_code == 201, asked.text

    sign_in(page, helper.email, PASSWORD, "/payments.html")
    notice = page.locator("[data-needs-action]")
    expect(notice).to_contain_text("A customer asked for a refund about your session.")
    # What needs the Helper comes first: the request right under the notice, above getting paid.
    first_section = page.locator(".payments-section:not([hidden])").first
    expect(first_section).to_have_id("refunds-about-me")
    notice.get_by_role("link", name="Give your side").click()
    expect(page).to_have_url(re.compile(r"#refunds-about-me$"))

    page.goto("/earnings.html")
    held = page.locator("[data-held-by-refunds]")
    expect(held).to_contain_text("1 open refund request holds the earnings of sessions paid $25.00")
    expect(held.get_by_role("link", name="Give your side")).to_have_attribute("href", "/payments.html#refunds-about-me")
    assert browser_log.unexpected() == []


def test_someone_without_earnings_gets_a_friendly_empty_page(page: Page, local_stack, browser_log):
    customer = sign_up_and_in(local_stack["api"], "noearnings")
    sign_in(page, customer.email, PASSWORD, "/index.html")
    open_account_menu(page)
    expect(page.get_by_test_id("earnings-link")).to_have_count(0)  # the menu offers it to Helpers

    page.goto("/earnings.html")
    empty = page.get_by_test_id("earnings-empty")
    expect(empty).to_be_visible()
    expect(empty.get_by_role("heading", name="No earnings yet")).to_be_visible()
    expect(empty.get_by_role("link", name="Create your Helper page")).to_have_attribute(
        "href", "/become-a-helper.html")
    expect(page.locator("[data-balances]")).to_be_hidden()
    expect(page.locator("[data-history]")).to_be_hidden()
    expect(page.locator("[data-earnings-status]")).to_have_text("")

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


# ---- A payout PayPal could not deliver, on a stack of its own -------------------------------


@pytest.fixture(scope="module")
def payout_stack(tmp_path_factory):
    yield from stack_without_payout_job(tmp_path_factory, "earnings-payouts")


@pytest.fixture
def payout_desk(payout_stack, monkeypatch):
    """The payout job's dependencies, pointed at `payout_stack`, to run it with a frozen clock."""
    for deps in deps_pointed_at(payout_stack, monkeypatch):
        yield deps.payout_desk()


def test_a_returned_payout_says_why_and_where_to_fix_the_paypal_email(browser: Browser, payout_stack,
                                                                      payout_desk, browser_log):
    from chalicelib.domain.payout_schedule import next_run_start
    from chalicelib.services.payouts import run_payouts

    api, paypal = payout_stack["api"], payout_stack["paypal"]
    helper = become_helper(api, "unclaimed", prices=SESSION_PRICES)
    receiver = f"nobody-{helper.username}@example.com"
    open_storefront(api, helper, receiver)
    told = requests.post(f"{paypal}/sandbox/payouts/receivers", json={"email": receiver, "outcome": "FAILED"},
                         timeout=30)
    assert told.status_code in (200, 201), told.text
    paid_call_that_ended(payout_stack, helper, sign_up_and_in(api, "payer"), price_cents=2500)

    # The payout job runs on the first payout day after the refund window; PayPal fails the item.
    friday = next_run_start(payout_desk.schedule, int(time.time()) + 86_400) + 3600  # an hour into that run
    outcome = run_payouts(desk=payout_desk, now=friday)
    run_id, helper_id = outcome["payout_day"], helper.tokens["user_id"]
    assert eventually(lambda: payout_desk.items.get(run_id, helper_id).state.value == "returned"), \
        payout_desk.items.get(run_id, helper_id)

    # Pages of two lines instead of fifty, so that "Show older" has pages to show.
    page = browser_log.watch(open_person(browser, payout_stack["site"]).new_page())
    page.route(re.compile(r"/api/me/earnings\?"),
               lambda route: route.continue_(url=route.request.url.replace("limit=50", "limit=2")))
    sign_in(page, helper.email, PASSWORD, "/earnings.html")
    row = page.get_by_test_id("payout-row")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-state", "returned")
    expect(row).to_contain_text("$20.00")
    expect(row).to_contain_text(receiver)
    expect(row.locator("[data-state]")).to_have_text("Returned")
    expect(row.locator("[data-payout-error]")).to_contain_text("locked or inactive")
    expect(row.get_by_role("link", name="Check your PayPal email")).to_have_attribute(
        "href", "/payments.html#getting-paid")

    # The money came back: payable again, nothing on its way.
    expect(page.locator("[data-balance-pending]")).to_have_text("$0.00")
    expect(page.locator("[data-balance-payable]")).to_have_text("$20.00")
    expect(page.locator("[data-balance-in-transit]")).to_have_text("$0.00")

    # The history, older pages on demand: the capture, both legs of its release, the payout
    # and its return, each once, newest first.
    rows = page.get_by_test_id("history-row")
    older = page.get_by_role("button", name="Show older")
    expect(rows).to_have_count(2)
    older.click()
    expect(rows).to_have_count(4)
    older.click()
    expect(rows).to_have_count(5)
    expect(older).to_be_hidden()
    positions = [row.get_attribute("data-position") for row in rows.all()]
    assert positions == sorted(positions, reverse=True) and len(set(positions)) == 5
    assert sorted(row.get_attribute("data-kind") for row in rows.all()) == [
        "capture", "payout", "payout_return", "release", "release"]
    expect(history_row(page, "payout")).to_contain_text("−$20.00")
    expect(history_row(page, "payout_return")).to_contain_text("+$20.00")

    row.get_by_role("link", name="Check your PayPal email").click()
    expect(page).to_have_url(re.compile(r"/payments\.html#getting-paid$"))
    expect(page.get_by_label("PayPal email")).to_have_value(receiver)

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
