"""Appointments in real Chromium on the whole local stack, PayPal being the local sandbox with its
approval page: a customer in New York books a Paris Helper's paid 30-minute slot from the Helper
page (times in New York time with Paris beside), pays in the PayPal window and lands on the
booking page, "Confirmed", with a calendar invitation in their mailbox; the Helper finds it under
Appointments and moves it, and the customer's calendar gets the same event at SEQUENCE 1; a
Helper who keeps half the price for late cancellations (set in their booking settings) has a
booking within 24 hours cancelled by the customer, who reads the refund and the fee before
confirming. Screenshots at 1280 and 390 px go to /tmp/ui-shots."""
from __future__ import annotations

import email
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.bookings import book, free_slots
from tests.support.call_browser import sign_in
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import CHECKOUT, eventually, upgraded_helper, wait_until_closed

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

SHOTS = Path("/tmp/ui-shots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
EVERY_DAY = [{"day": day, "start": "00:00", "end": "24:00"} for day in range(7)]


def shoot(page: Page, name: str) -> None:
    """The page at 1280 and at 390 px, whole, kept for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True, animations="disabled")
    page.set_viewport_size(DESKTOP)


def invitations(aws: str, address: str) -> list[icalendar.Calendar]:
    """The calendar files of the emails sent to `address`, oldest first."""
    found = []
    for sent in emails_to(aws, address):
        raw = sent.get("raw_data")
        if not raw:
            continue
        for part in email.message_from_string(raw).walk():
            if part.get_content_type() in ("text/calendar", "application/ics"):
                found.append(icalendar.Calendar.from_ical(part.get_payload(decode=True)))
                break
    return found


def event_of(calendar: icalendar.Calendar) -> icalendar.Event:
    return next(iter(calendar.walk("VEVENT")))


def clock(start: str, zone: str) -> str:
    """"9:30 AM" as Chromium's en-US writes a slot's start in `zone`."""
    moment = datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone))
    return moment.strftime("%I:%M %p").lstrip("0")


def open_widget(page: Page) -> None:
    page.get_by_role("button", name="Choose a time").click()
    expect(page.locator("[data-slot-list] button").first).to_be_visible()


def test_a_new_yorker_books_a_paris_helper_who_then_moves_the_booking(open_context, local_stack, browser_log):
    api, aws = local_stack["api"], local_stack["aws"]
    helper = become_helper(api, "parisbook", prices={"15": 1500, "30": 2500, "60": None})
    open_storefront(api, helper)
    upgraded_helper(local_stack, helper)  # the free plan allows 20 minutes: 30 needs the upgraded one
    customer = sign_up_and_in(api, "nybooker")
    first, second = free_slots(api, helper, length=30, zone="America/New_York", days=28)[:2]

    # The Helper page, signed in, in New York: the widget opens on its first free day.
    page = browser_log.watch(open_context(timezone_id="America/New_York").new_page(), "customer")
    sign_in(page, customer.email, PASSWORD, f"/h/{helper.username}")
    expect(page.get_by_role("heading", name="Book a time")).to_be_visible()
    open_widget(page)
    widget = page.locator("[data-book-widget]")
    expect(widget.locator("[data-book-zone]")).to_have_text("America/New York")
    expect(widget.get_by_role("radio", name=re.compile("15 min"))).to_be_checked()
    widget.get_by_role("radio", name=re.compile("30 min")).check()
    # the day's times are the 30-minute ones now (half an hour apart, not a quarter)
    expect(widget.locator("[data-slot-list] button").nth(1)).to_have_attribute("data-start", second["start"])
    slot = widget.locator(f"[data-slot-list] button[data-start='{first['start']}']")
    expect(slot.locator(".slot-time-own")).to_have_text(clock(first["start"], "America/New_York"))
    expect(slot.locator(".slot-time-other")).to_have_text(f"{clock(first['start'], 'Europe/Paris')} Paris")
    expect(widget.locator(".slot-zones")).to_have_text("Your time (New York) · Helper's time (Paris)")

    # The summary: the time in both zones, the price and the policy, before paying.
    slot.click()
    summary = widget.locator("[data-book-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("New York time")
    expect(summary).to_contain_text(f"{clock(first['start'], 'Europe/Paris')} in Paris")
    expect(summary).to_contain_text("$25, paid now with PayPal")
    expect(summary.locator("[data-book-policy]")).to_contain_text("24 hours before the start")
    summary.get_by_label(re.compile("What do you need help with")).fill("My sink drains slowly.")
    shoot(page, "helper-page-widget")

    # Book and pay: PayPal's window, approve, and the booking page opens here.
    with page.expect_popup() as opened:
        summary.get_by_role("button", name="Book and pay $25").click()
    paypal = opened.value
    paypal.wait_for_url(CHECKOUT, timeout=30_000)
    expect(paypal.locator("body")).to_contain_text("$25.00")
    paypal.get_by_role("button", name="Approve and pay").click()
    page.wait_for_url(re.compile(r"/booking\.html\?id="), timeout=60_000)
    wait_until_closed(paypal)
    expect(page.get_by_test_id("booking-state")).to_have_text("Confirmed")
    expect(page.get_by_test_id("booking-when")).to_contain_text("New York")
    expect(page.get_by_test_id("booking-other-time")).to_contain_text(f"{clock(first['start'], 'Europe/Paris')} in Paris")
    expect(page.get_by_test_id("booking-price")).to_have_text("$25")
    expect(page.locator("[data-booking-join]")).to_be_disabled()
    expect(page.get_by_text("Join opens 5 minutes before the start.")).to_be_visible()
    shoot(page, "booking-customer")
    booking_id = page.url.split("id=")[1]

    # The invitation: a REQUEST at SEQUENCE 0.
    sent = eventually(lambda: invitations(aws, customer.email) or None)
    assert str(sent[0]["METHOD"]) == "REQUEST"
    event = event_of(sent[0])
    assert int(event["SEQUENCE"]) == 0
    uid = str(event["UID"])

    # The Helper: Appointments, the bookings of their time, the booking, moved to another slot.
    helper_page = browser_log.watch(open_context().new_page(), "helper")
    sign_in(helper_page, helper.email, PASSWORD, "/appointments.html")
    helper_page.get_by_role("button", name="Bookings of my time").click()
    row = helper_page.get_by_test_id("appointment").filter(has_text=customer.display_name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Confirmed")
    expect(helper_page.get_by_role("heading", name="Booking settings")).to_be_visible()
    shoot(helper_page, "appointments-helper")
    row.get_by_role("link").click()
    helper_page.wait_for_url(re.compile(rf"/booking\.html\?id={booking_id}"))
    expect(helper_page.get_by_test_id("booking-state")).to_have_text("Confirmed")
    helper_page.get_by_role("button", name="Reschedule").click()
    times = helper_page.locator("[data-reschedule-panel] [data-slot-list] button")
    expect(times.first).to_be_visible()
    new_start = times.nth(1).get_attribute("data-start")
    times.nth(1).click()
    helper_page.get_by_role("button", name=re.compile("^Move to")).click()
    expect(helper_page.locator("[data-booking-notice]")).to_contain_text("Moved")
    shoot(helper_page, "booking-helper-moved")
    moved = requests.get(f"{api}/bookings/{booking_id}", headers=customer.auth, timeout=30).json()["booking"]
    assert moved["start"] == new_start and moved["sequence"] == 1

    # The customer's calendar: the same event, SEQUENCE 1.
    again = eventually(lambda: (found := invitations(aws, customer.email)) and len(found) >= 2 and found or None)
    assert str(again[-1]["METHOD"]) == "REQUEST"
    assert int(event_of(again[-1])["SEQUENCE"]) == 1
    assert str(event_of(again[-1])["UID"]) == uid
    assert browser_log.csp_violations() == []


def test_a_late_cancellation_shows_the_fee_and_the_refund_before_confirming(open_context, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "latehelper", schedule=EVERY_DAY)
    open_storefront(api, helper)
    customer = sign_up_and_in(api, "latebooker")

    # The Helper keeps half the price for late cancellations, and takes bookings at no notice.
    helper_page = browser_log.watch(open_context().new_page(), "helper")
    sign_in(helper_page, helper.email, PASSWORD, "/appointments.html")
    panel = helper_page.locator("[data-rules-panel]")
    expect(panel).to_be_visible()
    expect(panel.get_by_label("How far ahead (days)")).to_have_value("60")
    panel.get_by_label("Minimum notice").select_option("0")
    panel.get_by_role("radio", name=re.compile("50% of the session price")).check()
    panel.get_by_role("button", name="Save booking settings").click()
    expect(panel.locator("[data-rules-saved]")).to_contain_text("Saved")
    rules = requests.get(f"{api}/me/booking-rules", headers=helper.auth, timeout=30).json()["rules"]
    assert rules["notice_minutes"] == 0 and rules["fee_policy"] == "half_price"

    # A slot within 24 hours, booked and paid.
    soon = free_slots(api, helper, length=15, zone="America/New_York", days=2)[0]
    assert datetime.strptime(soon["start"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=ZoneInfo("UTC")) \
        < datetime.now(ZoneInfo("UTC")).replace(microsecond=0) + timedelta(hours=24)
    booking = book(local_stack, customer, helper, soon["start"])
    assert booking["state"] == "confirmed"
    quote = requests.get(f"{api}/bookings/{booking['booking_id']}/cancel-quote", headers=customer.auth,
                         timeout=30).json()
    assert quote["fee_cents"] == 750 and quote["late"] is True
    refund = f"${quote['refund_cents'] // 100}.{quote['refund_cents'] % 100:02d}"

    # The customer: no rescheduling within 24 hours (and why), the quote, then cancelled.
    page = browser_log.watch(open_context(timezone_id="America/New_York").new_page(), "customer")
    sign_in(page, customer.email, PASSWORD, f"/booking.html?id={booking['booking_id']}")
    expect(page.get_by_test_id("booking-state")).to_have_text("Confirmed")
    expect(page.locator("[data-reschedule-closed]")).to_contain_text("less than 24 hours")
    expect(page.get_by_role("button", name="Reschedule")).to_have_count(0)
    page.get_by_role("button", name="Cancel booking").click()
    quote_text = page.locator("[data-cancel-quote]")
    expect(quote_text).to_have_text(re.compile(rf"^You will get {re.escape(refund)} back; \$7\.50 is kept as the late fee"))
    shoot(page, "booking-cancel-quote")
    page.get_by_role("button", name="Cancel the booking").click()
    expect(page.get_by_test_id("booking-state")).to_have_text("Cancelled")
    expect(page.get_by_test_id("booking-refund")).to_have_text(f"{refund} refunded; $7.50 kept as the late fee")
    shoot(page, "booking-cancelled")
    assert browser_log.csp_violations() == []
