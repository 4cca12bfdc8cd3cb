"""Following a Helper, as pure rules: what a fan-out is (one per announcement, named by what it
announces, so announcing twice opens one), the weekly digest each announcement also joins (named
by the Helper and the ISO week, due when the week ends), and the pace a sending job keeps to stay
within SES's sending rate. Modes and batch size are in `domain.posts`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.posts import FollowMode

KINDS = ("post", "event")
DIGEST = "digest"
DIGEST_ITEMS_MAX = 30  # announcements a week's digest lists (a busier week's digest lists the first 30)
TITLE_MAX = 200
SUMMARY_MAX = 300


@dataclass(frozen=True)
class Follow:
    helper_id: str
    follower_id: str
    mode: FollowMode
    since: int


@dataclass(frozen=True)
class Announced:
    """One thing a Helper published, as an email names it: a post or an event."""

    kind: str
    item_id: str
    title: str
    path: str  # the site path of the post or event page ("/h/ada/blog/hello")
    summary: str


@dataclass(frozen=True)
class FanOut:
    """Sending one announcement (or one week's digest) to the Helper's followers of one mode, in
    follower-id order; `cursor` is the last follower id whose batch is done."""

    fanout_id: str
    helper_id: str
    mode: FollowMode  # EACH for an announcement, DIGEST for a digest
    due_at: int
    items: tuple[Announced, ...]
    cursor: str | None = None
    sent: int = 0
    done_at: int | None = None


def announcement_id(kind: str, item_id: str) -> str:
    return f"{kind}:{item_id}"


def check_announcement(*, kind: object, item_id: object, title: object, path: object, summary: object) -> Announced:
    """What a post or event tells followers (the blog and events call this; bad input is theirs to fix)."""
    if kind not in KINDS:
        raise InvalidInput("An announcement is of a post or an event.", field="kind")
    if not isinstance(item_id, str) or not 1 <= len(item_id) <= 200:
        raise InvalidInput("An announcement names what it announces.", field="item_id")
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise InvalidInput("An announcement links to a page of the site.", field="path")
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput("An announcement has a title.", field="title")
    text = summary if isinstance(summary, str) else ""
    return Announced(kind=kind, item_id=item_id, title=_cut(title.strip(), TITLE_MAX), path=path,
                     summary=_cut(text.strip(), SUMMARY_MAX))


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def week_of(now: int) -> tuple[str, int]:
    """The ISO week `now` falls in ("2026-W49") and when it ends (Monday 00:00 UTC after it)."""
    moment = datetime.fromtimestamp(now, timezone.utc)
    year, week, weekday = moment.isocalendar()
    monday = (moment - timedelta(days=weekday - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return f"{year}-W{week:02d}", int((monday + timedelta(days=7)).timestamp())


def digest_id(helper_id: str, week: str) -> str:
    return f"{DIGEST}:{helper_id}:{week}"


def announcement(helper_id: str, item: Announced, *, now: int) -> FanOut:
    return FanOut(fanout_id=announcement_id(item.kind, item.item_id), helper_id=helper_id, mode=FollowMode.EACH,
                  due_at=now, items=(item,))


def digest(helper_id: str, *, now: int) -> FanOut:
    """The digest of the week `now` falls in (its items are added as the Helper publishes)."""
    week, ends = week_of(now)
    return FanOut(fanout_id=digest_id(helper_id, week), helper_id=helper_id, mode=FollowMode.DIGEST, due_at=ends,
                  items=())


def sends_in(budget_seconds: float, per_second: float) -> int:
    """How many emails a run of `budget_seconds` may send at `per_second` (SES's sending rate)."""
    if per_second <= 0 or budget_seconds <= 0:
        return 0
    return int(budget_seconds * per_second)


class Pace:
    """Spaces sends at most `per_second` apart: `wait()` before each send says how long to sleep
    (from the clock given), so a burst never outruns SES's rate."""

    def __init__(self, per_second: float, *, start: float) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.gap = 1.0 / per_second
        self.next_at = start

    def wait(self, now: float) -> float:
        delay = max(0.0, self.next_at - now)
        self.next_at = max(self.next_at, now) + self.gap
        return delay
