"""The open WebSocket connections."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.tables import register


class ConnectionsByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)


class ConnectionsByExpiry(GlobalSecondaryIndex):
    """Lets the sweeper find expired connections with a Query per shard, never a Scan."""

    class Meta:
        index_name = "by_expiry"
        projection = AllProjection()

    shard = NumberAttribute(hash_key=True)
    expires_at = NumberAttribute(range_key=True)


class ConnectionRecord(Model):
    """One open WebSocket connection and who holds it."""

    class Meta:
        table_name = "connections"

    connection_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    connected_at = NumberAttribute()
    expires_at = NumberAttribute()
    shard = NumberAttribute()
    ttl = NumberAttribute()
    session_id = UnicodeAttribute(null=True)  # the sign-in of the token it connected with
    by_user = ConnectionsByUser()
    by_expiry = ConnectionsByExpiry()


register(ConnectionRecord)
