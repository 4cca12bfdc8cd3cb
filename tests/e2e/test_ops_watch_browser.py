"""Ops' flags and payouts page in real Chromium on the whole local stack: a Helper flagged by the
free-session watch (the real service, on the stack's DynamoDB) shows for ops, who closes the flag
with a note; a payout run shows with its deadline in Pacific time, its counts and PayPal's reason
for a returned payout; the menu link is for ops only and anyone else is told the page is not for
them; and the Payments page leads a Helper to their earnings."""
from __future__ import annotations

import dataclasses
import re
import time
import uuid
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, SignedIn, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.pages import become_helper
from tests.support.payments import ops_person

pytestmark = pytest.mark.e2e

REFUSED_REQUEST = r"Failed to load resource: the server responded with a status of 403"


@pytest.fixture(scope="module")
def ops(local_stack) -> SignedIn:
    return ops_person(local_stack, "opswatch")


def open_account_menu(page: Page) -> None:
    """Opens the signed-in menu under the person's name in the header."""
    trigger = page.get_by_role("button", name=re.compile(r"^Signed in as "))
    expect(trigger).to_have_attribute("aria-expanded", re.compile("true|false"))
    if trigger.get_attribute("aria-expanded") != "true":
        trigger.click()
    expect(page.get_by_test_id("payments-link")).to_be_visible()


def flag_free_session_host(deps, helper_id: str):
    """Runs the free-session watch for one Helper who hosted as many free sessions as the limit
    (counted in memory, so no one else on the shared stack is flagged); the flag lands in the
    stack's DynamoDB. Returns the flag and the emails sent to ops."""
    from chalicelib.adapters.mailer import InMemoryMailer
    from chalicelib.adapters.ops_watch import InMemoryFreeSessionCounter
    from chalicelib.services import ops_watch

    now = int(time.time())
    settings = dataclasses.replace(deps.settings(), free_sessions_flag_per_week=3)
    counts, mailer = InMemoryFreeSessionCounter(), InMemoryMailer()
    for call in range(3):
        ops_watch.record_free_session(helper_id=helper_id, call_id=f"call-{uuid.uuid4().hex}", now=now,
                                      counts=counts)
    [flag] = ops_watch.flag_free_session_hosts(counts=counts, flags=deps.ops_flags(), mailer=mailer,
                                               settings=settings, now=now)
    return flag, mailer


def pacific(seconds: int) -> str:
    """How the page writes a payout deadline: "Jan 2, 2099, 7:00 PM PST"."""
    local = datetime.fromtimestamp(seconds, ZoneInfo("America/Los_Angeles"))
    return f"{local:%b} {local.day}, {local.year}, {local.hour % 12 or 12}:{local:%M %p %Z}"


def test_ops_closes_a_flag_about_a_helper_with_a_note(page: Page, local_stack, app_env, ops, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "flagged")
    helper_id = helper.tokens["user_id"]
    flag, mailer = flag_free_session_host(app_env, helper_id)
    assert ":" in flag.flag_id  # the page must encode it in the address
    assert [email.subject for email in mailer.sent] == [f"Helper flagged: {helper_id} hosts many free sessions"]

    # Ops finds the page through the Ops link in the menu under their name: the ops console.
    sign_in(page, ops.email, PASSWORD, "/index.html")
    open_account_menu(page)
    expect(page.get_by_test_id("ops-link")).to_be_visible()
    page.get_by_test_id("ops-link").click()
    expect(page).to_have_url(re.compile(r"/ops\.html$"))
    page.get_by_test_id("ops-watch-link").click()
    expect(page).to_have_url(re.compile(r"/ops-watch\.html$"))
    expect(page.get_by_role("heading", name="Flags & payouts", level=1)).to_be_visible()

    row = page.locator(f"[data-testid='ops-flag'][data-flag-id='{flag.flag_id}']")
    expect(row.get_by_role("link", name=f"@{helper.username}")).to_have_attribute("href", f"/h/{helper.username}")
    expect(row).to_contain_text("Many free sessions")
    expect(row).to_contain_text(flag.detail)
    expect(row.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(page.get_by_test_id("flags-empty")).to_be_hidden()

    # The note is required; then the flag closes, and the row says so with the note.
    row.get_by_role("button", name="Close flag").click()
    expect(row.locator("[data-error-for='note']")).to_contain_text("Write a note")
    row.get_by_label("Note (required)").fill("Free intro sessions for a class she teaches; fine.")
    row.get_by_role("button", name="Close flag").click()
    expect(row).to_have_attribute("data-state", "closed")
    expect(row.locator("[data-closed]")).to_contain_text("Closed.")
    expect(row.locator("[data-closed]")).to_contain_text("for a class she teaches")
    expect(row.get_by_role("button", name="Close flag")).to_have_count(0)

    # It left the open flags, and it closes only once.
    listed = requests.get(f"{api}/ops/flags", headers=ops.auth, timeout=30)
    assert listed.status_code == 200, listed.text
    assert flag.flag_id not in [f["flag_id"] for f in listed.json()["flags"]]
    again = requests.post(f"{api}/ops/flags/{quote(flag.flag_id, safe='')}/close", headers=ops.auth,
                          json={"note": "Twice."}, timeout=30)
    assert again.status_code == 409, again.text
    closed = app_env.ops_flags().get(flag.flag_id)
    assert (closed.state.value, closed.note) == ("closed", "Free intro sessions for a class she teaches; fine.")
    page.reload()
    expect(page.get_by_role("heading", name="Flagged Helpers")).to_be_visible()
    expect(page.locator("[data-flags-status]")).not_to_have_text(re.compile("Loading"))
    expect(page.locator(f"[data-flag-id='{flag.flag_id}']")).to_have_count(0)

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_ops_sees_a_payout_run_with_its_deadline_counts_and_returned_payouts(page: Page, local_stack, app_env,
                                                                               ops, browser_log):
    from chalicelib.domain.payout_schedule import pay_by
    from chalicelib.domain.payouts import ItemState, PayoutItem, PayoutRun, RunState

    # A run of a payout day far ahead, made here (the payout job would pay every payable Helper on
    # the shared stack): one payout still under way, which keeps it open, and one PayPal returned.
    runs, items = app_env.payout_runs(), app_env.payout_items()
    day = date(2099, 1 + uuid.uuid4().int % 12, 1 + uuid.uuid4().int % 28)
    run_id, now = day.isoformat(), int(time.time())
    deadline = pay_by(app_env.payout_schedule(), day)
    run = runs.create(PayoutRun(run_id=run_id, state=RunState.COLLECTING, version=0, started_at=now,
                                updated_at=now, pay_by=deadline))
    assert run.state is RunState.COLLECTING, f"{run_id} exists already"
    ghost, returned_to = f"ghost{uuid.uuid4().hex[:12]}", f"gone{uuid.uuid4().hex[:12]}"
    for helper_id, cents, state in ((ghost, 1500, ItemState.RESERVED), (returned_to, 4250, ItemState.RETURNED)):
        item = PayoutItem(run_id=run_id, helper_id=helper_id, amount_cents=cents, currency="USD",
                          receiver=f"{helper_id}@paypal.test", state=state, created_at=now, updated_at=now,
                          paypal_status="UNCLAIMED" if state is ItemState.RETURNED else None,
                          error="RECEIVER_UNREGISTERED Receiver is unregistered" if state is ItemState.RETURNED
                          else None)
        assert items.create(item) == "created"
    assert runs.save(run.with_changes(state=RunState.SENT, item_count=2, total_cents=5750, updated_at=now,
                                      batches={"0": f"BATCH{uuid.uuid4().hex[:10].upper()}"}))
    try:
        sign_in(page, ops.email, PASSWORD, "/ops-watch.html")
        row = page.locator(f"[data-testid='payout-run'][data-run-id='{run_id}']")
        expect(row).to_have_attribute("data-state", "sent")
        expect(row.locator("[data-state]").first).to_have_text("Sent to PayPal")
        expect(row.locator("td[data-label='Payout day'] time")).to_have_attribute("datetime", run_id)
        expect(row.locator("td[data-label='Paid by (Pacific)']")).to_contain_text(pacific(deadline))
        expect(row.locator("[data-late]")).to_have_count(0)  # due far ahead
        expect(row.locator("td[data-label='Items']")).to_have_text("2")
        expect(row.locator("td[data-label='Total']")).to_have_text("$57.50")
        expect(row).to_contain_text("0 paid · 1 under way · 1 returned")
        returned = row.get_by_test_id("returned-item")
        expect(returned).to_have_count(1)
        expect(returned).to_contain_text(f"{returned_to}@paypal.test")
        expect(returned).to_contain_text("$42.50")
        expect(returned).to_contain_text("UNCLAIMED: RECEIVER_UNREGISTERED Receiver is unregistered")
        expect(page.get_by_test_id("runs-empty")).to_be_hidden()
    finally:
        # Done, a run of a day this far ahead is no longer listed (nor followed up by the job).
        stored = runs.get(run_id)
        assert runs.save(stored.with_changes(state=RunState.DONE, finished_at=int(time.time())))

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_the_page_is_for_ops_only(page: Page, local_stack, browser_log):
    api = local_stack["api"]

    # Signed out, it sends the visitor to sign in and back.
    page.goto("/ops-watch.html")
    expect(page).to_have_url(re.compile(r"/sign-in\.html\?next=%2Fops-watch\.html$"))

    # A customer has no link to it, and is told it is not for them (the server refuses anyway).
    customer = sign_up_and_in(api, "notops")
    sign_in(page, customer.email, PASSWORD, "/index.html")
    open_account_menu(page)
    expect(page.get_by_test_id("ops-watch-link")).to_have_count(0)
    expect(page.get_by_test_id("ops-link")).to_have_count(0)
    page.goto("/ops-watch.html")
    expect(page.get_by_role("heading", name="This page is for the ops team")).to_be_visible()
    expect(page.locator("[data-flags]")).to_be_hidden()
    expect(page.locator("[data-runs]")).to_be_hidden()
    expect(page.get_by_test_id("ops-flag")).to_have_count(0)
    for path in ("/ops/flags", "/ops/payouts"):
        assert requests.get(f"{api}{path}", headers=customer.auth, timeout=30).status_code == 403
    refused = requests.post(f"{api}/ops/flags/{quote('free_sessions:x:2026-W01', safe='')}/close",
                            headers=customer.auth, json={"note": "Not mine to close."}, timeout=30)
    assert refused.status_code == 403, refused.text

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(REFUSED_REQUEST) == []


def test_the_payments_page_leads_a_helper_to_their_earnings(page: Page, local_stack, browser_log):
    helper = become_helper(local_stack["api"], "balancelink")
    sign_in(page, helper.email, PASSWORD, "/payments.html")
    link = page.get_by_test_id("balance").get_by_role("link", name="See your earnings")
    expect(link).to_have_attribute("href", "/earnings.html")
    link.click()
    expect(page).to_have_url(re.compile(r"/earnings\.html$"))
    expect(page.get_by_role("heading", name="Earnings", level=1)).to_be_visible()

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
