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


def promoted_place(*, paid: bool, now: int, starts_at: int) -> tuple[Place, int | None]:
    """A place moved up from the waitlist (before the event starts): a free one is the person's
    at once; a paid one is held for them to pay for `PAID_HOLD_HOURS`, never past the start (then
    offered to the next)."""
    if not paid:
        return Place.GOING, None
    return Place.OFFERED, min(now + PAID_HOLD_HOURS * 3600, starts_at)


def refund_on_cancel(*, paid_cents: int) -> int:
    """The Helper cancels the event: every ticket is refunded in full."""
    return paid_cents


# -- an event and a person's place, as stored -----------------------------------------------------

REMINDERS = ((24 * 3600, "24h"), (3600, "1h"))  # seconds before the start, and the reminder's name
REMINDER_GRACE = 30 * 60  # a reminder this late after its moment (announced late) is not sent
TICKET_HOLD_SECONDS = 30 * 60  # a place taken with "Buy ticket" waits this long at PayPal


class EventState(str, Enum):
    DRAFT = "draft"  # only the Helper sees it
    ANNOUNCED = "announced"  # public, people RSVP
    CANCELLED = "cancelled"  # by the Helper: every ticket refunded in full


@dataclass(frozen=True)
class Event:
    """An event as stored. `taken` counts the places going and offered (the store changes it
    only with a conditional update, in the same transaction as the person's place), `waiting`
    the waitlist; `sequence` rises with each change attendees' calendars must follow."""

    event_id: str
    helper_id: str
    title: str
    description: str
    description_html: str
    summary: str
    starts_at: int
    ends_at: int
    zone: str
    where: Where
    location: str
    capacity: int
    price_cents: int
    currency: str
    state: EventState
    created_at: int
    updated_at: int
    version: int = 0
    sequence: int = 0
    taken: int = 0
    waiting: int = 0
    reminded: tuple[str, ...] = ()
    cancel_reason: str = ""  # the Helper's words when they cancelled, told to everyone
    hidden_note: str | None = None  # set when ops hid it after a report: the public no longer sees it

    @property
    def public(self) -> bool:
        """Whether visitors see it (announced or cancelled, and not hidden by ops)."""
        return self.state is not EventState.DRAFT and self.hidden_note is None

    @property
    def paid(self) -> bool:
        return self.price_cents > 0

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.taken)

    def with_changes(self, **changes: object) -> "Event":
        """The event changed by its Helper or a job, at the next version (counters as they are)."""
        from dataclasses import replace

        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]

    @property
    def due_at(self) -> int | None:
        """When the jobs next have something to do with it: a reminder (each once) while it is
        announced; a cancellation not yet carried out for everyone (places still counted: their
        refunds and notices), at once."""
        if self.state is EventState.CANCELLED:
            return self.updated_at if self.taken or self.waiting else None
        if self.state is not EventState.ANNOUNCED:
            return None
        pending = [self.starts_at - before for before, name in REMINDERS if name not in self.reminded]
        return min(pending) if pending else None


def reminders_due(event: Event, *, now: int) -> list[str]:
    """The reminders whose moment has come and that were not sent (the closest first)."""
    due = [(before, name) for before, name in REMINDERS
           if name not in event.reminded and now >= event.starts_at - before]
    return [name for _, name in sorted(due)]


def reminder_worth_sending(event: Event, name: str, *, now: int) -> bool:
    """A reminder claimed long after its moment (the event was announced late) is not sent."""
    before = dict((n, b) for b, n in REMINDERS)[name]
    return now < event.starts_at - before + REMINDER_GRACE and now < event.starts_at


@dataclass(frozen=True)
class Attendance:
    """One person's place for one event. `version` guards every change; `hold_until` is set
    while an offered (paid) place waits for its payment."""

    event_id: str
    user_id: str
    place: Place
    joined_at: int
    updated_at: int
    version: int = 0
    zone: str = "UTC"
    hold_until: int | None = None
    payment_id: str | None = None
    paid_cents: int = 0
    refunded_cents: int = 0

    def with_changes(self, **changes: object) -> "Attendance":
        from dataclasses import replace

        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]

    @property
    def holds_a_place(self) -> bool:
        return self.place in (Place.GOING, Place.OFFERED)
