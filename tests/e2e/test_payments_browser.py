"""Payments in real Chromium on the whole local stack, PayPal being the local sandbox with its
approval page: a paid session (the PayPal pop-up, the call suspended on both sides, resumed by
itself once the payment is captured), cancelling at PayPal, a tip in a session with a Helper on
the upgraded plan, a refund asked for on the Payments page and approved on the ops page, and a
Helper setting up their storefront and upgrading their plan."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import expect_video_playing, sign_in
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import (CHECKOUT, accept_and_pay, answered_call, capture_of, cents,
                                     expect_local_media, ops_person, paid_call_that_ended, paypal_get,
                                     propose, upgraded_helper, wait_until_closed)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

PAYMENT_COUNTDOWN = re.compile(r"^(10|[0-9]):\d\d left to pay$")
SESSION_COUNTDOWN = re.compile(r"^1[45]:\d\d$")


RECORD_BANNERS = """() => {
  const banner = document.querySelector("[data-room-banner]");
  window.shownBanners = [];
  new MutationObserver(() => {
    if (!banner.hidden && banner.textContent) window.shownBanners.push(banner.textContent);
  }).observe(banner, { attributes: true, childList: true, characterData: true, subtree: true });
}"""


def record_banners(room: Page) -> None:
    """Keeps every text the room's banner shows, so a test can ask for one after it went: a
    banner is news for a few seconds, and a busy machine may take longer to look."""
    room.evaluate(RECORD_BANNERS)


def open_account_menu(page: Page) -> None:
    """Opens the signed-in menu under the person's name in the header."""
    trigger = page.get_by_role("button", name=re.compile(r"^Signed in as "))
    expect(trigger).to_have_attribute("aria-expanded", re.compile("true|false"))
    if trigger.get_attribute("aria-expanded") != "true":
        trigger.click()
    expect(page.get_by_test_id("payments-link")).to_be_visible()


def expect_suspended(page: Page) -> None:
    expect(page.locator("[data-room]")).to_have_attribute("data-phase", "awaiting_payment")
    expect(page.locator("[data-phase-title]")).to_have_text("Waiting for payment")
    suspension = page.get_by_test_id("payment-suspension")
    expect(suspension).to_be_visible()
    expect(suspension).to_contain_text("Waiting for payment")
    expect(suspension.locator("[data-paused-clock]")).to_have_text(PAYMENT_COUNTDOWN)
    expect(page.get_by_test_id("phase-countdown")).to_be_visible()  # the panel's countdown too
    expect(page.get_by_test_id("remote-video")).to_be_hidden()  # hidden, not torn down
    expect_local_media(page, sending=False)


def test_a_paid_session_pauses_for_paypal_and_resumes_by_itself(call_browser: Browser, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "paidroom", prices={"15": 2500, "30": None, "60": None})
    open_storefront(api, helper)
    customer = sign_up_and_in(api, "payingcustomer")
    rooms = answered_call(call_browser, local_stack, helper, customer, browser_log)
    for page in rooms.both:
        expect_video_playing(page)

    # The Helper proposes $25 for 15 minutes; the customer's button says what they will pay.
    propose(rooms.helper, dollars="25", minutes=15)
    offer = rooms.customer.get_by_test_id("terms-offer")
    expect(offer).to_contain_text("15 min")
    expect(offer).to_contain_text("$25.00")

    # Accept and pay: the PayPal window opens during the click and lands on the approval page.
    paypal = browser_log.watch(accept_and_pay(rooms.customer, "Accept and pay $25.00"), "paypal")
    expect(paypal.locator("body")).to_contain_text("$25.00")
    expect(paypal.locator("body")).to_contain_text("15 minutes")

    # Both sides are suspended meanwhile: the payment countdown, no media either way, the peer
    # connection kept.
    for page in rooms.both:
        expect_suspended(page)
    expect(rooms.customer.get_by_test_id("payment-box")).to_contain_text("Approve $25.00 in the PayPal window")
    expect(rooms.helper.get_by_test_id("negotiation")).to_contain_text("is paying at PayPal")

    # The customer approves at PayPal: the return page captures, and closes its window.
    paypal.get_by_role("button", name="Approve and pay").click()
    wait_until_closed(paypal)

    # Both rooms resume by themselves: in session, the timer running, media flowing again.
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "in_session")
        expect(page.locator("[data-phase-title]")).to_have_text("Session in progress")
        expect(page.get_by_test_id("phase-countdown")).to_have_text(SESSION_COUNTDOWN)
        expect(page.get_by_test_id("phase-countdown")).to_be_visible()
        expect(page.get_by_test_id("payment-suspension")).to_be_hidden()
        expect_local_media(page, sending=True)
        expect_video_playing(page)
        expect(page.get_by_test_id("connection-state")).to_contain_text("Connected")

    # The server has the payment captured, for the amount it computed from the terms.
    [payment] = requests.get(f"{api}/payments", headers=customer.auth, timeout=30).json()["payments"]
    assert (payment["kind"], payment["state"], payment["amount_cents"]) == ("session", "captured", 2500)

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_cancelling_at_paypal_brings_the_terms_back(call_browser: Browser, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "cancelroom", prices={"15": 2500, "30": None, "60": None})
    customer = sign_up_and_in(api, "cancellingcustomer")
    rooms = answered_call(call_browser, local_stack, helper, customer, browser_log)

    # Without a storefront the Helper cannot propose paid terms, and is told where to set it up.
    propose(rooms.helper, dollars="25", minutes=15)
    refusal = rooms.helper.get_by_test_id("negotiation").get_by_role("alert")
    expect(refusal).to_contain_text("storefront")
    expect(refusal.get_by_role("link", name=re.compile("Set up your storefront"))).to_have_attribute(
        "href", "/payments.html#getting-paid")
    open_storefront(api, helper)
    propose(rooms.helper, dollars="25", minutes=15)
    expect(rooms.customer.get_by_test_id("terms-offer")).to_contain_text("$25.00")

    paypal = browser_log.watch(accept_and_pay(rooms.customer, "Accept and pay $25.00"), "paypal")
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "awaiting_payment")

    # The customer changes their mind at PayPal: nothing is charged, the terms are back.
    paypal.get_by_role("button", name="Cancel and return").click()
    wait_until_closed(paypal)
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "negotiating")
        expect(page.get_by_test_id("payment-suspension")).to_be_hidden()
        expect(page.get_by_test_id("payment-notice")).to_contain_text("nothing was charged")
        expect_local_media(page, sending=True)
    expect(rooms.customer.get_by_test_id("terms-offer")).to_contain_text("$25.00")
    expect(rooms.customer.get_by_test_id("accept-terms")).to_have_text("Accept and pay $25.00")
    expect(rooms.helper.get_by_test_id("payment-notice")).to_contain_text("did not go through")
    [payment] = requests.get(f"{api}/payments", headers=customer.auth, timeout=30).json()["payments"]
    assert payment["state"] == "cancelled"

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(r"status of 400", r"status of 409") == []


def test_a_blocked_pop_up_falls_back_to_a_pay_with_paypal_link(call_browser: Browser, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "blockedroom", prices={"15": 2500, "30": None, "60": None})
    open_storefront(api, helper)
    customer = sign_up_and_in(api, "blockedcustomer")
    rooms = answered_call(call_browser, local_stack, helper, customer, browser_log)
    propose(rooms.helper, dollars="25", minutes=15)
    expect(rooms.customer.get_by_test_id("terms-offer")).to_contain_text("$25.00")

    # A pop-up blocker refuses every window the page opens by script.
    rooms.customer.evaluate("window.open = () => null")
    rooms.customer.get_by_role("button", name="Accept and pay $25.00").click()
    box = rooms.customer.get_by_test_id("payment-box")
    expect(box).to_contain_text("did not open the PayPal window")
    link = box.get_by_role("link", name="Pay with PayPal")
    expect(link).to_have_attribute("href", CHECKOUT)
    for page in rooms.both:
        expect(page.get_by_test_id("payment-suspension")).to_be_visible()

    # The link opens PayPal in a tab of its own; its return page leads back to the call.
    with rooms.customer.context.expect_page() as opened:
        link.click()
    paypal = browser_log.watch(opened.value, "paypal tab")
    paypal.wait_for_url(CHECKOUT, timeout=30_000)
    paypal.get_by_role("button", name="Approve and pay").click()
    outcome = paypal.get_by_test_id("payment-outcome")
    expect(outcome).to_have_attribute("data-outcome", "captured")
    expect(outcome.get_by_role("heading", level=1)).to_have_text("Payment complete")
    expect(outcome.get_by_role("link", name="Back to your call")).to_have_attribute(
        "href", re.compile(r"^/call\.html\?call=[0-9a-f]+$"))
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "in_session")
        expect(page.get_by_test_id("payment-suspension")).to_be_hidden()
        expect_local_media(page, sending=True)

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_a_tip_in_a_session_reaches_both_sides(call_browser: Browser, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "tippedhelper", prices={"15": 0, "30": None, "60": None})
    open_storefront(api, helper)
    upgraded_helper(local_stack, helper)
    customer = sign_up_and_in(api, "tippingcustomer")
    rooms = answered_call(call_browser, local_stack, helper, customer, browser_log)

    # No tips while negotiating; a free session starts at once.
    expect(rooms.customer.get_by_role("button", name="Tip $5")).to_have_count(0)
    propose(rooms.helper, dollars="0", minutes=15)
    rooms.customer.get_by_test_id("accept-terms").click()
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "in_session")

    # The customer tips $5 (the Helper sees no tip controls of their own).
    tips = rooms.customer.get_by_test_id("tips")
    expect(tips.get_by_role("button", name="Tip $2")).to_be_visible()
    expect(tips.get_by_role("button", name="Tip $10")).to_be_visible()
    expect(tips.get_by_label("Another amount")).to_be_visible()
    expect(rooms.helper.get_by_role("button", name="Tip $5")).to_have_count(0)
    record_banners(rooms.helper)
    with rooms.customer.expect_popup() as opened:
        tips.get_by_role("button", name="Tip $5").click()
    paypal = browser_log.watch(opened.value, "paypal")
    paypal.wait_for_url(CHECKOUT, timeout=30_000)
    expect(paypal.locator("body")).to_contain_text("$5.00")
    paypal.get_by_role("button", name="Approve and pay").click()
    wait_until_closed(paypal)

    expect(rooms.customer.get_by_test_id("tip-feed")).to_contain_text(f"You tipped {helper.display_name} $5")
    expect(rooms.helper.get_by_test_id("tip-feed")).to_contain_text(f"{customer.display_name} tipped you $5")
    # The banner over the Helper's video is news for a few seconds: it was shown, if gone since.
    rooms.helper.wait_for_function("(text) => window.shownBanners.some((shown) => shown.includes(text))",
                                   arg="tipped you $5", timeout=30_000)
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "in_session")  # the session goes on
    tip = [p for p in requests.get(f"{api}/payments", headers=customer.auth, timeout=30).json()["payments"]
           if p["kind"] == "tip"]
    assert [(t["state"], t["amount_cents"]) for t in tip] == [("captured", 500)]

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_a_refund_is_asked_for_approved_by_ops_and_paid_back_minus_paypals_fee(page: Page, open_context,
                                                                                local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "refundedhelper", prices={"15": 2500, "30": None, "60": None})
    open_storefront(api, helper)
    customer = sign_up_and_in(api, "unhappycustomer")
    payment = paid_call_that_ended(local_stack, helper, customer, price_cents=2500)

    # The customer asks for a refund on the Payments page (linked in the header).
    sign_in(page, customer.email, PASSWORD, "/index.html")
    open_account_menu(page)
    expect(page.get_by_test_id("ops-link")).to_have_count(0)
    page.get_by_test_id("payments-link").click()
    expect(page).to_have_url(re.compile(r"/payments\.html$"))
    item = page.locator(f"[data-payment-id='{payment['payment_id']}']")
    expect(item).to_contain_text("$25.00")
    expect(item.locator("[data-state]").first).to_have_text("Paid")
    item.get_by_role("button", name="Ask for a refund").click()
    item.get_by_label("Why do you want a refund?").fill("Too short")
    item.get_by_role("button", name="Send refund request").click()
    expect(item.locator("[data-error-for='reason']")).to_contain_text("at least 10 characters")
    item.get_by_label("Why do you want a refund?").fill("The Helper never looked at my sink, only talked.")
    item.get_by_role("button", name="Send refund request").click()
    expect(item.locator("[data-refund-line]")).to_contain_text("Under review")
    asked = page.get_by_test_id("refund-request")
    expect(asked).to_have_count(1)
    expect(asked).to_contain_text("The Helper never looked at my sink")
    expect(asked).to_contain_text("Decision by")

    # Others than ops are told the queue is not for them (the server refuses it anyway).
    page.goto("/ops-refunds.html")
    expect(page.get_by_role("heading", name="Only ops can see this")).to_be_visible()
    expect(page.get_by_test_id("ops-request")).to_have_count(0)

    # Ops finds it in the queue with the amounts, the reason and the deadline, and approves it.
    ops = ops_person(local_stack)
    ops_page = browser_log.watch(open_context().new_page(), "ops")
    sign_in(ops_page, ops.email, PASSWORD, "/index.html")
    open_account_menu(ops_page)
    ops_page.get_by_test_id("ops-link").click()
    expect(ops_page).to_have_url(re.compile(r"/ops\.html$"))
    ops_page.get_by_test_id("ops-refunds-link").click()
    expect(ops_page).to_have_url(re.compile(r"/ops-refunds\.html$"))
    request = ops_page.locator(f"[data-request-id='{payment['payment_id']}']")
    expect(request).to_contain_text("of $25.00 paid")
    expect(request).to_contain_text("The Helper never looked at my sink")
    expect(request).to_contain_text("No statement from the Helper yet.")
    expect(request).to_contain_text("Decide by")
    request.get_by_role("button", name=re.compile(r"^Approve refund of \$")).click()
    expect(request.locator("[data-error-for='note']")).to_contain_text("Write a note")
    request.get_by_label("Note (required)").fill("The session did not help; refunded as asked.")
    request.get_by_role("button", name=re.compile(r"^Approve refund of \$")).click()
    expect(ops_page.locator(f"[data-request-id='{payment['payment_id']}'] [data-decided]")).to_contain_text(
        "refunded through PayPal")

    # The money is back at PayPal: the capture refunded by the amount minus PayPal's fee.
    capture = capture_of(local_stack, payment)
    fee = cents(capture["seller_receivable_breakdown"]["paypal_fee"]["value"])
    assert fee > 0
    decided = requests.get(f"{api}/refunds/{payment['payment_id']}", headers=customer.auth, timeout=30).json()
    assert decided["state"] == "refunded" and decided["refund_cents"] == 2500 - fee
    refund = paypal_get(local_stack, f"/v2/payments/refunds/{decided['refund_id']}")
    assert refund["status"] == "COMPLETED" and cents(refund["amount"]["value"]) == 2500 - fee
    assert capture["status"] == "PARTIALLY_REFUNDED"

    # The customer's page says so.
    page.goto("/payments.html#my-refunds")
    asked = page.get_by_test_id("refund-request")
    expect(asked.locator("[data-state]")).to_have_text("Refunded")
    refunded = f"${(2500 - fee) // 100}.{(2500 - fee) % 100:02d}"
    expect(asked).to_contain_text(f"{refunded} went back to your PayPal account.")
    expect(asked).to_contain_text("refunded as asked")
    expect(page.locator(f"[data-payment-id='{payment['payment_id']}'] [data-state]").first).to_have_text("Refunded")

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(r"status of 403", r"status of 400") == []


def test_a_helper_sets_up_a_storefront_and_upgrades_their_plan(page: Page, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "storekeeper")
    sign_in(page, helper.email, PASSWORD, "/become-a-helper.html")
    getting_paid = page.get_by_role("region", name="Getting paid")
    expect(getting_paid).to_contain_text("Paid sessions need your storefront")
    getting_paid.get_by_role("link", name="Storefront, plan and balance").click()
    expect(page).to_have_url(re.compile(r"/payments\.html#getting-paid$"))

    # The storefront: a wrong email is refused beside the field, a right one saved.
    expect(page.locator("[data-storefront-missing]")).to_be_visible()
    page.get_by_label("PayPal email").fill("not-an-email")
    page.get_by_role("button", name="Save storefront").click()
    expect(page.locator("[data-error-for='paypal_email']")).to_contain_text("PayPal account")
    page.get_by_label("PayPal email").fill(f"payouts-{helper.username}@example.com")
    page.get_by_label("Store name").fill("Leaks & Drains")
    page.get_by_role("button", name="Save storefront").click()
    expect(page.locator("[data-storefront-status]")).to_contain_text("Storefront saved")
    expect(page.locator("[data-storefront-missing]")).to_be_hidden()
    saved = requests.get(f"{api}/me/storefront", headers=helper.auth, timeout=30).json()
    assert (saved["paypal_email"], saved["name"]) == (f"payouts-{helper.username}@example.com", "Leaks & Drains")

    # The balance, from the ledger.
    balance = page.get_by_test_id("balance")
    expect(balance.locator("[data-balance-pending]")).to_have_text("$0.00")
    expect(balance.locator("[data-balance-payable]")).to_have_text("$0.00")

    # The plan: free, then upgraded through the PayPal window.
    plan = page.get_by_test_id("plan-panel")
    expect(plan.locator("[data-plan-name]")).to_contain_text("Free plan")
    with page.expect_popup() as opened:
        plan.get_by_role("button", name="Upgrade for $15 for 30 days").click()
    paypal = browser_log.watch(opened.value, "paypal")
    paypal.wait_for_url(CHECKOUT, timeout=30_000)
    expect(paypal.locator("body")).to_contain_text("$15.00")
    paypal.get_by_role("button", name="Approve and pay").click()
    wait_until_closed(paypal)
    expect(plan.locator("[data-plan-name]")).to_contain_text("Upgraded plan until")
    expect(plan.locator("[data-plan-status]")).to_contain_text("your plan is upgraded")
    expect(plan.get_by_role("button", name="Add 30 days for $15")).to_be_visible()
    upgrade = page.get_by_test_id("payment-item")
    expect(upgrade).to_contain_text("upgraded plan")
    expect(upgrade.locator("[data-state]")).to_have_text("Paid")
    assert requests.get(f"{api}/me/plan", headers=helper.auth, timeout=30).json()["plan"] == "upgraded"

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(r"status of 400") == []
