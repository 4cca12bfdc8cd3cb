"""When Helpers are paid, as pure rules: the payout days of each preset (weekly Fridays, every
other Friday, the 15th), moved off weekends and US federal holidays, and the local times a
payout day's run may start and must be paid by ("no later than 7 PM PST", DST-correct).

A day's *nominal* payout day is the calendar rule's (a Friday, the 15th); its *actual* payout
day is the nearest business day in the schedule's holiday direction, which may fall in the
neighbouring year (the first Friday of 2027 is New Year's Day). Times are seconds since the epoch.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import Enum
from functools import lru_cache
from types import MappingProxyType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import is_cents
from chalicelib.domain.refunds import OPS_TIME_ZONE, check_seconds, is_business_day

FRIDAY = 4  # date.weekday()
MONTHLY_DAY = 15
_LOOKBACK_DAYS = 400  # how far back due_payout_day looks for a missed payout day

E = TypeVar("E", bound=Enum)


class Cadence(str, Enum):
    WEEKLY = "weekly"  # every Friday
    BIWEEKLY = "biweekly"  # every other Friday, counted from the first Friday of each January
    MONTHLY = "monthly"  # the 15th


class HolidayShift(str, Enum):
    NEXT = "next"  # a payout day that is not a business day moves to the next business day
    PREVIOUS = "previous"  # ... to the business day before ("no later than")


def _enum(kind: type[E], value: object, field: str) -> E:
    try:
        return kind(value)
    except (ValueError, TypeError):
        choices = ", ".join(member.value for member in kind)
        raise InvalidInput(f"Expected one of: {choices}.", field=field) from None


@dataclass(frozen=True)
class PayoutSchedule:
    """One schedule: which days are payout days, the least a payout may be, and its local hours."""

    cadence: Cadence = Cadence.WEEKLY
    holiday_shift: HolidayShift = HolidayShift.NEXT
    minimum_cents: int = 100
    start_hour: int = 9  # local hour the run may start on a payout day
    pay_by_hour: int = 19  # paid no later than this local hour
    time_zone: str = OPS_TIME_ZONE

    def __post_init__(self) -> None:
        object.__setattr__(self, "cadence", _enum(Cadence, self.cadence, "cadence"))
        object.__setattr__(self, "holiday_shift", _enum(HolidayShift, self.holiday_shift, "holiday_shift"))
        if not is_cents(self.minimum_cents) or self.minimum_cents < 1:
            raise InvalidInput("The payout minimum is a whole number of cents, 1 or more.", field="minimum_cents")
        for name in ("start_hour", "pay_by_hour"):
            hour = getattr(self, name)
            if not is_cents(hour) or not 0 <= hour <= 23:
                raise InvalidInput("An hour is a whole number from 0 to 23.", field=name)
        if self.start_hour >= self.pay_by_hour:
            raise InvalidInput("A payout run starts before the hour it must be paid by.", field="start_hour")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise InvalidInput("Unknown time zone.", field="time_zone") from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo caches its instances


PRESETS: Mapping[str, PayoutSchedule] = MappingProxyType({
    "weekly": PayoutSchedule(),
    "biweekly": PayoutSchedule(cadence=Cadence.BIWEEKLY, holiday_shift=HolidayShift.PREVIOUS),
    "monthly": PayoutSchedule(cadence=Cadence.MONTHLY, holiday_shift=HolidayShift.PREVIOUS,
                              minimum_cents=100_00),
})


def schedule_from_settings(preset: str, *, minimum_cents: int | None = None,
                           holiday_shift: str | None = None) -> PayoutSchedule:
    """The preset named in settings, with the minimum and the holiday rule overridden when set."""
    if not isinstance(preset, str) or preset not in PRESETS:
        raise InvalidInput(f"Unknown payout schedule; expected one of: {', '.join(PRESETS)}.", field="preset")
    schedule = PRESETS[preset]
    if minimum_cents is not None:
        schedule = replace(schedule, minimum_cents=minimum_cents)
    if holiday_shift is not None:
        schedule = replace(schedule, holiday_shift=_enum(HolidayShift, holiday_shift, "holiday_shift"))
    return schedule


def schedule_of(settings: Any) -> PayoutSchedule:
    """The schedule a deployment's settings name (`payout_schedule`, `payout_minimum_cents`,
    `payout_holiday_shift`)."""
    return schedule_from_settings(settings.payout_schedule, minimum_cents=settings.payout_minimum_cents,
                                  holiday_shift=settings.payout_holiday_shift)


def _check_day(day: object, field: str) -> date:
    # A datetime is a date too, but it never equals one: it would silently match no payout day.
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidInput("A day is a calendar date.", field=field)
    return day


def _first_friday(year: int) -> date:
    first = date(year, 1, 1)
    return first + timedelta(days=(FRIDAY - first.weekday()) % 7)


def nominal_days(schedule: PayoutSchedule, year: int) -> list[date]:
    """The calendar rule's payout days of `year`, ascending, before any holiday shift."""
    if schedule.cadence is Cadence.MONTHLY:
        return [date(year, month, MONTHLY_DAY) for month in range(1, 13)]
    step = timedelta(days=7 if schedule.cadence is Cadence.WEEKLY else 14)
    days, day = [], _first_friday(year)
    while day.year == year:
        days.append(day)
        day += step
    return days


def _shift(schedule: PayoutSchedule, day: date) -> date:
    step = timedelta(days=1 if schedule.holiday_shift is HolidayShift.NEXT else -1)
    while not is_business_day(day):
        day += step
    return day


@lru_cache(maxsize=256)  # (schedule, year) pairs: a few presets over the years in use
def _actual_days_of_nominal_year(schedule: PayoutSchedule, year: int) -> frozenset[date]:
    return frozenset(_shift(schedule, day) for day in nominal_days(schedule, year))


@lru_cache(maxsize=256)  # (schedule, year) pairs: a few presets over the years in use
def _payout_days_in(schedule: PayoutSchedule, year: int) -> tuple[date, ...]:
    """The actual payout days that fall in `year`, whichever year's rule produced them."""
    days: set[date] = set()
    for rule_year in (year - 1, year, year + 1):
        days.update(day for day in _actual_days_of_nominal_year(schedule, rule_year) if day.year == year)
    return tuple(sorted(days))


def payout_days(schedule: PayoutSchedule, start: date, end: date) -> list[date]:
    """The actual payout days from `start` to `end`, both included, ascending and unique."""
    _check_day(start, "start")
    _check_day(end, "end")
    found: list[date] = []
    for year in range(start.year, end.year + 1):
        days = _payout_days_in(schedule, year)
        found.extend(days[bisect_left(days, start):bisect_right(days, end)])
    return found


def is_payout_day(schedule: PayoutSchedule, day: date) -> bool:
    days = _payout_days_in(schedule, _check_day(day, "day").year)
    index = bisect_left(days, day)
    return index < len(days) and days[index] == day


def next_payout_day(schedule: PayoutSchedule, on_or_after: date) -> date:
    """The first actual payout day on or after `on_or_after`."""
    year = _check_day(on_or_after, "on_or_after").year
    days = _payout_days_in(schedule, year)
    index = bisect_left(days, on_or_after)
    while index == len(days):  # none left this year: every year has payout days, so this ends
        year += 1
        days, index = _payout_days_in(schedule, year), 0
    return days[index]


def previous_payout_day(schedule: PayoutSchedule, on_or_before: date) -> date:
    """The last actual payout day on or before `on_or_before`."""
    year = _check_day(on_or_before, "on_or_before").year
    days = _payout_days_in(schedule, year)
    index = bisect_right(days, on_or_before)
    while index == 0:
        year -= 1
        days = _payout_days_in(schedule, year)
        index = len(days)
    return days[index - 1]


def _local_epoch(schedule: PayoutSchedule, day: date, hour: int) -> int:
    return int(datetime.combine(_check_day(day, "day"), time(hour), tzinfo=schedule.zone).timestamp())


def run_starts_at(schedule: PayoutSchedule, day: date) -> int:
    """When the payout run may start on `day`: `start_hour`:00 local time."""
    return _local_epoch(schedule, day, schedule.start_hour)


def pay_by(schedule: PayoutSchedule, day: date) -> int:
    """When `day`'s payouts must have been paid: `pay_by_hour`:00 local time, whatever the DST."""
    return _local_epoch(schedule, day, schedule.pay_by_hour)


def local_date(schedule: PayoutSchedule, at: int) -> date:
    """The schedule's local calendar date at `at`."""
    return datetime.fromtimestamp(check_seconds(at, "at"), schedule.zone).date()


def due_payout_day(schedule: PayoutSchedule, now: int) -> date | None:
    """The payout day a run at `now` should pay: the latest one whose run has started, so a day
    missed by an outage stays due until the next payout day's run starts; None when there is
    none in the last 400 days."""
    today = local_date(schedule, now)
    day = previous_payout_day(schedule, today)
    if run_starts_at(schedule, day) > now:  # today is a payout day, but not yet time
        day = previous_payout_day(schedule, day - timedelta(days=1))
    return day if (today - day).days <= _LOOKBACK_DAYS else None


def next_payout(schedule: PayoutSchedule, now: int) -> tuple[date, int]:
    """What a Helper sees: the next payout day still to be paid by (today until its pay-by hour)
    and the time it will be paid by."""
    today = local_date(schedule, now)
    day = next_payout_day(schedule, today)
    if pay_by(schedule, day) <= now:
        day = next_payout_day(schedule, day + timedelta(days=1))
    return day, pay_by(schedule, day)


def next_run_start(schedule: PayoutSchedule, after: int) -> int:
    """When the first payout run after `after` may start (the start of the next payout day's run)."""
    day = next_payout_day(schedule, local_date(schedule, after))
    if run_starts_at(schedule, day) <= after:
        day = next_payout_day(schedule, day + timedelta(days=1))
    return run_starts_at(schedule, day)
