"""Live calls through the local WebSocket gateway with real clients: ringing, negotiation,
the session timer, extensions, the end, and signalling only between the two participants."""
import time

import pytest

from tests.support.accounts import sign_up_and_in
from tests.support.calls import Peer, agree_terms
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def people(local_stack):
    helper = become_helper(local_stack["api"], "callee")
    caller = sign_up_and_in(local_stack["api"], "caller")
    helper_tab, caller_tab = Peer(local_stack, helper), Peer(local_stack, caller)
    yield helper, caller, helper_tab, caller_tab
    helper_tab.close()
    caller_tab.close()


def sweep(app_env, at):
    from chalicelib.services.calls import sweep_calls

    return sweep_calls(desk=app_env.call_desk(), now=int(at))


def test_ring_answer_negotiate_free_session_expiry_extension_and_end(people, app_env):
    helper, caller, helper_tab, caller_tab = people
    caller_tab.ring(helper)
    ringing = helper_tab.wait_for(lambda m: m.get("type") == "call" and m["call"]["state"] == "ringing")
    assert ringing["caller"]["display_name"] == caller.display_name
    call_id = ringing["call"]["call_id"]

    helper_tab.send(action="answer", call_id=call_id)
    caller_tab.call_state("negotiating")
    helper_tab.send(action="propose", call_id=call_id, price_cents=0, minutes=1)
    assert caller_tab.call_state("negotiating", proposed={"price_cents": 0, "minutes": 1})
    caller_tab.send(action="accept", call_id=call_id, price_cents=0, minutes=1)
    session = helper_tab.call_state("in_session")
    assert session["agreed"] == {"price_cents": 0, "minutes": 1}

    assert sweep(app_env, session["session_ends_at"] + 1) >= 1  # the paid time is up: not cut
    extension = caller_tab.call_state("negotiating", extension=True)
    assert extension["state_deadline"] == session["session_ends_at"] + 1 + 300
    helper_tab.send(action="propose", call_id=call_id, price_cents=0, minutes=2)
    caller_tab.call_state("negotiating", proposed={"price_cents": 0, "minutes": 2})
    caller_tab.send(action="accept", call_id=call_id, price_cents=0, minutes=2)
    helper_tab.call_state("in_session", minutes_used=3)

    caller_tab.send(action="end", call_id=call_id)
    assert helper_tab.call_state("ended")["end_reason"] == "hung_up"


def test_paid_terms_wait_for_payment_then_the_timer_starts(people, app_env, local_stack):
    from chalicelib.services.calls import payment_confirmed

    helper, caller, helper_tab, caller_tab = people
    open_storefront(local_stack["api"], helper)
    call_id = agree_terms(helper_tab, caller_tab, helper, price_cents=2500, minutes=15)
    payment_confirmed(call_id=call_id, desk=app_env.call_desk(), now=int(time.time()))
    assert caller_tab.call_state("in_session")["agreed"] == {"price_cents": 2500, "minutes": 15}


def test_a_declined_call_ends_for_both(people):
    helper, caller, helper_tab, caller_tab = people
    caller_tab.ring(helper)
    call_id = helper_tab.call_state("ringing")["call_id"]
    helper_tab.send(action="decline", call_id=call_id)
    assert caller_tab.call_state("ended")["end_reason"] == "declined"


def test_an_unanswered_call_is_missed(people, app_env):
    helper, caller, helper_tab, caller_tab = people
    caller_tab.ring(helper)
    ringing = helper_tab.call_state("ringing")
    sweep(app_env, ringing["state_deadline"] + 1)
    assert caller_tab.call_state("ended")["end_reason"] == "missed"
    helper_tab.call_state("ended", end_reason="missed")


def test_no_agreement_in_five_minutes_ends_the_call(people, app_env):
    helper, caller, helper_tab, caller_tab = people
    caller_tab.ring(helper)
    call_id = helper_tab.call_state("ringing")["call_id"]
    helper_tab.send(action="answer", call_id=call_id)
    negotiating = caller_tab.call_state("negotiating")
    sweep(app_env, negotiating["state_deadline"] + 1)
    assert helper_tab.call_state("ended")["end_reason"] == "no_agreement"


def test_a_free_plan_helper_in_a_call_is_busy_for_a_second_caller(people, local_stack):
    helper, caller, helper_tab, caller_tab = people
    caller_tab.ring(helper)
    helper_tab.call_state("ringing")
    second = Peer(local_stack, sign_up_and_in(local_stack["api"], "second"))
    try:
        second.send(action="call", helper=helper.username)
        assert "another call" in second.error("helper_busy")["message"]
    finally:
        second.close()


def test_only_the_two_participants_can_signal_and_act(people, local_stack):
    helper, caller, helper_tab, caller_tab = people
    caller_tab.ring(helper)
    call_id = helper_tab.call_state("ringing")["call_id"]
    stranger = Peer(local_stack, sign_up_and_in(local_stack["api"], "stranger"))
    try:
        stranger.send(action="answer", call_id=call_id)
        stranger.error("forbidden")
        stranger.send(action="signal", call_id=call_id, data={"type": "offer", "sdp": "v=0"})
        stranger.error("forbidden")  # ringing: nobody signals yet, and a stranger never

        helper_tab.send(action="answer", call_id=call_id)
        caller_tab.call_state("negotiating")
        caller_tab.send(action="signal", call_id=call_id, data={"type": "offer", "sdp": "v=0 caller"})
        relayed = helper_tab.wait_for(lambda m: m.get("type") == "signal")
        assert relayed == {"type": "signal", "call_id": call_id, "data": {"type": "offer", "sdp": "v=0 caller"}}
        helper_tab.send(action="signal", call_id=call_id, data={"type": "answer", "sdp": "v=0 helper"})
        assert caller_tab.wait_for(lambda m: m.get("type") == "signal")["data"]["sdp"] == "v=0 helper"

        stranger.send(action="signal", call_id=call_id, data={"type": "ice", "candidate": "x"})
        stranger.error("forbidden")
        caller_tab.send(action="signal", call_id=call_id, data={"type": "launch", "x": 1})
        caller_tab.error("invalid_input")
        caller_tab.send(action="signal", call_id=call_id, data={"type": "ice", "candidate": "x" * 20000})
        caller_tab.error("invalid_input")
    finally:
        stranger.close()


def test_a_helper_in_a_live_call_shows_busy(people, local_stack):
    import requests

    helper, caller, helper_tab, caller_tab = people
    helper_id = helper.tokens["user_id"]

    def status():
        return requests.get(f"{local_stack['api']}/presence", params={"users": helper_id},
                            timeout=30).json()["statuses"][helper_id]

    assert status() == "online"
    caller_tab.ring(helper)
    call_id = helper_tab.call_state("ringing")["call_id"]
    helper_tab.send(action="answer", call_id=call_id)
    caller_tab.call_state("negotiating")
    # Both hear of the answer first; presence is recounted right after, in the same handler.
    assert eventually(lambda: status() == "busy", timeout=10)
    caller_tab.send(action="end", call_id=call_id)
    helper_tab.call_state("ended")
    assert eventually(lambda: status() == "online", timeout=10)


def test_the_ice_servers_route_needs_a_session(local_stack):
    import requests

    user = sign_up_and_in(local_stack["api"])
    answer = requests.get(f"{local_stack['api']}/calls/ice-servers", headers=user.auth, timeout=30)
    assert answer.status_code == 200 and "ice_servers" in answer.json()
    assert requests.get(f"{local_stack['api']}/calls/ice-servers", timeout=30).status_code == 401
