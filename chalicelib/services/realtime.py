"""The WebSocket side: who is connected (and so online), their messages, delivery to them."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from chalicelib.adapters.calls import CallStore
from chalicelib.adapters.categories import ListingStore
from chalicelib.adapters.connections import Connection, ConnectionStore
from chalicelib.adapters.helper_pages import HelperPageStore
from chalicelib.adapters.presence import PresenceStore
from chalicelib.adapters.websocket import WebsocketSender
from chalicelib.domain.accounts import Principal
from chalicelib.adapters.calls import CallChanged
from chalicelib.domain.errors import DomainError, InvalidInput
from chalicelib.domain.presence import Status, status_for
from chalicelib.observability import logger
from chalicelib.services import calls
from chalicelib.services.calls import CallDesk
from chalicelib.services.delivery import deliver
from chalicelib.services.frames import echoable, read_frame, validate_frame
from chalicelib.services.signals import SignalLimiter, relay_signal


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
    calls: CallStore
    # Told when a Helper becomes online and free ("Notify me": services.waiting); None: nobody.
    came_online: Callable[[str, int], None] | None = None
    # Whether a person has call alerts on in a browser (Web Push), asked only when no tab of theirs
    # is open: such a person is reachable, not offline. None: nobody is.
    alerts: Callable[[str], bool] | None = None


def refresh_presence(user_id: str, *, book: PresenceBook, now_ms: int) -> Status:
    """Recounts the person's open connections and live calls; on a change, records it and
    re-ranks their cards (online, busy in a call, reachable by call alerts, or offline)."""
    from chalicelib.services.helper_pages import write_listings

    open_connections = len(book.connections.for_user(user_id))
    status = status_for(open_connections, in_call=bool(open_connections and book.calls.live_for(user_id)),
                        alerts=not open_connections and _has_alerts(user_id, book))
    if book.presence.set(user_id, status, now_ms):
        page = book.pages.get(user_id)
        if page is not None:
            write_listings(page, status, book.listings)
            if status is Status.ONLINE and book.came_online is not None:
                try:
                    book.came_online(user_id, now_ms // 1000)
                except Exception:  # noqa: BLE001 - telling the waiting must not stop a connection
                    logger().exception("waiting people not told", extra={"helper_id": user_id})
    return status


def _has_alerts(user_id: str, book: PresenceBook) -> bool:
    if book.alerts is None:
        return False
    try:
        return book.alerts(user_id)
    except Exception as error:  # noqa: BLE001 - unknown alerts: offline, as before push existed
        logger().warning("call alerts not read", extra={"user_id": user_id, "error": str(error)})
        return False


def connect(*, connection_id: str, principal: Principal, book: PresenceBook, now: float,
            liveness: Liveness) -> Connection:
    """Records a connection whose token was already verified; the person is now online."""
    seconds = int(now)
    connection = Connection(connection_id, principal.user_id, connected_at=seconds,
                            expires_at=seconds + min(liveness.stale_seconds, liveness.lifetime_seconds),
                            session_id=principal.session_id)
    book.connections.add(connection)
    refresh_presence(principal.user_id, book=book, now_ms=int(now * 1000))
    return connection


def disconnect(*, connection_id: str, book: PresenceBook, now: float, desk: CallDesk | None = None) -> None:
    connection = book.connections.get(connection_id)
    book.connections.remove(connection_id)
    if connection is not None:
        _gone(connection, book=book, now=now, desk=desk)


def _gone(connection: Connection, *, book: PresenceBook, now: float, desk: CallDesk | None) -> None:
    """A connection is over: the person's status follows, and their live calls start the grace."""
    refresh_presence(connection.user_id, book=book, now_ms=int(now * 1000))
    if desk is not None:
        calls.connection_closed(user_id=connection.user_id, connection_id=connection.connection_id, desk=desk,
                          now=int(now))


def end_connections(user_id: str, *, session_id: str | None, book: PresenceBook, sender: WebsocketSender,
                    now: float, desk: CallDesk | None = None) -> int:
    """Closes the person's open sockets of one signed-out session (all of them when `session_id`
    is None). Each is forgotten first, so a message still in flight on it finds no connection
    and is refused; then closed; then their status and live calls follow, as on `$disconnect`."""
    ending = [c for c in book.connections.for_user(user_id) if session_id is None or c.session_id == session_id]
    for connection in ending:
        book.connections.remove(connection.connection_id)
    for connection in ending:
        sender.close(connection.connection_id)
    for connection in ending:
        _gone(connection, book=book, now=now, desk=desk)
    return len(ending)


def handle_message(*, connection_id: str, body: str | None, connections: ConnectionStore,
                   sender: WebsocketSender, clock: Callable[[], float], liveness: Liveness,
                   desk: Callable[[], CallDesk] | None = None, limiter: SignalLimiter | None = None,
                   polls: Callable[[str, dict], dict] | None = None) -> None:
    """Dispatches a message by its `action`; refusals are answered on the socket, never raised.
    `polls` answers watching a poll's live results (services.poll_live.on_frame, bound)."""
    frame: dict = {}
    after_reply: list[Callable[[], None]] = []  # bookkeeping that need not delay the answer
    try:
        frame = read_frame(body)
        message = validate_frame(frame)
        action = message["action"]
        if action == "ping":
            reply = heartbeat(connection_id, message, connections=connections, clock=clock, liveness=liveness)
            if reply is None:  # swept while silent: end it; the browser reconnects and is counted again
                sender.close(connection_id)
                return
        elif action == "signal" and desk is not None and limiter is not None:
            relay_signal(connection_id=connection_id, message=message, calls=desk().calls,
                               connections=connections, sender=sender, limiter=limiter)
            return
        elif action in ("watch_poll", "unwatch_poll") and polls is not None:
            reply = polls(connection_id, message)
        elif (action == "call" or action in calls.ACTIONS) and desk is not None:
            call_desk = replace(desk(), after_reply=after_reply)
            reply = _call_action(connection_id, action, message, call_desk, int(clock()))
        else:
            raise InvalidInput(f"Unknown action '{action}'.", field="action")
    except DomainError as error:
        reply = {"type": "error", "code": error.code, "message": error.message}
        if error.field:
            reply["field"] = error.field
        if getattr(error, "retry_after", None):  # an abuse limit (errors.RateLimited): as HTTP's 429
            reply.update(status=429, retry_after=error.retry_after)
        for name in ("call_id", "id"):
            if echoable(frame, name) is not None:
                reply[name] = echoable(frame, name)
    deliver(connection_id=connection_id, message=reply, sender=sender, connections=connections)
    for later in after_reply:
        later()


def _call_action(connection_id: str, action: str, message: dict, desk: CallDesk, now: int) -> dict:
    me = desk.connections.get(connection_id)
    if me is None:
        raise InvalidInput("This connection has ended; reconnect.")
    if action == "call":  # the frame was validated: `helper` and `call_id` are non-empty strings
        booking = message.get("booking")
        call = calls.start_call(caller_id=me.user_id, caller_connection=connection_id,
                                helper_username=message["helper"], desk=desk, now=now,
                                booking_id=booking if isinstance(booking, str) and 0 < len(booking) <= 64 else None)
    else:
        call_id = message["call_id"]
        try:
            call = calls.act(action=action, call_id=call_id, user_id=me.user_id, connection_id=connection_id,
                             message=message, desk=desk, now=now)
        except CallChanged as changed:
            current = desk.calls.get(call_id)
            reply = {"type": "error", "code": changed.code, "message": changed.message, "call_id": call_id}
            if current is not None:
                reply["call"] = calls.call_view(current)
            if isinstance(message.get("id"), (str, int)):
                reply["id"] = message["id"]
            return reply
    reply = {"type": "ack", "action": action, "call": calls.call_view(call)}
    if isinstance(message.get("id"), (str, int)):
        reply["id"] = message["id"]
    return reply


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


def sweep_expired(*, book: PresenceBook, now: float, desk: CallDesk | None = None) -> int:
    """Forgets connections silent past their expiry (a lost `$disconnect`, a killed browser)
    and updates the status of everyone who had one."""
    swept = list(book.connections.expired(int(now)))
    for connection in swept:
        book.connections.remove(connection.connection_id)
    for connection in swept:
        _gone(connection, book=book, now=now, desk=desk)
    return len(swept)
