"""Events in DynamoDB (tables/events.py). The contracts and the in-memory twin are in
`adapters/events.py`.

A place is taken in one TransactWriteItems: the person's item, conditional on being as read, and
the event's `taken` counter raised by one on condition it is below `capacity` (and the event
announced). When many people RSVP at once the transactions on the event item conflict; each is
tried again after a short random pause, so every one ends either holding a place or told there
is none, and the counter never passes the capacity.
"""
from __future__ import annotations

import random
import time
import zlib
from dataclasses import replace
from typing import Any

from chalicelib.adapters.dynamo_writes import (
    CONDITION_FAILED, Update, code, conflicted, time_page, transact, written,
)
from chalicelib.adapters.events import CapacityBelowTaken, PlaceChanged
from chalicelib.adapters.tables.events import AttendanceRecord, EventRecord
from chalicelib.domain.events import LONGEST_HOURS, Attendance, Event, EventState, Place, Where

SHARDS = 4  # the sparse job indexes (reminders due, holds running out) are spread over this many partitions
RACE_ATTEMPTS = 25  # a transaction cancelled by another one on the same event is tried again this often


def _at(instant: int, key: str) -> str:
    return f"{instant:012d}#{key}"


def _shard(key: str) -> int:
    return zlib.crc32(key.encode()) % SHARDS


# -- records -----------------------------------------------------------------------------------

def _event_record(event: Event) -> EventRecord:
    due = event.due_at
    return EventRecord(
        event.event_id, helper_id=event.helper_id, title=event.title, description=event.description,
        description_html=event.description_html, summary=event.summary, starts_at=event.starts_at,
        ends_at=event.ends_at, zone=event.zone, where=event.where.value, location=event.location,
        capacity=event.capacity, price_cents=event.price_cents, currency=event.currency, state=event.state.value,
        created_at=event.created_at, updated_at=event.updated_at, version=event.version, sequence=event.sequence,
        taken=event.taken, waiting=event.waiting, reminded=list(event.reminded), cancel_reason=event.cancel_reason,
        hidden_note=event.hidden_note,
        start_key=_at(event.starts_at, event.event_id),
        due_shard=_shard(event.event_id) if due is not None else None,
        due_key=_at(due, event.event_id) if due is not None else None)


def _event(record: Any) -> Event:
    return Event(
        event_id=record.event_id, helper_id=record.helper_id, title=record.title,
        description=record.description or "", description_html=record.description_html or "",
        summary=record.summary or "", starts_at=int(record.starts_at), ends_at=int(record.ends_at),
        zone=record.zone, where=Where(record.where), location=record.location, capacity=int(record.capacity),
        price_cents=int(record.price_cents), currency=record.currency, state=EventState(record.state),
        created_at=int(record.created_at), updated_at=int(record.updated_at), version=int(record.version),
        sequence=int(record.sequence or 0), taken=int(record.taken or 0), waiting=int(record.waiting or 0),
        reminded=tuple(record.reminded or ()), cancel_reason=record.cancel_reason or "",
        hidden_note=record.hidden_note)


def _place_record(a: Attendance) -> AttendanceRecord:
    waiting = a.place is Place.WAITING
    held = a.place is Place.OFFERED and a.hold_until is not None
    key = f"{a.event_id}#{a.user_id}"
    return AttendanceRecord(
        a.event_id, a.user_id, place=a.place.value, joined_at=a.joined_at, updated_at=a.updated_at,
        version=a.version, zone=a.zone, hold_until=a.hold_until, payment_id=a.payment_id, paid_cents=a.paid_cents,
        refunded_cents=a.refunded_cents,
        wait_event=a.event_id if waiting else None, wait_key=_at(a.joined_at, a.user_id) if waiting else None,
        hold_shard=_shard(key) if held else None, hold_key=_at(a.hold_until, key) if held else None)


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


def _place(record: Any) -> Attendance:
    return Attendance(
        event_id=record.event_id, user_id=record.user_id, place=Place(record.place), joined_at=int(record.joined_at),
        updated_at=int(record.updated_at), version=int(record.version), zone=record.zone or "UTC",
        hold_until=_number(record.hold_until), payment_id=record.payment_id, paid_cents=int(record.paid_cents or 0),
        refunded_cents=int(record.refunded_cents or 0))


def _event_key(event_id: str) -> dict:
    return {"event_id": {"S": event_id}}


def _writing_place(after: Attendance, before: Attendance | None) -> dict:
    """The person's item, as `after`, on condition it is still `before` (absent, or at its version)."""
    item = {"TableName": AttendanceRecord.Meta.table_name, "Item": _place_record(after).serialize()}
    if before is None:
        return {"Put": {**item, "ConditionExpression": "attribute_not_exists(#user)",
                        "ExpressionAttributeNames": {"#user": "user_id"}}}
    return {"Put": {**item, "ConditionExpression": "#version = :version",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":version": {"N": str(before.version)}}}}


def _counting(event_id: str, *, taken: int = 0, waiting: int = 0, within_capacity: bool = False,
              announced: bool = False) -> dict:
    """The event's counters moved by `taken` and `waiting`; with `within_capacity`, on condition
    a place is left; with `announced`, on condition the event is open."""
    update = Update(EventRecord, _event_key(event_id))
    for name, by in (("taken", taken), ("waiting", waiting)):
        if by:
            update.adds.append(f"{update.name(name)} {update.number(by)}")
    update.conditions.append(f"attribute_exists({update.name('event_id')})")
    if within_capacity:
        update.conditions.append(f"{update.name('taken')} < {update.name('capacity')}")
    if announced:
        update.conditions.append(f"{update.name('state')} = {update.value({'S': EventState.ANNOUNCED.value})}")
    return update.item()


def _raced(client: Any, items: list[dict]) -> list[str | None] | None:
    """Writes `items` in one transaction, again after a short random pause while other
    transactions hold one of them: None when written, else each item's reason for cancelling."""
    for attempt in range(RACE_ATTEMPTS):
        reasons = transact(client, items)
        if reasons is None:
            return None
        if not conflicted(reasons):
            return [code(reason) for reason in reasons]
        time.sleep(random.uniform(0, 0.01 * min(attempt + 1, 10)))
    raise RuntimeError(f"DynamoDB cancelled the transaction {RACE_ATTEMPTS} times for conflicts")


class DynamoEventStore:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # the tables' shared pynamodb Connection, for transactions

    @property
    def _client(self) -> Any:
        return self._connection.client

    def create(self, event: Event) -> None:
        record = _event_record(replace(event, taken=0, waiting=0))
        try:
            record.save(condition=EventRecord.event_id.does_not_exist())
        except Exception as error:  # pynamodb's PutError wraps the condition's failure
            if "ConditionalCheckFailed" in str(error):
                raise ValueError(f"event {event.event_id} exists") from None
            raise

    def get(self, event_id: str) -> Event | None:
        try:
            return _event(EventRecord.get(event_id, consistent_read=True))
        except EventRecord.DoesNotExist:
            return None

    def update(self, before: Event, after: Event) -> bool:
        update = Update(EventRecord, _event_key(after.event_id)).replacing_with(_event_record(after),
                                                                               keep=("taken", "waiting"))
        update.conditions.append(f"{update.name('version')} = {update.number(before.version)}")
        if after.capacity < before.capacity:
            update.conditions.append(f"{update.name('taken')} <= {update.number(after.capacity)}")
        if written(self._client, update):
            return True
        current = self.get(before.event_id)
        if current is not None and current.version == before.version and after.capacity < current.taken:
            raise CapacityBelowTaken()
        return False

    def for_helper(self, helper_id: str, *, now: int, upcoming: bool, limit: int,
                   after: dict | None = None) -> tuple[list[Event], dict | None]:
        page, more = time_page(EventRecord.helper_start, helper_id, start_key=EventRecord.start_key,
                               end=EventRecord.ends_at, upcoming=upcoming, now=now, longest=LONGEST_HOURS * 3600,
                               limit=limit, after=after)
        return [_event(r) for r in page], more

    def due(self, now: int, *, limit: int) -> list[Event]:
        found = [_event(record) for shard in range(SHARDS)
                 for record in EventRecord.by_due.query(shard, EventRecord.due_key <= f"{now:012d}~", limit=limit)]
        return sorted(found, key=lambda e: (e.due_at or 0, e.event_id))[:limit]

    def place(self, event_id: str, user_id: str) -> Attendance | None:
        try:
            return _place(AttendanceRecord.get(event_id, user_id, consistent_read=True))
        except AttendanceRecord.DoesNotExist:
            return None

    def take_place(self, attendance: Attendance, *, before: Attendance | None) -> bool:
        was_waiting = before is not None and before.place is Place.WAITING
        items = [_counting(attendance.event_id, taken=1, waiting=-1 if was_waiting else 0, within_capacity=True,
                           announced=True),
                 _writing_place(attendance, before)]
        return _counted(_raced(self._client, items), "the RSVP")

    def join_waitlist(self, attendance: Attendance, *, before: Attendance | None) -> bool:
        items = [_counting(attendance.event_id, waiting=1, announced=True), _writing_place(attendance, before)]
        return _counted(_raced(self._client, items), "joining the waitlist")

    def give_up(self, before: Attendance, after: Attendance) -> bool:
        taken = 1 if before.holds_a_place else 0
        waiting = 1 if before.place is Place.WAITING else 0
        items = [_writing_place(after, before)]
        if taken or waiting:
            items.append(_counting(before.event_id, taken=-taken, waiting=-waiting))
        codes = _raced(self._client, items)
        if codes is None:
            return True
        if codes[0] == CONDITION_FAILED:
            return False
        raise RuntimeError(f"DynamoDB cancelled leaving: {codes}")

    def promote(self, before: Attendance, after: Attendance) -> bool:
        if before.place is not Place.WAITING:
            raise PlaceChanged()
        items = [_counting(before.event_id, taken=1, waiting=-1, within_capacity=True, announced=True),
                 _writing_place(after, before)]
        return _counted(_raced(self._client, items), "the move up")

    def set_place(self, before: Attendance, after: Attendance) -> bool:
        codes = _raced(self._client, [_writing_place(after, before)])
        return codes is None

    def waitlist(self, event_id: str, *, limit: int) -> list[Attendance]:
        return [_place(r) for r in AttendanceRecord.waitlist.query(event_id, scan_index_forward=True, limit=limit)]

    def attendees(self, event_id: str, *, limit: int, after: dict | None = None
                  ) -> tuple[list[Attendance], dict | None]:
        records = list(AttendanceRecord.query(event_id, limit=limit + 1, last_evaluated_key=after,
                                              consistent_read=True))
        page = records[:limit]
        more = None
        if len(records) > limit and page:
            more = {"event_id": {"S": event_id}, "user_id": {"S": page[-1].user_id}}
        return [_place(r) for r in page], more

    def expired_holds(self, now: int, *, limit: int) -> list[Attendance]:
        found = [_place(r) for shard in range(SHARDS)
                 for r in AttendanceRecord.by_hold.query(shard, AttendanceRecord.hold_key <= f"{now:012d}~",
                                                         limit=limit)]
        return sorted(found, key=lambda a: (a.hold_until or 0, a.event_id, a.user_id))[:limit]


def _counted(codes: list[str | None] | None, what: str) -> bool:
    """The outcome of a transaction of the event's counter (item 0) and a person's place (item
    1): True when written, False when the counter refused (no place left, or the event is no
    longer announced), PlaceChanged when the place was no longer the one read."""
    if codes is None:
        return True
    if codes[1] == CONDITION_FAILED:
        raise PlaceChanged()
    if codes[0] == CONDITION_FAILED:
        return False
    raise RuntimeError(f"DynamoDB cancelled {what}: {codes}")
