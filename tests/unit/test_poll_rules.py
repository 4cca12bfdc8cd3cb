"""Polls' pure rules (chalicelib/domain/polls.py): what makes a poll, what a vote changes, who
sees the results when."""
import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.polls import (
    Poll,
    PollClosed,
    ResultsShown,
    check_poll,
    counts_after,
    may_see_results,
    vote,
)

NOW = 1_800_000_000


def poll(**changes) -> Poll:
    values = dict(poll_id="p1", helper_id="ada", question="Which day suits you?", options=("Mon", "Tue", "Wed"),
                  results=ResultsShown.AFTER_VOTING, created_at=NOW, closes_at=NOW + 3600)
    values.update(changes)
    return Poll(**values)


def test_a_poll_has_a_question_two_to_ten_distinct_options_and_closes_in_the_coming_year():
    made = check_poll(question=" Which day? ", options=["Mon", "Tue"], results="live", closes_at=None, now=NOW)
    assert made == ("Which day?", ("Mon", "Tue"), ResultsShown.LIVE, None)
    assert check_poll(question="Q", options=[str(n) for n in range(10)], results="after_closing",
                      closes_at=NOW + 60, now=NOW)[3] == NOW + 60


@pytest.mark.parametrize("change, field", [
    ({"options": ["only one"]}, "options"),
    ({"options": [str(n) for n in range(11)]}, "options"),
    ({"options": ["Yes", "yes"]}, "options.1"),
    ({"options": ["Yes", ""]}, "options.1"),
    ({"options": ["Yes", 5]}, "options.1"),
    ({"question": ""}, "question"),
    ({"question": "x" * 201}, "question"),
    ({"results": "never"}, "results"),
    ({"closes_at": NOW}, "closes_at"),
    ({"closes_at": NOW + 400 * 86_400}, "closes_at"),
    ({"closes_at": 1.5e9}, "closes_at"),
])
def test_bad_polls_name_their_field(change, field):
    values = {"question": "Which day?", "options": ["Mon", "Tue"], "results": "live", "closes_at": None, **change}
    with pytest.raises(InvalidInput) as refused:
        check_poll(now=NOW, **values)
    assert refused.value.field == field


def test_a_vote_may_change_while_open_and_the_same_vote_changes_nothing():
    assert vote(poll(), option=1, previous=None, now=NOW).gained == 1
    changed = vote(poll(), option=2, previous=1, now=NOW)
    assert (changed.gained, changed.lost) == (2, 1)
    assert vote(poll(), option=1, previous=1, now=NOW) is None
    with pytest.raises(InvalidInput):
        vote(poll(), option=3, previous=None, now=NOW)
    with pytest.raises(InvalidInput):
        vote(poll(), option=True, previous=None, now=NOW)


def test_a_closed_poll_takes_no_vote():
    for closed in (poll(closes_at=NOW), poll(closes_at=None, closed_at=NOW - 1)):
        with pytest.raises(PollClosed):
            vote(closed, option=0, previous=None, now=NOW)


@pytest.mark.parametrize("results, viewer, voted, open_, seen", [
    (ResultsShown.LIVE, "bob", False, True, True),
    (ResultsShown.AFTER_VOTING, "bob", False, True, False),
    (ResultsShown.AFTER_VOTING, "bob", True, True, True),
    (ResultsShown.AFTER_CLOSING, "bob", True, True, False),
    (ResultsShown.AFTER_CLOSING, "bob", False, False, True),
    (ResultsShown.AFTER_CLOSING, "ada", False, True, True),  # the Helper always
    (ResultsShown.AFTER_VOTING, None, False, True, False),  # signed out
])
def test_who_sees_the_results_when(results, viewer, voted, open_, seen):
    found = poll(results=results, closes_at=NOW + 60 if open_ else NOW - 60)
    assert may_see_results(found, viewer_id=viewer, voted=voted, now=NOW) is seen


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 2)), max_size=200))
def test_counts_always_equal_the_votes_standing(ballots):
    """Any order of votes and changes by up to 10 people: the counts are each option's voters."""
    counts: dict[int, int] = {}
    standing: dict[int, int] = {}
    for person, option in ballots:
        change = vote(poll(), option=option, previous=standing.get(person), now=NOW)
        if change is not None:
            counts = counts_after(counts, change)
            standing[person] = option
    assert {o: n for o, n in counts.items() if n} == {o: list(standing.values()).count(o)
                                                       for o in set(standing.values())}
    assert sum(counts.values()) == len(standing)
