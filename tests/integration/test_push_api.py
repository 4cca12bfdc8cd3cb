"""Call alerts on the local stack: a Helper with no tab open turns them on with a subscription at
a push service on 127.0.0.1; a caller rings; the push service gets the ring, VAPID-signed with
the key `GET /push/key` gives browsers, and decrypts it to the ring's JSON; the Helper opens the
call's link in a tab and answers. Bad subscriptions are 400s; turning alerts off stops them."""
import json

import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.calls import Peer
from tests.support.pages import become_helper
from tests.support.push_service import serve

pytestmark = pytest.mark.integration


@pytest.fixture
def push_service():
    service, server = serve()
    yield service
    server.shutdown()
    server.server_close()


def test_a_ring_reaches_a_helper_with_no_tab_open_and_the_link_answers_it(local_stack, push_service):
    api = local_stack["api"]
    helper = become_helper(api, "pushed")
    caller = sign_up_and_in(api, "pusher")
    public_key = requests.get(f"{api}/push/key", timeout=30).json()["public_key"]
    subscription = {**push_service.new_subscription(), "expirationTime": None}
    subscribed = requests.put(f"{api}/me/push-subscriptions", json=subscription, headers=helper.auth, timeout=30)
    assert subscribed.status_code == 200, subscribed.text
    assert subscribed.json() == {"subscribed": True, "subscriptions": 1}

    caller_tab = Peer(local_stack, caller)
    try:
        call = caller_tab.ring(helper)  # no tab of the Helper's is open: without push this is "offline"
        [received] = push_service.wait_for(1)
        ring = json.loads(received.plaintext)
        assert ring["type"] == "ring" and ring["call_id"] == call["call_id"]
        assert ring["caller"] == caller.display_name
        assert ring["url"].endswith(f"/call.html?call={call['call_id']}&answer=1")
        assert (received.headers["ttl"], received.headers["urgency"], received.headers["topic"]) == (
            "30", "high", call["call_id"])
        assert received.vapid_claims["k"] == public_key

        helper_tab = Peer(local_stack, helper)  # the notification's link opened the call room
        try:
            helper_tab.send(action="answer", call_id=call["call_id"])
            assert caller_tab.call_state("negotiating", call_id=call["call_id"])
        finally:
            helper_tab.close()
    finally:
        caller_tab.close()

    off = requests.delete(f"{api}/me/push-subscriptions", json={"endpoint": subscription["endpoint"]},
                          headers=helper.auth, timeout=30)
    assert off.json() == {"subscribed": False, "subscriptions": 0}


@pytest.mark.parametrize("change", [
    {"endpoint": "http://push.example.com/x"}, {"endpoint": "javascript:alert(1)"},
    {"keys": {"p256dh": "nope", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, {"keys": {"p256dh": "x"}},
    {"extra": 1}, {"endpoint": 5}])
def test_a_bad_subscription_is_a_400_and_changes_nothing(local_stack, push_service, change):
    api = local_stack["api"]
    person = sign_up_and_in(api, "badpush")
    body = {**push_service.new_subscription(), **change}
    refused = requests.put(f"{api}/me/push-subscriptions", json=body, headers=person.auth, timeout=30)
    assert refused.status_code == 400, refused.text
    assert requests.delete(f"{api}/me/push-subscriptions", json={"endpoint": body["endpoint"]}
                           if isinstance(body["endpoint"], str) else {"endpoint": "https://x.example/"},
                           headers=person.auth, timeout=30).json()["subscriptions"] == 0
