"""The local mailbox in a real browser: an email the product really sent (the notice to the owner
of an email someone signs up with again) is listed and shows as its recipient sees it, and an
email's HTML runs no script there."""
from __future__ import annotations

import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import new_identity, sign_up_and_in

pytestmark = pytest.mark.e2e

NOTICE = "Someone tried to sign up to interKanect with your email"


def open_email_to(page: Page, address: str, subject: str) -> None:
    """From the mailbox's list, opens the one email to `address` and waits for its frame to load."""
    listing = page.goto("/_local/mailbox")
    assert "script-src 'self'" in listing.headers["content-security-policy"], "the site's strict CSP holds"
    row = page.get_by_role("row").filter(has_text=address)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=subject, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    page.wait_for_load_state("load")  # the page's load waits for its frame's


def test_the_owner_of_an_email_signed_up_with_again_finds_the_notice_in_the_local_mailbox(
        page: Page, local_stack, browser_log):
    api = local_stack["api"]
    owner = sign_up_and_in(api)
    tried = new_identity() | {"email": owner.email}
    assert requests.post(f"{api}/auth/sign-up", json=tried, timeout=30).status_code == 201

    open_email_to(page, owner.email, NOTICE)

    expect(page.locator(".headers")).to_contain_text(owner.email)
    html = page.frame_locator("iframe.email-html")
    expect(html.get_by_text("interKanect", exact=True)).to_be_visible()  # the brand's header
    expect(html.get_by_text("It already has an account, so nothing was created")).to_be_visible()
    expect(html.get_by_role("link", name="support@interkanect.local")).to_have_attribute(
        "href", "mailto:support@interkanect.local")
    expect(html.get_by_text("You got this email because someone used this address")).to_be_visible()
    text = page.locator(".email-text")
    expect(text).to_contain_text("Someone (perhaps you) just tried to create an account on interKanect")
    expect(text).to_contain_text("Questions? Write to support@interkanect.local.")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_an_email_whose_html_carries_a_script_runs_nothing_in_the_mailbox(page: Page, app_env, browser_log):
    from chalicelib.adapters.mailer import Email

    address = f"target-{uuid.uuid4().hex[:10]}@example.com"
    app_env.mailer().send(Email(to=address, subject="A hostile email", text="plain", html=(
        '<p id="shown">Shown</p>'
        '<script>console.error("PWNED"); parent.document.title = "PWNED";</script>'
        '<img src="x" onerror="console.error(\'PWNED\')">')))

    open_email_to(page, address, "A hostile email")

    expect(page.frame_locator("iframe.email-html").locator("#shown")).to_have_text("Shown")
    assert "PWNED" not in page.title()
    assert not [error for error in browser_log.errors if "PWNED" in error]
    # What the browser says about the blocked script and image is expected; nothing else is.
    assert browser_log.unexpected(r"Blocked script execution .* the document's frame is sandboxed",
                                  r"violates the following Content Security Policy directive: \"img-src data:\"") == []
