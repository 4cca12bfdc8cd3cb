"""Bookings made through the real API of the local stack: a Helper's free slots, a booking paid
through the PayPal sandbox as the customer's browser would."""
from __future__ import annotations

import requests

from tests.support.accounts import SignedIn
from tests.support.payments import approve_in_sandbox


def free_slots(api: str, helper: SignedIn, *, length: int = 15, zone: str = "America/New_York",
               days: int = 14) -> list[dict]:
    answer = requests.get(f"{api}/helpers/{helper.username}/slots", timeout=30,
                          params={"length": length, "zone": zone, "days": days})
    assert answer.status_code == 200, answer.text
    return answer.json()["slots"]


def book(local_stack: dict, customer: SignedIn, helper: SignedIn, start: str, *, length: int = 15,
         zone: str = "America/New_York", pay: bool = True) -> dict:
    """A booking of `start`; paid at the sandbox when it has a price (and `pay`). The booking as
    the customer sees it then."""
    api = local_stack["api"]
    made = requests.post(f"{api}/bookings", headers=customer.auth, timeout=30,
                         json={"helper": helper.username, "length": length, "start": start, "zone": zone,
                               "note": "My sink drains slowly."})
    assert made.status_code == 201, made.text
    payment = made.json()["payment"]
    if payment is None or not pay:
        return made.json()["booking"]
    approve_in_sandbox(local_stack, payment)
    paid = requests.post(f"{api}/payments/{payment['payment_id']}/complete", headers=customer.auth, timeout=30)
    assert paid.status_code == 200, paid.text
    return requests.get(f"{api}/bookings/{made.json()['booking']['booking_id']}", headers=customer.auth,
                        timeout=30).json()["booking"]


def write_confirmed_booking(app_env, *, helper_id: str, customer_id: str, start: int, length: int = 15,
                            price_cents: int = 0, helper_zone: str = "Europe/Paris",
                            customer_zone: str = "America/New_York", note: str = "My sink drains slowly.") -> str:
    """A confirmed booking written straight into the stack's tables (`app_env`: chalicelib.deps
    bound to the running stack), for a test that needs a time the slot rules would refuse (too
    soon to book). Free unless `price_cents`, and then with no payment behind it. Its id."""
    import dataclasses
    import time
    import uuid

    from chalicelib.domain.bookings import Booking, BookingState

    booking = Booking(
        booking_id=uuid.uuid4().hex, helper_id=helper_id, customer_id=customer_id, start=start, length=length,
        helper_zone=helper_zone, customer_zone=customer_zone, price_cents=price_cents, currency="USD",
        fee_cents=0, buffer_minutes=0, state=BookingState.CONFIRMED, created_at=int(time.time()), note=note)
    booking = dataclasses.replace(booking, due_at=booking.next_due())  # as the service writes it
    app_env.booking_store().book(booking, daily_max=None)
    return booking.booking_id
