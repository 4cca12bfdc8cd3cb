"""An invitation sent by the app's own mailer through the local stack's SES, read back as a
newcomer would: in the local mailbox, following the download link of its `invite.ics`."""
from __future__ import annotations

import email
import re
import uuid
from datetime import datetime, timezone
from email import policy

import pytest
import requests
from icalendar import Calendar

from chalicelib.adapters.mailer import Email
from chalicelib.domain.bookings import Booking, BookingState
from chalicelib.services.calendar_files import invitation
from tests.support.mailbox import emails_to

pytestmark = pytest.mark.integration

START = int(datetime(2026, 5, 4, 13, 15, tzinfo=timezone.utc).timestamp())


def test_an_invitation_arrives_in_the_local_mailbox_with_its_ics_to_download(local_stack, app_env):
    to = f"zoe-{uuid.uuid4().hex[:8]}@example.com"
    booking = Booking(booking_id=f"b-{uuid.uuid4().hex[:8]}", helper_id="h", customer_id="c", start=START,
                      length=45, helper_zone="Europe/Paris", customer_zone="Asia/Kolkata", price_cents=0,
                      currency="USD", fee_cents=0, buffer_minutes=10, state=BookingState.CONFIRMED, created_at=0,
                      sequence=1)
    ics = invitation(booking, method="REQUEST", summary="Séance avec Zoë, 45 min", description="Mon CV; merci",
                     join_url=f"{local_stack['site']}/call/{booking.booking_id}", organizer=("Ada", "ada@example.com"),
                     attendee=("Zoë", to), domain="interkanect.local")

    app_env.mailer().send(Email(to=to, subject="Rendez-vous confirmé — Zoë", text="Bonjour Zoë",
                                html="<p>Bonjour Zoë</p>", calendar=ics))

    [sent] = emails_to(local_stack["aws"], to)
    assert sent["subject"] == "Rendez-vous confirmé — Zoë" and sent["text"].strip() == "Bonjour Zoë"
    [calendar_part] = [part for part in email.message_from_string(sent["raw_data"], policy=policy.default).walk()
                       if part.get_content_type() == "text/calendar"]
    assert calendar_part.get_param("method") == "REQUEST"

    site = local_stack["site"]
    page = requests.get(f"{site}/_local/mailbox/{sent['id']}", timeout=30)
    assert page.status_code == 200 and "Rendez-vous confirmé — Zoë" in page.text
    [link] = re.findall(r'href="(/_local/mailbox/[^"]+/attachment/\d+)"', page.text)
    assert re.search(rf'{re.escape(link)}" download>invite\.ics</a>', page.text)

    download = requests.get(site + link, timeout=30)
    assert download.status_code == 200 and download.content == ics
    assert download.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert download.headers["Content-Disposition"] == 'attachment; filename="invite.ics"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    [event] = Calendar.from_ical(download.content).walk("VEVENT")
    assert str(event["UID"]) == f"{booking.booking_id}@interkanect.local" and event.decoded("SEQUENCE") == 1
    assert str(event["SUMMARY"]) == "Séance avec Zoë, 45 min" and str(event["ATTENDEE"]) == f"mailto:{to}"
    assert event.decoded("DTSTART") == datetime(2026, 5, 4, 13, 15, tzinfo=timezone.utc)
    assert event.decoded("DTEND") == datetime(2026, 5, 4, 14, 0, tzinfo=timezone.utc)

    assert requests.get(f"{site}{link[:-1]}2", timeout=30).status_code == 404
