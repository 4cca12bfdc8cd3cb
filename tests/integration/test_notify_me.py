""""Notify me when available" on the local stack: a customer waits for an offline Helper; the
Helper coming online (their socket opens) sends one email, not a second one that day; the Helper
sees how many wait; someone waiting can stop; a Helper online now cannot be waited for."""
from __future__ import annotations

import time

import pytest
import requests
from websockets.sync.client import connect

from tests.support.accounts import sign_up_and_in
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper, wait_until_online

pytestmark = pytest.mark.integration


def told(local_stack: dict, person, helper_name: str, *, at_least: int = 1, timeout: float = 20) -> list[dict]:
    """The 'is online now' emails `person` got, once there are `at_least` (the email goes out as
    the Helper's socket opens)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in emails_to(local_stack["aws"], person.email)
                 if f"{helper_name} is online now" in m["subject"]]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def online(local_stack: dict, helper):
    return connect(local_stack["websocket"], subprotocols=["interkanect", helper.access_token], open_timeout=30)


def test_waiting_people_are_told_once_when_the_helper_comes_online(local_stack):
    api = local_stack["api"]
    helper = become_helper(api, "awaited")
    name = requests.get(f"{api}/me/page", headers=helper.auth, timeout=30).json()["display_name"]
    fans = [sign_up_and_in(api, "fan") for _ in range(2)]
    for fan in fans:
        answer = requests.put(f"{api}/helpers/{helper.username}/notify-me", headers=fan.auth, timeout=30)
        assert answer.status_code == 200 and answer.json() == {"waiting": True}
    assert requests.get(f"{api}/me/waiting", headers=helper.auth, timeout=30).json() == {"count": 2}
    quitter = sign_up_and_in(api, "quitter")
    requests.put(f"{api}/helpers/{helper.username}/notify-me", headers=quitter.auth, timeout=30)
    stopped = requests.delete(f"{api}/helpers/{helper.username}/notify-me", headers=quitter.auth, timeout=30)
    assert stopped.json() == {"waiting": False}

    with online(local_stack, helper):
        wait_until_online(api, helper.tokens["user_id"])
        for fan in fans:
            [email] = told(local_stack, fan, name)
            assert f"/h/{helper.username}" in email["text"]
        assert requests.get(f"{api}/me/waiting", headers=helper.auth, timeout=30).json() == {"count": 0}
        # online now: nobody can wait for them
        again = requests.put(f"{api}/helpers/{helper.username}/notify-me", headers=fans[0].auth, timeout=30)
        assert again.status_code == 409
    assert told(local_stack, quitter, name, timeout=0) == []

    # offline again; asked again, and a newcomer asks; online again the same day: the newcomer is
    # told (in the same pass as everyone waiting), the one told today is not told again
    newcomer = sign_up_and_in(api, "newcomer")
    for person in (fans[0], newcomer):
        requests.put(f"{api}/helpers/{helper.username}/notify-me", headers=person.auth, timeout=30)
    with online(local_stack, helper):
        wait_until_online(api, helper.tokens["user_id"])
        assert len(told(local_stack, newcomer, name)) == 1
    assert len(told(local_stack, fans[0], name, timeout=0)) == 1


def test_a_helper_cannot_wait_for_themselves_and_strangers_get_404(local_stack):
    api = local_stack["api"]
    helper = become_helper(api, "selfish")
    assert requests.put(f"{api}/helpers/{helper.username}/notify-me", headers=helper.auth, timeout=30).status_code \
        == 409
    fan = sign_up_and_in(api, "fan")
    assert requests.put(f"{api}/helpers/nobody-{time.time_ns()}/notify-me", headers=fan.auth,
                        timeout=30).status_code == 404
