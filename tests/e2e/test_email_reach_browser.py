"""An undeliverable email in real Chromium on the whole local stack: a person signed up with SES's
bounce simulator address; an email to it bounces (SES -> SNS -> the app's handler), and every page
then says under the header "We can't reach <address>"; "Email me again" lifts the mark (the note
says so, and `GET /me` agrees). Screenshots at 1280 and 390 px go to /tmp/ui-shots."""
from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.test_bookings_browser import shoot
from tests.support.accounts import PASSWORD, SignedIn, new_identity, sign_in, sign_up_and_confirm
from tests.support.payments import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]


def me(api: str, person: SignedIn) -> dict:
    return requests.get(f"{api}/me", headers=person.auth, timeout=30).json()


def test_a_person_whose_email_bounced_is_told_on_every_page_and_can_ask_for_email_again(page: Page, local_stack,
                                                                                         browser_log):
    api = local_stack["api"]
    address = f"bounce+{uuid.uuid4().hex[:10]}@simulator.amazonses.com"
    who = new_identity("bounced") | {"email": address}
    sign_up_and_confirm(api, who)
    person = sign_in(api, SignedIn(address, who["username"], who["display_name"], who["password"], {}))
    again = requests.post(f"{api}/auth/sign-up", json=new_identity("again") | {"email": address}, timeout=30)
    assert again.status_code == 201  # its owner is emailed, and the email bounces
    assert eventually(lambda: me(api, person)["email_undeliverable"], timeout=20) is True

    browser_log.watch(page, "bounced")
    page.goto("/sign-in.html?next=%2Fcategories.html")
    page.get_by_label("Email", exact=True).fill(address)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/categories\.html$"))
    note = page.get_by_test_id("email-unreachable")
    expect(note).to_contain_text(f"We can't reach {address}")
    expect(note).to_have_attribute("role", "status")
    shoot(page, "email-unreachable-note")

    note.get_by_role("button", name="Email me again").click()
    expect(note).to_have_text(f"We'll email {address} again.")
    assert me(api, person)["email_undeliverable"] is False
    page.reload()
    expect(page.get_by_role("banner")).to_be_visible()
    expect(page.get_by_test_id("signed-in-name")).to_be_visible()
    expect(page.get_by_test_id("email-unreachable")).to_have_count(0)
    assert not browser_log.unexpected() and not browser_log.csp_violations()
