"""Appointments in DynamoDB (tables/bookings.py): bookings, the steps of a Helper's time they hold
with the count of bookings on each of the Helper's dates, and the booking rules. The contracts
and the in-memory twins are in `adapters/bookings.py`.

A booking is written with its steps, each on condition it does not exist, and its date's count,
on condition it is below the daily maximum, in one TransactWriteItems: of two bookings that
share a step exactly one is written, and which condition cancelled the other says why. Releasing
or moving a booking gives its steps and count back in the same way, over the version read.
"""
from __future__ import annotations

import zlib
from datetime import date
from typing import Any, Iterable

from chalicelib.adapters.bookings import HeldStep, HelperBookingRules
from chalicelib.adapters.dynamo_writes import (
    ATTEMPTS,
    CONDITION_FAILED,
    Update,
    code,
    conflicted,
    over_version,
    time_page,
    transact,
    written,
)
from chalicelib.adapters.tables.bookings import BookingRecord, BookingRulesRecord, BookingStepRecord
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

DUE_SHARDS = 4  # bookings with something due are spread over this many partitions of the due index
# No booking is longer (checked as it is written): the bookings still running at `now` all started
# within it, so the upcoming listing's Query starts that far back; and a move's transaction (the
# booking, its old and new steps with the longest buffer, two dates' counts) stays within
# DynamoDB's 100 items.
LONGEST_MINUTES = 8 * 60
STEPS_KEPT_SECONDS = 7 * 86_400  # a step's item goes (TTL) a week after the step


# -- records ---------------------------------------------------------------------------------

def _at(instant: int, key: str) -> str:
    return f"{instant:012d}#{key}"


def _due_shard(booking_id: str) -> int:
    return zlib.crc32(booking_id.encode()) % DUE_SHARDS


def _booking_record(booking: Booking) -> BookingRecord:
    if not 0 < booking.length <= LONGEST_MINUTES:
        raise ValueError(f"booking {booking.booking_id}: {booking.length} minutes")
    due = booking.due_at is not None
    return BookingRecord(
        booking.booking_id, helper_id=booking.helper_id, customer_id=booking.customer_id, start=booking.start,
        length=booking.length, end=booking.end, helper_zone=booking.helper_zone,
        customer_zone=booking.customer_zone, price_cents=booking.price_cents, currency=booking.currency,
        fee_cents=booking.fee_cents, buffer_minutes=booking.buffer_minutes, state=booking.state.value,
        created_at=booking.created_at, version=booking.version, sequence=booking.sequence,
        hold_until=booking.hold_until, payment_id=booking.payment_id,
        reason=booking.reason.value if booking.reason else None, refund_cents=booking.refund_cents,
        kept_cents=booking.kept_cents, reminded=list(booking.reminded), call_id=booking.call_id, note=booking.note,
        due_at=booking.due_at, start_key=_at(booking.start, booking.booking_id),
        due_shard=_due_shard(booking.booking_id) if due else None,
        due_key=_at(booking.due_at, booking.booking_id) if due else None)


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


def _booking(record: Any) -> Booking:
    return Booking(
        booking_id=record.booking_id, helper_id=record.helper_id, customer_id=record.customer_id,
        start=int(record.start), length=int(record.length), helper_zone=record.helper_zone,
        customer_zone=record.customer_zone, price_cents=int(record.price_cents), currency=record.currency,
        fee_cents=int(record.fee_cents), buffer_minutes=int(record.buffer_minutes),
        state=BookingState(record.state), created_at=int(record.created_at), version=int(record.version),
        sequence=int(record.sequence or 0), hold_until=_number(record.hold_until), payment_id=record.payment_id,
        reason=Reason(record.reason) if record.reason else None, refund_cents=int(record.refund_cents or 0),
        kept_cents=int(record.kept_cents or 0), reminded=tuple(record.reminded or ()), call_id=record.call_id,
        note=record.note or "", due_at=_number(record.due_at))


def _booking_update(before: Booking, after: Booking) -> Update:
    """`after` written over `before` if it is still at its version (every attribute `after` has
    not, such as the due index's once nothing is due, removed)."""
    update = Update(BookingRecord, {"booking_id": {"S": after.booking_id}}).replacing_with(_booking_record(after))
    update.conditions.append(f"{update.name('version')} = {update.number(before.version)}")
    return update


def _step_slot(step: int) -> str:
    return f"s#{step:012d}"


def _day_slot(day: date) -> str:
    return f"d#{day.isoformat()}"


def _slot_key(helper_id: str, slot: str) -> dict:
    return {"helper_id": {"S": helper_id}, "slot": {"S": slot}}


def _taking(booking: Booking, step: int, *, already_its: bool = False) -> dict:
    """The transaction item writing a step `booking` holds: on condition no booking holds it
    (or, for a step a move keeps, that this one does: the step then counts on the new date)."""
    item = BookingStepRecord(booking.helper_id, _step_slot(step), booking_id=booking.booking_id,
                             day=booking.day.isoformat(),
                             ttl=(step + 1) * STEP_SECONDS + STEPS_KEPT_SECONDS).serialize()
    if already_its:
        condition = {"ConditionExpression": "#booking = :booking",
                     "ExpressionAttributeNames": {"#booking": "booking_id"},
                     "ExpressionAttributeValues": {":booking": {"S": booking.booking_id}}}
    else:
        condition = {"ConditionExpression": "attribute_not_exists(#slot)",
                     "ExpressionAttributeNames": {"#slot": "slot"}}
    return {"Put": {"TableName": BookingStepRecord.Meta.table_name, "Item": item, **condition}}


def _freeing(booking: Booking, step: int) -> dict:
    """The transaction item deleting a step `booking` holds: never another booking's, and no
    matter if it is gone already (its TTL passed)."""
    return {"Delete": {
        "TableName": BookingStepRecord.Meta.table_name, "Key": _slot_key(booking.helper_id, _step_slot(step)),
        "ConditionExpression": "attribute_not_exists(#slot) OR #booking = :booking",
        "ExpressionAttributeNames": {"#slot": "slot", "#booking": "booking_id"},
        "ExpressionAttributeValues": {":booking": {"S": booking.booking_id}}}}


def _counting(helper_id: str, day: date, by: int, *, daily_max: int | None = None) -> dict:
    """The transaction item adding `by` to a date's count of bookings; with `daily_max`, on
    condition the date has fewer (a date without its item has none: room, unless the maximum is 0)."""
    update = Update(BookingStepRecord, _slot_key(helper_id, _day_slot(day)))
    count = update.name("count")
    update.adds.append(f"{count} {update.number(by)}")
    if daily_max is not None:
        below = f"{count} < {update.number(daily_max)}"
        update.conditions.append(below if daily_max < 1 else f"attribute_not_exists({count}) OR {below}")
    return update.item()


def _cancelled(client: Any, items: list[dict]) -> list[str | None] | None:
    """Writes `items` in one transaction, again when another transaction held one of them: None
    when written, else the reason each item gave for cancelling it."""
    for _ in range(ATTEMPTS):
        reasons = transact(client, items)
        if reasons is None:
            return None
        if not conflicted(reasons):
            return [code(reason) for reason in reasons]
    raise RuntimeError(f"DynamoDB cancelled the transaction {ATTEMPTS} times for conflicts")


def _failed(codes: Iterable[str | None]) -> bool:
    return any(found == CONDITION_FAILED for found in codes)


# -- listings --------------------------------------------------------------------------------

def _page(index: Any, hash_key: str, *, upcoming: bool, now: int, limit: int, after: dict | None
          ) -> tuple[list[Booking], dict | None]:
    """A page of bookings ending after `now` soonest first, or the others latest first."""
    page, more = time_page(index, hash_key, start_key=BookingRecord.start_key, end=BookingRecord.end,
                           upcoming=upcoming, now=now, longest=LONGEST_MINUTES * 60, limit=limit, after=after)
    return [_booking(record) for record in page], more


# -- the stores ------------------------------------------------------------------------------

class DynamoBookingStore:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # the tables' shared pynamodb Connection, for transactions

    def book(self, booking: Booking, *, daily_max: int | None) -> None:
        steps = booking.steps
        items = [{"Put": {"TableName": BookingRecord.Meta.table_name, "Item": _booking_record(booking).serialize(),
                          "ConditionExpression": "attribute_not_exists(booking_id)"}}]
        items += [_taking(booking, step) for step in steps]
        items.append(_counting(booking.helper_id, booking.day, 1, daily_max=daily_max))
        codes = _cancelled(self._connection.client, items)
        if codes is None:
            return
        if codes[0] == CONDITION_FAILED:
            raise ValueError(f"booking {booking.booking_id} exists")
        if _failed(codes[1:-1]):
            raise SlotTaken(booking.start)
        if _failed(codes[-1:]):
            raise DayFull(booking.day)
        raise RuntimeError(f"DynamoDB cancelled the booking: {codes}")

    def get(self, booking_id: str) -> Booking | None:
        try:
            return _booking(BookingRecord.get(booking_id, consistent_read=True))
        except BookingRecord.DoesNotExist:
            return None

    def transition(self, before: Booking, after: Booking) -> bool:
        return written(self._connection.client, _booking_update(before, after))

    def release(self, before: Booking, after: Booking) -> bool:
        if not before.live:
            return False
        items = [_booking_update(before, after).item()]
        items += [_freeing(before, step) for step in before.steps]
        items.append(_counting(before.helper_id, before.day, -1))
        return over_version(self._connection.client, items)

    def move(self, before: Booking, after: Booking, *, daily_max: int | None) -> bool:
        """As the contract says: the steps both times hold stay (rewritten for the new date if
        it changes), the others are given back or taken; the counts change only across dates."""
        if not before.live:
            return False
        old, new = set(before.steps), set(after.steps)
        same_day = before.day == after.day
        taking = [_taking(after, step) for step in sorted(new - old)]
        if not same_day:
            taking += [_taking(after, step, already_its=True) for step in sorted(old & new)]
        items = [_booking_update(before, after).item(), *taking]
        items += [_freeing(before, step) for step in sorted(old - new)]
        if not same_day:
            items += [_counting(before.helper_id, before.day, -1),
                      _counting(after.helper_id, after.day, 1, daily_max=daily_max)]
        codes = _cancelled(self._connection.client, items)
        if codes is None:
            return True
        if codes[0] == CONDITION_FAILED:
            return False
        if _failed(codes[1:1 + len(taking)]):
            raise SlotTaken(after.start)
        if not same_day and codes[-1] == CONDITION_FAILED:
            raise DayFull(after.day)
        raise RuntimeError(f"DynamoDB cancelled the move: {codes}")

    def held(self, helper_id: str, *, first_step: int, last_step: int) -> list[HeldStep]:
        if first_step > last_step:
            return []  # DynamoDB refuses a BETWEEN whose bounds are the wrong way round
        records = BookingStepRecord.query(
            helper_id, BookingStepRecord.slot.between(_step_slot(first_step), _step_slot(last_step)),
            consistent_read=True)
        return [HeldStep(int(record.slot[2:]), record.booking_id, date.fromisoformat(record.day))
                for record in records]

    def for_helper(self, helper_id: str, *, upcoming: bool, now: int, limit: int,
                   after: dict | None = None) -> tuple[list[Booking], dict | None]:
        return _page(BookingRecord.helper_start, helper_id, upcoming=upcoming, now=now, limit=limit, after=after)

    def for_customer(self, customer_id: str, *, upcoming: bool, now: int, limit: int,
                     after: dict | None = None) -> tuple[list[Booking], dict | None]:
        return _page(BookingRecord.customer_start, customer_id, upcoming=upcoming, now=now, limit=limit,
                     after=after)

    def due(self, now: int, *, limit: int) -> list[Booking]:
        found = [_booking(record) for shard in range(DUE_SHARDS)
                 for record in BookingRecord.by_due.query(shard, BookingRecord.due_key <= f"{now:012d}~",
                                                          limit=limit)]
        return sorted(found, key=lambda b: (b.due_at, b.booking_id))[:limit]


def _rules_record(helper: HelperBookingRules) -> BookingRulesRecord:
    rules = helper.rules
    return BookingRulesRecord(
        helper.helper_id, lengths=list(rules.lengths), notice_minutes=rules.notice_minutes,
        horizon_days=rules.horizon_days, buffer_minutes=rules.buffer_minutes, daily_max=rules.daily_max,
        manual_confirm=rules.manual_confirm, fee_policy=rules.fee_policy.value,
        overrides={day.isoformat(): [[w.start, w.end] for w in windows] for day, windows in rules.overrides.items()},
        feed_token=helper.feed_token or None,  # an index key is never empty
        updated_at=helper.updated_at)


def _rules(record: Any) -> HelperBookingRules:
    rules = BookingRules(
        lengths=tuple(int(n) for n in record.lengths), notice_minutes=int(record.notice_minutes),
        horizon_days=int(record.horizon_days), buffer_minutes=int(record.buffer_minutes),
        daily_max=_number(record.daily_max), manual_confirm=bool(record.manual_confirm),
        fee_policy=FeePolicy(record.fee_policy),
        overrides={date.fromisoformat(day): tuple(Window(int(start), int(end)) for start, end in windows)
                   for day, windows in (record.overrides or {}).items()})
    return HelperBookingRules(helper_id=record.helper_id, rules=rules, feed_token=record.feed_token,
                              updated_at=int(record.updated_at))


class DynamoBookingRulesStore:
    def get(self, helper_id: str) -> HelperBookingRules | None:
        try:
            return _rules(BookingRulesRecord.get(helper_id, consistent_read=True))
        except BookingRulesRecord.DoesNotExist:
            return None

    def save(self, rules: HelperBookingRules) -> None:
        _rules_record(rules).save()

    def by_feed_token(self, token: str) -> HelperBookingRules | None:
        """The index finds the Helper; their rules, read consistently, say whether the token still
        opens the feed (the index may not yet know it was replaced)."""
        if not token:
            return None
        for record in BookingRulesRecord.by_feed_token.query(token, limit=1):
            current = self.get(record.helper_id)
            return current if current is not None and current.feed_token == token else None
        return None
