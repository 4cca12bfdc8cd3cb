"""A Helper with no tab open but call alerts on, in real Chromium on the local stack: their page
says Reachable and offers Call now ("Rings their phone or computer"); a customer presses it, the
call room rings, and the ring reaches the Helper's push service. Turning the alerts off makes the
page say Offline and offer Notify me instead."""
from __future__ import annotations

import json
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import open_person, sign_in
from tests.support.pages import become_helper

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]


def test_a_reachable_helper_is_called_from_their_page_and_the_ring_is_pushed(call_browser, local_stack, push_service,
                                                                            browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "reachable")
    customer = sign_up_and_in(api, "reacher")
    subscription = push_service.new_subscription()
    requests.put(f"{api}/me/push-subscriptions", json=subscription, headers=helper.auth,
                 timeout=30).raise_for_status()

    page = browser_log.watch(open_person(call_browser, local_stack["site"], timeout_ms=30_000).new_page(), "customer")
    sign_in(page, customer.email, PASSWORD, f"/h/{helper.username}")
    expect(page.locator(".helper-facts [data-status-for]")).to_have_text("Reachable")
    call_now = page.get_by_role("button", name=re.compile("Call now"))
    expect(call_now).to_be_visible()
    expect(call_now).to_contain_text("Rings their phone or computer")
    call_now.click()
    expect(page.locator("[data-room]")).to_have_attribute("data-phase", "ringing")
    [received] = push_service.wait_for(1)
    ring = json.loads(received.plaintext)
    assert ring["type"] == "ring" and ring["caller"] == customer.display_name

    page.get_by_role("button", name=re.compile("^(Cancel|Hang up|End)")).first.click()
    requests.delete(f"{api}/me/push-subscriptions", json={"endpoint": subscription["endpoint"]},
                    headers=helper.auth, timeout=30).raise_for_status()
    page.goto(f"/h/{helper.username}")
    expect(page.locator(".helper-facts [data-status-for]")).to_have_text("Offline")
    expect(page.locator("[data-call-now]")).to_be_hidden()
    expect(page.locator("[data-notify-me]")).to_be_visible()
    assert browser_log.csp_violations() == []
