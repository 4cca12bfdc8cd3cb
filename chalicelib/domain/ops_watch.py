"""What ops watches, as pure rules: refund reviews nearing (or past) their deadline, and Helpers
hosting too many free sessions in a week (an ISO week in Pacific time, "2026-W49")."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from chalicelib.domain.calls import Call, CallState
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.money import is_cents
from chalicelib.domain.payments import RefundRequest
from chalicelib.domain.refunds import OPS_TIME_ZONE, RefundState, check_seconds

FREE_SESSIONS = "free_sessions"  # the reason of a flag raised for hosting too many free sessions
COUNT_KEEP_SECONDS = 60 * 24 * 3600  # a week's free-session counts are kept this long (DynamoDB TTL)


class FlagState(str, Enum):
    OPEN = "open"  # waiting for ops
    CLOSED = "closed"  # ops looked and wrote a note


class FlagAlreadyClosed(Conflict):
    """A flag is closed once."""

    code = "flag_already_closed"


@dataclass(frozen=True)
class OpsFlag:
    """Something ops should look at about a Helper, raised once per reason, Helper and week."""

    flag_id: str
    helper_id: str
    reason: str
    detail: str
    flagged_at: int
    state: FlagState = FlagState.OPEN
    closed_at: int | None = None
    closed_by: str | None = None
    note: str | None = None

    def closed(self, *, at: int, by: str, note: str) -> "OpsFlag":
        if self.state is not FlagState.OPEN:
            raise FlagAlreadyClosed("This flag was already closed.")
        return replace(self, state=FlagState.CLOSED, closed_at=at, closed_by=by, note=note)


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_id(at: int, tz: str = OPS_TIME_ZONE) -> str:
    """The ISO week (Monday to Sunday, in `tz`) holding the instant `at`: "2026-W49". Around the
    new year the ISO year may differ from the calendar year (2026-12-31 is in 2026-W53)."""
    return _iso_week(datetime.fromtimestamp(check_seconds(at, "at"), ZoneInfo(tz)).date())


def weeks_to_watch(now: int, tz: str = OPS_TIME_ZONE) -> tuple[str, str]:
    """This week and the one before: sessions counted late on Sunday are still looked at after
    the week has turned."""
    today = datetime.fromtimestamp(check_seconds(now, "now"), ZoneInfo(tz)).date()
    return _iso_week(today), _iso_week(today - timedelta(days=7))


def should_flag(count: int, threshold: int) -> bool:
    """A Helper is flagged once they have hosted `threshold` free sessions in one week."""
    if not is_cents(threshold) or threshold < 1:
        raise InvalidInput("The free-session threshold is a whole number, 1 or more.", field="threshold")
    if not is_cents(count) or count < 0:
        raise InvalidInput("A count is a whole number, 0 or more.", field="count")
    return count >= threshold


def free_session_flag(*, helper_id: str, week: str, count: int, threshold: int, now: int) -> OpsFlag:
    """The flag raised for a Helper who hosted `count` free sessions in `week`."""
    return OpsFlag(flag_id=f"{FREE_SESSIONS}:{helper_id}:{week}", helper_id=helper_id, reason=FREE_SESSIONS,
                   detail=f"Hosted {count} free sessions in {week} (the limit is {threshold} a week).",
                   flagged_at=check_seconds(now, "now"))


def is_overdue(request: RefundRequest, now: int) -> bool:
    """The review deadline has passed (the deadline's own second is already too late)."""
    return check_seconds(now, "now") >= request.deadline


def reminder_due(request: RefundRequest, now: int, hours: int) -> bool:
    """An open request whose deadline is within `hours` (or already past) and whose reminder has
    not gone out: ops is reminded once per request."""
    if not is_cents(hours) or hours < 0:
        raise InvalidInput("Reminder hours are a whole number, 0 or more.", field="hours")
    return (request.state is RefundState.OPEN and request.reminded_at is None
            and check_seconds(now, "now") >= request.deadline - hours * 3600)


def reminder_horizon(now: int, hours: int) -> int:
    """The latest deadline a reminder is due for at `now`."""
    return check_seconds(now, "now") + hours * 3600


def pacific_time(at: int, tz: str = OPS_TIME_ZONE) -> str:
    """An instant for ops to read, in Pacific time: "Fri Dec 11, 2026 10:30 AM PST"; midnight, where
    review deadlines fall, reads as the end of the day before: "end of Mon Dec 07, 2026 (PST)"."""
    local = datetime.fromtimestamp(check_seconds(at, "at"), ZoneInfo(tz))
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"end of {(local - timedelta(days=1)):%a %b %d, %Y} ({local:%Z})"
    return local.strftime("%a %b %d, %Y %I:%M %p %Z")


def starts_free_session(before: Call, after: Call) -> bool:
    """This change of a call starts free time: agreed terms with a price of 0 start the timer
    (a first session or an extension; ops counts each call once)."""
    return (after.state is CallState.IN_SESSION and before.state is not CallState.IN_SESSION
            and after.agreed is not None and after.agreed.free)
