"""Ops' moderation page in real Chromium on the whole local stack, with reviews: two people report
one review (one card, both reports counted by reason, their notes shown as text), ops finds the
page in the menu, hides the review with a note, the card goes, the Helper's reviews no longer list
it and its author is emailed the note; a review someone else decided meanwhile leaves the queue
with a word saying so; and anyone outside ops is told the page is not for them. (Products:
test_store_report_browser.py.)"""
from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, SignedIn, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.mailbox import emails_to
from tests.support.moderation import decide, queued
from tests.support.moderation import report as file_report
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
    file_report(api, person, "review", review_id, reason, text)


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

    # Ops finds the page through the Ops link in the menu under their name: the ops console.
    sign_in(page, ops.email, PASSWORD, "/index.html")
    open_account_menu(page)
    expect(page.get_by_test_id("ops-link")).to_have_text("Ops")
    page.get_by_test_id("ops-link").click()
    expect(page).to_have_url(re.compile(r"/ops\.html$"))
    page.get_by_test_id("ops-reviews-link").click()
    expect(page).to_have_url(re.compile(r"/ops-reviews\.html$"))
    expect(page.get_by_role("heading", name="Moderation", level=1)).to_be_visible()

    # One card for the review, both reports counted by reason; every text shows as text.
    card = card_of(page, harsh)
    expect(card).to_have_count(1)
    expect(card.locator("[data-kind='review']").first).to_have_text("Review")
    expect(card.get_by_test_id("ops-excerpt")).to_have_text(written)
    expect(card.locator("b, i, a[href^='https://example.com']")).to_have_count(0)
    expect(card.get_by_test_id("ops-item-link")).to_have_attribute("href", f"/h/{helper.username}#review-{harsh}")
    expect(card.get_by_test_id("ops-count")).to_have_text("2 reports waiting")
    reasons = card.get_by_test_id("ops-reasons")
    expect(reasons).to_contain_text("Offensive, hateful or harassing × 1")
    expect(reasons).to_contain_text("Fake, or written for a reward × 1")
    notes = card.get_by_test_id("ops-report")
    expect(notes).to_have_count(1)  # the second reporter wrote no note
    expect(notes).to_contain_text("Calls him names in the <i>second</i> line.")
    expect(notes.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(page.get_by_test_id("ops-reviews-empty")).to_be_hidden()

    # Hiding takes a note (its author is told why); then the card goes and the page says so.
    card.get_by_role("button", name="Hide", exact=True).click()
    expect(card.locator("[data-error-for='note']")).to_contain_text("Write a note")
    note = f"Name-calling is not allowed in reviews ({tag})."
    card.get_by_label("Note (required to hide)").fill(note)
    card.get_by_role("button", name="Hide", exact=True).click()
    expect(card).to_have_count(0)
    expect(page.get_by_test_id("ops-outcome")).to_contain_text("Hidden")
    expect(page.get_by_test_id("ops-outcome")).to_contain_text("2 reports closed")

    # The Helper's reviews no longer list it, and its author has the note by email.
    listed = requests.get(f"{api}/helpers/{helper.username}/reviews", timeout=30).json()
    assert [r["review_id"] for r in listed["reviews"]] == [other]
    assert listed["summary"]["count"] == 1
    email = eventually(lambda: next((m for m in emails_to(local_stack["aws"], author.email)
                                     if "was hidden" in m.get("subject", "")), None))
    assert email, emails_to(local_stack["aws"], author.email)
    assert email["subject"] == f"Your review of {helper.display_name} was hidden"
    assert note in email["body"]
    assert f"review:{harsh}" not in queued(api, ops)

    # Another ops member keeps the other review meanwhile: deciding it here says so, and it goes.
    decide(api, ops, "review", other, "keep", "Fine.")
    late = card_of(page, other)
    expect(late.get_by_test_id("ops-report")).to_contain_text("Not about the session")
    late.get_by_role("button", name="Keep", exact=True).click()
    expect(late).to_have_count(0)
    expect(page.get_by_test_id("ops-outcome")).to_contain_text("Someone else decided")
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
    expect(page.get_by_test_id("ops-case")).to_have_count(0)
    expect(page.get_by_test_id("ops-reviews-empty")).to_be_hidden()
    expect(page.get_by_role("button", name="Show more", exact=True)).to_be_hidden()
    assert requests.get(f"{api}/ops/moderation", headers=customer.auth, timeout=30).status_code == 403
    refused = requests.post(f"{api}/ops/moderation/decision", headers=customer.auth, timeout=30,
                            json={"kind": "review", "id": "some-review", "decision": "keep", "note": "No."})
    assert refused.status_code == 403, refused.text

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(REFUSED_REQUEST) == []
