"""The ops dashboard's daily figures: one item per UTC day, its counters raised by atomic ADDs where
the business events happen (a call rung or answered, a payment captured, a refund, a payout paid),
so the dashboard reads a day with one GetItem and a week with one BatchGetItem, never a Scan."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import register


class OpsDayRecord(Model):
    class Meta:
        table_name = "ops_stats"

    day = UnicodeAttribute(hash_key=True)  # "2026-12-06", UTC
    calls_rung = NumberAttribute(null=True)
    calls_answered = NumberAttribute(null=True)
    payments = NumberAttribute(null=True)  # captures of every kind
    paid_sessions = NumberAttribute(null=True)  # captures of a call's terms or a booked session
    revenue_cents = NumberAttribute(null=True)  # captured, every kind
    platform_fee_cents = NumberAttribute(null=True)
    refunds = NumberAttribute(null=True)
    refund_cents = NumberAttribute(null=True)
    payouts = NumberAttribute(null=True)  # payout items PayPal paid
    payout_cents = NumberAttribute(null=True)


register(OpsDayRecord)
