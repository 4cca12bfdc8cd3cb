"""Hypothesis over every WebSocket action's frame, against the call desk's in-memory twins: no frame
crashes the `$default` handler, and a malformed one gets one error frame and changes nothing.
(tests/integration/test_websocket_fuzz.py sends the same frames through the local gateway.)"""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.connections import Connection
from chalicelib.services import realtime
from chalicelib.services.calls import act, start_call
from chalicelib.services.signals import SignalLimiter
from chalicelib.services.frames import CALL_ACTIONS, SIGNAL_TYPES, TERMS_ACTIONS
from chalicelib.services.realtime import Liveness
from tests.support.twins import CALLER, HELPER, call_desk_twin

NOW = 1_790_000_000
ACTIONS = ("ping", "call", "signal", *CALL_ACTIONS, *TERMS_ACTIONS)
REPLY_TYPES = {"pong", "ack", "call", "signal", "error"}
SENDERS = ("c-helper", "c-caller", "c-stranger")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)


def live_call_desk():
    """Ada and Bob in a negotiating call, and a stranger's socket beside them."""
    desk = call_desk_twin(now=NOW)
    desk.connections.add(Connection("c-stranger", "stranger-1", NOW, NOW + 7200))
    call = start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=NOW)
    act(action="answer", call_id=call.call_id, user_id=HELPER, connection_id="c-helper", message={}, desk=desk,
        now=NOW)
    desk.sender.sent.clear()
    return desk, call.call_id


def send(desk, connection_id, body):
    realtime.handle_message(connection_id=connection_id, body=body, connections=desk.connections,
                            sender=desk.sender, clock=lambda: NOW + 1, liveness=Liveness(),
                            desk=lambda: desk, limiter=SignalLimiter())


def fields_of(call_id):
    """Plausible and implausible values for every field any action reads."""
    return st.fixed_dictionaries({}, optional={
        "call_id": st.just(call_id) | json_values, "helper": st.just("ada") | json_values,
        "price_cents": st.integers(-5, 10**12) | json_values, "minutes": st.integers(-5, 10**6) | json_values,
        "data": st.fixed_dictionaries({"type": st.sampled_from(SIGNAL_TYPES) | json_values}) | json_values,
        "id": st.integers() | st.text(max_size=80) | json_values,
    })


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_frame_crashes_the_handler_and_every_answer_is_a_known_frame(data):
    desk, call_id = live_call_desk()
    frame = data.draw(st.one_of(
        st.builds(lambda action, fields: {**fields, "action": action}, st.sampled_from(ACTIONS) | json_values,
                  fields_of(call_id)),
        json_values))
    body = data.draw(st.sampled_from([json.dumps(frame), json.dumps(frame)[:-1], "[" * 5000 + "]" * 5000]))
    send(desk, data.draw(st.sampled_from(SENDERS)), body)
    for to, message in desk.sender.sent:
        assert to in SENDERS and message["type"] in REPLY_TYPES
        json.dumps(message)


def malformed(call_id):
    """A frame of each action with one field of the wrong type, or one field too many."""
    wrong = st.one_of(st.lists(st.text(max_size=3), max_size=2), st.dictionaries(st.text(max_size=3), st.none(),
                      max_size=2), st.floats(allow_nan=False), st.booleans(), st.none())
    good = {"call_id": call_id, "helper": "ada", "price_cents": 0, "minutes": 15, "data": {"type": "bye"}}
    needs = {"ping": (), "call": ("helper",), "signal": ("call_id", "data"),
             **{a: ("call_id",) for a in CALL_ACTIONS}, **{a: ("call_id", "price_cents", "minutes") for a in TERMS_ACTIONS}}

    def build(action, spoil, value):
        frame = {"action": action, **{name: good[name] for name in needs[action]}}
        names = needs[action] + (("data.type",) if action == "signal" else ())
        if spoil == "extra" or not names:
            frame["unexpected"] = value if value is not None else 1
        elif spoil == "missing":
            frame.pop(names[0].split(".")[0])
        else:
            name = names[len(names) - 1 if spoil == "last" else 0]
            if name == "data.type":
                frame["data"] = {"type": value}
            else:
                frame[name] = value
        return frame

    return st.builds(build, st.sampled_from(ACTIONS), st.sampled_from(("first", "last", "extra", "missing")), wrong)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_malformed_frame_gets_one_error_frame_and_changes_nothing(data):
    desk, call_id = live_call_desk()
    frame = data.draw(malformed(call_id))
    sender = data.draw(st.sampled_from(SENDERS))
    calls_before, connections_before = dict(desk.calls.calls), dict(desk.connections.connections)
    send(desk, sender, json.dumps(frame))
    [(to, reply)] = desk.sender.sent
    assert to == sender and reply["type"] == "error" and reply["code"] == "invalid_input", (frame, reply)
    assert dict(desk.calls.calls) == calls_before and dict(desk.connections.connections) == connections_before


def test_the_signal_that_once_crashed_the_relay_gets_an_error_frame():
    desk, call_id = live_call_desk()
    send(desk, "c-caller", json.dumps({"action": "signal", "call_id": call_id, "data": {"type": ["offer"]},
                                       "id": "s1"}))
    assert desk.sender.sent == [("c-caller", {"type": "error", "code": "invalid_input", "field": "data.type",
                                              "message": desk.sender.sent[0][1]["message"],
                                              "call_id": call_id, "id": "s1"})]


def test_the_price_ceiling_of_a_proposal_is_the_settings_one_above_or_below_the_default():
    from dataclasses import replace

    from chalicelib.domain.payments import Storefront

    desk, call_id = live_call_desk()
    desk.storefronts.save(Storefront(user_id=HELPER, paypal_email="ada@example.com", name="Ada", created_at=NOW,
                                     updated_at=NOW))
    for ceiling, price, refused in ((10_000_00, 5000_00, False), (500_00, 600_00, True)):
        desk = replace(desk, max_price_cents=ceiling)
        desk.sender.sent.clear()
        send(desk, "c-helper", json.dumps({"action": "propose", "call_id": call_id, "price_cents": price,
                                           "minutes": 15, "id": "p"}))
        [(_, reply)] = [(to, m) for to, m in desk.sender.sent if m.get("id") == "p"]
        assert (reply["type"] == "error") is refused, reply
        if refused:
            assert reply["field"] == "price_cents"
