"""An action over the socket is answered before the bookkeeping that need not delay it: when a
call turns live (answered) or ends, both participants hear it, and the actor gets the reply, before
their presence (online/in a call, the directory cards) is recounted."""
from __future__ import annotations

import json
from dataclasses import replace

from chalicelib.services import realtime
from chalicelib.services.calls import act, start_call
from chalicelib.services.realtime import Liveness
from chalicelib.services.signals import SignalLimiter
from tests.support.twins import CALLER, HELPER, call_desk_twin

NOW = 1_790_000_000


def ringing_desk():
    events: list[str] = []
    desk = call_desk_twin(now=NOW)
    sent = desk.sender.send

    def send(connection_id, message):
        events.append(f"sent {message.get('type')} to {connection_id}")
        sent(connection_id, message)

    desk.sender.send = send
    desk = replace(desk, refresh_presence=lambda user_id: events.append(f"presence of {user_id}"))
    call = start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=NOW)
    events.clear()
    return desk, call.call_id, events


def test_answering_tells_both_and_replies_before_recounting_presence():
    desk, call_id, events = ringing_desk()
    realtime.handle_message(connection_id="c-helper", body=json.dumps({"action": "answer", "call_id": call_id, "id": 1}),
                            connections=desk.connections, sender=desk.sender, clock=lambda: NOW + 1,
                            liveness=Liveness(), desk=lambda: desk, limiter=SignalLimiter())
    presence = [i for i, event in enumerate(events) if event.startswith("presence")]
    messages = [i for i, event in enumerate(events) if event.startswith("sent")]
    assert {"sent call to c-caller", "sent ack to c-helper"} <= set(events)
    assert len(presence) == 2 and max(messages) < min(presence)  # everything said, then the recount
    assert events[presence[0]:] == [f"presence of {HELPER}", f"presence of {CALLER}"]


def test_outside_the_socket_handler_presence_is_recounted_at_once():
    desk, call_id, events = ringing_desk()
    act(action="answer", call_id=call_id, user_id=HELPER, connection_id="c-helper", message={}, desk=desk, now=NOW + 1)
    assert events[:2] == [f"presence of {HELPER}", f"presence of {CALLER}"]  # a REST path: nothing waits for it
