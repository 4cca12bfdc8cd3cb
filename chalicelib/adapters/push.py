"""Web Push: the subscriptions (DynamoDB, `tables/push.py`, and the in-memory twin) and the
sender (pywebpush, imported on the first push so a cold start never loads it, and the twin that
records what it was asked to send)."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain.push import endpoint_key


@dataclass(frozen=True)
class Subscription:
    user_id: str
    endpoint: str
    p256dh: str
    auth: str
    created_at: int = 0

    @property
    def info(self) -> dict:
        """As the browser's PushSubscription.toJSON() gave it, for pywebpush."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class PushSubscriptionStore(Protocol):
    def add(self, subscription: Subscription, *, limit: int) -> bool:
        """Keeps the subscription (the same endpoint again: its keys replaced); False (nothing
        written) when it is new and the person has `limit` already."""
        ...

    def remove(self, user_id: str, endpoint: str) -> bool: ...
    def for_user(self, user_id: str) -> list[Subscription]: ...


class InMemoryPushSubscriptionStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Subscription] = {}
        self._lock = threading.Lock()

    def add(self, subscription: Subscription, *, limit: int) -> bool:
        key = (subscription.user_id, endpoint_key(subscription.endpoint))
        with self._lock:
            if key not in self.items and len(self.for_user(subscription.user_id)) >= limit:
                return False
            self.items[key] = subscription
            return True

    def remove(self, user_id: str, endpoint: str) -> bool:
        with self._lock:
            return self.items.pop((user_id, endpoint_key(endpoint)), None) is not None

    def for_user(self, user_id: str) -> list[Subscription]:
        return [s for (owner, _), s in sorted(self.items.items()) if owner == user_id]


class DynamoPushSubscriptionStore:
    """One Query per person; the limit is checked by that Query before the put (two browsers
    subscribing in the same instant may end one over: harmless, the next add is refused)."""

    def add(self, subscription: Subscription, *, limit: int) -> bool:
        from chalicelib.adapters.tables.push import PushSubscriptionRecord as Record

        key = endpoint_key(subscription.endpoint)
        held = [s for s in self.for_user(subscription.user_id) if endpoint_key(s.endpoint) != key]
        if len(held) >= limit:
            return False
        Record(subscription.user_id, key, endpoint=subscription.endpoint, p256dh=subscription.p256dh,
               auth=subscription.auth, created_at=subscription.created_at).save()
        return True

    def remove(self, user_id: str, endpoint: str) -> bool:
        from pynamodb.exceptions import DeleteError

        from chalicelib.adapters.tables.push import PushSubscriptionRecord as Record

        try:
            Record(user_id, endpoint_key(endpoint)).delete(condition=Record.user_id.exists())
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def for_user(self, user_id: str) -> list[Subscription]:
        from chalicelib.adapters.tables.push import PushSubscriptionRecord as Record

        return [Subscription(r.user_id, r.endpoint, r.p256dh, r.auth, int(r.created_at))
                for r in Record.query(user_id, consistent_read=True)]


class PushSender(Protocol):
    def send(self, subscription: Subscription, data: bytes, *, ttl: int, urgency: str, topic: str) -> int:
        """Encrypts `data` for the subscription and posts it to its push service; the HTTP status.
        Raises when the push service cannot be reached."""
        ...


def vapid_public_key(private_key: str) -> str:
    """The browser's `applicationServerKey` (base64url of the uncompressed P-256 point) for the
    VAPID private key (base64url of its 32-byte scalar, as it is kept in the secret)."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        raw = base64.urlsafe_b64decode(private_key + "=" * (-len(private_key) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError("not a VAPID private key") from error
    if len(raw) != 32:
        raise ValueError("not a VAPID private key (32 bytes, base64url)")
    key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())  # ValueError out of range
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


def new_vapid_private_key() -> str:
    """A fresh VAPID private key in the form the secret keeps (for the local stack and the runbook)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric import ec

    number = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).decode().rstrip("=")


class WebPushSender:
    """pywebpush with the VAPID key (aes128gcm, RFC 8291; VAPID claims signed per push, RFC
    8292). A short timeout: a ring is worth seconds."""

    def __init__(self, private_key: str, subject: str, timeout_seconds: float = 5.0) -> None:
        self._private_key = private_key
        self._subject = subject
        self._timeout = timeout_seconds
        self._vapid: Any = None
        self._session: Any = None

    def send(self, subscription: Subscription, data: bytes, *, ttl: int, urgency: str, topic: str) -> int:
        import time
        from urllib.parse import urlsplit

        import requests
        from py_vapid import Vapid
        from pywebpush import WebPusher

        if self._vapid is None:
            self._vapid = Vapid.from_string(private_key=self._private_key)
            self._session = requests.Session()
        parts = urlsplit(subscription.endpoint)
        claims = {"sub": self._subject, "aud": f"{parts.scheme}://{parts.netloc}", "exp": int(time.time()) + 3600}
        headers = {**self._vapid.sign(claims), "Urgency": urgency, "Topic": topic}
        response = WebPusher(subscription.info, requests_session=self._session).send(
            data, headers, ttl=ttl, content_encoding="aes128gcm", timeout=self._timeout)
        return response.status_code


@dataclass
class Sent:
    subscription: Subscription
    data: bytes
    ttl: int
    urgency: str
    topic: str


@dataclass
class RecordingPushSender:
    """The twin: records every push; answers `statuses[endpoint]` (201 by default), or raises
    `failing[endpoint]`."""

    sent: list[Sent] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    failing: dict[str, Exception] = field(default_factory=dict)

    def send(self, subscription: Subscription, data: bytes, *, ttl: int, urgency: str, topic: str) -> int:
        if subscription.endpoint in self.failing:
            raise self.failing[subscription.endpoint]
        self.sent.append(Sent(subscription, data, ttl, urgency, topic))
        return self.statuses.get(subscription.endpoint, 201)
