"""The rate page (`/rate.html?call=<id>`), where the rating reminder email leads, in Chromium on
the whole local stack: a visitor is sent to sign in and back; a bad or unknown link and a session
too short to rate say why; on a stack whose sessions may be rated at any length, the caller rates
a session from the page, sees it saved, and finds it under "Your reviews" on the Payments page."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import open_person, sign_in
from tests.support.pages import become_helper
from tests.support.reviews import free_session_that_ended
from tests.support.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

REVIEW_TEXT = "Patient and clear. <b>not bold</b> https://example.com/x?a=1&b=2"


@pytest.fixture(scope="module")
def any_length_stack(tmp_path_factory):
    """A stack where a session of any length may be rated (the shared one asks for 2 minutes)."""
    stack = RunningStack(tmp_path_factory.mktemp("rate-page") / "state",
                         settings={"IK_REVIEW_MIN_SESSION_SECONDS": "0"})
    yield stack.start()
    stack.stop()


def test_a_visitor_is_sent_to_sign_in_and_back(page):
    page.goto("/rate.html?call=abc123")
    page.wait_for_url(re.compile(r"/sign-in\.html\?next="))
    assert page.url.endswith(f"?next={quote('/rate.html?call=abc123', safe='')}")


def test_a_short_session_or_a_bad_link_cannot_be_rated_and_the_page_says_why(page, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "ratepageshort")
    caller = sign_up_and_in(api, "ratepagecaller")
    call_id = free_session_that_ended(local_stack, helper, caller)

    sign_in(page, caller.email, PASSWORD, f"/rate.html?call={call_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rate your session with {helper.display_name}")
    expect(page.get_by_test_id("rating-closed")).to_have_text("Only sessions of at least 2 minutes can be rated.")
    expect(page.get_by_role("button", name="Post review")).to_have_count(0)
    assert page.locator("meta[name='robots']").get_attribute("content").startswith("noindex")

    page.goto("/rate.html")
    expect(page.get_by_test_id("rate-unavailable")).to_contain_text("This link doesn't say which session to rate.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rate your session")
    page.goto("/rate.html?call=<script>")
    expect(page.get_by_test_id("rate-unavailable")).to_contain_text("This link doesn't say which session to rate.")
    page.goto("/rate.html?call=no-such-call")
    unavailable = page.get_by_test_id("rate-unavailable")
    expect(unavailable).to_contain_text("We couldn't find this session.")
    expect(unavailable.get_by_role("link", name="the Payments page")).to_have_attribute(
        "href", "/payments.html#my-reviews")

    # The Helper of the session is told it is not theirs to rate.
    page.context.clear_cookies()
    page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
    sign_in(page, helper.email, PASSWORD, f"/rate.html?call={call_id}")
    expect(page.get_by_test_id("rate-unavailable")).to_contain_text("Helpers cannot review their own sessions.")

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(r"status of (403|404)") == []


def test_the_caller_rates_a_session_from_the_page_and_finds_it_on_payments(browser: Browser, any_length_stack,
                                                                            browser_log):
    api, site = any_length_stack["api"], any_length_stack["site"]
    helper = become_helper(api, "ratepagehelper")
    caller = sign_up_and_in(api, "ratepagerater")
    call_id = free_session_that_ended(any_length_stack, helper, caller)
    page = browser_log.watch(open_person(browser, site).new_page(), "caller")

    # Before any review, the Payments page says so.
    sign_in(page, caller.email, PASSWORD, "/payments.html")
    reviews = page.get_by_role("region", name="Your reviews")
    expect(reviews.get_by_text("You haven't reviewed a session yet.")).to_be_visible()

    page.goto(f"/rate.html?call={call_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rate your session with {helper.display_name}")
    prompt = page.get_by_test_id("rating-prompt")
    expect(prompt).to_contain_text(f"How was your session with {helper.display_name}?")
    prompt.locator("label[for='rating-4']").click()
    expect(prompt).to_contain_text("4 of 5: Very good")
    prompt.get_by_label("Your review").fill(REVIEW_TEXT)
    prompt.get_by_role("button", name="Post review").click()
    saved = prompt.get_by_test_id("review-saved")
    expect(saved).to_contain_text(f"Thanks — your review is on {helper.display_name}'s page.")
    expect(saved.get_by_role("img", name="You gave 4 out of 5 stars")).to_be_visible()
    expect(saved).to_contain_text(REVIEW_TEXT)
    expect(saved.get_by_role("button", name="Edit review")).to_be_visible()

    # Coming back by the same link shows the review, still to be changed.
    page.reload()
    expect(prompt.get_by_role("radio", name="4 stars, Very good")).to_be_checked()
    expect(prompt.get_by_label("Your review")).to_have_value(REVIEW_TEXT)
    expect(prompt.get_by_role("button", name="Update review")).to_be_visible()

    page.goto("/payments.html")
    item = reviews.get_by_test_id("my-review")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"Your review of {helper.display_name}")
    expect(item.get_by_role("link", name=helper.display_name, exact=True)).to_have_attribute("href", f"/h/{helper.username}")
    expect(item.get_by_role("img", name="You gave 4 out of 5 stars")).to_be_visible()
    expect(item.locator(".review-text")).to_have_text(REVIEW_TEXT)
    expect(item.locator("b")).to_have_count(0)
    expect(item.locator("time").first).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\d"))
    expect(item.locator("[data-review-hidden]")).to_have_count(0)
    expect(reviews.get_by_text("You haven't reviewed a session yet.")).to_be_hidden()
    change = item.get_by_role("link", name=f"Change your review of {helper.display_name}")
    expect(change).to_have_attribute("href", f"/rate.html?call={call_id}")
    change.click()
    page.wait_for_url(re.compile(r"/rate\.html\?call="))
    expect(page.get_by_test_id("rating-prompt").get_by_label("Your review")).to_have_value(REVIEW_TEXT)

    # A review our team hid says so, with their note as text (the answer marked hidden here).
    def hidden_by_ops(route):
        answer = route.fetch().json()
        answer["written"][0].update(hidden=True, hidden_note="<i>Personal details</i> in the text.")
        route.fulfill(json=answer)

    page.route("**/me/reviews", hidden_by_ops)
    page.goto("/payments.html")
    expect(item.locator("[data-review-hidden]")).to_have_text("Hidden by our team: <i>Personal details</i> in the text.")
    expect(item.locator("i")).to_have_count(0)

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
