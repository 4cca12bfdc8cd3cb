"""Events end to end on the in-memory twins: Ada (Europe/Paris) announces events; Bob and others
RSVP, fill them, wait, leave and move up; paid tickets go through the PayPal twin, a held place
runs out, and Ada's cancellation refunds every ticket in full."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from chalicelib.adapters.events import InMemoryEventStore
from chalicelib.domain.accounts import Profile
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.events import PAID_HOLD_HOURS, TICKET_HOLD_SECONDS, EventState, Place
from chalicelib.domain.fees import PaymentKind
from chalicelib.domain.payments import PaymentState, Storefront
from chalicelib.services import events as service
from chalicelib.services import payments
from chalicelib.services.events import EventClosed, EventDesk, ticket_purpose
from tests.support.twins import CALLER, HELPER
from tests.unit.test_payments_service import desk_twin

PARIS = "Europe/Paris"
NOW = int(datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo(PARIS)).timestamp())
HOUR, DAY = 3600, 86_400
PEOPLE = [f"person-{i}" for i in range(8)]


def event_desk(*, storefront: bool = True) -> EventDesk:
    paying = desk_twin()
    pages = paying.calls.pages
    pages.save(replace(pages.get(HELPER), time_zone=PARIS))
    for user_id in PEOPLE:
        paying.accounts.create(Profile(user_id=user_id, email=f"{user_id}@example.com",
                                       username=user_id.replace("-", ""), display_name=user_id.title(),
                                       created_at="2026-01-01T00:00:00Z"))
    if storefront:
        paying.storefronts.save(Storefront(user_id=HELPER, paypal_email="ada@paypal.example", name="Ada",
                                           created_at=NOW, updated_at=NOW))
    announced: list[dict] = []
    desk = EventDesk(events=InMemoryEventStore(), payments=paying, announce=lambda **kw: announced.append(kw))
    paying.purposes[PaymentKind.TICKET] = ticket_purpose(desk)
    object.__setattr__(desk, "announced", announced)  # what the test reads back
    return desk


@pytest.fixture
def desk() -> EventDesk:
    return event_desk()


def fields(**changes):
    return {"title": "Fix your own leaks", "description": "Bring a **wrench**.", "starts_at": "2026-06-10T18:00",
            "ends_at": "2026-06-10T20:00", "where": "online", "location": "https://meet.example.com/leaks",
            "capacity": 2, "price_cents": 0, **changes}


def new_event(desk, **changes):
    return service.create_event(helper_id=HELPER, fields=fields(**changes), desk=desk, now=NOW)


def rsvp(desk, event, user_id, now=NOW):
    return service.rsvp(event_id=event.event_id, user_id=user_id, zone="America/New_York", desk=desk, now=now)


def place(desk, event, user_id):
    found = desk.events.place(event.event_id, user_id)
    return found.place if found else None


def subjects(desk, user_id):
    return [m.subject for m in desk.mailer.sent if m.to == f"{user_id}@example.com"]


# -- the Helper's event ------------------------------------------------------------------------------------

def test_an_event_is_read_on_the_helpers_clock_and_announced_to_followers(desk):
    event = new_event(desk)
    assert event.starts_at == int(datetime(2026, 6, 10, 18, 0, tzinfo=ZoneInfo(PARIS)).timestamp())
    assert event.state is EventState.ANNOUNCED and event.description_html.startswith("<p>Bring a <strong>")
    [told] = desk.announced
    assert (told["kind"], told["item_id"], told["path"]) == ("event", event.event_id, f"/h/ada/events/{event.event_id}")
    draft = new_event(desk, state="draft")
    assert draft.state is EventState.DRAFT and len(desk.announced) == 1


@pytest.mark.parametrize("change, field", [
    ({"ends_at": "2026-06-10T17:00"}, "ends_at"), ({"capacity": 0}, "capacity"), ({"where": "moon"}, "where"),
    ({"location": "http://insecure.example"}, "location"), ({"starts_at": "yesterday"}, "starts_at"),
    ({"title": ""}, "title"), ({"state": "cancelled"}, "state"),
])
def test_bad_events_are_a_4xx_that_saves_nothing(desk, change, field):
    with pytest.raises(InvalidInput) as refused:
        new_event(desk, **change)
    assert refused.value.field == field
    assert desk.events.for_helper(HELPER, now=NOW, upcoming=True, limit=10)[0] == []


def test_tickets_need_a_storefront():
    desk = event_desk(storefront=False)
    with pytest.raises(InvalidInput) as refused:
        new_event(desk, price_cents=1500)
    assert refused.value.field == "price_cents"


def test_an_online_link_is_shown_only_to_people_going(desk):
    event = new_event(desk)
    assert service.event_view(event)["location"] is None
    assert service.my_place(event_id=event.event_id, user_id=CALLER, desk=desk, now=NOW)["event"]["location"] is None
    rsvp(desk, event, CALLER)
    assert service.my_place(event_id=event.event_id, user_id=CALLER, desk=desk, now=NOW)["event"]["location"] \
        == "https://meet.example.com/leaks"
    in_person = new_event(desk, where="in_person", location="12 Rue de la Paix, Paris")
    assert service.event_view(in_person)["location"] == "12 Rue de la Paix, Paris"


# -- capacity and the waitlist ----------------------------------------------------------------------------

def test_rsvps_past_capacity_join_the_waitlist_in_order_and_rsvp_twice_changes_nothing(desk):
    event = new_event(desk)
    outcomes = [rsvp(desk, event, p, now=NOW + i)[1].place for i, p in enumerate(PEOPLE[:4])]
    assert outcomes == [Place.GOING, Place.GOING, Place.WAITING, Place.WAITING]
    again = rsvp(desk, event, PEOPLE[0], now=NOW + 10)[1]
    assert again.place is Place.GOING
    current = desk.events.get(event.event_id)
    assert (current.taken, current.waiting) == (2, 2)
    assert [w.user_id for w in desk.events.waitlist(event.event_id, limit=10)] == PEOPLE[2:4]
    view = service.my_place(event_id=event.event_id, user_id=PEOPLE[3], desk=desk, now=NOW)
    assert view["waitlist_position"] == 2 and view["event"]["location"] is None
    assert subjects(desk, PEOPLE[0]) == ["You're going: Fix your own leaks"]
    invitation = next(m for m in desk.mailer.sent if m.to == f"{PEOPLE[0]}@example.com").calendar
    vevent = Calendar.from_ical(invitation).walk("VEVENT")[0]
    assert str(vevent["uid"]).startswith(f"event-{event.event_id}@") and vevent["location"] == event.location


def test_leaving_moves_the_longest_waiting_up_at_once(desk):
    event = new_event(desk)
    for i, person in enumerate(PEOPLE[:4]):
        rsvp(desk, event, person, now=NOW + i)
    service.leave(event_id=event.event_id, user_id=PEOPLE[0], desk=desk, now=NOW + 60)
    assert [place(desk, event, p) for p in PEOPLE[:4]] == [Place.LEFT, Place.GOING, Place.GOING, Place.WAITING]
    assert "You're going: Fix your own leaks" in subjects(desk, PEOPLE[2])
    current = desk.events.get(event.event_id)
    assert (current.taken, current.waiting) == (2, 1)
    service.leave(event_id=event.event_id, user_id=PEOPLE[3], desk=desk, now=NOW + 70)  # leaves the waitlist
    assert desk.events.get(event.event_id).waiting == 0 and desk.events.get(event.event_id).taken == 2


def test_more_places_move_the_waitlist_up_and_fewer_than_taken_is_a_409(desk):
    event = new_event(desk)
    for i, person in enumerate(PEOPLE[:4]):
        rsvp(desk, event, person, now=NOW + i)
    with pytest.raises(Conflict) as refused:
        service.update_event(helper_id=HELPER, event_id=event.event_id, fields=fields(capacity=1), desk=desk, now=NOW)
    assert refused.value.field == "capacity" and desk.events.get(event.event_id).capacity == 2
    service.update_event(helper_id=HELPER, event_id=event.event_id, fields=fields(capacity=3), desk=desk, now=NOW)
    assert [place(desk, event, p) for p in PEOPLE[:4]] == [Place.GOING] * 3 + [Place.WAITING]


def test_parallel_rsvps_never_pass_capacity(desk):
    event = new_event(desk, capacity=3)
    people = [f"racer-{i}" for i in range(40)]
    barrier = threading.Barrier(len(people))

    def go(person):
        barrier.wait()
        rsvp(desk, event, person)

    threads = [threading.Thread(target=go, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    places = [place(desk, event, p) for p in people]
    assert places.count(Place.GOING) == 3 and places.count(Place.WAITING) == 37
    assert (desk.events.get(event.event_id).taken, desk.events.get(event.event_id).waiting) == (3, 37)


def test_a_moved_time_sends_the_updated_invitation_with_a_higher_sequence(desk):
    event = new_event(desk)
    rsvp(desk, event, CALLER)
    service.update_event(helper_id=HELPER, event_id=event.event_id,
                         fields=fields(starts_at="2026-06-10T19:00", ends_at="2026-06-10T21:00"), desk=desk, now=NOW)
    changed = [m for m in desk.mailer.sent if m.subject.startswith("Changed:")]
    assert [m.to for m in changed] == [f"{CALLER}@example.com"]
    vevent = Calendar.from_ical(changed[0].calendar).walk("VEVENT")[0]
    assert int(vevent["sequence"]) == 1 and changed[0].calendar_method == "REQUEST"


def test_unknown_and_closed_events_and_ones_own_event(desk):
    with pytest.raises(NotFound):
        service.rsvp(event_id="nope", user_id=CALLER, zone="UTC", desk=desk, now=NOW)
    draft = new_event(desk, state="draft")
    with pytest.raises(NotFound):
        rsvp(desk, draft, CALLER)
    event = new_event(desk)
    with pytest.raises(Conflict):
        rsvp(desk, event, HELPER)
    with pytest.raises(InvalidInput):
        service.rsvp(event_id=event.event_id, user_id=CALLER, zone="Mars/Base", desk=desk, now=NOW)
    assert desk.events.get(event.event_id).taken == 0


# -- paid tickets ------------------------------------------------------------------------------------------

def buy(desk, event, user_id, now=NOW):
    _, attendance, payment = rsvp(desk, event, user_id, now=now)
    assert attendance.place is Place.OFFERED and payment is not None and payment.kind is PaymentKind.TICKET
    desk.payments.gateway.approve(payment.order_id)
    payments.complete_payment(payment_id=payment.payment_id, user_id=user_id, desk=desk.payments, now=now + 30)
    return desk.payments.payments.get(payment.payment_id)


def test_a_paid_ticket_holds_the_place_until_paid_then_the_person_goes(desk):
    event = new_event(desk, price_cents=2500)
    paid = buy(desk, event, CALLER)
    assert paid.state is PaymentState.CAPTURED and place(desk, event, CALLER) is Place.GOING
    assert desk.events.place(event.event_id, CALLER).paid_cents == 2500
    assert "You're going: Fix your own leaks" in subjects(desk, CALLER)
    assert paid.helper_cents is not None and paid.helper_cents < 2500  # fees as for the store's goods


def test_an_unpaid_hold_runs_out_and_frees_the_place_for_the_waitlist(desk):
    event = new_event(desk, price_cents=2500, capacity=1)
    _, held, payment = rsvp(desk, event, PEOPLE[0])
    assert rsvp(desk, event, PEOPLE[1], now=NOW + 1)[1].place is Place.WAITING
    assert service.run_event_jobs(desk=desk, now=NOW + TICKET_HOLD_SECONDS - 1) == 0
    service.run_event_jobs(desk=desk, now=NOW + TICKET_HOLD_SECONDS)
    assert desk.payments.payments.get(payment.payment_id).state is PaymentState.VOIDED
    assert place(desk, event, PEOPLE[0]) is Place.LEFT
    promoted = desk.events.place(event.event_id, PEOPLE[1])
    assert promoted.place is Place.OFFERED and promoted.hold_until == NOW + TICKET_HOLD_SECONDS + PAID_HOLD_HOURS * HOUR
    assert "A place is held for you: Fix your own leaks" in subjects(desk, PEOPLE[1])
    # The promoted person pays within their hold and goes.
    paid = buy(desk, event, PEOPLE[1], now=NOW + TICKET_HOLD_SECONDS + HOUR)
    assert paid.state is PaymentState.CAPTURED and place(desk, event, PEOPLE[1]) is Place.GOING


def test_money_for_a_hold_that_ran_out_goes_back_whole(desk):
    event = new_event(desk, price_cents=2500, capacity=1)
    _, _, payment = rsvp(desk, event, PEOPLE[0])
    desk.payments.gateway.approve(payment.order_id)
    later = NOW + TICKET_HOLD_SECONDS + 5
    attendance = desk.events.place(event.event_id, PEOPLE[0])
    desk.events.give_up(attendance, attendance.with_changes(place=Place.LEFT, hold_until=None))
    with pytest.raises(Exception):
        payments.complete_payment(payment_id=payment.payment_id, user_id=PEOPLE[0], desk=desk.payments, now=later)
    assert desk.payments.payments.get(payment.payment_id).state is PaymentState.VOIDED


def test_the_helper_cancelling_refunds_every_ticket_in_full_and_sends_method_cancel(desk):
    event = new_event(desk, price_cents=2500, capacity=2)
    first, second = buy(desk, event, PEOPLE[0]), buy(desk, event, PEOPLE[1])
    rsvp(desk, event, PEOPLE[2])  # waiting
    service.cancel_event(helper_id=HELPER, event_id=event.event_id, desk=desk, now=NOW + HOUR,
                         reason="I am ill, sorry.")
    for paid in (first, second):
        refunded = desk.payments.payments.get(paid.payment_id)
        assert refunded.state is PaymentState.REFUNDED and refunded.refunded_cents == 2500
    assert desk.events.place(event.event_id, PEOPLE[0]).refunded_cents == 2500
    cancel = [m for m in desk.mailer.sent if m.subject == "Cancelled: Fix your own leaks"]
    assert sorted(m.to for m in cancel) == sorted(f"{p}@example.com" for p in PEOPLE[:3])
    going = next(m for m in cancel if m.to == f"{PEOPLE[0]}@example.com")
    assert going.calendar_method == "CANCEL" and "$25.00" in going.text
    assert str(Calendar.from_ical(going.calendar).walk("VEVENT")[0]["status"]) == "CANCELLED"
    with pytest.raises(EventClosed):
        rsvp(desk, desk.events.get(event.event_id), PEOPLE[3])
    # Cancelling again refunds nothing twice.
    service.cancel_event(helper_id=HELPER, event_id=event.event_id, desk=desk, now=NOW + HOUR)
    assert desk.payments.payments.get(first.payment_id).refunded_cents == 2500


# -- reminders, feeds, lists -------------------------------------------------------------------------------

def test_reminders_go_24_hours_and_1_hour_before_each_once(desk):
    event = new_event(desk)
    rsvp(desk, event, CALLER)
    service.run_event_jobs(desk=desk, now=event.starts_at - DAY)
    service.run_event_jobs(desk=desk, now=event.starts_at - DAY + 300)
    service.run_event_jobs(desk=desk, now=event.starts_at - HOUR)
    service.run_event_jobs(desk=desk, now=event.starts_at - HOUR + 60)
    reminders = [s for s in subjects(desk, CALLER) if s.startswith(("Tomorrow", "In an hour"))]
    assert reminders == ["Tomorrow: Fix your own leaks", "In an hour: Fix your own leaks"]


def test_the_feed_and_the_attendee_list(desk):
    event = new_event(desk)
    rsvp(desk, event, PEOPLE[0])
    feed = Calendar.from_ical(service.calendar_feed(username="ada", desk=desk, now=NOW))
    [vevent] = feed.walk("VEVENT")
    assert str(vevent["summary"]) == "Fix your own leaks" and "meet.example.com" not in str(vevent["location"])
    _, rows = service.attendees(helper_id=HELPER, event_id=event.event_id, desk=desk)
    text = service.attendees_csv(rows)
    assert text.splitlines()[0] == "name,email,place,joined_at,paid,refunded"
    assert "person-0@example.com,going" in text
    with pytest.raises(NotFound):
        service.attendees(helper_id=CALLER, event_id=event.event_id, desk=desk)


def test_a_cancellation_that_runs_out_of_time_is_finished_by_the_job_telling_each_person_once(desk):
    event = new_event(desk, price_cents=2500, capacity=5)
    bought = [buy(desk, event, person) for person in PEOPLE[:3]]
    service.cancel_event(helper_id=HELPER, event_id=event.event_id, desk=desk, now=NOW + HOUR, budget_seconds=0)
    cancelled = desk.events.get(event.event_id)
    assert cancelled.state is EventState.CANCELLED and cancelled.due_at is not None  # work left for the job
    service.run_event_jobs(desk=desk, now=NOW + HOUR + 300)
    service.run_event_jobs(desk=desk, now=NOW + HOUR + 600)  # again: nothing twice
    assert [desk.payments.payments.get(p.payment_id).refunded_cents for p in bought] == [2500] * 3
    for person in PEOPLE[:3]:
        assert subjects(desk, person).count("Cancelled: Fix your own leaks") == 1
    done = desk.events.get(event.event_id)
    assert (done.taken, done.waiting, done.due_at) == (0, 0, None)
