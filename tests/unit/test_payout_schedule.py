"""The payout schedule's rules: the FAQ's presets (weekly Fridays, every other Friday from the
first Friday of January, the 15th), moved off weekends and US federal holidays (observed days
and shifts across a year's end included), and the Pacific hours a payout day's run starts and
must be paid by, across daylight-saving changes."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.payout_schedule import (
    PRESETS,
    Cadence,
    HolidayShift,
    PayoutSchedule,
    due_payout_day,
    is_payout_day,
    local_date,
    next_payout,
    next_payout_day,
    nominal_days,
    pay_by,
    payout_days,
    previous_payout_day,
    run_starts_at,
    schedule_from_settings,
)
from chalicelib.domain.refunds import is_business_day

PACIFIC = ZoneInfo("America/Los_Angeles")
WEEKLY, BIWEEKLY, MONTHLY = PRESETS["weekly"], PRESETS["biweekly"], PRESETS["monthly"]
FIRST_YEAR, LAST_YEAR = 2024, 2040

years = st.integers(FIRST_YEAR, LAST_YEAR)
presets = st.sampled_from(sorted(PRESETS))
days = st.dates(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31))
moments = st.integers(
    int(datetime(FIRST_YEAR, 1, 1, tzinfo=timezone.utc).timestamp()),
    int(datetime(LAST_YEAR, 12, 31, tzinfo=timezone.utc).timestamp()),
)


def pacific(*args):
    return int(datetime(*args, tzinfo=PACIFIC).timestamp())


def utc(*args):
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


def days_of(schedule, year):
    return payout_days(schedule, date(year, 1, 1), date(year, 12, 31))


def first_friday(year):
    first = date(year, 1, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7)


# The presets and their settings


def test_the_presets_are_the_faqs():
    assert (WEEKLY.cadence, WEEKLY.holiday_shift, WEEKLY.minimum_cents) == (Cadence.WEEKLY, HolidayShift.NEXT, 100)
    assert (BIWEEKLY.cadence, BIWEEKLY.holiday_shift, BIWEEKLY.minimum_cents) == (
        Cadence.BIWEEKLY, HolidayShift.PREVIOUS, 100)
    assert (MONTHLY.cadence, MONTHLY.holiday_shift, MONTHLY.minimum_cents) == (
        Cadence.MONTHLY, HolidayShift.PREVIOUS, 100_00)
    for schedule in PRESETS.values():
        assert (schedule.start_hour, schedule.pay_by_hour, schedule.time_zone) == (9, 19, "America/Los_Angeles")
    assert PayoutSchedule() == WEEKLY  # weekly is the default


def test_settings_pick_a_preset_and_may_override_its_minimum_and_holiday_rule():
    assert schedule_from_settings("monthly") == MONTHLY
    tuned = schedule_from_settings("weekly", minimum_cents=500, holiday_shift="previous")
    assert (tuned.cadence, tuned.minimum_cents, tuned.holiday_shift) == (Cadence.WEEKLY, 500, HolidayShift.PREVIOUS)
    assert PRESETS["weekly"] == WEEKLY and WEEKLY.minimum_cents == 100  # the preset itself is untouched


@pytest.mark.parametrize("preset, overrides, field", [
    ("daily", {}, "preset"),
    ("Weekly", {}, "preset"),
    ("weekly", {"holiday_shift": "sideways"}, "holiday_shift"),
    ("weekly", {"minimum_cents": 0}, "minimum_cents"),
    ("monthly", {"minimum_cents": 99.5}, "minimum_cents"),
])
def test_unknown_settings_are_refused_by_name(preset, overrides, field):
    with pytest.raises(InvalidInput) as raised:
        schedule_from_settings(preset, **overrides)
    assert raised.value.field == field


@pytest.mark.parametrize("fields, field", [
    ({"cadence": "daily"}, "cadence"),
    ({"holiday_shift": "nearest"}, "holiday_shift"),
    ({"minimum_cents": 0}, "minimum_cents"),
    ({"minimum_cents": True}, "minimum_cents"),
    ({"minimum_cents": 1.0}, "minimum_cents"),
    ({"start_hour": -1}, "start_hour"),
    ({"pay_by_hour": 24}, "pay_by_hour"),
    ({"pay_by_hour": 19.5}, "pay_by_hour"),
    ({"start_hour": 19}, "start_hour"),  # must start before the pay-by hour
    ({"start_hour": 20, "pay_by_hour": 8}, "start_hour"),
    ({"time_zone": "Pacific/Atlantis"}, "time_zone"),
    ({"time_zone": "../etc/passwd"}, "time_zone"),
])
def test_a_schedule_refuses_impossible_fields(fields, field):
    with pytest.raises(InvalidInput) as raised:
        PayoutSchedule(**fields)
    assert raised.value.field == field


def test_a_schedule_accepts_its_enums_by_value_and_is_hashable():
    schedule = PayoutSchedule(cadence="monthly", holiday_shift="previous", minimum_cents=1, start_hour=0,
                              pay_by_hour=23, time_zone="America/New_York")
    assert schedule.cadence is Cadence.MONTHLY and schedule.holiday_shift is HolidayShift.PREVIOUS
    assert schedule == PayoutSchedule(Cadence.MONTHLY, HolidayShift.PREVIOUS, 1, 0, 23, "America/New_York")
    assert len({schedule, PayoutSchedule(Cadence.MONTHLY, HolidayShift.PREVIOUS, 1, 0, 23, "America/New_York")}) == 1


# Nominal days: the calendar rule before holidays


def test_weekly_nominal_days_are_every_friday_of_the_year():
    fridays = nominal_days(WEEKLY, 2026)
    assert fridays[0] == date(2026, 1, 2) and fridays[-1] == date(2026, 12, 25) and len(fridays) == 52
    assert all(day.weekday() == 4 for day in fridays)


def test_biweekly_nominal_days_restart_from_the_first_friday_of_each_january():
    assert nominal_days(BIWEEKLY, 2026)[:3] == [date(2026, 1, 2), date(2026, 1, 16), date(2026, 1, 30)]
    assert nominal_days(BIWEEKLY, 2026)[-1] == date(2026, 12, 18)
    assert nominal_days(BIWEEKLY, 2027)[:2] == [date(2027, 1, 1), date(2027, 1, 15)]  # not Jan 1 + 14 of 2026's count


def test_monthly_nominal_days_are_the_15th():
    assert nominal_days(MONTHLY, 2026) == [date(2026, month, 15) for month in range(1, 13)]


# Pinned holiday shifts (each holiday checked against the `holidays` package)


@pytest.mark.parametrize("schedule, nominal, actual", [
    (WEEKLY, date(2026, 6, 19), date(2026, 6, 22)),  # Juneteenth, a Friday -> Monday
    (WEEKLY, date(2026, 12, 25), date(2026, 12, 28)),  # Christmas, a Friday -> Monday
    (WEEKLY, date(2027, 1, 1), date(2027, 1, 4)),  # New Year's Day, a Friday -> Monday
    (WEEKLY, date(2025, 7, 4), date(2025, 7, 7)),  # Independence Day, a Friday -> Monday
    (WEEKLY, date(2021, 12, 24), date(2021, 12, 27)),  # Christmas observed (the 25th is a Saturday)
    (WEEKLY, date(2021, 12, 31), date(2022, 1, 3)),  # New Year's Day 2022 observed, in 2021 -> 2022
    (BIWEEKLY, date(2027, 1, 1), date(2026, 12, 31)),  # 2027's first Friday -> Thursday, back in 2026
    (MONTHLY, date(2026, 11, 15), date(2026, 11, 13)),  # a Sunday -> Friday
    (MONTHLY, date(2025, 6, 15), date(2025, 6, 13)),  # a Sunday -> Friday
    (MONTHLY, date(2027, 2, 15), date(2027, 2, 12)),  # Washington's Birthday, a Monday: three days back
    (MONTHLY, date(2029, 1, 15), date(2029, 1, 12)),  # Martin Luther King Jr. Day, a Monday
])
def test_a_payout_day_off_a_business_day_moves_in_the_presets_direction(schedule, nominal, actual):
    assert not is_business_day(nominal) and is_business_day(actual)
    assert not is_payout_day(schedule, nominal)
    assert is_payout_day(schedule, actual)
    on_or_after = nominal if actual > nominal else actual
    assert next_payout_day(schedule, on_or_after) == actual


def test_the_weeks_around_new_year_2027():
    assert payout_days(WEEKLY, date(2026, 12, 14), date(2027, 1, 15)) == [
        date(2026, 12, 18), date(2026, 12, 28), date(2027, 1, 4), date(2027, 1, 8), date(2027, 1, 15)]
    assert payout_days(BIWEEKLY, date(2026, 12, 1), date(2027, 1, 31)) == [
        date(2026, 12, 4), date(2026, 12, 18), date(2026, 12, 31), date(2027, 1, 15), date(2027, 1, 29)]
    assert date(2026, 12, 31) in days_of(BIWEEKLY, 2026)  # 2027's first payout is paid in 2026
    assert days_of(BIWEEKLY, 2027)[0] == date(2027, 1, 15)


def test_the_holiday_rule_is_a_setting():
    weekly_before = schedule_from_settings("weekly", holiday_shift="previous")
    assert next_payout_day(weekly_before, date(2026, 6, 15)) == date(2026, 6, 18)  # Juneteenth -> Thursday
    monthly_after = schedule_from_settings("monthly", holiday_shift="next")
    assert next_payout_day(monthly_after, date(2026, 11, 1)) == date(2026, 11, 16)  # Sunday -> Monday
    assert next_payout_day(monthly_after, date(2027, 2, 1)) == date(2027, 2, 16)  # past Washington's Birthday


def test_an_empty_range_has_no_payout_days():
    assert payout_days(WEEKLY, date(2026, 11, 21), date(2026, 11, 26)) == []
    assert payout_days(WEEKLY, date(2026, 12, 1), date(2026, 11, 1)) == []


@pytest.mark.parametrize("call", [
    lambda: is_payout_day(WEEKLY, datetime(2026, 11, 20, 12)),  # a datetime would never match a day
    lambda: payout_days(WEEKLY, "2026-11-01", date(2026, 12, 1)),
    lambda: next_payout_day(WEEKLY, None),
    lambda: local_date(WEEKLY, 1_790_000_000.5),
    lambda: due_payout_day(WEEKLY, True),
])
def test_days_and_times_of_the_wrong_type_are_refused(call):
    with pytest.raises(InvalidInput):
        call()


# Properties over 2024-2040


@given(presets, years)
def test_every_payout_day_is_a_business_day_listed_once_in_order(preset, year):
    found = days_of(PRESETS[preset], year)
    assert found and all(is_business_day(day) for day in found)
    assert found == sorted(set(found))
    assert all(is_payout_day(PRESETS[preset], day) for day in found)


@given(years)
def test_weekly_pays_every_business_day_friday_about_a_week_apart(year):
    found = days_of(WEEKLY, year)
    fridays = [day for day in nominal_days(WEEKLY, year) if is_business_day(day)]
    assert set(fridays) <= set(found)
    around = payout_days(WEEKLY, date(year - 1, 12, 1), date(year + 1, 1, 31))
    assert all(3 <= (later - earlier).days <= 11 for earlier, later in zip(around, around[1:]))
    assert all(day.weekday() == 4 or day not in fridays for day in found)


@given(years)
def test_biweekly_pays_every_other_friday_restarting_each_january(year):
    around = payout_days(BIWEEKLY, date(year - 1, 12, 1), date(year + 1, 1, 31))
    restarts = {previous_payout_day(BIWEEKLY, first_friday(y)) for y in (year, year + 1)}
    for earlier, later in zip(around, around[1:]):
        gap = (later - earlier).days
        if later in restarts:  # the count restarts: one or two weeks after the last of the year
            assert 6 <= gap <= 15
        else:
            assert 13 <= gap <= 15
    for friday in nominal_days(BIWEEKLY, year):
        assert is_payout_day(BIWEEKLY, friday) == is_business_day(friday)


@given(years)
def test_monthly_pays_once_a_month_no_later_than_the_15th(year):
    found = days_of(MONTHLY, year)
    assert [day.month for day in found] == list(range(1, 13))
    assert all(10 <= day.day <= 15 for day in found)
    assert all(day.day == 15 for day in found if is_business_day(date(year, day.month, 15)))


@given(presets, days)
def test_next_and_previous_payout_day_agree_with_the_list(preset, day):
    schedule = PRESETS[preset]
    assert next_payout_day(schedule, day) == payout_days(schedule, day, day + timedelta(days=40))[0]
    assert previous_payout_day(schedule, day) == payout_days(schedule, day - timedelta(days=40), day)[-1]
    assert is_payout_day(schedule, day) == (payout_days(schedule, day, day) == [day])
    assert is_payout_day(schedule, day) == (next_payout_day(schedule, day) == day == previous_payout_day(schedule, day))


@given(presets, moments)
def test_the_due_payout_day_is_the_latest_whose_run_has_started(preset, now):
    schedule = PRESETS[preset]
    due = due_payout_day(schedule, now)
    assert due is not None and is_payout_day(schedule, due)
    assert due <= local_date(schedule, now) and run_starts_at(schedule, due) <= now
    following = next_payout_day(schedule, due + timedelta(days=1))
    assert run_starts_at(schedule, following) > now  # nothing later has started yet
    oldest = {"weekly": 10, "biweekly": 15, "monthly": 34}[preset]  # the longest gap between payout days
    assert (local_date(schedule, now) - due).days <= oldest


@given(presets, moments)
def test_the_next_payout_is_the_first_still_to_be_paid_by(preset, now):
    schedule = PRESETS[preset]
    day, paid_by = next_payout(schedule, now)
    assert is_payout_day(schedule, day) and paid_by == pay_by(schedule, day) > now
    assert day >= local_date(schedule, now)
    assert pay_by(schedule, previous_payout_day(schedule, day - timedelta(days=1))) <= now


@given(presets, days)
def test_a_payout_day_runs_from_9_am_to_7_pm_pacific(preset, day):
    schedule = PRESETS[preset]
    starts, ends = datetime.fromtimestamp(run_starts_at(schedule, day), PACIFIC), datetime.fromtimestamp(
        pay_by(schedule, day), PACIFIC)
    assert (starts.date(), starts.hour, starts.minute) == (day, 9, 0)
    assert (ends.date(), ends.hour, ends.minute) == (day, 19, 0)


# Times: 7 PM Pacific whatever the offset, and the run's decisions at the edges


def test_pay_by_is_7_pm_pacific_on_both_sides_of_the_dst_change():
    assert pay_by(WEEKLY, date(2026, 3, 6)) == utc(2026, 3, 7, 3, 0)  # PST, UTC-8
    assert pay_by(WEEKLY, date(2026, 3, 13)) == utc(2026, 3, 14, 2, 0)  # PDT, UTC-7
    assert pay_by(WEEKLY, date(2026, 10, 30)) == utc(2026, 10, 31, 2, 0)  # PDT ends on Sunday, November 1
    assert pay_by(WEEKLY, date(2026, 11, 6)) == utc(2026, 11, 7, 3, 0)  # PST again
    assert run_starts_at(WEEKLY, date(2026, 3, 13)) == utc(2026, 3, 13, 16, 0)


def test_the_local_date_is_pacifics_not_utcs():
    assert local_date(WEEKLY, utc(2026, 3, 7, 3, 0)) == date(2026, 3, 6)  # Saturday in UTC, Friday in LA
    assert local_date(WEEKLY, utc(2026, 3, 7, 8, 0)) == date(2026, 3, 7)


def test_a_friday_run_is_due_from_9_am_pacific():
    friday, last_friday = date(2026, 11, 20), date(2026, 11, 13)
    assert due_payout_day(WEEKLY, pacific(2026, 11, 20, 8, 59)) == last_friday
    assert due_payout_day(WEEKLY, pacific(2026, 11, 20, 9, 0)) == friday
    assert due_payout_day(WEEKLY, pacific(2026, 11, 20, 23, 59)) == friday


def test_a_payout_day_missed_by_an_outage_stays_due_until_the_next_ones_run():
    assert due_payout_day(WEEKLY, pacific(2026, 11, 23, 12, 0)) == date(2026, 11, 20)  # Monday after
    assert due_payout_day(WEEKLY, pacific(2026, 11, 27, 8, 59)) == date(2026, 11, 20)
    assert due_payout_day(WEEKLY, pacific(2026, 11, 27, 9, 0)) == date(2026, 11, 27)


def test_a_holiday_moved_payout_is_due_on_the_day_it_moved_to():
    assert due_payout_day(WEEKLY, pacific(2026, 12, 25, 12, 0)) == date(2026, 12, 18)  # Christmas: not today
    assert due_payout_day(WEEKLY, pacific(2026, 12, 28, 9, 0)) == date(2026, 12, 28)
    assert due_payout_day(BIWEEKLY, pacific(2027, 1, 1, 12, 0)) == date(2026, 12, 31)


def test_a_helper_sees_todays_payout_until_7_pm_then_the_next_one():
    friday = date(2026, 11, 20)
    assert next_payout(WEEKLY, pacific(2026, 11, 20, 18, 59, 59)) == (friday, pacific(2026, 11, 20, 19, 0))
    assert next_payout(WEEKLY, pacific(2026, 11, 20, 19, 0)) == (date(2026, 11, 27), pacific(2026, 11, 27, 19, 0))
    assert next_payout(WEEKLY, pacific(2026, 11, 18, 10, 0)) == (friday, pacific(2026, 11, 20, 19, 0))
    assert next_payout(MONTHLY, pacific(2026, 11, 13, 19, 0)) == (date(2026, 12, 15), pacific(2026, 12, 15, 19, 0))
    assert next_payout(WEEKLY, pacific(2026, 12, 25, 10, 0)) == (date(2026, 12, 28), pacific(2026, 12, 28, 19, 0))


def test_the_next_run_starts_on_the_next_payout_day_after_the_moment():
    from chalicelib.domain.payout_schedule import next_run_start

    weekly = PRESETS["weekly"]
    friday = date(2026, 12, 11)
    start = run_starts_at(weekly, friday)
    assert next_run_start(weekly, start - 1) == start
    assert next_run_start(weekly, start) == run_starts_at(weekly, date(2026, 12, 18))
    assert next_run_start(weekly, run_starts_at(weekly, date(2026, 12, 18)) + 1) == \
        run_starts_at(weekly, date(2026, 12, 28))  # Christmas Friday: the Monday after
