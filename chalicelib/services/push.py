"""Web Push: people's browsers subscribe to call alerts, and a ring reaches a Helper's devices
when no tab of theirs is open (services/calls.py asks). Sending is best effort: a push that
fails is logged, never fails the call; a subscription its push service calls gone (404/410) is
removed. The same subscriptions carry the notification centre's notices (`push_notice`, asked by
services/notices.py when the person's push preference for the notice's category is on)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from chalicelib.adapters.push import PushSender, PushSubscriptionStore, Subscription
from chalicelib.domain import push as rules
from chalicelib.domain.errors import Conflict, ServiceUnavailable


@dataclass(frozen=True)
class PushDesk:
    subscriptions: PushSubscriptionStore
    # None when no VAPID key is set: subscribing and sending are off, the rest of the app is not.
    sender: PushSender | None
    public_key: Callable[[], str | None]
    site_url: str
    allow_local_endpoints: bool = False  # the local stack's push service listens on 127.0.0.1
    limit: int = 10  # subscriptions (browsers) per person


def public_key(*, desk: PushDesk) -> dict:
    key = desk.public_key()
    if not key:
        raise ServiceUnavailable("Call alerts are not set up on this site.")
    return {"public_key": key}


def subscribe(*, user_id: str, endpoint: str, p256dh: str, auth: str, desk: PushDesk, now: int) -> dict:
    rules.check_subscription(endpoint, p256dh, auth, allow_local=desk.allow_local_endpoints)
    if desk.sender is None:
        raise ServiceUnavailable("Call alerts are not set up on this site.")
    if not desk.subscriptions.add(Subscription(user_id, endpoint, p256dh, auth, now), limit=desk.limit):
        raise Conflict(f"Call alerts are on in {desk.limit} browsers already; turn them off in one first.")
    return {"subscribed": True, "subscriptions": len(desk.subscriptions.for_user(user_id))}


def unsubscribe(*, user_id: str, endpoint: str, desk: PushDesk) -> dict:
    """Turning alerts off twice, or for a browser never subscribed, changes nothing."""
    desk.subscriptions.remove(user_id, endpoint)
    return {"subscribed": False, "subscriptions": len(desk.subscriptions.for_user(user_id))}


def forget_everywhere(user_id: str, *, desk: Callable[[], PushDesk]) -> int:
    """Signing out everywhere: none of the person's browsers gets their call alerts any more
    (a lost phone stops showing who calls). Best effort (the desk is built here too, so an
    unreadable secret never fails the sign-out): how many were forgotten."""
    from chalicelib.observability import logger

    forgotten = 0
    try:
        subscriptions = desk().subscriptions
        for subscription in subscriptions.for_user(user_id):
            forgotten += subscriptions.remove(user_id, subscription.endpoint)
    except Exception as error:  # noqa: BLE001 - the sessions are ended; the alerts outlive them
        logger().warning("push subscriptions not forgotten", extra={"error": str(error)})
    return forgotten


def reachable(user_id: str, *, desk: PushDesk) -> bool:
    """Whether a push could reach the person (a VAPID key and at least one subscription)."""
    return desk.sender is not None and bool(desk.subscriptions.for_user(user_id))


def push_ring(*, helper_id: str, call_id: str, caller_name: str, expires_at: int | None, desk: PushDesk) -> int:
    """Pushes a ring to every browser the Helper subscribed; how many push services took it.
    Never raises: the call rings on whatever happens here."""
    from chalicelib.observability import logger

    if desk.sender is None:
        return 0
    try:
        subscriptions = desk.subscriptions.for_user(helper_id)
    except Exception as error:  # noqa: BLE001 - the call rings; this push is lost
        logger().warning("push subscriptions not read", extra={"call_id": call_id, "error": str(error)})
        return 0
    url = f"{desk.site_url}/call.html?call={call_id}&answer=1"
    data = rules.ring_payload(call_id=call_id, caller_name=caller_name, url=url, expires_at=expires_at)
    taken = 0
    for subscription in subscriptions:
        try:
            status = desk.sender.send(subscription, data, ttl=rules.RING_TTL_SECONDS, urgency=rules.RING_URGENCY,
                                      topic=rules.topic_for(call_id))
            if status in rules.GONE_STATUSES:
                desk.subscriptions.remove(helper_id, subscription.endpoint)
            elif 200 <= status < 300:
                taken += 1
            else:
                logger().warning("push refused", extra={"call_id": call_id, "status": status})
        except Exception as error:  # noqa: BLE001 - one browser's push lost; the others and the call go on
            logger().warning("push not sent", extra={"call_id": call_id, "error": str(error)})
    return taken


NOTICE_TTL_SECONDS = 24 * 3600  # a notice not delivered within a day is read in the centre instead
NOTICE_URGENCY = "normal"


def notice_payload(*, notice: dict, url: str, unread: int) -> bytes:
    """What the service worker shows for a notice (`type` "notice"): small, JSON, the title and
    body the centre shows and the link it opens."""
    import json

    body = {"type": "notice", "id": notice["id"], "kind": notice["kind"], "category": notice["category"],
            "title": notice["title"][:140], "body": notice["body"][:240], "url": url, "unread": unread}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def push_notice(*, user_id: str, notice: dict, subject: str, unread: int, desk: PushDesk) -> int:
    """Pushes a notice (domain.notices.view) to every browser the person subscribed, with the same
    sender and subscriptions as rings: kept a day by the push service, normal urgency, and one
    Topic per kind and subject (a newer notice about the same booking replaces a stale one).
    How many push services took it; never raises."""
    from chalicelib.observability import logger

    if desk.sender is None:
        return 0
    try:
        subscriptions = desk.subscriptions.for_user(user_id)
    except Exception as error:  # noqa: BLE001 - the notice is recorded; this push is lost
        logger().warning("push subscriptions not read", extra={"notice": notice.get("id"), "error": str(error)})
        return 0
    url = notice["url"] if notice["url"].startswith("http") else f"{desk.site_url.rstrip('/')}{notice['url']}"
    data = notice_payload(notice=notice, url=url, unread=unread)
    topic = rules.topic_for(f"{notice['kind']}:{subject}")
    taken = 0
    for subscription in subscriptions:
        try:
            status = desk.sender.send(subscription, data, ttl=NOTICE_TTL_SECONDS, urgency=NOTICE_URGENCY, topic=topic)
            if status in rules.GONE_STATUSES:
                desk.subscriptions.remove(user_id, subscription.endpoint)
            elif 200 <= status < 300:
                taken += 1
            else:
                logger().warning("push refused", extra={"notice": notice.get("id"), "status": status})
        except Exception as error:  # noqa: BLE001 - one browser's push lost; the others go on
            logger().warning("push not sent", extra={"notice": notice.get("id"), "error": str(error)})
    return taken
