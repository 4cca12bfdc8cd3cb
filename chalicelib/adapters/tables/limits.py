"""Abuse limits and undeliverable addresses: the app's own guard rails where WAF cannot see who
is asking (adapters/rate_limits.py, adapters/undeliverable.py)."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import register


class RateLimitRecord(Model):
    """One item per limited key and fixed window: the hits counted so far, gone (TTL) after the
    window has passed."""

    class Meta:
        table_name = "rate_limits"

    window_key = UnicodeAttribute(hash_key=True)  # "<key>#<window start, epoch seconds>"
    hits = NumberAttribute(null=True)
    ttl = NumberAttribute(null=True)


class UndeliverableRecord(Model):
    """An address SES said bounced permanently or was complained about: email to it is not sent
    again until its owner confirms it again."""

    class Meta:
        table_name = "undeliverable"

    address = UnicodeAttribute(hash_key=True)  # lowercased
    reason = UnicodeAttribute()  # "bounce:Permanent/General", "complaint:abuse"
    at = NumberAttribute()
    feedback_id = UnicodeAttribute(null=True)


register(RateLimitRecord, UndeliverableRecord)
