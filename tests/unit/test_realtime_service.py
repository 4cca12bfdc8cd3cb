"""Connections, presence, heartbeats and delivery against in-memory twins."""
import json

import pytest

from chalicelib.adapters.connections import Connection
from chalicelib.adapters.websocket import InMemorySender
from chalicelib.api.realtime import token_of_connect
from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import InvalidToken
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.domain.presence import Status
from chalicelib.services import delivery, realtime
from chalicelib.services.realtime import Liveness
from tests.support.twins import presence_book_twin

LIVENESS = Liveness(stale_seconds=180, lifetime_seconds=7200)


@pytest.fixture
def book():
    return presence_book_twin()


@pytest.fixture
def sender():
    return InMemorySender()


def status_of(book, user_id):
    return book.presence.get_many([user_id])[user_id]


def test_a_first_connection_makes_a_person_online_until_the_last_one_closes(book):
    realtime.connect(connection_id="c1", principal=Principal("u1"), book=book, now=1000, liveness=LIVENESS)
    realtime.connect(connection_id="c2", principal=Principal("u1"), book=book, now=1001, liveness=LIVENESS)
    assert book.connections.get("c1") == Connection("c1", "u1", 1000, 1180)
    assert status_of(book, "u1") is Status.ONLINE
    realtime.disconnect(connection_id="c1", book=book, now=1002)
    assert status_of(book, "u1") is Status.ONLINE
    realtime.disconnect(connection_id="c2", book=book, now=1003)
    assert status_of(book, "u1") is Status.OFFLINE


def test_with_call_alerts_on_a_helper_whose_last_tab_closes_is_reachable_and_listed_so(book):
    import dataclasses

    book = dataclasses.replace(book, alerts=lambda user_id: user_id == "u1")
    book.pages.save(HelperPage(user_id="u1", username="ada", display_name="Ada", headline="h", offer="o",
                               prices={15: 0, 30: None, 60: None}, categories=("plumbing",)))
    realtime.connect(connection_id="c1", principal=Principal("u1"), book=book, now=1000, liveness=LIVENESS)
    assert status_of(book, "u1") is Status.ONLINE
    realtime.disconnect(connection_id="c1", book=book, now=1001)
    listings, _ = book.listings.page("plumbing", 10, None)
    assert status_of(book, "u1") is Status.REACHABLE
    assert listings[0].card["status"] == "reachable" and listings[0].rank.startswith("2#")


def test_alerts_that_cannot_be_read_leave_a_person_offline_not_failing_the_disconnect(book):
    import dataclasses

    def unreadable(user_id):
        raise RuntimeError("push store down")

    book = dataclasses.replace(book, alerts=unreadable)
    realtime.connect(connection_id="c1", principal=Principal("u1"), book=book, now=1000, liveness=LIVENESS)
    realtime.disconnect(connection_id="c1", book=book, now=1001)
    assert status_of(book, "u1") is Status.OFFLINE


def test_a_helper_going_online_moves_up_in_their_categories(book):
    book.pages.save(HelperPage(user_id="u1", username="ada", display_name="Ada", headline="h", offer="o",
                               prices={15: 0, 30: None, 60: None}, categories=("plumbing", "cooking")))
    realtime.connect(connection_id="c1", principal=Principal("u1"), book=book, now=1000, liveness=LIVENESS)
    listings, _ = book.listings.page("plumbing", 10, None)
    assert listings[0].card["status"] == "online" and listings[0].rank.startswith("0#")
    realtime.disconnect(connection_id="c1", book=book, now=1001)
    listings, _ = book.listings.page("cooking", 10, None)
    assert listings[0].card["status"] == "offline" and listings[0].rank.startswith("3#")


def test_ping_is_answered_with_pong_and_keeps_the_connection_alive(book, sender):
    realtime.connect(connection_id="c1", principal=Principal("u1"), book=book, now=1000, liveness=LIVENESS)
    realtime.handle_message(connection_id="c1", body=json.dumps({"action": "ping", "id": 7}),
                            connections=book.connections, sender=sender, clock=lambda: 1100.5, liveness=LIVENESS)
    assert sender.sent == [("c1", {"type": "pong", "at": 1100500, "id": 7})]
    assert book.connections.get("c1").expires_at == 1280


def test_heartbeats_never_keep_a_connection_past_api_gateways_two_hours(book, sender):
    realtime.connect(connection_id="c1", principal=Principal("u1"), book=book, now=0, liveness=LIVENESS)
    realtime.handle_message(connection_id="c1", body='{"action":"ping"}', connections=book.connections,
                            sender=sender, clock=lambda: 7150, liveness=LIVENESS)
    assert book.connections.get("c1").expires_at == 7200


def test_a_ping_on_a_swept_connection_closes_it_so_the_browser_reconnects(book, sender):
    realtime.handle_message(connection_id="gone", body='{"action":"ping"}', connections=book.connections,
                            sender=sender, clock=lambda: 0, liveness=LIVENESS)
    assert sender.closed == ["gone"] and sender.sent == []


@pytest.mark.parametrize("body", [None, "not json", "[]", '{"no": "action"}', '{"action": 5}',
                                  '{"action": "launch-rockets"}', '{"action": "ping", "x": "' + "y" * 40000 + '"}'])
def test_bad_messages_get_an_error_reply_and_change_nothing(book, sender, body):
    book.connections.add(Connection("c1", "u1", 0, 10))
    realtime.handle_message(connection_id="c1", body=body, connections=book.connections, sender=sender,
                            clock=lambda: 0, liveness=LIVENESS)
    [(to, reply)] = sender.sent
    assert to == "c1" and reply["type"] == "error" and reply["code"] == "invalid_input"
    assert book.connections.get("c1") == Connection("c1", "u1", 0, 10)


def test_a_send_to_a_gone_connection_forgets_it(book, sender):
    book.connections.add(Connection("c1", "u1", 0, 10))
    sender.gone.add("c1")
    assert delivery.deliver(connection_id="c1", message={"type": "x"}, sender=sender,
                            connections=book.connections) is False
    assert book.connections.get("c1") is None


def test_the_sweep_forgets_silent_connections_and_their_owner_goes_offline(book):
    realtime.connect(connection_id="old", principal=Principal("u1"), book=book, now=0, liveness=LIVENESS)
    realtime.connect(connection_id="new", principal=Principal("u2"), book=book, now=4900, liveness=LIVENESS)
    assert realtime.sweep_expired(book=book, now=5000) == 1
    assert book.connections.get("old") is None and book.connections.get("new") is not None
    assert status_of(book, "u1") is Status.OFFLINE and status_of(book, "u2") is Status.ONLINE


def test_the_connect_token_comes_from_the_subprotocol_or_the_query_string():
    assert token_of_connect({"headers": {"Sec-WebSocket-Protocol": "interkanect, abc.def"}}) == \
        ("abc.def", "interkanect")
    assert token_of_connect({"queryStringParameters": {"token": "abc.def"}}) == ("abc.def", None)
    for event in [{}, {"headers": {"Sec-WebSocket-Protocol": "interkanect"}},
                  {"queryStringParameters": {"token": ""}}]:
        with pytest.raises(InvalidToken):
            token_of_connect(event)
