"""A booked session in two real Chromium browsers (fake camera and microphone) on the whole local
stack: a customer's confirmed 30-minute booking whose join window is open (it starts at the next
quarter hour if that is within four minutes, else started at the last one; written straight into
the stack's tables: the slot rules want more notice than a test can wait for). The Helper has the booking
page open and is told the call will ring there; the customer opens it and presses Join, which
opens the call room; the Helper's pop-up says "Booked session" and they answer; both are at once
in session for the booked time, with no terms to agree and nothing to pay; the booking
records the call, so nobody can be marked a no-show. Screenshots at 1280 and 390 px go to
/tmp/ui-shots."""
from __future__ import annotations

import re
import time

import jwt
import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.e2e.test_bookings_browser import shoot
from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.bookings import write_confirmed_booking
from tests.support.call_browser import expect_video_playing, open_person, sign_in
from tests.support.pages import become_helper, wait_until_online

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

QUARTER = 15 * 60  # bookings start on a quarter hour


def test_a_customer_joins_a_booked_session_and_the_helper_answers_it(call_browser: Browser, local_stack, app_env,
                                                                       browser_log):
    api, site = local_stack["api"], local_stack["site"]
    helper = become_helper(api, "bookedhelper")
    customer = sign_up_and_in(api, "bookedcustomer")
    customer_id = jwt.decode(customer.access_token, options={"verify_signature": False})["sub"]
    now = int(time.time())
    start = -(-now // QUARTER) * QUARTER
    if start - now > 4 * 60:
        start -= QUARTER
    booking_id = write_confirmed_booking(app_env, helper_id=helper.tokens["user_id"], customer_id=customer_id,
                                         start=start, length=30)
    # What the call is agreed for: the booking's length, or what is left of it (the clock may
    # pass a minute while the customer joins).
    left = min(30, (start + 30 * 60 - max(now, start)) // 60)
    minutes = {left, left - 1} if start < now else {30}
    booked = re.compile("|".join(rf"\({m} minutes\)" for m in minutes))

    # The Helper has the booking page open (signed in: online): no Join button, a note instead.
    helper_page = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000).new_page(), "helper")
    sign_in(helper_page, helper.email, PASSWORD, f"/booking.html?id={booking_id}")
    wait_until_online(api, helper.tokens["user_id"])
    expect(helper_page.get_by_test_id("booking-state")).to_have_text("Confirmed")
    expect(helper_page.locator("[data-booking-join-note]")).to_contain_text(
        f"{customer.display_name}'s call will ring on any interKanect page you have open")
    expect(helper_page.locator("[data-booking-join]")).to_have_count(0)
    shoot(helper_page, "booking-helper-join-note")

    # The customer's booking page: Join opens the call room for this booking.
    customer_page = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000).new_page(), "customer")
    sign_in(customer_page, customer.email, PASSWORD, f"/booking.html?id={booking_id}")
    join = customer_page.get_by_role("link", name="Join")
    expect(join).to_have_attribute("href", f"/call.html?helper={helper.username}&booking={booking_id}")
    shoot(customer_page, "booking-customer-join")
    join.click()
    expect(customer_page).to_have_url(re.compile(rf"/call\.html\?helper={helper.username}&booking={booking_id}$"))
    expect(customer_page.locator("[data-room]")).to_have_attribute("data-phase", "ringing")

    # The Helper's pop-up says it is the booked session; answering turns their page into the room.
    pop_up = helper_page.get_by_role("alertdialog")
    expect(pop_up.get_by_test_id("incoming-call-kind")).to_have_text("Booked session")
    expect(pop_up).to_contain_text(customer.display_name)
    expect(pop_up).to_contain_text(booked)
    expect(pop_up).not_to_contain_text("Incoming video call")
    shoot(helper_page, "booked-session-pop-up")
    pop_up.get_by_role("button", name="Answer").click()
    expect(helper_page).to_have_url(re.compile(r"/call\.html\?call=[0-9a-f]+$"))

    # Straight into the session, on the booked terms: no terms to propose or accept, nothing to pay.
    for page in (helper_page, customer_page):
        expect(page.locator("[data-phase-title]")).to_have_text("Session in progress")
        expect(page.get_by_test_id("phase-countdown")).to_have_text(re.compile(r"^[123]?\d:\d\d$"))
        expect(page.locator("[data-room-subtitle]")).to_contain_text(
            re.compile("|".join(f"{m} minutes" for m in minutes)))
        expect(page.get_by_role("button", name="Propose terms")).to_be_hidden()
        expect(page.get_by_test_id("terms-offer")).to_be_hidden()
        expect(page.get_by_test_id("accept-terms")).to_be_hidden()
    expect(helper_page.get_by_role("heading", level=1)).to_have_text(f"Call with {customer.display_name}")
    for page in (helper_page, customer_page):
        expect_video_playing(page)

    # The booking records its call: nobody can be marked a no-show, it can no longer be cancelled.
    call_id = helper_page.url.split("call=")[1]
    deadline = time.monotonic() + 30
    while app_env.booking_store().get(booking_id).call_id != call_id:
        assert time.monotonic() < deadline, "the booking never recorded its call"
        time.sleep(0.25)
    seen = requests.get(f"{api}/bookings/{booking_id}", headers=helper.auth, timeout=30)
    assert seen.status_code == 200, seen.text
    assert "no_show" not in seen.json()["booking"]["actions"]
    assert browser_log.csp_violations() == []
