"""Contract tests for appointments: the in-memory twins and DynamoDB (moto over HTTP) pass the same
tests — a booking written with the steps it holds and its count on its date or not at all (one
winner of ten for overlapping slots), the daily maximum, steps and counts given back once on
release and moved at once, the steps of a range, a Helper's and a customer's bookings upcoming
soonest first and past latest first in pages, the due sweep, and the booking rules found by
their Helper and by their calendar feed's secret."""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from chalicelib.adapters.bookings import (
    HeldStep,
    HelperBookingRules,
    InMemoryBookingRulesStore,
    InMemoryBookingStore,
    new_feed_token,
)
from chalicelib.domain.bookings import (
    STEP_SECONDS,
    Booking,
    BookingRules,
    BookingState,
    DayFull,
    FeePolicy,
    Reason,
    SlotTaken,
    Window,
)
from tests.support.race import race as racing

pytestmark = pytest.mark.integration

T0 = 1_800_000_000  # 2027-01-15 08:00 UTC, on a quarter hour
DAY = 86_400



@dataclass
class Stores:
    bookings: Any
    rules: Any


@pytest.fixture
def dynamo(app_env):
    """The booking tables of this test alone on the stack's moto (a prefix of their own), so the
    due sweep finds this test's bookings only; every model is pointed back after."""
    from chalicelib.adapters.bookings_dynamo import DynamoBookingRulesStore, DynamoBookingStore
    from chalicelib.adapters.tables import bind_tables
    from chalicelib.adapters.tables.bookings import BookingRecord, BookingRulesRecord, BookingStepRecord

    models = (BookingRecord, BookingStepRecord, BookingRulesRecord)
    connection = bind_tables(dataclasses.replace(app_env.settings(), table_prefix=f"bk-{uuid.uuid4().hex[:8]}-"))
    for model in models:
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    try:
        yield Stores(DynamoBookingStore(connection), DynamoBookingRulesStore())
    finally:
        for model in models:
            model.delete_table()
        bind_tables(app_env.settings())


@pytest.fixture(params=["in-memory", "dynamodb"])
def stores(request) -> Stores:
    if request.param == "in-memory":
        return Stores(InMemoryBookingStore(), InMemoryBookingRulesStore())
    return request.getfixturevalue("dynamo")


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def at(quarters: int, *, days: int = 0) -> int:
    """The instant `quarters` quarter hours (and `days` days) after T0."""
    return T0 + quarters * STEP_SECONDS + days * DAY


def booking(helper_id: str, start: int, *, length: int = 30, buffer: int = 0, customer_id: str = "customer",
            due_at: int | None = None, zone: str = "UTC", note: str = "Help with my CV") -> Booking:
    return Booking(booking_id=unique("b"), helper_id=helper_id, customer_id=customer_id, start=start,
                   length=length, helper_zone=zone, customer_zone="Europe/Paris", price_cents=2500, currency="USD",
                   fee_cents=1250, buffer_minutes=buffer, state=BookingState.CONFIRMED, created_at=T0 - 7 * DAY,
                   payment_id=unique("pay"), reminded=("24h",), note=note, due_at=due_at)


def booked(stores: Stores, helper_id: str, start: int, *, daily_max: int | None = None, **fields) -> Booking:
    made = booking(helper_id, start, **fields)
    stores.bookings.book(made, daily_max=daily_max)
    return made


def cancelled(before: Booking) -> Booking:
    return before.with_changes(state=BookingState.CANCELLED,
                               reason=Reason.CUSTOMER_CANCELLED, sequence=before.sequence + 1)


def moved(before: Booking, start: int) -> Booking:
    return before.with_changes(start=start, sequence=before.sequence + 1)


def held_by(*bookings: Booking) -> list[HeldStep]:
    return sorted((HeldStep(step, b.booking_id, b.day) for b in bookings for step in b.steps), key=lambda h: h.step)


def held_around(stores: Stores, helper_id: str, first: int = at(-8), last: int = at(8, days=4)) -> list[HeldStep]:
    return stores.bookings.held(helper_id, first_step=first // STEP_SECONDS, last_step=last // STEP_SECONDS)


def every(page) -> list[str]:
    """The ids of every booking of a paged listing, reading pages of `page(after)` until it says
    there is no more (each full but the last)."""
    found, after, sizes = [], None, []
    while True:
        items, after = page(after)
        found += [b.booking_id for b in items]
        sizes.append(len(items))
        if after is None:
            assert all(size == sizes[0] for size in sizes[:-1]), sizes
            return found


# -- booking ---------------------------------------------------------------------------------

def test_a_booking_is_written_with_the_steps_it_and_its_buffer_hold(stores):
    helper = unique("h")
    lesson = booked(stores, helper, at(4), length=30, buffer=10, note="")
    assert stores.bookings.get(lesson.booking_id) == lesson
    assert lesson.steps == tuple(range(at(4) // STEP_SECONDS, at(7) // STEP_SECONDS))  # 40 minutes: 3 steps
    assert held_around(stores, helper) == held_by(lesson)
    assert held_around(stores, unique("h")) == []
    assert stores.bookings.get("no-such-booking") is None
    with pytest.raises(ValueError):
        stores.bookings.book(dataclasses.replace(lesson, start=at(20)), daily_max=None)  # the same id again
    assert held_around(stores, helper) == held_by(lesson)


def test_a_booking_sharing_one_step_with_another_is_refused_and_writes_nothing(stores):
    helper = unique("h")
    first = booked(stores, helper, at(0), length=30, buffer=10, daily_max=2)  # holds steps 0, 1, 2
    clash = booking(helper, at(2), length=15)
    with pytest.raises(SlotTaken):
        stores.bookings.book(clash, daily_max=2)
    assert stores.bookings.get(clash.booking_id) is None
    assert held_around(stores, helper) == held_by(first)
    after_buffer = booked(stores, helper, at(3), daily_max=2)  # its date still counts one: room for this
    assert held_around(stores, helper) == held_by(first, after_buffer)


def race(moves: list) -> list:
    return racing(moves, who="customer")


def test_ten_customers_booking_overlapping_slots_at_once_leave_one_booking(stores):
    helper = unique("h")
    stores.bookings.get("warm-up")  # the client is built once, before the threads share it
    # an hour from the first four quarter hours: every two share a step
    attempts = [booking(helper, at(n % 4), length=60, customer_id=f"customer{n}") for n in range(10)]
    outcomes = race([lambda b=b: stores.bookings.book(b, daily_max=3) for b in attempts])
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, SlotTaken):
            raise outcome
    assert sum(outcome is None for outcome in outcomes) == 1, outcomes
    (winner,) = [b for b, outcome in zip(attempts, outcomes) if outcome is None]
    assert [b.booking_id for b in attempts if stores.bookings.get(b.booking_id)] == [winner.booking_id]
    assert held_around(stores, helper) == held_by(winner)
    booked(stores, helper, at(8), daily_max=2)  # the date counts the winner alone
    with pytest.raises(DayFull):
        stores.bookings.book(booking(helper, at(12)), daily_max=2)


def test_a_date_takes_its_daily_maximum_and_no_more_and_other_dates_are_counted_apart(stores):
    helper = unique("h")
    first, second = booked(stores, helper, at(0), daily_max=2), booked(stores, helper, at(4), daily_max=2)
    third = booking(helper, at(8))
    with pytest.raises(DayFull):
        stores.bookings.book(third, daily_max=2)
    assert stores.bookings.get(third.booking_id) is None
    assert held_around(stores, helper) == held_by(first, second)
    with pytest.raises(SlotTaken):  # a clash says so before the date's count does
        stores.bookings.book(booking(helper, at(0)), daily_max=2)
    next_day = booked(stores, helper, at(0, days=1), daily_max=2)
    unlimited = booked(stores, helper, at(8))
    assert held_around(stores, helper) == held_by(first, second, unlimited, next_day)


# -- releasing and moving --------------------------------------------------------------------

def test_a_release_gives_the_steps_and_the_count_back_once(stores):
    helper = unique("h")
    lesson = booked(stores, helper, at(0), length=60, buffer=15, daily_max=1)
    ended = cancelled(lesson)
    assert stores.bookings.release(lesson, ended) is True
    assert stores.bookings.get(lesson.booking_id) == ended
    assert held_around(stores, helper) == []
    again = booked(stores, helper, at(0), length=60, daily_max=1)  # the same time, the date's one booking
    assert stores.bookings.release(lesson, ended) is False  # the version read is gone
    assert stores.bookings.release(ended, cancelled(ended)) is False  # not live: nothing to give back
    assert stores.bookings.get(lesson.booking_id) == ended
    assert held_around(stores, helper) == held_by(again)
    with pytest.raises(DayFull):
        stores.bookings.book(booking(helper, at(8)), daily_max=1)


def test_a_transition_is_written_only_over_the_version_read(stores):
    lesson = booked(stores, unique("h"), at(0))
    joined = lesson.with_changes(call_id="call-1", reminded=("24h", "1h"))
    assert stores.bookings.transition(lesson, joined) is True
    assert stores.bookings.transition(lesson, lesson.with_changes(note="x")) is False
    assert stores.bookings.get(lesson.booking_id) == joined


def test_a_move_to_a_free_time_takes_its_steps_and_gives_the_old_ones_back(stores):
    helper = unique("h")
    lesson = booked(stores, helper, at(0), length=30, daily_max=1)  # steps 0, 1
    later = moved(lesson, at(1))  # steps 1, 2: one of its own kept
    assert stores.bookings.move(lesson, later, daily_max=1) is True
    assert stores.bookings.get(lesson.booking_id) == later
    assert held_around(stores, helper) == held_by(later)
    far = moved(later, at(10))
    assert stores.bookings.move(later, far, daily_max=1) is True  # the same date: counted once
    assert held_around(stores, helper) == held_by(far)
    assert stores.bookings.move(later, moved(later, at(20)), daily_max=1) is False  # stale
    assert stores.bookings.get(lesson.booking_id) == far and held_around(stores, helper) == held_by(far)


def test_a_move_to_a_taken_time_raises_and_changes_nothing(stores):
    helper = unique("h")
    lesson, other = booked(stores, helper, at(0)), booked(stores, helper, at(4), buffer=10)  # 0-1 and 4-6
    for start in (at(3), at(5), at(6)):
        with pytest.raises(SlotTaken):
            stores.bookings.move(lesson, moved(lesson, start), daily_max=None)
    assert stores.bookings.get(lesson.booking_id) == lesson
    assert held_around(stores, helper) == held_by(lesson, other)


def test_a_move_across_dates_counts_on_the_new_date_within_its_daily_maximum(stores):
    helper = unique("h")
    lesson = booked(stores, helper, at(0), daily_max=1)
    full = booked(stores, helper, at(0, days=1), daily_max=1)
    to_full_date = moved(lesson, at(8, days=1))
    with pytest.raises(DayFull):
        stores.bookings.move(lesson, to_full_date, daily_max=1)
    assert stores.bookings.get(lesson.booking_id) == lesson
    assert held_around(stores, helper) == held_by(lesson, full)
    to_free_date = moved(lesson, at(8, days=2))
    assert stores.bookings.move(lesson, to_free_date, daily_max=1) is True
    assert held_around(stores, helper) == held_by(full, to_free_date)
    booked(stores, helper, at(8), daily_max=1)  # the first date has room again
    with pytest.raises(DayFull):
        stores.bookings.book(booking(helper, at(16, days=2)), daily_max=1)


def test_a_move_across_midnight_keeps_the_step_both_times_hold_now_on_the_new_date(stores):
    helper, midnight = unique("h"), at(64)  # T0 is 08:00 UTC: 16 hours later
    lesson = booked(stores, helper, midnight - STEP_SECONDS, length=30)  # 23:45 and 00:00
    after = moved(lesson, midnight)  # 00:00 and 00:15, on the next date
    assert lesson.day == date(2027, 1, 15) and after.day == date(2027, 1, 16)
    assert stores.bookings.move(lesson, after, daily_max=1) is True
    assert held_around(stores, helper) == held_by(after)
    assert [h.day for h in held_around(stores, helper)] == [date(2027, 1, 16)] * 2
    booked(stores, helper, at(0), daily_max=1)  # the old date gave its count back
    with pytest.raises(DayFull):
        stores.bookings.book(booking(helper, midnight + 4 * STEP_SECONDS), daily_max=1)


def test_the_steps_held_are_those_of_the_range_asked_only(stores):
    helper = unique("h")
    early, late = booked(stores, helper, at(0), buffer=10), booked(stores, helper, at(10))  # 0-2 and 10-11
    booked(stores, unique("h"), at(1))  # another Helper's
    first = at(1) // STEP_SECONDS
    assert stores.bookings.held(helper, first_step=first, last_step=first + 9) == [
        HeldStep(first, early.booking_id, early.day), HeldStep(first + 1, early.booking_id, early.day),
        HeldStep(first + 9, late.booking_id, late.day)]
    assert stores.bookings.held(helper, first_step=first + 2, last_step=first + 8) == []
    assert stores.bookings.held(helper, first_step=first + 9, last_step=first) == []


# -- listings --------------------------------------------------------------------------------

def test_a_helpers_bookings_are_listed_upcoming_soonest_first_and_past_latest_first_in_pages(stores):
    helper, now = unique("h"), at(0, days=10)
    past = [booking(helper, now - days * DAY, length=60) for days in (3, 2, 1)]
    ended_at_now = booking(helper, now - 2 * 3600, length=120, buffer=0)
    running = booking(helper, now, length=60)  # starts now: upcoming
    upcoming = [booking(helper, now + hours * 3600, length=30) for hours in (3, 24, 48, 72, 96)]
    started = booking(unique("h"), now - 3 * 3600, length=240, customer_id="someone")  # another Helper's
    for b in [upcoming[2], past[1], running, upcoming[0], ended_at_now, past[0], upcoming[4], past[2],
              upcoming[1], upcoming[3], started]:
        stores.bookings.book(b, daily_max=None)

    def listing(upcoming: bool, limit: int):
        return lambda after: stores.bookings.for_helper(helper, upcoming=upcoming, now=now, limit=limit, after=after)

    soonest = [b.booking_id for b in [running, *upcoming]]
    latest = [b.booking_id for b in [ended_at_now, past[2], past[1], past[0]]]
    for limit in (2, 3, 6, 10):
        assert every(listing(True, limit)) == soonest, limit
        assert every(listing(False, limit)) == latest, limit
    page, after = stores.bookings.for_helper(helper, upcoming=True, now=now, limit=6)
    assert page == [running, *upcoming] and after is None
    assert stores.bookings.for_helper(unique("h"), upcoming=True, now=now, limit=5) == ([], None)


def test_a_customers_bookings_with_several_helpers_are_listed_in_start_order_in_pages(stores):
    customer, now = unique("c"), at(0, days=10)
    helpers = [unique("h") for _ in range(3)]
    mine = [booking(helpers[n % 3], now + (n - 4) * 3600, length=60, customer_id=customer) for n in range(10)]
    running_long = booking(unique("h"), now - 7 * 3600, length=8 * 60, customer_id=customer)  # ends in an hour
    for b in [*reversed(mine), running_long, booking(helpers[1], now + 3600, length=60, customer_id="someone")]:
        stores.bookings.book(b, daily_max=None)

    def listing(upcoming: bool):
        return lambda after: stores.bookings.for_customer(customer, upcoming=upcoming, now=now, limit=2, after=after)

    # starting 4, 3, 2, 1 hours ago and an hour long: three ended, the last one ends now (past)
    assert every(listing(True)) == [running_long.booking_id] + [b.booking_id for b in mine[4:]]
    assert every(listing(False)) == [b.booking_id for b in reversed(mine[:4])]


def test_the_due_sweep_finds_due_bookings_earliest_first_and_not_those_whose_due_at_is_gone(stores):
    helper, now = unique("h"), T0
    due = [booked(stores, helper, at(4 * n), due_at=now - 1000 + 100 * n) for n in range(9)]  # 9 due by `now`
    tie = booked(stores, helper, at(40), due_at=due[3].due_at)
    booked(stores, helper, at(44), due_at=now + 1)  # not yet
    booked(stores, helper, at(48), due_at=None)  # nothing to do
    earliest = sorted([*due, tie], key=lambda b: (b.due_at, b.booking_id))
    assert stores.bookings.due(now, limit=20) == earliest
    assert stores.bookings.due(now, limit=4) == earliest[:4]
    assert stores.bookings.due(now - 1000, limit=20) == [due[0]]
    ended = cancelled(due[0])
    assert ended.due_at is None
    assert stores.bookings.release(due[0], ended) is True
    reminded = due[1].with_changes(reminded=("24h", "1h"))
    assert reminded.due_at > now  # its next job is after the session
    assert stores.bookings.transition(due[1], reminded) is True
    assert stores.bookings.due(now, limit=20) == earliest[2:]


# -- booking rules ---------------------------------------------------------------------------

def rules_of(helper_id: str, *, feed_token: str | None = None, daily_max: int | None = None) -> HelperBookingRules:
    return HelperBookingRules(
        helper_id=helper_id, feed_token=feed_token, updated_at=T0,
        rules=BookingRules(lengths=(30, 60, 15), notice_minutes=240, horizon_days=30, buffer_minutes=15,
                           daily_max=daily_max, manual_confirm=True, fee_policy=FeePolicy.TWICE_RATE,
                           overrides={date(2027, 1, 20): (), date(2027, 1, 21): (Window(540, 720), Window(780, 1440))}))


def test_booking_rules_are_kept_per_helper_as_saved(stores):
    helper = unique("h")
    assert stores.rules.get(helper) is None
    first = rules_of(helper)
    stores.rules.save(first)
    assert stores.rules.get(helper) == first
    changed = dataclasses.replace(first, updated_at=T0 + 60,
                                  rules=dataclasses.replace(first.rules, daily_max=4, overrides={}))
    stores.rules.save(changed)
    assert stores.rules.get(helper) == changed
    assert stores.rules.get(unique("h")) is None


def test_a_calendar_feed_opens_with_its_token_until_a_new_one_replaces_it(stores):
    helper, other = unique("h"), unique("h")
    old = new_feed_token()
    stores.rules.save(rules_of(helper, feed_token=old))
    stores.rules.save(rules_of(other, feed_token=new_feed_token()))
    assert stores.rules.by_feed_token(old) == rules_of(helper, feed_token=old)
    new = new_feed_token()
    stores.rules.save(rules_of(helper, feed_token=new, daily_max=3))
    assert stores.rules.by_feed_token(old) is None
    assert stores.rules.by_feed_token(new) == rules_of(helper, feed_token=new, daily_max=3)
    stores.rules.save(rules_of(helper))  # no feed at all
    assert stores.rules.by_feed_token(new) is None
    assert stores.rules.by_feed_token("") is None
    assert stores.rules.by_feed_token(new_feed_token()) is None
    assert stores.rules.by_feed_token(stores.rules.get(other).feed_token).helper_id == other
