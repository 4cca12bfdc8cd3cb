"""Contract tests for polls: the in-memory twin and DynamoDB (moto over HTTP) pass the same tests
— a poll reads back, the Helper's polls newest first, a vote and a changed vote move the counts
exactly once, a stale or closed vote writes nothing, and 200 people voting at once leave exact
counts."""
from __future__ import annotations

import dataclasses
import random
import uuid

import pytest

from chalicelib.adapters.polls import InMemoryPollStore
from chalicelib.domain.polls import Poll, ResultsShown, VoteChange, vote
from tests.support.race import race

pytestmark = pytest.mark.integration

NOW = 1_800_000_000


@pytest.fixture
def dynamo(app_env):
    """The poll tables of this test alone on the stack's moto (a prefix of their own)."""
    from chalicelib.adapters.polls import DynamoPollStore
    from chalicelib.adapters.tables import bind_tables
    from chalicelib.adapters.tables.posts import PollRecord, VoteRecord

    connection = bind_tables(dataclasses.replace(app_env.settings(), table_prefix=f"pl-{uuid.uuid4().hex[:8]}-"))
    for model in (PollRecord, VoteRecord):
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    try:
        yield DynamoPollStore(connection)
    finally:
        for model in (PollRecord, VoteRecord):
            model.delete_table()
        bind_tables(app_env.settings())


@pytest.fixture(params=["in-memory", "dynamodb"])
def polls(request):
    return InMemoryPollStore() if request.param == "in-memory" else request.getfixturevalue("dynamo")


def new_poll(polls, helper_id: str = "ada", *, created: int = NOW, closes_at: int | None = NOW + 3600) -> Poll:
    poll = Poll(poll_id=f"{created:012d}-{uuid.uuid4().hex[:6]}", helper_id=helper_id, question="Which day?",
                options=("Mon", "Tue", "Wed"), results=ResultsShown.LIVE, created_at=created, closes_at=closes_at)
    polls.create(poll)
    return poll


def test_a_poll_reads_back_and_a_helpers_polls_come_newest_first(polls):
    first, second = new_poll(polls, created=NOW), new_poll(polls, created=NOW + 10, closes_at=None)
    assert polls.get("ada", first.poll_id) == first
    assert [p.poll_id for p in polls.for_helper("ada", limit=10)] == [second.poll_id, first.poll_id]
    assert polls.get("ada", "nope") is None and polls.counts(first) == {}


def test_a_vote_and_a_changed_vote_move_the_counts_once(polls):
    poll = new_poll(polls)
    assert polls.cast(poll, "bob", VoteChange(gained=1), now=NOW)
    assert polls.cast(poll, "cy", VoteChange(gained=1), now=NOW)
    assert polls.cast(poll, "bob", VoteChange(gained=2, lost=1), now=NOW + 1)
    assert polls.counts(poll) == {1: 1, 2: 1} and polls.vote_of(poll, "bob") == 2
    # a stale vote (bob's is 2 now, not 1) and a second first vote write nothing
    assert not polls.cast(poll, "bob", VoteChange(gained=0, lost=1), now=NOW + 2)
    assert not polls.cast(poll, "cy", VoteChange(gained=0), now=NOW + 2)
    assert polls.counts(poll) == {1: 1, 2: 1}


def test_a_closed_poll_takes_no_vote(polls):
    ended = new_poll(polls, closes_at=NOW + 60)
    assert not polls.cast(ended, "bob", VoteChange(gained=0), now=NOW + 60)
    closed = polls.close(new_poll(polls), now=NOW + 5)
    assert polls.get("ada", closed.poll_id).closed_at == NOW + 5
    assert not polls.cast(closed, "bob", VoteChange(gained=0), now=NOW + 6)
    assert polls.counts(closed) == {} and polls.vote_of(closed, "bob") is None


def test_two_hundred_people_voting_and_changing_at_once_leave_exact_counts(polls):
    poll = new_poll(polls)
    chooser = random.Random(7)
    wanted = {f"voter-{n}": chooser.randrange(3) for n in range(200)}

    def ballot(user_id: str, option: int):
        def move():
            for _ in range(10):  # read the vote, then write over it; a lost race reads again
                previous = polls.vote_of(poll, user_id)
                change = vote(poll, option=option, previous=previous, now=NOW)
                if change is None or polls.cast(poll, user_id, change, now=NOW):
                    return True
            return False
        return move

    first = race([ballot(user, chooser.randrange(3)) for user in wanted], who="voter")
    second = race([ballot(user, option) for user, option in wanted.items()], who="voter")  # everyone changes
    assert all(outcome is True for outcome in first + second), [o for o in first + second if o is not True][:3]
    expected = {option: list(wanted.values()).count(option) for option in set(wanted.values())}
    assert polls.counts(poll) == expected
    assert {user: polls.vote_of(poll, user) for user in list(wanted)[:20]} == dict(list(wanted.items())[:20])
