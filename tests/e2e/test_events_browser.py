"""Events in real Chromium on the whole local stack: a Helper announces an event on /my-events.html;
it fills to capacity, the next person joins the waitlist on the event page, someone going leaves
in their own browser and the person waiting moves up and sees "You're going" with the online link;
and a paid ticket bought at PayPal's approval page brings its buyer back to the event, going.
Screenshots at 1280 and 390 px go to /tmp/ui-shots."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_bookings_browser import shoot
from tests.support.accounts import sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import CHECKOUT

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]
LINK = "https://meet.example.com/browser-workshop"


def test_an_event_fills_and_the_waitlist_moves_up_when_someone_leaves(open_context, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "eventhost")  # page time zone: the page fields' (Europe/Paris)
    zone = requests.get(f"{api}/me/page", headers=helper.auth, timeout=30).json()["time_zone"]
    start = (datetime.now(ZoneInfo(zone)) + timedelta(days=4)).replace(hour=18, minute=30, second=0, microsecond=0)

    # The Helper announces the event on their Events page.
    mine = browser_log.watch(open_context().new_page(), "helper")
    sign_in(mine, helper.email, helper.password, "/my-events.html")
    form = mine.locator("[data-event-form]")
    expect(form.get_by_role("button", name="Announce event")).to_be_enabled()
    form.get_by_label("Title").fill("Fix your own leaks: a live workshop")
    form.get_by_label("Description").fill("Bring a **wrench** and your questions.")
    form.get_by_label("Starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Ends").fill((start + timedelta(hours=1, minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Link or address").fill(LINK)
    form.get_by_label("Capacity").fill("2")
    form.get_by_role("button", name="Announce event").click()
    expect(mine.locator("[data-events-notice]")).to_have_text('"Fix your own leaks: a live workshop" is announced.')
    item = mine.locator(".my-event").first
    expect(item).to_contain_text("0/2 going")
    event_id = item.get_attribute("data-event-id")
    path = f"/h/{helper.username}/events/{event_id}"

    # Two people take the two places.
    first, second, third = (sign_up_and_in(api, name) for name in ("early", "second", "late"))
    for person in (first, second):
        answer = requests.put(f"{api}/events/{event_id}/rsvp", headers=person.auth, json={}, timeout=30)
        assert answer.json()["place"]["place"] == "going", answer.text

    # The next person finds it full and joins the waitlist.
    late = browser_log.watch(open_context(timezone_id="America/New_York").new_page(), "late")
    sign_in(late, third.email, third.password, path)
    expect(late.get_by_role("heading", level=1)).to_have_text("Fix your own leaks: a live workshop")
    expect(late.locator("[data-places]")).to_contain_text("Full")
    expect(late.locator("[data-local-time]")).to_contain_text("Your time:")
    late.get_by_test_id("event-rsvp").click()
    expect(late.get_by_test_id("event-waiting")).to_have_text("You're #1 on the waitlist")
    expect(late.locator("[data-join-link]")).to_be_hidden()
    shoot(late, "event-page-waitlist")

    # Someone going gives up their place in their own browser.
    early = browser_log.watch(open_context().new_page(), "early")
    sign_in(early, first.email, first.password, path)
    expect(early.get_by_test_id("event-going")).to_have_text("You're going")
    expect(early.get_by_test_id("event-join-link")).to_have_attribute("href", LINK)
    shoot(early, "event-page-going")
    early.get_by_test_id("event-leave").click()
    expect(early.locator("[data-register-note]")).to_contain_text("You left this event")

    # The person waiting has moved up: going, with the link.
    late.reload()
    expect(late.get_by_test_id("event-going")).to_have_text("You're going")
    expect(late.get_by_test_id("event-join-link")).to_have_attribute("href", LINK)

    # The Helper sees who comes; the public pages look right at both widths.
    mine.reload()
    expect(mine.locator(".my-event").first).to_contain_text("2/2 going")
    mine.locator(".my-event").first.get_by_role("button", name="Attendees").click()
    expect(mine.locator("[data-attendee-rows]")).to_contain_text(third.email)
    shoot(mine, "my-events")
    visitor = browser_log.watch(open_context().new_page(), "visitor")
    visitor.goto(f"/h/{helper.username}/events")
    expect(visitor.locator(".event-card")).to_have_count(1)
    shoot(visitor, "events-list")
    visitor.goto(path)
    expect(visitor.get_by_test_id("event-rsvp")).to_have_text("Join the waitlist")
    shoot(visitor, "event-page-visitor")
    visitor.goto(f"/h/{helper.username}")
    expect(visitor.locator("[data-upcoming-events]")).to_contain_text("Fix your own leaks")
    shoot(visitor, "helper-page-events")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == [], browser_log.errors


def test_a_ticket_is_bought_at_paypal_and_the_buyer_comes_back_going(open_context, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "tickethost")
    open_storefront(api, helper)
    start = datetime.now(ZoneInfo("UTC")) + timedelta(days=5)
    made = requests.post(f"{api}/me/events", headers=helper.auth, timeout=30, json={
        "title": "Boilers, explained", "where": "in_person", "location": "12 Rue de la Paix, Paris", "capacity": 10,
        "price_cents": 1500, "starts_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert made.status_code == 201, made.text
    path = f"/h/{helper.username}/events/{made.json()['event']['event_id']}"
    buyer = sign_up_and_in(api, "ticketbuyer")

    page = browser_log.watch(open_context().new_page(), "buyer")
    sign_in(page, buyer.email, buyer.password, path)
    expect(page.locator(".event-fact-place")).to_contain_text("12 Rue de la Paix, Paris")
    expect(page.get_by_test_id("event-rsvp")).to_have_text("Buy ticket · $15.00")
    page.get_by_test_id("event-rsvp").click()
    page.wait_for_url(CHECKOUT, timeout=30_000)
    expect(page.locator("body")).to_contain_text("$15.00")
    page.get_by_role("button", name="Approve and pay").click()
    outcome = page.get_by_test_id("payment-outcome")
    expect(outcome).to_have_attribute("data-outcome", "captured", timeout=60_000)
    outcome.get_by_test_id("open-event").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_test_id("event-going")).to_have_text("You're going")

    # Leaving with a paid ticket says first that it is not refunded; keeping it changes nothing.
    page.get_by_test_id("event-leave").click()
    expect(page.get_by_test_id("event-leave-confirm")).to_have_text("Give up your ticket?")
    expect(page.locator("[data-testid=event-leave-confirm]").locator("..")).to_contain_text("not refunded")
    page.get_by_test_id("event-keep").click()
    expect(page.get_by_test_id("event-going")).to_have_text("You're going")
    assert browser_log.csp_violations() == []
