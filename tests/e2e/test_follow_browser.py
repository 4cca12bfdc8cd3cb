"""Following in real Chromium on the whole local stack: a signed-out visitor presses Follow on a
Helper's page, signs in, comes back to the choice, picks each post and event and follows (the
count moves); the Helper announces a post and the job fans it out; the email is in the local
mailbox with its List-Unsubscribe header line; its unsubscribe link opens the site's page, one
press stops the emails, and the person's Following page shows "No emails". Screenshots at 1280
and 390 px go to /tmp/ui-shots."""
from __future__ import annotations

import re
import time
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_bookings_browser import shoot
from tests.e2e.test_mailbox_browser import open_email_to
from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]


@pytest.fixture
def follow_desk(app_env, monkeypatch):
    """The follow desk of this process, signing with the stack's own cursor secret, so the
    unsubscribe links it emails open on the stack's API."""
    secrets = app_env.aws_client("secretsmanager")
    monkeypatch.setenv("IK_CURSOR_SECRET_ARN", secrets.describe_secret(SecretId="interkanect/cursor-secret")["ARN"])
    app_env.reset()
    return app_env.follow_desk()


def emailed(aws: str, address: str, subject: str, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in emails_to(aws, address) if subject in (m.get("subject") or "")]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def test_a_visitor_follows_a_helper_gets_the_announcement_and_unsubscribes_in_one_click(
        open_context, local_stack, follow_desk, browser_log):
    from chalicelib.services import follows

    api, aws = local_stack["api"], local_stack["aws"]
    helper = become_helper(api, "blogger")
    fan = sign_up_and_in(api, "reader")
    page = browser_log.watch(open_context().new_page(), "fan")

    # Signed out: Follow asks to sign in, and brings the visitor back to the choice.
    page.goto(f"/h/{helper.username}")
    box = page.locator("[data-follow]")
    expect(box.locator("[data-follow-count]")).to_have_text("No followers yet")
    expect(box).to_have_attribute("data-follow-ready", "")
    shoot(page, "follow-helper-page-signed-out")
    box.get_by_role("button", name="Follow").click()
    page.wait_for_url(re.compile(r"/sign-in\.html\?next="))
    page.get_by_label("Email", exact=True).fill(fan.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(rf"/h/{helper.username}$"))
    choice = box.locator("[data-follow-choice]")
    expect(choice).to_be_visible()
    expect(choice.get_by_label("Each new post and event")).to_be_checked()
    shoot(page, "follow-helper-page-choice")
    choice.get_by_role("button", name="Follow").click()
    expect(box.locator("[data-follow-status]")).to_have_text("You follow them: an email for each new post and event.")
    expect(box.locator("[data-follow-count]")).to_have_text("1 follower")
    expect(box.locator("[data-follow-button]")).to_have_text("Following")
    expect(choice).to_be_hidden()
    shoot(page, "follow-helper-page-following")
    assert requests.get(f"{api}/helpers/{helper.username}/follow", headers=fan.auth, timeout=30).json()["mode"] \
        == "each"
    page.reload()  # the server's count, and the person's state, after a reload
    expect(box.locator("[data-follow-count]")).to_have_text("1 follower")
    expect(box.locator("[data-follow-button]")).to_have_text("Following")

    # The Helper publishes: the announcement fans out, and the email is in the mailbox.
    title = f"Fixing a leak {uuid.uuid4().hex[:6]}"
    follows.announce(helper_id=helper.tokens["user_id"], kind="post", item_id=uuid.uuid4().hex, title=title,
                     path=f"/h/{helper.username}/blog/fixing-a-leak", summary="Three steps, one wrench.",
                     desk=follow_desk, now=int(time.time()))
    follows.send_announcements(desk=follow_desk, now=int(time.time()), budget_seconds=20)
    [sent] = emailed(aws, fan.email, title)
    subject = sent["subject"]
    open_email_to(page, fan.email, subject)
    expect(page.locator('[data-list-header="List-Unsubscribe-Post"]')).to_have_text("List-Unsubscribe=One-Click")
    expect(page.locator('[data-list-header="List-Unsubscribe"]')).to_contain_text("/api/follows/unsubscribe?token=")
    mail = page.frame_locator("iframe.email-html")
    expect(mail.get_by_text("Three steps, one wrench.")).to_be_visible()
    unsubscribe = mail.get_by_role("link", name=re.compile("Unsubscribe from"))
    link = unsubscribe.get_attribute("href")
    assert link.startswith(f"{local_stack['site']}/unsubscribe.html?token=")

    # The link's page (opened as from the mail client: no sign-in needed) stops the emails.
    visitor = browser_log.watch(open_context().new_page(), "mail client")
    visitor.goto(link)
    card = visitor.locator("[data-unsubscribe]")
    expect(card.locator("[data-unsubscribe-status]")).to_have_text(re.compile(r"^Stop the emails from .+\?$"))
    shoot(visitor, "follow-unsubscribe-confirm")
    card.get_by_role("button", name="Stop the emails").click()
    expect(card.locator("[data-unsubscribe-status]")).to_have_text(re.compile(r"^Done: no more emails from "))
    expect(card).to_have_attribute("data-unsubscribed", "")
    shoot(visitor, "follow-unsubscribe-done")
    assert requests.get(f"{api}/helpers/{helper.username}/follow", headers=fan.auth, timeout=30).json() == {
        "username": helper.username, "following": True, "mode": "none", "followers": 1, "own_page": False}

    # The Following page, from the account menu's link, shows the Helper with no emails.
    page.goto(f"/h/{helper.username}")
    page.get_by_role("banner").get_by_role("button", name=re.compile(r"^Signed in as ")).click()
    page.get_by_test_id("following-link").click()
    page.wait_for_url(re.compile(r"/following\.html$"))
    row = page.locator(f'[data-following-item="{helper.username}"]')
    expect(row.get_by_label("Email me")).to_have_value("none")
    expect(row.get_by_role("link")).to_have_attribute("href", re.compile(rf"/h/{helper.username}$"))
    shoot(page, "follow-following-page")
    row.get_by_label("Email me").select_option("digest")
    expect(row.locator(".following-note")).to_have_text("Saved.")
    assert requests.get(f"{api}/helpers/{helper.username}/follow", headers=fan.auth, timeout=30).json()["mode"] \
        == "digest"
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
