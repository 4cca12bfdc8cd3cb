"""Contract tests for call alert subscriptions: the in-memory twin and DynamoDB (moto over HTTP)
pass the same tests — one per endpoint (the same endpoint again replaces its keys), a limit per
person, removing twice removes once, and each person's are their own."""
from __future__ import annotations

import dataclasses
import uuid

import pytest

from chalicelib.adapters.push import InMemoryPushSubscriptionStore, Subscription

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamo(app_env):
    """The subscriptions table of this test alone on the stack's moto (a prefix of its own)."""
    from chalicelib.adapters.push import DynamoPushSubscriptionStore
    from chalicelib.adapters.tables import bind_tables
    from chalicelib.adapters.tables.push import PushSubscriptionRecord

    bind_tables(dataclasses.replace(app_env.settings(), table_prefix=f"ps-{uuid.uuid4().hex[:8]}-"))
    PushSubscriptionRecord.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    try:
        yield DynamoPushSubscriptionStore()
    finally:
        PushSubscriptionRecord.delete_table()
        bind_tables(app_env.settings())


@pytest.fixture(params=["twin", "dynamo"])
def store(request):
    return InMemoryPushSubscriptionStore() if request.param == "twin" else request.getfixturevalue("dynamo")


def _sub(user_id: str, n: int, auth: str = "a") -> Subscription:
    return Subscription(user_id, f"https://push.example.com/send/{n}", f"key-{n}", auth, 1_800_000_000 + n)


def test_one_per_endpoint_the_same_endpoint_again_replaces_its_keys(store):
    assert store.add(_sub("ada", 1), limit=2)
    assert store.add(_sub("ada", 1, auth="b"), limit=2)
    assert [s.auth for s in store.for_user("ada")] == ["b"]


def test_at_most_the_limit_a_person_but_a_known_endpoint_always_refreshes(store):
    assert store.add(_sub("ada", 1), limit=2) and store.add(_sub("ada", 2), limit=2)
    assert not store.add(_sub("ada", 3), limit=2)
    assert store.add(_sub("ada", 2, auth="c"), limit=2)  # at the limit, still refreshed
    assert store.add(_sub("bob", 3), limit=2)  # per person
    assert sorted(s.endpoint for s in store.for_user("ada")) == [_sub("ada", 1).endpoint, _sub("ada", 2).endpoint]


def test_removing_twice_removes_once_and_only_the_persons_own(store):
    store.add(_sub("ada", 1), limit=5)
    store.add(_sub("bob", 1), limit=5)
    assert store.remove("ada", _sub("ada", 1).endpoint) is True
    assert store.remove("ada", _sub("ada", 1).endpoint) is False
    assert store.for_user("ada") == [] and [s.user_id for s in store.for_user("bob")] == ["bob"]
    assert store.for_user("bob")[0] == _sub("bob", 1)
