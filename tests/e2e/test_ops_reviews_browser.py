"""Ops' reported reviews page in real Chromium on the whole local stack: two people report one
review (one card, both reports listed), ops finds the page in the menu, hides the review with a
note, the card goes, the Helper's reviews no longer list it and its author is emailed the note; a
review someone else decided meanwhile leaves the queue with a word saying so; and anyone outside
ops is told the page is not for them."""
from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, SignedIn, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper
from tests.support.payments import eventually, ops_person
from tests.support.reviews import card_of, free_session_that_ended, written_review

pytestmark = pytest.mark.e2e

REFUSED_REQUEST = r"Failed to load resource: the server responded with a status of 403"
DECIDED_ELSEWHERE = r"Failed to load resource: the server responded with a status of 409"


@pytest.fixture(scope="module")
def ops(local_stack) -> SignedIn:
    return ops_person(local_stack, "opsreviews")


def report(api: str, person: SignedIn, review_id: str, reason: str, text: str = "") -> None:
    answer = requests.post(f"{api}/reviews/{review_id}/reports", json={"reason": reason, "text": text},
                           headers=person.auth, timeout=30)
    assert answer.status_code == 201, answer.text


def open_account_menu(page: Page) -> None:
    trigger = page.get_by_role("button", name=re.compile(r"^Signed in as "))
    expect(trigger).to_have_attribute("aria-expanded", re.compile("true|false"))
    if trigger.get_attribute("aria-expanded") != "true":
        trigger.click()
    expect(page.get_by_test_id("payments-link")).to_be_visible()


def test_ops_hides_a_reported_review_with_a_note_and_its_author_is_told_why(page: Page, local_stack, ops,
                                                                              browser_log):
    api, tag = local_stack["api"], uuid.uuid4().hex[:6]
    helper = become_helper(api, f"orh{tag}")
    author = sign_up_and_in(api, f"ora{tag}")
    first_reporter, second_reporter = sign_up_and_in(api, f"orr{tag}"), sign_up_and_in(api, f"ors{tag}")
    written = "He <b>never</b> answered. Details at https://example.com/x"
    harsh = written_review(local_stack, free_session_that_ended(local_stack, helper, author), stars=1,
                           text=written).call_id
    other = written_review(local_stack, free_session_that_ended(local_stack, helper, author), stars=4,
                           text="Good, a bit rushed.").call_id
    report(api, first_reporter, harsh, "offensive", "Calls him names in the <i>second</i> line.")
    report(api, second_reporter, harsh, "fake")
    report(api, first_reporter, other, "not_about_the_session", "About the weather.")
    listed = requests.get(f"{api}/helpers/{helper.username}/reviews", timeout=30).json()
    assert {r["review_id"] for r in listed["reviews"]} == {harsh, other}

    # Ops finds the page in the menu under their name, next to the refund reviews.
    sign_in(page, ops.email, PASSWORD, "/index.html")
    open_account_menu(page)
    expect(page.get_by_test_id("ops-link")).to_have_text("Refund reviews")
    page.get_by_test_id("ops-reviews-link").click()
    expect(page).to_have_url(re.compile(r"/ops-reviews\.html$"))
    expect(page.get_by_role("heading", name="Moderation", level=1)).to_be_visible()

    # One card for the review, with both reports; every text shows as text.
    card = card_of(page, harsh)
    expect(card).to_have_count(1)
    expect(card.get_by_role("img", name="Rated 1 out of 5")).to_be_visible()
    expect(card).to_contain_text(written)
    expect(card.locator("b, i, a[href^='https://example.com']")).to_have_count(0)
    expect(card.get_by_role("link", name=helper.display_name)).to_have_attribute("href", f"/h/{helper.username}")
    reports = card.get_by_test_id("ops-report")
    expect(reports).to_have_count(2)
    offensive = reports.filter(has_text="Offensive, hateful or harassing")
    expect(offensive).to_contain_text("Calls him names in the <i>second</i> line.")
    expect(offensive.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(reports.filter(has_text="Fake, or written for a reward")).to_contain_text("No details given.")
    expect(card.get_by_role("heading", name="2 reports, the oldest first")).to_be_visible()
    expect(page.get_by_test_id("ops-reviews-empty")).to_be_hidden()

    # Hiding takes a note (its author is told why); then the card goes and the page says so.
    card.get_by_role("button", name="Hide review").click()
    expect(card.locator("[data-error-for='note']")).to_contain_text("Write a note")
    note = f"Name-calling is not allowed in reviews ({tag})."
    card.get_by_label("Note (required to hide)").fill(note)
    card.get_by_role("button", name="Hide review").click()
    expect(card).to_have_count(0)
    expect(page.get_by_test_id("ops-review-outcome")).to_contain_text("Hidden")
    expect(page.get_by_test_id("ops-review-outcome")).to_contain_text("2 reports closed")

    # The Helper's reviews no longer list it, and its author has the note by email.
    listed = requests.get(f"{api}/helpers/{helper.username}/reviews", timeout=30).json()
    assert [r["review_id"] for r in listed["reviews"]] == [other]
    assert listed["summary"]["count"] == 1
    email = eventually(lambda: next((m for m in emails_to(local_stack["aws"], author.email)
                                     if "was hidden" in m.get("subject", "")), None))
    assert email, emails_to(local_stack["aws"], author.email)
    assert email["subject"] == f"Your review of {helper.display_name} was hidden"
    assert note in email["body"]
    queue = requests.get(f"{api}/ops/reviews/reports", params={"limit": 50}, headers=ops.auth, timeout=30).json()
    assert harsh not in {(r["review"] or {}).get("review_id") for r in queue["reports"]}

    # Another ops member keeps the other review meanwhile: deciding it here says so, and it goes.
    kept = requests.post(f"{api}/ops/reviews/{other}/decision", json={"decision": "keep", "note": "Fine."},
                         headers=ops.auth, timeout=30)
    assert kept.status_code == 200, kept.text
    late = card_of(page, other)
    expect(late.get_by_test_id("ops-report")).to_contain_text("Not about the session")
    late.get_by_role("button", name="Keep review").click()
    expect(late).to_have_count(0)
    expect(page.get_by_test_id("ops-review-outcome")).to_contain_text("Someone else decided")
    listed = requests.get(f"{api}/helpers/{helper.username}/reviews", timeout=30).json()
    assert [r["review_id"] for r in listed["reviews"]] == [other]

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(DECIDED_ELSEWHERE) == []


def test_the_page_is_for_ops_only(page: Page, local_stack, browser_log):
    api = local_stack["api"]

    # Signed out, it sends the visitor to sign in and back.
    page.goto("/ops-reviews.html")
    expect(page).to_have_url(re.compile(r"/sign-in\.html\?next=%2Fops-reviews\.html$"))

    # A customer has no link to it, and is told it is not for them (the server refuses anyway).
    customer = sign_up_and_in(api, "notopsrv")
    sign_in(page, customer.email, PASSWORD, "/index.html")
    open_account_menu(page)
    expect(page.get_by_test_id("ops-reviews-link")).to_have_count(0)
    page.goto("/ops-reviews.html")
    expect(page.get_by_role("heading", name="Only ops can see this")).to_be_visible()
    expect(page.get_by_test_id("ops-review")).to_have_count(0)
    expect(page.get_by_test_id("ops-reviews-empty")).to_be_hidden()
    expect(page.get_by_role("button", name="Show more reports")).to_be_hidden()
    assert requests.get(f"{api}/ops/reviews/reports", headers=customer.auth, timeout=30).status_code == 403
    refused = requests.post(f"{api}/ops/reviews/some-review/decision", json={"decision": "keep", "note": "No."},
                            headers=customer.auth, timeout=30)
    assert refused.status_code == 403, refused.text

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(REFUSED_REQUEST) == []
