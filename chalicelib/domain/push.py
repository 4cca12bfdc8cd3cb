"""Web Push rules (no I/O): which push endpoints a browser may give us, the ring's payload, and
the headers that make a ring short-lived (TTL), urgent and replaceable (Topic)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from urllib.parse import urlsplit

from chalicelib.domain.errors import InvalidInput

RING_TTL_SECONDS = 30  # a ring nobody's device got within this long is not worth showing late
RING_URGENCY = "high"
ENDPOINT_MAX_LENGTH = 2048
GONE_STATUSES = (404, 410)  # the push service says the subscription is no more
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030: at most 32 base64url characters


def _b64url(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error


def check_subscription(endpoint: str, p256dh: str, auth: str, *, allow_local: bool) -> None:
    """A browser's PushSubscription: an https push service (or, when the settings say the stack
    is local, a push endpoint on 127.0.0.1 over http), a P-256 public key (65 bytes,
    uncompressed) and a 16-byte auth secret. Anything else is a 400 naming the field."""
    parts = urlsplit(endpoint)
    local = allow_local and parts.scheme == "http" and parts.hostname == "127.0.0.1"
    if len(endpoint) > ENDPOINT_MAX_LENGTH or not (parts.scheme == "https" or local) or not parts.hostname \
            or parts.username or parts.password or any(c.isspace() for c in endpoint):
        raise InvalidInput("The push endpoint must be an https URL of a push service.", field="endpoint")
    try:
        key = _b64url(p256dh)
    except ValueError:
        key = b""
    if len(key) != 65 or key[0] != 4:
        raise InvalidInput("keys.p256dh must be an uncompressed P-256 public key (base64url).", field="keys.p256dh")
    try:
        secret = _b64url(auth)
    except ValueError:
        secret = b""
    if len(secret) != 16:
        raise InvalidInput("keys.auth must be a 16-byte secret (base64url).", field="keys.auth")


def endpoint_key(endpoint: str) -> str:
    """The subscription's key beside its owner: endpoints are long and secret-ish; the hash is neither."""
    return hashlib.sha256(endpoint.encode()).hexdigest()


def topic_for(call_id: str) -> str:
    """One Topic per call: a push service holding an undelivered ring keeps only the newest
    message of that call. Call ids are 32 hex characters, which fit; others are hashed to fit."""
    if _TOPIC.match(call_id):
        return call_id
    return base64.urlsafe_b64encode(hashlib.sha256(call_id.encode()).digest()).decode()[:32]


def ring_payload(*, call_id: str, caller_name: str, url: str, expires_at: int | None = None) -> bytes:
    """What the service worker shows: small (push services take 4 KB), JSON, no personal data
    beyond the caller's display name."""
    body = {"type": "ring", "call_id": call_id, "caller": caller_name[:80], "url": url}
    if expires_at is not None:
        body["expires_at"] = expires_at
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
