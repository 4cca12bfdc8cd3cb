"""Calls, the call slots of a plan, the free sessions a Helper hosted and the ops flags they raise."""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.tables import index, register


class CallsByDeadline(GlobalSecondaryIndex):
    """Calls whose next timeout is due: the sweep's Query per shard, never a Scan."""

    class Meta:
        index_name = "by_deadline"
        projection = AllProjection()

    shard = NumberAttribute(hash_key=True)
    deadline = NumberAttribute(range_key=True)


class CallsByHelper(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_helper"
        projection = AllProjection()

    helper_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class CallsByCaller(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_caller"
        projection = AllProjection()

    caller_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class CallRecord(Model):
    """One call and its state; every change is a write conditional on `version`."""

    class Meta:
        table_name = "calls"

    call_id = UnicodeAttribute(hash_key=True)
    caller_id = UnicodeAttribute()
    helper_id = UnicodeAttribute()
    state = UnicodeAttribute()
    version = NumberAttribute()
    plan = UnicodeAttribute()
    created_at = NumberAttribute()
    state_deadline = NumberAttribute(null=True)
    deadline = NumberAttribute(null=True)  # absent once ended, so the sweep index forgets it
    shard = NumberAttribute()
    caller_connection = UnicodeAttribute(null=True)
    helper_connection = UnicodeAttribute(null=True)
    proposed = JSONAttribute(null=True)
    agreed = JSONAttribute(null=True)
    extension = BooleanAttribute(default=False)
    session_started_at = NumberAttribute(null=True)
    session_ends_at = NumberAttribute(null=True)
    minutes_used = NumberAttribute(default=0)
    caller_gone_since = NumberAttribute(null=True)
    helper_gone_since = NumberAttribute(null=True)
    negotiation_deadline = NumberAttribute(null=True)
    accepted_version = NumberAttribute(null=True)  # names the payment of the paid terms last accepted
    ended_at = NumberAttribute(null=True)
    end_reason = UnicodeAttribute(null=True)
    booking_id = UnicodeAttribute(null=True)  # a booked session's
    ttl = NumberAttribute(null=True)
    by_deadline = CallsByDeadline()
    by_helper = CallsByHelper()
    by_caller = CallsByCaller()


class CallSlotRecord(Model):
    """A helper's call slot on a plan with a limit of calls at once (the free plan has one)."""

    class Meta:
        table_name = "call_slots"

    helper_id = UnicodeAttribute(hash_key=True)
    slot = NumberAttribute(range_key=True)
    call_id = UnicodeAttribute()


class FreeSessionCountRecord(Model):
    """Free sessions a helper hosted in one week (Pacific, ISO week): one item per helper and week."""

    class Meta:
        table_name = "free_session_counts"

    week = UnicodeAttribute(hash_key=True)  # "2026-W49"
    helper_id = UnicodeAttribute(range_key=True)
    count = NumberAttribute(default=0)
    call_ids = UnicodeSetAttribute(null=True)  # the calls counted: a retried start is not counted twice
    ttl = NumberAttribute(null=True)


class OpsFlagRecord(Model):
    """Something ops should look at about a helper (hosting too many free sessions), raised once."""

    class Meta:
        table_name = "ops_flags"

    flag_id = UnicodeAttribute(hash_key=True)  # "{reason}:{helper_id}:{period}"
    helper_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    detail = UnicodeAttribute()
    flagged_at = NumberAttribute()
    state = UnicodeAttribute(default="open")
    closed_at = NumberAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)  # ops' note on closing
    queue = UnicodeAttribute(null=True)  # "open" while ops has not closed it (a sparse index)
    by_queue = index("by_queue", ("queue", UnicodeAttribute), ("flagged_at", NumberAttribute))()
    by_helper = index("by_helper", ("helper_id", UnicodeAttribute), ("flagged_at", NumberAttribute))()  # ops console


register(CallRecord, CallSlotRecord, FreeSessionCountRecord, OpsFlagRecord)
