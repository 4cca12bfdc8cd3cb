"""A live call, as a pure state machine: ringing, the 5-minute negotiation, payment, the session
timer, extensions and the end. Every transition returns a new `Call` with `version + 1`; the
store writes it only if the stored version is still the one it was derived from."""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from chalicelib.domain.errors import DomainError, Forbidden, InvalidInput
from chalicelib.domain.plans import Plan

RING_SECONDS = 45  # unanswered this long: a missed call
NEGOTIATION_SECONDS = 5 * 60  # the product rule: five minutes to agree terms
PAYMENT_SECONDS = 10 * 60  # PayPal approval and capture
ABANDON_GRACE_SECONDS = 60  # a participant with no connection this long ends the call
MAX_MINUTES = 8 * 60
MAX_PRICE_CENTS = 1000_00  # the default of settings.max_session_price_cents


class CallState(str, Enum):
    RINGING = "ringing"
    NEGOTIATING = "negotiating"  # talking, agreeing terms (first time or an extension)
    AWAITING_PAYMENT = "awaiting_payment"  # media suspended while PayPal approves
    IN_SESSION = "in_session"  # the paid (or free) time is running
    ENDED = "ended"


class EndReason(str, Enum):
    CANCELLED = "cancelled"  # the caller hung up before an answer
    DECLINED = "declined"  # the helper declined
    MISSED = "missed"  # nobody answered in time
    NO_AGREEMENT = "no_agreement"  # the negotiation window closed without agreed terms
    PAYMENT_TIMEOUT = "payment_timeout"
    HUNG_UP = "hung_up"  # a participant ended the call
    ABANDONED = "abandoned"  # a participant's connections were gone past the grace period


class Role(str, Enum):
    CALLER = "caller"
    HELPER = "helper"


class IllegalTransition(DomainError):
    """The call is not in a state where that can happen (it may have moved on already)."""

    code = "illegal_transition"


LIVE = (CallState.NEGOTIATING, CallState.AWAITING_PAYMENT, CallState.IN_SESSION)


@dataclass(frozen=True)
class Terms:
    """The price and length of a session, as proposed or agreed."""

    price_cents: int
    minutes: int

    @property
    def free(self) -> bool:
        return self.price_cents == 0


@dataclass(frozen=True)
class Call:
    """One call, from ringing to its end; every change is a new version."""

    call_id: str
    caller_id: str
    helper_id: str
    state: CallState
    version: int
    plan: Plan
    created_at: int
    state_deadline: int | None  # when this state's own timeout fires (seconds since the epoch)
    caller_connection: str | None = None
    helper_connection: str | None = None
    proposed: Terms | None = None
    agreed: Terms | None = None
    extension: bool = False  # this negotiation is for more time, not the first session
    session_started_at: int | None = None
    session_ends_at: int | None = None
    minutes_used: int = 0
    caller_gone_since: int | None = None
    helper_gone_since: int | None = None
    negotiation_deadline: int | None = None  # while paying: when the negotiation window closes
    accepted_version: int | None = None  # the version at which paid terms were last accepted: names that payment
    ended_at: int | None = None
    end_reason: EndReason | None = None
    booking_id: str | None = None  # a booked session: its terms were agreed (and paid) when it was booked

    @property
    def deadline(self) -> int | None:
        """The next time the clock changes this call: its state's timeout, or a participant's
        grace running out, whichever comes first."""
        candidates = [d for d in (self.state_deadline, self.grace_deadline) if d is not None]
        return min(candidates) if candidates else None

    @property
    def grace_deadline(self) -> int | None:
        """When a participant who lost every connection runs out of time to come back. While
        PayPal approves, the caller is away on purpose: only the payment window counts."""
        if self.state is CallState.ENDED:
            return None
        gone = [self.helper_gone_since]
        if self.state is not CallState.AWAITING_PAYMENT:
            gone.append(self.caller_gone_since)
        ends = [g + ABANDON_GRACE_SECONDS for g in gone if g is not None]
        return min(ends) if ends else None

    @property
    def live(self) -> bool:
        return self.state in LIVE

    def role_of(self, user_id: str) -> Role:
        if user_id == self.caller_id:
            return Role.CALLER
        if user_id == self.helper_id:
            return Role.HELPER
        raise Forbidden("You are not in this call.")

    def other_connection(self, connection_id: str) -> str | None:
        """Where a signalling message from `connection_id` goes; None if it is not a participant's."""
        if connection_id == self.caller_connection:
            return self.helper_connection
        if connection_id == self.helper_connection:
            return self.caller_connection
        return None

    def _next(self, **changes: object) -> "Call":
        return replace(self, version=self.version + 1, **changes)


def _require(call: Call, *states: CallState) -> None:
    if call.state not in states:
        raise IllegalTransition(f"The call is {call.state.value}; that cannot happen now.")


def _require_role(call: Call, user_id: str, role: Role) -> None:
    if call.role_of(user_id) is not role:
        raise Forbidden(f"Only the {role.value} can do that.")


def ring(*, call_id: str, caller_id: str, helper_id: str, caller_connection: str, plan: Plan, now: int,
         booked: tuple[str, Terms] | None = None) -> Call:
    """A call ringing the Helper; `booked` (the booking's id and its terms) for the session of a
    booking, whose terms are agreed already."""
    if caller_id == helper_id:
        raise InvalidInput("You cannot call yourself.")
    booking_id, terms = booked if booked else (None, None)
    return Call(call_id=call_id, caller_id=caller_id, helper_id=helper_id, state=CallState.RINGING, version=1,
                plan=plan, created_at=now, state_deadline=now + RING_SECONDS, caller_connection=caller_connection,
                booking_id=booking_id, agreed=terms)


def cancel(call: Call, *, user_id: str, now: int) -> Call:
    _require(call, CallState.RINGING)
    _require_role(call, user_id, Role.CALLER)
    return _ended(call, EndReason.CANCELLED, now)


def decline(call: Call, *, user_id: str, now: int) -> Call:
    _require(call, CallState.RINGING)
    _require_role(call, user_id, Role.HELPER)
    return _ended(call, EndReason.DECLINED, now)


def answer(call: Call, *, user_id: str, helper_connection: str, now: int) -> Call:
    """The two are connected and talk while they agree terms; five minutes start now. A booked
    session's terms were agreed when it was booked: its time starts now that both are in."""
    _require(call, CallState.RINGING)
    _require_role(call, user_id, Role.HELPER)
    if call.booking_id is not None and call.agreed is not None:
        return _session(replace(call, helper_connection=helper_connection), call.agreed, now)
    return call._next(state=CallState.NEGOTIATING, helper_connection=helper_connection,
                      state_deadline=now + NEGOTIATION_SECONDS)


def check_price(price_cents: object, maximum: int = MAX_PRICE_CENTS) -> int:
    """A session's price: whole cents (a true integer) from 0 (free) up to the ceiling."""
    if type(price_cents) is not int or not 0 <= price_cents <= maximum:
        raise InvalidInput(f"The price is whole cents from 0 (free) to {maximum}.", field="price_cents")
    return price_cents


def check_terms(price_cents: object, minutes: object, plan: Plan, max_price_cents: int = MAX_PRICE_CENTS) -> Terms:
    check_price(price_cents, max_price_cents)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"A session is 1 to {MAX_MINUTES} minutes.", field="minutes")
    if plan.max_session_minutes is not None and minutes > plan.max_session_minutes:
        raise InvalidInput(f"On the {plan.name} plan a session is at most {plan.max_session_minutes} minutes.",
                           field="minutes")
    if price_cents == 0 and not plan.free_sessions:
        raise InvalidInput(f"On the {plan.name} plan sessions are paid.", field="price_cents")
    return Terms(price_cents, minutes)


def propose(call: Call, *, user_id: str, price_cents: object, minutes: object, now: int,
            max_price_cents: int = MAX_PRICE_CENTS) -> Call:
    """The helper enters terms (and may revise them while the window is open)."""
    _require(call, CallState.NEGOTIATING)
    _require_role(call, user_id, Role.HELPER)
    if call.plan.max_session_minutes is not None and isinstance(minutes, int) and not isinstance(minutes, bool) \
            and call.minutes_used + minutes > call.plan.max_session_minutes:
        left = call.plan.max_session_minutes - call.minutes_used
        raise InvalidInput(f"On the {call.plan.name} plan a call is at most {call.plan.max_session_minutes} "
                           f"minutes; {left} remain.", field="minutes")
    return call._next(proposed=check_terms(price_cents, minutes, call.plan, max_price_cents))


def reject_terms(call: Call, *, user_id: str, now: int) -> Call:
    """The caller declines these terms; the helper may propose again while the window is open."""
    _require(call, CallState.NEGOTIATING)
    _require_role(call, user_id, Role.CALLER)
    if call.proposed is None:
        raise IllegalTransition("There are no terms to decline.")
    return call._next(proposed=None)


def accept(call: Call, *, user_id: str, price_cents: int, minutes: int, now: int) -> Call:
    """The caller accepts the terms they were shown (echoed, so a revision in flight is not
    accepted by mistake). Free terms start the session; paid ones wait for payment."""
    _require(call, CallState.NEGOTIATING)
    _require_role(call, user_id, Role.CALLER)
    if call.proposed is None or call.proposed != Terms(price_cents, minutes):
        raise IllegalTransition("Those are not the terms on the table; look again.")
    terms = call.proposed
    if terms.free:
        return _session(call, terms, now)
    return call._next(state=CallState.AWAITING_PAYMENT, agreed=terms, proposed=None,
                      state_deadline=now + PAYMENT_SECONDS, negotiation_deadline=call.state_deadline,
                      accepted_version=call.version + 1)


def payment_confirmed(call: Call, *, now: int) -> Call:
    """The payments side captured the money: both are re-connected and the timer starts."""
    _require(call, CallState.AWAITING_PAYMENT)
    assert call.agreed is not None
    return _session(call, call.agreed, now)


def payment_failed(call: Call, *, now: int) -> Call:
    """The caller cancelled at PayPal, or PayPal declined: back to negotiating the same terms
    while the negotiation window lasts; after it, no agreement."""
    _require(call, CallState.AWAITING_PAYMENT)
    window = call.negotiation_deadline
    if window is None or now >= window:
        return _ended(call, EndReason.NO_AGREEMENT, now)
    return call._next(state=CallState.NEGOTIATING, proposed=call.agreed, agreed=None,
                      state_deadline=window, negotiation_deadline=None)


def _session(call: Call, terms: Terms, now: int) -> Call:
    ends = now + terms.minutes * 60
    return call._next(state=CallState.IN_SESSION, agreed=terms, proposed=None, extension=False,
                      negotiation_deadline=None,
                      session_started_at=now, session_ends_at=ends, state_deadline=ends,
                      minutes_used=call.minutes_used + terms.minutes)


def end(call: Call, *, user_id: str, now: int) -> Call:
    call.role_of(user_id)
    if call.state is CallState.RINGING:
        return cancel(call, user_id=user_id, now=now) if user_id == call.caller_id else \
            decline(call, user_id=user_id, now=now)
    _require(call, *LIVE)
    return _ended(call, EndReason.HUNG_UP, now)


def connection_lost(call: Call, *, role: Role, now: int) -> Call:
    """A participant has no connection any more; the call ends unless they are back in time."""
    _require(call, *LIVE)
    field = "caller_gone_since" if role is Role.CALLER else "helper_gone_since"
    if getattr(call, field) is not None:
        return call
    return call._next(**{field: now})


def rejoin(call: Call, *, user_id: str, connection_id: str, now: int) -> Call:
    """A participant is back (a reload, a reconnect) on a new connection."""
    _require(call, *LIVE)
    role = call.role_of(user_id)
    if role is Role.CALLER:
        return call._next(caller_connection=connection_id, caller_gone_since=None)
    return call._next(helper_connection=connection_id, helper_gone_since=None)


def _ended(call: Call, reason: EndReason, now: int) -> Call:
    return call._next(state=CallState.ENDED, end_reason=reason, ended_at=now, state_deadline=None, proposed=None)


def apply_timeouts(call: Call, *, now: int) -> Call:
    """What the clock does to a call: enforced on every action and by the scheduled sweep."""
    if call.state is CallState.ENDED or call.deadline is None or now < call.deadline:
        return call
    fired = call.deadline  # whichever came first decides, however late the sweep runs
    if call.grace_deadline == fired and (call.state_deadline is None or fired < call.state_deadline):
        return _ended(call, EndReason.ABANDONED, fired)
    if call.state is CallState.RINGING:
        return _ended(call, EndReason.MISSED, fired)
    if call.state is CallState.NEGOTIATING:
        return _ended(call, EndReason.NO_AGREEMENT, fired)
    if call.state is CallState.AWAITING_PAYMENT:
        return _ended(call, EndReason.PAYMENT_TIMEOUT, fired)
    # IN_SESSION and the paid time is up: the call is not cut; an extension is negotiated.
    if call.plan.max_session_minutes is not None and call.minutes_used >= call.plan.max_session_minutes:
        return _ended(call, EndReason.NO_AGREEMENT, now)  # the plan allows no more time
    return call._next(state=CallState.NEGOTIATING, extension=True, proposed=None,
                      state_deadline=now + NEGOTIATION_SECONDS)
