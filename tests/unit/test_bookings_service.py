"""Appointments end to end on the in-memory twins: Ada (Europe/Paris, weekday mornings) takes
bookings; Bob (New York) books and pays through the PayPal twin, reschedules, cancels early or
late; the jobs let go of unpaid holds and send each reminder once."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.bookings import InMemoryBookingRulesStore, InMemoryBookingStore
from chalicelib.domain import ledger as books
from chalicelib.domain.bookings import BookingState, Reason
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.fees import PaymentKind
from chalicelib.domain.helper_pages import Slot
from chalicelib.domain.payments import PaymentClosed, PaymentState, Storefront
from chalicelib.domain.plans import PlanSubscription
from chalicelib.services import bookings as service
from chalicelib.services import payments
from chalicelib.services.bookings import BookingClosed, BookingDesk, SlotUnavailable, booking_purpose
from tests.support.twins import CALLER, HELPER, OPS
from tests.unit.test_payments_service import desk_twin

PARIS, NEW_YORK = "Europe/Paris", "America/New_York"
MONDAY = int(datetime(2026, 6, 1, 6, 0, tzinfo=ZoneInfo(PARIS)).timestamp())  # Monday 1 June 2026, 06:00 Paris
HOUR = 3600


def paris(day: int, hour: int, minute: int = 0) -> int:
    return int(datetime(2026, 6, day, hour, minute, tzinfo=ZoneInfo(PARIS)).timestamp())


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def booking_desk(*, prices=None, upgraded: bool = True, storefront: bool = True) -> BookingDesk:
    paying = desk_twin()
    pages = paying.calls.pages
    page = pages.get(HELPER)
    pages.save(replace(page, time_zone=PARIS, prices=prices or {15: 1500, 30: 2500, 60: 4000},
                       schedule=tuple(Slot(day, "09:00", "12:00") for day in range(5)),
                       payouts_ready=storefront))
    if storefront:
        paying.storefronts.save(Storefront(user_id=HELPER, paypal_email="ada@paypal.example", name="Ada",
                                           created_at=MONDAY, updated_at=MONDAY))
    if upgraded:
        paying.plans.save(PlanSubscription(user_id=HELPER, plan="upgraded", until=MONDAY + 400 * 86_400))
    desk = BookingDesk(bookings=InMemoryBookingStore(), rules=InMemoryBookingRulesStore(), payments=paying)
    paying.purposes[PaymentKind.APPOINTMENT] = booking_purpose(desk)
    return desk


@pytest.fixture
def desk() -> BookingDesk:
    return booking_desk()


def book(desk, start: int, *, length: int = 30, customer: str = CALLER, now: int = MONDAY, **extra):
    return service.book(customer_id=customer, username="ada", length=length, start=iso(start), zone=NEW_YORK,
                        note=extra.pop("note", "My sink drains slowly."), desk=desk, now=now, **extra)


def paid_booking(desk, start: int, *, length: int = 30, now: int = MONDAY):
    booking, payment = book(desk, start, length=length, now=now)
    desk.payments.gateway.approve(payment.order_id)
    payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk.payments, now=now + 60)
    return desk.bookings.get(booking.booking_id)


def sent_to(desk, user_id: str) -> list[str]:
    email = f"{user_id}@example.com"
    return [m.subject for m in desk.mailer.sent if m.to == email]


# -- what a customer sees ---------------------------------------------------------------------------------

def test_free_slots_are_shown_in_the_customers_zone_with_the_helpers_beside(desk):
    found = service.availability(username="ada", length=60, zone=NEW_YORK, days=2, now=MONDAY, desk=desk)
    # Monday 09:00-12:00 Paris, two hours' notice from 06:00: 09:00 is too soon? No: 08:00 is the limit.
    starts = [slot["helper_local"][11:16] for slot in found["slots"]]
    assert starts[:5] == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert found["slots"][0]["local"] == "2026-06-01T03:00:00-04:00"
    assert (found["price_cents"], found["helper"]["time_zone"], found["zone"]) == (4000, PARIS, NEW_YORK)
    assert found["policy"] == {"fee_policy": "none", "fee_cents": 0, "late_hours": 24, "manual_confirm": False}


def test_the_free_plan_offers_only_fifteen_minutes_and_unpaid_helpers_only_free_lengths():
    desk = booking_desk(upgraded=False)
    assert set(service.availability(username="ada", length=15, zone="UTC", days=1, now=MONDAY, desk=desk)["lengths"]) \
        == {"15"}
    with pytest.raises(InvalidInput) as refused:
        service.availability(username="ada", length=30, zone="UTC", days=1, now=MONDAY, desk=desk)
    assert refused.value.field == "length"
    unpaid = booking_desk(storefront=False, prices={15: 0, 30: 2500, 60: None})
    assert service.availability(username="ada", length=15, zone="UTC", days=1, now=MONDAY, desk=unpaid)["lengths"] \
        == {"15": 0}


@pytest.mark.parametrize("change, field", [
    ({"length": 45}, "length"), ({"zone": "Mars/Base"}, "zone"), ({"start": "tomorrow"}, "start"),
])
def test_bad_booking_input_is_a_4xx_that_books_nothing(desk, change, field):
    values = {"customer_id": CALLER, "username": "ada", "length": 30, "start": iso(paris(2, 10)), "zone": NEW_YORK,
              "note": None, "desk": desk, "now": MONDAY, **change}
    with pytest.raises(InvalidInput) as refused:
        service.book(**values)
    assert refused.value.field == field and not desk.bookings.bookings


def test_a_time_outside_the_hours_inside_the_notice_or_past_is_refused(desk):
    for start in (paris(2, 13), paris(1, 7), paris(1, 8, 45) - 86_400, paris(2, 10, 10)):
        with pytest.raises((SlotUnavailable, InvalidInput)):
            book(desk, start)
    with pytest.raises(Forbidden):
        book(desk, paris(2, 10), customer=HELPER)
    assert not desk.bookings.bookings


# -- booking and paying -------------------------------------------------------------------------------------

def test_a_paid_booking_is_held_while_paying_then_confirmed_and_both_are_told(desk):
    booking, payment = book(desk, paris(2, 10))
    assert booking.state is BookingState.HELD and payment.kind is PaymentKind.APPOINTMENT
    assert payment.amount_cents == 2500 and payment.payment_id == f"booking-{booking.booking_id}"
    slots = service.availability(username="ada", length=30, zone=PARIS, days=2, now=MONDAY, desk=desk)["slots"]
    assert iso(paris(2, 10)) not in [s["start"] for s in slots]  # held: nobody else sees it

    desk.payments.gateway.approve(payment.order_id)
    payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk.payments, now=MONDAY + 60)

    confirmed = desk.bookings.get(booking.booking_id)
    assert confirmed.state is BookingState.CONFIRMED and confirmed.hold_until is None
    assert any("30 minutes with Ada" in s for s in sent_to(desk, CALLER))
    assert any("30 minutes with Bob" in s for s in sent_to(desk, HELPER))
    assert confirmed.due_at == confirmed.start - 24 * HOUR  # the first reminder


def test_a_free_booking_is_confirmed_at_once():
    desk = booking_desk(prices={15: 0, 30: None, 60: None})
    booking, payment = book(desk, paris(2, 9, 15), length=15)
    assert payment is None and booking.state is BookingState.CONFIRMED


def test_ten_customers_taking_one_slot_at_once_make_one_booking(desk):
    outcomes, barrier = [], threading.Barrier(10)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            book(desk, paris(2, 10), customer=f"customer-{n}")
            outcomes.append("booked")
        except SlotUnavailable:
            outcomes.append("taken")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["taken"] * 9


def test_the_buffer_keeps_the_next_slot_clear(desk):
    paid_booking(desk, paris(2, 10), length=30)  # 10:00-10:30, rest until 10:40
    slots = [s["helper_local"][11:16] for s in service.availability(
        username="ada", length=30, zone=PARIS, days=2, now=MONDAY, desk=desk)["slots"]
        if s["start"][:10] == "2026-06-02"]
    # 09:30 would end at 10:00 with no rest before it; 10:30 starts inside the rest after it
    assert "09:30" not in slots and "10:30" not in slots and "09:00" in slots and "11:00" in slots


def test_an_unpaid_hold_is_let_go_by_the_job_and_its_payment_voided(desk):
    booking, payment = book(desk, paris(2, 10))
    assert service.run_due(desk=desk, now=MONDAY + 16 * 60) == 1
    gone = desk.bookings.get(booking.booking_id)
    assert (gone.state, gone.reason) == (BookingState.CANCELLED, Reason.UNPAID)
    assert desk.payments.payments.get(payment.payment_id).state is PaymentState.VOIDED
    assert desk.bookings.held(HELPER, first_step=0, last_step=10**9) == []


def test_money_arriving_after_the_hold_ran_out_is_refunded_in_full(desk):
    booking, payment = book(desk, paris(2, 10))
    desk.payments.gateway.approve(payment.order_id)
    service.run_due(desk=desk, now=MONDAY + 16 * 60)  # the hold runs out first (payment still created)
    # the payment was voided: completing it now is refused and charges nothing
    with pytest.raises(PaymentClosed):
        payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk.payments,
                                  now=MONDAY + 17 * 60)
    assert desk.payments.payments.get(payment.payment_id).state is PaymentState.VOIDED
    assert desk.payments.gateway.captures == {} if hasattr(desk.payments.gateway, "captures") else True


# -- cancelling --------------------------------------------------------------------------------------------------

def test_cancelling_early_gives_back_the_price_less_paypals_fee(desk):
    booking = paid_booking(desk, paris(3, 10))
    quote = service.quote_cancel(booking_id=booking.booking_id, user_id=CALLER, desk=desk, now=MONDAY + HOUR)
    payment = desk.payments.payments.get(booking.payment_id)
    assert quote == {"reason": "customer_cancelled", "fee_cents": 0, "refund_cents": 2500 - payment.paypal_fee_cents,
                     "late": False, "paid_cents": 2500}
    cancelled = service.cancel(booking_id=booking.booking_id, user_id=CALLER, desk=desk, now=MONDAY + HOUR)
    assert (cancelled.state, cancelled.refund_cents) == (BookingState.CANCELLED, quote["refund_cents"])
    assert desk.payments.payments.get(booking.payment_id).refunded_cents == quote["refund_cents"]
    assert service.cancel(booking_id=booking.booking_id, user_id=CALLER, desk=desk, now=MONDAY + HOUR) == cancelled
    assert any("cancelled" in s for s in sent_to(desk, HELPER))


def test_cancelling_late_keeps_the_helpers_fee_and_refunds_the_rest():
    desk = booking_desk()
    service.save_rules(helper_id=HELPER, raw={"fee_policy": "half_price"}, desk=desk, now=MONDAY)
    booking = paid_booking(desk, paris(2, 10))
    assert booking.fee_cents == 1250
    late = paris(2, 9)  # an hour before
    quote = service.quote_cancel(booking_id=booking.booking_id, user_id=CALLER, desk=desk, now=late)
    assert (quote["fee_cents"], quote["refund_cents"], quote["late"]) == (1250, 1250, True)
    cancelled = service.cancel(booking_id=booking.booking_id, user_id=CALLER, desk=desk, now=late)
    assert (cancelled.kept_cents, cancelled.refund_cents) == (1250, 1250)


def test_the_helper_cancelling_refunds_everything(desk):
    booking = paid_booking(desk, paris(2, 10))
    cancelled = service.cancel(booking_id=booking.booking_id, user_id=HELPER, desk=desk, now=paris(2, 9))
    assert (cancelled.reason, cancelled.refund_cents) == (Reason.HELPER_CANCELLED, 2500)
    assert desk.payments.payments.get(booking.payment_id).state is PaymentState.REFUNDED


def test_someone_else_cannot_see_or_cancel_a_booking(desk):
    booking = paid_booking(desk, paris(2, 10))
    for action in (service.get_booking, service.cancel, service.quote_cancel):
        with pytest.raises(NotFound):
            action(booking_id=booking.booking_id, user_id=OPS, desk=desk, now=MONDAY)
    with pytest.raises(Forbidden):
        service.confirm(booking_id=booking.booking_id, helper_id=CALLER, desk=desk, now=MONDAY)


# -- the Helper confirms, no-shows ---------------------------------------------------------------------------------

def test_manual_confirmation_and_a_decline_refunds_everything():
    desk = booking_desk()
    service.save_rules(helper_id=HELPER, raw={"manual_confirm": True}, desk=desk, now=MONDAY)
    first = paid_booking(desk, paris(2, 10))
    assert first.state is BookingState.REQUESTED
    confirmed = service.confirm(booking_id=first.booking_id, helper_id=HELPER, desk=desk, now=MONDAY + HOUR)
    assert confirmed.state is BookingState.CONFIRMED
    second = paid_booking(desk, paris(3, 10))
    declined = service.cancel(booking_id=second.booking_id, user_id=HELPER, desk=desk, now=MONDAY + HOUR)
    assert (declined.reason, declined.refund_cents) == (Reason.HELPER_DECLINED, 2500)


def test_a_no_show_may_be_marked_ten_minutes_after_the_start_and_keeps_the_fee():
    desk = booking_desk()
    service.save_rules(helper_id=HELPER, raw={"fee_policy": "twice_rate"}, desk=desk, now=MONDAY)
    booking = paid_booking(desk, paris(2, 10))
    with pytest.raises(BookingClosed):
        service.mark_no_show(booking_id=booking.booking_id, helper_id=HELPER, desk=desk, now=paris(2, 10, 5))
    marked = service.mark_no_show(booking_id=booking.booking_id, helper_id=HELPER, desk=desk, now=paris(2, 10, 11))
    assert (marked.reason, marked.kept_cents, marked.refund_cents) == (Reason.CUSTOMER_NO_SHOW, 2500, 0)


def test_a_helper_who_never_came_lets_the_customer_cancel_with_everything_back(desk):
    booking = paid_booking(desk, paris(2, 10))
    with pytest.raises(BookingClosed):
        service.cancel(booking_id=booking.booking_id, user_id=CALLER, desk=desk, now=paris(2, 10, 5))
    ended = service.cancel(booking_id=booking.booking_id, user_id=CALLER, desk=desk, now=paris(2, 10, 12))
    assert (ended.reason, ended.refund_cents) == (Reason.HELPER_NO_SHOW, 2500)


# -- rescheduling ---------------------------------------------------------------------------------------------------

def test_rescheduling_moves_the_booking_and_raises_its_sequence(desk):
    booking = paid_booking(desk, paris(3, 10))
    moved = service.reschedule(booking_id=booking.booking_id, user_id=CALLER, start=iso(paris(4, 11)), desk=desk,
                               now=MONDAY + HOUR)
    assert (moved.start, moved.sequence) == (paris(4, 11), booking.sequence + 1)
    slots = [s["start"] for s in service.availability(username="ada", length=30, zone=PARIS, days=5, now=MONDAY,
                                                       desk=desk)["slots"]]
    assert iso(paris(3, 10)) in slots and iso(paris(4, 11)) not in slots
    moved_again = service.reschedule(booking_id=booking.booking_id, user_id=CALLER, start=iso(paris(4, 11, 30)),
                                     desk=desk, now=MONDAY + HOUR)  # half an hour later: overlaps itself
    assert moved_again.start == paris(4, 11, 30)


def test_a_customer_cannot_reschedule_within_a_day_but_the_helper_can(desk):
    booking = paid_booking(desk, paris(2, 10))
    with pytest.raises(BookingClosed):
        service.reschedule(booking_id=booking.booking_id, user_id=CALLER, start=iso(paris(3, 10)), desk=desk,
                           now=paris(1, 11))
    moved = service.reschedule(booking_id=booking.booking_id, user_id=HELPER, start=iso(paris(3, 10)), desk=desk,
                               now=paris(1, 11))
    assert moved.start == paris(3, 10)


# -- the jobs ---------------------------------------------------------------------------------------------------------

def test_each_reminder_is_sent_once_and_the_session_closes_after_it(desk):
    booking = paid_booking(desk, paris(3, 10))
    before = len(desk.mailer.sent)
    for now in (paris(2, 10), paris(2, 10, 5), paris(3, 9), paris(3, 9, 5)):
        service.run_due(desk=desk, now=now)
    reminders = [m.subject for m in desk.mailer.sent[before:]]
    assert sum("Tomorrow" in s for s in reminders) == 2 and sum("In an hour" in s for s in reminders) == 2
    service.run_due(desk=desk, now=paris(3, 10, 31))
    assert desk.bookings.get(booking.booking_id).state is BookingState.DONE


def test_the_ledger_holds_the_booking_money_until_after_the_session(desk):
    booking = paid_booking(desk, paris(2, 10))
    payment = desk.payments.payments.get(booking.payment_id)
    hold = service.earnings_hold(desk)(payment)
    assert hold == booking.end + 24 * HOUR
    assert desk.payments.ledger.balance(books.helper_pending(HELPER)).credits_cents == payment.helper_cents


def test_booking_rules_are_checked(desk):
    with pytest.raises(InvalidInput) as refused:
        service.save_rules(helper_id=HELPER, raw={"buffer_minutes": 500}, desk=desk, now=MONDAY)
    assert refused.value.field == "buffer_minutes"
    with pytest.raises(NotFound):
        service.save_rules(helper_id=CALLER, raw={}, desk=desk, now=MONDAY)
    saved = service.save_rules(helper_id=HELPER, raw={"overrides": [{"date": "2026-06-02", "windows": []}]},
                               desk=desk, now=MONDAY)
    slots = service.availability(username="ada", length=30, zone=PARIS, days=3, now=MONDAY, desk=desk)["slots"]
    assert not any(s["helper_local"].startswith("2026-06-02") for s in slots)
    assert service.rules_view(saved)["overrides"] == [{"date": "2026-06-02", "windows": []}]


def test_a_stale_version_cannot_overwrite(desk):
    booking = paid_booking(desk, paris(2, 10))
    with pytest.raises(Conflict):
        service._end(replace(booking, version=booking.version - 1), Reason.HELPER_CANCELLED, desk, MONDAY)


def test_each_party_gets_the_invitation_and_its_updates_with_one_uid(desk):
    from icalendar import Calendar

    booking = paid_booking(desk, paris(3, 10))
    service.reschedule(booking_id=booking.booking_id, user_id=CALLER, start=iso(paris(4, 10)), desk=desk,
                       now=MONDAY + HOUR)
    service.cancel(booking_id=booking.booking_id, user_id=CALLER, desk=desk, now=MONDAY + 2 * HOUR)
    invites = [Calendar.from_ical(m.calendar) for m in desk.mailer.sent
               if m.to == f"{CALLER}@example.com" and m.calendar]
    events = [next(iter(c.walk("VEVENT"))) for c in invites]
    assert [str(c["METHOD"]) for c in invites] == ["REQUEST", "REQUEST", "CANCEL"]
    assert len({str(e["UID"]) for e in events}) == 1 and str(events[0]["UID"]).startswith(booking.booking_id)
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1, 2]
    assert events[1].decoded("DTSTART").timestamp() == paris(4, 10)
    assert "mailto:no-reply" in str(events[0]["ORGANIZER"]) and "caller-1@example.com" in str(events[0]["ATTENDEE"])
    helper_invites = [m for m in desk.mailer.sent if m.to == f"{HELPER}@example.com" and m.calendar]
    assert len(helper_invites) == 3


# -- the session: the customer joins, the Helper answers, the time runs ------------------------------

def joining(desk):
    from chalicelib.services import calls

    call_desk = replace(desk.payments.calls, booked_calls=lambda: service.BookedCalls(desk))
    return calls, call_desk


def test_a_booked_session_starts_with_its_terms_when_the_helper_answers(desk):
    from chalicelib.domain.calls import CallState

    calls, call_desk = joining(desk)
    booking = paid_booking(desk, paris(2, 10))
    view = service.booking_view(booking, viewer_id=CALLER, desk=desk, now=paris(2, 9, 56))
    assert "join" in view["actions"]
    ringing = calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=call_desk,
                               now=paris(2, 9, 56), booking_id=booking.booking_id)
    assert (ringing.state, ringing.booking_id, ringing.agreed.minutes) == (CallState.RINGING, booking.booking_id, 30)
    live = calls.act(action="answer", call_id=ringing.call_id, user_id=HELPER, connection_id="c-helper", message={},
                     desk=call_desk, now=paris(2, 9, 56) + 10)
    assert live.state is CallState.IN_SESSION and live.session_ends_at == paris(2, 9, 56) + 10 + 30 * 60
    assert not desk.payments.payments.get(f"call-{live.call_id}")  # no second payment
    assert desk.bookings.get(booking.booking_id).call_id == live.call_id
    with pytest.raises(BookingClosed):  # both came: nobody is a no-show
        service.mark_no_show(booking_id=booking.booking_id, helper_id=HELPER, desk=desk, now=paris(2, 10, 15))


@pytest.mark.parametrize("when, who", [(paris(2, 9, 50), CALLER), (paris(2, 10, 30), CALLER), (paris(2, 10), OPS)])
def test_a_booked_session_opens_only_to_its_customer_and_at_its_time(desk, when, who):
    calls, call_desk = joining(desk)
    booking = paid_booking(desk, paris(2, 10))
    with pytest.raises((BookingClosed, NotFound)):
        calls.start_call(caller_id=who, caller_connection="c-caller", helper_username="ada", desk=call_desk, now=when,
                         booking_id=booking.booking_id)


def test_a_live_call_takes_its_time_and_ops_hears_of_a_helper_who_never_came():
    from chalicelib.adapters.ops_watch import InMemoryOpsFlagStore
    from chalicelib.domain.calls import Call, CallState
    from chalicelib.domain.plans import UPGRADED

    desk = replace(booking_desk(), flags=InMemoryOpsFlagStore())
    desk.payments.purposes[PaymentKind.APPOINTMENT] = booking_purpose(desk)
    service.save_rules(helper_id=HELPER, raw={"notice_minutes": 0}, desk=desk, now=MONDAY)
    now = paris(1, 9)
    desk.payments.calls.calls.create(Call(
        call_id="live", caller_id=CALLER, helper_id=HELPER, state=CallState.IN_SESSION, version=3, plan=UPGRADED,
        created_at=now, state_deadline=now + HOUR, session_started_at=now, session_ends_at=now + HOUR), None)
    slots = [s["helper_local"][11:16] for s in service.availability(username="ada", length=15, zone=PARIS, days=1,
                                                                     now=now, desk=desk)["slots"]]
    assert slots[0] == "10:15"  # the call until 10:00, and the rest after it

    booking = paid_booking(desk, paris(2, 10))
    service.cancel(booking_id=booking.booking_id, user_id=CALLER, desk=desk, now=paris(2, 10, 12))
    [flag] = desk.flags.open_flags()
    assert (flag.reason, flag.helper_id) == ("helper_no_show", HELPER) and "in full" in flag.detail
