"""Events a Helper announces and each person's place (going, offered, waiting, left). A place is
taken with the event's counter in one transaction, the counter conditional on staying within
the capacity, so however many people RSVP at once, exactly `capacity` hold a place and the rest
wait. The waitlist is read in the order people joined it. DynamoDB in `adapters/events_dynamo.py`;
the in-memory twin here."""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Protocol

from chalicelib.domain.events import Attendance, Event, EventState, Place


class PlaceChanged(Exception):
    """The person's place changed since it was read (another tab, a job): read it again."""


class CapacityBelowTaken(Exception):
    """An edit would leave fewer places than people holding one."""


class EventStore(Protocol):
    def create(self, event: Event) -> None:
        """Writes a new event (raises ValueError when its id exists)."""
        ...

    def get(self, event_id: str) -> Event | None: ...

    def update(self, before: Event, after: Event) -> bool:
        """The Helper's edit (or a job's), conditional on `before.version`; the counters are
        kept as they are in the store. Raises CapacityBelowTaken when `after.capacity` is below
        the places taken; False when the event changed meanwhile (nothing written)."""
        ...

    def for_helper(self, helper_id: str, *, now: int, upcoming: bool, limit: int,
                   after: dict | None = None) -> tuple[list[Event], dict | None]:
        """A page of a Helper's events (one Query): those ending after `now` soonest first, or
        the past ones latest first."""
        ...

    def due(self, now: int, *, limit: int) -> list[Event]:
        """Announced events with a reminder due (a Query per shard of a sparse index)."""
        ...

    def place(self, event_id: str, user_id: str) -> Attendance | None: ...

    def take_place(self, attendance: Attendance, *, before: Attendance | None) -> bool:
        """Writes `attendance` (going or offered) over `before` (None: no place yet) and adds one
        to the event's places taken, at once, on condition a place is left and the event is
        announced: False when not (nothing written). Raises PlaceChanged when the person's place
        is no longer `before`."""
        ...

    def join_waitlist(self, attendance: Attendance, *, before: Attendance | None) -> bool:
        """Writes `attendance` (waiting) over `before` and counts it on the event, at once, on
        condition the event is announced (False when not). Raises PlaceChanged as take_place."""
        ...

    def give_up(self, before: Attendance, after: Attendance) -> bool:
        """A person leaves (or a hold runs out): `before` (going, offered or waiting) becomes
        `after` and its count on the event is given back, at once; False when `before` changed."""
        ...

    def promote(self, before: Attendance, after: Attendance) -> bool:
        """A waiting person moves up to `after` (going or offered): their place and the event's
        counters at once, on condition a place is left. False when none is (nothing written).
        Raises PlaceChanged when `before` is no longer waiting at its version."""
        ...

    def set_place(self, before: Attendance, after: Attendance) -> bool:
        """Changes a place without changing the counts (offered becomes going when paid, a
        refund noted), conditional on `before.version`."""
        ...

    def waitlist(self, event_id: str, *, limit: int) -> list[Attendance]:
        """The people waiting, longest waiting first (one Query)."""
        ...

    def attendees(self, event_id: str, *, limit: int, after: dict | None = None
                  ) -> tuple[list[Attendance], dict | None]:
        """A page of everyone with a place or a past place, by user id (one Query)."""
        ...

    def expired_holds(self, now: int, *, limit: int) -> list[Attendance]:
        """Offered places whose hold ran out (a Query per shard of a sparse index)."""
        ...


def _counts(place: Place) -> tuple[int, int]:
    """What a place adds to (taken, waiting)."""
    if place in (Place.GOING, Place.OFFERED):
        return 1, 0
    if place is Place.WAITING:
        return 0, 1
    return 0, 0


class InMemoryEventStore:
    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self.places: dict[tuple[str, str], Attendance] = {}
        self.lock = threading.Lock()

    def create(self, event: Event) -> None:
        with self.lock:
            if event.event_id in self.events:
                raise ValueError(f"event {event.event_id} exists")
            self.events[event.event_id] = replace(event, taken=0, waiting=0)

    def get(self, event_id: str) -> Event | None:
        return self.events.get(event_id)

    def update(self, before: Event, after: Event) -> bool:
        with self.lock:
            current = self.events.get(before.event_id)
            if current is None or current.version != before.version:
                return False
            if after.capacity < current.taken:
                raise CapacityBelowTaken()
            self.events[before.event_id] = replace(after, taken=current.taken, waiting=current.waiting)
            return True

    def for_helper(self, helper_id: str, *, now: int, upcoming: bool, limit: int,
                   after: dict | None = None) -> tuple[list[Event], dict | None]:
        with self.lock:
            mine = [e for e in self.events.values() if e.helper_id == helper_id and (e.ends_at > now) == upcoming]
        chosen = sorted(mine, key=lambda e: (e.starts_at, e.event_id), reverse=not upcoming)
        if after is not None:
            keys = [(e.starts_at, e.event_id) for e in chosen]
            mark = (int(after["starts_at"]), after["event_id"])
            chosen = chosen[keys.index(mark) + 1:] if mark in keys else []
        page = chosen[:limit]
        more = {"starts_at": page[-1].starts_at, "event_id": page[-1].event_id} if len(chosen) > limit else None
        return page, more

    def due(self, now: int, *, limit: int) -> list[Event]:
        with self.lock:
            found = [e for e in self.events.values() if e.due_at is not None and e.due_at <= now]
        return sorted(found, key=lambda e: (e.due_at, e.event_id))[:limit]

    def place(self, event_id: str, user_id: str) -> Attendance | None:
        return self.places.get((event_id, user_id))

    def _check(self, before: Attendance | None, event_id: str, user_id: str) -> None:
        current = self.places.get((event_id, user_id))
        if (current is None) != (before is None) or (current is not None and current.version != before.version):
            raise PlaceChanged()

    def _count(self, event_id: str, taken: int, waiting: int) -> None:
        event = self.events[event_id]
        self.events[event_id] = replace(event, taken=event.taken + taken, waiting=event.waiting + waiting)

    def take_place(self, attendance: Attendance, *, before: Attendance | None) -> bool:
        with self.lock:
            self._check(before, attendance.event_id, attendance.user_id)
            event = self.events.get(attendance.event_id)
            if event is None or event.state is not EventState.ANNOUNCED or event.taken >= event.capacity:
                return False
            self.places[(attendance.event_id, attendance.user_id)] = attendance
            self._count(attendance.event_id, 1, -_counts(before.place)[1] if before else 0)
            return True

    def join_waitlist(self, attendance: Attendance, *, before: Attendance | None) -> bool:
        with self.lock:
            self._check(before, attendance.event_id, attendance.user_id)
            event = self.events.get(attendance.event_id)
            if event is None or event.state is not EventState.ANNOUNCED:
                return False
            self.places[(attendance.event_id, attendance.user_id)] = attendance
            self._count(attendance.event_id, 0, 1)
            return True

    def give_up(self, before: Attendance, after: Attendance) -> bool:
        with self.lock:
            try:
                self._check(before, before.event_id, before.user_id)
            except PlaceChanged:
                return False
            self.places[(before.event_id, before.user_id)] = after
            taken, waiting = _counts(before.place)
            self._count(before.event_id, -taken, -waiting)
            return True

    def promote(self, before: Attendance, after: Attendance) -> bool:
        with self.lock:
            current = self.places.get((before.event_id, before.user_id))
            if current is None or current.version != before.version or current.place is not Place.WAITING:
                raise PlaceChanged()
            event = self.events.get(before.event_id)
            if event is None or event.state is not EventState.ANNOUNCED or event.taken >= event.capacity:
                return False
            self.places[(before.event_id, before.user_id)] = after
            self._count(before.event_id, 1, -1)
            return True

    def set_place(self, before: Attendance, after: Attendance) -> bool:
        with self.lock:
            try:
                self._check(before, before.event_id, before.user_id)
            except PlaceChanged:
                return False
            self.places[(before.event_id, before.user_id)] = after
            return True

    def waitlist(self, event_id: str, *, limit: int) -> list[Attendance]:
        with self.lock:
            found = [a for (e, _), a in self.places.items() if e == event_id and a.place is Place.WAITING]
        return sorted(found, key=lambda a: (a.joined_at, a.user_id))[:limit]

    def attendees(self, event_id: str, *, limit: int, after: dict | None = None
                  ) -> tuple[list[Attendance], dict | None]:
        with self.lock:
            found = sorted((a for (e, _), a in self.places.items() if e == event_id), key=lambda a: a.user_id)
        if after is not None:
            found = [a for a in found if a.user_id > after["user_id"]]
        page = found[:limit]
        return page, ({"event_id": event_id, "user_id": page[-1].user_id} if len(found) > limit else None)

    def expired_holds(self, now: int, *, limit: int) -> list[Attendance]:
        with self.lock:
            found = [a for a in self.places.values()
                     if a.place is Place.OFFERED and a.hold_until is not None and a.hold_until <= now]
        return sorted(found, key=lambda a: (a.hold_until, a.event_id, a.user_id))[:limit]
