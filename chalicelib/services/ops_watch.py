"""Ops' watch, as scheduled jobs and ops' own routes: a reminder before each refund review's
deadline (or once it is overdue), free sessions counted per Helper and week, and a flag when a
Helper hosts too many. Each job is safe to run twice or at once: every email follows a
conditional write that only one run wins, and is taken back if the email could not be sent."""
from __future__ import annotations

from typing import Any

from chalicelib.adapters.mailer import Email, Mailer
from chalicelib.adapters.ops_watch import FreeSessionCounter, OpsFlagStore
from chalicelib.adapters.refunds import RefundRequestStore
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.ops_watch import (
    COUNT_KEEP_SECONDS,
    FlagAlreadyClosed,
    OpsFlag,
    free_session_flag,
    is_overdue,
    pacific_time,
    reminder_due,
    reminder_horizon,
    should_flag,
    week_id,
    weeks_to_watch,
)
from chalicelib.domain.payments import RefundRequest, check_text
from chalicelib.observability import logger
from chalicelib.services.emails import compose
from chalicelib.settings import Settings

REMINDERS_PER_RUN = 500  # the rest wait for the next run (they are earliest deadline first)


# -- refund reviews nearing their deadline ---------------------------------------------------

def reminder_email(request: RefundRequest, *, now: int, settings: Settings) -> Email:
    return compose("refund_review_reminder", to=settings.ops_email, settings=settings,
                   request_id=request.request_id, overdue=is_overdue(request, now),
                   refund_cents=request.refund_cents, paid_cents=request.paid_cents, currency=request.currency,
                   deadline=pacific_time(request.deadline))


def remind_refund_deadlines(*, refunds: RefundRequestStore, mailer: Mailer, settings: Settings,
                            now: int) -> list[str]:
    """Emails ops once per open request whose deadline is within `refund_reminder_hours` (or has
    passed); returns the ids reminded by this run. A request another run claimed is skipped."""
    hours = settings.refund_reminder_hours
    reminded = []
    for request in refunds.awaiting_reminder(reminder_horizon(now, hours), limit=REMINDERS_PER_RUN):
        if not reminder_due(request, now, hours) or not refunds.mark_reminded(request.request_id, now):
            continue
        try:
            mailer.send(reminder_email(request, now=now, settings=settings))
        except Exception:
            refunds.clear_reminded(request.request_id, now)  # the next run tries again
            raise
        reminded.append(request.request_id)
    if reminded:
        logger().info("refund reviews reminded", extra={"count": len(reminded)})
    return reminded


# -- Helpers hosting too many free sessions ---------------------------------------------------

def record_free_session(*, helper_id: str, call_id: str, now: int, counts: FreeSessionCounter) -> bool:
    """Counts a free session in the Helper's week (Pacific); once per call, however often the
    start is retried. True if this call was counted now."""
    return counts.record(week=week_id(now), helper_id=helper_id, call_id=call_id,
                         expires_at=now + COUNT_KEEP_SECONDS)


def flag_email(flag: OpsFlag, *, settings: Settings) -> Email:
    return compose("free_sessions_flag", to=settings.ops_email, settings=settings, detail=flag.detail,
                   helper_id=flag.helper_id, flag_id=flag.flag_id, flagged=pacific_time(flag.flagged_at))


def flag_free_session_hosts(*, counts: FreeSessionCounter, flags: OpsFlagStore, mailer: Mailer,
                            settings: Settings, now: int) -> list[OpsFlag]:
    """Flags each Helper who hosted `free_sessions_flag_per_week` free sessions or more this week
    (or last week, in case it just turned), once per Helper and week, and emails ops once per new
    flag; returns the flags this run raised."""
    threshold = settings.free_sessions_flag_per_week
    raised = []
    for week in weeks_to_watch(now):
        for helper_id, count in counts.at_least(week, threshold):
            if not should_flag(count, threshold):
                continue
            flag = free_session_flag(helper_id=helper_id, week=week, count=count, threshold=threshold, now=now)
            if not flags.raise_once(flag):
                continue  # raised before, or by a run at the same time
            try:
                mailer.send(flag_email(flag, settings=settings))
            except Exception:
                flags.withdraw(flag)  # the next run raises it again, and tells ops then
                raise
            raised.append(flag)
    if raised:
        logger().info("free-session hosts flagged", extra={"count": len(raised)})
    return raised


# -- ops' flags queue -------------------------------------------------------------------------

def flag_view(flag: OpsFlag) -> dict:
    return {"flag_id": flag.flag_id, "helper_id": flag.helper_id, "reason": flag.reason, "detail": flag.detail,
            "flagged_at": flag.flagged_at, "state": flag.state.value, "closed_at": flag.closed_at,
            "closed_by": flag.closed_by, "note": flag.note}


def open_flags(*, is_ops: bool, flags: OpsFlagStore) -> list[OpsFlag]:
    """The flags ops has not closed, newest first."""
    if not is_ops:
        raise Forbidden("Only ops sees the flags.")
    return flags.open_flags()


def close_flag(*, flag_id: str, ops_id: str, is_ops: bool, note: object, flags: OpsFlagStore,
               now: int, audit: Any = None) -> OpsFlag:
    """Ops closes a flag once, with a note on what they found or did (written to the ops audit
    log, `audit`, adapters.audit; None: not logged)."""
    if not is_ops:
        raise Forbidden("Only ops closes flags.")
    text = check_text(note, field="note", label="A note", maximum=2000)
    flag = flags.get(flag_id)
    if flag is None:
        raise NotFound("No such flag.")
    closed = flag.closed(at=now, by=ops_id, note=text)  # FlagAlreadyClosed if it is
    if not flags.close(flag_id, at=now, by=ops_id, note=text):
        raise FlagAlreadyClosed("Someone closed this flag a moment ago.")
    if audit is not None:
        from chalicelib.services.audit import record

        record(audit, ops_id=ops_id, action="close_flag", subject=f"flag:{flag_id}", reason=text, now=now)
    return closed
