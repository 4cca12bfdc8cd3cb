"""Appointments, as pure rules: when a Helper can be booked, which slots are free for a length,
which 15-minute steps a booking holds, and what cancelling costs.

Times are UTC instants in seconds since the epoch; each side has its IANA zone. Slots are worked
out per date of the Helper's own calendar with `zoneinfo`: a window opens at the first instant
the Helper's clock shows its start and closes at the last instant it shows its end, and slots
follow each other in real time between the two, so a daylight-saving change neither loses,
doubles nor shifts a slot:
- the hour a clock skips in spring offers nothing (a 01:00-04:00 window is 2 real hours);
- the hour it repeats in autumn is offered twice, as the Helper is there for both (4 hours).
Every zone's offset is a multiple of 15 minutes (Kolkata +5:30, Kathmandu +5:45, Lord Howe's
30-minute DST), so slots on a 15-minute wall grid fall on the 15-minute UTC steps a booking holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from typing import Iterable, Iterator, Mapping
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import InvalidInput

STEP_SECONDS = 15 * 60  # bookings start on and hold whole 15-minute steps of UTC
DAY_MINUTES = 24 * 60
DEFAULT_NOTICE_MINUTES = 120
DEFAULT_HORIZON_DAYS = 60
DEFAULT_BUFFER_MINUTES = 10
MAX_NOTICE_MINUTES = 30 * DAY_MINUTES
MAX_HORIZON_DAYS = 365
MAX_BUFFER_MINUTES = 120
MAX_DAILY = 48
MAX_OVERRIDES = 200
MAX_OVERRIDE_WINDOWS = 6
LATE_HOURS = 24  # cancelling (or rescheduling) closer to the start than this is late
NO_SHOW_MINUTES = 10  # after the start, a party not in the room may be called a no-show
UTC = timezone.utc


class FeePolicy(str, Enum):
    """What a Helper keeps when a customer cancels late or does not show up (the FAQ)."""

    NONE = "none"
    HALF_PRICE = "half_price"  # 50% of the fixed session price
    TWICE_RATE = "twice_rate"  # two times the Helper's 15-minute rate


@dataclass(frozen=True)
class Window:
    """Hours on one date of the Helper's calendar: minutes after its midnight, end exclusive
    (1440 is the next midnight)."""

    start: int
    end: int


@dataclass(frozen=True)
class Override:
    """One date whose hours are not the weekly ones: other windows, or none (a day off)."""

    day: date
    windows: tuple[Window, ...] = ()


@dataclass(frozen=True)
class BookingRules:
    """How a Helper takes bookings: which lengths, how soon and how far ahead, the rest between
    bookings, how many a day, whether they confirm each one, and the cancellation fee."""

    lengths: tuple[int, ...] = (15, 30, 60)
    notice_minutes: int = DEFAULT_NOTICE_MINUTES
    horizon_days: int = DEFAULT_HORIZON_DAYS
    buffer_minutes: int = DEFAULT_BUFFER_MINUTES
    daily_max: int | None = None
    manual_confirm: bool = False
    fee_policy: FeePolicy = FeePolicy.NONE
    overrides: Mapping[date, tuple[Window, ...]] = field(default_factory=dict)


# -- the Helper's calendar ---------------------------------------------------------------------

def minutes_of(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def windows_on(day: date, weekly: Iterable[tuple[int, str, str]], overrides: Mapping[date, tuple[Window, ...]]
               ) -> tuple[Window, ...]:
    """The Helper's hours on `day`: the date's override if it has one, else the weekly windows
    of its weekday (`(weekday, "HH:MM", "HH:MM")`, Monday 0)."""
    if day in overrides:
        return overrides[day]
    return tuple(Window(minutes_of(start), minutes_of(end)) for weekday, start, end in weekly
                 if weekday == day.weekday())


def _wall(day: date, minute: int) -> datetime:
    return datetime.combine(day, time()) + timedelta(minutes=minute)


def instants_at(day: date, minute: int, zone: ZoneInfo) -> tuple[int, ...]:
    """Every real instant whose wall time in `zone` is `minute` after `day`'s midnight: none in
    the hour a clock skips, two in the hour it repeats, else one."""
    wall = _wall(day, minute)
    found = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall:
            found.append(int(instant.timestamp()))
    return tuple(sorted(set(found)))


def _first_at_or_after(day: date, minute: int, zone: ZoneInfo) -> int:
    """The first real instant whose wall time is `minute` or, if the clock skips it, the moment
    the clock jumps past it (gaps start and end on quarter hours)."""
    for later in range(minute, minute + DAY_MINUTES, 15):
        found = instants_at(day, later, zone)
        if found:
            return found[0]
    raise ValueError(f"{zone.key} has no wall time near {day} +{minute} min")  # no zone skips a day of quarters


def window_span(day: date, window: Window, zone: ZoneInfo) -> tuple[int, int]:
    """The real UTC span of a window: from its first instant to the last instant its end names
    (its later one when the end happens twice, the jump when the clock skips it)."""
    start = _first_at_or_after(day, window.start, zone)
    ends = instants_at(day, window.end, zone)
    return start, ends[-1] if ends else _first_at_or_after(day, window.end, zone)


def interval_minutes(length: int) -> int:
    """How far apart the starts offered for a length are: every 15 minutes for 15-minute
    sessions, every half hour for longer ones."""
    return 15 if length <= 15 else 30


def held_steps(start: int, length_minutes: int, buffer_minutes: int) -> tuple[int, ...]:
    """The 15-minute UTC steps a booking holds: its own time and the rest after it, rounded up
    to whole steps. Two bookings clash exactly when their steps meet, so one transaction that
    writes each step on condition it is free lets only one of two clashing bookings in."""
    if start % STEP_SECONDS:
        raise InvalidInput("Bookings start on a quarter hour.", field="start")
    end = start + (length_minutes + buffer_minutes) * 60
    return tuple(range(start // STEP_SECONDS, -(-end // STEP_SECONDS)))


@dataclass(frozen=True)
class Slot:
    """A start a customer may book, and the Helper's date it falls on."""

    start: int
    day: date


def free_slots(*, weekly: Iterable[tuple[int, str, str]], rules: BookingRules, zone: str, length: int,
               now: int, busy_steps: Iterable[int] = (), booked_per_day: Mapping[date, int] | None = None,
               between: tuple[int, int] | None = None) -> list[Slot]:
    """Every start of a `length`-minute booking a customer may take now: inside the Helper's
    hours on one of their dates, at least the notice ahead, within the horizon, clear of the
    steps other bookings and live calls hold (with the buffer after each), on a date not yet at
    its daily maximum; only those `between` two instants, if given (only their dates are worked
    out). In time order, each once."""
    helper_zone = ZoneInfo(zone)
    busy = set(busy_steps)
    booked_per_day = booked_per_day or {}
    weekly = tuple(weekly)
    earliest = now + rules.notice_minutes * 60
    latest = now + rules.horizon_days * 86_400
    if between is not None:
        earliest, latest = max(earliest, between[0]), min(latest, between[1])
    first_day = datetime.fromtimestamp(earliest, helper_zone).date()
    last_day = datetime.fromtimestamp(latest, helper_zone).date()
    found: dict[int, Slot] = {}
    day = first_day - timedelta(days=1)  # a window past midnight is still that date's
    while day <= last_day:
        if rules.daily_max is None or booked_per_day.get(day, 0) < rules.daily_max:
            for slot in _slots_on(day, windows_on(day, weekly, rules.overrides), helper_zone, length):
                if earliest <= slot.start <= latest and slot.start not in found and \
                        busy.isdisjoint(held_steps(slot.start, length, rules.buffer_minutes)):
                    found[slot.start] = slot
        day += timedelta(days=1)
    return sorted(found.values(), key=lambda s: s.start)


def _slots_on(day: date, windows: Iterable[Window], zone: ZoneInfo, length: int) -> Iterator[Slot]:
    """Starts every interval of real time from a window's first quarter hour while the session
    still ends by the time the window closes."""
    every = interval_minutes(length) * 60
    for window in windows:
        opens, closes = window_span(day, Window(-(-window.start // 15) * 15, window.end), zone)
        for start in range(opens, closes - length * 60 + 1, every):
            yield Slot(start, day)


def day_of(start: int, zone: str) -> date:
    """The date of the Helper's calendar an instant falls on."""
    return datetime.fromtimestamp(start, ZoneInfo(zone)).date()


# -- lengths, plans and prices -------------------------------------------------------------------

def bookable_lengths(rules: BookingRules, prices: Mapping[int, int | None], max_session_minutes: int | None
                     ) -> tuple[int, ...]:
    """The lengths a customer may book: chosen by the Helper, priced on their page (0 is free),
    and within their plan (the free plan's 20 minutes allow only 15-minute bookings)."""
    return tuple(length for length in sorted(rules.lengths)
                 if prices.get(length) is not None
                 and (max_session_minutes is None or length <= max_session_minutes))


# -- cancelling --------------------------------------------------------------------------------

class Canceller(str, Enum):
    CUSTOMER = "customer"
    HELPER = "helper"


class Reason(str, Enum):
    """Why a booking ends without its session."""

    CUSTOMER_CANCELLED = "customer_cancelled"
    HELPER_CANCELLED = "helper_cancelled"
    HELPER_DECLINED = "helper_declined"  # a booking the Helper had to confirm
    CUSTOMER_NO_SHOW = "customer_no_show"
    HELPER_NO_SHOW = "helper_no_show"
    UNPAID = "unpaid"  # the customer never finished paying


@dataclass(frozen=True)
class Settlement:
    """What happens to the money when a booking ends without its session: the fee the Helper
    keeps and the refund the customer gets (together at most what was paid)."""

    fee_cents: int
    refund_cents: int
    late: bool


def cancellation_fee(policy: FeePolicy, *, price_cents: int, length: int, rate_15_cents: int | None) -> int:
    """The FAQ's fee: 50% of the session price, or two times the 15-minute rate (the page's
    15-minute price, else the session price pro rata), never more than was paid; cents are
    rounded down, in the customer's favour."""
    if policy is FeePolicy.HALF_PRICE:
        return price_cents // 2
    if policy is FeePolicy.TWICE_RATE:
        rate = rate_15_cents if rate_15_cents is not None else price_cents * 15 // length
        return min(price_cents, 2 * rate)
    return 0


def is_late(*, start: int, at: int) -> bool:
    return start - at < LATE_HOURS * 3600


def settle(reason: Reason, *, paid_cents: int, paypal_fee_cents: int, fee_cents: int, start: int, at: int
           ) -> Settlement:
    """The refund for a booking that ends without its session.

    - The Helper cancels, declines or does not show up: everything back.
    - The customer cancels 24 hours or more ahead: the price less PayPal's processing fee (the
      FAQ's refund rule: PayPal keeps its fee on a refund).
    - The customer cancels later, or does not show up: the Helper keeps the cancellation fee
      (if they set one; else it is as an early cancellation), the rest back.
    - Never paid: nothing to give back."""
    if reason is Reason.UNPAID or paid_cents == 0:
        return Settlement(0, 0, late=False)
    if reason in (Reason.HELPER_CANCELLED, Reason.HELPER_DECLINED, Reason.HELPER_NO_SHOW):
        return Settlement(0, paid_cents, late=False)
    late = reason is Reason.CUSTOMER_NO_SHOW or is_late(start=start, at=at)
    early_refund = max(0, paid_cents - paypal_fee_cents)
    if not late or fee_cents == 0:
        return Settlement(0, early_refund, late=late)
    kept = min(fee_cents, paid_cents)
    return Settlement(kept, min(paid_cents - kept, early_refund), late=True)


def may_reschedule(*, start: int, at: int, by: Canceller) -> bool:
    """A customer reschedules for free 24 hours or more ahead (later, it is a late cancellation);
    a Helper may move a booking until it starts."""
    return at < start and (by is Canceller.HELPER or not is_late(start=start, at=at))


def no_show_from(start: int) -> int:
    """When a party who has not joined may be called a no-show."""
    return start + NO_SHOW_MINUTES * 60


# -- a booking ---------------------------------------------------------------------------------

HOLD_MINUTES = 15  # a paid booking's slot is held this long while the customer is at PayPal
REMINDERS = ((24 * 3600, "24h"), (3600, "1h"))  # seconds before the start, and the reminder's name


class BookingState(str, Enum):
    HELD = "held"  # the slot is held while the customer pays
    REQUESTED = "requested"  # paid (or free), waiting for the Helper to confirm it
    CONFIRMED = "confirmed"
    DONE = "done"  # the session took place
    CANCELLED = "cancelled"  # ended without its session: see `reason`


LIVE = frozenset({BookingState.HELD, BookingState.REQUESTED, BookingState.CONFIRMED})


class SlotTaken(Exception):
    """Another booking (or the rest after one) holds a step of this slot."""


class DayFull(Exception):
    """The Helper's date already has their daily maximum of bookings."""


@dataclass(frozen=True)
class Booking:
    """A customer's booking of a Helper's time. `start` and `length` fix the session; the fee
    and the buffer are those in force when it was booked; `sequence` rises with every change
    the calendar invitation shows (a reschedule, a cancellation)."""

    booking_id: str
    helper_id: str
    customer_id: str
    start: int
    length: int
    helper_zone: str
    customer_zone: str
    price_cents: int
    currency: str
    fee_cents: int  # what a late cancellation or a no-show costs the customer
    buffer_minutes: int
    state: BookingState
    created_at: int
    version: int = 0
    sequence: int = 0
    hold_until: int | None = None  # HELD: when the slot is let go unless paid
    payment_id: str | None = None
    reason: Reason | None = None  # CANCELLED: why
    refund_cents: int = 0
    kept_cents: int = 0
    reminded: tuple[str, ...] = ()  # the reminders sent ("24h", "1h")
    call_id: str | None = None  # the call the session runs in, once someone joins
    note: str = ""  # what the customer wants help with
    due_at: int | None = None  # when the jobs next look at it (`next_due`); None once it ended

    @property
    def end(self) -> int:
        return self.start + self.length * 60

    @property
    def day(self) -> date:
        """The date of the Helper's calendar it falls on (their daily maximum counts it)."""
        return day_of(self.start, self.helper_zone)

    @property
    def steps(self) -> tuple[int, ...]:
        return held_steps(self.start, self.length, self.buffer_minutes)

    @property
    def live(self) -> bool:
        return self.state in LIVE

    def next_due(self) -> int | None:
        """When a job next has something to do with this booking: let go of an unpaid hold,
        send a reminder, or close it once its time is over; None once it ended."""
        if self.state is BookingState.HELD:
            return self.hold_until
        if self.state in (BookingState.REQUESTED, BookingState.CONFIRMED):
            pending = [self.start - before for before, name in REMINDERS
                       if name not in self.reminded and self.state is BookingState.CONFIRMED]  # due again
            return min([*pending, self.end])
        return None

    def with_changes(self, **changes) -> "Booking":
        """The next version, its `due_at` worked out again."""
        from dataclasses import replace

        after = replace(self, version=self.version + 1, **changes)
        return replace(after, due_at=after.next_due())


# -- what a Helper may set ------------------------------------------------------------------------

def _whole(value: object, field: str, low: int, high: int, label: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise InvalidInput(f"{label} is a whole number from {low} to {high}.", field=field)
    return value


def check_windows(raw: object, field: str) -> tuple[Window, ...]:
    """A date's hours: at most six windows of "HH:MM" that start before they end and do not
    overlap, in order."""
    from chalicelib.domain.helper_pages import TIME_PATTERN

    if not isinstance(raw, list) or len(raw) > MAX_OVERRIDE_WINDOWS:
        raise InvalidInput(f"A date has at most {MAX_OVERRIDE_WINDOWS} windows.", field=field)
    windows = []
    for index, item in enumerate(raw):
        start, end = (item.get("start"), item.get("end")) if isinstance(item, dict) else (None, None)
        if not (isinstance(start, str) and isinstance(end, str) and TIME_PATTERN.fullmatch(start)
                and TIME_PATTERN.fullmatch(end)) or start == "24:00" or minutes_of(start) >= minutes_of(end):
            raise InvalidInput("Windows are HH:MM to a later HH:MM (24:00 is midnight).", field=f"{field}.{index}")
        windows.append(Window(minutes_of(start), minutes_of(end)))
    windows.sort(key=lambda w: w.start)
    if any(later.start < earlier.end for earlier, later in zip(windows, windows[1:])):
        raise InvalidInput("A date's windows overlap.", field=field)
    return tuple(windows)


def check_rules(raw: Mapping[str, object], *, today: date) -> BookingRules:
    """A Helper's booking rules from their form; every field is optional (its default)."""
    defaults = BookingRules()
    lengths = raw.get("lengths", list(defaults.lengths))
    if not isinstance(lengths, list) or not lengths or any(length not in (15, 30, 60) or type(length) is not int
                                                          for length in lengths):
        raise InvalidInput("Choose the lengths people may book: 15, 30 or 60 minutes.", field="lengths")
    daily = raw.get("daily_max")
    fee = raw.get("fee_policy", defaults.fee_policy.value)
    if fee not in {policy.value for policy in FeePolicy}:
        raise InvalidInput("The cancellation fee is none, half_price or twice_rate.", field="fee_policy")
    confirm = raw.get("manual_confirm", False)
    if not isinstance(confirm, bool):
        raise InvalidInput("Say true or false.", field="manual_confirm")
    overrides_raw = raw.get("overrides", [])
    if not isinstance(overrides_raw, list) or len(overrides_raw) > MAX_OVERRIDES:
        raise InvalidInput(f"At most {MAX_OVERRIDES} dates with their own hours.", field="overrides")
    overrides: dict[date, tuple[Window, ...]] = {}
    for index, item in enumerate(overrides_raw):
        field_name = f"overrides.{index}"
        try:
            day = date.fromisoformat(item.get("date")) if isinstance(item, dict) and \
                isinstance(item.get("date"), str) and len(item["date"]) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidInput("Dates are YYYY-MM-DD.", field=f"{field_name}.date")
        if day in overrides:
            raise InvalidInput("Each date once.", field=f"{field_name}.date")
        if day >= today - timedelta(days=1):  # dates past are dropped, not refused
            overrides[day] = check_windows(item.get("windows", []), f"{field_name}.windows")
    return BookingRules(
        lengths=tuple(sorted(set(lengths))),
        notice_minutes=_whole(raw.get("notice_minutes", defaults.notice_minutes), "notice_minutes", 0,
                              MAX_NOTICE_MINUTES, "The minimum notice in minutes"),
        horizon_days=_whole(raw.get("horizon_days", defaults.horizon_days), "horizon_days", 1, MAX_HORIZON_DAYS,
                            "How many days ahead"),
        buffer_minutes=_whole(raw.get("buffer_minutes", defaults.buffer_minutes), "buffer_minutes", 0,
                              MAX_BUFFER_MINUTES, "The rest between bookings in minutes"),
        daily_max=None if daily is None else _whole(daily, "daily_max", 1, MAX_DAILY, "The most bookings a day"),
        manual_confirm=confirm, fee_policy=FeePolicy(fee), overrides=overrides)
