"""Events a Helper announces (Luma-like): create, edit, cancel; people RSVP (free) or buy a
ticket (paid, through PayPal on the payment desk, fees as for the store's goods), join the
waitlist when the event is full and move up when a place frees; invitations, changes and
cancellations by email with an iCalendar file; reminders 24 hours and 1 hour before; a Helper's
ICS feed and attendee list.

Capacity is the store's to keep (a conditional counter in the transaction that writes a place:
adapters/events.py); this module decides who gets a place and what each change tells whom."""
from __future__ import annotations

import csv
import io
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo

from chalicelib.adapters.events import CapacityBelowTaken, PlaceChanged
from chalicelib.domain import events as rules
from chalicelib.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from chalicelib.domain.events import Attendance, Event, EventState, Place, Where
from chalicelib.domain.fees import PaymentKind
from chalicelib.domain.payments import Payment, PaymentState
from chalicelib.domain.plans import current_plan
from chalicelib.observability import logger
from chalicelib.services.emails import tell_each
from chalicelib.services.helper_pages import page_named
from chalicelib.services.payments import (
    PaidThrough,
    PaymentDesk,
    Purpose,
    open_payment,
    refund_in_full,
    refund_part,
    void_or_deliver,
)

if TYPE_CHECKING:
    from chalicelib.adapters.events import EventStore

PAYMENT_PREFIX = "ticket-"  # a ticket's payment is `ticket-<event_id>-<nonce>`
LIST_LIMIT = 50
ATTENDEE_PAGE = 200
MOVE_UP_ROUNDS = 20  # a freed place is offered down the waitlist at most this many times in one go
CANCEL_BUDGET_SECONDS = 15  # what a cancellation does within its request; the job does the rest
JOB_BUDGET_SECONDS = 40  # the events job's time for cancellations in one run (its Lambda has 60 s)


class EventClosed(Conflict):
    """The event is not open for this (a draft, cancelled, or over)."""

    code = "event_closed"


def _no_announcement(**kwargs: Any) -> None:
    return None


@dataclass(frozen=True)
class EventDesk(PaidThrough):
    """What events touch: their store, paying (pages, plans, storefronts, mail), and the
    followers' announcement (services.follows.announce when it is there; by default nothing)."""

    events: EventStore
    payments: PaymentDesk
    announce: Callable[..., None] = field(default=_no_announcement)


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


# -- times -------------------------------------------------------------------------------------------

def parse_time(raw: object, *, zone: str, field_name: str) -> int:
    """An instant: epoch seconds, an ISO time with its offset, or a wall-clock time
    (`2026-12-08T18:30`) read on the clock of `zone` (the Helper's)."""
    if type(raw) is int:
        return raw
    if not isinstance(raw, str) or not 10 <= len(raw) <= 40:
        raise InvalidInput("A time such as 2026-12-08T18:30 (your time zone) or with its offset.", field=field_name)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("A time such as 2026-12-08T18:30 (your time zone) or with its offset.",
                           field=field_name) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return int(moment.timestamp())


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_iso(seconds: int, zone: str) -> str:
    return datetime.fromtimestamp(seconds, ZoneInfo(zone)).isoformat()


def spoken_time(seconds: int, zone: str) -> str:
    """"Tuesday 8 December 2026, 18:30" on the clock of `zone`."""
    moment = datetime.fromtimestamp(seconds, ZoneInfo(zone))
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M}"


def _zone(raw: object) -> str:
    from zoneinfo import available_timezones

    if raw is None or raw == "":
        return "UTC"
    if not isinstance(raw, str) or len(raw) > 64 or raw not in available_timezones():
        raise InvalidInput("An IANA time zone such as Europe/Paris.", field="zone")
    return raw


# -- the Helper's events -----------------------------------------------------------------------------

def _helper_page(helper_id: str, desk: EventDesk) -> Any:
    page = desk.pages.get(helper_id)
    if page is None:
        raise NotFound("Create your Helper page before announcing events.")
    return page


def _own(event_id: object, helper_id: str, desk: EventDesk) -> Event:
    event = desk.events.get(event_id) if isinstance(event_id, str) and len(event_id) <= 64 else None
    if event is None or event.helper_id != helper_id:
        raise NotFound("You have no such event.")
    return event


def _checked(fields: dict, *, zone: str, desk: EventDesk, now: int) -> rules.EventPlan:
    return rules.check_event(
        title=fields.get("title"), description=fields.get("description", ""),
        starts_at=parse_time(fields.get("starts_at"), zone=zone, field_name="starts_at"),
        ends_at=parse_time(fields.get("ends_at"), zone=zone, field_name="ends_at"), zone=zone,
        where=fields.get("where"), location=fields.get("location"), capacity=fields.get("capacity"),
        price_cents=fields.get("price_cents", 0), now=now, max_price_cents=desk.settings.max_session_price_cents)


def _rendered(description: str) -> tuple[str, str]:
    from chalicelib.domain.rich_text import plain_text, render_markdown

    return render_markdown(description), plain_text(description, max_length=200)


def _check_paid(plan: rules.EventPlan, helper_id: str, desk: EventDesk) -> None:
    if plan.price_cents and desk.storefronts.get(helper_id) is None:
        raise InvalidInput("Set up your storefront (where payouts go) before selling tickets.", field="price_cents")


def _wanted_state(raw: object, default: EventState) -> EventState:
    if raw is None:
        return default
    if raw not in ("draft", "announced"):
        raise InvalidInput("An event is saved as a draft or announced.", field="state")
    return EventState(raw)


def create_event(*, helper_id: str, fields: dict, desk: EventDesk, now: int, new_id: Callable[[], str] = _new_id
                 ) -> Event:
    """A new event, announced (followers told) unless saved as a draft."""
    page = _helper_page(helper_id, desk)
    plan = _checked(fields, zone=page.time_zone, desk=desk, now=now)
    _check_paid(plan, helper_id, desk)
    state = _wanted_state(fields.get("state"), EventState.ANNOUNCED)
    html, summary = _rendered(plan.description)
    event = Event(event_id=new_id(), helper_id=helper_id, title=plan.title, description=plan.description,
                  description_html=html, summary=summary, starts_at=plan.starts_at, ends_at=plan.ends_at,
                  zone=plan.zone, where=plan.where, location=plan.location, capacity=plan.capacity,
                  price_cents=plan.price_cents, currency=desk.settings.currency, state=state, created_at=now,
                  updated_at=now)
    desk.events.create(event)
    if state is EventState.ANNOUNCED:
        _announce(event, page, desk, now)
    return event


def _announce(event: Event, page: Any, desk: EventDesk, now: int) -> None:
    """Followers hear of a new event (services.follows); never fails the Helper's save. The
    Helper's page shows their upcoming events from now on."""
    desk.pages.add_section(event.helper_id, "events")
    if page is not None and page.disqualified is not None:  # services.standing: their followers hear nothing
        return
    try:
        desk.announce(helper_id=event.helper_id, kind="event", item_id=event.event_id, title=event.title,
                      path=event_path(page.username, event.event_id),
                      summary=f"{spoken_time(event.starts_at, event.zone)} ({event.zone}). {event.summary}"[:300],
                      now=now)
    except Exception:  # noqa: BLE001 - the announcement is best effort
        logger().exception("event announcement failed", extra={"event_id": event.event_id})


def update_event(*, helper_id: str, event_id: object, fields: dict, desk: EventDesk, now: int) -> Event:
    """The Helper changes an event that is not cancelled or over: attendees whose calendars hold
    it get the change (SEQUENCE raised) when its time or place moved; more places move the
    waitlist up; fewer than the people holding one is a 409."""
    before = _own(event_id, helper_id, desk)
    if before.state is EventState.CANCELLED or before.ends_at <= now:
        raise EventClosed("A cancelled or past event cannot be changed.")
    page = _helper_page(helper_id, desk)
    plan = _checked(fields, zone=page.time_zone, desk=desk, now=now)
    _check_paid(plan, helper_id, desk)
    if plan.price_cents != before.price_cents and (before.taken or before.waiting):
        raise Conflict("The ticket price cannot change once people have a place or wait for one.",
                       field="price_cents")
    state = _wanted_state(fields.get("state"), before.state)
    if before.state is EventState.ANNOUNCED and state is EventState.DRAFT:
        raise Conflict("An announced event cannot go back to being a draft; cancel it instead.", field="state")
    moved = (plan.starts_at, plan.ends_at, plan.where, plan.location, plan.title) != (
        before.starts_at, before.ends_at, before.where, before.location, before.title)
    html, summary = _rendered(plan.description)
    after = before.with_changes(
        title=plan.title, description=plan.description, description_html=html, summary=summary,
        starts_at=plan.starts_at, ends_at=plan.ends_at, zone=plan.zone, where=plan.where, location=plan.location,
        capacity=plan.capacity, price_cents=plan.price_cents, state=state, updated_at=now,
        sequence=before.sequence + (1 if moved else 0),
        reminded=before.reminded if plan.starts_at == before.starts_at else ())
    try:
        if not desk.events.update(before, after):
            raise Conflict("The event changed meanwhile; load it again.")
    except CapacityBelowTaken:
        raise Conflict(f"{before.taken} people hold a place: capacity cannot go below that.",
                       field="capacity") from None
    current = desk.events.get(after.event_id) or after
    if before.state is EventState.DRAFT and state is EventState.ANNOUNCED:
        _announce(current, page, desk, now)
    if moved and before.state is EventState.ANNOUNCED:
        _tell_attendees(current, desk, "event_changed", places=(Place.GOING,))
    if current.capacity > before.capacity:
        move_up(event=current, desk=desk, now=now)
    return desk.events.get(after.event_id) or current


def cancel_event(*, helper_id: str, event_id: object, desk: EventDesk, now: int, reason: object = None,
                 budget_seconds: float = CANCEL_BUDGET_SECONDS) -> Event:
    """The Helper cancels: the event closes to RSVPs at once; then every ticket is refunded in
    full through PayPal and everyone with a place (or waiting) is told, attendees with a
    METHOD:CANCEL invitation. What does not fit in `budget_seconds` (a large event) is finished by
    the events job; asking again finishes it too (refunds are idempotent, each place is let go once)."""
    event = _own(event_id, helper_id, desk)
    if event.state is not EventState.CANCELLED:
        if event.ends_at <= now:
            raise EventClosed("This event is over; there is nothing to cancel.")
        note = reason.strip()[:500] if isinstance(reason, str) else ""
        cancelled = event.with_changes(state=EventState.CANCELLED, updated_at=now, sequence=event.sequence + 1,
                                       cancel_reason=note)
        if not desk.events.update(event, cancelled):
            raise Conflict("The event changed meanwhile; try again.")
        event = desk.events.get(event.event_id) or cancelled
    finish_cancellation(event=event, desk=desk, now=now, budget_seconds=budget_seconds)
    return desk.events.get(event.event_id) or event


def finish_cancellation(*, event: Event, desk: EventDesk, now: int, budget_seconds: float,
                        clock: Callable[[], float] = time.monotonic) -> bool:
    """Carries a cancellation out for each person, until done or `budget_seconds` are spent:
    their ticket refunded (or its payment voided), their place let go (the claim: once), and
    then their notice. True when nobody is left (the event then leaves the jobs' index)."""
    deadline = clock() + budget_seconds
    page = desk.pages.get(event.helper_id)
    after: dict | None = None
    while True:
        places, after = desk.events.attendees(event.event_id, limit=ATTENDEE_PAGE, after=after)
        for attendance in places:
            if clock() >= deadline:
                return False
            _cancel_place(attendance, event, page, desk, now)
        if after is None:
            break
    current = desk.events.get(event.event_id)
    if current is not None and (current.taken or current.waiting):
        return False  # someone joined or left meanwhile: the job looks again
    if current is not None:
        desk.events.update(current, current.with_changes())  # rewritten without its due time
    return True


def _cancel_place(attendance: Attendance, event: Event, page: Any, desk: EventDesk, now: int) -> None:
    refunded = _refund_ticket(attendance, event, desk, now)
    if attendance.place is Place.LEFT:  # left before: told only when their ticket came back now
        if refunded:
            _tell_one(event, attendance, desk, "event_cancelled", page=page, refund_cents=refunded,
                      reason=event.cancel_reason)
        return
    for _ in range(5):
        current = desk.events.place(event.event_id, attendance.user_id)  # a refund changed it
        if current is None or current.place is Place.LEFT:
            return
        if desk.events.give_up(current, current.with_changes(place=Place.LEFT, hold_until=None, updated_at=now)):
            _tell_one(event, current, desk, "event_cancelled", page=page,
                      refund_cents=current.refunded_cents or refunded, reason=event.cancel_reason,
                      calendar_method="CANCEL" if current.place is Place.GOING else None)
            return


def _refund_ticket(attendance: Attendance, event: Event, desk: EventDesk, now: int) -> int:
    """A cancelled event's ticket back in full (rules.refund_on_cancel); an unpaid one voided.
    Returns the cents given back now."""
    if not attendance.payment_id:
        return 0
    payment = desk.payments.payments.get(attendance.payment_id)
    if payment is None:
        return 0
    if payment.state is PaymentState.CREATED:
        void_or_deliver(payment_id=payment.payment_id, reason="The event was cancelled; nothing was charged.",
                        desk=desk.payments, now=now)
        payment = desk.payments.payments.get(attendance.payment_id) or payment
    if payment.state not in (PaymentState.CAPTURED, PaymentState.REFUNDED) or payment.capture_id is None:
        return 0
    left = rules.refund_on_cancel(paid_cents=payment.amount_cents) - payment.refunded_cents
    if left <= 0:
        return 0
    refund = refund_part(payment=payment, amount_cents=left, request_id=f"event-cancel-{payment.payment_id}",
                         reason=f"The event \u201c{event.title}\u201d was cancelled.", desk=desk.payments, now=now)
    return refund.amount_cents if refund.status == "COMPLETED" else 0


def hide_event(*, event_id: str, note: str, now: int, desk: EventDesk) -> Event | None:
    """Ops hides a reported event: it leaves the Helper's page, event list and calendar feed, and
    takes no more RSVPs; places already held stay (the Helper may cancel it, refunding everyone).
    The Helper is told why by email."""
    from chalicelib.services.emails import tell_hidden

    for _ in range(3):
        before = desk.events.get(event_id)
        if before is None or before.hidden_note is not None:
            return before
        after = before.with_changes(hidden_note=note, updated_at=now)
        if desk.events.update(before, after):
            tell_hidden(desk, before.helper_id, what="event", title=before.title, note=note, url="/my-events.html")
            return desk.events.get(event_id) or after
    raise Conflict("The event changed at the same moment; decide again.")


def my_events(*, helper_id: str, desk: EventDesk, now: int, past: bool = False) -> list[Event]:
    _helper_page(helper_id, desk)
    events, _ = desk.events.for_helper(helper_id, now=now, upcoming=not past, limit=LIST_LIMIT)
    return events


def my_event(*, helper_id: str, event_id: object, desk: EventDesk) -> Event:
    return _own(event_id, helper_id, desk)


# -- the public side -----------------------------------------------------------------------------------

def event_path(username: str, event_id: str) -> str:
    from urllib.parse import quote

    return f"/h/{quote(username, safe='')}/events/{event_id}"


def public_events(*, username: str, desk: EventDesk, now: int, limit: int = LIST_LIMIT) -> tuple[Any, list[Event]]:
    """A Helper's announced upcoming events, soonest first (cancelled ones shown as such)."""
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    events, _ = desk.events.for_helper(page.user_id, now=now, upcoming=True, limit=limit)
    return page, [e for e in events if e.public]


def public_event(*, username: str, event_id: object, desk: EventDesk) -> tuple[Any, Event]:
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    event = desk.events.get(event_id) if isinstance(event_id, str) and len(event_id) <= 64 else None
    if event is None or event.helper_id != page.user_id or not event.public:
        raise NotFound("No such event.")
    return page, event


def _open_event(event_id: object, desk: EventDesk) -> Event:
    event = desk.events.get(event_id) if isinstance(event_id, str) and len(event_id) <= 64 else None
    if event is None or not event.public:
        raise NotFound("No such event.")
    return event


def get_event(*, event_id: object, desk: EventDesk) -> Event:
    return _open_event(event_id, desk)


def event_view(event: Event, *, page: Any = None, owner: bool = False, attending: bool = False) -> dict:
    """An event as anyone sees it; the online link only for its Helper and people going."""
    view = {
        "event_id": event.event_id, "helper_id": event.helper_id, "title": event.title,
        "description": event.description, "description_html": event.description_html, "summary": event.summary,
        "starts_at": iso(event.starts_at), "ends_at": iso(event.ends_at), "zone": event.zone,
        "helper_local_start": local_iso(event.starts_at, event.zone),
        "helper_local_end": local_iso(event.ends_at, event.zone),
        "where": event.where.value, "location": event.location if (event.where is Where.IN_PERSON or owner
                                                                    or attending) else None,
        "capacity": event.capacity, "taken": event.taken, "places_left": event.places_left,
        "waiting": event.waiting, "price_cents": event.price_cents, "currency": event.currency,
        "state": event.state.value, "sequence": event.sequence, "created_at": event.created_at,
        "updated_at": event.updated_at,
        "url": event_path(page.username, event.event_id) if page is not None else None,
    }
    if owner:  # why ops hid it after a report (the public no longer sees it)
        view["hidden_note"] = event.hidden_note
    return view


# -- RSVP, tickets, leaving ----------------------------------------------------------------------------

def _ticket_payment(event: Event, attendance: Attendance, desk: EventDesk, now: int) -> Payment:
    """The PayPal order for an offered place (the same one however often it is asked)."""
    if attendance.payment_id:
        existing = desk.payments.payments.get(attendance.payment_id)
        if existing is not None and existing.state in (PaymentState.CREATED, PaymentState.CAPTURED):
            return open_payment(existing, desk=desk.payments)
    storefront = desk.storefronts.get(event.helper_id)
    if storefront is None:
        raise Conflict("This Helper cannot take payments yet.")
    payment_id = f"{PAYMENT_PREFIX}{event.event_id}-{uuid.uuid4().hex[:10]}"
    for _ in range(3):
        current = desk.events.place(event.event_id, attendance.user_id)
        if current is None or current.place is not Place.OFFERED:
            raise Conflict("Your place is no longer held; RSVP again.")
        if current.payment_id:
            existing = desk.payments.payments.get(current.payment_id)
            if existing is not None and existing.state in (PaymentState.CREATED, PaymentState.CAPTURED):
                return open_payment(existing, desk=desk.payments)
        if desk.events.set_place(current, current.with_changes(payment_id=payment_id, updated_at=now)):
            break
    else:
        raise Conflict("Your place changed meanwhile; try again.")
    plan = current_plan(desk.payments.plans.get(event.helper_id), now)
    payment = Payment(payment_id=payment_id, kind=PaymentKind.TICKET, payer_id=attendance.user_id,
                      helper_id=event.helper_id, amount_cents=event.price_cents, currency=event.currency,
                      state=PaymentState.CREATED, created_at=now,
                      description=f"Ticket: {event.title}"[:120], helper_plan=plan.name)
    return open_payment(payment, desk=desk.payments)


def rsvp(*, event_id: object, user_id: str, zone: object, desk: EventDesk, now: int
         ) -> tuple[Event, Attendance, Payment | None]:
    """A place if one is left (free: going; paid: offered, held while the person pays at
    PayPal), else the waitlist. Asking again changes nothing (a held paid place gets its
    payment again)."""
    event = _open_event(event_id, desk)
    if event.helper_id == user_id:
        raise Conflict("You host this event.")
    if event.state is not EventState.ANNOUNCED or event.starts_at <= now:
        raise EventClosed("This event is not taking RSVPs.")
    host = desk.pages.get(event.helper_id)
    if host is not None and host.disqualified is not None:  # services.standing: no places, no tickets
        from chalicelib.domain.standing import unavailable

        raise unavailable(host.display_name)
    person_zone = _zone(zone)
    for _ in range(5):
        before = desk.events.place(event.event_id, user_id)
        if before is not None and before.place in (Place.GOING, Place.WAITING):
            return event, before, None
        if before is not None and before.place is Place.OFFERED:
            return event, before, _ticket_payment(event, before, desk, now)
        joined = now
        hold = now + rules.TICKET_HOLD_SECONDS if event.paid else None
        taking = Attendance(event_id=event.event_id, user_id=user_id,
                            place=Place.OFFERED if event.paid else Place.GOING, joined_at=joined, updated_at=now,
                            version=(before.version + 1) if before else 0, zone=person_zone, hold_until=hold)
        try:
            if desk.events.take_place(taking, before=before):
                event = desk.events.get(event.event_id) or event
                if event.paid:
                    return event, taking, _ticket_payment(event, taking, desk, now)
                _tell_one(event, taking, desk, "event_going", calendar_method="REQUEST")
                return event, taking, None
            waiting = replace(taking, place=Place.WAITING, hold_until=None)
            if desk.events.join_waitlist(waiting, before=before):
                return desk.events.get(event.event_id) or event, waiting, None
            raise EventClosed("This event is not taking RSVPs.")
        except PlaceChanged:
            continue
    raise Conflict("Your place changed meanwhile; try again.")


def leave(*, event_id: object, user_id: str, desk: EventDesk, now: int) -> tuple[Event, Attendance]:
    """The person gives up their place (or leaves the waitlist); a freed place moves the
    waitlist up at once. A paid ticket is not refunded by leaving (the Helper may refund)."""
    event = _open_event(event_id, desk)
    for _ in range(5):
        before = desk.events.place(event.event_id, user_id)
        if before is None:
            raise NotFound("You have no place at this event.")
        if before.place is Place.LEFT:
            return event, before
        after = before.with_changes(place=Place.LEFT, updated_at=now, hold_until=None)
        if desk.events.give_up(before, after):
            if before.payment_id and before.place is Place.OFFERED:
                void_or_deliver(payment_id=before.payment_id, reason="You gave up the place; nothing was charged.",
                                desk=desk.payments, now=now)
            current = desk.events.get(event.event_id) or event
            if before.holds_a_place:
                move_up(event=current, desk=desk, now=now)
                current = desk.events.get(event.event_id) or current
            return current, desk.events.place(event.event_id, user_id) or after
    raise Conflict("Your place changed meanwhile; try again.")


def move_up(*, event: Event, desk: EventDesk, now: int) -> int:
    """Places left go to the longest waiting (rules.moved_up): free at once (going), paid held
    for PAID_HOLD_HOURS for them to pay. Stops when no place is left. Returns how many moved."""
    moved = 0
    for _ in range(MOVE_UP_ROUNDS):
        current = desk.events.get(event.event_id)
        if current is None or current.state is not EventState.ANNOUNCED or current.places_left <= 0 \
                or current.waiting <= 0 or current.starts_at <= now:
            return moved
        waiting = desk.events.waitlist(current.event_id, limit=current.places_left)
        chosen = set(rules.moved_up([rules.Waiter(w.user_id, w.joined_at) for w in waiting],
                                    freed=current.places_left))
        if not chosen:
            return moved
        for person in waiting:
            if person.user_id not in chosen:
                continue
            place, hold = rules.promoted_place(paid=current.paid, now=now, starts_at=current.starts_at)
            after = person.with_changes(place=place, hold_until=hold, updated_at=now)
            try:
                if not desk.events.promote(person, after):
                    return moved  # no place left after all (someone took it)
            except PlaceChanged:
                continue
            moved += 1
            _tell_one(current, after, desk, "event_offered" if place is Place.OFFERED else "event_going",
                      calendar_method="REQUEST" if place is Place.GOING else None,
                      hold_until=spoken_time(hold, after.zone) if hold else None, moved_up=True)
    return moved


def my_place(*, event_id: object, user_id: str, desk: EventDesk, now: int) -> dict:
    """Where I stand: my place, my position on the waitlist, the online link when I go, the
    payment to finish when a paid place is held for me."""
    event = _open_event(event_id, desk)
    attendance = desk.events.place(event.event_id, user_id)
    owner = event.helper_id == user_id
    going = attendance is not None and attendance.place is Place.GOING
    position = None
    if attendance is not None and attendance.place is Place.WAITING:
        line = desk.events.waitlist(event.event_id, limit=max(event.waiting, 1) + 50)
        position = next((i + 1 for i, a in enumerate(line) if a.user_id == user_id), None)
    payment = None
    if attendance is not None and attendance.place is Place.OFFERED and attendance.payment_id:
        found = desk.payments.payments.get(attendance.payment_id)
        payment = found if found is not None and found.state is PaymentState.CREATED else None
    return {"event": event_view(event, page=desk.pages.get(event.helper_id), owner=owner, attending=going),
            "place": place_view(attendance) if attendance else None, "waitlist_position": position,
            "owner": owner, "payment": payment}


def place_view(attendance: Attendance) -> dict:
    return {"event_id": attendance.event_id, "place": attendance.place.value, "joined_at": iso(attendance.joined_at),
            "hold_until": iso(attendance.hold_until) if attendance.hold_until else None,
            "paid_cents": attendance.paid_cents, "refunded_cents": attendance.refunded_cents,
            "payment_id": attendance.payment_id}


# -- what a ticket's payment does (registered on the payment desk) ------------------------------------

def ticket_purpose(desk: EventDesk) -> Purpose:
    return Purpose(deliver=partial(_deliver_ticket, desk=desk), still_wanted=partial(_ticket_wanted, desk=desk),
                   refusal=_no_refund_requests, refundable_until=partial(_ticket_refundable_until, desk=desk),
                   refunded=partial(_ticket_refunded, desk=desk))


def _event_id_of(payment: Payment) -> str:
    return payment.payment_id.removeprefix(PAYMENT_PREFIX).rsplit("-", 1)[0]


def _ticket_place(payment: Payment, desk: EventDesk) -> tuple[Event | None, Attendance | None]:
    event = desk.events.get(_event_id_of(payment))
    return event, desk.events.place(event.event_id, payment.payer_id) if event else None


def _ticket_wanted(payment: Payment, now: int, *, desk: EventDesk) -> bool:
    event, attendance = _ticket_place(payment, desk)
    return (event is not None and event.state is EventState.ANNOUNCED and attendance is not None
            and attendance.place is Place.OFFERED and attendance.payment_id == payment.payment_id
            and (attendance.hold_until is None or attendance.hold_until > now))


def _deliver_ticket(payment: Payment, now: int, first: bool, *, desk: EventDesk) -> None:
    """The ticket is paid: the held place is the person's (going), with their invitation. Money
    that arrives for a place no longer held (the hold ran out, the event was cancelled) goes
    back whole."""
    for _ in range(5):
        event, attendance = _ticket_place(payment, desk)
        if event is None or attendance is None:
            return
        if attendance.place is Place.GOING and attendance.payment_id == payment.payment_id:
            return  # delivered before (a retry)
        if attendance.place is not Place.OFFERED or attendance.payment_id != payment.payment_id \
                or event.state is not EventState.ANNOUNCED:
            if payment.refunded_cents == 0 and payment.state is PaymentState.CAPTURED:
                refund_in_full(payment=payment, desk=desk.payments, now=now,
                               reason="Your held place was gone before the payment arrived, so it was refunded.")
            return
        going = attendance.with_changes(place=Place.GOING, hold_until=None, paid_cents=payment.amount_cents,
                                        updated_at=now)
        if desk.events.set_place(attendance, going):
            _tell_one(event, going, desk, "event_going", calendar_method="REQUEST")
            return


def _no_refund_requests(payment: Payment, now: int) -> DomainError:
    return InvalidInput("Tickets are refunded in full if the Helper cancels the event; ask the Helper otherwise.",
                        field="payment_id")


def _ticket_refundable_until(payment: Payment, *, desk: EventDesk) -> int | None:
    event = desk.events.get(_event_id_of(payment))
    return event.ends_at if event is not None else None


def _ticket_refunded(payment: Payment, cents: int, now: int, *, desk: EventDesk) -> None:
    for _ in range(5):
        event, attendance = _ticket_place(payment, desk)
        if attendance is None or attendance.payment_id != payment.payment_id:
            return
        after = attendance.with_changes(refunded_cents=attendance.refunded_cents + cents, updated_at=now)
        if desk.events.set_place(attendance, after):
            return


def earnings_hold(desk: EventDesk) -> Callable[[Payment], int | None]:
    """A ticket's earnings are released a day after the event ends (a cancellation refunds them
    before), registered with services.payouts by kind."""
    def closes(payment: Payment) -> int | None:
        event = desk.events.get(_event_id_of(payment))
        return (event.ends_at + 86_400) if event is not None else payment.captured_at
    return closes


# -- jobs ----------------------------------------------------------------------------------------------

def run_event_jobs(*, desk: EventDesk, now: int, limit: int = 100) -> int:
    """Reminders due (24 hours and 1 hour before, each claimed once with a conditional write),
    cancellations not yet carried out for everyone (refunds and notices), and paid places whose
    hold ran out (the payment voided first; the place goes to the next on the waitlist).
    Returns how many things were looked at."""
    looked = 0
    deadline = time.monotonic() + JOB_BUDGET_SECONDS
    for event in desk.events.due(now, limit=limit):
        looked += 1
        try:
            if event.state is EventState.CANCELLED:
                finish_cancellation(event=event, desk=desk, now=now,
                                    budget_seconds=max(0.0, deadline - time.monotonic()))
            else:
                _remind(event, desk, now)
        except Exception:  # noqa: BLE001 - one event must not stop the others
            logger().exception("event job failed", extra={"event_id": event.event_id})
    for attendance in desk.events.expired_holds(now, limit=limit):
        looked += 1
        try:
            _expire_hold(attendance, desk, now)
        except Exception:  # noqa: BLE001
            logger().exception("event hold expiry failed", extra={"event_id": attendance.event_id})
    return looked


def _remind(event: Event, desk: EventDesk, now: int) -> None:
    due = rules.reminders_due(event, now=now)
    if not due:
        return
    claimed = event.with_changes(reminded=(*event.reminded, *due))
    if not desk.events.update(event, claimed):  # the claim: each reminder once
        return
    name = due[0]
    if rules.reminder_worth_sending(event, name, now=now):
        _tell_attendees(claimed, desk, "event_reminder", places=(Place.GOING,), reminder=name)


def _expire_hold(attendance: Attendance, desk: EventDesk, now: int) -> None:
    if void_or_deliver(payment_id=attendance.payment_id, desk=desk.payments, now=now,
                       reason="The held place ran out before the payment; nothing was charged."):
        return  # the money had arrived: delivering made the place theirs
    current = desk.events.place(attendance.event_id, attendance.user_id)
    if current is None or current.place is not Place.OFFERED or (current.hold_until or 0) > now:
        return
    if desk.events.give_up(current, current.with_changes(place=Place.LEFT, hold_until=None, updated_at=now)):
        event = desk.events.get(current.event_id)
        if event is not None:
            move_up(event=event, desk=desk, now=now)


# -- feeds and lists -----------------------------------------------------------------------------------

def calendar_feed(*, username: str, desk: EventDesk, now: int) -> bytes:
    """The Helper's announced events (upcoming and the last few past), cancelled ones kept as
    CANCELLED so subscribers drop them. The online link is not in it (it is public)."""
    from chalicelib.services.calendar_files import feed_of

    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    upcoming, _ = desk.events.for_helper(page.user_id, now=now, upcoming=True, limit=LIST_LIMIT)
    past, _ = desk.events.for_helper(page.user_id, now=now, upcoming=False, limit=10)
    site = desk.settings.site_url.rstrip("/")
    entries = [_entry(e, page, site, public=True) for e in [*past[::-1], *upcoming] if e.public]
    return feed_of(entries, calendar_name=f"{page.display_name}'s events ({desk.settings.brand_name})",
                   domain=_domain(desk))


def _domain(desk: EventDesk) -> str:
    from urllib.parse import urlsplit

    return urlsplit(desk.settings.site_url).hostname or "interkanect.local"


def _entry(event: Event, page: Any, site: str, *, public: bool) -> Any:
    from chalicelib.services.calendar_files import CalendarEntry

    url = site + event_path(page.username if page else "", event.event_id)
    online = event.where is Where.ONLINE
    status = "CANCELLED" if event.state is EventState.CANCELLED else "CONFIRMED"
    return CalendarEntry(uid_key=f"event-{event.event_id}", sequence=event.sequence, start=event.starts_at,
                         end=event.ends_at, summary=event.title, description=event.summary,
                         url=url, location=(url if public else event.location) if online else event.location,
                         status=status, link_label="Event page")


def attendees(*, helper_id: str, event_id: object, desk: EventDesk) -> tuple[Event, list[dict]]:
    """Everyone with a place, a held place, on the waitlist or who left: name, email, place,
    when they joined, what they paid."""
    event = _own(event_id, helper_id, desk)
    places: list[Attendance] = []
    after: dict | None = None
    while True:
        page, after = desk.events.attendees(event.event_id, limit=ATTENDEE_PAGE, after=after)
        places += page
        if after is None:
            break
    profiles = desk.accounts.get_many([a.user_id for a in places]) if places else {}
    order = {Place.GOING: 0, Place.OFFERED: 1, Place.WAITING: 2, Place.LEFT: 3}
    rows = []
    for a in sorted(places, key=lambda a: (order[a.place], a.joined_at, a.user_id)):
        profile = profiles.get(a.user_id)
        rows.append({"user_id": a.user_id, "name": profile.display_name if profile else "",
                     "email": profile.email if profile else "", "place": a.place.value,
                     "joined_at": iso(a.joined_at), "paid_cents": a.paid_cents, "refunded_cents": a.refunded_cents})
    return event, rows


def attendees_csv(rows: list[dict]) -> str:
    """The attendee list as CSV; a cell a spreadsheet would run as a formula is quoted flat."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["name", "email", "place", "joined_at", "paid", "refunded"])
    for row in rows:
        writer.writerow([_cell(row["name"]), _cell(row["email"]), row["place"], row["joined_at"],
                         f"{row['paid_cents'] / 100:.2f}", f"{row['refunded_cents'] / 100:.2f}"])
    return out.getvalue()


def _cell(text: str) -> str:
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# -- mail ----------------------------------------------------------------------------------------------

def _tell_attendees(event: Event, desk: EventDesk, kind: str, *, places: tuple[Place, ...], **context: Any) -> None:
    page = desk.pages.get(event.helper_id)
    after: dict | None = None
    while True:
        found, after = desk.events.attendees(event.event_id, limit=ATTENDEE_PAGE, after=after)
        for attendance in found:
            if attendance.place in places:
                _tell_one(event, attendance, desk, kind, page=page,
                          calendar_method="REQUEST" if kind == "event_changed" else None, **context)
        if after is None:
            break


def _tell_one(event: Event, attendance: Attendance, desk: EventDesk, kind: str, *, page: Any = None,
              calendar_method: str | None = None, **context: Any) -> None:
    """One email about the event to one person, its time on their clock and the Helper's, with
    the invitation (or its cancellation) when asked."""
    page = page or desk.pages.get(event.helper_id)
    helper_name = page.display_name if page is not None else "your Helper"
    site = desk.settings.site_url.rstrip("/")
    url = site + event_path(page.username if page else "", event.event_id)
    values = {"event": event_view(event, page=page, attending=attendance.place is Place.GOING),
              "title": event.title, "helper_name": helper_name, "event_url": url,
              "when": spoken_time(event.starts_at, attendance.zone), "zone": attendance.zone,
              "helper_when": spoken_time(event.starts_at, event.zone), "helper_zone": event.zone,
              "online": event.where is Where.ONLINE,
              "location": event.location if attendance.place is Place.GOING or event.where is Where.IN_PERSON
              else None, **context}
    if calendar_method:
        profile = desk.accounts.get(attendance.user_id)
        if profile is not None:
            values["calendar"] = _invitation(event, page, desk, method=calendar_method,
                                             attendee=(profile.display_name, profile.email))
    tell_each(desk, (attendance.user_id, kind, values))


def _invitation(event: Event, page: Any, desk: EventDesk, *, method: str, attendee: tuple[str, str]) -> bytes:
    from chalicelib.services.calendar_files import invitation_of

    settings = desk.settings
    entry = _entry(event, page, settings.site_url.rstrip("/"), public=False)
    return invitation_of(entry, method=method, organizer=(settings.brand_name, settings.email_sender),
                         attendee=attendee, domain=_domain(desk))
