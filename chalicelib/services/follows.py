"""Following a Helper: a signed-in person follows from the Helper's page and chooses how they hear
of new posts and events (each one, a weekly digest, or nothing); the Helper's page shows the
follower count; a person sees their Following list.

When the blog or events publish something they call `announce`, which opens one fan-out per
thing announced (announcing it again opens none) and adds it to the Helper's digest of the week.
The sending job (`send_announcements`, every minute: the announcements, then the digests of
weeks that ended) pages through the followers of each fan-out's mode in follower-id order,
claims each follower for it (a conditional put) before their email goes, and moves the fan-out's
cursor on after each page. It keeps to SES's sending rate (`ses_sends_per_second`) and stops when
its time is up (`fanout_seconds_per_run`); the next run goes on from the cursor. A follower is
claimed before the email is sent, so nobody gets one twice however runs overlap or die; a run
killed between a claim and its send leaves that one person without the email (at most once, by
design). An email SES throttles is not sent: its claim is given back and the run stops, so the
next run sends it.

Every email carries a one-click unsubscribe link and the `List-Unsubscribe` headers (RFC 8058):
a signed token of (Helper, follower) that sets the follow's mode to "none" (they still follow;
the count does not move), with no sign-in.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote

from chalicelib.domain import follows as rules
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.posts import SEND_BATCH, FollowMode, check_follow_mode
from chalicelib.observability import logger
from chalicelib.services.helper_pages import page_named

if TYPE_CHECKING:
    from chalicelib.adapters.follows import FollowStore

UNSUBSCRIBE_SCOPE = "unsubscribe"
FOLLOWING_PAGE = 100
DUE_AT_ONCE = 20  # fan-outs a run looks at
EMAIL_KINDS = {"post": "follow_post", "event": "follow_event", rules.DIGEST: "follow_digest"}


@dataclass(frozen=True)
class FollowDesk:
    follows: FollowStore
    pages: Any
    accounts: Any
    mailer: Any
    settings: Any
    seal: Any  # a CursorSeal: signs unsubscribe tokens and the Following list's cursors
    clock: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], None] = field(default=time.sleep)


# -- following ------------------------------------------------------------------------------------

def _state(page: Any, mode: FollowMode | None, desk: FollowDesk) -> dict:
    return {"username": page.username, "following": mode is not None, "mode": mode.value if mode else None,
            "followers": desk.follows.count(page.user_id)}


def follow(*, username: str, user_id: str, mode: object, desk: FollowDesk, now: int) -> dict:
    """Follows the Helper with that mode, or changes the mode of a follow (the count moves once)."""
    chosen = check_follow_mode(mode)
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    if page.user_id == user_id:
        raise Conflict("This is your own page: you cannot follow yourself.")
    desk.follows.follow(page.user_id, user_id, chosen, now=now)
    return _state(page, chosen, desk)


def unfollow(*, username: str, user_id: str, desk: FollowDesk) -> dict:
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    if page.user_id == user_id:
        raise Conflict("This is your own page: you cannot follow yourself.")
    desk.follows.unfollow(page.user_id, user_id)
    return _state(page, None, desk)


def follow_state(*, username: str, user_id: str | None, desk: FollowDesk) -> dict:
    """The follower count, and whether and how the person asking follows (None: signed out)."""
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    mine = desk.follows.get(page.user_id, user_id) if user_id and user_id != page.user_id else None
    state = _state(page, mine.mode if mine else None, desk)
    state["own_page"] = user_id == page.user_id
    return state


def follower_count(helper_id: str, *, desk: FollowDesk) -> int:
    return desk.follows.count(helper_id)


def following(*, user_id: str, cursor: str | None, desk: FollowDesk) -> dict:
    """The Helpers a person follows, a page at a time, with each one's page and mode."""
    opened = desk.seal.open(cursor, scope=f"following:{user_id}")
    after = opened.get("h") if opened else None
    if opened is not None and not isinstance(after, str):
        raise InvalidInput("That page cursor is not valid; start again from the first page.", field="cursor")
    found = desk.follows.following(user_id, after=after, limit=FOLLOWING_PAGE + 1)
    shown, more = found[:FOLLOWING_PAGE], len(found) > FOLLOWING_PAGE
    pages = desk.pages.get_many([f.helper_id for f in shown])
    site = desk.settings.site_url.rstrip("/")
    listed = [{"username": pages[f.helper_id].username, "display_name": pages[f.helper_id].display_name,
               "headline": pages[f.helper_id].headline, "url": f"{site}/h/{pages[f.helper_id].username}",
               "mode": f.mode.value, "since": f.since} for f in shown if f.helper_id in pages]
    next_cursor = desk.seal.seal({"h": shown[-1].helper_id}, scope=f"following:{user_id}") if more else None
    return {"following": listed, "cursor": next_cursor}


# -- announcing -----------------------------------------------------------------------------------

def announce(*, helper_id: str, kind: str, item_id: str, title: str, path: str, summary: str, desk: FollowDesk,
             now: int) -> None:
    """Tells the Helper's followers of a new post or event: opens its fan-out (once per
    (kind, item_id): announcing again does nothing) and adds it to the Helper's digest of the week.
    The emails go from the sending job, within a minute."""
    item = rules.check_announcement(kind=kind, item_id=item_id, title=title, path=path, summary=summary)
    opened = desk.follows.open_fanout(rules.announcement(helper_id, item, now=now), rules.digest(helper_id, now=now))
    logger().info("announced", extra={"helper_id": helper_id, "kind": kind, "item_id": item_id, "opened": opened})


# -- sending --------------------------------------------------------------------------------------

@dataclass
class Run:
    """What one run of a sending job did."""

    sent: int = 0
    skipped: int = 0  # claimed by another run (or an earlier one) already
    failed: int = 0  # claimed, but SES refused: that person goes without (never twice)
    throttled: bool = False  # SES said slow down: the run stopped, the next goes on
    fanouts_done: int = 0
    out_of_time: bool = False

    def as_dict(self) -> dict:
        return dict(vars(self))


def send_announcements(*, desk: FollowDesk, now: int, budget_seconds: float | None = None) -> dict:
    """The job, every minute: each open announcement's fan-out to the followers who hear of each
    one, then, with the time left, the digests of weeks that ended. One job and one pace, so the
    two never add up to more than SES's rate."""
    return _send_due((FollowMode.EACH, FollowMode.DIGEST), desk=desk, now=now, budget_seconds=budget_seconds)


def send_digests(*, desk: FollowDesk, now: int, budget_seconds: float | None = None) -> dict:
    """Only the digests: each Helper's digest of a week that has ended (Monday 00:00 UTC) to their
    digest followers, once per follower per week (the digest is one fan-out, each follower
    claimed in it)."""
    return _send_due((FollowMode.DIGEST,), desk=desk, now=now, budget_seconds=budget_seconds)


def _send_due(modes: tuple[FollowMode, ...], *, desk: FollowDesk, now: int, budget_seconds: float | None) -> dict:
    settings = desk.settings
    budget = settings.fanout_seconds_per_run if budget_seconds is None else budget_seconds
    rate = settings.ses_sends_per_second
    start = desk.clock()
    deadline = start + budget
    pace = rules.Pace(rate, start=start)
    run = Run()
    allowed = rules.sends_in(budget, rate)
    for mode in modes:
        for fanout in desk.follows.due(mode, now=now, limit=DUE_AT_ONCE):
            if run.out_of_time:
                break
            allowed = _send_fanout(fanout, desk=desk, now=now, run=run, pace=pace, deadline=deadline,
                                   allowed=allowed)
    logger().info("follow emails sent", extra={"modes": [m.value for m in modes], **run.as_dict()})
    return run.as_dict()


def _send_fanout(fanout: rules.FanOut, *, desk: FollowDesk, now: int, run: Run, pace: rules.Pace, deadline: float,
                 allowed: int) -> int:
    page = desk.pages.get(fanout.helper_id)
    if page is None or not fanout.items:  # the Helper is gone, or a digest with nothing in it
        if desk.follows.advance(fanout, cursor=None, sent=0, done=True, now=now):
            run.fanouts_done += 1
        return allowed
    while True:
        if allowed <= 0 or desk.clock() >= deadline:
            run.out_of_time = True
            return allowed
        batch = desk.follows.followers(fanout.helper_id, fanout.mode, after=fanout.cursor, limit=SEND_BATCH)
        profiles = desk.accounts.get_many(batch) if batch else {}
        handled, sent = None, 0
        for follower_id in batch:
            if allowed <= 0 or desk.clock() >= deadline:
                run.out_of_time = True
                break
            if not desk.follows.claim(fanout.fanout_id, follower_id, now=now):
                handled = follower_id
                run.skipped += 1
                continue
            profile = profiles.get(follower_id)
            if profile is None:
                handled = follower_id
                continue
            delay = pace.wait(desk.clock())
            if delay > 0:
                desk.sleep(delay)
            allowed -= 1
            outcome = _email(fanout, page, profile, desk=desk)
            if outcome is Sent.THROTTLED:  # SES says slow down: not sent, so theirs again next run
                desk.follows.release(fanout.fanout_id, follower_id)
                run.throttled = run.out_of_time = True
                break
            handled = follower_id
            if outcome is Sent.SENT:
                sent += 1
                run.sent += 1
            else:
                run.failed += 1
        done = not run.out_of_time and len(batch) < SEND_BATCH
        if handled is None and not done:
            return allowed
        if desk.follows.advance(fanout, cursor=handled, sent=sent, done=done, now=now):
            if done:
                run.fanouts_done += 1
                return allowed
            fanout = replace(fanout, cursor=handled or fanout.cursor)
        else:  # another run moved it on: carry on from where it is
            fresh = desk.follows.get_fanout(fanout.fanout_id)
            if fresh is None or fresh.done_at is not None:
                return allowed
            fanout = fresh
        if run.out_of_time:
            return allowed


def unsubscribe_links(helper_id: str, follower_id: str, *, desk: FollowDesk) -> tuple[str, str]:
    """The email's two ways out: the site's page that confirms with one press (the link in the
    message), and the API address mail clients POST to (`List-Unsubscribe`, RFC 8058)."""
    token = quote(desk.seal.seal({"h": helper_id, "f": follower_id}, scope=UNSUBSCRIBE_SCOPE), safe="")
    site = desk.settings.site_url.rstrip("/")
    return f"{site}/unsubscribe.html?token={token}", f"{site}/api/follows/unsubscribe?token={token}"


class Sent(Enum):
    SENT = "sent"
    FAILED = "failed"  # SES refused it (a bad address, say): that person goes without
    THROTTLED = "throttled"  # over SES's rate or quota: not sent


THROTTLING = {"Throttling", "ThrottlingException", "MaxSendingRateExceeded", "TooManyRequestsException"}


def _email(fanout: rules.FanOut, page: Any, profile: Any, *, desk: FollowDesk) -> Sent:
    from chalicelib.services.emails import compose

    site = desk.settings.site_url.rstrip("/")
    confirm_page, one_click = unsubscribe_links(fanout.helper_id, profile.user_id, desk=desk)
    kind = EMAIL_KINDS[rules.DIGEST if fanout.mode is FollowMode.DIGEST else fanout.items[0].kind]
    items = [{"kind": i.kind, "title": i.title, "summary": i.summary, "url": f"{site}{i.path}"} for i in fanout.items]
    try:
        email = compose(kind, to=profile.email, settings=desk.settings, name=profile.display_name,
                        helper_name=page.display_name, page_url=f"{site}/h/{page.username}", item=items[0],
                        items=items, unsubscribe_url=confirm_page, following_url=f"{site}/following.html")
        email = replace(email, headers=(("List-Unsubscribe", f"<{one_click}>"),
                                        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")))
        desk.mailer.send(email)
    except Exception as error:  # noqa: BLE001 - one refused email must not stop the fan-out
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        logger().warning("follow email not sent", extra={"error": str(error), "code": code,
                                                         "fanout_id": fanout.fanout_id})
        return Sent.THROTTLED if code in THROTTLING else Sent.FAILED
    return Sent.SENT


# -- unsubscribing --------------------------------------------------------------------------------

def _unsubscribing(token: object, desk: FollowDesk) -> tuple[str, str, Any]:
    signed = desk.seal.open_link(token, scope=UNSUBSCRIBE_SCOPE, name="unsubscribe link")
    helper_id, follower_id = signed.get("h"), signed.get("f")
    if not isinstance(helper_id, str) or not isinstance(follower_id, str):
        raise InvalidInput("This unsubscribe link is not valid.", field="token")
    page = desk.pages.get(helper_id)
    if page is None:
        raise NotFound("That Helper is no longer here.")
    return helper_id, follower_id, page


def unsubscribe_preview(*, token: object, desk: FollowDesk) -> dict:
    """What the link's page asks to confirm (GET changes nothing: mail scanners open links)."""
    helper_id, follower_id, page = _unsubscribing(token, desk)
    mine = desk.follows.get(helper_id, follower_id)
    return {"helper_name": page.display_name, "username": page.username,
            "mode": mine.mode.value if mine else None}


def unsubscribe(*, token: object, desk: FollowDesk) -> dict:
    """One click: no more emails from that Helper (the follow stays, with mode "none")."""
    helper_id, follower_id, page = _unsubscribing(token, desk)
    desk.follows.set_mode(helper_id, follower_id, FollowMode.NONE)
    return {"helper_name": page.display_name, "username": page.username, "mode": FollowMode.NONE.value}
