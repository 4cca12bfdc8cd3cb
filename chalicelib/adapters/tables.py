"""PynamoDB models: the one definition of every DynamoDB table, used by the app, the local
stack (to create tables) and the CDK app (to declare them)."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.settings import Settings


class UserRecord(Model):
    """A person's account profile, keyed by the Cognito `sub`."""

    class Meta:
        table_name = "users"

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    username = UnicodeAttribute()
    display_name = UnicodeAttribute()
    created_at = UnicodeAttribute()


class UsernameRecord(Model):
    """Claims a username (case-folded) for one user; the key makes usernames unique."""

    class Meta:
        table_name = "usernames"

    username_key = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    user_id = UnicodeAttribute()


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
        projection = KeysOnlyProjection()

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
    by_user = ConnectionsByUser()
    by_expiry = ConnectionsByExpiry()


MODELS: dict[str, type[Model]] = {
    "users": UserRecord,
    "usernames": UsernameRecord,
    "connections": ConnectionRecord,
}
TTL_ATTRIBUTES = {"connections": "ttl"}


def bind_tables(settings: Settings) -> None:
    """Point every model at its table and endpoint; called once when dependencies are built."""
    for logical, model in MODELS.items():
        model.Meta.table_name = settings.table_name(logical)
        model.Meta.region = settings.region
        model.Meta.host = settings.aws_endpoint_url
        model._connection = None


def create_tables(settings: Settings) -> list[str]:
    """Create any missing table (local stack and tests); returns the names created."""
    bind_tables(settings)
    created = []
    for model in MODELS.values():
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
            created.append(model.Meta.table_name)
    return created
