"""The notification centre: each person's notices (newest last in key order, kept 180 days by
TTL) and one item per person with their unread count, how far they have read and their
preferences per category."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import register


class NoticeRecord(Model):
    class Meta:
        table_name = "notices"

    user_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)  # domain.notices.sort_key: "<at, 10 digits>#<notice id>"
    notice_id = UnicodeAttribute()
    at = NumberAttribute()
    kind = UnicodeAttribute()
    category = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute(default="")
    url = UnicodeAttribute()
    ttl = NumberAttribute(null=True)


class NoticeStateRecord(Model):
    """`unread` moves by ADD as notices arrive and is set to 0 when the person reads them all;
    `read_through` is the sort key of the newest notice read then; `preferences` the person's
    choices (JSON, category -> {email, push}), written by SET alone so a count never clobbers it."""

    class Meta:
        table_name = "notice_states"

    user_id = UnicodeAttribute(hash_key=True)
    unread = NumberAttribute(default=0)
    read_through = UnicodeAttribute(null=True)
    preferences = UnicodeAttribute(null=True)


register(NoticeRecord, NoticeStateRecord)
