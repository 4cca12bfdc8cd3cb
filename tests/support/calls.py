"""A signed-in browser tab as the WebSocket sees it, for integration tests of live calls."""
from __future__ import annotations

import json
import time

from websockets.sync.client import connect


class Peer:
    """A signed-in browser tab: one WebSocket, reading messages until the one we want."""

    def __init__(self, local_stack, user):
        self.user = user
        self.socket = connect(local_stack["websocket"], subprotocols=["interkanect", user.access_token],
                              open_timeout=30).__enter__()

    def send(self, **message):
        self.socket.send(json.dumps(message))

    def wait_for(self, predicate, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if predicate(message):
                return message
        raise AssertionError("no such message arrived")

    def call_state(self, state, **fields):
        return self.wait_for(lambda m: m.get("type") in ("call", "ack") and m["call"]["state"] == state
                             and all(m["call"].get(k) == v for k, v in fields.items()))["call"]

    def ring(self, helper):
        """Calls a helper and waits for the server's answer, so a refusal shows its reason."""
        self.send(action="call", helper=helper.username, id="ring")
        answer = self.wait_for(lambda m: m.get("id") == "ring")
        assert answer["type"] == "ack", answer
        return answer["call"]

    def error(self, code):
        return self.wait_for(lambda m: m.get("type") == "error" and m["code"] == code)

    def close(self):
        self.socket.close()


def agree_terms(helper_tab: Peer, caller_tab: Peer, helper, *, price_cents: int, minutes: int) -> str:
    """The caller rings, the Helper answers and proposes, the caller accepts exactly those terms;
    returns the call's id once the Helper's tab has the call in its next state."""
    caller_tab.ring(helper)
    call_id = helper_tab.call_state("ringing")["call_id"]
    helper_tab.send(action="answer", call_id=call_id)
    helper_tab.send(action="propose", call_id=call_id, price_cents=price_cents, minutes=minutes)
    caller_tab.call_state("negotiating", proposed={"price_cents": price_cents, "minutes": minutes})
    caller_tab.send(action="accept", call_id=call_id, price_cents=price_cents, minutes=minutes)
    helper_tab.call_state("awaiting_payment" if price_cents else "in_session")
    return call_id
