"""The WebSocket side: who is connected, the messages they send, and delivery to them."""
from __future__ import annotations

import json
from typing import Callable

from chalicelib.adapters.connections import Connection, ConnectionStore
from chalicelib.adapters.websocket import ConnectionGone, WebsocketSender
from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import InvalidInput

MAX_MESSAGE_BYTES = 32 * 1024  # API Gateway's frame limit


def connect(*, connection_id: str, principal: Principal, connections: ConnectionStore,
            now: int, lifetime_seconds: int) -> Connection:
    """Records a connection whose token was already verified; API Gateway ends it at 2 hours."""
    connection = Connection(connection_id=connection_id, user_id=principal.user_id,
                            connected_at=now, expires_at=now + lifetime_seconds)
    connections.add(connection)
    return connection


def disconnect(*, connection_id: str, connections: ConnectionStore) -> None:
    connections.remove(connection_id)


def deliver(*, connection_id: str, message: dict, sender: WebsocketSender,
            connections: ConnectionStore) -> bool:
    """Sends one message; a connection that is gone is forgotten. True if it was delivered."""
    try:
        sender.send(connection_id, message)
    except ConnectionGone:
        connections.remove(connection_id)
        return False
    return True


def parse_message(body: str | None) -> dict:
    if body is None or len(body.encode()) > MAX_MESSAGE_BYTES:
        raise InvalidInput("Messages are JSON objects of at most 32 KB.")
    try:
        message = json.loads(body)
    except ValueError:
        raise InvalidInput("Messages must be JSON.") from None
    if not isinstance(message, dict) or not isinstance(message.get("action"), str):
        raise InvalidInput('Messages are JSON objects with an "action".')
    return message


def handle_message(*, connection_id: str, body: str | None, connections: ConnectionStore,
                   sender: WebsocketSender, clock: Callable[[], float]) -> None:
    """Dispatches a message by its `action`; bad input is answered on the socket, never raised."""
    try:
        message = parse_message(body)
        handler = ACTIONS.get(message["action"])
        if handler is None:
            raise InvalidInput(f"Unknown action '{message['action']}'.", field="action")
        reply = handler(message, clock)
    except InvalidInput as error:
        reply = {"type": "error", "code": error.code, "message": error.message}
    deliver(connection_id=connection_id, message=reply, sender=sender, connections=connections)


def _ping(message: dict, clock: Callable[[], float]) -> dict:
    """The app heartbeat: keeps the socket inside API Gateway's 10-minute idle timeout."""
    reply = {"type": "pong", "at": int(clock() * 1000)}
    if isinstance(message.get("id"), (str, int)):
        reply["id"] = message["id"]
    return reply


ACTIONS: dict[str, Callable[[dict, Callable[[], float]], dict]] = {"ping": _ping}


def sweep_expired(*, connections: ConnectionStore, now: int) -> int:
    """Forgets connections past API Gateway's lifetime whose `$disconnect` never came."""
    swept = 0
    for connection_id in list(connections.expired(now)):
        connections.remove(connection_id)
        swept += 1
    return swept
