"""Polls on a Helper's page: a Helper asks, signed-in people vote (and may change their vote until
it closes), and each viewer sees the results when the Helper chose they may. The rules are
`domain/polls.py`; the store keeps the counts exact (`adapters/polls.py`)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.domain import polls as rules
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.polls import Poll

if TYPE_CHECKING:
    from chalicelib.adapters.polls import PollStore

VOTE_ATTEMPTS = 5  # a vote that lost a race with the same person's other tab reads again


@dataclass(frozen=True)
class PollDesk:
    polls: PollStore
    pages: Any


def create_poll(*, helper_id: str, fields: dict, desk: PollDesk, now: int) -> Poll:
    if desk.pages.get(helper_id) is None:
        raise NotFound("Create your Helper page before asking your followers.")
    question, options, results, closes_at = rules.check_poll(
        question=fields.get("question"), options=fields.get("options"), results=fields.get("results", "live"),
        closes_at=fields.get("closes_at"), now=now)
    poll = Poll(poll_id=f"{now:012d}-{secrets.token_hex(4)}", helper_id=helper_id, question=question,
                options=options, results=results, created_at=now, closes_at=closes_at)
    desk.polls.create(poll)
    return poll


def find_poll(*, helper_id: object, poll_id: object, desk: PollDesk) -> Poll:
    return _poll(helper_id, poll_id, desk)


def _poll(helper_id: object, poll_id: object, desk: PollDesk) -> Poll:
    found = desk.polls.get(helper_id, poll_id) if isinstance(helper_id, str) and isinstance(poll_id, str) \
        and len(poll_id) <= 40 else None
    if found is None:
        raise NotFound("No such poll.")
    return found


def cast_vote(*, helper_id: object, poll_id: object, user_id: str, option: object, desk: PollDesk, now: int) -> Poll:
    """The person's vote (or their changed vote); counted once however often it is sent."""
    poll = _poll(helper_id, poll_id, desk)
    if user_id == poll.helper_id:
        raise Conflict("This is your own poll: your followers vote in it.")
    for _ in range(VOTE_ATTEMPTS):
        change = rules.vote(poll, option=option, previous=desk.polls.vote_of(poll, user_id), now=now)
        if change is None or desk.polls.cast(poll, user_id, change, now=now):
            return poll
        poll = _poll(helper_id, poll_id, desk)  # closed meanwhile? `vote` says so next time round
    raise Conflict("Your vote changed in another tab meanwhile; try again.")


def close_poll(*, helper_id: str, poll_id: object, desk: PollDesk, now: int) -> Poll:
    poll = _poll(helper_id, poll_id, desk)
    return poll if not poll.is_open(now) else desk.polls.close(poll, now=now)


def poll_view(poll: Poll, *, viewer_id: str | None, desk: PollDesk, now: int) -> dict:
    """The poll as one viewer sees it: the results only when they may, and their own vote."""
    mine = desk.polls.vote_of(poll, viewer_id) if viewer_id else None
    shown = rules.may_see_results(poll, viewer_id=viewer_id, voted=mine is not None, now=now)
    counts = desk.polls.counts(poll) if shown else {}
    return {"poll_id": poll.poll_id, "question": poll.question, "open": poll.is_open(now),
            "closes_at": poll.closes_at, "results": poll.results.value, "my_vote": mine,
            "options": [{"label": label, "votes": counts.get(n, 0) if shown else None}
                        for n, label in enumerate(poll.options)],
            "total": sum(counts.values()) if shown else None}
