"""Reviews and the reminders to write them (reports on them are `reports.py`)."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import index, register


class ReviewRecord(Model):
    """A caller's review of one session, keyed by its call (so a session has at most one), with
    the Helper's reply. `shown_helper` is the Helper's id while the review is shown (a sparse
    key: a hidden review leaves the Helper's indexes)."""

    class Meta:
        table_name = "reviews"

    call_id = UnicodeAttribute(hash_key=True)
    helper_id = UnicodeAttribute()
    caller_id = UnicodeAttribute()
    stars = NumberAttribute()
    text = UnicodeAttribute(default="")
    created_at = NumberAttribute()
    edited_at = NumberAttribute(null=True)
    session_minutes = NumberAttribute()
    author_name = UnicodeAttribute(default="")
    reply = JSONAttribute(null=True)  # {"text", "created_at", "edited_at"}
    refunded = BooleanAttribute(default=False)
    hidden = BooleanAttribute(default=False)
    moderation = JSONAttribute(null=True)  # {"decision", "note", "decided_by", "decided_at"}
    version = NumberAttribute()  # every change is conditional on the version it read
    shown_helper = UnicodeAttribute(null=True)
    newest = UnicodeAttribute()  # "<created_at, 12 digits>#<call_id>"
    by_stars = UnicodeAttribute()  # "<stars>#<created_at, 12 digits>#<call_id>"
    helper_newest = index("helper_newest", ("shown_helper", UnicodeAttribute), ("newest", UnicodeAttribute))()
    helper_by_stars = index("helper_by_stars", ("shown_helper", UnicodeAttribute),
                             ("by_stars", UnicodeAttribute))()
    caller_newest = index("caller_newest", ("caller_id", UnicodeAttribute), ("newest", UnicodeAttribute))()


class ReviewReminderRecord(Model):
    """A session whose caller is asked once, by email, to rate it if they have not; due at a
    time, found by the reminder job with a Query per shard of its index (never a Scan)."""

    class Meta:
        table_name = "review_reminders"

    call_id = UnicodeAttribute(hash_key=True)
    caller_id = UnicodeAttribute()
    due_at = NumberAttribute()
    shard = NumberAttribute()
    by_due = index("by_due", ("shard", NumberAttribute), ("due_at", NumberAttribute))()


register(ReviewRecord, ReviewReminderRecord)
