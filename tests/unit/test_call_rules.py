"""The live call as a pure state machine: every legal and illegal transition, every role check,
every timeout, the plans' limits, connections lost and regained, and the signalling route."""
import dataclasses

import pytest

from chalicelib.domain import calls
from chalicelib.domain.calls import (ABANDON_GRACE_SECONDS, MAX_MINUTES, MAX_PRICE_CENTS, NEGOTIATION_SECONDS,
                                     PAYMENT_SECONDS, RING_SECONDS, CallState, EndReason, IllegalTransition, Role,
                                     Terms)
from chalicelib.domain.errors import DomainError, Forbidden, InvalidInput
from chalicelib.domain.plans import FREE, PLANS, UPGRADED, Plan, plan_named

CALLER, HELPER, STRANGER = "ann", "bob", "eve"
T0 = 1_700_000_000  # the caller rings
ANSWERED = T0 + 10  # the helper answers: the 5-minute window closes at ANSWERED + 300
PROPOSED = T0 + 20
ACCEPTED = T0 + 30  # paid terms: the payment window closes at ACCEPTED + 600
PAID = T0 + 60  # the 15-minute session ends at PAID + 900
SESSION_ENDS = PAID + 15 * 60
NOW = T0 + 40  # when an action in the matrix happens; no deadline has passed yet

ENDED, NEGOTIATING, RINGING = CallState.ENDED, CallState.NEGOTIATING, CallState.RINGING
AWAITING_PAYMENT, IN_SESSION = CallState.AWAITING_PAYMENT, CallState.IN_SESSION


# Small helpers: a call in each state, reached through the public transitions


def ringing(plan=UPGRADED):
    return calls.ring(call_id="call-1", caller_id=CALLER, helper_id=HELPER, caller_connection="c-ann",
                      plan=plan, now=T0)


def negotiating(plan=UPGRADED):
    return calls.answer(ringing(plan), user_id=HELPER, helper_connection="c-bob", now=ANSWERED)


def on_the_table(price_cents=1500, minutes=15, plan=UPGRADED, call=None):
    call = call if call is not None else negotiating(plan)
    return calls.propose(call, user_id=HELPER, price_cents=price_cents, minutes=minutes, now=PROPOSED)


def accepted(call, now=ACCEPTED):
    """The caller accepts exactly the terms on the table."""
    return calls.accept(call, user_id=CALLER, price_cents=call.proposed.price_cents,
                        minutes=call.proposed.minutes, now=now)


def awaiting_payment(plan=UPGRADED):
    return accepted(on_the_table(plan=plan))


def in_session(plan=UPGRADED):
    return calls.payment_confirmed(awaiting_payment(plan), now=PAID)


def extension(plan=UPGRADED):
    """The paid time is up: the call is not cut, more time is negotiated."""
    return calls.apply_timeouts(in_session(plan), now=SESSION_ENDS)


def extension_on_the_table():
    return calls.propose(extension(), user_id=HELPER, price_cents=500, minutes=5, now=SESSION_ENDS + 10)


def hung_up():
    return calls.end(in_session(), user_id=CALLER, now=PAID + 100)


def cancelled():
    return calls.cancel(ringing(), user_id=CALLER, now=T0 + 5)


def free_session_of(minutes, plan=FREE):
    """A session on free terms, which starts the moment the caller accepts."""
    return accepted(on_the_table(price_cents=0, minutes=minutes, plan=plan))


def refused(exception, action, *args, **kwargs):
    """The error that `action` raises, which must be exactly `exception`."""
    with pytest.raises(DomainError) as caught:
        action(*args, **kwargs)
    assert type(caught.value) is exception, f"{type(caught.value).__name__}: {caught.value}"
    return caught.value


def changed_fields(before, after):
    """The names of the fields that differ, version left out."""
    return {field.name for field in dataclasses.fields(before)
            if field.name != "version" and getattr(before, field.name) != getattr(after, field.name)}


# Ringing


def test_a_ring_starts_a_ringing_call_at_version_one_with_the_ring_timeout():
    call = ringing()
    assert call.state is RINGING and call.version == 1
    assert (call.call_id, call.caller_id, call.helper_id, call.plan) == ("call-1", CALLER, HELPER, UPGRADED)
    assert call.created_at == T0 and call.state_deadline == T0 + RING_SECONDS == call.deadline
    assert call.caller_connection == "c-ann" and call.helper_connection is None
    assert call.proposed is None and call.agreed is None and call.minutes_used == 0 and not call.extension
    assert call.end_reason is None and call.ended_at is None and not call.live


def test_nobody_can_call_themselves():
    error = refused(InvalidInput, calls.ring, call_id="c", caller_id=CALLER, helper_id=CALLER,
                    caller_connection="c-ann", plan=FREE, now=T0)
    assert "yourself" in error.message


def test_the_timing_constants_are_the_product_rules():
    assert NEGOTIATION_SECONDS == 5 * 60
    assert RING_SECONDS > 0 and PAYMENT_SECONDS > 0 and ABANDON_GRACE_SECONDS > 0
    assert MAX_MINUTES == 8 * 60 and MAX_PRICE_CENTS == 1000_00  # $1,000: settings.max_session_price_cents


# Every state x every action: the legal result or IllegalTransition


STATES = {
    "ringing": ringing,
    "negotiating": negotiating,
    "terms on the table": on_the_table,
    "extension": extension,
    "extension terms on the table": extension_on_the_table,
    "awaiting payment": awaiting_payment,
    "in session": in_session,
    "ended after a session": hung_up,
    "ended before an answer": cancelled,
}

ROLE_OF = {CALLER: Role.CALLER, HELPER: Role.HELPER}


def act(action, call, user):
    """Does `action` to `call` as `user` (the legal actor unless told)."""
    if action == "cancel":
        return calls.cancel(call, user_id=user, now=NOW)
    if action == "decline":
        return calls.decline(call, user_id=user, now=NOW)
    if action == "answer":
        return calls.answer(call, user_id=user, helper_connection="c-bob-2", now=NOW)
    if action == "propose":
        return calls.propose(call, user_id=user, price_cents=1000, minutes=5, now=NOW)
    if action == "reject_terms":
        return calls.reject_terms(call, user_id=user, now=NOW)
    if action == "accept":
        terms = call.proposed or Terms(1500, 15)
        return calls.accept(call, user_id=user, price_cents=terms.price_cents, minutes=terms.minutes, now=NOW)
    if action == "payment_confirmed":
        return calls.payment_confirmed(call, now=NOW)
    if action == "end":
        return calls.end(call, user_id=user, now=NOW)
    if action == "connection_lost":
        return calls.connection_lost(call, role=ROLE_OF[user], now=NOW)
    if action == "rejoin":
        return calls.rejoin(call, user_id=user, connection_id="c-new", now=NOW)
    raise AssertionError(action)


ACTIONS = ("cancel", "decline", "answer", "propose", "reject_terms", "accept", "payment_confirmed", "end",
           "connection_lost", "rejoin")
LEGAL_ACTOR = {"cancel": CALLER, "decline": HELPER, "answer": HELPER, "propose": HELPER, "reject_terms": CALLER,
               "accept": CALLER, "payment_confirmed": None, "end": CALLER, "connection_lost": CALLER,
               "rejoin": CALLER}

HANGS_UP = (ENDED, EndReason.HUNG_UP)
STAYS_NEGOTIATING = (NEGOTIATING, None)
LEGAL = {  # (state, action) -> (new state, end reason); every pair not listed is an IllegalTransition
    ("ringing", "cancel"): (ENDED, EndReason.CANCELLED),
    ("ringing", "decline"): (ENDED, EndReason.DECLINED),
    ("ringing", "answer"): STAYS_NEGOTIATING,
    ("ringing", "end"): (ENDED, EndReason.CANCELLED),
    **{(state, action): result
       for state in ("negotiating", "extension")
       for action, result in (("propose", STAYS_NEGOTIATING), ("end", HANGS_UP),
                              ("connection_lost", STAYS_NEGOTIATING), ("rejoin", STAYS_NEGOTIATING))},
    **{(state, action): result
       for state in ("terms on the table", "extension terms on the table")
       for action, result in (("propose", STAYS_NEGOTIATING), ("reject_terms", STAYS_NEGOTIATING),
                              ("accept", (AWAITING_PAYMENT, None)), ("end", HANGS_UP),
                              ("connection_lost", STAYS_NEGOTIATING), ("rejoin", STAYS_NEGOTIATING))},
    ("awaiting payment", "payment_confirmed"): (IN_SESSION, None),
    ("awaiting payment", "end"): HANGS_UP,
    ("awaiting payment", "connection_lost"): (AWAITING_PAYMENT, None),
    ("awaiting payment", "rejoin"): (AWAITING_PAYMENT, None),
    ("in session", "end"): HANGS_UP,
    ("in session", "connection_lost"): (IN_SESSION, None),
    ("in session", "rejoin"): (IN_SESSION, None),
}
MATRIX = [pytest.param(state, action, id=f"{state}-{action}") for state in STATES for action in ACTIONS]


def test_the_legal_table_only_names_real_states_and_actions():
    assert {state for state, _ in LEGAL} <= set(STATES) and {action for _, action in LEGAL} <= set(ACTIONS)
    assert len(MATRIX) == len(STATES) * len(ACTIONS) == 90


@pytest.mark.parametrize("state, action", MATRIX)
def test_every_action_in_every_state_is_either_one_legal_step_or_an_illegal_transition(state, action):
    before = STATES[state]()
    snapshot = dataclasses.replace(before)
    if (state, action) in LEGAL:
        expected_state, expected_reason = LEGAL[(state, action)]
        after = act(action, before, LEGAL_ACTOR[action])
        assert after.state is expected_state and after.end_reason is expected_reason
        assert after.version == before.version + 1
        assert after.call_id == before.call_id and after.plan == before.plan
    else:
        error = refused(IllegalTransition, act, action, before, LEGAL_ACTOR[action] or CALLER)
        assert error.code == "illegal_transition"
    assert before == snapshot  # the call it started from is untouched either way


@pytest.mark.parametrize("state", [s for s in STATES if s.startswith("ended")])
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("user", [CALLER, HELPER])
def test_an_ended_call_refuses_every_action_from_either_participant(state, action, user):
    refused(IllegalTransition, act, action, STATES[state](), user)


# Roles: caller, helper, stranger


ROLE_CASES = [  # (state, action, who may, who may not)
    ("ringing", "cancel", [CALLER], [HELPER, STRANGER]),
    ("ringing", "decline", [HELPER], [CALLER, STRANGER]),
    ("ringing", "answer", [HELPER], [CALLER, STRANGER]),
    ("negotiating", "propose", [HELPER], [CALLER, STRANGER]),
    ("extension", "propose", [HELPER], [CALLER, STRANGER]),
    ("terms on the table", "reject_terms", [CALLER], [HELPER, STRANGER]),
    ("terms on the table", "accept", [CALLER], [HELPER, STRANGER]),
    ("extension terms on the table", "accept", [CALLER], [HELPER, STRANGER]),
    *[(state, "end", [CALLER, HELPER], [STRANGER])
      for state in ("ringing", "negotiating", "terms on the table", "awaiting payment", "in session")],
    *[(state, "rejoin", [CALLER, HELPER], [STRANGER])
      for state in ("negotiating", "extension", "awaiting payment", "in session")],
]


@pytest.mark.parametrize("state, action, allowed, forbidden", [
    pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in ROLE_CASES])
def test_only_the_right_participant_may_act_and_anyone_else_is_forbidden(state, action, allowed, forbidden):
    for user in allowed:
        assert act(action, STATES[state](), user).version == STATES[state]().version + 1
    for user in forbidden:
        assert refused(Forbidden, act, action, STATES[state](), user).code == "forbidden"


@pytest.mark.parametrize("state", list(STATES))
def test_a_stranger_cannot_end_any_call_whatever_its_state(state):
    refused(Forbidden, calls.end, STATES[state](), user_id=STRANGER, now=NOW)


def test_a_participant_ending_an_ended_call_is_an_illegal_transition_not_forbidden():
    refused(IllegalTransition, calls.end, hung_up(), user_id=HELPER, now=NOW)


def test_role_of_names_the_caller_and_the_helper_and_refuses_anyone_else():
    call = ringing()
    assert call.role_of(CALLER) is Role.CALLER and call.role_of(HELPER) is Role.HELPER
    refused(Forbidden, call.role_of, STRANGER)
    refused(Forbidden, call.role_of, "")


# Each legal transition's fields


def test_the_caller_cancelling_a_ringing_call_ends_it_as_cancelled():
    call = calls.cancel(ringing(), user_id=CALLER, now=T0 + 5)
    assert (call.state, call.end_reason, call.ended_at, call.version) == (ENDED, EndReason.CANCELLED, T0 + 5, 2)
    assert call.state_deadline is None and call.deadline is None and not call.live


def test_the_helper_declining_a_ringing_call_ends_it_as_declined():
    call = calls.decline(ringing(), user_id=HELPER, now=T0 + 5)
    assert (call.state, call.end_reason, call.ended_at, call.version) == (ENDED, EndReason.DECLINED, T0 + 5, 2)
    assert call.deadline is None


def test_end_while_ringing_is_a_cancel_for_the_caller_and_a_decline_for_the_helper():
    assert calls.end(ringing(), user_id=CALLER, now=NOW) == calls.cancel(ringing(), user_id=CALLER, now=NOW)
    assert calls.end(ringing(), user_id=HELPER, now=NOW) == calls.decline(ringing(), user_id=HELPER, now=NOW)


def test_answering_connects_the_helper_and_opens_the_five_minute_negotiation():
    before = ringing()
    call = calls.answer(before, user_id=HELPER, helper_connection="c-bob", now=ANSWERED)
    assert call.state is NEGOTIATING and call.version == 2 and call.live and not call.extension
    assert call.helper_connection == "c-bob" and call.caller_connection == "c-ann"
    assert call.state_deadline == ANSWERED + 5 * 60 == call.deadline
    assert changed_fields(before, call) == {"state", "helper_connection", "state_deadline"}


def test_the_helper_proposes_terms_without_moving_the_window():
    before = negotiating()
    call = calls.propose(before, user_id=HELPER, price_cents=1500, minutes=15, now=PROPOSED)
    assert call.proposed == Terms(1500, 15) and call.state is NEGOTIATING and call.version == before.version + 1
    assert call.state_deadline == before.state_deadline
    assert changed_fields(before, call) == {"proposed"}


def test_the_helper_may_revise_terms_while_the_window_is_open():
    call = calls.propose(on_the_table(), user_id=HELPER, price_cents=2500, minutes=30, now=PROPOSED + 5)
    assert call.proposed == Terms(2500, 30) and call.version == 4
    assert call.state_deadline == ANSWERED + NEGOTIATION_SECONDS


def test_the_caller_declining_the_terms_clears_them_and_the_window_keeps_running():
    before = on_the_table()
    call = calls.reject_terms(before, user_id=CALLER, now=PROPOSED + 5)
    assert call.proposed is None and call.state is NEGOTIATING and call.version == before.version + 1
    assert changed_fields(before, call) == {"proposed"}
    again = calls.propose(call, user_id=HELPER, price_cents=900, minutes=15, now=PROPOSED + 10)
    assert again.proposed == Terms(900, 15)


def test_declining_terms_when_none_are_on_the_table_is_an_illegal_transition():
    refused(IllegalTransition, calls.reject_terms, negotiating(), user_id=CALLER, now=NOW)
    declined = calls.reject_terms(on_the_table(), user_id=CALLER, now=NOW)
    refused(IllegalTransition, calls.reject_terms, declined, user_id=CALLER, now=NOW)


def test_accepting_paid_terms_suspends_the_call_until_payment_with_a_payment_deadline():
    before = on_the_table(1500, 15)
    call = calls.accept(before, user_id=CALLER, price_cents=1500, minutes=15, now=ACCEPTED)
    assert call.state is AWAITING_PAYMENT and call.version == before.version + 1 and call.live
    assert call.agreed == Terms(1500, 15) and call.proposed is None
    assert call.state_deadline == ACCEPTED + PAYMENT_SECONDS == call.deadline
    assert call.session_started_at is None and call.session_ends_at is None and call.minutes_used == 0
    assert changed_fields(before, call) == {"state", "agreed", "proposed", "state_deadline", "negotiation_deadline",
                                            "accepted_version"}
    assert call.negotiation_deadline == ANSWERED + 300  # kept, should the payment not come through
    assert call.accepted_version == call.version  # names this payment attempt


def test_a_cancelled_or_declined_payment_returns_to_negotiating_the_same_terms_in_the_same_window():
    before = awaiting_payment()
    call = calls.payment_failed(before, now=ACCEPTED + 60)
    assert call.state is NEGOTIATING and call.version == before.version + 1
    assert call.proposed == Terms(1500, 15) and call.agreed is None
    assert call.state_deadline == ANSWERED + 300 and call.negotiation_deadline is None
    again = accepted(call, now=ACCEPTED + 90)
    assert again.state is AWAITING_PAYMENT and again.negotiation_deadline == ANSWERED + 300
    assert again.accepted_version == again.version > before.accepted_version  # a new payment attempt


def test_a_payment_failing_after_the_negotiation_window_ends_the_call_without_agreement():
    call = calls.payment_failed(awaiting_payment(), now=ANSWERED + 300)
    assert call.state is ENDED and call.end_reason is EndReason.NO_AGREEMENT


@pytest.mark.parametrize("make", [negotiating, in_session, hung_up], ids=["negotiating", "in_session", "ended"])
def test_only_a_call_awaiting_payment_can_have_its_payment_fail(make):
    refused(IllegalTransition, calls.payment_failed, make(), now=NOW)


def test_payment_confirmed_starts_the_session_timer_for_the_agreed_minutes():
    before = awaiting_payment()
    call = calls.payment_confirmed(before, now=PAID)
    assert call.state is IN_SESSION and call.version == before.version + 1 and call.live
    assert call.agreed == Terms(1500, 15) and call.proposed is None and not call.extension
    assert call.session_started_at == PAID and call.session_ends_at == PAID + 15 * 60 == call.state_deadline
    assert call.deadline == SESSION_ENDS and call.minutes_used == 15


@pytest.mark.parametrize("minutes", [1, 15, 20])
def test_free_terms_start_the_session_at_once_with_no_payment(minutes):
    before = on_the_table(price_cents=0, minutes=minutes, plan=FREE)
    call = calls.accept(before, user_id=CALLER, price_cents=0, minutes=minutes, now=ACCEPTED)
    assert call.state is IN_SESSION and call.version == before.version + 1
    assert call.agreed == Terms(0, minutes) and call.agreed.free and call.proposed is None
    assert call.session_started_at == ACCEPTED
    assert call.session_ends_at == ACCEPTED + minutes * 60 == call.state_deadline == call.deadline
    assert call.minutes_used == minutes and not call.extension


def test_terms_are_free_exactly_when_the_price_is_zero():
    assert Terms(0, 15).free and not Terms(1, 15).free


@pytest.mark.parametrize("price_cents, minutes", [(1400, 15), (1500, 14), (1500, 30), (0, 15), (None, 15)])
def test_accept_must_echo_exactly_the_terms_on_the_table(price_cents, minutes):
    refused(IllegalTransition, calls.accept, on_the_table(1500, 15), user_id=CALLER, price_cents=price_cents,
            minutes=minutes, now=ACCEPTED)


def test_a_revision_in_flight_is_not_accepted_by_mistake():
    shown = on_the_table(1500, 15)
    revised = calls.propose(shown, user_id=HELPER, price_cents=2500, minutes=15, now=PROPOSED + 1)
    refused(IllegalTransition, calls.accept, revised, user_id=CALLER, price_cents=1500, minutes=15, now=ACCEPTED)
    call = calls.accept(revised, user_id=CALLER, price_cents=2500, minutes=15, now=ACCEPTED)
    assert call.agreed == Terms(2500, 15)


def test_nothing_can_be_accepted_when_no_terms_are_on_the_table():
    refused(IllegalTransition, calls.accept, negotiating(), user_id=CALLER, price_cents=1500, minutes=15, now=NOW)
    declined = calls.reject_terms(on_the_table(), user_id=CALLER, now=NOW)
    refused(IllegalTransition, calls.accept, declined, user_id=CALLER, price_cents=1500, minutes=15, now=NOW)


@pytest.mark.parametrize("state", ["negotiating", "terms on the table", "awaiting payment", "in session",
                                   "extension"])
@pytest.mark.parametrize("user", [CALLER, HELPER])
def test_either_participant_may_hang_up_a_live_call(state, user):
    before = STATES[state]()
    call = calls.end(before, user_id=user, now=NOW)
    assert (call.state, call.end_reason, call.ended_at) == (ENDED, EndReason.HUNG_UP, NOW)
    assert call.version == before.version + 1 and call.state_deadline is None and call.deadline is None
    assert call.proposed is None and not call.live


def test_hanging_up_keeps_what_was_agreed_and_used():
    call = hung_up()
    assert call.agreed == Terms(1500, 15) and call.minutes_used == 15 and call.session_ends_at == SESSION_ENDS


# Versions


def test_every_transition_in_a_whole_call_adds_exactly_one_to_the_version():
    steps = [ringing()]
    steps.append(calls.answer(steps[-1], user_id=HELPER, helper_connection="c-bob", now=T0 + 10))
    steps.append(calls.propose(steps[-1], user_id=HELPER, price_cents=3000, minutes=30, now=T0 + 20))
    steps.append(calls.reject_terms(steps[-1], user_id=CALLER, now=T0 + 30))
    steps.append(calls.propose(steps[-1], user_id=HELPER, price_cents=1500, minutes=15, now=T0 + 40))
    steps.append(calls.accept(steps[-1], user_id=CALLER, price_cents=1500, minutes=15, now=T0 + 50))
    steps.append(calls.connection_lost(steps[-1], role=Role.CALLER, now=T0 + 55))
    steps.append(calls.rejoin(steps[-1], user_id=CALLER, connection_id="c-ann-2", now=T0 + 58))
    steps.append(calls.payment_confirmed(steps[-1], now=T0 + 60))
    steps.append(calls.apply_timeouts(steps[-1], now=T0 + 60 + 15 * 60))
    steps.append(calls.propose(steps[-1], user_id=HELPER, price_cents=0, minutes=10, now=T0 + 1000))
    steps.append(calls.accept(steps[-1], user_id=CALLER, price_cents=0, minutes=10, now=T0 + 1010))
    steps.append(calls.end(steps[-1], user_id=HELPER, now=T0 + 1100))
    assert [step.version for step in steps] == list(range(1, 14))
    assert [step.state for step in steps] == [RINGING, NEGOTIATING, NEGOTIATING, NEGOTIATING, NEGOTIATING,
                                              AWAITING_PAYMENT, AWAITING_PAYMENT, AWAITING_PAYMENT, IN_SESSION,
                                              NEGOTIATING, NEGOTIATING, IN_SESSION, ENDED]
    assert steps[-1].minutes_used == 25 and steps[-1].end_reason is EndReason.HUNG_UP


def test_a_call_is_immutable_so_a_transition_never_changes_the_call_it_came_from():
    call = ringing()
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.state = ENDED  # type: ignore[misc]
    calls.answer(call, user_id=HELPER, helper_connection="c-bob", now=ANSWERED)
    assert call.state is RINGING and call.version == 1


# Timeouts


NOT_ENDED = [state for state in STATES if not state.startswith("ended")]


@pytest.mark.parametrize("state", NOT_ENDED)
def test_before_the_deadline_the_clock_changes_nothing(state):
    call = STATES[state]()
    for now in (call.deadline - 1, call.deadline - 100, T0 - 1):
        assert calls.apply_timeouts(call, now=now) is call


def test_a_call_rung_for_the_ring_time_without_an_answer_is_missed():
    call = ringing()
    assert calls.apply_timeouts(call, now=T0 + RING_SECONDS - 1) is call
    missed = calls.apply_timeouts(call, now=T0 + RING_SECONDS)
    assert (missed.state, missed.end_reason, missed.ended_at) == (ENDED, EndReason.MISSED, T0 + RING_SECONDS)
    assert missed.version == 2 and missed.deadline is None


def test_a_late_sweep_still_ends_a_ringing_call_as_missed_when_the_ringing_stopped():
    missed = calls.apply_timeouts(ringing(), now=T0 + 3600)
    assert missed.end_reason is EndReason.MISSED and missed.ended_at == T0 + RING_SECONDS


@pytest.mark.parametrize("state", ["negotiating", "terms on the table", "extension", "extension terms on the table"])
def test_no_agreement_within_five_minutes_ends_the_call(state):
    call = STATES[state]()
    assert call.state_deadline - NEGOTIATION_SECONDS in (ANSWERED, SESSION_ENDS)
    assert calls.apply_timeouts(call, now=call.state_deadline - 1) is call
    ended = calls.apply_timeouts(call, now=call.state_deadline)
    assert (ended.state, ended.end_reason, ended.ended_at) == (ENDED, EndReason.NO_AGREEMENT, call.state_deadline)
    assert ended.version == call.version + 1 and ended.proposed is None and ended.deadline is None


def test_revising_or_declining_terms_never_extends_the_negotiation_window():
    call = on_the_table()
    call = calls.reject_terms(call, user_id=CALLER, now=ANSWERED + 250)
    call = calls.propose(call, user_id=HELPER, price_cents=100, minutes=5, now=ANSWERED + 290)
    assert calls.apply_timeouts(call, now=ANSWERED + NEGOTIATION_SECONDS).end_reason is EndReason.NO_AGREEMENT


def test_a_payment_not_captured_in_time_ends_the_call():
    call = awaiting_payment()
    assert calls.apply_timeouts(call, now=ACCEPTED + PAYMENT_SECONDS - 1) is call
    ended = calls.apply_timeouts(call, now=ACCEPTED + PAYMENT_SECONDS)
    assert (ended.state, ended.end_reason, ended.ended_at) == (ENDED, EndReason.PAYMENT_TIMEOUT,
                                                               ACCEPTED + PAYMENT_SECONDS)
    assert ended.version == call.version + 1 and ended.agreed == Terms(1500, 15)
    refused(IllegalTransition, calls.payment_confirmed, ended, now=ACCEPTED + PAYMENT_SECONDS + 1)


def test_when_the_paid_time_is_up_the_call_is_not_cut_but_an_extension_is_negotiated():
    call = in_session()
    assert calls.apply_timeouts(call, now=SESSION_ENDS - 1) is call
    more = calls.apply_timeouts(call, now=SESSION_ENDS)
    assert more.state is NEGOTIATING and more.extension and more.live and more.version == call.version + 1
    assert more.state_deadline == SESSION_ENDS + NEGOTIATION_SECONDS == more.deadline
    assert more.proposed is None and more.minutes_used == 15 and more.end_reason is None
    assert more.caller_connection == "c-ann" and more.helper_connection == "c-bob"
    assert changed_fields(call, more) == {"state", "extension", "state_deadline"}


def test_a_late_sweep_gives_the_extension_a_full_window_from_when_it_opens():
    more = calls.apply_timeouts(in_session(), now=SESSION_ENDS + 90)
    assert more.state is NEGOTIATING and more.state_deadline == SESSION_ENDS + 90 + NEGOTIATION_SECONDS


def test_an_agreed_paid_extension_goes_through_payment_and_adds_its_minutes():
    more = calls.propose(extension(), user_id=HELPER, price_cents=3000, minutes=30, now=SESSION_ENDS + 20)
    waiting = calls.accept(more, user_id=CALLER, price_cents=3000, minutes=30, now=SESSION_ENDS + 30)
    assert waiting.state is AWAITING_PAYMENT and waiting.state_deadline == SESSION_ENDS + 30 + PAYMENT_SECONDS
    again = calls.payment_confirmed(waiting, now=SESSION_ENDS + 60)
    assert again.state is IN_SESSION and not again.extension and again.agreed == Terms(3000, 30)
    assert again.session_started_at == SESSION_ENDS + 60 and again.session_ends_at == SESSION_ENDS + 60 + 30 * 60
    assert again.minutes_used == 45 and again.deadline == again.session_ends_at


def test_an_extension_whose_payment_times_out_ends_the_call():
    more = calls.propose(extension(), user_id=HELPER, price_cents=3000, minutes=30, now=SESSION_ENDS + 20)
    waiting = accepted(more, now=SESSION_ENDS + 30)
    ended = calls.apply_timeouts(waiting, now=SESSION_ENDS + 30 + PAYMENT_SECONDS)
    assert ended.end_reason is EndReason.PAYMENT_TIMEOUT


def test_an_agreed_free_extension_starts_at_once():
    more = calls.propose(extension(), user_id=HELPER, price_cents=0, minutes=10, now=SESSION_ENDS + 20)
    again = calls.accept(more, user_id=CALLER, price_cents=0, minutes=10, now=SESSION_ENDS + 30)
    assert again.state is IN_SESSION and not again.extension and again.minutes_used == 25
    assert again.session_ends_at == SESSION_ENDS + 30 + 600 == again.deadline


def test_extensions_repeat_as_long_as_terms_are_agreed_on_the_upgraded_plan():
    call = free_session_of(60, plan=UPGRADED)
    for _ in range(3):
        call = calls.apply_timeouts(call, now=call.session_ends_at)
        assert call.state is NEGOTIATING and call.extension
        call = calls.propose(call, user_id=HELPER, price_cents=0, minutes=MAX_MINUTES, now=call.state_deadline - 60)
        call = accepted(call, now=call.state_deadline - 30)
    assert call.state is IN_SESSION and call.minutes_used == 60 + 3 * MAX_MINUTES


def test_on_the_free_plan_the_call_ends_when_its_twenty_minutes_are_used():
    call = free_session_of(20)
    ended = calls.apply_timeouts(call, now=call.session_ends_at)
    assert (ended.state, ended.end_reason, ended.ended_at) == (ENDED, EndReason.NO_AGREEMENT, call.session_ends_at)
    assert ended.version == call.version + 1


def test_on_the_free_plan_an_extension_may_use_what_is_left_of_the_twenty_minutes():
    call = calls.apply_timeouts(free_session_of(15), now=ACCEPTED + 15 * 60)
    assert call.state is NEGOTIATING and call.extension
    call = calls.propose(call, user_id=HELPER, price_cents=0, minutes=5, now=ACCEPTED + 15 * 60 + 10)
    call = accepted(call, now=ACCEPTED + 15 * 60 + 20)
    assert call.state is IN_SESSION and call.minutes_used == 20
    ended = calls.apply_timeouts(call, now=call.session_ends_at)
    assert ended.end_reason is EndReason.NO_AGREEMENT


@pytest.mark.parametrize("state", [s for s in STATES if s.startswith("ended")])
def test_an_ended_call_never_changes_with_time(state):
    call = STATES[state]()
    for now in (NOW, T0 + 10**6, T0 + 10**9):
        assert calls.apply_timeouts(call, now=now) is call


@pytest.mark.parametrize("ended", [
    pytest.param(lambda: calls.apply_timeouts(ringing(), now=T0 + RING_SECONDS), id="missed"),
    pytest.param(lambda: calls.apply_timeouts(negotiating(), now=ANSWERED + NEGOTIATION_SECONDS), id="no agreement"),
    pytest.param(lambda: calls.apply_timeouts(awaiting_payment(), now=ACCEPTED + PAYMENT_SECONDS),
                 id="payment timeout"),
    pytest.param(lambda: calls.apply_timeouts(free_session_of(20), now=ACCEPTED + 20 * 60), id="free plan used"),
    pytest.param(lambda: calls.apply_timeouts(calls.connection_lost(in_session(), role=Role.HELPER, now=PAID + 1),
                                              now=PAID + 1 + ABANDON_GRACE_SECONDS), id="abandoned"),
    pytest.param(lambda: calls.end(calls.connection_lost(negotiating(), role=Role.CALLER, now=NOW),
                                   user_id=HELPER, now=NOW + 1), id="hung up while the caller was gone"),
])
def test_a_call_ended_any_way_has_no_deadline_and_no_later_timeout(ended):
    call = ended()
    assert call.state is ENDED and call.deadline is None and call.state_deadline is None
    assert calls.apply_timeouts(call, now=T0 + 10**7) is call


# Plans: session length and price limits


def test_the_plans_are_the_product_rules():
    assert (FREE.max_session_minutes, FREE.concurrent_calls, FREE.tips, FREE.free_sessions) == (20, 1, False, True)
    assert (UPGRADED.max_session_minutes, UPGRADED.concurrent_calls, UPGRADED.tips, UPGRADED.free_sessions) == \
        (None, None, True, True)
    assert PLANS == {"free": FREE, "upgraded": UPGRADED}


@pytest.mark.parametrize("name, plan", [("free", FREE), ("upgraded", UPGRADED), (None, FREE), ("", FREE),
                                        ("platinum", FREE)])
def test_an_unknown_or_missing_plan_name_means_the_free_plan(name, plan):
    assert plan_named(name) is plan


@pytest.mark.parametrize("minutes", [1, 15, 20])
def test_the_free_plan_takes_sessions_up_to_twenty_minutes(minutes):
    assert calls.check_terms(1500, minutes, FREE) == Terms(1500, minutes)
    assert on_the_table(1500, minutes, plan=FREE).proposed == Terms(1500, minutes)


@pytest.mark.parametrize("minutes", [21, 30, 60, MAX_MINUTES])
def test_the_free_plan_refuses_terms_over_twenty_minutes(minutes):
    error = refused(InvalidInput, calls.check_terms, 1500, minutes, FREE)
    assert error.field == "minutes" and "20" in error.message
    call = negotiating(FREE)
    error = refused(InvalidInput, calls.propose, call, user_id=HELPER, price_cents=1500, minutes=minutes, now=NOW)
    assert error.field == "minutes" and "20 remain" in error.message
    assert call.proposed is None and call.version == 2


@pytest.mark.parametrize("used, allowed", [(15, 5), (19, 1), (10, 10), (1, 19)])
def test_the_free_plan_caps_the_minutes_of_a_call_across_extensions(used, allowed):
    call = calls.apply_timeouts(free_session_of(used), now=ACCEPTED + used * 60)
    assert call.state is NEGOTIATING and call.extension and call.minutes_used == used
    error = refused(InvalidInput, calls.propose, call, user_id=HELPER, price_cents=0, minutes=allowed + 1, now=NOW)
    assert error.field == "minutes" and f"{allowed} remain" in error.message
    ok = calls.propose(call, user_id=HELPER, price_cents=0, minutes=allowed, now=NOW)
    assert ok.proposed == Terms(0, allowed)


@pytest.mark.parametrize("minutes", [1, 20, 21, 60, MAX_MINUTES])
def test_the_upgraded_plan_has_no_time_limit_up_to_the_maximum_session(minutes):
    assert calls.check_terms(1500, minutes, UPGRADED) == Terms(1500, minutes)
    assert on_the_table(1500, minutes).proposed == Terms(1500, minutes)


def test_the_upgraded_plan_does_not_cap_the_minutes_of_a_call():
    call = calls.apply_timeouts(free_session_of(MAX_MINUTES, plan=UPGRADED), now=ACCEPTED + MAX_MINUTES * 60)
    assert call.state is NEGOTIATING and call.extension
    assert calls.propose(call, user_id=HELPER, price_cents=0, minutes=MAX_MINUTES, now=NOW).proposed.minutes == \
        MAX_MINUTES


@pytest.mark.parametrize("plan", [FREE, UPGRADED], ids=["free", "upgraded"])
@pytest.mark.parametrize("minutes", [0, -1, MAX_MINUTES + 1, True, False, 15.0, 15.5, "15", None, [15]])
def test_session_minutes_must_be_a_whole_number_from_one_to_the_maximum(plan, minutes):
    assert refused(InvalidInput, calls.check_terms, 1500, minutes, plan).field == "minutes"
    assert refused(InvalidInput, calls.propose, negotiating(plan), user_id=HELPER, price_cents=1500,
                   minutes=minutes, now=NOW).field == "minutes"


@pytest.mark.parametrize("price_cents", [0, 1, 1500, MAX_PRICE_CENTS])
def test_a_price_is_whole_cents_from_free_to_the_maximum(price_cents):
    assert calls.check_terms(price_cents, 15, UPGRADED) == Terms(price_cents, 15)
    assert on_the_table(price_cents, 15).proposed == Terms(price_cents, 15)


@pytest.mark.parametrize("plan", [FREE, UPGRADED], ids=["free", "upgraded"])
@pytest.mark.parametrize("price_cents", [True, False, 15.0, 0.0, 14.99, -1, -1500, MAX_PRICE_CENTS + 1, "1500",
                                         None, {"cents": 1500}])
def test_bad_prices_are_refused_on_the_price_field(plan, price_cents):
    assert refused(InvalidInput, calls.check_terms, price_cents, 15, plan).field == "price_cents"
    call = negotiating(plan)
    assert refused(InvalidInput, calls.propose, call, user_id=HELPER, price_cents=price_cents, minutes=15,
                   now=NOW).field == "price_cents"


def test_a_refused_proposal_leaves_the_terms_already_on_the_table():
    call = on_the_table(1500, 15)
    refused(InvalidInput, calls.propose, call, user_id=HELPER, price_cents=-5, minutes=15, now=NOW)
    assert call.proposed == Terms(1500, 15) and call.version == 3
    assert accepted(call).agreed == Terms(1500, 15)


def test_a_plan_without_free_sessions_refuses_a_price_of_zero():
    paid_only = Plan(name="paid-only", max_session_minutes=None, concurrent_calls=None, tips=True,
                     free_sessions=False)
    error = refused(InvalidInput, calls.check_terms, 0, 15, paid_only)
    assert error.field == "price_cents" and "paid-only" in error.message
    assert calls.check_terms(1, 15, paid_only) == Terms(1, 15)


# Connections lost and regained


LIVE_STATES = ["negotiating", "terms on the table", "awaiting payment", "in session", "extension"]
PARTICIPANTS = [pytest.param(Role.CALLER, CALLER, "caller_gone_since", "caller_connection", id="caller"),
                pytest.param(Role.HELPER, HELPER, "helper_gone_since", "helper_connection", id="helper")]
# Every live state and participant, but the caller while PayPal approves: they leave on purpose
# (see test_a_caller_away_at_paypal_has_the_whole_payment_window_not_the_grace).
GRACE_CASES = [pytest.param(state, *p.values, id=f"{p.id}-{state}") for state in LIVE_STATES for p in PARTICIPANTS
               if (state, p.values[0]) != ("awaiting payment", Role.CALLER)]


def test_a_caller_away_at_paypal_has_the_whole_payment_window_not_the_grace():
    call = STATES["awaiting payment"]()
    gone = calls.connection_lost(call, role=Role.CALLER, now=call.state_deadline - 500)
    assert gone.deadline == call.state_deadline
    assert calls.apply_timeouts(gone, now=call.state_deadline - 1) is gone
    assert calls.apply_timeouts(gone, now=call.state_deadline).end_reason is EndReason.PAYMENT_TIMEOUT


@pytest.mark.parametrize("state, role, user, gone_field, connection_field", GRACE_CASES)
def test_a_lost_connection_brings_the_deadline_forward_to_the_end_of_the_grace(state, role, user, gone_field,
                                                                              connection_field):
    call = STATES[state]()
    lost_at = call.state_deadline - 200
    gone = calls.connection_lost(call, role=role, now=lost_at)
    assert getattr(gone, gone_field) == lost_at and gone.version == call.version + 1
    assert gone.state is call.state and gone.state_deadline == call.state_deadline
    assert gone.deadline == lost_at + ABANDON_GRACE_SECONDS
    assert changed_fields(call, gone) == {gone_field}


@pytest.mark.parametrize("state, role, user, gone_field, connection_field", GRACE_CASES)
def test_a_participant_gone_past_the_grace_abandons_the_call(state, role, user, gone_field, connection_field):
    call = STATES[state]()
    lost_at = call.state_deadline - 200
    gone = calls.connection_lost(call, role=role, now=lost_at)
    assert calls.apply_timeouts(gone, now=lost_at + ABANDON_GRACE_SECONDS - 1) is gone
    ended = calls.apply_timeouts(gone, now=lost_at + ABANDON_GRACE_SECONDS)
    assert (ended.state, ended.end_reason, ended.ended_at) == (ENDED, EndReason.ABANDONED,
                                                               lost_at + ABANDON_GRACE_SECONDS)
    assert ended.version == gone.version + 1 and ended.deadline is None


@pytest.mark.parametrize("state", LIVE_STATES)
@pytest.mark.parametrize("role, user, gone_field, connection_field", PARTICIPANTS)
def test_rejoining_restores_the_states_own_deadline_on_the_new_connection(state, role, user, gone_field,
                                                                         connection_field):
    call = STATES[state]()
    gone = calls.connection_lost(call, role=role, now=call.state_deadline - 200)
    back = calls.rejoin(gone, user_id=user, connection_id="c-new", now=call.state_deadline - 170)
    assert getattr(back, gone_field) is None and getattr(back, connection_field) == "c-new"
    assert back.deadline == back.state_deadline == call.state_deadline and back.state is call.state
    assert back.version == gone.version + 1
    assert changed_fields(call, back) == {connection_field}
    assert calls.apply_timeouts(back, now=call.state_deadline - 140) is back


def test_a_connection_lost_close_to_the_states_deadline_leaves_that_deadline_first():
    call = negotiating()
    gone = calls.connection_lost(call, role=Role.CALLER, now=call.state_deadline - 10)
    assert gone.deadline == call.state_deadline
    ended = calls.apply_timeouts(gone, now=call.state_deadline)
    assert ended.end_reason is EndReason.NO_AGREEMENT


def test_a_connection_lost_as_the_session_runs_out_still_opens_the_extension_and_then_abandons():
    call = in_session()
    gone = calls.connection_lost(call, role=Role.HELPER, now=SESSION_ENDS - 10)
    more = calls.apply_timeouts(gone, now=SESSION_ENDS)
    assert more.state is NEGOTIATING and more.extension and more.helper_gone_since == SESSION_ENDS - 10
    assert more.deadline == SESSION_ENDS - 10 + ABANDON_GRACE_SECONDS
    assert calls.apply_timeouts(more, now=more.deadline).end_reason is EndReason.ABANDONED


def test_a_late_sweep_ends_the_call_for_the_reason_whose_deadline_came_first():
    call = negotiating()  # the window closes at ANSWERED + 300
    gone = calls.connection_lost(call, role=Role.CALLER, now=call.state_deadline - 10)  # grace ends at +350
    on_time = calls.apply_timeouts(gone, now=call.state_deadline)
    late = calls.apply_timeouts(gone, now=call.state_deadline + 100)
    assert on_time.end_reason is EndReason.NO_AGREEMENT
    assert late.end_reason is EndReason.NO_AGREEMENT


def test_a_connection_lost_twice_keeps_the_first_time():
    gone = calls.connection_lost(negotiating(), role=Role.CALLER, now=NOW)
    again = calls.connection_lost(gone, role=Role.CALLER, now=NOW + 30)
    assert again is gone and again.caller_gone_since == NOW and again.version == gone.version
    assert calls.apply_timeouts(again, now=NOW + ABANDON_GRACE_SECONDS).end_reason is EndReason.ABANDONED


def test_both_participants_gone_the_earlier_grace_runs_out_first():
    call = calls.connection_lost(negotiating(), role=Role.CALLER, now=NOW)
    call = calls.connection_lost(call, role=Role.HELPER, now=NOW + 20)
    assert call.deadline == NOW + ABANDON_GRACE_SECONDS
    call = calls.rejoin(call, user_id=CALLER, connection_id="c-ann-2", now=NOW + 30)
    assert call.deadline == NOW + 20 + ABANDON_GRACE_SECONDS and call.helper_gone_since == NOW + 20
    call = calls.rejoin(call, user_id=HELPER, connection_id="c-bob-2", now=NOW + 40)
    assert call.deadline == call.state_deadline == ANSWERED + NEGOTIATION_SECONDS


def test_one_participant_rejoining_does_not_clear_the_others_absence():
    gone = calls.connection_lost(negotiating(), role=Role.HELPER, now=NOW)
    back = calls.rejoin(gone, user_id=CALLER, connection_id="c-ann-2", now=NOW + 5)
    assert back.helper_gone_since == NOW and back.caller_connection == "c-ann-2"
    assert calls.apply_timeouts(back, now=NOW + ABANDON_GRACE_SECONDS).end_reason is EndReason.ABANDONED


def test_a_rejoin_without_a_lost_connection_just_moves_to_the_new_connection():
    call = negotiating()
    back = calls.rejoin(call, user_id=HELPER, connection_id="c-bob-reloaded", now=NOW)
    assert back.helper_connection == "c-bob-reloaded" and back.version == call.version + 1
    assert changed_fields(call, back) == {"helper_connection"}


@pytest.mark.parametrize("state", ["ringing", "ended after a session", "ended before an answer"])
@pytest.mark.parametrize("role", [Role.CALLER, Role.HELPER])
def test_connections_are_only_tracked_while_the_call_is_live(state, role):
    refused(IllegalTransition, calls.connection_lost, STATES[state](), role=role, now=NOW)


def test_an_abandoned_call_cannot_be_rejoined():
    gone = calls.connection_lost(in_session(), role=Role.CALLER, now=PAID + 1)
    ended = calls.apply_timeouts(gone, now=PAID + 1 + ABANDON_GRACE_SECONDS)
    refused(IllegalTransition, calls.rejoin, ended, user_id=CALLER, connection_id="c-new", now=PAID + 100)


# Signalling route


def test_signals_go_from_one_participant_to_the_other():
    call = negotiating()
    assert call.other_connection("c-ann") == "c-bob"
    assert call.other_connection("c-bob") == "c-ann"


@pytest.mark.parametrize("connection_id", ["c-eve", "", "c-ann-2", "C-ANN"])
def test_a_third_connection_is_routed_nowhere(connection_id):
    assert negotiating().other_connection(connection_id) is None


def test_while_ringing_the_caller_has_nobody_to_signal_yet():
    call = ringing()
    assert call.other_connection("c-ann") is None
    assert call.other_connection("c-bob") is None


def test_after_a_rejoin_the_new_connection_is_routed_and_the_old_one_is_not():
    call = calls.rejoin(negotiating(), user_id=CALLER, connection_id="c-ann-2", now=NOW)
    assert call.other_connection("c-ann-2") == "c-bob"
    assert call.other_connection("c-bob") == "c-ann-2"
    assert call.other_connection("c-ann") is None


def test_a_helper_rejoining_is_routed_the_same_way():
    call = calls.rejoin(awaiting_payment(), user_id=HELPER, connection_id="c-bob-2", now=NOW)
    assert call.other_connection("c-ann") == "c-bob-2"
    assert call.other_connection("c-bob-2") == "c-ann"
    assert call.other_connection("c-bob") is None
