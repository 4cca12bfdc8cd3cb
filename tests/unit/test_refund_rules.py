"""The money-back guarantee's rules: the 24-hour request window at its edges, ops' 7 business
days across weekends, US federal holidays (Thanksgiving, Christmas, New Year, observed days)
and daylight-saving changes in Pacific time, and the amount an approved refund gives back."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import DomainError, InvalidInput
from chalicelib.domain.fees import FeeSchedule, split_payment
from chalicelib.domain.refunds import (
    REFUND_REQUEST_HOURS,
    REVIEW_BUSINESS_DAYS,
    RefundDecision,
    RefundState,
    RefundWindowClosed,
    add_business_days,
    is_business_day,
    may_request_refund,
    refund_amount,
    refund_window_closes_at,
    require_refund_window,
    review_deadline,
)

PACIFIC = ZoneInfo("America/Los_Angeles")
ENDED = 1_790_000_000
DAY = 24 * 3600


def pacific(*args):
    return int(datetime(*args, tzinfo=PACIFIC).timestamp())


def in_pacific(seconds):
    return datetime.fromtimestamp(seconds, PACIFIC)


def test_the_defaults_are_the_faqs():
    assert (REFUND_REQUEST_HOURS, REVIEW_BUSINESS_DAYS) == (24, 7)
    assert [d.value for d in RefundDecision] == ["approve", "deny"]
    assert [s.value for s in RefundState] == ["open", "approved", "denied", "refunded", "failed"]


# The 24-hour request window


def test_the_window_closes_24_hours_after_the_session_ends():
    assert refund_window_closes_at(ENDED) == ENDED + DAY
    assert refund_window_closes_at(ENDED, hours=48) == ENDED + 2 * DAY


@pytest.mark.parametrize("now, allowed", [
    (ENDED - 5, True),  # a clock a little behind the session's end
    (ENDED, True),
    (ENDED + DAY - 1, True),  # the last second
    (ENDED + DAY, False),  # the closing second is too late
    (ENDED + DAY + 1, False),
    (ENDED + 30 * DAY, False),
])
def test_a_refund_may_be_requested_until_the_last_second_of_the_window(now, allowed):
    assert may_request_refund(session_ended_at=ENDED, now=now) is allowed


def test_a_late_request_is_refused_with_a_stable_code():
    require_refund_window(session_ended_at=ENDED, now=ENDED + DAY - 1)
    with pytest.raises(RefundWindowClosed) as raised:
        require_refund_window(session_ended_at=ENDED, now=ENDED + DAY)
    assert isinstance(raised.value, DomainError)
    assert raised.value.code == "refund_window_closed" and "24 hours" in raised.value.message


def test_the_window_length_is_a_setting():
    assert may_request_refund(session_ended_at=ENDED, now=ENDED + DAY + 1, hours=48)
    with pytest.raises(RefundWindowClosed):
        require_refund_window(session_ended_at=ENDED, now=ENDED + 3600, hours=1)


@pytest.mark.parametrize("bad", [1.5, "1790000000", None, True])
def test_window_times_are_whole_seconds(bad):
    with pytest.raises(InvalidInput):
        may_request_refund(session_ended_at=bad, now=ENDED)
    with pytest.raises(InvalidInput):
        may_request_refund(session_ended_at=ENDED, now=bad)


# Business days


@pytest.mark.parametrize("day, business", [
    (date(2026, 11, 24), True),  # Tuesday
    (date(2026, 11, 26), False),  # Thanksgiving
    (date(2026, 11, 27), True),  # the day after Thanksgiving is not a federal holiday
    (date(2026, 11, 28), False),  # Saturday
    (date(2026, 11, 29), False),  # Sunday
    (date(2026, 12, 25), False),  # Christmas
    (date(2027, 1, 1), False),  # New Year's Day
    (date(2026, 7, 3), False),  # Independence Day observed (July 4th is a Saturday)
    (date(2027, 12, 31), False),  # New Year's Day 2028 (a Saturday) observed the Friday before
    (date(2026, 1, 19), False),  # Martin Luther King Jr. Day
    (date(2026, 11, 11), False),  # Veterans Day
])
def test_business_days_skip_weekends_and_us_federal_holidays(day, business):
    assert is_business_day(day) is business


def test_counting_business_days_never_counts_the_start_day():
    assert add_business_days(date(2026, 11, 20), 0) == date(2026, 11, 20)
    assert add_business_days(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Friday -> Monday
    with pytest.raises(InvalidInput):
        add_business_days(date(2026, 11, 20), -1)


# Ops' review deadline: the end (midnight, Pacific) of the 7th business day after the request


@pytest.mark.parametrize("requested, deadline", [
    # an ordinary fortnight: Tuesday 10 Nov 2026 ... Wednesday 11 Nov is Veterans Day
    (pacific(2026, 11, 9, 10, 0), pacific(2026, 11, 20)),
    # Thanksgiving: Wed 25 Nov -> Fri 27, Mon 30, Tue 1, Wed 2, Thu 3, Fri 4, Mon 7 Dec
    (pacific(2026, 11, 25, 9, 30), pacific(2026, 12, 8)),
    # Christmas and New Year: Wed 23 Dec -> Thu 24, Mon 28 ... Thu 31, Mon 4, Tue 5 Jan
    (pacific(2026, 12, 23, 16, 0), pacific(2027, 1, 6)),
    # New Year 2028 observed on Friday 31 Dec 2027
    (pacific(2027, 12, 29, 12, 0), pacific(2028, 1, 11)),
    # Independence Day observed on Friday 3 July 2026
    (pacific(2026, 7, 2, 12, 0), pacific(2026, 7, 15)),
])
def test_ops_has_seven_business_days_around_holidays(requested, deadline):
    assert review_deadline(requested) == deadline


def test_a_request_on_a_weekend_counts_from_the_next_business_day():
    friday = review_deadline(pacific(2026, 3, 6, 12, 0))
    saturday = review_deadline(pacific(2026, 3, 7, 12, 0))
    sunday = review_deadline(pacific(2026, 3, 8, 23, 59))
    assert friday == saturday == sunday == pacific(2026, 3, 18)  # Mon 9 ... Tue 17 March


def test_the_request_day_is_the_day_in_pacific_time_not_in_utc():
    monday_evening = datetime(2026, 3, 3, 5, 0, tzinfo=timezone.utc)  # Monday 21:00 in Los Angeles
    assert review_deadline(int(monday_evening.timestamp())) == review_deadline(pacific(2026, 3, 2, 9, 0))
    assert in_pacific(review_deadline(int(monday_evening.timestamp()))).date() == date(2026, 3, 12)


def test_the_deadline_is_local_midnight_across_the_spring_dst_change():
    deadline = review_deadline(pacific(2026, 3, 2, 10, 0))  # DST starts Sunday 8 March 2026
    assert in_pacific(deadline) == datetime(2026, 3, 12, 0, 0, tzinfo=PACIFIC)
    assert datetime.fromtimestamp(deadline, timezone.utc).hour == 7  # PDT is UTC-7


def test_the_deadline_is_local_midnight_across_the_autumn_dst_change():
    deadline = review_deadline(pacific(2026, 10, 30, 10, 0))  # DST ends Sunday 1 November 2026
    assert in_pacific(deadline) == datetime(2026, 11, 11, 0, 0, tzinfo=PACIFIC)  # end of Tue 10 Nov
    assert datetime.fromtimestamp(deadline, timezone.utc).hour == 8  # PST is UTC-8


def test_a_request_at_the_first_second_of_a_day_counts_from_that_day():
    assert review_deadline(pacific(2026, 11, 24, 0, 0)) == review_deadline(pacific(2026, 11, 24, 23, 59))
    assert review_deadline(pacific(2026, 11, 24, 0, 0)) != review_deadline(pacific(2026, 11, 23, 23, 59))


def test_the_number_of_days_and_the_time_zone_are_settings():
    assert review_deadline(pacific(2026, 11, 24, 10, 0), business_days=1) == pacific(2026, 11, 26)
    assert review_deadline(pacific(2026, 11, 24, 10, 0), business_days=0) == pacific(2026, 11, 25)
    new_york = review_deadline(pacific(2026, 11, 24, 10, 0), tz="America/New_York")
    assert new_york == pacific(2026, 12, 5) - 3 * 3600  # midnight in New York, 9 PM in Los Angeles


@given(st.integers(1_600_000_000, 2_100_000_000), st.integers(0, 30))
def test_the_deadline_is_a_local_midnight_after_enough_business_days(requested, business_days):
    deadline = review_deadline(requested, business_days=business_days)
    end = in_pacific(deadline)
    assert (end.hour, end.minute, end.second) == (0, 0, 0) and deadline > requested
    start = in_pacific(requested).date()
    counted = sum(is_business_day(start + timedelta(days=n)) for n in range(1, (end.date() - start).days))
    assert counted == business_days
    assert business_days == 0 or is_business_day(end.date() - timedelta(days=1))


# What an approved refund gives back


def test_an_approved_refund_is_the_amount_paid_minus_paypals_fee():
    schedule = FeeSchedule.default()
    free = split_payment(amount_cents=25_00, paypal_fee_cents=1_36, rule=schedule.rule("free", "session"))
    upgraded = split_payment(amount_cents=25_00, paypal_fee_cents=1_36, rule=schedule.rule("upgraded", "session"))
    assert refund_amount(free) == refund_amount(upgraded) == 23_64


def test_the_platform_may_absorb_paypals_fee_by_setting():
    split = split_payment(amount_cents=25_00, paypal_fee_cents=1_36,
                          rule=FeeSchedule.default().rule("free", "session"))
    assert refund_amount(split, keep_paypal_fee=False) == 25_00
