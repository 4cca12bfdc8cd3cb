"""Rating a session and answering a review: who may and when (domain.reviews), and what a change
moves — the review, its Helper's counters (in one transaction) and the Helper's rank in each of
their category listings (at most ten listing writes, one per category)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.accounts import AccountStore
from chalicelib.adapters.calls import CallStore
from chalicelib.adapters.helper_pages import HelperPageStore
from chalicelib.adapters.reviews import SORTS, ReminderStore, ReviewStore
from chalicelib.domain import reviews as rules
from chalicelib.domain.cursors import CursorSeal
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Problems
from chalicelib.domain.helper_pages import rating_view
from chalicelib.domain.reviews import Moderation, Reply, Review
from chalicelib.domain.user_text import visible_text
from chalicelib.services.emails import tell
from chalicelib.services.helper_pages import Directory, page_named, write_listings

ATTEMPTS = 3  # a change that lost a race is read again and tried again this many times
PAGE_LIMIT = 50


@dataclass(frozen=True)
class ReviewDesk:
    """What a review touches."""

    reviews: ReviewStore
    calls: CallStore
    pages: HelperPageStore
    accounts: AccountStore
    directory: Directory  # the listings (and presence) that rank the Helper
    cursors: CursorSeal
    mailer: Any = None  # the author of a hidden review is told why
    settings: Any = None
    min_session_seconds: int = rules.MIN_SESSION_SECONDS
    days: int = rules.REVIEW_DAYS
    edit_hours: int = rules.EDIT_HOURS
    notices: Any = None  # () -> services.notices.NoticeDesk: emails become notices (services/emails.py)


def review_view(review: Review) -> dict:
    """A review as anyone may see it (the caller's name as it was when they wrote it)."""
    reply = review.reply
    return {
        "review_id": review.call_id, "stars": review.stars, "text": visible_text(review.text),
        "created_at": review.created_at, "edited_at": review.edited_at,
        "session_minutes": review.session_minutes, "refunded": review.refunded,
        "author": {"display_name": visible_text(review.author_name).strip() or "A customer"},
        "reply": None if reply is None else {"text": visible_text(reply.text), "created_at": reply.created_at,
                                             "edited_at": reply.edited_at},
    }


def _call_of_caller(call_id: str, user_id: str, desk: ReviewDesk):
    call = desk.calls.get(call_id)
    if call is None:
        raise NotFound("No such call.")
    rules.check_is_caller(call, user_id=user_id)
    return call


def review_for_call(*, call_id: str, user_id: str, now: int, desk: ReviewDesk) -> dict:
    """The caller's review of the session (if any), and whether they may rate it (and why not)."""
    call = _call_of_caller(call_id, user_id, desk)
    review = desk.reviews.get(call_id)
    try:
        rules.check_can_review(call, user_id=user_id, now=now, min_session_seconds=desk.min_session_seconds,
                               days=desk.days)
        reason = None
    except rules.NotReviewable as refusal:
        reason = refusal.message
    editable_until = review.created_at + desk.edit_hours * 3600 if review else None
    if review is not None and reason is None and now > editable_until:
        reason = f"Reviews can be changed for {desk.edit_hours} hours after they are written."
    page = desk.pages.get(call.helper_id)
    profile = None if page else desk.accounts.get(call.helper_id)
    helper = page or profile
    return {
        "review": review_view(review) if review else None,
        "can_review": reason is None,
        "reason": reason,
        "closes_at": rules.review_window_closes_at(call, desk.days),
        "editable_until": editable_until,
        "helper": {"display_name": visible_text(helper.display_name) if helper else "the Helper",
                   "username": helper.username if helper else None},
    }


def rate_session(*, call_id: str, user_id: str, stars: object, text: object, now: int,
                 desk: ReviewDesk) -> tuple[dict, bool]:
    """Writes the caller's review of the session, or changes it (for `edit_hours`); True when it
    was created. Two submits at once (two tabs, a retry) make one review: the second changes it."""
    call = _call_of_caller(call_id, user_id, desk)
    rules.check_can_review(call, user_id=user_id, now=now, min_session_seconds=desk.min_session_seconds,
                           days=desk.days)
    problems = Problems()
    stars = problems.check(lambda: rules.check_stars(stars))
    text = problems.check(lambda: rules.check_text(text))
    problems.raise_any()
    for _ in range(ATTEMPTS):
        existing = desk.reviews.get(call_id)
        if existing is None:
            profile = desk.accounts.get(user_id)
            review = Review(call_id=call_id, helper_id=call.helper_id, caller_id=user_id, stars=stars, text=text,
                            created_at=now, session_minutes=call.minutes_used,
                            author_name=profile.display_name if profile else "")
            if desk.reviews.create(review):
                _rerank(call.helper_id, desk)
                _tell_the_helper(review, desk)
                return review_view(review), True
            continue  # another submit made it first: this one changes it
        rules.check_can_edit(existing.created_at, now=now, hours=desk.edit_hours)
        if (existing.stars, existing.text) == (stars, text):
            return review_view(existing), False  # a retry: nothing to change
        changed = existing.with_changes(stars=stars, text=text, edited_at=now, version=existing.version + 1)
        if desk.reviews.change(existing, changed):
            _rerank(call.helper_id, desk)
            return review_view(changed), False
    raise Conflict("The review was changed at the same moment; send it again.")


def reply_to_review(*, review_id: str, user_id: str, text: object, now: int, desk: ReviewDesk) -> tuple[dict, bool]:
    """The Helper's one public reply to a review of their session (changed for `edit_hours`);
    True when it was created."""
    text = rules.check_text(text)
    if not text:
        raise InvalidInput("Write a reply.", field="text")
    for _ in range(ATTEMPTS):
        review = desk.reviews.get(review_id)
        if review is None or review.hidden:
            raise NotFound("No such review.")
        if review.helper_id != user_id:
            raise Forbidden("Only the Helper the review is about can reply to it.")
        if review.reply is None:
            reply = Reply(text=text, created_at=now)
        else:
            rules.check_can_edit(review.reply.created_at, now=now, hours=desk.edit_hours)
            if review.reply.text == text:
                return review_view(review), False
            reply = Reply(text=text, created_at=review.reply.created_at, edited_at=now)
        answered = review.with_changes(reply=reply, version=review.version + 1)
        if desk.reviews.change(review, answered):
            return review_view(answered), review.reply is None
    raise Conflict("The review was changed at the same moment; send the reply again.")


def session_refunded(*, call_id: str, desk: ReviewDesk) -> None:
    """The session's money went back: its review stays shown, marked, and leaves the average."""
    for _ in range(ATTEMPTS):
        review = desk.reviews.get(call_id)
        if review is None or review.refunded:
            return
        if desk.reviews.change(review, review.with_changes(refunded=True, version=review.version + 1)):
            _rerank(review.helper_id, desk)
            return
    raise Conflict(f"The review of {call_id} kept changing; its refund mark was not written.")


def helper_reviews(*, username: str, sort: object, limit: int, cursor: str | None, desk: ReviewDesk) -> dict:
    """A page of a Helper's shown reviews and their rating summary (one Query and the page)."""
    if sort not in SORTS:
        raise InvalidInput("Sort by newest, highest or lowest.", field="sort")
    if not 1 <= limit <= PAGE_LIMIT:
        raise InvalidInput(f"limit is 1 to {PAGE_LIMIT}.", field="limit")
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    scope = f"reviews:{page.user_id}:{sort}"
    found, last_key = desk.reviews.for_helper(page.user_id, sort=str(sort), limit=limit,
                                              after=desk.cursors.open(cursor, scope=scope))
    return {"summary": rating_view(page) or {"average": None, "count": 0,
                                             "distribution": {str(s): 0 for s in (5, 4, 3, 2, 1)}},
            "reviews": [review_view(review) for review in found],
            "next_cursor": desk.cursors.seal(last_key, scope=scope)}


def _rerank(helper_id: str, desk: ReviewDesk) -> None:
    """The Helper's cards move to their new place in each of their categories."""
    page = desk.pages.get(helper_id)
    if page is None or not page.categories:
        return
    status = desk.directory.presence.get_many([helper_id])[helper_id]
    write_listings(page, status, desk.directory.listings)


# Moderation (reports are services/moderation.py)

def hide_review(*, review_id: str, ops_id: str, note: str, now: int, desk: ReviewDesk) -> Review:
    """Ops hides a reported review: it leaves the page and the average, and its author is told why."""
    moderation = Moderation(decision="hide", note=note, decided_by=ops_id, decided_at=now)
    for _ in range(ATTEMPTS):
        review = desk.reviews.get(review_id)
        if review is None:
            raise NotFound("No such review.")
        if review.hidden:
            return review
        decided = review.with_changes(moderation=moderation, hidden=True, version=review.version + 1)
        if desk.reviews.change(review, decided):
            break
    else:
        raise Conflict("The review was changed at the same moment; decide again.")
    _rerank(review.helper_id, desk)
    tell(desk, review.caller_id, "review_hidden", note=note, helper_name=_helper_name(review.helper_id, desk))
    return decided


def _tell_the_helper(review: Review, desk: ReviewDesk) -> None:
    """A new review, by email (best effort; the notification centre comes with issue 17)."""
    page = desk.pages.get(review.helper_id)
    if desk.mailer is None or page is None:
        return
    tell(desk, review.helper_id, "review_received", author_name=visible_text(review.author_name).strip() or "A customer",
         stars=review.stars, session_minutes=review.session_minutes, text=visible_text(review.text),
         page_url=f"{desk.settings.site_url.rstrip('/')}/h/{page.username}")


def _helper_name(helper_id: str, desk: ReviewDesk) -> str:
    page = desk.pages.get(helper_id)
    return visible_text(page.display_name) if page else "a Helper"


def my_reviews(*, user_id: str, desk: ReviewDesk, limit: int = 20) -> dict:
    """The reviews I wrote, newest first (a hidden one says so, and why), and, for a Helper, the
    newest reviews of my sessions, for replying."""
    written, _ = desk.reviews.by_caller(user_id, limit=limit)
    pages = desk.pages.get_many({review.helper_id for review in written})
    own_page = desk.pages.get(user_id)
    received = desk.reviews.for_helper(user_id, sort="newest", limit=limit)[0] if own_page else []
    return {
        "written": [{**review_view(review), "hidden": review.hidden,
                     "hidden_note": review.moderation.note if review.hidden and review.moderation else None,
                     "helper": {"display_name": visible_text(pages[review.helper_id].display_name),
                                "username": pages[review.helper_id].username}
                     if review.helper_id in pages else {"display_name": "a Helper", "username": None}}
                    for review in written],
        "received": [review_view(review) for review in received],
    }


# The reminder

REMINDER_BATCH = 100  # per shard and run; the job runs every 15 minutes


def send_reminders(*, now: int, desk: ReviewDesk, reminders: ReminderStore) -> int:
    """Emails each caller whose session ended the reminder time ago and is still unrated (and
    still can be), once: a reminder is taken before its email goes, so two runs at once send it
    once (and a failed email is not sent again). Returns how many were sent."""
    sent = 0
    for reminder in reminders.due(now, REMINDER_BATCH):
        if not reminders.take(reminder):
            continue  # another run has it
        call = desk.calls.get(reminder.call_id)
        if call is None or desk.reviews.get(call.call_id) is not None:
            continue
        try:
            rules.check_can_review(call, user_id=call.caller_id, now=now,
                                   min_session_seconds=desk.min_session_seconds, days=desk.days)
        except (rules.NotReviewable, Forbidden):
            continue
        site = desk.settings.site_url.rstrip("/")
        tell(desk, call.caller_id, "review_reminder", helper_name=_helper_name(call.helper_id, desk),
             rate_url=f"{site}/rate.html?call={call.call_id}", days=desk.days)
        sent += 1
    return sent
