"""The WebSocket side: who is connected (and so online), their messages, delivery to them."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from chalicelib.adapters.categories import ListingStore
from chalicelib.adapters.connections import Connection, ConnectionStore
from chalicelib.adapters.helper_pages import HelperPageStore
from chalicelib.adapters.presence import PresenceStore
from chalicelib.adapters.websocket import ConnectionGone, WebsocketSender
from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.presence import Status, status_for

MAX_MESSAGE_BYTES = 32 * 1024  # API Gateway's frame limit


@dataclass(frozen=True)
class Liveness:
    """How long a silent connection counts as open, and API Gateway's hard limit."""

    stale_seconds: int = 180
    lifetime_seconds: int = 2 * 60 * 60

    def expiry(self, connection: Connection, now: int) -> int:
        return min(now + self.stale_seconds, connection.connected_at + self.lifetime_seconds)


@dataclass(frozen=True)
class PresenceBook:
    """What a change of someone's connections touches: their status and their directory cards."""

    connections: ConnectionStore
    presence: PresenceStore
    pages: HelperPageStore
    listings: ListingStore


def refresh_presence(user_id: str, *, book: PresenceBook, now_ms: int) -> Status:
    """Recounts the person's open connections; on a change, records it and re-ranks their cards."""
    from chalicelib.services.helper_pages import write_listings

    status = status_for(len(book.connections.for_user(user_id)))
    if book.presence.set(user_id, status, now_ms):
        page = book.pages.get(user_id)
        if page is not None:
            write_listings(page, status, book.listings)
    return status


def connect(*, connection_id: str, principal: Principal, book: PresenceBook, now: float,
            liveness: Liveness) -> Connection:
    """Records a connection whose token was already verified; the person is now online."""
    seconds = int(now)
    connection = Connection(connection_id, principal.user_id, connected_at=seconds,
                            expires_at=seconds + min(liveness.stale_seconds, liveness.lifetime_seconds))
    book.connections.add(connection)
    refresh_presence(principal.user_id, book=book, now_ms=int(now * 1000))
    return connection


def disconnect(*, connection_id: str, book: PresenceBook, now: float) -> None:
    connection = book.connections.get(connection_id)
    book.connections.remove(connection_id)
    if connection is not None:
        refresh_presence(connection.user_id, book=book, now_ms=int(now * 1000))


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
                   sender: WebsocketSender, clock: Callable[[], float], liveness: Liveness) -> None:
    """Dispatches a message by its `action`; bad input is answered on the socket, never raised."""
    try:
        message = parse_message(body)
        if message["action"] != "ping":
            raise InvalidInput(f"Unknown action '{message['action']}'.", field="action")
        reply = heartbeat(connection_id, message, connections=connections, clock=clock, liveness=liveness)
    except InvalidInput as error:
        reply = {"type": "error", "code": error.code, "message": error.message}
    if reply is None:  # swept while silent: end it, the browser reconnects and is counted again
        sender.close(connection_id)
        return
    deliver(connection_id=connection_id, message=reply, sender=sender, connections=connections)


def heartbeat(connection_id: str, message: dict, *, connections: ConnectionStore,
              clock: Callable[[], float], liveness: Liveness) -> dict | None:
    """The app's ping: keeps the socket inside API Gateway's 10-minute idle timeout and the
    connection counted as open; None if the connection was already swept."""
    now = int(clock())
    connection = connections.get(connection_id)
    if connection is None or not connections.touch(connection_id, liveness.expiry(connection, now)):
        return None
    reply = {"type": "pong", "at": int(clock() * 1000)}
    if isinstance(message.get("id"), (str, int)):
        reply["id"] = message["id"]
    return reply


def sweep_expired(*, book: PresenceBook, now: float) -> int:
    """Forgets connections silent past their expiry (a lost `$disconnect`, a killed browser)
    and updates the status of everyone who had one."""
    swept = list(book.connections.expired(int(now)))
    for connection in swept:
        book.connections.remove(connection.connection_id)
    for user_id in {c.user_id for c in swept}:
        refresh_presence(user_id, book=book, now_ms=int(now * 1000))
    return len(swept)
