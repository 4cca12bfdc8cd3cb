"""Racing call transitions produce exactly one result: every transition is a write conditional on
the version it came from, and a free-plan helper's single call slot is taken by one call only.
Each race runs against the in-memory twin and the real adapter (moto over HTTP) alike, on real
threads lined up with a barrier after they have read the call, so both act on the same version."""
import dataclasses
import threading
import time
import uuid

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.calls import CallChanged, HelperBusy, InMemoryCallStore
from chalicelib.adapters.connections import InMemoryConnectionStore
from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.payments import InMemoryPlanStore, InMemoryStorefrontStore
from chalicelib.adapters.websocket import InMemorySender
from chalicelib.domain import calls as rules
from chalicelib.domain.calls import CallState, EndReason, IllegalTransition, Terms
from chalicelib.domain.plans import FREE
from chalicelib.services.calls import CallDesk, act, sweep_calls

pytestmark = pytest.mark.integration
ROUNDS = 20  # each race is run this many times, to shake out the interleavings
PAID_TERMS = Terms(price_cents=2500, minutes=15)
FREE_TERMS = Terms(price_cents=0, minutes=10)


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["in-memory", "dynamodb"])
def store(request):
    if request.param == "in-memory":
        return InMemoryCallStore()
    dynamo = request.getfixturevalue("app_env").call_store()
    dynamo.get("warm-up")  # the client is built once, before the threads share it
    return dynamo


# Small helpers: calls in a given state, written through the store as the service writes them


def ring(store, *, helper_id=None, caller_id=None, slots=1):
    call = rules.ring(call_id=unique("call-"), caller_id=caller_id or unique("caller-"),
                      helper_id=helper_id or unique("helper-"), caller_connection=unique("conn-"),
                      plan=FREE, now=int(time.time()))
    store.create(call, slots)
    return call


def terms_on_the_table(store, terms=PAID_TERMS):
    call = ring(store)
    answered = rules.answer(call, user_id=call.helper_id, helper_connection=unique("conn-"), now=call.created_at)
    store.save(answered)
    proposed = rules.propose(answered, user_id=call.helper_id, price_cents=terms.price_cents,
                             minutes=terms.minutes, now=call.created_at)
    store.save(proposed)
    return proposed


def accept(call, terms, now):
    return rules.accept(call, user_id=call.caller_id, price_cents=terms.price_cents, minutes=terms.minutes, now=now)


def race(round_, **moves):
    """Runs each named move on its own thread; what each returned or raised, by name. A move is
    called with `line_up`, which it calls once it has read what it needs: no move goes on to
    write before every move has read. The threads start in turn, in an order that alternates
    from round to round (the last one through the barrier tends to write first)."""
    barrier = threading.Barrier(len(moves), timeout=30)
    outcomes = {}

    def run(name, move):
        try:
            outcomes[name] = move(barrier.wait)
        except BaseException as error:  # noqa: BLE001 - reported to the test, not swallowed
            outcomes[name] = error

    order = list(moves.items()) if round_ % 2 == 0 else list(reversed(moves.items()))
    threads = [threading.Thread(target=run, args=(name, move), name=f"racer-{name}") for name, move in order]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return outcomes


def one_winner(outcomes, loser_error):
    """Exactly one move succeeded and every other one lost with `loser_error`; the winner's name."""
    lost = [o for o in outcomes.values() if isinstance(o, BaseException)]
    for error in lost:
        if not isinstance(error, loser_error):
            raise error
    winners = [name for name, o in outcomes.items() if not isinstance(o, BaseException)]
    assert len(winners) == 1, f"expected exactly one winner: {outcomes!r}"
    return winners[0]


def load_then(store, call_id, transition):
    """A racer: reads the call, waits for the others to have read it too, applies its transition
    to what it read and saves the result."""
    def move(line_up):
        loaded = store.get(call_id)
        line_up()
        changed = transition(loaded)
        store.save(changed)
        return changed
    return move


def slot_taken(store, helper_id):
    """True if the helper's one free-plan slot is held (a probe call is refused)."""
    try:
        probe = ring(store, helper_id=helper_id)
    except HelperBusy:
        return True
    store.save(rules.cancel(probe, user_id=probe.caller_id, now=probe.created_at))  # give it back
    return False


# answer vs cancel


def test_answer_racing_cancel_has_exactly_one_result(store):
    wins = {"answer": 0, "cancel": 0}
    for round_ in range(ROUNDS):
        call = ring(store)
        answering = load_then(store, call.call_id, lambda c: rules.answer(
            c, user_id=c.helper_id, helper_connection="conn-helper", now=c.created_at + 5))
        cancelling = load_then(store, call.call_id, lambda c: rules.cancel(
            c, user_id=c.caller_id, now=c.created_at + 5))
        outcomes = race(round_, answer=answering, cancel=cancelling)
        winner = one_winner(outcomes, CallChanged)
        wins[winner] += 1
        stored = store.get(call.call_id)
        assert stored == outcomes[winner]
        assert stored.version == call.version + 1
        if winner == "answer":
            assert stored.state is CallState.NEGOTIATING and stored.helper_connection == "conn-helper"
            assert slot_taken(store, call.helper_id)  # the answered call keeps the helper's slot
        else:
            assert stored.state is CallState.ENDED and stored.end_reason is EndReason.CANCELLED
            assert not slot_taken(store, call.helper_id)  # the cancel freed it
    assert all(wins.values()), f"the race always went one way: {wins}"  # both orders were tried


# two callers to a free-plan helper


def test_two_callers_to_a_free_plan_helper_one_gets_through_the_other_hears_busy(store):
    for round_ in range(ROUNDS):
        helper_id = unique("helper-")
        calls = [rules.ring(call_id=unique("call-"), caller_id=unique("caller-"), helper_id=helper_id,
                            caller_connection=unique("conn-"), plan=FREE, now=int(time.time()))
                 for _ in range(2)]

        def creating(call):
            def move(line_up):
                line_up()
                store.create(call, FREE.concurrent_calls)
                return call
            return move

        outcomes = race(round_, first=creating(calls[0]), second=creating(calls[1]))
        winner = one_winner(outcomes, HelperBusy)
        won, lost = (calls[0], calls[1]) if winner == "first" else (calls[1], calls[0])
        assert store.get(won.call_id) == won
        assert store.get(lost.call_id) is None  # the refused call was not written at all
        with pytest.raises(HelperBusy):
            ring(store, helper_id=helper_id)  # still busy for a third caller

        store.save(rules.cancel(won, user_id=won.caller_id, now=won.created_at + 1))
        third = ring(store, helper_id=helper_id)  # the slot was freed by the end
        assert store.get(third.call_id) == third


def leave_slot_behind(store, call, how):
    """Ends `call` as if the release of its slot was interrupted (a crash between the two writes)."""
    ended = rules.cancel(call, user_id=call.caller_id, now=call.created_at + 1)
    if isinstance(store, InMemoryCallStore):
        if how == "ended-written-directly":
            store.calls[call.call_id] = ended  # the slot entry stays
        else:
            store.save(ended)
            store.slots[(call.helper_id, 0)] = call.call_id
        return ended
    from chalicelib.adapters.calls import _record
    from chalicelib.adapters.tables.calls import CallSlotRecord

    if how == "ended-written-directly":
        _record(ended).save()  # the record only: no slot release
    else:
        store.save(ended)
        CallSlotRecord(call.helper_id, 0, call_id=call.call_id).save()
    return ended


@pytest.mark.parametrize("how", ["ended-written-directly", "slot-put-back"])
def test_a_slot_left_behind_by_an_ended_call_is_freed_by_the_next_call(store, how):
    first = ring(store)
    ended = leave_slot_behind(store, first, how)
    assert store.get(first.call_id) == ended

    second = ring(store, helper_id=first.helper_id)  # not busy: the stale slot is freed and taken
    assert store.get(second.call_id) == second
    with pytest.raises(HelperBusy):
        ring(store, helper_id=first.helper_id)  # and now the second call holds it



def test_a_slot_is_not_freed_when_its_just_created_holder_is_not_visible_yet(app_env, monkeypatch):
    from chalicelib.adapters.tables.calls import CallRecord

    store = app_env.call_store()
    first = ring(store)
    real_get = CallRecord.get

    def eventually_consistent_get(hash_key, range_key=None, consistent_read=False, attributes_to_get=None):
        if not consistent_read and hash_key == first.call_id:
            raise CallRecord.DoesNotExist()  # what DynamoDB may answer right after the write
        return real_get(hash_key, range_key=range_key, consistent_read=consistent_read,
                        attributes_to_get=attributes_to_get)

    monkeypatch.setattr(CallRecord, "get", staticmethod(eventually_consistent_get))
    with pytest.raises(HelperBusy):
        ring(store, helper_id=first.helper_id)


# accept vs the negotiation window closing


@pytest.mark.parametrize("terms", [PAID_TERMS, FREE_TERMS], ids=["paid", "free"])
def test_accept_racing_the_window_closing_at_the_deadline_has_exactly_one_result(store, terms):
    wins = {"accept": 0, "sweep": 0}
    for round_ in range(ROUNDS):
        call = terms_on_the_table(store, terms)
        deadline = call.state_deadline
        accepting = load_then(store, call.call_id, lambda c: accept(c, terms, deadline))
        sweeping = load_then(store, call.call_id, lambda c: rules.apply_timeouts(c, now=deadline))
        outcomes = race(round_, accept=accepting, sweep=sweeping)
        winner = one_winner(outcomes, CallChanged)
        wins[winner] += 1
        stored = store.get(call.call_id)
        assert stored == outcomes[winner] and stored.version == call.version + 1
        if winner == "accept":
            assert stored.state is (CallState.IN_SESSION if terms.free else CallState.AWAITING_PAYMENT)
            assert stored.agreed == terms
        else:
            assert stored.state is CallState.ENDED and stored.end_reason is EndReason.NO_AGREEMENT
            assert stored.ended_at == deadline
            assert not slot_taken(store, call.helper_id)
    assert all(wins.values()), f"the race always went one way: {wins}"  # both orders were tried


def desk_for(calls):
    return CallDesk(calls=calls, connections=InMemoryConnectionStore(), sender=InMemorySender(),
                    pages=InMemoryHelperPageStore(), accounts=InMemoryAccountStore(),
                    refresh_presence=lambda user_id: None, storefronts=InMemoryStorefrontStore(),
                    plans=InMemoryPlanStore())


def told(desk, connection_id, call_id):
    """The call views a connection was sent for one call, in order."""
    return [m["call"] for c, m in desk.sender.sent
            if c == connection_id and m.get("type") == "call" and m["call"]["call_id"] == call_id]


@pytest.mark.parametrize("late", [0, 1, 3600], ids=["at-the-deadline", "a-second-late", "an-hour-late"])
def test_through_the_service_an_accept_at_or_after_the_deadline_is_refused(store, late):
    call = terms_on_the_table(store)
    desk = desk_for(store)
    with pytest.raises(IllegalTransition, match="no_agreement"):
        act(action="accept", call_id=call.call_id, user_id=call.caller_id, connection_id=call.caller_connection,
            message={"price_cents": PAID_TERMS.price_cents, "minutes": PAID_TERMS.minutes}, desk=desk,
            now=call.state_deadline + late)
    stored = store.get(call.call_id)
    assert stored.state is CallState.ENDED and stored.end_reason is EndReason.NO_AGREEMENT
    assert stored.ended_at == call.state_deadline  # the window closed when it closed, not when seen
    assert stored.version == call.version + 1 and stored.agreed is None
    for connection_id in (call.caller_connection, call.helper_connection):
        assert [v["state"] for v in told(desk, connection_id, call.call_id)] == ["ended"]
    assert not slot_taken(store, call.helper_id)


def test_through_the_service_an_accept_a_second_before_the_deadline_goes_through(store):
    call = terms_on_the_table(store)
    desk = desk_for(store)
    accepted = act(action="accept", call_id=call.call_id, user_id=call.caller_id,
                   connection_id=call.caller_connection,
                   message={"price_cents": PAID_TERMS.price_cents, "minutes": PAID_TERMS.minutes}, desk=desk,
                   now=call.state_deadline - 1)
    assert accepted.state is CallState.AWAITING_PAYMENT
    assert store.get(call.call_id) == accepted


class LinedUpCalls:
    """The call store as a racing desk sees it: limited to one call (the shared stack holds other
    tests' calls, which the sweep must not touch), and each read of it waits for the other racer's."""

    def __init__(self, store, call_id, barrier):
        self._store, self._call_id, self._barrier = store, call_id, barrier

    def get(self, call_id):
        call = self._store.get(call_id)
        self._barrier.wait()
        return call

    def due(self, now):
        found = [c for c in self._store.due(now) if c.call_id == self._call_id]
        self._barrier.wait()
        return iter(found)

    def save(self, call):
        self._store.save(call)

    def create(self, call, slots):
        self._store.create(call, slots)

    def live_for(self, user_id):
        return [c for c in self._store.live_for(user_id) if c.call_id == self._call_id]


@pytest.mark.parametrize("accepted_at", [-1, 0], ids=["accept-a-second-early", "accept-at-the-deadline"])
def test_through_the_service_an_accept_racing_the_sweep_has_exactly_one_result(store, accepted_at):
    outcomes_seen = set()
    for round_ in range(ROUNDS):
        call = terms_on_the_table(store)
        deadline = call.state_deadline
        barrier = threading.Barrier(2, timeout=30)
        desk = desk_for(LinedUpCalls(store, call.call_id, barrier))

        def accepting(line_up):
            return act(action="accept", call_id=call.call_id, user_id=call.caller_id,
                       connection_id=call.caller_connection,
                       message={"price_cents": PAID_TERMS.price_cents, "minutes": PAID_TERMS.minutes},
                       desk=desk, now=deadline + accepted_at)

        def sweeping(line_up):
            return sweep_calls(desk=desk, now=deadline)

        outcomes = race(round_, accept=accepting, sweep=sweeping)
        accept_outcome, swept = outcomes["accept"], outcomes["sweep"]
        if isinstance(swept, BaseException):
            raise swept
        stored = store.get(call.call_id)
        assert stored.version == call.version + 1  # exactly one write happened
        if isinstance(accept_outcome, BaseException):
            if not isinstance(accept_outcome, (CallChanged, IllegalTransition)):
                raise accept_outcome
            # The window closed: by the sweep (the accept lost the write), or, at the deadline,
            # by the accept's own clock (then the sweep lost the write and skipped the call).
            assert stored.state is CallState.ENDED and stored.end_reason is EndReason.NO_AGREEMENT
            assert stored.ended_at == deadline
            by_accept_clock = isinstance(accept_outcome, IllegalTransition)
            assert swept == (0 if by_accept_clock else 1)
            outcomes_seen.add("closed by the accept's clock" if by_accept_clock else "closed by the sweep")
        else:
            assert accepted_at < 0, "an accept at the deadline went through"
            assert stored == accept_outcome and stored.state is CallState.AWAITING_PAYMENT
            assert swept == 0  # the sweep lost the write and skipped the call
            outcomes_seen.add("accepted")
        # Both participants heard the one result, once.
        for connection_id in (call.caller_connection, call.helper_connection):
            assert [v["state"] for v in told(desk, connection_id, call.call_id)] == [stored.state.value]
    expected = {"accepted" if accepted_at < 0 else "closed by the accept's clock", "closed by the sweep"}
    assert outcomes_seen == expected, f"the race always went one way: {outcomes_seen}"  # both orders were tried


# the version check itself


@pytest.mark.parametrize("version_offset", [0, 2, -1, -2], ids=["same", "skips-one", "older", "much-older"])
def test_a_save_not_exactly_one_version_on_is_refused_and_changes_nothing(store, version_offset):
    call = terms_on_the_table(store)  # version 3
    ended = rules.end(call, user_id=call.caller_id, now=call.created_at + 30)  # would free the slot
    wrong = dataclasses.replace(ended, version=call.version + version_offset)
    with pytest.raises(CallChanged):
        store.save(wrong)
    assert store.get(call.call_id) == call
    assert slot_taken(store, call.helper_id)  # the refused end released nothing

    store.save(ended)  # the right version still goes through
    assert store.get(call.call_id) == ended
    assert not slot_taken(store, call.helper_id)


def test_a_save_of_a_call_never_created_is_refused(store):
    call = rules.ring(call_id=unique("call-"), caller_id=unique("caller-"), helper_id=unique("helper-"),
                      caller_connection=unique("conn-"), plan=FREE, now=int(time.time()))
    answered = rules.answer(call, user_id=call.helper_id, helper_connection="c", now=call.created_at)
    with pytest.raises(CallChanged):
        store.save(answered)
    assert store.get(call.call_id) is None


def test_the_store_keeps_which_acceptance_a_payment_belongs_to(store):
    """The payment of paid terms is named by the call's version when they were accepted."""
    accepted = accept(terms_on_the_table(store), PAID_TERMS, now=int(time.time()))
    store.save(accepted)
    assert store.get(accepted.call_id) == accepted and accepted.accepted_version == accepted.version
