"""Events a Helper announces, and each person's place for one (going, offered, waiting, left)."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import index, register


class EventRecord(Model):
    """One event. `taken` (places going and offered) and `waiting` are counters changed only in
    the transactions that change a person's place, `taken` on condition it stays within
    `capacity`; the Helper's edits are conditional on `version` and leave them alone.
    `start_key` ("<start, 12 digits>#<event_id>") orders a Helper's events; `due_shard` and
    `due_key` are set only while a reminder (or a cancellation's refunds and notices) is due, a
    sparse index the job Queries per shard."""

    class Meta:
        table_name = "events"

    event_id = UnicodeAttribute(hash_key=True)
    helper_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    description_html = UnicodeAttribute(default="")
    summary = UnicodeAttribute(default="")
    starts_at = NumberAttribute()
    ends_at = NumberAttribute()
    zone = UnicodeAttribute()
    where = UnicodeAttribute()
    location = UnicodeAttribute()
    capacity = NumberAttribute()
    price_cents = NumberAttribute()
    currency = UnicodeAttribute()
    state = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    version = NumberAttribute()
    sequence = NumberAttribute(default=0)
    taken = NumberAttribute(default=0)
    waiting = NumberAttribute(default=0)
    reminded = ListAttribute(of=UnicodeAttribute, default=list)
    cancel_reason = UnicodeAttribute(default="")
    hidden_note = UnicodeAttribute(null=True)  # ops hid it after a report
    start_key = UnicodeAttribute()
    due_shard = NumberAttribute(null=True)
    due_key = UnicodeAttribute(null=True)
    helper_start = index("helper_start", ("helper_id", UnicodeAttribute), ("start_key", UnicodeAttribute))()
    by_due = index("by_due", ("due_shard", NumberAttribute), ("due_key", UnicodeAttribute))()


class AttendanceRecord(Model):
    """A person's place for an event. While waiting, `wait_event` and `wait_key` ("<joined_at,
    12 digits>#<user_id>") put it on the sparse `waitlist` index, read in order by one Query;
    while an offered place waits for its payment, `hold_shard` and `hold_key` put it on the
    sparse `by_hold` index the job Queries per shard."""

    class Meta:
        table_name = "event_attendance"

    event_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    place = UnicodeAttribute()
    joined_at = NumberAttribute()
    updated_at = NumberAttribute()
    version = NumberAttribute()
    zone = UnicodeAttribute(default="UTC")
    hold_until = NumberAttribute(null=True)
    payment_id = UnicodeAttribute(null=True)
    paid_cents = NumberAttribute(default=0)
    refunded_cents = NumberAttribute(default=0)
    wait_event = UnicodeAttribute(null=True)
    wait_key = UnicodeAttribute(null=True)
    hold_shard = NumberAttribute(null=True)
    hold_key = UnicodeAttribute(null=True)
    waitlist = index("waitlist", ("wait_event", UnicodeAttribute), ("wait_key", UnicodeAttribute))()
    by_hold = index("by_hold", ("hold_shard", NumberAttribute), ("hold_key", UnicodeAttribute))()


register(EventRecord, AttendanceRecord)
