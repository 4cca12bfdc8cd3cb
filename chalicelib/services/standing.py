"""Ops disqualifies a Helper, or restores them (domain/standing.py).

Disqualifying writes the standing on the Helper's page item (conditional: once), records it in
the audit log, takes the Helper out of their categories and search, cancels their open bookings
through the Helper-cancels path (paid ones refunded in full through PayPal) and emails them why.
From then on every public path that reads the page sees it: the page, store, blog and events
answer 404, calls, bookings and checkout are refused, the Marketplace leaves their products out,
and the payout run holds their payable money (it stays in the ledger). Restoring undoes the hiding,
the listing and the hold; cancelled bookings stay cancelled."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.standing import (
    AlreadyDisqualified,
    NotDisqualified,
    Standing,
    check_reason,
    standing_view,
)
from chalicelib.observability import logger
from chalicelib.services.emails import tell

BOOKINGS_PAGE = 100


@dataclass(frozen=True)
class StandingDesk:
    """What disqualifying touches. `bookings` builds the booking desk on first use (only a
    disqualification cancels bookings)."""

    pages: Any  # adapters.helper_pages.HelperPageStore
    accounts: Any  # adapters.accounts.AccountStore
    directory: Any  # services.helper_pages.Directory
    audit: Any  # adapters.audit.AuditLog
    mailer: Any
    settings: Any
    bookings: Callable[[], Any] | None = None  # -> services.bookings.BookingDesk; None: none cancelled


class NotAHelper(Conflict):
    code = "not_a_helper"


def standing_of(user_id: str, *, desk: Any) -> dict | None:
    """`{"disqualified": True, "reason", "at", "by"}`, or None for a person in good standing (or
    without a Helper page, or unknown). One read of the page item."""
    page = desk.pages.get(user_id) if isinstance(user_id, str) and user_id else None
    return standing_view(page.disqualified) if page is not None else None


def _helper_page(user_id: object, desk: StandingDesk) -> Any:
    if not isinstance(user_id, str) or not 1 <= len(user_id) <= 128:
        raise NotFound("No such person.")
    page = desk.pages.get(user_id)
    if page is not None:
        return page
    if desk.accounts.get(user_id) is None:
        raise NotFound("No such person.")
    raise NotAHelper("This person has no Helper page: only Helpers are disqualified.")


def _record(desk: StandingDesk, *, ops_id: str, action: str, user_id: str, reason: str, now: int) -> None:
    from chalicelib.services.audit import record

    record(desk.audit, ops_id=ops_id, action=action, subject=f"user:{user_id}", reason=reason, now=now)


def person_view(page: Any, standing: Standing | None, **extra: Any) -> dict:
    return {"user_id": page.user_id, "username": page.username, "display_name": page.display_name,
            "standing": standing_view(standing), **extra}


def disqualify(*, user_id: object, ops_id: str, is_ops: bool, reason: object, desk: StandingDesk,
               now: int) -> dict:
    """Disqualifies a Helper once (a second time is a 409 and changes nothing)."""
    if not is_ops:
        raise Forbidden("Only ops disqualifies Helpers.")
    text = check_reason(reason)
    page = _helper_page(user_id, desk)
    if page.disqualified is not None:
        raise AlreadyDisqualified("This Helper is disqualified already.")
    standing = Standing(reason=text, at=now, by=ops_id)
    if not desk.pages.set_standing(page.user_id, standing):
        raise AlreadyDisqualified("This Helper was disqualified a moment ago.")
    try:
        _record(desk, ops_id=ops_id, action="disqualify", user_id=page.user_id, reason=text, now=now)
    except Exception:
        desk.pages.set_standing(page.user_id, None)  # not done unless the log holds it
        raise
    _unlist(page, desk)
    cancelled, failed = _cancel_bookings(page.user_id, desk, now)
    tell(desk, page.user_id, "disqualified", reason=text, bookings_cancelled=cancelled,
         help_url=f"{desk.settings.site_url}/my-page.html")
    logger().info("helper disqualified", extra={"helper_id": page.user_id, "ops_id": ops_id,
                                                "bookings_cancelled": cancelled, "bookings_failed": failed})
    return person_view(page, standing, bookings_cancelled=cancelled, bookings_failed=failed)


def restore(*, user_id: object, ops_id: str, is_ops: bool, reason: object, desk: StandingDesk, now: int) -> dict:
    """Restores a disqualified Helper: page, listings and payouts back (a Helper in good standing:
    409, nothing changes). Bookings cancelled by the disqualification stay cancelled."""
    if not is_ops:
        raise Forbidden("Only ops restores Helpers.")
    text = check_reason(reason)
    page = _helper_page(user_id, desk)
    if page.disqualified is None:
        raise NotDisqualified("This Helper is in good standing.")
    if not desk.pages.set_standing(page.user_id, None):
        raise NotDisqualified("This Helper was restored a moment ago.")
    try:
        _record(desk, ops_id=ops_id, action="restore", user_id=page.user_id, reason=text, now=now)
    except Exception:
        desk.pages.set_standing(page.user_id, page.disqualified)
        raise
    _relist(page.with_changes(disqualified=None), desk)
    tell(desk, page.user_id, "restored", reason=text, page_url=f"{desk.settings.site_url}/h/{page.username}")
    logger().info("helper restored", extra={"helper_id": page.user_id, "ops_id": ops_id})
    return person_view(page, None)


def _unlist(page: Any, desk: StandingDesk) -> None:
    """Out of every category and out of search (the page keeps its words for a restore)."""
    for slug in page.categories:
        desk.directory.listings.remove(slug, page.user_id)
    if page.search_terms:
        desk.directory.search.replace(page.user_id, page.search_terms, ())


def _relist(page: Any, desk: StandingDesk) -> None:
    from chalicelib.services.helper_pages import write_listings

    status = desk.directory.presence.get_many([page.user_id])[page.user_id]
    write_listings(page, status, desk.directory.listings)
    if page.search_terms:
        desk.directory.search.replace(page.user_id, (), page.search_terms)


def _cancel_bookings(helper_id: str, desk: StandingDesk, now: int) -> tuple[int, list[str]]:
    """Cancels each open booking that has not started (held, requested, confirmed) as the Helper
    cancelling it: paid ones refunded in full, both sides told. Returns how many were cancelled
    and the ids that could not be (each logged; ops sees them in the answer)."""
    if desk.bookings is None:
        return 0, []
    from chalicelib.services import bookings as booking_flows

    bookings = desk.bookings()
    found, after = [], None
    while True:
        page, after = bookings.bookings.for_helper(helper_id, upcoming=True, now=now, limit=BOOKINGS_PAGE,
                                                   after=after)
        found.extend(b for b in page if b.live and b.start > now)
        if after is None:
            break
    cancelled, failed = 0, []
    note = f"{desk.settings.brand_name} cancelled this booking: the Helper can no longer take sessions."
    for booking in found:
        try:
            booking_flows.cancel(booking_id=booking.booking_id, user_id=helper_id, desk=bookings, now=now,
                                 reason=note)
            cancelled += 1
        except Exception as error:  # noqa: BLE001 - one booking must not keep the others open
            logger().error("booking not cancelled on disqualification",
                           extra={"booking_id": booking.booking_id, "error": str(error)})
            failed.append(booking.booking_id)
    return cancelled, failed
