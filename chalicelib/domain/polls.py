"""Polls on a Helper's page, as pure rules: a question with 2 to 10 options, open until a time
or until the Helper closes it; one vote per signed-in person, which they may change while it is
open; and who may see the results when (live, once they voted, or once it closed: the Helper's
choice). Counts are kept by the store; these rules say what a vote changes."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Mapping

from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.user_text import visible_text

MIN_OPTIONS, MAX_OPTIONS = 2, 10
QUESTION_MAX = 200
OPTION_MAX = 80
LONGEST_OPEN_DAYS = 365


class ResultsShown(str, Enum):
    LIVE = "live"  # to everyone, as votes arrive
    AFTER_VOTING = "after_voting"  # to each person once they voted (and to everyone once closed)
    AFTER_CLOSING = "after_closing"  # to everyone once the poll closed


class PollClosed(Conflict):
    code = "poll_closed"


@dataclass(frozen=True)
class Poll:
    poll_id: str
    helper_id: str
    question: str
    options: tuple[str, ...]
    results: ResultsShown
    created_at: int
    closes_at: int | None = None  # None: open until the Helper closes it
    closed_at: int | None = None  # when the Helper closed it early

    def is_open(self, now: int) -> bool:
        return self.closed_at is None and (self.closes_at is None or now < self.closes_at)


def check_poll(*, question: object, options: object, results: object, closes_at: object, now: int
               ) -> tuple[str, tuple[str, ...], ResultsShown, int | None]:
    """A Helper's new poll: a question, 2 to 10 distinct options, who sees the results when,
    and an optional closing time in the future (within a year)."""
    text = visible_text(question).strip() if isinstance(question, str) else ""
    if not 1 <= len(text) <= QUESTION_MAX:
        raise InvalidInput(f"Ask a question of 1 to {QUESTION_MAX} characters.", field="question")
    if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise InvalidInput(f"A poll has {MIN_OPTIONS} to {MAX_OPTIONS} options.", field="options")
    shown = []
    for index, option in enumerate(options):
        label = visible_text(option).strip() if isinstance(option, str) else ""
        if not 1 <= len(label) <= OPTION_MAX:
            raise InvalidInput(f"Each option is 1 to {OPTION_MAX} characters.", field=f"options.{index}")
        if label.casefold() in {seen.casefold() for seen in shown}:
            raise InvalidInput("Each option once.", field=f"options.{index}")
        shown.append(label)
    if results not in {r.value for r in ResultsShown}:
        raise InvalidInput("Results are shown live, after_voting or after_closing.", field="results")
    latest = now + LONGEST_OPEN_DAYS * 86_400
    if closes_at is not None and (type(closes_at) is not int or not now < closes_at <= latest):
        raise InvalidInput("A poll closes at a time in the coming year, or when you close it.", field="closes_at")
    return text, tuple(shown), ResultsShown(results), closes_at


@dataclass(frozen=True)
class VoteChange:
    """What one vote does to the counts: an option gains one, and (a changed vote) another loses one."""

    gained: int
    lost: int | None = None


def vote(poll: Poll, *, option: object, previous: int | None, now: int) -> VoteChange | None:
    """A person's vote for option number `option` (from 0), over their `previous` one if any;
    None when it changes nothing (the same option again)."""
    if not poll.is_open(now):
        raise PollClosed("This poll is closed.")
    if type(option) is not int or not 0 <= option < len(poll.options):
        raise InvalidInput("Choose one of the poll's options.", field="option")
    if option == previous:
        return None
    return VoteChange(gained=option, lost=previous)


def counts_after(counts: Mapping[int, int], change: VoteChange) -> dict[int, int]:
    """The counts once `change` is applied (never below zero)."""
    after = dict(counts)
    after[change.gained] = after.get(change.gained, 0) + 1
    if change.lost is not None:
        after[change.lost] = max(0, after.get(change.lost, 0) - 1)
    return after


def may_see_results(poll: Poll, *, viewer_id: str | None, voted: bool, now: int) -> bool:
    """The Helper always sees them; others as the Helper chose."""
    if viewer_id == poll.helper_id or not poll.is_open(now) or poll.results is ResultsShown.LIVE:
        return True
    return poll.results is ResultsShown.AFTER_VOTING and voted
