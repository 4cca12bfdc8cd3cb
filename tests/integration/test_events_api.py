"""Events over HTTP on the local stack: a Helper announces; people RSVP until it is full, then wait;
someone leaves and the first waiting moves up; the online link reaches only people going; the
event page carries JSON-LD `Event`; the Helper's feed and the invitations parse as iCalendar; the
attendee list comes as CSV; a paid ticket goes through the PayPal sandbox and comes back in full
when the Helper cancels; parallel RSVPs never pass the capacity; and followers hear of an announced
event (not of a draft)."""
from __future__ import annotations

import csv
import email
import io
import json
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from icalendar import Calendar

from tests.support.accounts import sign_up_and_in
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import approve_in_sandbox, complete, eventually
from tests.support.race import race

pytestmark = pytest.mark.integration
LINK = "https://meet.example.com/leaks-live"


def iso(hours: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def announce(api: str, helper, **changes) -> dict:
    body = {"title": "Fix your own leaks", "description": "Bring a **wrench**.", "starts_at": iso(72),
            "ends_at": iso(74), "where": "online", "location": LINK, "capacity": 2, **changes}
    made = requests.post(f"{api}/me/events", headers=helper.auth, json=body, timeout=30)
    assert made.status_code == 201, made.text
    return made.json()["event"]


def rsvp(api: str, person, event_id: str) -> dict:
    answer = requests.put(f"{api}/events/{event_id}/rsvp", headers=person.auth, json={"zone": "America/New_York"},
                          timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def calendars_in(message: dict) -> list[Calendar]:
    raw = message.get("raw_data")
    if not raw:
        return []
    parsed = email.message_from_string(raw)
    return [Calendar.from_ical(part.get_payload(decode=True)) for part in parsed.walk()
            if part.get_content_type() == "text/calendar"]


def test_an_event_fills_its_waitlist_moves_up_and_only_people_going_see_the_link(local_stack):
    api, site, aws = local_stack["api"], local_stack["site"], local_stack["aws"]
    helper = become_helper(api, "host")
    bad = requests.post(f"{api}/me/events", headers=helper.auth, timeout=30, json={
        "title": "Backwards", "starts_at": iso(50), "ends_at": iso(49), "where": "online", "location": LINK,
        "capacity": 5})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "ends_at"
    assert requests.get(f"{api}/me/events", headers=helper.auth, timeout=30).json()["events"] == []

    event = announce(api, helper)
    event_id = event["event_id"]
    assert requests.get(f"{api}/events/{event_id}", timeout=30).json()["event"]["location"] is None
    assert requests.get(f"{api}/events/nope", timeout=30).status_code == 404
    people = [sign_up_and_in(api, "guest") for _ in range(3)]
    places = [rsvp(api, person, event_id)["place"]["place"] for person in people]
    assert places == ["going", "going", "waiting"]
    again = rsvp(api, people[0], event_id)
    assert again["place"]["place"] == "going" and again["event"]["taken"] == 2  # RSVP twice changes nothing
    assert again["event"]["location"] == LINK
    third = requests.get(f"{api}/events/{event_id}/me", headers=people[2].auth, timeout=30).json()
    assert third["waitlist_position"] == 1 and third["event"]["location"] is None
    assert requests.put(f"{api}/events/{event_id}/rsvp", headers=helper.auth, json={}, timeout=30).status_code == 409

    page = requests.get(f"{site}/h/{helper.username}/events/{event_id}", timeout=30)
    assert page.status_code == 200 and LINK not in page.text
    [data] = [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page.text,
                                                re.S)]
    assert data["@type"] == "Event" and data["eventAttendanceMode"].endswith("OnlineEventAttendanceMode")
    assert data["startDate"] and data["endDate"] and data["offers"]["availability"].endswith("SoldOut")
    listing = requests.get(f"{site}/h/{helper.username}/events", timeout=30)
    assert listing.status_code == 200 and "Fix your own leaks" in listing.text
    helper_page = requests.get(f"{site}/h/{helper.username}", timeout=30)
    assert "Upcoming events" in helper_page.text and f"/events/{event_id}" in helper_page.text
    assert f'<a href="/h/{helper.username}/events">Events</a>' in helper_page.text  # a tab of the page

    left = requests.delete(f"{api}/events/{event_id}/rsvp", headers=people[0].auth, timeout=60)
    assert left.status_code == 200 and left.json()["place"]["place"] == "left"
    moved = requests.get(f"{api}/events/{event_id}/me", headers=people[2].auth, timeout=30).json()
    assert moved["place"]["place"] == "going" and moved["event"]["location"] == LINK

    invites = eventually(lambda: [c for m in emails_to(aws, people[2].email) for c in calendars_in(m)])
    assert invites, "the person who moved up got no invitation"
    vevent = invites[-1].walk("VEVENT")[0]
    assert str(invites[-1]["method"]) == "REQUEST" and str(vevent["location"]) == LINK
    assert str(vevent["uid"]).startswith(f"event-{event_id}@")

    feed = requests.get(f"{site}/h/{helper.username}/events.ics", timeout=30)
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    [listed] = Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(listed["summary"]) == "Fix your own leaks" and LINK not in feed.text

    table = requests.get(f"{api}/me/events/{event_id}/attendees.csv", headers=helper.auth, timeout=30)
    assert table.status_code == 200 and table.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert {row["email"]: row["place"] for row in rows} == {
        people[0].email: "left", people[1].email: "going", people[2].email: "going"}
    stranger = requests.get(f"{api}/me/events/{event_id}/attendees.csv", headers=people[1].auth, timeout=30)
    assert stranger.status_code == 404


def test_a_paid_ticket_through_paypal_is_refunded_in_full_when_the_helper_cancels(local_stack):
    api, aws = local_stack["api"], local_stack["aws"]
    helper = become_helper(api, "ticketer")
    open_storefront(api, helper)
    event = announce(api, helper, price_cents=2500, capacity=5)
    buyer = sign_up_and_in(api, "buyer")
    held = rsvp(api, buyer, event["event_id"])
    assert held["place"]["place"] == "offered" and held["payment"]["kind"] == "ticket"
    assert held["event"]["location"] is None
    approve_in_sandbox(local_stack, held["payment"])
    complete(api, buyer, held["payment"])
    going = requests.get(f"{api}/events/{event['event_id']}/me", headers=buyer.auth, timeout=30).json()
    assert going["place"]["place"] == "going" and going["place"]["paid_cents"] == 2500

    cancelled = requests.post(f"{api}/me/events/{event['event_id']}/cancel", headers=helper.auth, timeout=120,
                              json={"reason": "I am ill, sorry."})
    assert cancelled.status_code == 200 and cancelled.json()["event"]["state"] == "cancelled"
    payment = requests.get(f"{api}/payments/{held['payment']['payment_id']}", headers=buyer.auth, timeout=30).json()
    assert payment["state"] == "refunded" and payment["refunded_cents"] == 2500
    notices = eventually(lambda: [m for m in emails_to(aws, buyer.email) if "Cancelled" in (m.get("subject") or "")
                                  or "Cancelled: Fix your own leaks" in (m.get("raw_data") or "")])
    assert notices
    [cancel] = [c for m in notices for c in calendars_in(m)]
    assert str(cancel["method"]) == "CANCEL" and str(cancel.walk("VEVENT")[0]["status"]) == "CANCELLED"
    late = requests.put(f"{api}/events/{event['event_id']}/rsvp", headers=buyer.auth, json={}, timeout=30)
    assert late.status_code == 409


def test_parallel_rsvps_over_http_give_exactly_capacity_going(local_stack):
    api = local_stack["api"]
    helper = become_helper(api, "crowded")
    event = announce(api, helper, capacity=3)
    people = [sign_up_and_in(api, "rush") for _ in range(10)]
    started = time.monotonic()
    outcomes = race([lambda p=p: rsvp(api, p, event["event_id"])["place"]["place"] for p in people], who="rush")
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert sorted(outcomes) == ["going"] * 3 + ["waiting"] * 7, outcomes
    after = requests.get(f"{api}/events/{event['event_id']}", timeout=30).json()["event"]
    assert (after["taken"], after["waiting"], after["places_left"]) == (3, 7, 0)
    print(f"10 parallel RSVPs for 3 places: {time.monotonic() - started:.2f} s")


@pytest.fixture
def follow_desk(app_env, monkeypatch, local_stack):
    """The follow desk of this process, signing with the stack's cursor secret (as in test_follows_api)."""
    secrets = app_env.aws_client("secretsmanager")
    monkeypatch.setenv("IK_CURSOR_SECRET_ARN", secrets.describe_secret(SecretId="interkanect/cursor-secret")["ARN"])
    app_env.reset()
    return app_env.follow_desk()


def test_followers_hear_of_an_announced_event_but_not_of_a_draft(local_stack, follow_desk):
    from chalicelib.services import follows

    api, aws = local_stack["api"], local_stack["aws"]
    helper = become_helper(api, "announcer")
    fan = sign_up_and_in(api, "eventfan")
    followed = requests.put(f"{api}/helpers/{helper.username}/follow", json={"mode": "each"}, headers=fan.auth,
                            timeout=30)
    assert followed.status_code == 200, followed.text
    announce(api, helper, title="A draft nobody hears of", state="draft")
    event = announce(api, helper, title="Radiators, bled live")
    follows.send_announcements(desk=follow_desk, now=int(time.time()), budget_seconds=20)
    told = eventually(lambda: [m for m in emails_to(aws, fan.email)
                               if "announced an event" in (m.get("subject") or "")])
    assert len(told) == 1 and told[0]["subject"].endswith("announced an event: Radiators, bled live")
    assert f"/h/{helper.username}/events/{event['event_id']}" in (told[0].get("text") or told[0].get("body") or "")
