"""Signing out on the local stack: the same access token is refused at once on REST routes and
new WebSockets, and the sockets of the ended session(s) are closed; other sessions and other people
carry on."""
import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support.accounts import sign_in, sign_up_and_in
from tests.support.calls import Peer

pytestmark = pytest.mark.integration


def post(api, path, body=None, **kwargs):
    return requests.post(f"{api}{path}", json=body, timeout=30, **kwargs)


def me_status(api, person):
    return requests.get(f"{api}/me", headers=person.auth, timeout=30).status_code


def refuses(answer, status=401, code="invalid_token"):
    assert answer.status_code == status, answer.text
    return answer.json()["error"]["code"] == code


def answers_ping(tab):
    tab.send(action="ping", id="alive")
    return tab.wait_for(lambda m: m.get("id") == "alive")["type"] == "pong"


def closed_by_server(tab, timeout=30):
    """Reads until the server closes the socket (whatever arrives before is skipped)."""
    try:
        tab.wait_for(lambda m: False, timeout=timeout)
    except ConnectionClosed:
        return True
    return False


def socket_refused(local_stack, person):
    try:
        connect(local_stack["websocket"], subprotocols=["interkanect", person.access_token],
                open_timeout=30).close()
    except InvalidStatus as refusal:
        return refusal.response.status_code == 401
    return False


@pytest.fixture
def tabs():
    """Opens a signed-in tab's socket; every one is closed after the test."""
    opened = []

    def open_tab(local_stack, person):
        opened.append(Peer(local_stack, person))
        return opened[-1]

    yield open_tab
    for tab in opened:
        tab.close()


def test_after_sign_out_the_token_is_refused_everywhere_and_its_socket_closes(local_stack, tabs):
    api = local_stack["api"]
    laptop = sign_up_and_in(api, "signout")
    phone = sign_in(api, laptop)  # the same person on a second device: another session
    laptop_tab, phone_tab = tabs(local_stack, laptop), tabs(local_stack, phone)
    assert answers_ping(laptop_tab) and answers_ping(phone_tab)

    answer = post(api, "/auth/sign-out", {"refresh_token": laptop.tokens["refresh_token"]}, headers=laptop.auth)
    assert answer.status_code == 200 and answer.json() == {"signed_out": True}

    assert refuses(requests.get(f"{api}/me", headers=laptop.auth, timeout=30))
    assert closed_by_server(laptop_tab)
    assert socket_refused(local_stack, laptop)
    assert refuses(post(api, "/auth/refresh", {"refresh_token": laptop.tokens["refresh_token"]}))
    assert refuses(post(api, "/auth/sign-out", headers=laptop.auth))
    assert me_status(api, phone) == 200 and answers_ping(phone_tab)  # the other session carries on


def test_sign_out_everywhere_ends_every_session_of_the_person_and_nobody_elses(local_stack, tabs):
    api = local_stack["api"]
    laptop = sign_up_and_in(api, "everywhere")
    phone = sign_in(api, laptop)
    someone_else = sign_up_and_in(api, "bystander")
    laptop_tab, phone_tab, their_tab = (tabs(local_stack, p) for p in (laptop, phone, someone_else))
    assert all(answers_ping(tab) for tab in (laptop_tab, phone_tab, their_tab))

    answer = post(api, "/auth/sign-out-everywhere", headers=phone.auth)
    assert answer.status_code == 200 and answer.json() == {"signed_out": True}

    for device, tab in ((laptop, laptop_tab), (phone, phone_tab)):
        assert refuses(requests.get(f"{api}/me", headers=device.auth, timeout=30))
        assert closed_by_server(tab)
        assert socket_refused(local_stack, device)
        assert refuses(post(api, "/auth/refresh", {"refresh_token": device.tokens["refresh_token"]}))
    assert me_status(api, someone_else) == 200 and answers_ping(their_tab)
