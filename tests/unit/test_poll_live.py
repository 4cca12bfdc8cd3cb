"""A poll's results live on the twins: watchers are sent the counts at most once a second per
poll, the last vote always included; only those who may see the results get them; a closed poll
goes to everyone watching; a gone connection stops being watched."""
from __future__ import annotations

import threading
import time

import pytest

from chalicelib.adapters.connections import Connection, InMemoryConnectionStore
from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.polls import InMemoryPollStore
from chalicelib.adapters.websocket import InMemorySender
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.services import poll_live
from chalicelib.services.polls import PollDesk, cast_vote, close_poll, create_poll
from tests.support.clock import SleepingClock

NOW = 1_800_000_000


@pytest.fixture
def world():
    pages = InMemoryHelperPageStore()
    pages.save(HelperPage(user_id="ada", username="ada", display_name="Ada", headline="Python help", offer="Ask."))
    desk = PollDesk(polls=InMemoryPollStore(), pages=pages)
    connections, clock = InMemoryConnectionStore(), SleepingClock(NOW)
    for user in ("ada", "bob", "cy", "dee"):
        connections.add(Connection(f"c-{user}", user, connected_at=NOW, expires_at=NOW + 180))
    live = poll_live.LiveDesk(polls=desk.polls, sender=InMemorySender(), connections=connections, clock=clock,
                              sleep=clock.sleep)
    return desk, live, clock


def ask(desk, results="live"):
    return create_poll(helper_id="ada", fields={"question": "Which day?", "options": ["Mon", "Tue"],
                                                "results": results}, desk=desk, now=NOW)


def watch(desk, live, poll, user, connection=None, **extra):
    return poll_live.on_frame(connection_id=connection or f"c-{user}", message={
        "action": "watch_poll", "helper": "ada", "poll_id": poll.poll_id, **extra}, desk=desk, live=live,
        helper_id_of=lambda name: name)


def vote(desk, live, poll, user, option):
    cast_vote(helper_id="ada", poll_id=poll.poll_id, user_id=user, option=option, desk=desk, now=int(live.clock()))
    return poll_live.after_vote(poll, live=live)


def totals(live, connection):
    return [m["poll"]["total"] for to, m in live.sender.sent if to == connection and m["type"] == "poll"]


def test_a_vote_in_a_second_whose_send_is_promised_returns_at_once(world):
    desk, live, clock = world
    poll = ask(desk)
    ack = watch(desk, live, poll, "dee", id=3)
    assert (ack["type"], ack["id"], ack["poll"]["total"]) == ("ack", 3, 0)
    assert vote(desk, live, poll, "bob", 0) == 1  # nothing sent in the last second: sent now
    clock.now += 0.2
    assert desk.polls.promise_send(poll, at_ms=(NOW + 1) * 1000)  # another vote waits to send at NOW + 1 s
    assert vote(desk, live, poll, "cy", 1) == 0 and clock.slept == []  # counted in that send: no wait
    assert totals(live, "c-dee") == [1]


def test_every_vote_reaches_the_watchers_within_about_a_second(world):
    desk, live, clock = world
    poll = ask(desk)
    watch(desk, live, poll, "dee")
    first = vote(desk, live, poll, "bob", 0)
    clock.now += 0.3
    # the next vote of that second promises the send for NOW + 1 s and sleeps until then
    cast_vote(helper_id="ada", poll_id=poll.poll_id, user_id="cy", option=1, desk=desk, now=int(clock()))
    assert poll_live.after_vote(poll, live=live) == 1
    assert first == 1 and clock.slept == [pytest.approx(0.7)] and clock() == pytest.approx(NOW + 1)
    assert totals(live, "c-dee") == [1, 2]


def test_at_most_one_send_a_second_under_200_parallel_votes_and_the_last_one_counts(world):
    desk, _, _ = world
    live = poll_live.LiveDesk(polls=desk.polls, sender=InMemorySender(), connections=world[1].connections)
    poll = ask(desk)
    watch(desk, live, poll, "dee")
    voters = [f"fan-{n}" for n in range(200)]
    start, sent_at = threading.Barrier(len(voters)), []

    def one(user):
        start.wait()
        cast_vote(helper_id="ada", poll_id=poll.poll_id, user_id=user, option=len(user) % 2, desk=desk,
                  now=int(time.time()))
        if poll_live.after_vote(poll, live=live):
            sent_at.append(time.monotonic())

    threads = [threading.Thread(target=one, args=(user,)) for user in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert totals(live, "c-dee")[-1] == 200  # the last send has every vote
    sent_at.sort()
    assert all(b - a >= 0.9 for a, b in zip(sent_at, sent_at[1:])), sent_at  # one a second (ms clocks)


def test_only_those_who_may_see_the_results_are_sent_them_until_it_closes(world):
    desk, live, clock = world
    poll = ask(desk, results="after_voting")
    for user in ("ada", "bob", "cy"):
        assert watch(desk, live, poll, user)["poll"]["total"] == (0 if user == "ada" else None)
    vote(desk, live, poll, "bob", 1)
    assert totals(live, "c-ada") == [1] and totals(live, "c-bob") == [] and totals(live, "c-cy") == []
    watch(desk, live, poll, "bob")  # after voting, the page watches again: now bob sees them
    clock.now += 2
    vote(desk, live, poll, "dee", 0)
    assert totals(live, "c-bob") == [2] and totals(live, "c-cy") == []
    clock.now += 2
    closed = close_poll(helper_id="ada", poll_id=poll.poll_id, desk=desk, now=int(clock()))
    assert poll_live.send_results(closed, live=live) == 3  # closed: everyone watching
    assert totals(live, "c-cy") == [2] and live.sender.sent[-1][1]["poll"]["open"] is False


def test_a_gone_connection_or_an_unwatched_poll_is_sent_nothing_more(world):
    desk, live, clock = world
    poll = ask(desk)
    watch(desk, live, poll, "cy")
    watch(desk, live, poll, "dee")
    live.sender.gone.add("c-cy")
    assert vote(desk, live, poll, "bob", 0) == 1
    assert desk.polls.watchers(poll, now=int(clock())) == ["c-dee"]  # cy's socket is gone: forgotten
    answer = poll_live.on_frame(connection_id="c-dee", message={
        "action": "unwatch_poll", "helper": "ada", "poll_id": poll.poll_id}, desk=desk, live=live,
        helper_id_of=lambda name: name)
    assert answer == {"type": "ack", "action": "unwatch_poll", "poll_id": poll.poll_id}
    clock.now += 2
    assert vote(desk, live, poll, "cy", 1) == 0 and totals(live, "c-dee") == [1]


def test_watching_needs_a_live_connection_and_a_real_poll(world):
    desk, live, _ = world
    poll = ask(desk)
    with pytest.raises(InvalidInput):
        watch(desk, live, poll, "bob", connection="c-nobody")
    with pytest.raises(NotFound):
        poll_live.on_frame(connection_id="c-bob", message={"action": "watch_poll", "helper": "ada", "poll_id": "x"},
                           desk=desk, live=live, helper_id_of=lambda name: name)
    assert desk.polls.watchers(poll, now=NOW, everyone=True) == []
