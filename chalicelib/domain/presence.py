"""Online status: green online, red busy (in a call), reachable (no tab open, but call alerts on
in a browser: a ring reaches their devices), none offline; and the directory order."""
from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    ONLINE = "online"
    BUSY = "busy"
    REACHABLE = "reachable"
    OFFLINE = "offline"


_ORDER = {Status.ONLINE: 0, Status.BUSY: 1, Status.REACHABLE: 2, Status.OFFLINE: 3}
CALLABLE = frozenset({Status.ONLINE, Status.REACHABLE})  # a call can be started to them
RATING_SCALE = 100  # averages kept to two decimals in the rank
# The directory ranks by a Bayesian average: every Helper starts as if they had PRIOR_WEIGHT
# reviews of PRIOR_MEAN stars, so one 5-star review does not outrank a hundred 4.9s.
PRIOR_MEAN_HUNDREDTHS = 400
PRIOR_WEIGHT = 5


def status_for(open_connections: int, in_call: bool = False, alerts: bool = False) -> Status:
    """Any open tab makes a person online; a call makes them busy; with no tab open, call alerts
    on in a browser (Web Push) make them reachable."""
    if open_connections <= 0:
        return Status.REACHABLE if alerts else Status.OFFLINE
    return Status.BUSY if in_call else Status.ONLINE


def ranking_rating(rating_total: int, rating_count: int) -> int:
    """The rating the directory ranks by, in hundredths of a star, in integers:
    (weight x prior mean + stars) / (weight + reviews); with no reviews, the prior."""
    return (PRIOR_WEIGHT * PRIOR_MEAN_HUNDREDTHS + RATING_SCALE * rating_total) // (PRIOR_WEIGHT + rating_count)


def listing_rank(status: Status, rating_total: int, rating_count: int, user_id: str) -> str:
    """A sort key that lists online helpers first, then busy, reachable, offline, each by its ranking
    rating (`ranking_rating`), highest first; ties broken by user id so the order is total and
    pages never overlap."""
    return f"{_ORDER[status]}#{5 * RATING_SCALE - ranking_rating(rating_total, rating_count):03d}#{user_id}"
