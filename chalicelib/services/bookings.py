"""Appointments: a Helper's booking rules, the free slots a customer sees in their own time
zone, booking (paid through PayPal at booking, or free), confirming, rescheduling, cancelling
with the fee the Helper set, no-shows, and the job that lets go of unpaid holds and sends the
reminders. The rules are pure (domain/bookings.py); this module reads, decides and writes."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo

from chalicelib.domain import bookings as rules
from chalicelib.domain.bookings import Booking, BookingRules, BookingState, Canceller, DayFull, Reason, SlotTaken
from chalicelib.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from chalicelib.domain.fees import PaymentKind
from chalicelib.domain.helper_pages import check_time_zone
from chalicelib.domain.payments import Payment, PaymentState, check_text
from chalicelib.domain.plans import current_plan
from chalicelib.observability import logger
from chalicelib.services.emails import tell_each
from chalicelib.services.helper_pages import page_named
from chalicelib.services.payments import (
    PaidThrough,
    PaymentDesk,
    Purpose,
    open_payment,
    refund_part,
    void_or_deliver,
)

if TYPE_CHECKING:
    from chalicelib.adapters.bookings import BookingRulesStore, BookingStore, HelperBookingRules

NOTE_MAX = 1000
PAYMENT_PREFIX = "booking-"  # a booking's payment is `booking-<booking id>`
DAYS_SHOWN_MAX = 62  # slots are asked for at most this many days at once


class BookingClosed(Conflict):
    """The booking is not in a state that allows this (cancelled, done, or not yet paid)."""

    code = "booking_closed"


class SlotUnavailable(Conflict):
    """The time is no longer free (taken a moment ago, or its day is full)."""

    code = "slot_unavailable"


@dataclass(frozen=True)
class BookingDesk(PaidThrough):
    """What appointments touch: their own stores, and paying (pages, plans, storefronts, mail)."""

    bookings: BookingStore
    rules: BookingRulesStore
    payments: PaymentDesk
    flags: Any = None  # adapters.ops_watch.OpsFlagStore: ops is told of a Helper who never joined

    def refund_hours(self) -> int:
        return self.settings.refund_request_hours


# -- the Helper's rules ---------------------------------------------------------------------------

def rules_of(helper_id: str, desk: BookingDesk) -> HelperBookingRules:
    from chalicelib.adapters.bookings import HelperBookingRules

    return desk.rules.get(helper_id) or HelperBookingRules(helper_id=helper_id, rules=BookingRules())


def rules_view(found: HelperBookingRules) -> dict:
    r = found.rules
    return {"lengths": list(r.lengths), "notice_minutes": r.notice_minutes, "horizon_days": r.horizon_days,
            "buffer_minutes": r.buffer_minutes, "daily_max": r.daily_max, "manual_confirm": r.manual_confirm,
            "fee_policy": r.fee_policy.value,
            "overrides": [{"date": day.isoformat(),
                           "windows": [{"start": _hhmm(w.start), "end": _hhmm(w.end)} for w in windows]}
                          for day, windows in sorted(r.overrides.items())],
            "feed": found.feed_token is not None}


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def save_rules(*, helper_id: str, raw: Any, desk: BookingDesk, now: int) -> HelperBookingRules:
    """The Helper's booking rules from their form (a Helper's page first)."""
    page = desk.pages.get(helper_id)
    if page is None:
        raise NotFound("Create your Helper page before taking bookings.")
    if not isinstance(raw, dict):
        raise InvalidInput("Send the booking rules as an object.", field="body")
    today = datetime.fromtimestamp(now, ZoneInfo(page.time_zone)).date()
    saved = replace(rules_of(helper_id, desk), rules=rules.check_rules(raw, today=today), updated_at=now)
    desk.rules.save(saved)
    return saved


def renew_feed(*, helper_id: str, desk: BookingDesk, now: int, revoke: bool = False) -> HelperBookingRules:
    """A new private calendar feed URL (the old one stops working), or none."""
    from chalicelib.adapters.bookings import new_feed_token

    if desk.pages.get(helper_id) is None:
        raise NotFound("Create your Helper page before taking bookings.")
    saved = replace(rules_of(helper_id, desk), feed_token=None if revoke else new_feed_token(), updated_at=now)
    desk.rules.save(saved)
    return saved


def calendar_feed(*, token: object, desk: BookingDesk, now: int) -> bytes:
    """The Helper's private calendar feed (ICS): their bookings from a month ago on, each with its
    stable UID, so a subscribed calendar follows moves and cancellations. An unknown or revoked
    token finds nothing."""
    from chalicelib.services.calendar_files import feed

    found = desk.rules.by_feed_token(token) if isinstance(token, str) and 16 <= len(token) <= 64 else None
    if found is None:
        raise NotFound("No such calendar.")
    helper_id = found.helper_id
    upcoming, _ = desk.bookings.for_helper(helper_id, upcoming=True, now=now, limit=FEED_SIZE)
    past, _ = desk.bookings.for_helper(helper_id, upcoming=False, now=now, limit=FEED_SIZE)
    shown = [b for b in (*reversed(past), *upcoming) if b.end >= now - 31 * 86_400 and b.state is not BookingState.HELD]
    profiles = desk.accounts.get_many({b.customer_id for b in shown})
    site = desk.settings.site_url.rstrip("/")
    brand = desk.settings.brand_name
    events = [(b, f"{b.length} minutes with {_name(profiles, b.customer_id)}",
               f"A video session on {brand}." + (f"\n\nWhat they need help with: {b.note}" if b.note else ""),
               f"{site}/booking.html?id={b.booking_id}") for b in shown]
    from urllib.parse import urlsplit

    return feed(events, calendar_name=f"{brand} bookings", domain=urlsplit(site).hostname or "interkanect.local")


FEED_SIZE = 200


# -- what a customer sees ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Offer:
    """What a Helper offers to book: the page, their rules, the lengths and prices bookable now."""

    page: Any
    rules: BookingRules
    prices: dict[int, int]  # length -> cents (0: free)
    paid_ok: bool  # the Helper can take payments (a storefront)


def offer_of(page: Any, desk: BookingDesk, now: int) -> Offer:
    found = rules_of(page.user_id, desk).rules
    plan = current_plan(desk.payments.plans.get(page.user_id), now)
    paid_ok = desk.payments.storefronts.get(page.user_id) is not None
    prices = {length: cents for length in rules.bookable_lengths(found, page.prices, plan.max_session_minutes)
              if (cents := page.prices[length]) == 0 or paid_ok}
    return Offer(page=page, rules=found, prices=prices, paid_ok=paid_ok)


def fee_for(offer: Offer, length: int) -> int:
    return rules.cancellation_fee(offer.rules.fee_policy, price_cents=offer.prices[length], length=length,
                                  rate_15_cents=offer.page.prices.get(15))


def _check_length(offer: Offer, length: object) -> int:
    if type(length) is not int or length not in offer.prices:
        offered = ", ".join(str(m) for m in offer.prices) or "none"
        raise InvalidInput(f"This Helper takes bookings of {offered} minutes.", field="length")
    return length


def _zone(name: object, field: str) -> str:
    try:
        return check_time_zone(name)  # type: ignore[arg-type]
    except InvalidInput as refused:
        raise InvalidInput(refused.message, field=field) from None


def free_slots(offer: Offer, *, length: int, now: int, desk: BookingDesk, first: int | None = None,
               last: int | None = None, moving: str | None = None) -> list[rules.Slot]:
    """The slots a customer may book now for `length` minutes (one Query of the steps held);
    the booking `moving`, if named, holds none of them (it is the one being moved)."""
    r = offer.rules
    first = now if first is None else max(first, now)
    horizon = now + (r.horizon_days + 1) * 86_400
    last = horizon if last is None else min(last, horizon)
    held = [step for step in desk.bookings.held(offer.page.user_id, first_step=first // rules.STEP_SECONDS - 8,
                                                last_step=last // rules.STEP_SECONDS + 8)
            if step.booking_id != moving]
    per_day: dict[date, set[str]] = {}
    for step in held:
        per_day.setdefault(step.day, set()).add(step.booking_id)
    in_calls = _live_call_steps(offer.page.user_id, desk, now, r.buffer_minutes)
    return rules.free_slots(weekly=((s.day, s.start, s.end) for s in offer.page.schedule), rules=r,
                            zone=offer.page.time_zone, length=length, now=now,
                            busy_steps=[*(step.step for step in held), *in_calls],
                            booked_per_day={day: len(ids) for day, ids in per_day.items()}, between=(first, last))


LIVE_CALL_GUESS_SECONDS = 30 * 60  # a call not yet in session is taken to last this long


def _live_call_steps(helper_id: str, desk: BookingDesk, now: int, buffer_minutes: int) -> list[int]:
    """The steps a call the Helper is in right now takes, until its session ends (or half an
    hour, while it rings or its terms are agreed), with the buffer after it."""
    steps: list[int] = []
    for call in desk.payments.calls.calls.live_for(helper_id):
        ends = call.session_ends_at or now + LIVE_CALL_GUESS_SECONDS
        steps.extend(range(now // rules.STEP_SECONDS, -(-(ends + buffer_minutes * 60) // rules.STEP_SECONDS)))
    return steps


def availability(*, username: str, length: object, zone: object, now: int, desk: BookingDesk,
                 days: object = None) -> dict:
    """The free slots for a length in the customer's own time zone (the Helper's beside), the
    price, and what cancelling late costs, for the coming weeks."""
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    offer = offer_of(page, desk, now)
    customer_zone = _zone(zone, "zone")
    length = _check_length(offer, length)
    shown_days = offer.rules.horizon_days if days is None else days
    if type(shown_days) is not int or not 1 <= shown_days <= DAYS_SHOWN_MAX:
        raise InvalidInput(f"Ask for 1 to {DAYS_SHOWN_MAX} days.", field="days")
    slots = free_slots(offer, length=length, now=now, desk=desk, last=now + shown_days * 86_400)
    return {"helper": {"username": page.username, "display_name": page.display_name, "time_zone": page.time_zone},
            "zone": customer_zone, "length": length, "price_cents": offer.prices[length],
            "currency": desk.settings.currency, "lengths": {str(m): c for m, c in offer.prices.items()},
            "policy": policy_view(offer, length),
            "slots": [_slot_view(slot.start, customer_zone, page.time_zone) for slot in slots]}


def policy_view(offer: Offer, length: int) -> dict:
    """The cancellation policy as every booking screen states it."""
    fee = fee_for(offer, length)
    return {"fee_policy": offer.rules.fee_policy.value, "fee_cents": fee, "late_hours": rules.LATE_HOURS,
            "manual_confirm": offer.rules.manual_confirm}


def _slot_view(start: int, customer_zone: str, helper_zone: str) -> dict:
    return {"start": _iso(start), "local": _local(start, customer_zone), "helper_local": _local(start, helper_zone)}


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(seconds: int, zone: str) -> str:
    return datetime.fromtimestamp(seconds, ZoneInfo(zone)).isoformat()


def parse_start(raw: object) -> int:
    """A slot's start as the API sends it back ("2026-12-08T15:30:00Z")."""
    try:
        moment = datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) \
            if isinstance(raw, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidInput("Send the slot's start as it was given (YYYY-MM-DDTHH:MM:SSZ).", field="start")
    return int(moment.timestamp())


# -- booking -----------------------------------------------------------------------------------------

def book(*, customer_id: str, username: str, length: object, start: object, zone: object, note: object,
         desk: BookingDesk, now: int, new_id: Callable[[], str] = lambda: uuid.uuid4().hex
         ) -> tuple[Booking, Payment | None]:
    """Takes a slot: held while the customer pays at PayPal (a free one is booked at once). The
    slot must be one the customer could see free now; two customers taking it at once get one
    booking and one 409."""
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    if page.user_id == customer_id:
        raise Forbidden("You cannot book your own time.")
    offer = offer_of(page, desk, now)
    length = _check_length(offer, length)
    customer_zone = _zone(zone, "zone")
    begins = parse_start(start)
    text = "" if note in (None, "") else check_text(note, field="note", label="A note", minimum=1, maximum=NOTE_MAX)
    day_slots = free_slots(offer, length=length, now=now, desk=desk, first=begins - 1, last=begins + 1)
    if not any(slot.start == begins for slot in day_slots):
        raise SlotUnavailable("That time is not free any more; choose another.")
    price = offer.prices[length]
    paid = price > 0
    booking_id = new_id()
    booking = Booking(
        booking_id=booking_id, helper_id=page.user_id, customer_id=customer_id, start=begins, length=length,
        helper_zone=page.time_zone, customer_zone=customer_zone, price_cents=price, currency=desk.settings.currency,
        fee_cents=fee_for(offer, length), buffer_minutes=offer.rules.buffer_minutes,
        state=BookingState.HELD if paid else _booked_state(offer.rules), created_at=now,
        hold_until=now + rules.HOLD_MINUTES * 60 if paid else None,
        payment_id=f"{PAYMENT_PREFIX}{booking_id}" if paid else None, note=text)
    booking = replace(booking, due_at=booking.next_due())
    try:
        desk.bookings.book(booking, daily_max=offer.rules.daily_max)
    except SlotTaken:
        raise SlotUnavailable("Someone booked that time a moment ago; choose another.") from None
    except DayFull:
        raise SlotUnavailable("That day is fully booked; choose another.") from None
    if not paid:
        _tell_booked(booking, desk)
        return booking, None
    payment = Payment(
        payment_id=booking.payment_id, kind=PaymentKind.APPOINTMENT, payer_id=customer_id,
        helper_id=page.user_id, amount_cents=price, currency=booking.currency, state=PaymentState.CREATED,
        created_at=now, description=f"{length}-minute session with {page.display_name}"[:127],
        helper_plan=current_plan(desk.payments.plans.get(page.user_id), now).name)
    try:
        opened = open_payment(payment, desk=desk.payments)
    except Exception:
        _release(booking, Reason.UNPAID, desk, now)
        raise
    return booking, opened


def _booked_state(found: BookingRules) -> BookingState:
    return BookingState.REQUESTED if found.manual_confirm else BookingState.CONFIRMED


def _release(booking: Booking, reason: Reason, desk: BookingDesk, now: int, **money: int) -> Booking | None:
    """Ends a live booking without its session: its time given back. None when it moved on."""
    after = booking.with_changes(state=BookingState.CANCELLED, reason=reason,
                                 sequence=booking.sequence + 1, hold_until=None, **money)
    return after if desk.bookings.release(booking, after) else None


def _own(booking_id: object, user_id: str, desk: BookingDesk) -> Booking:
    booking = desk.bookings.get(booking_id) if isinstance(booking_id, str) and len(booking_id) <= 64 else None
    if booking is None or user_id not in (booking.helper_id, booking.customer_id):
        raise NotFound("No such booking.")
    return booking


def get_booking(*, booking_id: object, user_id: str, desk: BookingDesk, now: int) -> dict:
    booking = _own(booking_id, user_id, desk)
    return booking_view(booking, viewer_id=user_id, desk=desk, now=now)


# -- paying for a booking (the payment desk's Purpose for appointments) ------------------------------

def booking_purpose(desk: BookingDesk) -> Purpose:
    return Purpose(deliver=partial(_deliver, desk=desk), still_wanted=partial(_still_held, desk=desk),
                   failed=partial(_payment_failed, desk=desk), refusal=partial(_refund_refusal, desk=desk),
                   refundable_until=partial(_refundable_until, desk=desk),
                   refunded=partial(_refunded, desk=desk))


def _still_held(payment: Payment, now: int, *, desk: BookingDesk) -> bool:
    booking = _by_payment(payment, desk)
    return booking is not None and booking.state is BookingState.HELD


def _by_payment(payment: Payment, desk: BookingDesk) -> Booking | None:
    """A booking's payment is named after it (`booking-<booking id>`)."""
    if not payment.payment_id.startswith(PAYMENT_PREFIX):
        return None
    return desk.bookings.get(payment.payment_id[len(PAYMENT_PREFIX):])


def _deliver(payment: Payment, now: int, first: bool, *, desk: BookingDesk) -> None:
    """The booking is paid: confirmed (or waiting for the Helper's confirmation), both told.
    A hold that ran out before the money arrived is refunded whole."""
    booking = _by_payment(payment, desk)
    if booking is None:
        return
    if booking.state is BookingState.CANCELLED:
        from chalicelib.services.payments import refund_in_full

        refund_in_full(payment=payment, desk=desk.payments, now=now,
                       reason="The time was let go before your payment arrived, so it was refunded in full.")
        return
    if booking.state is not BookingState.HELD:
        return  # delivered before (a retry)
    found = rules_of(booking.helper_id, desk).rules
    after = booking.with_changes(state=_booked_state(found), hold_until=None)
    if desk.bookings.transition(booking, after):
        _tell_booked(after, desk)


def _payment_failed(payment: Payment, now: int, *, desk: BookingDesk) -> None:
    booking = _by_payment(payment, desk)
    if booking is not None and booking.state is BookingState.HELD:
        _release(booking, Reason.UNPAID, desk, now)


def _refund_refusal(payment: Payment, now: int, *, desk: BookingDesk) -> DomainError | None:
    """Money back for a booking is its cancellation (before the session); after it, the
    money-back guarantee's window as for any session."""
    booking = _by_payment(payment, desk)
    if booking is None:
        return NotFound("No such booking.")
    if booking.state is not BookingState.DONE:
        return Conflict("Cancel the booking instead: the refund it gives is shown before you confirm.")
    if now > booking.end + desk.refund_hours() * 3600:
        from chalicelib.domain.refunds import RefundWindowClosed

        return RefundWindowClosed("The refund window for this session has closed.")
    return None


def _refundable_until(payment: Payment, *, desk: BookingDesk) -> int | None:
    booking = _by_payment(payment, desk)
    return booking.end + desk.refund_hours() * 3600 if booking is not None else None


def _refunded(payment: Payment, cents: int, now: int, *, desk: BookingDesk) -> None:
    """A refund after the session (the money-back guarantee) is counted on the booking; a
    cancellation's refund was counted when it was cancelled."""
    booking = _by_payment(payment, desk)
    for _ in range(5):
        if booking is None or booking.state is not BookingState.DONE:
            return
        after = replace(booking, version=booking.version + 1,
                        refund_cents=min(booking.price_cents, booking.refund_cents + cents))
        if desk.bookings.transition(booking, after):
            return
        booking = desk.bookings.get(booking.booking_id)


def earnings_hold(desk: BookingDesk) -> Callable[[Payment], int | None]:
    """A booking's earnings are released after its session and its refund window."""
    def closes(payment: Payment) -> int | None:
        booking = _by_payment(payment, desk)
        return payment.captured_at if booking is None else booking.end + desk.refund_hours() * 3600
    return closes


# -- the Helper decides ---------------------------------------------------------------------------------

def confirm(*, booking_id: object, helper_id: str, desk: BookingDesk, now: int) -> Booking:
    booking = _as_helper(booking_id, helper_id, desk)
    if booking.state is BookingState.CONFIRMED:
        return booking
    if booking.state is not BookingState.REQUESTED:
        raise BookingClosed("Only a booking waiting for your confirmation can be confirmed.")
    after = booking.with_changes(state=BookingState.CONFIRMED)
    if not desk.bookings.transition(booking, after):
        raise Conflict("This booking changed meanwhile; reload it.")
    _tell(after, desk, "booking_confirmed", to=(after.customer_id,))
    return after


def _as_helper(booking_id: object, helper_id: str, desk: BookingDesk) -> Booking:
    booking = _own(booking_id, helper_id, desk)
    if booking.helper_id != helper_id:
        raise Forbidden("Only the Helper does that.")
    return booking


# -- the session itself -------------------------------------------------------------------------------

JOIN_EARLY_SECONDS = 5 * 60  # the room opens this long before the start


@dataclass(frozen=True)
class BookedCalls:
    """What the call side asks of bookings (services.calls, through CallDesk.booked_calls): the
    terms a booked session's call starts with, and the booking told once both are in."""

    desk: BookingDesk

    def terms_of(self, *, booking_id: str, caller_id: str, helper_id: str, now: int) -> Any:
        """The agreed terms of the customer's confirmed booking with this Helper, from five minutes
        before its start until its end (its time left, if joined late); refused otherwise."""
        from chalicelib.domain.calls import Terms

        booking = self.desk.bookings.get(booking_id)
        if booking is None or booking.customer_id != caller_id or booking.helper_id != helper_id:
            raise NotFound("No such booking.")
        if booking.state is not BookingState.CONFIRMED:
            raise BookingClosed("This booking is not confirmed.")
        if not booking.start - JOIN_EARLY_SECONDS <= now < booking.end:
            raise BookingClosed("The session opens five minutes before its start.")
        left = max(1, (booking.end - max(now, booking.start)) // 60)
        return Terms(price_cents=booking.price_cents, minutes=min(booking.length, left))

    def joined(self, call: Any, *, now: int) -> None:
        """Both are in: the booking remembers its call (so neither is a no-show)."""
        for _ in range(3):
            booking = self.desk.bookings.get(call.booking_id)
            if booking is None or booking.call_id is not None:
                return
            if self.desk.bookings.transition(booking, replace(booking, version=booking.version + 1,
                                                              call_id=call.call_id)):
                return


# -- cancelling ---------------------------------------------------------------------------------------

def quote_cancel(*, booking_id: object, user_id: str, desk: BookingDesk, now: int) -> dict:
    """What cancelling now would cost and give back, shown before anyone confirms."""
    booking = _own(booking_id, user_id, desk)
    reason = _cancel_reason(booking, user_id, now)
    ended = _settlement(booking, reason, desk, now)
    return {"reason": reason.value, "fee_cents": ended.fee_cents, "refund_cents": ended.refund_cents,
            "late": ended.late, "paid_cents": _paid(booking, desk)}


def _cancel_reason(booking: Booking, user_id: str, now: int) -> Reason:
    if not booking.live:
        raise BookingClosed("This booking is not open any more.")
    if user_id == booking.helper_id:
        return Reason.HELPER_DECLINED if booking.state is BookingState.REQUESTED else Reason.HELPER_CANCELLED
    if now >= booking.start:
        if now >= rules.no_show_from(booking.start) and booking.call_id is None:
            return Reason.HELPER_NO_SHOW  # the customer waited and the Helper never came
        raise BookingClosed("The session has started; it can no longer be cancelled.")
    return Reason.CUSTOMER_CANCELLED


def _paid(booking: Booking, desk: BookingDesk) -> int:
    payment = desk.payments.payments.get(booking.payment_id) if booking.payment_id else None
    return payment.amount_cents if payment is not None and payment.state is PaymentState.CAPTURED else 0


def _settlement(booking: Booking, reason: Reason, desk: BookingDesk, now: int) -> rules.Settlement:
    payment = desk.payments.payments.get(booking.payment_id) if booking.payment_id else None
    if payment is None or payment.state is not PaymentState.CAPTURED:
        return rules.settle(Reason.UNPAID, paid_cents=0, paypal_fee_cents=0, fee_cents=0, start=booking.start, at=now)
    return rules.settle(reason, paid_cents=payment.amount_cents - payment.refunded_cents,
                        paypal_fee_cents=payment.paypal_fee_cents or 0, fee_cents=booking.fee_cents,
                        start=booking.start, at=now)


def cancel(*, booking_id: object, user_id: str, desk: BookingDesk, now: int, reason: object = None) -> Booking:
    """Cancels a booking: its time given back, the refund the quote showed made through PayPal,
    both told with the calendar's cancellation. Cancelling again changes nothing."""
    booking = _own(booking_id, user_id, desk)
    if booking.state is BookingState.CANCELLED:
        return booking
    why = _cancel_reason(booking, user_id, now)
    note = "" if reason in (None, "") else check_text(reason, field="reason", label="A reason", minimum=1,
                                                       maximum=500)
    return _end(booking, why, desk, now, note=note)


def _end(booking: Booking, why: Reason, desk: BookingDesk, now: int, *, note: str = "") -> Booking:
    ended = _settlement(booking, why, desk, now)
    after = _release(booking, why, desk, now, refund_cents=ended.refund_cents, kept_cents=ended.fee_cents)
    if after is None:
        raise Conflict("This booking changed meanwhile; reload it.")
    if ended.refund_cents:
        payment = desk.payments.payments.get(booking.payment_id)
        refund_part(payment=payment, amount_cents=ended.refund_cents, request_id=f"booking-{booking.booking_id}",
                    reason=note or _REASONS[why], desk=desk.payments, now=now)
    _tell(after, desk, "booking_cancelled", to=(after.customer_id, after.helper_id), note=note,
          reason_text=_REASONS[why])
    if why is Reason.HELPER_NO_SHOW:
        _tell_ops_no_show(after, desk, now)
    return after


def _tell_ops_no_show(booking: Booking, desk: BookingDesk, now: int) -> None:
    """A Helper who never came to a booked session is flagged for ops (once per booking)."""
    from chalicelib.domain.ops_watch import OpsFlag

    logger().warning("helper did not join a booked session", extra={"booking_id": booking.booking_id,
                                                                    "helper_id": booking.helper_id})
    if desk.flags is not None:
        desk.flags.raise_once(OpsFlag(
            flag_id=f"helper_no_show:{booking.booking_id}", helper_id=booking.helper_id, reason="helper_no_show",
            detail=f"Did not join the {booking.length}-minute session booked for {_iso(booking.start)}; the customer "
                   f"was refunded {booking.refund_cents / 100:.2f} {booking.currency} in full.", flagged_at=now))


_REASONS = {
    Reason.CUSTOMER_CANCELLED: "The customer cancelled the booking.",
    Reason.HELPER_CANCELLED: "The Helper cancelled the booking.",
    Reason.HELPER_DECLINED: "The Helper could not take this booking.",
    Reason.CUSTOMER_NO_SHOW: "The customer did not join the session.",
    Reason.HELPER_NO_SHOW: "The Helper did not join the session.",
    Reason.UNPAID: "The payment was not completed in time.",
}


def mark_no_show(*, booking_id: object, helper_id: str, desk: BookingDesk, now: int) -> Booking:
    """The Helper says the customer never came, 10 minutes or more after the start: the fee kept,
    the rest refunded."""
    booking = _as_helper(booking_id, helper_id, desk)
    if booking.state is BookingState.CANCELLED and booking.reason is Reason.CUSTOMER_NO_SHOW:
        return booking
    if booking.state is not BookingState.CONFIRMED:
        raise BookingClosed("Only a confirmed booking can be marked a no-show.")
    if now < rules.no_show_from(booking.start) or booking.call_id is not None:
        raise BookingClosed(f"A customer who has not joined {rules.NO_SHOW_MINUTES} minutes after the start "
                            "may be marked a no-show.")
    return _end(booking, Reason.CUSTOMER_NO_SHOW, desk, now)


# -- rescheduling -------------------------------------------------------------------------------------

def reschedule(*, booking_id: object, user_id: str, start: object, desk: BookingDesk, now: int) -> Booking:
    """Moves a booking to another free slot of the same length: a customer 24 hours or more
    ahead, the Helper until it starts. The invitation's SEQUENCE rises."""
    booking = _own(booking_id, user_id, desk)
    by = Canceller.HELPER if user_id == booking.helper_id else Canceller.CUSTOMER
    if booking.state not in (BookingState.REQUESTED, BookingState.CONFIRMED):
        raise BookingClosed("Only a booked session can be moved.")
    if not rules.may_reschedule(start=booking.start, at=now, by=by):
        raise BookingClosed(f"Less than {rules.LATE_HOURS} hours before the start, a booking can only be "
                            "cancelled (the late fee applies).")
    begins = parse_start(start)
    page = desk.pages.get(booking.helper_id)
    if page is None:
        raise NotFound("This Helper has no page any more.")
    offer = offer_of(page, desk, now)
    # its own steps do not count: moving by a quarter hour overlaps itself
    free = free_slots(offer, length=booking.length, now=now, desk=desk, first=begins - 1, last=begins + 1,
                      moving=booking.booking_id)
    if begins != booking.start and not any(s.start == begins for s in free):
        raise SlotUnavailable("That time is not free; choose another.")
    after = booking.with_changes(start=begins, sequence=booking.sequence + 1,
                                 helper_zone=page.time_zone, reminded=())
    try:
        moved = desk.bookings.move(booking, after, daily_max=offer.rules.daily_max)
    except (SlotTaken, DayFull):
        raise SlotUnavailable("Someone booked that time a moment ago; choose another.") from None
    if not moved:
        raise Conflict("This booking changed meanwhile; reload it.")
    _tell(after, desk, "booking_moved", to=(after.customer_id, after.helper_id), before=_iso(booking.start))
    return after


# -- jobs ------------------------------------------------------------------------------------------------

def run_due(*, desk: BookingDesk, now: int, limit: int = 100) -> int:
    """Every booking whose time has come for something: an unpaid hold let go (its payment
    voided first, so approving at PayPal later charges nothing), a reminder sent (each once),
    a session past its refund window closed. Returns how many were looked at."""
    due = desk.bookings.due(now, limit=limit)
    for booking in due:
        try:
            _due(booking, desk, now)
        except Exception:  # noqa: BLE001 - one booking must not stop the others
            logger().exception("booking job failed", extra={"booking_id": booking.booking_id})
    return len(due)


def _due(booking: Booking, desk: BookingDesk, now: int) -> None:
    if booking.state is BookingState.HELD:
        if not void_or_deliver(payment_id=booking.payment_id, desk=desk.payments, now=now,
                               reason="The booking's hold ran out; nothing was charged."):
            _release(booking, Reason.UNPAID, desk, now)  # (paid after all: delivering booked it)
        return
    if now >= booking.end:
        if booking.state is BookingState.CONFIRMED:
            desk.bookings.transition(booking, replace(booking.with_changes(state=BookingState.DONE), due_at=None))
        elif booking.state is BookingState.REQUESTED:  # never confirmed before its time: refunded in full
            _end(booking, Reason.HELPER_DECLINED, desk, now)
        return
    due = [(before, name) for before, name in rules.REMINDERS
           if name not in booking.reminded and now >= booking.start - before]
    if not due:
        return
    after = booking.with_changes(reminded=(*booking.reminded, *(name for _, name in due)))
    if not desk.bookings.transition(booking, after):  # the claim: each reminder once
        return
    before, name = min(due)  # the closest; one whose moment passed long ago is not sent late
    if now < booking.start - before + REMINDER_GRACE and booking.state is BookingState.CONFIRMED:
        _tell(after, desk, "booking_reminder", to=(after.customer_id, after.helper_id), reminder=name)


REMINDER_GRACE = 30 * 60  # a reminder later than this after its moment (booked late) is not sent


# -- views and mail ---------------------------------------------------------------------------------

def booking_view(booking: Booking, *, viewer_id: str, desk: BookingDesk, now: int) -> dict:
    as_helper = viewer_id == booking.helper_id
    zone = booking.helper_zone if as_helper else booking.customer_zone
    others = desk.accounts.get_many([booking.helper_id, booking.customer_id])
    page = desk.pages.get(booking.helper_id)
    actions = []
    if booking.live:
        if as_helper and booking.state is BookingState.REQUESTED:
            actions += ["confirm", "decline"]
        if booking.state in (BookingState.REQUESTED, BookingState.CONFIRMED) and rules.may_reschedule(
                start=booking.start, at=now, by=Canceller.HELPER if as_helper else Canceller.CUSTOMER):
            actions.append("reschedule")
        try:
            _cancel_reason(booking, viewer_id, now)
            actions.append("cancel")
        except DomainError:
            pass
        if as_helper and booking.state is BookingState.CONFIRMED and now >= rules.no_show_from(booking.start) \
                and booking.call_id is None and now < booking.end:
            actions.append("no_show")
        if booking.state is BookingState.CONFIRMED and booking.start - JOIN_EARLY_SECONDS <= now < booking.end:
            actions.append("join")
    return {
        "booking_id": booking.booking_id, "state": booking.state.value, "version": booking.version,
        "start": _iso(booking.start), "end": _iso(booking.end), "length": booking.length,
        "local": _local(booking.start, zone), "zone": zone,
        "helper_local": _local(booking.start, booking.helper_zone), "helper_zone": booking.helper_zone,
        "customer_local": _local(booking.start, booking.customer_zone), "customer_zone": booking.customer_zone,
        "price_cents": booking.price_cents, "currency": booking.currency, "fee_cents": booking.fee_cents,
        "refund_cents": booking.refund_cents, "kept_cents": booking.kept_cents,
        "reason": booking.reason.value if booking.reason else None, "note": booking.note,
        "hold_until": _iso(booking.hold_until) if booking.hold_until else None, "payment_id": booking.payment_id,
        "sequence": booking.sequence, "role": "helper" if as_helper else "customer",
        "helper": {"username": page.username if page else None,
                   "display_name": page.display_name if page else _name(others, booking.helper_id)},
        "customer": {"display_name": _name(others, booking.customer_id)} if as_helper else None,
        "actions": actions, "url": f"/booking.html?id={booking.booking_id}",
    }


def _name(profiles: dict, user_id: str) -> str:
    found = profiles.get(user_id)
    return found.display_name if found is not None else "Someone"


def _tell_booked(booking: Booking, desk: BookingDesk) -> None:
    waiting = booking.state is BookingState.REQUESTED
    _tell(booking, desk, "booking_requested" if waiting else "booking_confirmed",
          to=(booking.customer_id, booking.helper_id))


def _tell(booking: Booking, desk: BookingDesk, kind: str, *, to: tuple[str, ...], **context: Any) -> None:
    """Emails each party about the booking, its time in their own time zone."""
    profiles = desk.accounts.get_many([booking.helper_id, booking.customer_id])
    page = desk.pages.get(booking.helper_id)
    helper_name = page.display_name if page is not None else _name(profiles, booking.helper_id)
    customer_name = _name(profiles, booking.customer_id)
    url = f"{desk.settings.site_url.rstrip('/')}/booking.html?id={booking.booking_id}"
    method = INVITATIONS.get(kind)
    messages = []
    for user_id in to:
        as_helper = user_id == booking.helper_id
        zone = booking.helper_zone if as_helper else booking.customer_zone
        other = customer_name if as_helper else helper_name
        values = {"booking": booking, "when": spoken_time(booking.start, zone), "zone": zone, "as_helper": as_helper,
                  "helper_name": helper_name, "customer_name": customer_name, "other_name": other,
                  "booking_url": url, **context}
        if method and user_id in profiles:
            values["calendar"] = _invitation(booking, method, desk, url=url, other=other,
                                             attendee=(profiles[user_id].display_name, profiles[user_id].email))
        messages.append((user_id, kind, values))
    tell_each(desk, *messages)


# The calendar invitation each email carries: the event, or its cancellation (same UID, a higher
# SEQUENCE), so the person's calendar follows the booking.
INVITATIONS = {"booking_confirmed": "REQUEST", "booking_moved": "REQUEST", "booking_cancelled": "CANCEL"}


def _invitation(booking: Booking, method: str, desk: BookingDesk, *, url: str, other: str,
                attendee: tuple[str, str]) -> bytes:
    """An invitation from the platform (never from the person it is sent to, whom calendars would
    take for its owner) to `attendee`."""
    from urllib.parse import urlsplit

    from chalicelib.services.calendar_files import invitation

    settings = desk.settings
    return invitation(booking, method=method, summary=f"{booking.length} minutes with {other} ({settings.brand_name})",
                      description=f"A video session on {settings.brand_name}. Open the booking and press Join "
                                  "at the time.", join_url=url,
                      organizer=(settings.brand_name, settings.email_sender), attendee=attendee,
                      domain=urlsplit(settings.site_url).hostname or "interkanect.local")


def spoken_time(seconds: int, zone: str) -> str:
    """"Tuesday 8 December 2026, 10:30" on the clock of `zone`."""
    moment = datetime.fromtimestamp(seconds, ZoneInfo(zone))
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M}"
