"""Fixed-window rate limits (abuse guard rails the app enforces where WAF cannot see who is
asking: rings per caller a minute, sign-ups per address an hour): DynamoDB, and an in-memory twin.

A limit counts hits of a key (`"ring:<user id>"`) in windows of `window` seconds aligned on the
epoch. A hit is let through and counted only while the window's count is below the limit: one
UpdateItem that ADDs 1 under the condition `hits < limit` (so two Lambdas never both take the
last place), the item expiring (TTL) a window after its own. A refused hit changes nothing."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.errors import RateLimited


@dataclass(frozen=True)
class Hit:
    allowed: bool
    count: int  # the window's hits after this one (the limit when refused)
    retry_after: int  # seconds until the window ends (a refused caller may try again then)


class RateLimiter(Protocol):
    def hit(self, key: str, *, limit: int, window: int, now: float) -> Hit: ...


def window_of(now: float, window: int) -> tuple[int, int]:
    """The fixed window `now` falls in: its start and its end (epoch seconds)."""
    start = int(now) - int(now) % window
    return start, start + window


def enforce(limiter: RateLimiter | None, key: str, *, limit: int, window: int, now: float,
            what: str) -> None:
    """Counts one hit of `key`, or raises RateLimited (429, Retry-After) saying `what` is limited
    ("You can ring 6 times a minute"). No limiter, or a limit of 0 or less: nothing is limited."""
    if limiter is None or limit <= 0:
        return
    hit = limiter.hit(key, limit=limit, window=window, now=now)
    if not hit.allowed:
        raise RateLimited(f"{what}; try again in {hit.retry_after} s.", retry_after=hit.retry_after)


class InMemoryRateLimiter:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}  # "<key>#<window start>" -> hits
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int, window: int, now: float) -> Hit:
        start, end = window_of(now, window)
        retry_after = max(1, end - int(now))
        item = f"{key}#{start}"
        with self._lock:
            count = self.counts.get(item, 0)
            if count >= limit:
                return Hit(False, count, retry_after)
            self.counts[item] = count + 1
            return Hit(True, count + 1, retry_after)


class DynamoRateLimiter:
    """One conditional UpdateItem per hit; nothing read first."""

    def hit(self, key: str, *, limit: int, window: int, now: float) -> Hit:
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.limits import RateLimitRecord as Record

        start, end = window_of(now, window)
        retry_after = max(1, end - int(now))
        record = Record(f"{key}#{start}")
        try:
            record.update(  # ALL_NEW: the record holds the count after this hit
                actions=[Record.hits.add(1), Record.ttl.set(end + window)],
                condition=Record.hits.does_not_exist() | (Record.hits < limit))
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return Hit(False, limit, retry_after)
            raise
        return Hit(True, int(record.hits), retry_after)
