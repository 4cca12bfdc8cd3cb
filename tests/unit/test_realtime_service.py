"""Connections, messages and delivery against in-memory twins."""
import json

import pytest

from chalicelib.adapters.connections import Connection, InMemoryConnectionStore
from chalicelib.adapters.websocket import InMemorySender
from chalicelib.api.realtime import token_of_connect
from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import InvalidToken
from chalicelib.services import realtime


@pytest.fixture
def connections():
    return InMemoryConnectionStore()


@pytest.fixture
def sender():
    return InMemorySender()


def test_a_connection_is_remembered_until_api_gateway_would_end_it(connections):
    realtime.connect(connection_id="c1", principal=Principal("u1"), connections=connections,
                     now=1000, lifetime_seconds=7200)
    assert connections.get("c1") == Connection("c1", "u1", 1000, 8200)
    assert [c.connection_id for c in connections.for_user("u1")] == ["c1"]


def test_ping_is_answered_with_pong_echoing_the_id(connections, sender):
    realtime.handle_message(connection_id="c1", body=json.dumps({"action": "ping", "id": 7}),
                            connections=connections, sender=sender, clock=lambda: 12.5)
    assert sender.sent == [("c1", {"type": "pong", "at": 12500, "id": 7})]


@pytest.mark.parametrize("body", [None, "not json", "[]", '{"no": "action"}', '{"action": 5}',
                                  '{"action": "launch-rockets"}', '{"action": "ping", "x": "' + "y" * 40000 + '"}'])
def test_bad_messages_get_an_error_reply_and_change_nothing(connections, sender, body):
    connections.add(Connection("c1", "u1", 0, 10))
    realtime.handle_message(connection_id="c1", body=body, connections=connections, sender=sender,
                            clock=lambda: 0)
    [(to, reply)] = sender.sent
    assert to == "c1" and reply["type"] == "error" and reply["code"] == "invalid_input"
    assert connections.get("c1") is not None


def test_a_send_to_a_gone_connection_forgets_it(connections, sender):
    connections.add(Connection("c1", "u1", 0, 10))
    sender.gone.add("c1")
    assert realtime.deliver(connection_id="c1", message={"type": "x"}, sender=sender,
                            connections=connections) is False
    assert connections.get("c1") is None


def test_the_sweep_forgets_only_expired_connections(connections):
    connections.add(Connection("old", "u1", 0, 100))
    connections.add(Connection("new", "u1", 0, 10_000))
    assert realtime.sweep_expired(connections=connections, now=5000) == 1
    assert connections.get("old") is None and connections.get("new") is not None


def test_the_connect_token_comes_from_the_subprotocol_or_the_query_string():
    assert token_of_connect({"headers": {"Sec-WebSocket-Protocol": "interkanect, abc.def"}}) == \
        ("abc.def", "interkanect")
    assert token_of_connect({"queryStringParameters": {"token": "abc.def"}}) == ("abc.def", None)
    for event in [{}, {"headers": {"Sec-WebSocket-Protocol": "interkanect"}},
                  {"queryStringParameters": {"token": ""}}]:
        with pytest.raises(InvalidToken):
            token_of_connect(event)
