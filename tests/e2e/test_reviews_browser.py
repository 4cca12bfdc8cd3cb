"""Ratings and reviews in Chromium on the whole local stack: a free call whose session runs, the
caller ends it and rates it 5 stars with a review from the end-of-call prompt, the review shows
on the Helper's page (summary, distribution, JSON-LD) as plain text, the Helper replies from
their own page, and a visitor sees the reply.

The stack runs with a one-second minimum session (IK_REVIEW_MIN_SESSION_SECONDS), so the call
need not last the default two minutes; the test waits for the session clock, never a sleep."""
from __future__ import annotations

import json
import re

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import answer_from_pop_up, open_person, sign_in
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper, open_storefront, wait_until_online
from tests.support.payments import accept_and_pay, answered_call, eventually, ops_person, propose, wait_until_closed
from tests.support.reviews import card_of
from tests.support.stack import RunningStack, deps_pointed_at

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

REVIEW_SETTINGS = {"IK_REVIEW_MIN_SESSION_SECONDS": "1"}
# Markup and an address in a review are text: shown as typed, never as bold or as a link.
REVIEW_TEXT = "Found the leak in ten minutes. <b>x</b> Notes: https://example.com/leaks?a=1&b=2"
REPLY_TEXT = "Thank you! <i>Glad</i> the tap is dry again."


@pytest.fixture(scope="module")
def review_stack(tmp_path_factory):
    stack = RunningStack(tmp_path_factory.mktemp("reviews") / "state", settings=REVIEW_SETTINGS)
    yield stack.start()
    stack.stop()


def structured_data(page) -> dict:
    return json.loads(page.locator("script[type='application/ld+json']").text_content())


def aggregate_ratings(data: dict) -> list[dict]:
    return [node["aggregateRating"] for node in data["@graph"] if "aggregateRating" in node]


def refusal(code: str, message: str, field: str | None = None) -> dict:
    """An API refusal as the API words them (chalicelib/api/http.py)."""
    return {"error": {"code": code, "message": message, **({"field": field} if field else {})}}


def refund_session(stack: dict, call_id: str, monkeypatch) -> None:
    """What an approved refund of the session's payment does to its review (services/payments.py
    calls the same function): it stays shown, marked, and leaves the average."""
    from chalicelib.services.reviews import session_refunded

    pointed = deps_pointed_at(stack, monkeypatch)
    deps = next(pointed)
    try:
        session_refunded(call_id=call_id, desk=deps.review_desk())
    finally:
        next(pointed, None)


def test_a_caller_rates_a_session_the_helper_replies_and_everyone_sees_it(call_browser: Browser, review_stack,
                                                                           browser_log, monkeypatch):
    api, site = review_stack["api"], review_stack["site"]
    helper = become_helper(api, "reviewedhelper", prices={"15": 0, "30": None, "60": None})
    customer = sign_up_and_in(api, "reviewer")

    # Before any review, the Helper's page says so, with no rating and no AggregateRating.
    visitor = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000).new_page(), "visitor")
    visitor.goto(f"/h/{helper.username}")
    reviews = visitor.get_by_role("region", name="Reviews")
    expect(reviews).to_contain_text("No reviews yet")
    expect(visitor.locator("[data-rating-summary]")).to_have_count(0)
    assert aggregate_ratings(structured_data(visitor)) == []

    # A free 15-minute call: the Helper answers, proposes free terms, the caller accepts.
    helper_page = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000).new_page(), "helper")
    sign_in(helper_page, helper.email, PASSWORD, "/become-a-helper.html")
    wait_until_online(api, helper.tokens["user_id"])
    customer_page = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000).new_page(), "customer")
    sign_in(customer_page, customer.email, PASSWORD, f"/call.html?helper={helper.username}")
    answer_from_pop_up(helper_page, customer.display_name)
    helper_page.get_by_role("button", name="15 min · Free").click()
    helper_page.get_by_role("button", name="Propose terms").click()
    customer_page.get_by_test_id("accept-terms").click()
    for page in (helper_page, customer_page):
        expect(page.locator("[data-phase-title]")).to_have_text("Session in progress")
    # The session clock has run for a few seconds (more than the minimum of this stack).
    expect(customer_page.get_by_test_id("phase-countdown")).to_have_text(re.compile(r"^14:(?!5[89])\d\d$"))

    # The caller ends the call and is asked to rate it; the Helper is not.
    customer_page.get_by_test_id("end-call").click()
    expect(customer_page.get_by_role("heading", name="Call ended", level=2)).to_be_visible()
    expect(helper_page.locator("[data-ended-text]")).to_have_text(f"{customer.display_name} ended the call.")
    prompt = customer_page.get_by_test_id("rating-prompt")
    expect(prompt).to_contain_text(f"How was your session with {helper.display_name}?")
    expect(prompt).not_to_contain_text("coming soon")
    expect(helper_page.get_by_test_id("rating-prompt")).to_have_count(0)

    # Sending without stars says so beside the stars; nothing is sent.
    post = prompt.get_by_role("button", name="Post review")
    post.click()
    expect(prompt.locator("[data-error-for='stars']")).to_have_text("Choose from 1 to 5 stars.")
    expect(prompt.get_by_role("radiogroup", name="Your rating")).to_have_attribute("aria-invalid", "true")

    # Five stars and a review.
    prompt.locator("label[for='rating-5']").click()
    expect(prompt).to_contain_text("5 of 5: Excellent")
    expect(prompt.locator("[data-error-for='stars']")).to_have_text("")
    prompt.get_by_label("Your review").fill(REVIEW_TEXT)
    post.click()
    saved = prompt.get_by_test_id("review-saved")
    expect(saved).to_contain_text(f"Thanks — your review is on {helper.display_name}'s page.")
    expect(saved.get_by_role("link", name=f"{helper.display_name}'s page")).to_have_attribute(
        "href", f"/h/{helper.username}")
    expect(saved.get_by_role("img", name="You gave 5 out of 5 stars")).to_be_visible()
    expect(saved).to_contain_text(REVIEW_TEXT)

    # Still editable: the form comes back filled in. A refusal about the text shows beside it
    # (answered here by a stand-in for the API); saving again changes the same review.
    saved.get_by_role("button", name="Edit review").click()
    expect(prompt.get_by_label("Your review")).to_have_value(REVIEW_TEXT)
    expect(prompt.get_by_role("radio", name="5 stars, Excellent")).to_be_checked()
    customer_page.route("**/calls/*/review", lambda route: route.fulfill(status=400, json=refusal(
        "invalid_input", "At most 2,000 characters.", field="text")) if route.request.method == "PUT"
        else route.continue_())
    prompt.get_by_role("button", name="Update review").click()
    expect(prompt.locator("[data-error-for='text']")).to_have_text("At most 2,000 characters.")
    expect(prompt.get_by_label("Your review")).to_have_attribute("aria-invalid", "true")
    customer_page.unroute("**/calls/*/review")
    prompt.get_by_role("button", name="Update review").click()
    expect(prompt.get_by_test_id("review-saved")).to_contain_text("your review is on")

    # A visitor sees the rating, its distribution, the review as text, and the real count in the JSON-LD.
    visitor.reload()
    expect(visitor.locator("[data-rating]")).to_have_text(re.compile(r"5\.0 · 1 review$"))
    summary = visitor.locator("[data-rating-summary]")
    expect(summary.get_by_role("img", name="Rated 5.0 out of 5")).to_be_visible()
    expect(summary).to_contain_text("1 review")
    expect(summary.locator("meter")).to_have_count(5)
    expect(summary.get_by_role("list", name="Reviews by number of stars")).to_contain_text("5 stars: 1 review")
    assert aggregate_ratings(structured_data(visitor)) == [
        {"@type": "AggregateRating", "ratingValue": 5.0, "reviewCount": 1, "bestRating": 5, "worstRating": 1}]
    review = reviews.get_by_test_id("review")
    expect(review).to_have_count(1)
    expect(review.get_by_role("img", name="Rated 5 out of 5")).to_be_visible()
    expect(review).to_contain_text(customer.display_name)
    expect(review).to_contain_text("15-minute session")
    expect(review.get_by_test_id("review-text")).to_have_text(REVIEW_TEXT)
    expect(review.locator("b, a")).to_have_count(0)
    expect(review.get_by_role("button")).to_have_count(0)  # a visitor cannot reply, nor report unsigned

    # The Helper replies from their own page.
    helper_page.goto(f"/h/{helper.username}")
    own = helper_page.get_by_role("region", name="Reviews").get_by_test_id("review")
    own.get_by_role("button", name=f"Reply to {customer.display_name}").click()
    helper_page.get_by_role("button", name="Post reply").click()  # empty: refused here, nothing sent
    expect(own.locator("[data-error-for='text']")).to_have_text("Write your reply first.")
    own.get_by_label("Your public reply").fill(REPLY_TEXT)
    helper_page.get_by_role("button", name="Post reply").click()
    reply = own.get_by_test_id("review-reply")
    expect(reply).to_contain_text(f"Reply from {helper.display_name}")
    expect(reply).to_contain_text(REPLY_TEXT)
    # Past the edit window the server refuses a changed reply (a stand-in answers as it would):
    # the form says why, and Cancel shows the reply as it stands.
    reply.get_by_role("button", name=re.compile("^Edit reply")).click()
    helper_page.route("**/reviews/*/reply", lambda route: route.fulfill(status=409, json=refusal(
        "edit_window_closed", "It can be changed for 48 hours after it was written.")))
    own.get_by_label("Edit your reply").fill("Changed my mind.")
    own.get_by_role("button", name="Save reply").click()
    expect(own.get_by_role("alert")).to_have_text("It can be changed for 48 hours after it was written.")
    helper_page.unroute("**/reviews/*/reply")
    own.get_by_role("button", name="Cancel").click()
    expect(reply).to_contain_text(REPLY_TEXT)
    expect(own.get_by_test_id("report-open")).to_have_count(0)  # the Helper does not report reviews of them

    # The visitor sees the reply, as text, and nothing to edit.
    visitor.reload()
    shown = reviews.get_by_test_id("review-reply")
    expect(shown).to_contain_text(f"Reply from {helper.display_name}")
    expect(shown).to_contain_text(REPLY_TEXT)
    expect(shown.locator("i")).to_have_count(0)
    expect(reviews.get_by_role("button", name=re.compile("reply", re.I))).to_have_count(0)

    # The API agrees: one review, five stars, the reply on it.
    answer = requests.get(f"{api}/helpers/{helper.username}/reviews", timeout=30).json()
    assert answer["summary"]["count"] == 1 and answer["summary"]["average"] == 5.0
    assert [(r["stars"], r["text"], r["reply"]["text"]) for r in answer["reviews"]] == [(5, REVIEW_TEXT, REPLY_TEXT)]

    # Someone else, signed in, reports the review: a reason is required; once sent, thanks in its place.
    reporter = sign_up_and_in(api, "reporter")
    reporter_page = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000).new_page(), "reporter")
    sign_in(reporter_page, reporter.email, PASSWORD, f"/h/{helper.username}")
    reported = reporter_page.get_by_role("region", name="Reviews").get_by_test_id("review")
    reported.get_by_role("button", name=f"Report the review by {customer.display_name}").click()
    form = reported.get_by_role("form", name="Report this review")
    form.get_by_role("button", name="Send report").click()  # no reason: refused here, nothing sent
    expect(form.locator("[data-error-for='reason']")).to_have_text("Choose a reason.")
    form.get_by_label("Why are you reporting this review?").select_option(label="Not about the session")
    form.get_by_label("Anything our team should know (optional)").fill("It is about a different tap.")
    with reporter_page.expect_response(lambda response: response.url.endswith("/reports")
                                       and response.request.method == "POST") as sent:
        form.get_by_role("button", name="Send report").click()
    assert sent.value.status == 201
    assert sent.value.request.post_data_json == {"kind": "review", "id": sent.value.json()["id"],
                                                  "reason": "not_about_the_session",
                                                  "note": "It is about a different tap."}
    expect(reported.get_by_test_id("reported")).to_have_text("Thanks — our team will look at it.")
    expect(reported.get_by_role("form")).to_have_count(0)

    # The summary, the distribution and the JSON-LD are in the page as served, before any script.
    served = browser_log.watch(call_browser.new_context(base_url=site, java_script_enabled=False).new_page(),
                               "no script")
    served.goto(f"/h/{helper.username}")
    expect(served.locator("[data-rating]")).to_have_text(re.compile(r"5\.0 · 1 review$"))
    expect(served.locator("[data-rating-summary] meter")).to_have_count(5)
    assert aggregate_ratings(structured_data(served))[0]["reviewCount"] == 1

    # On a phone the reviews fit the width (long words and addresses wrap).
    visitor.set_viewport_size({"width": 390, "height": 844})
    expect(reviews.get_by_test_id("review-reply")).to_be_visible()
    assert visitor.evaluate("() => document.documentElement.scrollWidth") <= 390

    # The session is refunded: the review stays, marked, and leaves the average (none is left).
    refund_session(review_stack, answer["reviews"][0]["review_id"], monkeypatch)
    visitor.reload()
    expect(reviews.get_by_test_id("refunded")).to_have_text("Refunded")
    expect(reviews.get_by_test_id("review-text")).to_have_text(REVIEW_TEXT)
    expect(visitor.locator("[data-rating-summary]")).to_have_count(0)
    expect(visitor.locator("[data-rating]")).to_have_count(0)
    expect(reviews.locator("[data-reviews-empty]")).to_be_hidden()
    assert aggregate_ratings(structured_data(visitor)) == []

    assert browser_log.csp_violations() == []
    # Only the two refusals above, as the browser logs any answer of 400 or 409.
    assert len(browser_log.errors) - len(browser_log.unexpected(r"status of (400|409)")) == 2
    assert browser_log.unexpected(r"status of (400|409)") == []


def test_a_session_that_cannot_be_rated_says_why_instead_of_asking(call_browser: Browser, review_stack,
                                                                     browser_log):
    api, site = review_stack["api"], review_stack["site"]
    helper = become_helper(api, "shorthelper", prices={"15": 0, "30": None, "60": None})
    customer = sign_up_and_in(api, "shortcaller")
    helper_page = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000).new_page(), "helper")
    sign_in(helper_page, helper.email, PASSWORD, "/become-a-helper.html")
    wait_until_online(api, helper.tokens["user_id"])
    customer_page = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000).new_page(), "customer")
    # The server's answer for a session shorter than its minimum (a stand-in gives it, as this
    # stack's minimum is one second; the rule itself is tested on the API).
    reason = "Only sessions of at least 2 minutes can be rated."
    customer_page.route("**/calls/*/review", lambda route: route.fulfill(json={
        "review": None, "can_review": False, "reason": reason, "closes_at": None, "editable_until": None,
        "helper": {"display_name": helper.display_name, "username": helper.username}}))
    sign_in(customer_page, customer.email, PASSWORD, f"/call.html?helper={helper.username}")
    answer_from_pop_up(helper_page, customer.display_name)
    helper_page.get_by_role("button", name="15 min · Free").click()
    helper_page.get_by_role("button", name="Propose terms").click()
    customer_page.get_by_test_id("accept-terms").click()
    expect(customer_page.locator("[data-phase-title]")).to_have_text("Session in progress")
    customer_page.get_by_test_id("end-call").click()

    prompt = customer_page.get_by_test_id("rating-prompt")
    expect(prompt.get_by_test_id("rating-closed")).to_have_text(reason)
    expect(prompt.get_by_role("radiogroup")).to_have_count(0)
    expect(prompt.get_by_role("button")).to_have_count(0)
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_a_paid_session_is_rated_replied_to_reported_and_hidden_by_ops(call_browser: Browser, review_stack,
                                                                        browser_log):
    """The whole chain of issue 13: a paid call in the call room (PayPal's sandbox window), the
    end-of-call summary, the caller rates it 5 with a review, the Helper replies from their page,
    a third person reports it, ops hides it on /ops-reviews.html, and the Helper's page and
    average no longer count it; its author is emailed why."""
    api, site = review_stack["api"], review_stack["site"]
    helper = become_helper(api, "chainhelper", prices={"15": 2500, "30": None, "60": None})
    open_storefront(api, helper)
    customer = sign_up_and_in(api, "chaincaller")

    # A paid call: $25 for 15 minutes, approved in the PayPal window; the session starts by itself.
    rooms = answered_call(call_browser, review_stack, helper, customer, browser_log)
    propose(rooms.helper, dollars="25", minutes=15)
    expect(rooms.customer.get_by_test_id("terms-offer")).to_contain_text("$25.00")
    paypal = browser_log.watch(accept_and_pay(rooms.customer, "Accept and pay $25.00"), "paypal")
    paypal.get_by_role("button", name="Approve and pay").click()
    wait_until_closed(paypal)
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "in_session")
    # The session clock has run past this stack's one-second minimum.
    expect(rooms.customer.get_by_test_id("phase-countdown")).to_have_text(re.compile(r"^14:(?!5[89])\d\d$"))

    # The caller ends it (confirming, as paid time is left): the summary on both sides, and the
    # caller alone is asked to rate it.
    rooms.customer.get_by_test_id("end-call").click()
    rooms.customer.get_by_role("dialog", name="End the call?").get_by_role("button", name="End call").click()
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "ended")
        expect(page.get_by_test_id("call-summary")).to_contain_text("15 minutes for $25.00")
    expect(rooms.customer.get_by_test_id("call-summary")).to_contain_text(re.compile(r"You paid\s*\$25\.00"))
    expect(rooms.helper.get_by_test_id("rating-prompt")).to_have_count(0)
    prompt = rooms.customer.get_by_test_id("rating-prompt")
    expect(prompt).to_contain_text(f"How was your session with {helper.display_name}?")

    # Five stars and a review.
    prompt.locator("label[for='rating-5']").click()
    prompt.get_by_label("Your review").fill(REVIEW_TEXT)
    prompt.get_by_role("button", name="Post review").click()
    expect(prompt.get_by_test_id("review-saved")).to_contain_text(
        f"Thanks — your review is on {helper.display_name}'s page.")
    listed = requests.get(f"{api}/helpers/{helper.username}/reviews", timeout=30).json()
    assert listed["summary"]["count"] == 1 and listed["summary"]["average"] == 5.0
    [written] = listed["reviews"]
    assert (written["stars"], written["text"]) == (5, REVIEW_TEXT)

    # The Helper replies from their own page, which shows the rating.
    rooms.helper.goto(f"/h/{helper.username}")
    expect(rooms.helper.locator("[data-rating]")).to_have_text(re.compile(r"5\.0 · 1 review$"))
    own = rooms.helper.get_by_role("region", name="Reviews").get_by_test_id("review")
    own.get_by_role("button", name=f"Reply to {customer.display_name}").click()
    own.get_by_label("Your public reply").fill(REPLY_TEXT)
    rooms.helper.get_by_role("button", name="Post reply").click()
    expect(own.get_by_test_id("review-reply")).to_contain_text(REPLY_TEXT)

    # A third person, signed in, reports it.
    reporter = sign_up_and_in(api, "chainreporter")
    reporter_page = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000).new_page(), "reporter")
    sign_in(reporter_page, reporter.email, PASSWORD, f"/h/{helper.username}")
    reported = reporter_page.get_by_role("region", name="Reviews").get_by_test_id("review")
    expect(reported.get_by_test_id("review-reply")).to_contain_text(REPLY_TEXT)
    reported.get_by_role("button", name=f"Report the review by {customer.display_name}").click()
    form = reported.get_by_role("form", name="Report this review")
    form.get_by_label("Why are you reporting this review?").select_option(label="Not about the session")
    form.get_by_role("button", name="Send report").click()
    expect(reported.get_by_test_id("reported")).to_have_text("Thanks — our team will look at it.")

    # Ops hides it from the reported reviews page, with a note.
    ops = ops_person(review_stack, "chainops")
    ops_page = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000).new_page(), "ops")
    sign_in(ops_page, ops.email, PASSWORD, "/ops-reviews.html")
    card = card_of(ops_page, written["review_id"])
    expect(card).to_contain_text(REVIEW_TEXT)
    expect(card.get_by_test_id("ops-reasons")).to_contain_text("Not about the session × 1")
    note = "The review is not about the session."
    card.get_by_label("Note (required to hide)").fill(note)
    card.get_by_role("button", name="Hide", exact=True).click()
    expect(card).to_have_count(0)
    expect(ops_page.get_by_test_id("ops-outcome")).to_contain_text("Hidden")

    # The Helper's page has no rating left, and the API lists none.
    rooms.helper.reload()
    expect(rooms.helper.get_by_role("region", name="Reviews")).to_contain_text("No reviews yet")
    expect(rooms.helper.locator("[data-rating-summary]")).to_have_count(0)
    expect(rooms.helper.locator("[data-rating]")).to_have_count(0)
    expect(rooms.helper.get_by_test_id("review")).to_have_count(0)
    assert aggregate_ratings(structured_data(rooms.helper)) == []
    listed = requests.get(f"{api}/helpers/{helper.username}/reviews", timeout=30).json()
    assert listed["reviews"] == [] and listed["summary"]["count"] == 0, listed

    # Its author has the note by email.
    email = eventually(lambda: next((m for m in emails_to(review_stack["aws"], customer.email)
                                     if "was hidden" in m.get("subject", "")), None))
    assert email, emails_to(review_stack["aws"], customer.email)
    assert email["subject"] == f"Your review of {helper.display_name} was hidden"
    assert note in email["body"]

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
