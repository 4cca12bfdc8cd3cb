"""Hypothesis over every WebSocket action through the local gateway and the real handler: each
malformed frame is answered with an error frame (its id echoed), the socket stays usable, and the
call it aimed at is unchanged. The in-memory twin of this runs many more examples
(tests/unit/test_websocket_fuzz.py)."""
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.services.frames import CALL_ACTIONS, TERMS_ACTIONS
from tests.support.accounts import sign_up_and_in
from tests.support.calls import Peer
from tests.support.pages import become_helper

pytestmark = pytest.mark.integration

ACTIONS = ("ping", "call", "signal", *CALL_ACTIONS, *TERMS_ACTIONS, "watch_poll", "unwatch_poll")
FIELDS = ("call_id", "helper", "price_cents", "minutes", "data", "poll_id")
WRONG = st.one_of(st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                  st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
                  st.text(min_size=65, max_size=70))  # Infinity is no JSON: refused unread, with no id to echo
NEEDS = {"ping": (), "call": ("helper",), "signal": ("call_id", "data"), **{a: ("call_id",) for a in CALL_ACTIONS},
         **{a: ("call_id", "price_cents", "minutes") for a in TERMS_ACTIONS},
         "watch_poll": ("helper", "poll_id"), "unwatch_poll": ("helper", "poll_id")}
ids = itertools.count()


@pytest.fixture(scope="module")
def negotiating(local_stack):
    """A Helper and a caller in a call being negotiated, each with their socket."""
    helper = become_helper(local_stack["api"], "fuzzed")
    caller = sign_up_and_in(local_stack["api"], "fuzzer")
    helper_tab, caller_tab = Peer(local_stack, helper), Peer(local_stack, caller)
    caller_tab.ring(helper)
    call_id = helper_tab.call_state("ringing")["call_id"]
    helper_tab.send(action="answer", call_id=call_id)
    caller_tab.call_state("negotiating")
    yield helper_tab, caller_tab, call_id
    helper_tab.close()
    caller_tab.close()


def asked(tab, frame):
    """Sends `frame` with a fresh id and returns the answer that echoes it."""
    frame_id = f"fuzz-{next(ids)}"
    tab.socket.send(json.dumps({**frame, "id": frame_id}))
    return tab.wait_for(lambda m: m.get("id") == frame_id)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(action=st.sampled_from(ACTIONS), spoiled=st.sampled_from(FIELDS), value=WRONG, from_helper=st.booleans())
def test_a_malformed_frame_of_any_action_gets_an_error_frame_and_changes_nothing(
        negotiating, app_env, action, spoiled, value, from_helper):
    helper_tab, caller_tab, call_id = negotiating
    tab = helper_tab if from_helper else caller_tab
    before = app_env.call_store().get(call_id)
    good = {"call_id": call_id, "helper": "fuzzed", "price_cents": 100, "minutes": 5, "data": {"type": "bye"},
            "poll_id": "000000000001-00000000"}
    frame = {"action": action, **{name: good[name] for name in NEEDS[action]},
             spoiled: {"type": value} if spoiled == "data" else value}  # a field spoiled, or one too many
    answer = asked(tab, frame)
    assert answer["type"] == "error" and answer["code"] == "invalid_input", (frame, answer)
    assert app_env.call_store().get(call_id) == before


def test_frames_nested_too_deep_or_not_objects_get_error_frames_and_the_socket_lives(negotiating):
    _, caller_tab, _ = negotiating
    for body in ('{"action": "ping", "x": ' + "[" * 15_000 + "]" * 15_000 + "}", "[" * 15_000, "[]", "7",
                 '{"action": "signal", "data": {"type": ["offer"]}}', '{"action": "ping"'):
        caller_tab.socket.send(body)
        assert caller_tab.wait_for(lambda m: m.get("type") in ("error", "pong"))["type"] == "error", body
    assert asked(caller_tab, {"action": "ping"})["type"] == "pong"
