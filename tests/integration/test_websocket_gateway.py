"""The WebSocket gateway: API Gateway's events to the app's own handlers, and back."""
import json
import time

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from chalicelib.adapters.connections import Connection
from chalicelib.services import delivery, realtime
from tests.support.accounts import sign_up_and_in

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def user(local_stack):
    return sign_up_and_in(local_stack["api"], "ws")


@pytest.fixture(scope="module")
def user_id(local_stack, user):
    return requests.get(f"{local_stack['api']}/me", headers=user.auth, timeout=30).json()["user_id"]


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_valid_token_in_the_subprotocol_connects_and_a_ping_is_answered(local_stack, user):
    with connect(local_stack["websocket"], subprotocols=["interkanect", user.access_token],
                 open_timeout=30) as socket:
        assert socket.subprotocol == "interkanect"
        socket.send(json.dumps({"action": "ping", "id": "p1"}))
        reply = json.loads(socket.recv(timeout=30))
    assert reply["type"] == "pong" and reply["id"] == "p1"


def test_a_valid_token_in_the_query_string_connects(local_stack, user):
    with connect(f"{local_stack['websocket']}/?token={user.access_token}", open_timeout=30) as socket:
        socket.send("not json")
        reply = json.loads(socket.recv(timeout=30))
    assert reply == {"type": "error", "code": "invalid_input", "message": "A message must be JSON."}


@pytest.mark.parametrize("how", ["no token", "bad query token", "bad subprotocol token"])
def test_a_missing_or_bad_token_is_refused(local_stack, user, how):
    url, protocols = local_stack["websocket"], None
    if how == "bad query token":
        url += "/?token=" + user.access_token[:-3] + "abc"
    elif how == "bad subprotocol token":
        protocols = ["interkanect", "forged.token.here"]
    with pytest.raises(InvalidStatus) as refused:
        with connect(url, subprotocols=protocols, open_timeout=30):
            pass
    assert refused.value.response.status_code == 401


def test_connect_and_disconnect_are_recorded(local_stack, user, user_id, app_env):
    store = app_env.connection_store()
    with connect(local_stack["websocket"], subprotocols=["interkanect", user.access_token],
                 open_timeout=30) as socket:
        socket.send(json.dumps({"action": "ping"}))
        socket.recv(timeout=30)
        open_ids = {c.connection_id for c in store.for_user(user_id)}
    assert open_ids
    assert wait_until(lambda: not ({c.connection_id for c in store.for_user(user_id)} & open_ids))


def test_a_send_to_a_connection_that_vanished_without_disconnect_removes_it(app_env):
    store = app_env.connection_store()
    lost = Connection("bG9zdC1jb25uZWN0aW9u", "someone", int(time.time()), int(time.time()) + 7200)
    store.add(lost)
    delivered = delivery.deliver(connection_id=lost.connection_id, message={"type": "hello"},
                                 sender=app_env.websocket_sender(), connections=store)
    assert delivered is False
    assert store.get(lost.connection_id) is None


def test_the_sweep_forgets_expired_connections_without_a_scan(app_env):
    store = app_env.connection_store()
    store.add(Connection("ZXhwaXJlZA==", "someone", 0, int(time.time()) - 1))
    assert realtime.sweep_expired(book=app_env.presence_book(), now=time.time()) >= 1
    assert store.get("ZXhwaXJlZA==") is None
