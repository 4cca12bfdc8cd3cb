"""WebSocket entrypoints: authenticate `$connect`, forget on `$disconnect`, dispatch messages."""
from __future__ import annotations

import time
from urllib.parse import unquote

from chalicelib import deps
from chalicelib.domain.errors import InvalidToken
from chalicelib.observability import logger
from chalicelib.services import realtime, sessions

SUBPROTOCOL = "interkanect"


def token_of_connect(event: dict) -> tuple[str, str | None]:
    """The token of a `$connect`: `Sec-WebSocket-Protocol: interkanect, <token>` (browsers
    cannot set headers) or `?token=`; returns it with the subprotocol to answer."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    if SUBPROTOCOL in offered:
        others = [p for p in offered if p != SUBPROTOCOL]
        if others:
            return others[0], SUBPROTOCOL
    token = (event.get("queryStringParameters") or {}).get("token")
    if token:
        return unquote(token), None
    raise InvalidToken("Sign in first: no token was sent.")


def on_connect(event) -> dict:
    raw = event.to_dict()
    try:
        token, subprotocol = token_of_connect(raw)
        principal = sessions.refuse_if_signed_out(deps.token_verifier().verify(token),
                                                  revocations=deps.revocations())
    except InvalidToken as refusal:
        logger().info("websocket connect refused", extra={"reason": refusal.message})
        return {"statusCode": 401}
    realtime.connect(connection_id=event.connection_id, principal=principal, book=deps.presence_book(),
                     now=time.time(), liveness=deps.liveness())
    if subprotocol:
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": subprotocol}}
    return {"statusCode": 200}


def on_message(event) -> None:
    realtime.handle_message(connection_id=event.connection_id, body=event.body,
                            connections=deps.connection_store(), sender=deps.websocket_sender(),
                            clock=time.time, liveness=deps.liveness(), desk=deps.call_desk,
                            limiter=deps.signal_limiter(), polls=_watching_polls)


def _watching_polls(connection_id: str, message: dict) -> dict:
    from chalicelib.services import poll_live

    return poll_live.on_frame(connection_id=connection_id, message=message, desk=deps.poll_desk(),
                              live=deps.live_polls(), helper_id_of=deps.helper_id_named)


def on_disconnect(event) -> None:
    realtime.disconnect(connection_id=event.connection_id, book=deps.presence_book(), now=time.time(),
                        desk=deps.call_desk())


def sweep_connections() -> int:
    return realtime.sweep_expired(book=deps.presence_book(), now=time.time(), desk=deps.call_desk())


def sweep_calls() -> int:
    from chalicelib.services.calls import sweep_calls as sweep

    return sweep(desk=deps.call_desk(), now=int(time.time()))
