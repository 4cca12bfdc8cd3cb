"""Calendar files of appointments, read back with icalendar as a calendar app reads them: the
invitation (REQUEST, a reschedule that keeps the UID and raises SEQUENCE, CANCEL) and the feed;
what people wrote is escaped and folded by the rules, its control characters gone."""
from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from chalicelib.domain.bookings import Booking, BookingState
from chalicelib.services.calendar_files import feed, invitation

DOMAIN = "interkanect.example"
JOIN = "https://interkanect.example/call/b-1"
START = int(datetime(2026, 3, 9, 15, 0, tzinfo=timezone.utc).timestamp())
BOOKING = Booking(booking_id="b-1", helper_id="h-1", customer_id="c-1", start=START, length=30,
                  helper_zone="Europe/Paris", customer_zone="America/New_York", price_cents=3000,
                  currency="USD", fee_cents=0, buffer_minutes=10, state=BookingState.CONFIRMED, created_at=0,
                  note="Help me with my CV")


def invite(booking=BOOKING, *, method="REQUEST", summary="Session with Ada", description="Your CV",
           organizer=("Ada Lovelace", "ada@example.com")):
    ics = invitation(booking, method=method, summary=summary, description=description, join_url=JOIN,
                     organizer=organizer, attendee=("Bob", "bob@example.com"), domain=DOMAIN)
    return ics, Calendar.from_ical(ics)


def only_event(calendar):
    [event] = calendar.walk("VEVENT")
    return event


def test_an_invitation_has_every_property_a_calendar_needs():
    before = datetime.now(timezone.utc).replace(microsecond=0)
    ics, calendar = invite()

    assert (str(calendar["PRODID"]), str(calendar["VERSION"]), str(calendar["METHOD"])) == (
        "-//interKanect//Appointments//EN", "2.0", "REQUEST")
    event = only_event(calendar)
    assert str(event["UID"]) == "b-1@interkanect.example" and event.decoded("SEQUENCE") == 0
    assert before <= event.decoded("DTSTAMP") <= datetime.now(timezone.utc)
    assert event.decoded("DTSTART") == datetime(2026, 3, 9, 15, 0, tzinfo=timezone.utc)
    assert event.decoded("DTEND") == datetime(2026, 3, 9, 15, 30, tzinfo=timezone.utc)
    assert b"DTSTART:20260309T150000Z\r\n" in ics and b"DTEND:20260309T153000Z\r\n" in ics
    assert str(event["SUMMARY"]) == "Session with Ada"
    assert str(event["DESCRIPTION"]) == f"Your CV\n\nJoin: {JOIN}"
    assert str(event["URL"]) == JOIN and str(event["LOCATION"]) == JOIN
    assert str(event["STATUS"]) == "CONFIRMED"
    organizer, attendee = event["ORGANIZER"], event["ATTENDEE"]
    assert str(organizer) == "mailto:ada@example.com" and organizer.params["CN"] == "Ada Lovelace"
    assert str(attendee) == "mailto:bob@example.com" and dict(attendee.params) == {
        "CN": "Bob", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"}
    alarms = event.walk("VALARM")
    assert [alarm.decoded("TRIGGER") for alarm in alarms] == [-timedelta(hours=1), -timedelta(minutes=10)]
    assert {str(alarm["ACTION"]) for alarm in alarms} == {"DISPLAY"}
    assert all(str(alarm["DESCRIPTION"]) == "Session with Ada" for alarm in alarms)


def test_a_reschedule_keeps_the_uid_and_raises_the_sequence():
    _, first = invite()
    moved = replace(BOOKING, start=START + 86_400, sequence=1)
    _, second = invite(moved)

    assert str(only_event(second)["UID"]) == str(only_event(first)["UID"])
    assert only_event(second).decoded("SEQUENCE") == 1
    assert only_event(second).decoded("DTSTART") == datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)


def test_a_cancellation_is_method_cancel_and_status_cancelled_without_alarms():
    cancelled = replace(BOOKING, state=BookingState.CANCELLED, sequence=2)
    ics, calendar = invite(cancelled, method="CANCEL")

    assert b"METHOD:CANCEL\r\n" in ics and str(calendar["METHOD"]) == "CANCEL"
    event = only_event(calendar)
    assert str(event["STATUS"]) == "CANCELLED" and event.decoded("SEQUENCE") == 2
    assert str(event["UID"]) == "b-1@interkanect.example" and not event.walk("VALARM")


@pytest.mark.parametrize("method", ["PUBLISH", "request", ""])
def test_an_invitation_is_a_request_or_a_cancellation(method):
    with pytest.raises(ValueError):
        invite(method=method)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://x.example/a b", "https://x.example/\r\nX:1"])
def test_the_join_link_is_an_http_url(url):
    with pytest.raises(ValueError):
        invitation(BOOKING, method="REQUEST", summary="s", description="d", join_url=url,
                   organizer=("A", "a@example.com"), attendee=("B", "b@example.com"), domain=DOMAIN)


def test_the_feed_lists_each_booking_with_its_status_and_refresh_hints():
    bookings = [BOOKING,
                replace(BOOKING, booking_id="b-2", start=START + 3600, state=BookingState.REQUESTED),
                replace(BOOKING, booking_id="b-3", start=START + 7200, state=BookingState.CANCELLED, sequence=3),
                replace(BOOKING, booking_id="b-4", start=START - 86_400, state=BookingState.DONE)]
    ics = feed([(booking, f"Session {booking.booking_id}", booking.note, f"{JOIN}?{booking.booking_id}")
                for booking in bookings], calendar_name="Ada's appointments", domain=DOMAIN)
    calendar = Calendar.from_ical(ics)

    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["X-WR-CALNAME"]) == "Ada's appointments"
    assert str(calendar["PRODID"]) == "-//interKanect//Appointments//EN" and str(calendar["VERSION"]) == "2.0"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in ics and b"X-PUBLISHED-TTL:PT15M\r\n" in ics
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert list(events) == [f"b-{n}@{DOMAIN}" for n in (1, 2, 3, 4)]
    assert {uid: str(event["STATUS"]) for uid, event in events.items()} == {
        f"b-1@{DOMAIN}": "CONFIRMED", f"b-2@{DOMAIN}": "TENTATIVE", f"b-3@{DOMAIN}": "CANCELLED",
        f"b-4@{DOMAIN}": "CONFIRMED"}
    third = events[f"b-3@{DOMAIN}"]
    assert third.decoded("SEQUENCE") == 3 and str(third["SUMMARY"]) == "Session b-3"
    assert third.decoded("DTSTART") == datetime(2026, 3, 9, 17, 0, tzinfo=timezone.utc)
    assert str(third["URL"]) == f"{JOIN}?b-3"
    assert str(third["DESCRIPTION"]) == f"Help me with my CV\n\nJoin: {JOIN}?b-3"


def test_an_empty_feed_is_still_a_calendar():
    calendar = Calendar.from_ical(feed([], calendar_name="Nothing yet", domain=DOMAIN))
    assert str(calendar["X-WR-CALNAME"]) == "Nothing yet" and not calendar.walk("VEVENT")


def test_commas_semicolons_and_newlines_are_escaped_and_long_notes_folded_and_capped():
    note = "Line one, with a comma; and a semicolon\\ and a backslash\r\nLine two: ünïcødé 👩‍💻 " + "long " * 1000
    ics, calendar = invite(summary="Ada, Bob; and\nco", description=note)

    lines = ics.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert b"SUMMARY:Ada\\, Bob\\; and co\r\n" in ics
    assert b"Line one\\, with a comma\\; and a semicolon\\\\ and a backslash\\nLine two" in ics.replace(b"\r\n ", b"")
    event = only_event(calendar)
    assert str(event["SUMMARY"]) == "Ada, Bob; and co"
    description = str(event["DESCRIPTION"])
    assert description.startswith(
        "Line one, with a comma; and a semicolon\\ and a backslash\nLine two: ünïcødé 👩‍💻")
    assert description.endswith(f"\n\nJoin: {JOIN}") and len(description) <= 2000 + len(f"\n\nJoin: {JOIN}")
    ics.decode("utf-8")  # folding never splits a character


def test_a_long_summary_is_capped():
    _, calendar = invite(summary="word " * 100)
    summary = str(only_event(calendar)["SUMMARY"])
    assert len(summary) <= 200 and summary.startswith("word word")


def test_control_and_invisible_characters_are_gone():
    hostile = "A\x00d\x07a\x1b[31m \u202eevil\u202c\u200b\x7f\x85 end"
    ics, calendar = invite(summary=hostile, description=f"{hostile}\nnext\tline",
                           organizer=(f'"Ada"\x00 {hostile}', "ada@example.com"))
    event = only_event(calendar)
    assert str(event["SUMMARY"]) == "Ada[31m evil end"
    assert str(event["DESCRIPTION"]).startswith("Ada[31m evil end\nnext    line")
    assert event["ORGANIZER"].params["CN"] == "'Ada' Ada[31m evil end"
    assert not any(0 < byte < 32 and byte not in (9, 10, 13) or byte == 127 for byte in ics)
    assert "\u202e".encode() not in ics and "\u200b".encode() not in ics and "\x85".encode() not in ics


def test_icalendar_loads_on_the_first_file_not_at_import():
    import subprocess

    code = "import chalicelib.services.calendar_files, sys; print('icalendar' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
