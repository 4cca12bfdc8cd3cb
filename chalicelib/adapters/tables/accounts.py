"""Who people are: accounts, the usernames they hold, the sign-outs on record."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.tables import register


class UserRecord(Model):
    """A person's account profile, keyed by the Cognito `sub`."""

    class Meta:
        table_name = "users"

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    username = UnicodeAttribute()
    display_name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    username_changed_at = UnicodeAttribute(null=True)


class UsernamesOnHold(GlobalSecondaryIndex):
    """Names held by sign-ups not known to be confirmed, oldest first: the release job's Query."""

    class Meta:
        index_name = "on_hold"
        projection = AllProjection()

    hold = UnicodeAttribute(hash_key=True)
    held_since = NumberAttribute(range_key=True)


class UsernameRecord(Model):
    """Claims a username (case-folded) for one user; the key makes usernames unique."""

    class Meta:
        table_name = "usernames"

    username_key = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    user_id = UnicodeAttribute()
    # Set by sign-up until the account is known to be confirmed (a sparse index).
    hold = UnicodeAttribute(null=True)  # "unconfirmed"
    held_since = NumberAttribute(null=True)  # epoch seconds
    on_hold = UsernamesOnHold()


class RevocationRecord(Model):
    """A sign-out on record until the session it ended could no longer make tokens: one item per
    signed-out session (`session#<id>`) and one per person signed out everywhere (`user#<id>`),
    both read by one BatchGetItem for every token checked."""

    class Meta:
        table_name = "revocations"

    revocation_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    revoked_at = NumberAttribute()
    ttl = NumberAttribute()


register(UserRecord, UsernameRecord, RevocationRecord)
