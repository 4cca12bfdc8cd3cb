"""ICE servers for the browsers' peer connection: STUN, and short-lived TURN credentials in the
coturn REST API scheme (username `expiry:user`, password base64(HMAC-SHA1(secret, username)))."""
from __future__ import annotations

import base64
import hashlib
import hmac


def turn_credentials(*, secret: str, user_id: str, now: int, ttl_seconds: int) -> tuple[str, str]:
    username = f"{now + ttl_seconds}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(*, stun_urls: tuple[str, ...], turn_urls: tuple[str, ...], turn_secret: str, user_id: str,
                now: int, ttl_seconds: int) -> dict:
    servers: list[dict] = []
    if stun_urls:
        servers.append({"urls": list(stun_urls)})
    if turn_urls and turn_secret:
        username, credential = turn_credentials(secret=turn_secret, user_id=user_id, now=now,
                                                ttl_seconds=ttl_seconds)
        servers.append({"urls": list(turn_urls), "username": username, "credential": credential})
    return {"ice_servers": servers, "ttl": ttl_seconds}
