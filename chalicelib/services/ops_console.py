"""The ops console: the dashboard of today and the last seven days, finding a person by username or
email, a person's history, and the audit log's pages and CSV export. Ops only (Forbidden otherwise).

Every read is a GetItem, a BatchGetItem or a Query of an existing index, never a Scan: the day's
figures come from the daily counters the desks raise (adapters.ops_stats), the live ones (refunds
waiting, open flags, the moderation queue, the last payout run) from the stores that keep them."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from chalicelib.adapters.ops_stats import COUNTERS, DayStats, day_of
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.search import words

WEEK_DAYS = 7
QUEUE_READ = 100  # the live queues are counted up to this; past it the dashboard says "100+"
NEAREST_DEADLINES = 5
HISTORY = 20  # rows of each kind on a person's page
FOUND = 20  # people a lookup answers with
AUDIT_PAGE = 50
CSV_PAGE = 200
MAX_QUERY = 254
MAX_EMAIL_QUERY = 200  # Cognito's ListUsers filter is at most 256 characters, the attribute's name included
MAX_USER_ID = 128


@dataclass
class OpsConsoleDesk:
    """What the console reads. The two callables are the seams to other parts: the moderation
    queue's size as `(count, more, source)` and a person's standing (None: in good standing);
    `reports` is the moderation's report store (the reports a person filed). Each None when that
    part is not there."""

    stats: Any  # adapters.ops_stats.OpsStats
    refunds: Any  # adapters.refunds.RefundRequestStore
    flags: Any  # adapters.ops_watch.OpsFlagStore
    runs: Any  # adapters.payouts.PayoutRunStore
    schedule: Any  # domain.payout_schedule.PayoutSchedule
    accounts: Any  # adapters.accounts.AccountStore
    identity: Any  # adapters.identity.IdentityProvider (email lookup)
    search: Any  # adapters.search_index.SearchIndex (username prefixes of Helpers)
    pages: Any  # adapters.helper_pages.HelperPageStore
    calls: Any  # adapters.calls.CallStore
    payments: Any  # adapters.payments.PaymentStore
    audit: Any  # adapters.audit.AuditLog
    moderation: Callable[[], tuple[int, bool, str]] | None = None
    standing: Callable[[str], dict | None] | None = None
    reports: Any = None  # adapters.reports.ReportStore


def _only_ops(is_ops: bool) -> None:
    if not is_ops:
        raise Forbidden("Only ops uses the ops console.")


# -- the dashboard ---------------------------------------------------------------------------------

def _day_view(stats: DayStats) -> dict:
    return {"day": stats.day, **stats.counters()}


def week_days(now: int, days: int = WEEK_DAYS) -> list[str]:
    """The last `days` UTC days, oldest first, today last."""
    today = datetime.fromtimestamp(now, timezone.utc).date()
    return [(today - timedelta(days=back)).isoformat() for back in range(days - 1, -1, -1)]


def dashboard(*, is_ops: bool, desk: OpsConsoleDesk, now: int) -> dict:
    """Today's figures (one GetItem), the last seven days' (one BatchGetItem), and the live queues."""
    _only_ops(is_ops)
    today = desk.stats.get(day_of(now))
    days = week_days(now)
    found = desk.stats.get_many(days)
    week = [found.get(day) or DayStats(day) for day in days]
    totals = {name: sum(getattr(d, name) for d in week) for name in COUNTERS}
    return {
        "at": now,
        "today": _day_view(today),
        "week": {"first_day": days[0], "last_day": days[-1], "totals": totals, "days": [_day_view(d) for d in week]},
        "refunds": _refunds_waiting(desk, now),
        "flags": _open_flags(desk),
        "moderation": _moderation(desk),
        "payouts": {"last_run": _last_run(desk, now)},
    }


def _refunds_waiting(desk: OpsConsoleDesk, now: int) -> dict:
    """The review queue, nearest deadline first (one Query of its index)."""
    waiting = desk.refunds.queue(limit=QUEUE_READ + 1)
    shown = waiting[:QUEUE_READ]
    return {
        "pending": len(shown), "more": len(waiting) > QUEUE_READ,
        "overdue": sum(1 for r in shown if r.deadline <= now),
        "nearest": [{"request_id": r.request_id, "payment_id": r.payment_id, "deadline": r.deadline,
                     "overdue": r.deadline <= now, "refund_cents": r.refund_cents, "paid_cents": r.paid_cents,
                     "currency": r.currency, "payer_id": r.payer_id, "helper_id": r.helper_id,
                     "requested_at": r.requested_at}
                    for r in shown[:NEAREST_DEADLINES]],
    }


def _open_flags(desk: OpsConsoleDesk) -> dict:
    flags = desk.flags.open_flags(limit=QUEUE_READ + 1)
    return {"open": min(len(flags), QUEUE_READ), "more": len(flags) > QUEUE_READ}


def _moderation(desk: OpsConsoleDesk) -> dict:
    if desk.moderation is None:
        return {"open": None, "more": False, "source": "none"}
    count, more, source = desk.moderation()
    return {"open": count, "more": more, "source": source}


def _last_run(desk: OpsConsoleDesk, now: int) -> dict | None:
    """The newest of the runs still open and the run of the latest payout day (a GetItem and a Query)."""
    from chalicelib.domain.payout_schedule import local_date, previous_payout_day
    from chalicelib.domain.payouts import paid_late

    runs = {run.run_id: run for run in desk.runs.open_runs()}
    latest = previous_payout_day(desk.schedule, local_date(desk.schedule, now)).isoformat()
    if latest not in runs and (run := desk.runs.get(latest)) is not None:
        runs[run.run_id] = run
    if not runs:
        return None
    run = runs[max(runs)]
    late = paid_late(item_count=run.item_count, pay_by=run.pay_by, at=run.finished_at if run.finished_at else now)
    return {"run_id": run.run_id, "state": run.state.value, "pay_by": run.pay_by, "finished_at": run.finished_at,
            "item_count": run.item_count, "total_cents": run.total_cents, "late": late}


# -- finding people --------------------------------------------------------------------------------

def person_view(profile: Any, *, is_helper: bool | None = None) -> dict:
    return {"user_id": profile.user_id, "username": profile.username, "display_name": profile.display_name,
            "email": profile.email, "created_at": profile.created_at, "is_helper": is_helper}


def find_people(*, is_ops: bool, query: object, desk: OpsConsoleDesk) -> list[dict]:
    """People by email (an address or its beginning: Cognito's ListUsers) or by username (exact:
    the username claims; a beginning: the Helpers' search index, whose terms hold usernames)."""
    _only_ops(is_ops)
    if not isinstance(query, str) or not query.strip():
        raise InvalidInput("Type a username or an email.", field="q")
    text = query.strip()
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"At most {MAX_QUERY} characters.", field="q")
    if "@" in text[1:]:
        if len(text) > MAX_EMAIL_QUERY or any(c.isspace() or not c.isprintable() or c in '"\\' for c in text):
            raise InvalidInput("That is not an email or the beginning of one.", field="q")
        ids = desk.identity.users_with_email(text.lower(), limit=FOUND)
        profiles = desk.accounts.get_many(ids)
        found = [profiles[i] for i in ids if i in profiles]
    else:
        found = _by_username(text.lstrip("@"), desk)
    found = found[:FOUND]
    helpers = _helpers_among([p.user_id for p in found], desk)
    return [person_view(p, is_helper=p.user_id in helpers) for p in found]


def _by_username(name: str, desk: OpsConsoleDesk) -> list[Any]:
    if not name:
        raise InvalidInput("Type a username or an email.", field="q")
    exact_id = desk.accounts.owner_of_username(name)
    ids = [exact_id] if exact_id else []
    terms = words(name)
    if terms:
        ids += sorted(desk.search.matching(terms[0]) - set(ids))[:100]
    profiles = desk.accounts.get_many(ids)
    wanted = name.casefold()
    exact = [profiles[exact_id]] if exact_id in profiles else []
    starting = sorted((p for i, p in profiles.items() if i != exact_id and p.username.casefold().startswith(wanted)),
                      key=lambda p: p.username.casefold())
    return exact + starting


def _helpers_among(user_ids: Iterable[str], desk: OpsConsoleDesk) -> set[str]:
    """Who of them has a Helper page: one BatchGetItem."""
    wanted = list(dict.fromkeys(user_ids))
    return set(desk.pages.get_many(wanted)) if wanted else set()


# -- a person's page --------------------------------------------------------------------------------

def _call_view(call: Any, user_id: str) -> dict:
    helper = call.helper_id == user_id
    terms = call.agreed
    return {"call_id": call.call_id, "role": "helper" if helper else "caller",
            "other_id": call.caller_id if helper else call.helper_id, "state": call.state.value,
            "created_at": call.created_at, "session_started_at": call.session_started_at, "ended_at": call.ended_at,
            "end_reason": call.end_reason.value if call.end_reason else None,
            "price_cents": terms.price_cents if terms else None, "minutes": terms.minutes if terms else None,
            "booking_id": call.booking_id}


def _payment_view(payment: Any, user_id: str) -> dict:
    paid = payment.payer_id == user_id
    return {"payment_id": payment.payment_id, "role": "payer" if paid else "helper",
            "other_id": payment.helper_id if paid else payment.payer_id, "kind": payment.kind.value,
            "state": payment.state.value, "amount_cents": payment.amount_cents, "currency": payment.currency,
            "platform_cents": payment.platform_cents, "refunded_cents": payment.refunded_cents,
            "created_at": payment.created_at, "captured_at": payment.captured_at, "call_id": payment.call_id,
            "description": payment.description}


def _refund_view(request: Any, user_id: str) -> dict:
    asked = request.payer_id == user_id
    return {"request_id": request.request_id, "payment_id": request.payment_id, "role": "payer" if asked else "helper",
            "other_id": request.helper_id if asked else request.payer_id, "state": request.state.value,
            "paid_cents": request.paid_cents, "refund_cents": request.refund_cents, "currency": request.currency,
            "requested_at": request.requested_at, "deadline": request.deadline, "decided_at": request.decided_at}


def _flag_view(flag: Any) -> dict:
    return {"flag_id": flag.flag_id, "reason": flag.reason, "detail": flag.detail, "flagged_at": flag.flagged_at,
            "state": flag.state.value, "closed_at": flag.closed_at, "closed_by": flag.closed_by, "note": flag.note}


def _report_view(report: Any) -> dict:
    return {"kind": report.kind, "subject_id": report.subject_id, "owner_id": report.owner_id,
            "reporter_id": report.reporter_id, "reason": report.reason, "note": report.note,
            "created_at": report.created_at}


def _newest(items: Iterable[Any], key: Callable[[Any], Any], ident: Callable[[Any], str]) -> list[Any]:
    unique = {ident(item): item for item in items}
    return sorted(unique.values(), key=key, reverse=True)[:HISTORY]


def _standing(desk: OpsConsoleDesk, user_id: str) -> dict:
    if desk.standing is None:
        return {"known": False, "disqualified": False, "reason": None, "at": None, "by": None}
    found = desk.standing(user_id) or {}
    return {"known": True, "disqualified": bool(found.get("disqualified")), "reason": found.get("reason"),
            "at": found.get("at"), "by": found.get("by")}


def person(*, is_ops: bool, user_id: str, desk: OpsConsoleDesk) -> dict:
    """A person's profile, standing and history: each kind a Query of its store's per-person index."""
    from chalicelib.services.audit import entry_view

    _only_ops(is_ops)
    profile = desk.accounts.get(user_id) if isinstance(user_id, str) and 0 < len(user_id) <= MAX_USER_ID else None
    if profile is None:
        raise NotFound("No one has this id.")
    page = desk.pages.get(user_id)
    calls = desk.calls.recent_for(user_id, limit=HISTORY)
    payments = _newest(desk.payments.for_payer(user_id, limit=HISTORY) + desk.payments.for_helper(user_id,
                                                                                                  limit=HISTORY),
                       key=lambda p: (p.created_at, p.payment_id), ident=lambda p: p.payment_id)
    refunds = _newest(desk.refunds.for_payer(user_id, limit=HISTORY) + desk.refunds.for_helper(user_id,
                                                                                               limit=HISTORY),
                      key=lambda r: (r.requested_at, r.request_id), ident=lambda r: r.request_id)
    flags = desk.flags.for_helper(user_id, limit=HISTORY)
    audit = desk.audit.for_subject(f"user:{user_id}", limit=AUDIT_PAGE)
    reports = {"filed": [_report_view(r) for r in desk.reports.filed_by(user_id, limit=HISTORY)],
               "received": [_report_view(r) for r in desk.reports.about_owner(user_id, limit=HISTORY)]} \
        if desk.reports is not None else None
    views = {
        "calls": [_call_view(c, user_id) for c in calls],
        "payments": [_payment_view(p, user_id) for p in payments],
        "refunds": [_refund_view(r, user_id) for r in refunds],
    }
    others = {row["other_id"] for rows in views.values() for row in rows if row.get("other_id")}
    others |= {r["owner_id"] for r in (reports or {}).get("filed", [])}
    others |= {r["reporter_id"] for r in (reports or {}).get("received", [])}
    others |= {e.ops_id for e in audit}
    known = desk.accounts.get_many(sorted(others - {user_id}))
    return {
        "person": person_view(profile, is_helper=page is not None),
        "helper": {"username": page.username, "plan": page.plan} if page is not None else None,
        "standing": _standing(desk, user_id),
        **views,
        "flags": [_flag_view(f) for f in flags],
        "reports": reports,
        "audit": [entry_view(e) for e in audit],
        "people": {i: {"username": p.username, "display_name": p.display_name} for i, p in known.items()},
    }


# -- the audit log ----------------------------------------------------------------------------------

def audit_page(*, is_ops: bool, cursor: str | None, desk: OpsConsoleDesk) -> dict:
    """One page of the audit log, newest first, with who acted (their username) beside each entry and
    the people the entries are about (`user:<id>` subjects) named in `people`."""
    from chalicelib.services.audit import entry_view

    _only_ops(is_ops)
    entries, after = desk.audit.page(limit=AUDIT_PAGE, cursor=cursor or None)
    subjects = {e.subject.split(":", 1)[1] for e in entries if e.subject.startswith("user:")}
    names = desk.accounts.get_many(sorted({e.ops_id for e in entries} | subjects))
    return {"entries": [{**entry_view(e), "ops_username": names[e.ops_id].username if e.ops_id in names else None}
                        for e in entries],
            "next": after,
            "people": {i: {"username": p.username, "display_name": p.display_name} for i, p in names.items()}}


def safe_cell(text: object) -> str:
    """A cell a spreadsheet will not run as a formula: one starting with =, +, -, @, a tab or a
    carriage return is prefixed with an apostrophe (as the events' attendee CSV does)."""
    value = "" if text is None else str(text)
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _iso(at: int) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat().replace("+00:00", "Z")


def audit_csv_pages(*, is_ops: bool, desk: OpsConsoleDesk) -> Iterable[str]:
    """The whole log as CSV, newest first, read and written one page at a time."""
    _only_ops(is_ops)
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(
        ["at", "ops_id", "ops_username", "action", "subject", "reason", "entry_id"])
    yield header.getvalue()
    cursor = None
    while True:
        entries, cursor = desk.audit.page(limit=CSV_PAGE, cursor=cursor)
        names = desk.accounts.get_many(sorted({e.ops_id for e in entries}))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for e in entries:
            writer.writerow([_iso(e.at), safe_cell(e.ops_id),
                             safe_cell(names[e.ops_id].username if e.ops_id in names else ""),
                             safe_cell(e.action), safe_cell(e.subject), safe_cell(e.reason), e.entry_id])
        yield out.getvalue()
        if not cursor:
            return


def audit_csv(*, is_ops: bool, desk: OpsConsoleDesk) -> str:
    return "".join(audit_csv_pages(is_ops=is_ops, desk=desk))
