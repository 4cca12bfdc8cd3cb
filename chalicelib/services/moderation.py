"""Reports and ops' moderation queue for every kind of thing people publish: a review, a blog post,
a product, an event. The rules are `domain/reports.py`; the store is `adapters/reports.py`.

Anyone signed in reports something they can see, once, and at most `settings.reports_per_day`
times in 24 hours. Ops sees one queue (each reported thing once, with how many reports and why),
and hides the thing (its owner is told why, by email) or keeps it; each decision is written to the
audit log. What hiding does is each kind's own (`Subjects`): a review leaves the Helper's page and
rating, a post the blog, a product the store and the Marketplace, an event the Helper's page and list.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol
from urllib.parse import quote

from chalicelib.domain import reports as rules
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.reports import Case, Report
from chalicelib.domain.user_text import visible_text

PAGE_LIMIT = 50
NOTES_SHOWN = 10  # the newest reports' notes on a queue card
CURSOR_SCOPE = "moderation"


@dataclass(frozen=True)
class Subject:
    """A reported thing as ops sees it: whose, its title, where the public sees it, shown or not."""

    kind: str
    subject_id: str
    owner_id: str
    title: str
    url: str | None
    excerpt: str = ""
    shown: bool = True


class Subjects(Protocol):
    """One kind of reportable thing."""

    def find(self, subject_id: str, *, now: int) -> Subject | None:
        """The thing, shown or hidden; None when it does not exist (any more)."""
        ...

    def hide(self, subject_id: str, *, note: str, ops_id: str, now: int) -> None:
        """Hides it from the public and tells its owner why."""
        ...


@dataclass(frozen=True)
class ModerationDesk:
    reports: Any  # adapters.reports.ReportStore
    subjects: dict[str, Subjects]
    audit: Any  # adapters.audit.AuditLog
    accounts: Any
    pages: Any  # HelperPageStore: the owners' names on ops' cards
    cursors: Any  # CursorSeal
    reports_per_day: int = rules.REPORTS_PER_DAY


def file_report(*, kind: object, subject_id: object, reason: object, note: object, user_id: str, now: int,
                desk: ModerationDesk) -> dict:
    """A signed-in person's report of something they can see: 404 when it is not shown, 409 for
    their own thing or one they reported already, 429 beyond their reports for 24 hours."""
    kind, subject_id, reason, note = rules.check_report(kind, subject_id, reason, note)
    subject = desk.subjects[kind].find(subject_id, now=now)
    if subject is None or not subject.shown:
        raise NotFound(f"No such {rules.KIND_NAMES[kind]}.")
    rules.check_not_own(subject.owner_id, user_id, kind)
    already = rules.AlreadyReported(f"You reported this {rules.KIND_NAMES[kind]} already; ops will look at it.")
    if desk.reports.reported(kind, subject_id, user_id):
        raise already
    rules.check_within_limit(desk.reports.filed_since(user_id, now - rules.DAY), limit=desk.reports_per_day)
    report = Report(kind=kind, subject_id=subject_id, owner_id=subject.owner_id, reporter_id=user_id,
                    reason=reason, note=note, created_at=now)
    if not desk.reports.file(report):  # reported at the same moment in another tab
        raise already
    return {"kind": kind, "id": subject_id, "reason": reason, "received": True}


def open_count(desk: ModerationDesk) -> int:
    """How many reported things wait for a decision (for the ops dashboard)."""
    return desk.reports.open_count()


def _owner_view(owner_id: str, desk: ModerationDesk) -> dict:
    page = desk.pages.get(owner_id) if desk.pages is not None else None
    account = None if page is not None else desk.accounts.get(owner_id)
    username = page.username if page is not None else getattr(account, "username", None)
    name = page.display_name if page is not None else getattr(account, "display_name", "")
    return {"user_id": owner_id, "username": username, "display_name": visible_text(name or "")}


def case_view(case: Case, subject: Subject | None, reports: list[Report], desk: ModerationDesk) -> dict:
    return {
        "kind": case.kind, "id": case.subject_id, "subject": case.subject, "state": case.state,
        "count": case.open_count, "total": case.total, "opened_at": case.opened_at, "last_at": case.last_at,
        "reasons": [{"reason": reason, "label": rules.reason_label(case.kind, reason), "count": count}
                    for reason, count in sorted(case.reasons.items(), key=lambda item: (-item[1], item[0]))],
        "notes": [{"reason": r.reason, "label": rules.reason_label(r.kind, r.reason), "note": visible_text(r.note),
                   "at": r.created_at} for r in reports if r.note][:NOTES_SHOWN],
        "item": None if subject is None else {"title": visible_text(subject.title), "url": subject.url,
                                              "excerpt": visible_text(subject.excerpt), "shown": subject.shown},
        "owner": _owner_view(case.owner_id, desk),
        "decision": None if case.decided_at is None else {
            "state": case.state if not case.open else None, "by": case.decided_by, "at": case.decided_at,
            "note": visible_text(case.decision_note)},
    }


def queue(*, limit: int, cursor: str | None, now: int, desk: ModerationDesk) -> dict:
    """The open reports of every kind, one card per reported thing, the longest waiting first."""
    if not 1 <= limit <= PAGE_LIMIT:
        raise InvalidInput(f"limit is 1 to {PAGE_LIMIT}.", field="limit")
    cases, last = desk.reports.open_cases(limit=limit, after=desk.cursors.open(cursor, scope=CURSOR_SCOPE))
    items = []
    for case in cases:
        subjects = desk.subjects.get(case.kind)
        subject = subjects.find(case.subject_id, now=now) if subjects is not None else None
        since = case.opened_at or 0
        reports = [r for r in desk.reports.reports_of(case.kind, case.subject_id) if r.created_at >= since]
        items.append(case_view(case, subject, reports, desk))
    return {"items": items, "next_cursor": desk.cursors.seal(last, scope=CURSOR_SCOPE)}


def decide(*, kind: object, subject_id: object, decision: object, note: object, ops_id: str, now: int,
           desk: ModerationDesk) -> dict:
    """Ops hides the reported thing (its owner told why) or keeps it; its open reports are closed
    at once, and the decision is written to the audit log. A thing with no open report is a 409."""
    from chalicelib.services import audit

    kind = rules.check_kind(kind)
    subject_id = rules.check_subject_id(subject_id)
    decision, note = rules.check_decision(decision, note, kind=kind)
    case = desk.reports.case(kind, subject_id)
    if case is None or not case.open:
        raise rules.AlreadyDecided(f"No open report about this {rules.KIND_NAMES[kind]}: it was decided already, "
                                   "or never reported.")
    if decision == "hide":
        subject = desk.subjects[kind].find(subject_id, now=now)
        if subject is not None and subject.shown:
            desk.subjects[kind].hide(subject_id, note=note, ops_id=ops_id, now=now)
    state = rules.DECISIONS[decision]
    if not desk.reports.decide(case, state=state, decided_by=ops_id, decided_at=now, note=note):
        raise rules.AlreadyDecided("Another ops member decided it at the same moment.")
    audit.record(desk.audit, ops_id=ops_id, action=f"moderation.{decision}", subject=case.subject,
                 reason=note or f"kept after {case.open_count} report{'s' if case.open_count != 1 else ''}", now=now)
    return {"kind": kind, "id": subject_id, "decision": decision, "state": state, "reports_closed": case.open_count}


# -- the kinds -------------------------------------------------------------------------------------

def _helper_path(username: str) -> str:
    return f"/h/{quote(username, safe='')}"


class ReviewSubjects:
    """A review's owner is its author; hiding it takes it off the Helper's page and rating."""

    def __init__(self, desk: Callable[[], Any]) -> None:
        self._desk = desk

    def find(self, subject_id: str, *, now: int) -> Subject | None:
        desk = self._desk()
        review = desk.reviews.get(subject_id)
        if review is None:
            return None
        page = desk.pages.get(review.helper_id)
        return Subject(kind="review", subject_id=subject_id, owner_id=review.caller_id,
                       title=f"{review.stars}-star review of {page.display_name if page else 'a Helper'}",
                       url=f"{_helper_path(page.username)}#review-{subject_id}" if page else None,
                       excerpt=review.text, shown=not review.hidden)

    def hide(self, subject_id: str, *, note: str, ops_id: str, now: int) -> None:
        from chalicelib.services.reviews import hide_review

        hide_review(review_id=subject_id, ops_id=ops_id, note=note, now=now, desk=self._desk())


class PostSubjects:
    """A post is named `<helper_id>/<post_id>`; hiding it takes it off the blog."""

    def __init__(self, desk: Callable[[], Any]) -> None:
        self._desk = desk

    def find(self, subject_id: str, *, now: int) -> Subject | None:
        from chalicelib.services.posts import post_path

        helper_id, _, post_id = subject_id.partition("/")
        desk = self._desk()
        post = desk.posts.get(helper_id, post_id) if helper_id and post_id else None
        if post is None:
            return None
        page = desk.pages.get(helper_id)
        return Subject(kind="post", subject_id=subject_id, owner_id=helper_id, title=post.title,
                       url=post_path(page.username, post.slug) if page else None, excerpt=post.excerpt,
                       shown=post.is_public(now) and post.hidden_note is None)

    def hide(self, subject_id: str, *, note: str, ops_id: str, now: int) -> None:
        from chalicelib.services.posts import hide_post

        helper_id, _, post_id = subject_id.partition("/")
        hide_post(helper_id=helper_id, post_id=post_id, note=note, now=now, desk=self._desk())


class ProductSubjects:
    """A product is named `<seller_id>/<slug>`; hiding it takes it out of the store and the Marketplace."""

    def __init__(self, desk: Callable[[], Any]) -> None:
        self._desk = desk

    def find(self, subject_id: str, *, now: int) -> Subject | None:
        from chalicelib.domain.store import ProductStatus

        seller_id, _, slug = subject_id.partition("/")
        desk = self._desk()
        product = desk.products.get(seller_id, slug) if seller_id and slug else None
        if product is None:
            return None
        page = desk.pages.get(seller_id)
        return Subject(kind="product", subject_id=subject_id, owner_id=seller_id, title=product.title,
                       url=f"{_helper_path(page.username)}/store/{product.slug}" if page else None,
                       excerpt=product.summary, shown=product.status is ProductStatus.ACTIVE)

    def hide(self, subject_id: str, *, note: str, ops_id: str, now: int) -> None:
        from chalicelib.services.store import unlist_product

        seller_id, _, slug = subject_id.partition("/")
        unlist_product(seller_id=seller_id, slug=slug, note=note, now=now, desk=self._desk())


class EventSubjects:
    """Hiding an event takes it off the Helper's page and event list (people going are not told)."""

    def __init__(self, desk: Callable[[], Any]) -> None:
        self._desk = desk

    def find(self, subject_id: str, *, now: int) -> Subject | None:
        from chalicelib.domain.events import EventState
        from chalicelib.services.events import event_path

        desk = self._desk()
        event = desk.events.get(subject_id) if len(subject_id) <= 64 else None
        if event is None:
            return None
        page = desk.pages.get(event.helper_id)
        return Subject(kind="event", subject_id=subject_id, owner_id=event.helper_id, title=event.title,
                       url=event_path(page.username, event.event_id) if page else None, excerpt=event.summary,
                       shown=event.state is not EventState.DRAFT and event.hidden_note is None)

    def hide(self, subject_id: str, *, note: str, ops_id: str, now: int) -> None:
        from chalicelib.services.events import hide_event

        hide_event(event_id=subject_id, note=note, now=now, desk=self._desk())
