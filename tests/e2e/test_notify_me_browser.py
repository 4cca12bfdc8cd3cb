"""Notify me when available, in real Chromium on the whole local stack: a visitor on an offline
Helper's page is asked to sign in to be notified, comes back to the page already waiting; the
Helper opens a page of the site (online and free) and the visitor's mailbox gets "<name> is online
now"; the visitor's page swaps Notify me for Call now by itself, and back when the Helper leaves;
waiting again the same day (the one email a day is spent) leaves them waiting, which the Helper
reads on Appointments. Screenshots at 1280 and 390 px go to /tmp/ui-shots."""
from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_bookings_browser import shoot
from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper, wait_until_online

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]


def wait_until_offline(api: str, user_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while requests.get(f"{api}/presence", params={"users": user_id}, timeout=10).json()["statuses"].get(user_id) \
            != "offline":
        assert time.monotonic() < deadline, "the Helper never showed as offline"
        time.sleep(0.25)


def told(aws: str, address: str, name: str, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in emails_to(aws, address) if f"{name} is online now" in (m.get("subject") or "")]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def test_a_visitor_waits_for_an_offline_helper_and_is_emailed_when_they_come_online(open_context, local_stack,
                                                                                   browser_log):
    api, aws = local_stack["api"], local_stack["aws"]
    helper = become_helper(api, "awaitedpage")
    helper_id = helper.tokens["user_id"]
    customer = sign_up_and_in(api, "waiter")

    # Signed out, on the offline Helper's page: Notify me where Call now would be.
    page = browser_log.watch(open_context().new_page(), "customer")
    page.goto(f"/h/{helper.username}")
    expect(page.locator("[data-status-for]")).to_have_text("Offline")
    expect(page.locator("[data-call-now]")).to_be_hidden()
    start = page.get_by_role("button", name=re.compile("Sign in to be notified"))
    expect(start).to_be_visible()
    shoot(page, "helper-page-notify-signed-out")

    # Signing in brings them back to the page, waiting.
    start.click()
    page.wait_for_url(re.compile(r"/sign-in\.html\?next="))
    page.get_by_label("Email", exact=True).fill(customer.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(rf"/h/{helper.username}$"))
    waiting = page.locator("[data-notify-waiting]")
    expect(waiting).to_contain_text(f"We'll email you when {helper.display_name} is free.")
    expect(page.get_by_role("button", name=re.compile("Notify me"))).to_be_hidden()
    assert requests.get(f"{api}/helpers/{helper.username}/notify-me", headers=customer.auth,
                        timeout=30).json() == {"waiting": True}
    shoot(page, "helper-page-notify-waiting")

    # Stop, and wait again: the page says so each time, and still does after a reload.
    waiting.get_by_role("button", name="Stop").click()
    notify = page.get_by_role("button", name=re.compile("Notify me when available"))
    expect(notify).to_be_visible()
    notify.click()
    expect(waiting).to_be_visible()
    page.reload()
    expect(waiting).to_contain_text(f"We'll email you when {helper.display_name} is free.")

    # The Helper opens a page (online, free): one email; the visitor's page offers Call now.
    helper_context = open_context()
    helper_page = browser_log.watch(helper_context.new_page(), "helper")
    sign_in(helper_page, helper.email, PASSWORD, "/appointments.html")
    wait_until_online(api, helper_id)
    [email] = told(aws, customer.email, helper.display_name)
    assert f"/h/{helper.username}" in email["text"]
    expect(page.locator("[data-call-now]")).to_be_visible()
    expect(page.locator("[data-notify-me]")).to_be_hidden()

    # The Helper leaves; Notify me comes back, and waiting again the same day carries over.
    helper_context.close()
    wait_until_offline(api, helper_id)
    expect(notify).to_be_visible()
    notify.click()
    expect(waiting).to_be_visible()
    helper_page = browser_log.watch(open_context().new_page(), "helper again")
    sign_in(helper_page, helper.email, PASSWORD, "/appointments.html")
    expect(helper_page.locator("[data-waiting-note]")).to_have_text("1 person is waiting to hear when you're free.")
    expect(helper_page.get_by_role("button", name="Bookings of my time")).to_be_visible()
    shoot(helper_page, "appointments-waiting")
    assert len(told(aws, customer.email, helper.display_name, timeout=0)) == 1
    assert browser_log.csp_violations() == []
