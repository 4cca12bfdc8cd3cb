""""Notify me when available": on a Helper's page while they are offline or in a call, a
signed-in person asks to be told the next time the Helper is online and free. They get one
email then, and at most one a day per Helper; the Helper sees how many wait."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from chalicelib.domain.errors import Conflict
from chalicelib.domain.presence import Status
from chalicelib.observability import logger
from chalicelib.services.emails import tell_each
from chalicelib.services.helper_pages import page_named

if TYPE_CHECKING:
    from chalicelib.adapters.waiting import WaitingList

TOLD_AT_ONCE = 200  # people told when a Helper comes online; the rest the next time


@dataclass(frozen=True)
class WaitingDesk:
    waiting: WaitingList
    pages: Any
    accounts: Any
    presence: Any
    mailer: Any
    settings: Any
    notices: Any = None  # () -> services.notices.NoticeDesk: emails become notices (services/emails.py)


def wait_for(*, username: str, user_id: str, desk: WaitingDesk, now: int) -> dict:
    """The person waits to hear when the Helper is next online and free."""
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    if page.user_id == user_id:
        raise Conflict("This is your own page: you will know when you are free.")
    if desk.presence.get_many([page.user_id])[page.user_id] is Status.ONLINE:
        raise Conflict(f"{page.display_name} is online now: call them.")
    desk.waiting.add(page.user_id, user_id, now=now)
    return {"waiting": True}


def stop_waiting(*, username: str, user_id: str, desk: WaitingDesk) -> dict:
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    desk.waiting.remove(page.user_id, user_id)
    return {"waiting": False}


def is_waiting(*, username: str, user_id: str, desk: WaitingDesk) -> dict:
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    return {"waiting": desk.waiting.is_waiting(page.user_id, user_id)}


def waiting_count(*, helper_id: str, desk: WaitingDesk) -> dict:
    return {"count": desk.waiting.count(helper_id)}


def tell_waiting(helper_id: str, *, desk: WaitingDesk, now: int) -> int:
    """The Helper is online and free: each person waiting is told once (a claim per person, so
    two tabs coming online at once tell nobody twice), and not again that day. Returns how many."""
    waiting = desk.waiting.waiting(helper_id, limit=TOLD_AT_ONCE)
    if not waiting:
        return 0
    page = desk.pages.get(helper_id)
    if page is None or page.disqualified is not None:  # services.standing: not reachable, nobody told
        return 0
    day = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%d")
    told = [user_id for user_id in waiting if desk.waiting.claim(helper_id, user_id, day=day)]
    url = f"{desk.settings.site_url.rstrip('/')}/h/{page.username}"
    tell_each(desk, *((user_id, "helper_online", {"helper_name": page.display_name, "page_url": url})
                      for user_id in told))
    logger().info("waiting people told", extra={"helper_id": helper_id, "told": len(told)})
    return len(told)
