"""Contract tests for following: the in-memory twin and DynamoDB (moto over HTTP) pass the same
tests — following twice counts once, unfollowing twice moves nothing, the count stays exact with
many at once, followers page in id order by mode, a person's Following list, a fan-out opens once
and joins the week's digest, a claim is won once, and the cursor moves only from what was read."""
from __future__ import annotations

import dataclasses
import uuid

import pytest

from chalicelib.adapters.follows import InMemoryFollowStore
from chalicelib.domain import follows as rules
from chalicelib.domain.posts import FollowMode
from tests.support.race import race

pytestmark = pytest.mark.integration

NOW = 1_796_000_000
MODELS = ("FollowRecord", "FollowerCountRecord", "FanOutRecord", "SendClaimRecord")


@pytest.fixture
def dynamo(app_env):
    """The follow tables of this test alone on the stack's moto (a prefix of their own)."""
    from chalicelib.adapters.follows import DynamoFollowStore
    from chalicelib.adapters.tables import bind_tables
    from chalicelib.adapters.tables import follows as tables

    connection = bind_tables(dataclasses.replace(app_env.settings(), table_prefix=f"fl-{uuid.uuid4().hex[:8]}-"))
    models = [getattr(tables, name) for name in MODELS]
    for model in models:
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    try:
        yield DynamoFollowStore(connection)
    finally:
        for model in models:
            model.delete_table()
        bind_tables(app_env.settings())


@pytest.fixture(params=["in-memory", "dynamodb"])
def store(request):
    if request.param == "in-memory":
        return InMemoryFollowStore()
    return request.getfixturevalue("dynamo")


def test_following_twice_counts_once_and_unfollowing_twice_moves_nothing(store):
    assert store.follow("ada", "bob", FollowMode.EACH, now=NOW) is True
    assert store.follow("ada", "bob", FollowMode.DIGEST, now=NOW + 5) is False
    assert store.get("ada", "bob") == rules.Follow("ada", "bob", FollowMode.DIGEST, NOW)
    assert store.count("ada") == 1
    assert store.unfollow("ada", "bob") is True
    assert store.unfollow("ada", "bob") is False
    assert store.count("ada") == 0 and store.get("ada", "bob") is None
    assert store.set_mode("ada", "bob", FollowMode.NONE) is False and store.get("ada", "bob") is None
    assert store.count("nobody") == 0


def test_the_count_is_exact_when_many_follow_and_unfollow_at_once(store):
    moves = [lambda n=n: store.follow("ada", f"p{n:02d}", FollowMode.EACH, now=NOW) for n in range(12)]
    moves += [lambda n=n: store.follow("ada", f"p{n:02d}", FollowMode.DIGEST, now=NOW) for n in range(12)]
    outcomes = race(moves, who="follower")
    assert not [o for o in outcomes if isinstance(o, BaseException)]
    assert outcomes.count(True) == 12 and store.count("ada") == 12
    outcomes = race([lambda n=n: store.unfollow("ada", f"p{n % 4:02d}") for n in range(12)], who="unfollower")
    assert outcomes.count(True) == 4 and store.count("ada") == 8


def test_followers_page_in_id_order_by_mode(store):
    for n in range(7):
        store.follow("ada", f"p{n}", FollowMode.EACH if n % 2 == 0 else FollowMode.DIGEST, now=NOW)
    store.follow("other", "p9", FollowMode.EACH, now=NOW)
    assert store.followers("ada", FollowMode.EACH, after=None, limit=2) == ["p0", "p2"]
    assert store.followers("ada", FollowMode.EACH, after="p2", limit=10) == ["p4", "p6"]
    assert store.followers("ada", FollowMode.DIGEST, after=None, limit=10) == ["p1", "p3", "p5"]
    assert store.followers("ada", FollowMode.NONE, after=None, limit=10) == []


def test_a_person_lists_whom_they_follow(store):
    for helper in ("h3", "h1", "h2"):
        store.follow(helper, "bob", FollowMode.EACH, now=NOW)
    store.follow("h1", "carol", FollowMode.EACH, now=NOW)
    assert [f.helper_id for f in store.following("bob", after=None, limit=2)] == ["h1", "h2"]
    assert [f.helper_id for f in store.following("bob", after="h2", limit=2)] == ["h3"]


def _announced(item_id: str, kind: str = "post") -> rules.Announced:
    return rules.check_announcement(kind=kind, item_id=item_id, title=f"Title {item_id}", path=f"/h/ada/{item_id}",
                                    summary="" if item_id.endswith("0") else "Short")


def test_a_fanout_opens_once_and_joins_the_weeks_digest(store):
    first = rules.announcement("ada", _announced("x1"), now=NOW)
    assert store.open_fanout(first, rules.digest("ada", now=NOW)) is True
    assert store.open_fanout(first, rules.digest("ada", now=NOW)) is False
    store.open_fanout(rules.announcement("ada", _announced("e0", "event"), now=NOW + 1), rules.digest("ada", now=NOW))
    opened = store.get_fanout("post:x1")
    assert opened == rules.FanOut("post:x1", "ada", FollowMode.EACH, NOW, (_announced("x1"),))
    week, ends = rules.week_of(NOW)
    digest = store.get_fanout(rules.digest_id("ada", week))
    assert digest.mode is FollowMode.DIGEST and digest.due_at == ends
    assert [i.item_id for i in digest.items] == ["x1", "e0"] and digest.items[1].summary == ""
    assert [f.fanout_id for f in store.due(FollowMode.EACH, now=NOW, limit=10)] == ["post:x1"]
    assert [f.fanout_id for f in store.due(FollowMode.EACH, now=NOW + 1, limit=10)] == ["post:x1", "event:e0"]
    assert store.due(FollowMode.DIGEST, now=ends - 1, limit=10) == []
    assert [f.fanout_id for f in store.due(FollowMode.DIGEST, now=ends, limit=10)] == [digest.fanout_id]


def test_a_digest_that_began_sending_takes_no_more_items(store):
    store.open_fanout(rules.announcement("ada", _announced("a1"), now=NOW), rules.digest("ada", now=NOW))
    digest = store.get_fanout(rules.digest_id("ada", rules.week_of(NOW)[0]))
    assert store.advance(digest, cursor="p1", sent=1, done=False, now=NOW) is True
    store.open_fanout(rules.announcement("ada", _announced("a2"), now=NOW), rules.digest("ada", now=NOW))
    assert [i.item_id for i in store.get_fanout(digest.fanout_id).items] == ["a1"]


def test_the_cursor_moves_only_from_what_was_read_and_a_done_fanout_leaves_the_queue(store):
    store.open_fanout(rules.announcement("ada", _announced("x1"), now=NOW), rules.digest("ada", now=NOW))
    read = store.get_fanout("post:x1")
    assert store.advance(read, cursor="p4", sent=5, done=False, now=NOW) is True
    assert store.advance(read, cursor="p9", sent=5, done=False, now=NOW) is False  # stale
    moved = store.get_fanout("post:x1")
    assert (moved.cursor, moved.sent) == ("p4", 5)
    assert store.advance(moved, cursor="p6", sent=2, done=True, now=NOW + 9) is True
    done = store.get_fanout("post:x1")
    assert (done.cursor, done.sent, done.done_at) == ("p6", 7, NOW + 9)
    assert store.due(FollowMode.EACH, now=NOW + 10, limit=10) == []
    assert store.advance(done, cursor="p7", sent=1, done=True, now=NOW + 10) is False


def test_a_follower_is_claimed_once_for_a_fanout_even_by_racing_runs(store):
    outcomes = race([lambda: store.claim("post:x1", "bob", now=NOW) for _ in range(8)], who="claimer")
    assert outcomes.count(True) == 1 and outcomes.count(False) == 7
    assert store.claim("post:x2", "bob", now=NOW) is True
    store.release("post:x2", "bob")  # not sent after all: claimable again, once
    assert store.claim("post:x2", "bob", now=NOW) is True and store.claim("post:x2", "bob", now=NOW) is False


@pytest.fixture(params=["in-memory", "dynamodb"])
def facts_and_follows(request):
    """What a Helper's public page reads beside the page, and the follows it counts."""
    from chalicelib.adapters.categories import InMemoryCategoryStore
    from chalicelib.adapters.page_facts import DynamoPageFacts, InMemoryPageFacts
    from chalicelib.adapters.presence import InMemoryPresenceStore

    if request.param == "in-memory":
        follows = InMemoryFollowStore()
        return InMemoryPageFacts(InMemoryPresenceStore(), InMemoryCategoryStore(), follows), follows
    app_env = request.getfixturevalue("app_env")
    return DynamoPageFacts(), app_env.follow_store()


def test_the_public_page_reads_the_follower_count_with_status_and_names(facts_and_follows):
    from chalicelib.domain.presence import Status

    facts, store = facts_and_follows
    helper = f"h-{uuid.uuid4().hex}"
    assert facts.status_names_and_followers(helper, []) == (Status.OFFLINE, {}, 0)
    for n in range(3):
        store.follow(helper, f"p{n}", FollowMode.EACH, now=NOW)
    store.unfollow(helper, "p0")
    assert facts.status_names_and_followers(helper, ["no-such-category"]) == (Status.OFFLINE, {}, 2)
    assert facts.status_and_names(helper, []) == (Status.OFFLINE, {})
