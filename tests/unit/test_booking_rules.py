"""Appointments' pure rules (chalicelib/domain/bookings.py): slots across daylight-saving changes,
half-hour zones and Lord Howe's 30-minute DST; the steps a booking holds; fees and refunds."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.bookings import (
    STEP_SECONDS,
    BookingRules,
    FeePolicy,
    Reason,
    Window,
    bookable_lengths,
    cancellation_fee,
    day_of,
    free_slots,
    held_steps,
    instants_at,
    may_reschedule,
    settle,
    window_span,
)
from chalicelib.domain.errors import InvalidInput

EVERY_DAY = tuple((weekday, "09:00", "17:00") for weekday in range(7))
NO_LIMITS = BookingRules(notice_minutes=0, buffer_minutes=0, horizon_days=400)


def at(zone: str, *parts: int, fold: int = 0) -> int:
    return int(datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold).timestamp())


def walls(slots, zone: str) -> list[str]:
    return [datetime.fromtimestamp(s.start, ZoneInfo(zone)).strftime("%H:%M%z") for s in slots]


def slots_on(day: date, zone: str, windows: tuple[Window, ...], length: int = 15, rules: BookingRules = NO_LIMITS):
    """The slots of one date with only that date's override as hours."""
    rules = BookingRules(**{**rules.__dict__, "overrides": {day: windows}})
    now = at(zone, day.year, day.month, day.day) - 3 * 86_400
    return [s for s in free_slots(weekly=(), rules=rules, zone=zone, length=length, now=now) if s.day == day]


# -- daylight saving, on the Helper's wall clock --------------------------------------------------

@pytest.mark.parametrize("zone, day, hours", [
    ("America/New_York", date(2026, 3, 8), 2),  # spring forward at 02:00: 01:00-04:00 is 2 real hours
    ("America/New_York", date(2026, 11, 1), 4),  # fall back at 02:00: 01:00-04:00 is 4 real hours
    ("Europe/Paris", date(2026, 3, 29), 2),
    ("Europe/Paris", date(2026, 10, 25), 4),
])
def test_a_window_across_a_clock_change_offers_exactly_its_real_time(zone, day, hours):
    window = Window(60, 4 * 60) if zone.startswith("America") else Window(60 * 1, 60 * 4)
    opens, closes = window_span(day, window, ZoneInfo(zone))
    found = slots_on(day, zone, (window,))
    assert closes - opens == hours * 3600
    assert len(found) == hours * 4  # 15-minute slots, each real quarter hour once
    starts = [s.start for s in found]
    assert starts == sorted(set(starts)) and all(b - a == STEP_SECONDS for a, b in zip(starts, starts[1:]))


def test_the_skipped_hour_offers_nothing_and_the_repeated_hour_offers_both():
    zone = "America/New_York"
    spring = walls(slots_on(date(2026, 3, 8), zone, (Window(90, 210),)), zone)
    assert spring == ["01:30-0500", "01:45-0500", "03:00-0400", "03:15-0400"]
    autumn = walls(slots_on(date(2026, 11, 1), zone, (Window(90, 150),)), zone)
    assert autumn == ["01:30-0400", "01:45-0400", "01:00-0500", "01:15-0500", "01:30-0500", "01:45-0500",
                      "02:00-0500", "02:15-0500"]


def test_a_thirty_minute_session_does_not_start_in_the_hour_that_does_not_exist():
    zone = "America/New_York"
    found = walls(slots_on(date(2026, 3, 8), zone, (Window(60, 240),), length=30), zone)
    assert found == ["01:00-0500", "01:30-0500", "03:00-0400", "03:30-0400"]


def test_lord_howe_skips_and_repeats_half_an_hour():
    zone = "Australia/Lord_Howe"
    # 2026-10-04 02:00 becomes 02:30 (+10:30 to +11); 2026-04-05 02:00 goes back to 01:30.
    forward = walls(slots_on(date(2026, 10, 4), zone, (Window(90, 180),)), zone)
    assert forward == ["01:30+1030", "01:45+1030", "02:30+1100", "02:45+1100"]
    back = walls(slots_on(date(2026, 4, 5), zone, (Window(90, 120),)), zone)
    assert back == ["01:30+1100", "01:45+1100", "01:30+1030", "01:45+1030"]


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "America/St_Johns",
                                  "Pacific/Chatham"])
def test_slots_in_zones_off_the_hour_fall_on_quarter_hours_of_utc(zone):
    found = slots_on(date(2026, 7, 1), zone, (Window(9 * 60, 12 * 60),))
    assert len(found) == 12 and all(s.start % STEP_SECONDS == 0 for s in found)
    assert walls(found, zone)[0].startswith("09:00")


@given(st.sampled_from(["America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago",
                        "Asia/Kolkata", "Pacific/Auckland"]),
       st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
       st.integers(0, 95), st.integers(1, 96))
def test_every_slot_is_a_real_quarter_hour_inside_the_window_and_none_is_lost(zone, day, start_q, span_q):
    window = Window(start_q * 15, min(start_q * 15 + span_q * 15, 1440))
    found = slots_on(day, zone, (window,))
    opens, closes = window_span(day, window, ZoneInfo(zone))
    starts = [s.start for s in found]
    assert len(set(starts)) == len(starts)
    for start in starts:
        assert opens <= start and start + 900 <= closes and start % STEP_SECONDS == 0
        wall = datetime.fromtimestamp(start, ZoneInfo(zone))  # on the Helper's quarter-hour grid
        assert wall.minute % 15 == 0 and wall.second == 0
    # none lost: every real quarter hour that fits in the window's span is offered
    assert len(starts) == max(0, (closes - opens) // 900)


# -- notice, horizon, buffers, daily maximum, weekly hours ---------------------------------------------

def test_weekly_hours_with_notice_and_horizon():
    zone = "Europe/Paris"
    now = at(zone, 2026, 6, 1, 8, 0)  # a Monday, 08:00
    rules = BookingRules(notice_minutes=120, horizon_days=2, buffer_minutes=10)
    found = free_slots(weekly=((0, "09:00", "12:00"), (1, "09:00", "10:00")), rules=rules, zone=zone, length=60,
                       now=now)
    assert walls(found, zone) == ["10:00+0200", "10:30+0200", "11:00+0200", "09:00+0200"]
    assert [s.day for s in found] == [date(2026, 6, 1)] * 3 + [date(2026, 6, 2)]


def test_a_date_override_replaces_the_weekday_and_an_empty_one_is_a_day_off():
    zone = "UTC"
    now = at(zone, 2026, 6, 1, 0, 0)
    rules = BookingRules(notice_minutes=0, horizon_days=3, overrides={
        date(2026, 6, 1): (), date(2026, 6, 2): (Window(20 * 60, 21 * 60),)})
    found = free_slots(weekly=EVERY_DAY, rules=rules, zone=zone, length=60, now=now)
    by_day = {}
    for slot in found:
        by_day.setdefault(slot.day, []).append(slot)
    assert date(2026, 6, 1) not in by_day
    assert walls(by_day[date(2026, 6, 2)], zone) == ["20:00+0000"]
    assert len(by_day[date(2026, 6, 3)]) == 15


def test_a_booking_and_its_buffer_take_their_steps_and_the_neighbours_that_would_touch_them():
    zone = "UTC"
    now = at(zone, 2026, 6, 1, 0, 0)
    rules = BookingRules(notice_minutes=0, horizon_days=1, buffer_minutes=10)
    booked = held_steps(at(zone, 2026, 6, 1, 10, 0), 15, 10)  # 10:00-10:15 and the rest until 10:25
    assert len(booked) == 2
    found = walls(free_slots(weekly=((0, "09:00", "11:00"),), rules=rules, zone=zone, length=15, now=now,
                             busy_steps=booked), zone)
    # 09:45 would end at 10:00 with no rest before the booking; 10:15 starts inside its rest
    assert "09:45+0000" not in found and "10:00+0000" not in found and "10:15+0000" not in found
    assert "09:30+0000" in found and "10:30+0000" in found


def test_a_date_at_its_daily_maximum_offers_nothing():
    zone = "UTC"
    now = at(zone, 2026, 6, 1, 0, 0)
    rules = BookingRules(notice_minutes=0, horizon_days=2, daily_max=2)
    found = free_slots(weekly=EVERY_DAY, rules=rules, zone=zone, length=60, now=now,
                       booked_per_day={date(2026, 6, 1): 2, date(2026, 6, 2): 1})
    days = {s.day for s in found}
    assert date(2026, 6, 1) not in days and date(2026, 6, 2) in days


def test_held_steps_round_the_rest_up_and_refuse_a_start_off_the_quarter_hour():
    assert len(held_steps(0, 60, 0)) == 4 and len(held_steps(0, 60, 1)) == 5 and len(held_steps(0, 15, 30)) == 3
    with pytest.raises(InvalidInput):
        held_steps(60, 15, 0)


def test_instants_at_names_every_real_instant_of_a_wall_time():
    zone = ZoneInfo("America/New_York")
    assert instants_at(date(2026, 3, 8), 150, zone) == ()  # 02:30 never happens
    assert len(instants_at(date(2026, 11, 1), 90, zone)) == 2  # 01:30 happens twice
    assert day_of(at("Asia/Tokyo", 2026, 6, 2, 0, 30), "Asia/Tokyo") == date(2026, 6, 2)


# -- lengths and plans -----------------------------------------------------------------------------------

def test_bookable_lengths_are_priced_chosen_and_within_the_plan():
    prices = {15: 0, 30: 2500, 60: None}
    assert bookable_lengths(BookingRules(), prices, None) == (15, 30)
    assert bookable_lengths(BookingRules(), prices, 20) == (15,)  # the free plan's 20 minutes
    assert bookable_lengths(BookingRules(lengths=(30,)), prices, None) == (30,)


# -- fees and refunds ---------------------------------------------------------------------------------

@pytest.mark.parametrize("policy, price, length, rate_15, fee", [
    (FeePolicy.NONE, 4000, 60, 1200, 0),
    (FeePolicy.HALF_PRICE, 4001, 60, 1200, 2000),  # rounded down, in the customer's favour
    (FeePolicy.TWICE_RATE, 4000, 60, 1200, 2400),
    (FeePolicy.TWICE_RATE, 1500, 15, 1500, 1500),  # never more than was paid
    (FeePolicy.TWICE_RATE, 4000, 60, None, 2000),  # no 15-minute price: the price pro rata
    (FeePolicy.HALF_PRICE, 0, 30, None, 0),
])
def test_the_cancellation_fee(policy, price, length, rate_15, fee):
    assert cancellation_fee(policy, price_cents=price, length=length, rate_15_cents=rate_15) == fee


START = 1_800_000_000
HOUR = 3600


@pytest.mark.parametrize("reason, hours_before, fee, refund, late", [
    (Reason.CUSTOMER_CANCELLED, 48, 0, 4000 - 189, False),  # early: less PayPal's fee
    (Reason.CUSTOMER_CANCELLED, 24, 0, 4000 - 189, False),  # exactly 24 hours ahead is in time
    (Reason.CUSTOMER_CANCELLED, 23.99, 2000, 2000, True),  # late: the fee kept, the rest back
    (Reason.CUSTOMER_NO_SHOW, -0.2, 2000, 2000, True),
    (Reason.HELPER_CANCELLED, 1, 0, 4000, False),  # the Helper cancels: all of it back
    (Reason.HELPER_DECLINED, 30, 0, 4000, False),
    (Reason.HELPER_NO_SHOW, -0.2, 0, 4000, False),
    (Reason.UNPAID, 30, 0, 0, False),
])
def test_what_each_ending_costs_with_a_half_price_fee(reason, hours_before, fee, refund, late):
    ended = settle(reason, paid_cents=4000, paypal_fee_cents=189, fee_cents=2000, start=START,
                   at=START - int(hours_before * HOUR))
    assert (ended.fee_cents, ended.refund_cents, ended.late) == (fee, refund, late)


def test_a_late_cancellation_without_a_fee_policy_is_refunded_as_an_early_one():
    ended = settle(Reason.CUSTOMER_CANCELLED, paid_cents=4000, paypal_fee_cents=189, fee_cents=0, start=START,
                   at=START - HOUR)
    assert (ended.fee_cents, ended.refund_cents, ended.late) == (0, 3811, True)


@given(st.integers(1, 100_000), st.integers(0, 5_000), st.integers(0, 100_000), st.sampled_from(list(Reason)),
       st.integers(-2 * HOUR, 96 * HOUR))
def test_fee_and_refund_never_exceed_what_was_paid_and_late_is_never_better(paid, paypal_fee, fee, reason, before):
    paypal_fee = min(paypal_fee, paid)
    ended = settle(reason, paid_cents=paid, paypal_fee_cents=paypal_fee, fee_cents=fee, start=START, at=START - before)
    assert 0 <= ended.fee_cents and 0 <= ended.refund_cents and ended.fee_cents + ended.refund_cents <= paid
    if reason is Reason.CUSTOMER_CANCELLED:
        early = settle(reason, paid_cents=paid, paypal_fee_cents=paypal_fee, fee_cents=fee, start=START,
                       at=START - 48 * HOUR)
        assert ended.refund_cents <= early.refund_cents


def test_rescheduling():
    from chalicelib.domain.bookings import Canceller

    assert may_reschedule(start=START, at=START - 25 * HOUR, by=Canceller.CUSTOMER)
    assert not may_reschedule(start=START, at=START - 23 * HOUR, by=Canceller.CUSTOMER)
    assert may_reschedule(start=START, at=START - HOUR, by=Canceller.HELPER)
    assert not may_reschedule(start=START, at=START, by=Canceller.HELPER)
