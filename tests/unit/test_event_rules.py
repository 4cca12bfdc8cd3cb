"""Events' pure rules (chalicelib/domain/events.py): what makes an event, and who gets the places
(going while places are left, then the waitlist in order, a paid place held for payment)."""
import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import (
    PAID_HOLD_HOURS,
    Place,
    Waiter,
    Where,
    check_event,
    moved_up,
    place_on_asking,
    promoted_place,
    refund_on_cancel,
)

NOW = 1_800_000_000
DAY = 86_400
GOOD = dict(title="Fix your own leaks", description="Bring a wrench.", starts_at=NOW + DAY, ends_at=NOW + DAY + 7200,
            zone="Europe/Paris", where="online", location="https://meet.example.com/leaks", capacity=30,
            price_cents=0)


def event(**changes):
    return check_event(now=NOW, max_price_cents=100_000, **{**GOOD, **changes})


def test_an_online_and_an_in_person_event():
    online = event()
    assert (online.where, online.location, online.capacity) == (Where.ONLINE, "https://meet.example.com/leaks", 30)
    there = event(where="in_person", location="  12 rue des Fontaines, Paris  ", price_cents=1500)
    assert (there.where, there.location, there.price_cents) == (Where.IN_PERSON, "12 rue des Fontaines, Paris", 1500)


@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"description": 5}, "description"),
    ({"starts_at": NOW - 1}, "starts_at"),
    ({"starts_at": NOW + 800 * DAY, "ends_at": NOW + 800 * DAY + 60}, "starts_at"),
    ({"ends_at": NOW + DAY}, "ends_at"),  # ends when it starts
    ({"ends_at": NOW + DAY - 60}, "ends_at"),  # ends before it starts
    ({"ends_at": NOW + 9 * DAY}, "ends_at"),  # longer than a week
    ({"where": "moon"}, "where"),
    ({"location": "javascript:alert(1)"}, "location"),
    ({"location": "http://meet.example.com"}, "location"),
    ({"where": "in_person", "location": ""}, "location"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": 10_001}, "capacity"),
    ({"capacity": 3.0}, "capacity"),
    ({"price_cents": -1}, "price_cents"),
    ({"price_cents": 100_001}, "price_cents"),
    ({"price_cents": True}, "price_cents"),
])
def test_bad_events_name_their_field(change, field):
    with pytest.raises(InvalidInput) as refused:
        event(**change)
    assert refused.value.field == field


def test_places_go_to_the_first_then_the_waitlist_moves_up_in_order():
    assert place_on_asking(taken=29, capacity=30) is Place.GOING
    assert place_on_asking(taken=30, capacity=30) is Place.WAITING
    waiting = [Waiter("carol", NOW + 5), Waiter("bob", NOW + 1), Waiter("dan", NOW + 5)]
    assert moved_up(waiting, freed=2) == ["bob", "carol"]
    assert moved_up(waiting, freed=0) == [] and moved_up([], freed=3) == []


def test_a_paid_place_from_the_waitlist_is_held_for_payment():
    starts = NOW + 7 * 86_400
    assert promoted_place(paid=False, now=NOW, starts_at=starts) == (Place.GOING, None)
    assert promoted_place(paid=True, now=NOW, starts_at=starts) == (Place.OFFERED, NOW + PAID_HOLD_HOURS * 3600)
    # an hour before the start, the person has until the start to pay, not a day
    assert promoted_place(paid=True, now=starts - 3600, starts_at=starts) == (Place.OFFERED, starts)
    assert refund_on_cancel(paid_cents=1500) == 1500


@given(st.integers(1, 20), st.lists(st.sampled_from(["ask", "leave"]), max_size=80))
def test_capacity_is_never_exceeded_and_nobody_waits_while_a_place_is_free(capacity, steps):
    """Random RSVPs and cancellations: the going never exceed the capacity, and after each step
    nobody waits while a place is free (the waitlist moved up)."""
    going: list[str] = []
    waiting: list[Waiter] = []
    for n, step in enumerate(steps):
        if step == "ask":
            person = f"p{n}"
            if place_on_asking(taken=len(going), capacity=capacity) is Place.GOING:
                going.append(person)
            else:
                waiting.append(Waiter(person, n))
        elif going:
            going.pop(0)
            for person in moved_up(waiting, freed=capacity - len(going)):
                waiting = [w for w in waiting if w.user_id != person]
                going.append(person)
        assert len(going) <= capacity
        assert not waiting or len(going) == capacity
