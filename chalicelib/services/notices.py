"""The notification centre: what happened to a person, kept for them to read (GET
/me/notifications), counted unread, pushed to their browsers and to their open tabs.

`record_and_deliver` is the one place an email to a person becomes a notice (services/emails.py
`tell` and `tell_each` call it for every kind domain.notices.KINDS names): the notice is recorded
always; the email goes only if the person's email preference for its category is on, and then
carries the one-click unsubscribe for that category (`List-Unsubscribe`, RFC 8058, and a footer
link); it is pushed (Web Push, services/push.py `push_notice`) if their push preference is on;
and each of their open WebSocket connections is sent `{"type": "notices", "unread", "latest"}`.
All of it is best effort: whatever fails here is logged, and the payment, refund or booking that
the email tells about stands (a failing store still lets the email go, on the defaults)."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Callable
from urllib.parse import quote

from chalicelib.adapters.notices import NoticeStore
from chalicelib.domain import notices as rules
from chalicelib.domain.errors import InvalidInput
from chalicelib.observability import logger

UNSUBSCRIBE_SCOPE = "notice-unsubscribe"
_PAGE_SCOPE = "notices:"


def _new_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class NoticeDesk:
    notices: NoticeStore
    seal: Any  # a CursorSeal: the unsubscribe tokens and the list's cursors
    settings: Any
    connections: Any = None  # adapters.connections.ConnectionStore: the person's open sockets
    sender: Any = None  # adapters.websocket.WebsocketSender
    push: Callable[[], Any] | None = None  # services.push.PushDesk, built on the first push
    clock: Callable[[], float] = time.time
    new_id: Callable[[], str] = field(default=_new_id)


# -- the centre -----------------------------------------------------------------------------------

def notifications(*, user_id: str, cursor: object, desk: NoticeDesk) -> dict:
    """The person's notices newest first, 20 a page; `next` pages on (null on the last)."""
    if cursor is not None and not isinstance(cursor, str):
        raise InvalidInput("That page cursor is not valid; start again from the first page.", field="cursor")
    opened = desk.seal.open(cursor, scope=_PAGE_SCOPE + user_id)
    before = opened.get("k") if opened else None
    if opened is not None and not isinstance(before, str):
        raise InvalidInput("That page cursor is not valid; start again from the first page.", field="cursor")
    shown, more = desk.notices.page(user_id, limit=rules.PAGE_SIZE, before=before)
    state = desk.notices.state(user_id)
    through = state.read_through or ""
    return {"notifications": [rules.view(n, read=n.sort_key <= through) for n in shown],
            "unread": state.unread,
            "next": desk.seal.seal({"k": shown[-1].sort_key}, scope=_PAGE_SCOPE + user_id) if more and shown else None}


def mark_all_read(*, user_id: str, desk: NoticeDesk) -> dict:
    newest, _ = desk.notices.page(user_id, limit=1)
    desk.notices.mark_all_read(user_id, through=newest[0].sort_key if newest else None)
    return {"unread": 0}


def preferences(*, user_id: str, desk: NoticeDesk) -> dict:
    return rules.preferences_view(desk.notices.state(user_id).preferences)


def set_preferences(*, user_id: str, categories: object, desk: NoticeDesk) -> dict:
    """Partial: a category or channel left out keeps its value; a bad one changes nothing (400)."""
    chosen = rules.changed(desk.notices.state(user_id).preferences, categories)
    desk.notices.set_preferences(user_id, chosen)
    return rules.preferences_view(chosen)


# -- one-click unsubscribe ------------------------------------------------------------------------

def unsubscribe_links(user_id: str, category: str, *, desk: NoticeDesk) -> tuple[str, str]:
    """The email's two ways out of its category: the site's page that confirms with one press
    (the footer's link) and the API address mail clients POST to (`List-Unsubscribe`)."""
    token = quote(desk.seal.seal({"u": user_id, "c": category}, scope=UNSUBSCRIBE_SCOPE), safe="")
    site = desk.settings.site_url.rstrip("/")
    return (f"{site}/unsubscribe.html?kind=notices&token={token}",
            f"{site}/api/notifications/unsubscribe?token={token}")


def _unsubscribing(token: object, desk: NoticeDesk) -> tuple[str, rules.Category]:
    signed = desk.seal.open_link(token, scope=UNSUBSCRIBE_SCOPE, name="unsubscribe link")
    user_id, category = signed.get("u"), signed.get("c")
    if not isinstance(user_id, str) or category not in rules.BY_NAME:
        raise InvalidInput("This unsubscribe link is not valid.", field="token")
    return user_id, rules.BY_NAME[category]


def unsubscribe_preview(*, token: object, desk: NoticeDesk) -> dict:
    """What the link stops (changes nothing: mail scanners open links)."""
    user_id, category = _unsubscribing(token, desk)
    chosen = rules.effective(desk.notices.state(user_id).preferences)
    return {"category": category.name, "label": category.label, "email": chosen[category.name]["email"]}


def unsubscribe(*, token: object, desk: NoticeDesk) -> dict:
    """One click: no more emails of that category (still in the centre, and pushed if push is on)."""
    user_id, category = _unsubscribing(token, desk)
    set_preferences(user_id=user_id, categories={category.name: {"email": False}}, desk=desk)
    return {"category": category.name, "label": category.label, "email": False}


# -- recording and delivering ---------------------------------------------------------------------

def is_notice(kind: str) -> bool:
    return kind in rules.KINDS


def _subject(context: dict, notice: rules.Notice) -> str:
    """What a newer push replaces an older one of (its Topic): the booking, event or order, the
    page or rating link, else nothing (the notice alone)."""
    for name, key in (("booking", "booking_id"), ("event", "event_id"), ("order", "order_id")):
        value = context.get(name)
        found = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
        if isinstance(found, str) and found:
            return found
    for name in ("page_url", "rate_url"):
        if isinstance(context.get(name), str):
            return context[name]
    return notice.notice_id


def record_and_deliver(notices: Callable[[], NoticeDesk], *, user_id: str, kind: str, context: dict,
                       compose: Callable[[dict], Any], mail: Callable[[Any], None]) -> Any:
    """An email of `kind` to the person, as their preferences say (see the module's docstring).
    `compose(extra)` makes the email with `extra` in its template context (the footer's
    unsubscribe link); `mail(email)` sends it (and logs a failure itself). The notice recorded,
    or None when it could not be."""
    rule = rules.KINDS[kind]
    category = rules.BY_NAME[rule.category]
    try:
        desk = notices()
        chosen = rules.effective(desk.notices.state(user_id).preferences)[category.name]
        confirm_page, one_click = unsubscribe_links(user_id, category.name, desk=desk)
    except Exception as error:  # noqa: BLE001 - the centre is down: the email goes as it always did
        logger().warning("notice preferences not read", extra={"kind": kind, "error": str(error)})
        mail(compose({}))
        return None
    email = compose({"notice_unsubscribe_url": confirm_page, "notice_category_label": rules.about(category)})
    email = replace(email, headers=tuple(email.headers) + (("List-Unsubscribe", f"<{one_click}>"),
                                                           ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")))
    now = int(desk.clock())
    notice = rules.notice_for(kind, user_id=user_id, notice_id=desk.new_id(), at=now, title=email.subject,
                              context=context, site_url=desk.settings.site_url)
    unread = None
    try:
        unread = desk.notices.add(notice, ttl=now + rules.TTL_SECONDS)
    except Exception as error:  # noqa: BLE001 - the email still goes; only the centre misses it
        logger().warning("notice not recorded", extra={"kind": kind, "error": str(error)})
    if chosen["email"]:
        mail(email)
    if unread is None:
        return None
    latest = rules.view(notice, read=False)
    if chosen["push"] and desk.push is not None:
        _push(desk, user_id, latest, _subject(context, notice), unread)
    _tell_sockets(desk, user_id, {"type": "notices", "unread": unread, "latest": latest})
    return notice


def _push(desk: NoticeDesk, user_id: str, latest: dict, subject: str, unread: int) -> None:
    from chalicelib.services.push import push_notice

    try:
        push_notice(user_id=user_id, notice=latest, subject=subject, unread=unread, desk=desk.push())
    except Exception as error:  # noqa: BLE001 - e.g. the VAPID secret unreadable: the notice stands
        logger().warning("notice not pushed", extra={"notice": latest["id"], "error": str(error)})


def _tell_sockets(desk: NoticeDesk, user_id: str, frame: dict) -> int:
    """Each open connection of the person gets the frame; a gone one is forgotten. How many got it."""
    from chalicelib.services.delivery import deliver

    if desk.connections is None or desk.sender is None:
        return 0
    told = 0
    try:
        connections = desk.connections.for_user(user_id)
    except Exception as error:  # noqa: BLE001
        logger().warning("notice connections not read", extra={"error": str(error)})
        return 0
    for connection in connections:
        try:
            told += deliver(connection_id=connection.connection_id, message=frame, sender=desk.sender,
                            connections=desk.connections)
        except Exception as error:  # noqa: BLE001 - one socket lost; the others go on
            logger().warning("notice frame not sent", extra={"error": str(error)})
    return told
