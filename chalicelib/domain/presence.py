"""Online status: green online, red busy (in a call), none offline; and the directory order."""
from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    ONLINE = "online"
    BUSY = "busy"
    OFFLINE = "offline"


_ORDER = {Status.ONLINE: 0, Status.BUSY: 1, Status.OFFLINE: 2}
RATING_SCALE = 100  # averages kept to two decimals in the rank


def status_for(open_connections: int, in_call: bool = False) -> Status:
    """Any open tab makes a person online; a call makes them busy."""
    if open_connections <= 0:
        return Status.OFFLINE
    return Status.BUSY if in_call else Status.ONLINE


def listing_rank(status: Status, rating_total: int, rating_count: int, user_id: str) -> str:
    """A sort key that lists online helpers first, then busy, then offline, each by rating,
    highest first; ties broken by user id so the order is total and pages never overlap."""
    average = rating_total * RATING_SCALE // rating_count if rating_count else 0
    return f"{_ORDER[status]}#{5 * RATING_SCALE - average:03d}#{user_id}"
