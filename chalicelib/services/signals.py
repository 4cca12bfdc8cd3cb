"""WebRTC signal relaying: a browser's offer, answer or ICE candidate passed to the other
participant of its live call, one read (the call), no write, nothing stored; and the per-connection
rate limit on it."""
from __future__ import annotations

import json
import time
from typing import Callable

from chalicelib.adapters.calls import CallStore
from chalicelib.adapters.connections import ConnectionStore
from chalicelib.adapters.websocket import WebsocketSender
from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.services.delivery import deliver
from chalicelib.services.frames import SIGNAL_TYPES

MAX_SIGNAL_BYTES = 16 * 1024


class SignalLimiter:
    """Per connection, per warm Lambda: a token bucket of signalling messages (best effort)."""

    def __init__(self, rate_per_second: float = 50, burst: int = 200,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._rate, self._burst, self._clock = rate_per_second, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, connection_id: str) -> bool:
        now = self._clock()
        tokens, last = self._buckets.get(connection_id, (float(self._burst), now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if len(self._buckets) > 10_000:
            self._buckets.clear()
        if tokens < 1:
            self._buckets[connection_id] = (tokens, now)
            return False
        self._buckets[connection_id] = (tokens - 1, now)
        return True


def relay_signal(*, connection_id: str, message: dict, calls: CallStore, connections: ConnectionStore,
                 sender: WebsocketSender, limiter: SignalLimiter) -> None:
    """Passes a WebRTC message to the other participant of a live call: one read (the call),
    no write, nothing stored."""
    call_id, data = message.get("call_id"), message.get("data")
    if not isinstance(call_id, str) or not isinstance(data, dict) or data.get("type") not in SIGNAL_TYPES:
        raise InvalidInput("A signal is {call_id, data: {type: offer|answer|ice|...}}.", field="data")
    if len(json.dumps(data, separators=(",", ":")).encode()) > MAX_SIGNAL_BYTES:
        raise InvalidInput("Signals are at most 16 KB.", field="data")
    if not limiter.allow(connection_id):
        raise InvalidInput("Too many signals; slow down.", field="data")
    call = calls.get(call_id)
    other = call.other_connection(connection_id) if call is not None and call.live else None
    if other is None:
        raise Forbidden("You can only signal the other person in your own live call.")
    deliver(connection_id=other, message={"type": "signal", "call_id": call_id, "data": data},
            sender=sender, connections=connections)
