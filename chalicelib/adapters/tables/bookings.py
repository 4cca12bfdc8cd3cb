"""Appointments: bookings, the 15-minute steps of a Helper's time they hold with the count of
bookings on each of the Helper's dates, and each Helper's booking rules."""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model

from chalicelib.adapters.tables import index, register


class BookingRecord(Model):
    """One booking; every change is conditional on `version`. `start_key` ("<start, 12
    digits>#<booking_id>") orders a Helper's and a customer's bookings by start; `due_shard` and
    `due_key` ("<due_at, 12 digits>#<booking_id>") are set only while `due_at` is, so the jobs'
    sweep is a Query per shard of a sparse index."""

    class Meta:
        table_name = "bookings"

    booking_id = UnicodeAttribute(hash_key=True)
    helper_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    start = NumberAttribute()
    length = NumberAttribute()
    end = NumberAttribute()  # start + length, for the Queries' filter between past and upcoming
    helper_zone = UnicodeAttribute()
    customer_zone = UnicodeAttribute()
    price_cents = NumberAttribute()
    currency = UnicodeAttribute()
    fee_cents = NumberAttribute()
    buffer_minutes = NumberAttribute()
    state = UnicodeAttribute()
    created_at = NumberAttribute()
    version = NumberAttribute()
    sequence = NumberAttribute(default=0)
    hold_until = NumberAttribute(null=True)
    payment_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    refund_cents = NumberAttribute(default=0)
    kept_cents = NumberAttribute(default=0)
    reminded = ListAttribute(of=UnicodeAttribute, default=list)
    call_id = UnicodeAttribute(null=True)
    note = UnicodeAttribute(default="")
    due_at = NumberAttribute(null=True)
    start_key = UnicodeAttribute()
    due_shard = NumberAttribute(null=True)
    due_key = UnicodeAttribute(null=True)
    helper_start = index("helper_start", ("helper_id", UnicodeAttribute), ("start_key", UnicodeAttribute))()
    customer_start = index("customer_start", ("customer_id", UnicodeAttribute), ("start_key", UnicodeAttribute))()
    by_due = index("by_due", ("due_shard", NumberAttribute), ("due_key", UnicodeAttribute))()


class BookingStepRecord(Model):
    """A Helper's time: `s#<step, 12 digits>` is a 15-minute step a booking holds (written on
    condition it does not exist, so two clashing bookings cannot both hold it; gone a week after
    the step by TTL), `d#<YYYY-MM-DD>` the count of live bookings on a date of their calendar."""

    class Meta:
        table_name = "booking_steps"

    helper_id = UnicodeAttribute(hash_key=True)
    slot = UnicodeAttribute(range_key=True)
    booking_id = UnicodeAttribute(null=True)  # a step's
    day = UnicodeAttribute(null=True)  # a step's: the date its booking counts on
    ttl = NumberAttribute(null=True)  # a step's
    booked = NumberAttribute(null=True, attr_name="count")  # a date's (`count` would hide Model.count)


class BookingRulesRecord(Model):
    """A Helper's booking rules and the secret of their calendar feed, found by it through a
    sparse index (only Helpers with a feed are in it)."""

    class Meta:
        table_name = "booking_rules"

    helper_id = UnicodeAttribute(hash_key=True)
    lengths = ListAttribute(of=NumberAttribute)
    notice_minutes = NumberAttribute()
    horizon_days = NumberAttribute()
    buffer_minutes = NumberAttribute()
    daily_max = NumberAttribute(null=True)
    manual_confirm = BooleanAttribute()
    fee_policy = UnicodeAttribute()
    overrides = JSONAttribute(default=dict)  # {"YYYY-MM-DD": [[start, end], ...]}, minutes of the day
    feed_token = UnicodeAttribute(null=True)
    updated_at = NumberAttribute()
    by_feed_token = index("by_feed_token", ("feed_token", UnicodeAttribute))()


class WaitingRecord(Model):
    """Someone waiting to hear when a Helper is next online and free ("Notify me"): `since` is
    set while they wait; `told_on` is the last day (UTC) they were told, so at most once a day."""

    class Meta:
        table_name = "waiting"

    helper_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    since = NumberAttribute(null=True)
    told_on = UnicodeAttribute(null=True)


register(BookingRecord, BookingStepRecord, BookingRulesRecord, WaitingRecord)
