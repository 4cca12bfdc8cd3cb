"""Contract tests for events: the in-memory twin and DynamoDB (moto over HTTP) pass the same tests
— a place taken with the event's counter at once and never past capacity (N parallel RSVPs for
fewer places: exactly `capacity` going, the rest waiting), the waitlist read in order by one Query,
leaving and moving up keeping the counters right, an edit that leaves the counters alone and
refuses a capacity below the places taken, a Helper's events soonest first, the reminders due and
the holds run out found by their sparse indexes."""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from chalicelib.adapters.events import CapacityBelowTaken, InMemoryEventStore, PlaceChanged
from chalicelib.domain.events import Attendance, Event, EventState, Place, Where
from tests.support.race import race

pytestmark = pytest.mark.integration

T0 = 1_800_000_000
DAY, HOUR = 86_400, 3600


@pytest.fixture
def dynamo(app_env):
    """The events tables of this test alone on the stack's moto (a prefix of their own)."""
    from chalicelib.adapters.events_dynamo import DynamoEventStore
    from chalicelib.adapters.tables import bind_tables
    from chalicelib.adapters.tables.events import AttendanceRecord, EventRecord

    models = (EventRecord, AttendanceRecord)
    connection = bind_tables(dataclasses.replace(app_env.settings(), table_prefix=f"ev-{uuid.uuid4().hex[:8]}-"))
    for model in models:
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    try:
        yield DynamoEventStore(connection)
    finally:
        for model in models:
            model.delete_table()
        bind_tables(app_env.settings())


@pytest.fixture(params=["in-memory", "dynamodb"])
def store(request) -> Any:
    if request.param == "in-memory":
        return InMemoryEventStore()
    return request.getfixturevalue("dynamo")


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def event(helper_id: str = "helper", *, starts_at: int = T0 + 3 * DAY, capacity: int = 2,
          state: EventState = EventState.ANNOUNCED, reminded: tuple = ()) -> Event:
    return Event(event_id=unique("e"), helper_id=helper_id, title="Leaks", description="d", description_html="<p>d</p>",
                 summary="d", starts_at=starts_at, ends_at=starts_at + 2 * HOUR, zone="Europe/Paris",
                 where=Where.ONLINE, location="https://meet.example.com/x", capacity=capacity, price_cents=0,
                 currency="USD", state=state, created_at=T0, updated_at=T0, reminded=reminded)


def created(store, **fields) -> Event:
    made = event(**fields)
    store.create(made)
    return made


def asking(e: Event, user_id: str, *, at: int = T0, place: Place = Place.GOING, hold: int | None = None) -> Attendance:
    return Attendance(event_id=e.event_id, user_id=user_id, place=place, joined_at=at, updated_at=at,
                      hold_until=hold)


def rsvp(store, e: Event, user_id: str, *, at: int = T0) -> Place:
    """As the service does: a place if one is left, else the waitlist."""
    if store.take_place(asking(e, user_id, at=at), before=None):
        return Place.GOING
    assert store.join_waitlist(asking(e, user_id, at=at, place=Place.WAITING), before=None)
    return Place.WAITING


def test_an_event_is_written_once_and_read_back(store):
    made = created(store)
    assert store.get(made.event_id) == made
    with pytest.raises(ValueError):
        store.create(made)
    assert store.get("nope") is None


def test_places_and_the_waitlist_keep_the_counters(store):
    e = created(store)
    places = [rsvp(store, e, f"p{i}", at=T0 + i) for i in range(4)]
    assert places == [Place.GOING, Place.GOING, Place.WAITING, Place.WAITING]
    current = store.get(e.event_id)
    assert (current.taken, current.waiting) == (2, 2)
    assert [w.user_id for w in store.waitlist(e.event_id, limit=10)] == ["p2", "p3"]
    with pytest.raises(PlaceChanged):  # asking again over a place one has (the service reads it first)
        store.take_place(asking(e, "p0"), before=None)


def test_parallel_rsvps_for_fewer_places_give_exactly_capacity_going(store):
    e = created(store, capacity=3)
    people = [f"racer{i}" for i in range(12)]
    outcomes = race([lambda p=p: rsvp(store, e, p) for p in people], who="rsvp")
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert outcomes.count(Place.GOING) == 3 and outcomes.count(Place.WAITING) == 9
    current = store.get(e.event_id)
    assert (current.taken, current.waiting) == (3, 9)
    going = [p for p in people if store.place(e.event_id, p).place is Place.GOING]
    assert len(going) == 3


def test_leaving_and_moving_up(store):
    e = created(store)
    for i in range(3):
        rsvp(store, e, f"p{i}", at=T0 + i)
    leaver = store.place(e.event_id, "p0")
    assert store.give_up(leaver, leaver.with_changes(place=Place.LEFT))
    assert not store.give_up(leaver, leaver.with_changes(place=Place.LEFT))  # stale: nothing twice
    assert store.get(e.event_id).taken == 1
    [first] = store.waitlist(e.event_id, limit=1)
    assert store.promote(first, first.with_changes(place=Place.GOING))
    with pytest.raises(PlaceChanged):
        store.promote(first, first.with_changes(place=Place.GOING))
    current = store.get(e.event_id)
    assert (current.taken, current.waiting) == (2, 0) and store.waitlist(e.event_id, limit=5) == []
    rsvp(store, e, "late", at=T0 + 9)
    [late] = store.waitlist(e.event_id, limit=5)
    assert not store.promote(late, late.with_changes(place=Place.GOING))  # no place left
    assert store.place(e.event_id, "late").place is Place.WAITING


def test_an_edit_keeps_the_counters_and_refuses_capacity_below_taken(store):
    e = created(store, capacity=3)
    for i in range(2):
        rsvp(store, e, f"p{i}")
    current = store.get(e.event_id)
    with pytest.raises(CapacityBelowTaken):
        store.update(current, current.with_changes(capacity=1))
    bigger = current.with_changes(capacity=5, title="Leaks, again", taken=0)
    assert store.update(current, bigger)
    assert not store.update(current, bigger)  # an old version changes nothing
    after = store.get(e.event_id)
    assert (after.title, after.capacity, after.taken) == ("Leaks, again", 5, 2)


def test_a_closed_event_takes_no_places(store):
    e = created(store, state=EventState.CANCELLED)
    assert not store.take_place(asking(e, "p"), before=None)
    assert not store.join_waitlist(asking(e, "p", place=Place.WAITING), before=None)
    assert store.place(e.event_id, "p") is None


def test_a_helpers_events_soonest_first_in_pages(store):
    helper = unique("h")
    made = [created(store, helper_id=helper, starts_at=T0 + d * DAY) for d in (3, 1, 2)]
    page, more = store.for_helper(helper, now=T0, upcoming=True, limit=2)
    assert [e.starts_at for e in page] == [T0 + DAY, T0 + 2 * DAY] and more is not None
    rest, more = store.for_helper(helper, now=T0, upcoming=True, limit=2, after=more)
    assert [e.event_id for e in rest] == [made[0].event_id] and more is None
    past, _ = store.for_helper(helper, now=T0 + 10 * DAY, upcoming=False, limit=5)
    assert [e.starts_at for e in past] == [T0 + 3 * DAY, T0 + 2 * DAY, T0 + DAY]


def test_reminders_due_and_holds_run_out_are_found(store):
    soon = created(store, starts_at=T0 + 2 * HOUR)
    later = created(store, starts_at=T0 + 5 * DAY)
    done = created(store, starts_at=T0 + 2 * HOUR, reminded=("24h", "1h"))
    due = [e.event_id for e in store.due(T0, limit=50)]
    assert soon.event_id in due and later.event_id not in due and done.event_id not in due
    assert store.take_place(asking(soon, "payer", place=Place.OFFERED, hold=T0 + 60), before=None)
    assert store.take_place(asking(soon, "later", place=Place.OFFERED, hold=T0 + 600), before=None)
    found = [(a.event_id, a.user_id) for a in store.expired_holds(T0 + 61, limit=50)]
    assert (soon.event_id, "payer") in found and (soon.event_id, "later") not in found


def test_the_attendee_list_pages_through_everyone(store):
    e = created(store, capacity=3)
    for i in range(5):
        rsvp(store, e, f"p{i}")
    seen, after = [], None
    while True:
        page, after = store.attendees(e.event_id, limit=2, after=after)
        seen += [a.user_id for a in page]
        if after is None:
            break
    assert seen == [f"p{i}" for i in range(5)]


def test_a_cancellation_with_places_left_to_let_go_is_due_until_rewritten_without_them(store):
    e = created(store)
    rsvp(store, e, "p0")
    current = store.get(e.event_id)
    assert store.update(current, current.with_changes(state=EventState.CANCELLED, updated_at=T0 + 5,
                                                      cancel_reason="Ill, sorry."))
    assert e.event_id in [d.event_id for d in store.due(T0 + 10, limit=50)]
    place = store.place(e.event_id, "p0")
    assert store.give_up(place, place.with_changes(place=Place.LEFT))
    emptied = store.get(e.event_id)
    assert emptied.cancel_reason == "Ill, sorry." and (emptied.taken, emptied.waiting) == (0, 0)
    assert store.update(emptied, emptied.with_changes())
    assert e.event_id not in [d.event_id for d in store.due(T0 + 10, limit=50)]
