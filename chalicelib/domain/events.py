"""Events a Helper announces, as pure rules: what makes an event (a title, a start and an end in
the Helper's zone, online with a link only attendees see or in person at an address, a capacity,
free or with a paid ticket), and who gets the places: the first to RSVP while places are left,
then the waitlist in the order people joined it, moved up as places free. A paid place promoted
from the waitlist is held for a while for its person to pay before it goes to the next."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable
from urllib.parse import urlsplit

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.user_text import visible_text

TITLE_MAX = 120
DESCRIPTION_MAX = 10_000
ADDRESS_MAX = 300
MAX_CAPACITY = 10_000
LONGEST_HOURS = 7 * 24
FURTHEST_DAYS = 2 * 365
PAID_HOLD_HOURS = 24  # a paid place offered from the waitlist waits this long for its payment


class Where(str, Enum):
    ONLINE = "online"
    IN_PERSON = "in_person"


class Place(str, Enum):
    """Where a person stands for an event."""

    GOING = "going"
    OFFERED = "offered"  # a paid place moved up from the waitlist, held until `hold_until` for payment
    WAITING = "waiting"
    LEFT = "left"


@dataclass(frozen=True)
class EventPlan:
    """An event as a Helper announces it (checked)."""

    title: str
    description: str
    starts_at: int
    ends_at: int
    zone: str
    where: Where
    location: str  # the link (online: shown to attendees only) or the address
    capacity: int
    price_cents: int  # 0: free RSVP


def check_event(*, title: object, description: object, starts_at: object, ends_at: object, zone: str,
                where: object, location: object, capacity: object, price_cents: object, now: int,
                max_price_cents: int) -> EventPlan:
    """A Helper's event, every field checked; a field at fault is named."""
    name = visible_text(title).strip() if isinstance(title, str) else ""
    if not 1 <= len(name) <= TITLE_MAX:
        raise InvalidInput(f"A title of 1 to {TITLE_MAX} characters.", field="title")
    about = description if isinstance(description, str) else None
    if about is None or len(about) > DESCRIPTION_MAX:
        raise InvalidInput(f"A description of at most {DESCRIPTION_MAX} characters.", field="description")
    if type(starts_at) is not int or not now < starts_at <= now + FURTHEST_DAYS * 86_400:
        raise InvalidInput("An event starts in the future, within two years.", field="starts_at")
    if type(ends_at) is not int or not starts_at < ends_at <= starts_at + LONGEST_HOURS * 3600:
        raise InvalidInput("An event ends after it starts, within a week.", field="ends_at")
    if where not in {w.value for w in Where}:
        raise InvalidInput("An event is online or in_person.", field="where")
    kind = Where(where)
    place = location.strip() if isinstance(location, str) else ""
    if kind is Where.ONLINE and not _web_link(place):
        raise InvalidInput("Give the https:// link attendees join with.", field="location")
    if kind is Where.IN_PERSON and not 1 <= len(visible_text(place)) <= ADDRESS_MAX:
        raise InvalidInput(f"Give the address, 1 to {ADDRESS_MAX} characters.", field="location")
    if type(capacity) is not int or not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(f"Capacity is 1 to {MAX_CAPACITY:,} people.", field="capacity")
    if type(price_cents) is not int or not 0 <= price_cents <= max_price_cents:
        raise InvalidInput(f"A ticket is whole cents from 0 (free) to {max_price_cents}.", field="price_cents")
    return EventPlan(title=name, description=about, starts_at=starts_at, ends_at=ends_at, zone=zone, where=kind,
                     location=place if kind is Where.ONLINE else visible_text(place), capacity=capacity,
                     price_cents=price_cents)


def _web_link(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme == "https" and bool(parts.netloc) and len(text) <= 2000 and not any(c.isspace() for c in text)


def place_on_asking(*, taken: int, capacity: int) -> Place:
    """Where a new RSVP stands: going while places are left (the store takes the place with a
    conditional counter, so two people never get the last one), else waiting."""
    return Place.GOING if taken < capacity else Place.WAITING


@dataclass(frozen=True)
class Waiter:
    user_id: str
    joined_at: int


def moved_up(waiting: Iterable[Waiter], *, freed: int) -> list[str]:
    """Who gets the places that freed: the longest waiting first (ties by user id, so every run
    agrees)."""
    if freed <= 0:
        return []
    return [w.user_id for w in sorted(waiting, key=lambda w: (w.joined_at, w.user_id))[:freed]]


def promoted_place(*, paid: bool, now: int) -> tuple[Place, int | None]:
    """A place moved up from the waitlist: a free one is the person's at once; a paid one is
    held for them to pay for `PAID_HOLD_HOURS` (then offered to the next)."""
    if not paid:
        return Place.GOING, None
    return Place.OFFERED, now + PAID_HOLD_HOURS * 3600


def refund_on_cancel(*, paid_cents: int) -> int:
    """The Helper cancels the event: every ticket is refunded in full."""
    return paid_cents
