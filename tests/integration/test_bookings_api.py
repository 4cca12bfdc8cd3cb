"""Appointments over HTTP on the local stack, money through the PayPal sandbox: a paid booking,
its early cancellation refunded at PayPal less its fee, ten customers racing for one slot, and
the Helper's private calendar feed (made, read by a calendar parser, revoked)."""
from __future__ import annotations

import threading

import pytest
import requests
from icalendar import Calendar

from tests.support.accounts import sign_up_and_in
from tests.support.bookings import book, free_slots
from tests.support.pages import become_helper, open_storefront

pytestmark = pytest.mark.integration
ALL_WEEK = [{"day": day, "start": "00:00", "end": "24:00"} for day in range(7)]


def helper_taking_bookings(api: str, **rules):
    helper = become_helper(api, "booked", schedule=ALL_WEEK)
    open_storefront(api, helper)
    answer = requests.put(f"{api}/me/booking-rules", headers=helper.auth, timeout=30,
                          json={"lengths": [15], "notice_minutes": 0, **rules})
    assert answer.status_code == 200, answer.text
    return helper


def test_a_paid_booking_cancelled_early_is_refunded_at_paypal_less_its_fee(local_stack):
    api = local_stack["api"]
    helper = helper_taking_bookings(api, fee_policy="half_price")
    customer = sign_up_and_in(api, "booker")
    later = free_slots(api, helper, days=14)[-1]["start"]  # about two weeks ahead: an early cancellation
    booking = book(local_stack, customer, helper, later)
    assert (booking["state"], booking["price_cents"], booking["fee_cents"]) == ("confirmed", 1500, 750)
    assert "cancel" in booking["actions"] and "reschedule" in booking["actions"]

    quote = requests.get(f"{api}/bookings/{booking['booking_id']}/cancel-quote", headers=customer.auth, timeout=30)
    assert quote.status_code == 200 and quote.json()["late"] is False and quote.json()["fee_cents"] == 0
    refund = quote.json()["refund_cents"]
    assert refund == 1500 - 101  # the price less PayPal's fee (3.49% + $0.49)
    cancelled = requests.post(f"{api}/bookings/{booking['booking_id']}/cancel", headers=customer.auth, timeout=30,
                              json={"reason": "Something came up."})
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["booking"]["state"], cancelled.json()["booking"]["refund_cents"]) == ("cancelled", refund)
    payment = requests.get(f"{api}/payments/{booking['payment_id']}", headers=customer.auth, timeout=30).json()
    assert (payment["state"], payment["refunded_cents"]) == ("refunded", refund)
    again = requests.post(f"{api}/bookings/{booking['booking_id']}/cancel", headers=customer.auth, timeout=30)
    assert again.status_code == 200 and again.json()["booking"]["refund_cents"] == refund  # nothing more given
    assert later in [s["start"] for s in free_slots(api, helper, days=14)]  # the time is free again


def test_ten_customers_racing_for_one_slot_make_one_booking(local_stack):
    api = local_stack["api"]
    helper = helper_taking_bookings(api)
    customers = [sign_up_and_in(api, f"racer{n}") for n in range(10)]
    start = free_slots(api, helper)[3]["start"]
    answers, barrier = [], threading.Barrier(10)

    def attempt(customer) -> None:
        barrier.wait()
        answers.append(requests.post(f"{api}/bookings", headers=customer.auth, timeout=60, json={
            "helper": helper.username, "length": 15, "start": start, "zone": "Asia/Kolkata"}).status_code)

    threads = [threading.Thread(target=attempt, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201] + [409] * 9


def test_the_private_calendar_feed_lists_bookings_and_stops_when_revoked(local_stack):
    api, site = local_stack["api"], local_stack["site"]
    helper = helper_taking_bookings(api)
    customer = sign_up_and_in(api, "feeder")
    booking = book(local_stack, customer, helper, free_slots(api, helper)[2]["start"])
    made = requests.post(f"{api}/me/booking-rules/feed", headers=helper.auth, timeout=30)
    assert made.status_code == 200 and made.json()["rules"]["feed"] is True
    url = made.json()["feed_url"]
    assert url.startswith(site) and url.endswith(".ics")
    feed = requests.get(url, timeout=30)
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    events = list(Calendar.from_ical(feed.content).walk("VEVENT"))
    assert [str(e["UID"]).split("@")[0] for e in events] == [booking["booking_id"]]
    assert str(events[0]["STATUS"]) == "CONFIRMED"
    assert requests.get(f"{api}/me/booking-rules", headers=helper.auth, timeout=30).json()["feed_url"] is None

    closed = requests.delete(f"{api}/me/booking-rules/feed", headers=helper.auth, timeout=30)
    assert closed.status_code == 200 and closed.json()["rules"]["feed"] is False
    assert requests.get(url, timeout=30).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"length": 45}, "length"), ({"zone": "Nowhere/Land"}, "zone"), ({"start": "2026-13-40T99:00:00Z"}, "start"),
    ({"length": "15"}, "length"), ({"note": 5}, "note"),
])
def test_bad_booking_input_is_a_400_naming_the_field(local_stack, body, field):
    api = local_stack["api"]
    helper = helper_taking_bookings(api)
    customer = sign_up_and_in(api, "bad")
    start = free_slots(api, helper)[0]["start"]
    answer = requests.post(f"{api}/bookings", headers=customer.auth, timeout=30, json={
        "helper": helper.username, "length": 15, "start": start, "zone": "UTC", **body})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == field, answer.text
    assert requests.get(f"{api}/me/bookings", headers=customer.auth, timeout=30).json()["bookings"] == []
