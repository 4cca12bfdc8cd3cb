"""Ratings and reviews of Helpers: who may rate which session and when, what a review may say,
and the numbers shown and ranked by. Every review belongs to one real session, keyed by its call.

Defaults here are the settings' defaults (chalicelib/settings.py)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain.calls import Call, CallState
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput
from chalicelib.domain.user_text import checked_text

MIN_SESSION_SECONDS = 2 * 60  # a session shorter than this cannot be rated
REVIEW_DAYS = 14  # a session can be rated this long after the call ended
EDIT_HOURS = 48  # a review, and a reply, can be changed this long after it was first written
TEXT_MAX = 2000
STARS = (1, 2, 3, 4, 5)


class NotReviewable(Conflict):
    """The session cannot be rated (yet, or any more)."""

    code = "not_reviewable"


class EditWindowClosed(Conflict):
    code = "edit_window_closed"


@dataclass(frozen=True)
class Reply:
    """The Helper's public reply to a review."""

    text: str
    created_at: int
    edited_at: int | None = None


@dataclass(frozen=True)
class Review:
    """A caller's rating of one session (the review's id is the call's), and the Helper's reply."""

    call_id: str
    helper_id: str
    caller_id: str
    stars: int
    text: str
    created_at: int
    session_minutes: int  # the session's length as booked, shown beside the review
    author_name: str = ""  # the caller's display name when they wrote it
    edited_at: int | None = None
    reply: Reply | None = None
    refunded: bool = False  # the session's money went back: shown, marked, not counted
    hidden: bool = False  # hidden by ops after a report: not shown, not counted
    moderation: "Moderation | None" = None  # ops' last decision about it
    version: int = 1  # raised by every change; a change is written only over the version it read

    @property
    def counted(self) -> bool:
        """Whether the review is in the Helper's average and distribution."""
        return not self.refunded and not self.hidden

    def with_changes(self, **changes: Any) -> "Review":
        return replace(self, **changes)


@dataclass(frozen=True)
class RatingSummary:
    """A Helper's counted reviews: how many of each star (1..5)."""

    counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)

    @property
    def count(self) -> int:
        return sum(self.counts)

    @property
    def total(self) -> int:
        return sum(stars * n for stars, n in zip(STARS, self.counts))

    @property
    def average(self) -> float | None:
        """To one decimal, as shown ("4.8"); None without reviews."""
        return round(self.total / self.count, 1) if self.count else None


def session_seconds(call: Call) -> int:
    """How long the call's session time really ran: earlier sessions (extensions before the
    last) in full, the last one until it ended or its time ran out."""
    if call.session_started_at is None or call.agreed is None:
        return 0
    earlier = max(0, call.minutes_used - call.agreed.minutes) * 60
    ended = call.ended_at if call.ended_at is not None else call.session_ends_at
    last_end = min(x for x in (ended, call.session_ends_at) if x is not None)
    return earlier + max(0, last_end - call.session_started_at)


def review_window_closes_at(call: Call, days: int = REVIEW_DAYS) -> int | None:
    return None if call.ended_at is None else call.ended_at + days * 24 * 3600


def check_is_caller(call: Call, *, user_id: str) -> None:
    """Only the caller rates a session: not its Helper, not anyone else."""
    if user_id == call.helper_id:
        raise Forbidden("Helpers cannot review their own sessions.")
    if user_id != call.caller_id:
        raise Forbidden("Only the person who called can rate this session.")


def check_can_review(call: Call, *, user_id: str, now: int, min_session_seconds: int = MIN_SESSION_SECONDS,
                     days: int = REVIEW_DAYS) -> None:
    """Refuses, with the reason, anyone but the caller of a finished session of at least the
    minimum length, within the window."""
    check_is_caller(call, user_id=user_id)
    if call.session_started_at is None:
        raise NotReviewable("Only calls whose session started can be rated.")
    if call.state is not CallState.ENDED or call.ended_at is None:
        raise NotReviewable("You can rate the session once the call has ended.")
    if session_seconds(call) < min_session_seconds:
        shortest = (f"{min_session_seconds // 60} minutes" if min_session_seconds % 60 == 0
                    else f"{min_session_seconds} seconds")
        raise NotReviewable(f"Only sessions of at least {shortest} can be rated.")
    closes = review_window_closes_at(call, days)
    if closes is not None and now > closes:
        raise NotReviewable(f"Sessions can be rated for {days} days after the call.")


def check_stars(value: object) -> int:
    if type(value) is not int or value not in STARS:
        raise InvalidInput("A rating is a whole number of stars from 1 to 5.", field="stars")
    return value


def check_text(value: object, *, field_name: str = "text", maximum: int = TEXT_MAX) -> str:
    """Plain text, shown as text (never as HTML or links); invisible characters removed."""
    return checked_text(value, field_name=field_name, maximum=maximum, what="review")


def check_can_edit(written_at: int, *, now: int, hours: int = EDIT_HOURS) -> None:
    if now > written_at + hours * 3600:
        raise EditWindowClosed(f"It can be changed for {hours} hours after it was written.")


def counts_change(before: Review | None, after: Review | None) -> tuple[int, int, int, int, int]:
    """What a change of one review does to its Helper's star counts (a new review, an edit, a
    refund, a hiding): -1 for the stars no longer counted, +1 for the stars now counted."""
    delta = [0, 0, 0, 0, 0]
    if before is not None and before.counted:
        delta[before.stars - 1] -= 1
    if after is not None and after.counted:
        delta[after.stars - 1] += 1
    return tuple(delta)  # type: ignore[return-value]


# Moderation (reports and their rules are domain/reports.py)

@dataclass(frozen=True)
class Moderation:
    """Ops' decision about a reported review, kept on the review: who, when, what and why."""

    decision: str
    note: str
    decided_by: str
    decided_at: int
