"""Appointments: each Helper's booking rules, and bookings with the 15-minute steps of the
Helper's time they hold (a booking and its steps are written in one transaction, each step on
condition it is free, so of two bookings that clash exactly one is written) and the count of
bookings on each date of the Helper's calendar (their daily maximum). DynamoDB in
`adapters/bookings_dynamo.py`; the in-memory twins here."""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from chalicelib.domain.bookings import Booking, BookingRules, DayFull, SlotTaken


@dataclass(frozen=True)
class HeldStep:
    """A 15-minute step of a Helper's time a live booking holds, and the date it counts on."""

    step: int
    booking_id: str
    day: date


@dataclass(frozen=True)
class HelperBookingRules:
    """A Helper's booking rules and the secret of their private calendar feed URL (None: no
    feed; a new one revokes the old)."""

    helper_id: str
    rules: BookingRules
    feed_token: str | None = None
    updated_at: int = 0


class BookingRulesStore(Protocol):
    def get(self, helper_id: str) -> HelperBookingRules | None: ...
    def save(self, rules: HelperBookingRules) -> None: ...

    def by_feed_token(self, token: str) -> HelperBookingRules | None:
        """The Helper whose calendar feed this secret opens (None once it was replaced)."""
        ...


class BookingStore(Protocol):
    def book(self, booking: Booking, *, daily_max: int | None) -> None:
        """Writes the new booking, the steps it holds and its count on its date, at once.
        Raises SlotTaken when a live booking holds one of its steps, DayFull when its date has
        `daily_max` live bookings already; nothing is written then."""
        ...

    def get(self, booking_id: str) -> Booking | None: ...

    def transition(self, before: Booking, after: Booking) -> bool:
        """Replaces `before` by `after` (the same time) if it is still at `before.version`."""
        ...

    def release(self, before: Booking, after: Booking) -> bool:
        """Replaces a live `before` by an ended `after` and gives back its steps and its count on
        its date, at once; False when it moved on meanwhile (nothing written)."""
        ...

    def move(self, before: Booking, after: Booking, *, daily_max: int | None) -> bool:
        """Moves a live booking to `after`'s time: its old steps and count given back, the new
        ones taken, at once. Raises SlotTaken or DayFull as `book`; False when `before` moved
        on meanwhile (nothing written)."""
        ...

    def held(self, helper_id: str, *, first_step: int, last_step: int) -> list[HeldStep]:
        """The steps live bookings hold from `first_step` to `last_step` (one Query)."""
        ...

    def for_helper(self, helper_id: str, *, upcoming: bool, now: int, limit: int,
                   after: dict | None = None) -> tuple[list[Booking], dict | None]:
        """A page of a Helper's bookings: those ending after `now` soonest first, or the past
        ones latest first."""
        ...

    def for_customer(self, customer_id: str, *, upcoming: bool, now: int, limit: int,
                     after: dict | None = None) -> tuple[list[Booking], dict | None]: ...

    def due(self, now: int, *, limit: int) -> list[Booking]:
        """Bookings whose `due_at` has come, earliest first (a Query per shard of a sparse
        index: no Scan)."""
        ...


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class InMemoryBookingRulesStore:
    def __init__(self) -> None:
        self.rules: dict[str, HelperBookingRules] = {}

    def get(self, helper_id: str) -> HelperBookingRules | None:
        return self.rules.get(helper_id)

    def save(self, rules: HelperBookingRules) -> None:
        self.rules[rules.helper_id] = rules

    def by_feed_token(self, token: str) -> HelperBookingRules | None:
        return next((rules for rules in self.rules.values() if token and rules.feed_token == token), None)


class InMemoryBookingStore:
    def __init__(self) -> None:
        self.bookings: dict[str, Booking] = {}
        self.steps: dict[tuple[str, int], HeldStep] = {}  # (helper_id, step)
        self.per_day: dict[tuple[str, date], int] = {}
        self.lock = threading.Lock()

    def _take(self, booking: Booking, daily_max: int | None, *, moving_from: Booking | None = None) -> None:
        mine = moving_from.booking_id if moving_from else None
        for step in booking.steps:
            held = self.steps.get((booking.helper_id, step))
            if held is not None and held.booking_id != mine:
                raise SlotTaken(booking.start)
        same_day = moving_from is not None and moving_from.day == booking.day
        if daily_max is not None and not same_day and self.per_day.get((booking.helper_id, booking.day), 0) >= daily_max:
            raise DayFull(booking.day)
        if moving_from is not None:
            self._give_back(moving_from)
        for step in booking.steps:
            self.steps[(booking.helper_id, step)] = HeldStep(step, booking.booking_id, booking.day)
        key = (booking.helper_id, booking.day)
        self.per_day[key] = self.per_day.get(key, 0) + 1

    def _give_back(self, booking: Booking) -> None:
        for step in booking.steps:
            if self.steps.get((booking.helper_id, step), HeldStep(0, "", booking.day)).booking_id == booking.booking_id:
                del self.steps[(booking.helper_id, step)]
        key = (booking.helper_id, booking.day)
        self.per_day[key] = max(0, self.per_day.get(key, 0) - 1)

    def _current(self, before: Booking) -> bool:
        current = self.bookings.get(before.booking_id)
        return current is not None and current.version == before.version

    def book(self, booking: Booking, *, daily_max: int | None) -> None:
        with self.lock:
            if booking.booking_id in self.bookings:
                raise ValueError(f"booking {booking.booking_id} exists")
            self._take(booking, daily_max)
            self.bookings[booking.booking_id] = booking

    def get(self, booking_id: str) -> Booking | None:
        return self.bookings.get(booking_id)

    def transition(self, before: Booking, after: Booking) -> bool:
        with self.lock:
            if not self._current(before):
                return False
            self.bookings[before.booking_id] = after
            return True

    def release(self, before: Booking, after: Booking) -> bool:
        with self.lock:
            if not self._current(before) or not before.live:
                return False
            self._give_back(before)
            self.bookings[before.booking_id] = after
            return True

    def move(self, before: Booking, after: Booking, *, daily_max: int | None) -> bool:
        with self.lock:
            if not self._current(before) or not before.live:
                return False
            self._take(after, daily_max, moving_from=before)
            self.bookings[before.booking_id] = after
            return True

    def held(self, helper_id: str, *, first_step: int, last_step: int) -> list[HeldStep]:
        with self.lock:  # read while no booking is written: a dict must not change as it is iterated
            return sorted((held for (helper, step), held in self.steps.items()
                           if helper == helper_id and first_step <= step <= last_step), key=lambda h: h.step)

    def _page(self, mine: list[Booking], *, upcoming: bool, now: int, limit: int, after: dict | None
              ) -> tuple[list[Booking], dict | None]:
        chosen = sorted((b for b in mine if (b.end > now) == upcoming),
                        key=lambda b: (b.start, b.booking_id), reverse=not upcoming)
        if after is not None:
            keys = [(b.start, b.booking_id) for b in chosen]
            mark = (int(after["start"]), after["booking_id"])
            chosen = chosen[keys.index(mark) + 1:] if mark in keys else []
        page = chosen[:limit]
        more = {"start": page[-1].start, "booking_id": page[-1].booking_id} if len(chosen) > limit else None
        return page, more

    def _all(self) -> list[Booking]:
        with self.lock:
            return list(self.bookings.values())

    def for_helper(self, helper_id: str, *, upcoming: bool, now: int, limit: int,
                   after: dict | None = None) -> tuple[list[Booking], dict | None]:
        return self._page([b for b in self._all() if b.helper_id == helper_id], upcoming=upcoming,
                          now=now, limit=limit, after=after)

    def for_customer(self, customer_id: str, *, upcoming: bool, now: int, limit: int,
                     after: dict | None = None) -> tuple[list[Booking], dict | None]:
        return self._page([b for b in self._all() if b.customer_id == customer_id], upcoming=upcoming,
                          now=now, limit=limit, after=after)

    def due(self, now: int, *, limit: int) -> list[Booking]:
        found = [b for b in self._all() if b.due_at is not None and b.due_at <= now]
        return sorted(found, key=lambda b: (b.due_at, b.booking_id))[:limit]

