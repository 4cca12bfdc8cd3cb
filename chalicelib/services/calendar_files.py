"""Calendar files (iCalendar, RFC 5545) for appointments: the invitation an email carries, and
the feed a person subscribes to.

Every event of a booking has the UID `<booking_id>@<domain>` wherever it appears, so a
calendar that got the invitation, a later reschedule or cancellation, and the feed keeps one
event and updates it; `Booking.sequence` rises with each change, and calendars apply an update
only when its SEQUENCE is higher than the one they have. Times go out in UTC (`Z`): each
calendar shows them in its owner's zone.

Summaries, descriptions and names come from people (display names, the customer's note), so
they lose control and invisible characters and are capped here; icalendar escapes what is left
(commas, semicolons, newlines) and folds lines at 75 octets. icalendar is imported on the first
file, not at cold import.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable

from chalicelib.domain.bookings import BookingState
from chalicelib.domain.user_text import visible_text

if TYPE_CHECKING:
    from chalicelib.domain.bookings import Booking

PRODID = "-//interKanect//Appointments//EN"
METHODS = ("REQUEST", "CANCEL")
SUMMARY_CHARS = 200
DESCRIPTION_CHARS = 2000
NAME_CHARS = 100
FEED_REFRESH = timedelta(minutes=15)
ALARMS = (timedelta(hours=1), timedelta(minutes=10))  # before the start
_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f\"<>]+$")


def invitation(booking: Booking, *, method: str, summary: str, description: str, join_url: str,
               organizer: tuple[str, str], attendee: tuple[str, str], domain: str) -> bytes:
    """The invitation to one booking for one person, `method` REQUEST (booked, or moved) or
    CANCEL; `organizer` and `attendee` are `(name, email)`. The attendee has already accepted
    (they booked, or were booked) and is asked for no reply. A cancellation carries no alarms:
    it only removes the event."""
    return invitation_of(_entry(booking, summary=summary, description=description, join_url=join_url,
                                status="CONFIRMED"), method=method, organizer=organizer, attendee=attendee,
                         domain=domain)


def feed(events: Iterable[tuple[Booking, str, str, str]], *, calendar_name: str, domain: str) -> bytes:
    """A calendar to subscribe to: one event per `(booking, summary, description, join_url)`,
    cancelled ones kept as CANCELLED so subscribers drop them, and a hint to refresh every
    15 minutes (REFRESH-INTERVAL for RFC 7986 clients, X-PUBLISHED-TTL for Outlook)."""
    return feed_of((_entry(booking, summary=summary, description=description, join_url=join_url,
                           status=feed_status(booking.state)) for booking, summary, description, join_url in events),
                   calendar_name=calendar_name, domain=domain)


def feed_status(state: BookingState) -> str:
    """A cancelled booking is CANCELLED; one not yet confirmed (waiting for the Helper, or for
    the payment) is TENTATIVE; the rest, done ones too, CONFIRMED."""
    if state is BookingState.CANCELLED:
        return "CANCELLED"
    if state in (BookingState.REQUESTED, BookingState.HELD):
        return "TENTATIVE"
    return "CONFIRMED"


def _entry(booking: Booking, *, summary: str, description: str, join_url: str, status: str) -> "CalendarEntry":
    return CalendarEntry(uid_key=booking.booking_id, sequence=booking.sequence, start=booking.start, end=booking.end,
                         summary=summary, description=description, url=join_url, location=join_url, status=status)


@dataclass(frozen=True)
class CalendarEntry:
    """One calendar event of anything (a booking, a Helper's event): its UID is
    `<uid_key>@<domain>`; `location` a join link or an address."""

    uid_key: str
    sequence: int
    start: int
    end: int
    summary: str
    description: str
    url: str
    location: str
    status: str = "CONFIRMED"
    link_label: str = "Join"


def invitation_of(entry: CalendarEntry, *, method: str, organizer: tuple[str, str], attendee: tuple[str, str],
                  domain: str) -> bytes:
    """The invitation to one entry for one person, as `invitation` makes for a booking."""
    from icalendar import Alarm, Calendar

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    cancelled = method == "CANCEL"
    event = _vevent(CalendarEntry(**{**entry.__dict__, "status": "CANCELLED" if cancelled else entry.status}),
                    domain=domain)
    event.add("organizer", _address(*organizer))
    event.add("attendee", _address(*attendee, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED", RSVP="FALSE"))
    if not cancelled:
        for before in ALARMS:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", event["summary"])
            alarm.add("trigger", -before)
            event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()


def feed_of(entries: Iterable[CalendarEntry], *, calendar_name: str, domain: str) -> bytes:
    """A calendar to subscribe to, as `feed` makes of bookings."""
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _one_line(calendar_name, SUMMARY_CHARS))
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    for entry in entries:
        calendar.add_component(_vevent(entry, domain=domain))
    return calendar.to_ical()


def _vevent(entry: CalendarEntry, *, domain: str) -> Any:
    from icalendar import Event

    if not _URL.match(entry.url):
        raise ValueError(f"url must be an http(s) URL, not {entry.url!r}")
    event = Event()
    event.add("uid", f"{entry.uid_key}@{domain}")
    event.add("sequence", entry.sequence)
    event.add("dtstamp", datetime.now(timezone.utc).replace(microsecond=0))
    event.add("dtstart", _utc(entry.start))
    event.add("dtend", _utc(entry.end))
    event.add("summary", _one_line(entry.summary, SUMMARY_CHARS))
    event.add("description", f"{_paragraphs(entry.description, DESCRIPTION_CHARS)}\n\n"
                             f"{entry.link_label}: {entry.url}".lstrip())
    event.add("url", entry.url)
    event.add("location", _one_line(entry.location, 300))
    event.add("status", entry.status)
    return event


def _address(name: str, email: str, **params: str) -> Any:
    """A `mailto:` address with its CN. Double quotes become single ones: a parameter value
    cannot hold one, and RFC 6868's `^'` shows as such in Outlook."""
    from icalendar import vCalAddress

    address = vCalAddress(f"mailto:{_one_line(email, 254)}")
    address.params["CN"] = _one_line(name, NAME_CHARS).replace('"', "'")
    address.params.update(params)
    return address


def _utc(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, timezone.utc)


def _printable(text: str) -> str:
    """Without control characters (newlines and tabs aside, `\\r\\n` read as one newline) and
    invisible ones."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return visible_text("".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc"))


def _one_line(text: str, limit: int) -> str:
    return " ".join(_printable(text).split())[:limit].rstrip()


def _paragraphs(text: str, limit: int) -> str:
    """Lines kept, trailing spaces and runs of blank lines not."""
    lines = [line.rstrip() for line in _printable(text).expandtabs(4).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()[:limit].rstrip()
