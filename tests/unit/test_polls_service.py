"""Polls end to end on the in-memory twins: Ada asks, people vote and change their votes, the
results show as Ada chose, a closed poll takes no vote, and many tabs voting at once count once."""
from __future__ import annotations

import threading

import pytest

from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.polls import InMemoryPollStore
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.domain.polls import PollClosed
from chalicelib.services.polls import PollDesk, cast_vote, close_poll, create_poll, poll_view

NOW = 1_800_000_000


@pytest.fixture
def desk() -> PollDesk:
    pages = InMemoryHelperPageStore()
    pages.save(HelperPage(user_id="ada", username="ada", display_name="Ada", headline="Python help", offer="Ask."))
    return PollDesk(polls=InMemoryPollStore(), pages=pages)


def ask(desk, **fields):
    return create_poll(helper_id="ada", fields={"question": "Which day?", "options": ["Mon", "Tue", "Wed"],
                                                "results": "after_voting", "closes_at": NOW + 3600, **fields},
                       desk=desk, now=NOW)


def test_votes_count_once_and_change_until_it_closes(desk):
    poll = ask(desk)
    for voter, option in (("bob", 0), ("cy", 1), ("bob", 1), ("bob", 1)):
        cast_vote(helper_id="ada", poll_id=poll.poll_id, user_id=voter, option=option, desk=desk, now=NOW + 1)
    seen = poll_view(poll, viewer_id="bob", desk=desk, now=NOW + 2)
    assert ([o["votes"] for o in seen["options"]], seen["total"], seen["my_vote"]) == ([0, 2, 0], 2, 1)
    close_poll(helper_id="ada", poll_id=poll.poll_id, desk=desk, now=NOW + 3)
    with pytest.raises(PollClosed):
        cast_vote(helper_id="ada", poll_id=poll.poll_id, user_id="dee", option=0, desk=desk, now=NOW + 4)


def test_results_show_as_the_helper_chose(desk):
    poll = ask(desk)
    cast_vote(helper_id="ada", poll_id=poll.poll_id, user_id="bob", option=2, desk=desk, now=NOW)
    assert poll_view(poll, viewer_id="cy", desk=desk, now=NOW)["total"] is None  # not voted yet
    assert poll_view(poll, viewer_id=None, desk=desk, now=NOW)["options"][2]["votes"] is None
    assert poll_view(poll, viewer_id="ada", desk=desk, now=NOW)["total"] == 1  # the Helper always
    assert poll_view(poll, viewer_id=None, desk=desk, now=NOW + 3600)["total"] == 1  # once closed


def test_bad_votes_and_polls_are_refused(desk):
    poll = ask(desk)
    with pytest.raises(InvalidInput):
        cast_vote(helper_id="ada", poll_id=poll.poll_id, user_id="bob", option=7, desk=desk, now=NOW)
    with pytest.raises(Conflict):
        cast_vote(helper_id="ada", poll_id=poll.poll_id, user_id="ada", option=0, desk=desk, now=NOW)
    with pytest.raises(NotFound):
        cast_vote(helper_id="ada", poll_id="nope", user_id="bob", option=0, desk=desk, now=NOW)
    with pytest.raises(InvalidInput):
        ask(desk, options=["only"])
    with pytest.raises(NotFound):
        create_poll(helper_id="nobody", fields={}, desk=desk, now=NOW)


def test_many_tabs_of_many_people_voting_at_once_count_each_person_once(desk):
    poll = ask(desk, results="live")
    barrier = threading.Barrier(40)

    def tab(n: int) -> None:
        barrier.wait()
        cast_vote(helper_id="ada", poll_id=poll.poll_id, user_id=f"person-{n % 20}", option=n % 3, desk=desk,
                  now=NOW)

    threads = [threading.Thread(target=tab, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert poll_view(poll, viewer_id=None, desk=desk, now=NOW)["total"] == 20
