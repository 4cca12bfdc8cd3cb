"""Live calls on the server: ringing, negotiation, payment hand-off, the session timer,
extensions, the end, and relaying WebRTC signalling between the two participants only."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable

from chalicelib.adapters.accounts import AccountStore
from chalicelib.adapters.calls import CallChanged, CallStore
from chalicelib.adapters.connections import ConnectionStore
from chalicelib.adapters.helper_pages import HelperPageStore
from chalicelib.adapters.ops_stats import tally
from chalicelib.adapters.ops_watch import FreeSessionCounter
from chalicelib.adapters.payments import PlanStore, StorefrontStore
from chalicelib.adapters.rate_limits import enforce
from chalicelib.adapters.reviews import Reminder, ReminderStore
from chalicelib.adapters.websocket import WebsocketSender
from chalicelib.domain import calls as rules
from chalicelib.domain.calls import Call, CallState, Role
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.ops_watch import starts_free_session
from chalicelib.domain.plans import current_plan
from chalicelib.domain.presence import Status
from chalicelib.domain.user_text import one_line
from chalicelib.observability import CALLS_ANSWERED, CALLS_RUNG, count
from chalicelib.services.delivery import deliver_to_each


@dataclass(frozen=True)
class CallDesk:
    """What call handling touches."""

    calls: CallStore
    connections: ConnectionStore
    sender: WebsocketSender
    pages: HelperPageStore
    accounts: AccountStore
    refresh_presence: Callable[[str], Status]
    storefronts: StorefrontStore
    plans: PlanStore
    free_sessions: FreeSessionCounter | None = None  # counts free sessions for ops; None: not counted
    max_price_cents: int = rules.MAX_PRICE_CENTS  # settings.max_session_price_cents
    # While an action's reply is on its way (the WebSocket handler sets a list), the participants'
    # presence is recounted after the reply and the participants' news, not before: the answer
    # reaches both browsers one round trip sooner. None: recounted at once.
    after_reply: list[Callable[[], None]] | None = None
    # A call whose session started is remembered when it ends, so its caller is asked once, by
    # email, to rate it if they have not after this many hours (services.reviews). None: not asked.
    review_reminders: ReminderStore | None = None
    review_reminder_hours: int = 24
    # Booked sessions (services.bookings.BookedCalls, built on first use): the terms a booking's
    # call starts with, and the booking told once both are in. None: calls only.
    booked_calls: Callable[[], Any] | None = None
    # Web Push (services.push.PushDesk, built on first use): a ring reaches the Helper's devices
    # when no tab of theirs is open. None: rings go to open tabs only.
    push: Callable[[], Any] | None = None
    # A call that rang out unanswered is emailed to its Helper (services.emails: a desk with
    # accounts, mailer and settings, built on first use). None: not emailed.
    missed_call_emails: Callable[[], Any] | None = None
    # Abuse limit (adapters.rate_limits): rings per caller a minute, counted before anything else
    # (a refused ring rings nobody). None: not limited.
    rings: Any = None
    rings_per_minute: int = 6
    # The ops dashboard's daily counters (adapters.ops_stats), raised beside the metrics. None: not kept.
    stats: Any = None


def call_view(call: Call) -> dict:
    """What both participants' browsers are told about a call, after every change."""
    terms = (lambda t: {"price_cents": t.price_cents, "minutes": t.minutes} if t else None)
    return {
        "call_id": call.call_id, "state": call.state.value, "version": call.version,
        "caller_id": call.caller_id, "helper_id": call.helper_id, "plan": call.plan.name,
        "extension": call.extension, "proposed": terms(call.proposed), "agreed": terms(call.agreed),
        "deadline": call.deadline, "state_deadline": call.state_deadline,
        "session_ends_at": call.session_ends_at, "minutes_used": call.minutes_used,
        "end_reason": call.end_reason.value if call.end_reason else None, "booking_id": call.booking_id,
    }


def _participants(call: Call) -> set[str]:
    """The connections that carry the call for its two participants."""
    return {c for c in (call.caller_connection, call.helper_connection) if c}


def _notify(desk: CallDesk, call: Call, *, ring_all: bool = False, extra: dict | None = None) -> None:
    """Tells the participants' connections; while ringing (and when it stops) every tab of the
    helper hears it, so the pop-up shows, then goes, everywhere."""
    message = {"type": "call", "call": call_view(call), **(extra or {})}
    targets = _participants(call)
    if ring_all:
        targets |= {c.connection_id for c in desk.connections.for_user(call.helper_id)}
    deliver_to_each(targets, message, sender=desk.sender, connections=desk.connections)


def start_call(*, caller_id: str, caller_connection: str, helper_username: str, desk: CallDesk,
               now: int, new_id: Callable[[], str] = lambda: uuid.uuid4().hex, booking_id: str | None = None) -> Call:
    """A signed-in customer rings an online helper; every tab of the helper rings. With
    `booking_id`, the customer joins their booked session: its terms are agreed already. Over
    the caller's rings a minute: RateLimited (429), nothing rung."""
    enforce(desk.rings, f"ring:{caller_id}", limit=desk.rings_per_minute, window=60, now=now,
            what=f"You can ring at most {desk.rings_per_minute} times a minute")
    helper_id = desk.accounts.owner_of_username(helper_username)
    page = desk.pages.get(helper_id) if helper_id else None
    if page is None:
        raise NotFound(f"No Helper is called '{helper_username}'.")
    if page.disqualified is not None:  # services.standing: not rung, whatever tab is open
        from chalicelib.domain.standing import unavailable

        raise unavailable(page.display_name)
    booked = None
    if booking_id is not None:
        if desk.booked_calls is None:
            raise InvalidInput("Booked sessions are not taken here.", field="booking")
        booked = desk.booked_calls().terms_of(booking_id=booking_id, caller_id=caller_id, helper_id=page.user_id,
                                              now=now)
    if not desk.connections.for_user(page.user_id) and not _push_reachable(desk, page.user_id):
        raise InvalidInput(f"{page.display_name} is offline right now.", field="helper")
    plan = current_plan(desk.plans.get(page.user_id), now)
    call = rules.ring(call_id=new_id(), caller_id=caller_id, helper_id=page.user_id,
                      caller_connection=caller_connection, plan=plan, now=now,
                      booked=(booking_id, booked) if booked else None)
    desk.calls.create(call, plan.concurrent_calls)
    count(CALLS_RUNG)
    tally(desk.stats, at=now, calls_rung=1)
    caller = desk.accounts.get(caller_id)
    caller_name = (one_line(caller.display_name) if caller else "") or "Someone"  # stored text too
    _notify(desk, call, ring_all=True, extra={"caller": {
        "display_name": caller_name, "username": caller.username if caller else None}})
    if desk.push is not None and not desk.connections.for_user(call.helper_id):  # gone tabs were just forgotten
        _push_ring(desk, call, caller_name)
    return call


def _push_reachable(desk: CallDesk, helper_id: str) -> bool:
    """A Helper with no tab open can still be rung on a device they turned call alerts on in."""
    if desk.push is None:
        return False
    from chalicelib.services.push import reachable

    try:
        return reachable(helper_id, desk=desk.push())
    except Exception as error:  # noqa: BLE001 - unknown: as offline, as before push existed
        from chalicelib.observability import logger

        logger().warning("push reach not read", extra={"helper_id": helper_id, "error": str(error)})
        return False


def _push_ring(desk: CallDesk, call: Call, caller_name: str) -> None:
    """Best effort (services.push never raises): the call rings whatever happens to the push."""
    from chalicelib.services.push import push_ring

    try:
        push_ring(helper_id=call.helper_id, call_id=call.call_id, caller_name=caller_name,
                  expires_at=call.state_deadline, desk=desk.push())
    except Exception as error:  # noqa: BLE001 - building the desk failed (the secret unreadable)
        from chalicelib.observability import logger

        logger().warning("ring not pushed", extra={"call_id": call.call_id, "error": str(error)})


ACTIONS: dict[str, Callable[..., Call]] = {
    "cancel": lambda call, user_id, connection_id, message, now, desk: rules.cancel(call, user_id=user_id, now=now),
    "decline": lambda call, user_id, connection_id, message, now, desk: rules.decline(call, user_id=user_id, now=now),
    "answer": lambda call, user_id, connection_id, message, now, desk: rules.answer(
        call, user_id=user_id, helper_connection=connection_id, now=now),
    "propose": lambda call, user_id, connection_id, message, now, desk: rules.propose(
        call, user_id=user_id, price_cents=message.get("price_cents"), minutes=message.get("minutes"), now=now,
        max_price_cents=desk.max_price_cents),
    "reject_terms": lambda call, user_id, connection_id, message, now, desk: rules.reject_terms(
        call, user_id=user_id, now=now),
    "accept": lambda call, user_id, connection_id, message, now, desk: rules.accept(
        call, user_id=user_id, price_cents=message.get("price_cents"), minutes=message.get("minutes"), now=now),
    "end": lambda call, user_id, connection_id, message, now, desk: rules.end(call, user_id=user_id, now=now),
    "rejoin": lambda call, user_id, connection_id, message, now, desk: rules.rejoin(
        call, user_id=user_id, connection_id=connection_id, now=now),
}


def act(*, action: str, call_id: str, user_id: str, connection_id: str, message: dict, desk: CallDesk,
        now: int) -> Call:
    """Applies one participant's action; the clock is applied first, so no timeout is missed.
    A racing action that lost gets `CallChanged` and changes nothing."""
    call = desk.calls.get(call_id)
    if call is None:
        raise NotFound("No such call.")
    call.role_of(user_id)  # strangers learn nothing about the call
    timed = _with_timeouts(call, desk, now)
    if timed.state is CallState.ENDED and action != "end":
        raise rules.IllegalTransition(f"The call has ended ({timed.end_reason.value}).")
    if action == "propose" and message.get("price_cents") not in (0, None) and user_id == call.helper_id \
            and desk.storefronts.get(user_id) is None:
        raise InvalidInput("Paid sessions need your storefront with a PayPal email for payouts; "
                           "set it up under Payments, or propose a free session.", field="price_cents")
    changed = ACTIONS[action](timed, user_id, connection_id, message, now, desk)
    _save_and_tell(desk, before=timed, after=changed, now=now)
    if changed.booking_id and timed.state is CallState.RINGING and changed.state is CallState.IN_SESSION \
            and desk.booked_calls is not None:
        desk.booked_calls().joined(changed, now=now)
    return changed


def payment_confirmed(*, call_id: str, desk: CallDesk, now: int) -> Call:
    """The payments side's entry point: the capture is done, re-connect both and start the timer."""
    return _payment_outcome(call_id, desk, now, rules.payment_confirmed)


def payment_failed(*, call_id: str, desk: CallDesk, now: int) -> Call:
    """The caller cancelled at PayPal or PayPal declined: back to negotiation while it lasts."""
    return _payment_outcome(call_id, desk, now, rules.payment_failed)


def _payment_outcome(call_id: str, desk: CallDesk, now: int, transition: Callable[..., Call]) -> Call:
    call = desk.calls.get(call_id)
    if call is None:
        raise NotFound("No such call.")
    timed = _with_timeouts(call, desk, now)
    changed = transition(timed, now=now)
    _save_and_tell(desk, before=timed, after=changed, now=now)
    return changed


def tell_participants(call: Call, message: dict, *, desk: CallDesk) -> None:
    """Something happened in a call outside its state (a tip): both participants hear it."""
    deliver_to_each(_participants(call), message, sender=desk.sender, connections=desk.connections)


def _with_timeouts(call: Call, desk: CallDesk, now: int) -> Call:
    timed = rules.apply_timeouts(call, now=now)
    if timed is not call:
        _save_and_tell(desk, before=call, after=timed, now=now)
    return timed


def _save_and_tell(desk: CallDesk, *, before: Call, after: Call, now: int | None = None) -> None:
    if after is before:
        return
    desk.calls.save(after)
    if before.state is CallState.RINGING and after.state in (CallState.NEGOTIATING, CallState.IN_SESSION):
        count(CALLS_ANSWERED)  # picked up (a booked session goes straight into session)
        tally(desk.stats, at=now, calls_answered=1)
    if desk.free_sessions is not None and starts_free_session(before, after):
        _count_free_session(desk, after)
    if desk.review_reminders is not None and after.state is CallState.ENDED and before.state is not CallState.ENDED \
            and after.session_started_at is not None and after.ended_at is not None:
        _remember_to_ask_for_a_review(desk, after)
    if desk.missed_call_emails is not None and before.state is CallState.RINGING \
            and after.end_reason is rules.EndReason.MISSED:
        _tell_missed_call(desk, after)
    if before.live != after.live:  # into or out of a live call: the helper turns red or back
        def recount() -> None:
            desk.refresh_presence(after.helper_id)
            desk.refresh_presence(after.caller_id)

        if desk.after_reply is None:
            recount()
        else:
            desk.after_reply.append(recount)
    _notify(desk, after, ring_all=before.state is CallState.RINGING)  # the call is recorded


def _remember_to_ask_for_a_review(desk: CallDesk, call: Call) -> None:
    """Best effort: the call has ended whatever happens to the reminder (its caller can still rate)."""
    from chalicelib.observability import logger

    try:
        desk.review_reminders.schedule(Reminder(call.call_id, call.caller_id,
                                                call.ended_at + desk.review_reminder_hours * 3600))
    except Exception as error:  # noqa: BLE001 - the end is recorded; only the one reminder email is lost
        logger().warning("review reminder not kept", extra={"call_id": call.call_id, "error": str(error)})


def _tell_missed_call(desk: CallDesk, call: Call) -> None:
    """Best effort: the call has ended whatever happens to the email (services.emails logs SES's
    failures; anything else is logged here)."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from chalicelib.observability import logger
    from chalicelib.services.emails import tell

    try:
        emails = desk.missed_call_emails()
        caller = desk.accounts.get(call.caller_id)
        page = desk.pages.get(call.helper_id)
        zone = (page.time_zone if page is not None else None) or "UTC"
        try:
            at = datetime.fromtimestamp(call.created_at, ZoneInfo(zone))
        except (KeyError, ValueError):
            zone, at = "UTC", datetime.fromtimestamp(call.created_at, timezone.utc)
        alerts_on = 0
        if desk.push is not None:
            pushing = desk.push()
            alerts_on = len(pushing.subscriptions.for_user(call.helper_id)) if pushing.sender is not None else 0
        tell(emails, call.helper_id, "missed_call",
             caller_name=(one_line(caller.display_name) if caller else "") or "Someone",
             when=f"on {at:%A} {at.day} {at:%B %Y} at {at:%H:%M} ({zone})", alerts_on=alerts_on,
             alerts_url=f"{emails.settings.site_url}/become-a-helper.html#call-alerts")
    except Exception as error:  # noqa: BLE001 - the call is recorded as missed; only its email is lost
        logger().warning("missed call not emailed", extra={"call_id": call.call_id, "error": str(error)})


def _count_free_session(desk: CallDesk, call: Call) -> None:
    """Best effort: the session has started whatever happens to ops' count (once per call)."""
    from chalicelib.observability import logger
    from chalicelib.services.ops_watch import record_free_session

    try:
        record_free_session(helper_id=call.helper_id, call_id=call.call_id, now=call.session_started_at,
                            counts=desk.free_sessions)
    except Exception as error:  # noqa: BLE001 - the call goes on; ops' count misses one session
        logger().warning("free session not counted", extra={"call_id": call.call_id, "error": str(error)})


def sweep_calls(*, desk: CallDesk, now: int) -> int:
    """Enforces every timeout that is due (missed calls, closed windows, expired sessions,
    abandoned calls), whether or not anyone acts on the call."""
    changed = 0
    for call in list(desk.calls.due(now)):
        try:
            if _with_timeouts(call, desk, now) is not call:
                changed += 1
        except CallChanged:
            continue  # an action got there first; it applied the clock itself
    return changed


def connection_closed(*, user_id: str, connection_id: str, desk: CallDesk, now: int) -> None:
    """A participant's connection went away: their live calls start the grace period."""
    for call in desk.calls.live_for(user_id):
        role = call.role_of(user_id)
        mine = call.caller_connection if role is Role.CALLER else call.helper_connection
        if mine != connection_id:
            continue
        try:
            _save_and_tell(desk, before=call, after=rules.connection_lost(call, role=role, now=now), now=now)
        except CallChanged:
            continue
