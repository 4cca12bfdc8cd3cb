"""Web Push subscriptions: each browser a person allowed to show call alerts, keyed by the
hash of its push endpoint beside the person's id."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import register


class PushSubscriptionRecord(Model):
    class Meta:
        table_name = "push_subscriptions"

    user_id = UnicodeAttribute(hash_key=True)
    endpoint_key = UnicodeAttribute(range_key=True)  # domain.push.endpoint_key(endpoint)
    endpoint = UnicodeAttribute()
    p256dh = UnicodeAttribute()
    auth = UnicodeAttribute()
    created_at = NumberAttribute()


register(PushSubscriptionRecord)
