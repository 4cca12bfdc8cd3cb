"""Call alerts on the local stack: a Helper with no tab open turns them on with a subscription at
a push service on 127.0.0.1; a caller rings; the push service gets the ring, VAPID-signed with
the key `GET /push/key` gives browsers, and decrypts it to the ring's JSON; the Helper opens the
call's link in a tab and answers. Bad subscriptions are 400s; turning alerts off stops them."""
import json

import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.calls import Peer
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper
from tests.support.payments import eventually

pytestmark = pytest.mark.integration


def test_a_ring_reaches_a_helper_with_no_tab_open_and_the_link_answers_it(local_stack, push_service):
    api = local_stack["api"]
    helper = become_helper(api, "pushed")
    caller = sign_up_and_in(api, "pusher")
    public_key = requests.get(f"{api}/push/key", timeout=30).json()["public_key"]
    subscription = {**push_service.new_subscription(), "expirationTime": None}
    subscribed = requests.put(f"{api}/me/push-subscriptions", json=subscription, headers=helper.auth, timeout=30)
    assert subscribed.status_code == 200, subscribed.text
    assert subscribed.json() == {"subscribed": True, "subscriptions": 1}
    # No tab open, alerts on: reachable, and the page offers Call now ("Rings their phone or computer").
    assert _status(api, helper) == "reachable"
    page = requests.get(f"{api}/h/{helper.username}", timeout=30).text
    assert "status-reachable" in page and "Rings their phone or computer" in page
    assert 'data-call-now\n            data-call-helper="%s" disabled>' % helper.username in page

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
    # Offline once the gateway has closed the Helper's tab (the answered call made them busy).
    assert eventually(lambda: _status(api, helper) == "offline")


def _status(api, person):
    answer = requests.get(f"{api}/presence", params={"users": person.tokens["user_id"]}, timeout=30)
    return answer.json()["statuses"][person.tokens["user_id"]]


def test_a_ring_nobody_answers_is_pushed_then_emailed_as_a_missed_call(local_stack, push_service, app_env,
                                                                       monkeypatch):
    from chalicelib.services.calls import sweep_calls

    # This process sweeps as the stack's jobs do: with the stack's VAPID key (push on).
    secrets = app_env.aws_client("secretsmanager")
    monkeypatch.setenv("IK_VAPID_SECRET_ARN", secrets.describe_secret(SecretId="interkanect/vapid-private-key")["ARN"])
    app_env.reset()
    api = local_stack["api"]
    helper = become_helper(api, "missed")
    caller = sign_up_and_in(api, "misser")
    requests.put(f"{api}/me/push-subscriptions", json=push_service.new_subscription(), headers=helper.auth,
                 timeout=30).raise_for_status()
    caller_tab = Peer(local_stack, caller)
    try:
        call = caller_tab.ring(helper)
        [received] = push_service.wait_for(1)
        assert json.loads(received.plaintext)["call_id"] == call["call_id"]
        assert sweep_calls(desk=app_env.call_desk(), now=call["state_deadline"] + 1) >= 1
        assert caller_tab.call_state("ended", call_id=call["call_id"])["end_reason"] == "missed"
    finally:
        caller_tab.close()
    [email] = [m for m in emails_to(local_stack["aws"], helper.email) if "missed a call" in (m.get("subject") or "")]
    assert email["subject"] == f"You missed a call from {caller.display_name}"
    assert "Call alerts are on in 1 of your browsers" in (email.get("text") or email.get("body") or "")


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


def test_signing_out_everywhere_turns_alerts_off_in_every_browser(local_stack, push_service, app_env):
    api = local_stack["api"]
    person, other = sign_up_and_in(api, "everywhere"), sign_up_and_in(api, "elsewhere")
    for who in (person, person, other):
        assert requests.put(f"{api}/me/push-subscriptions", json=push_service.new_subscription(),
                            headers=who.auth, timeout=30).status_code == 200
    user_id, other_id = (requests.get(f"{api}/me", headers=who.auth, timeout=30).json()["user_id"]
                         for who in (person, other))
    subscriptions = app_env.push_desk().subscriptions
    assert len(subscriptions.for_user(user_id)) == 2
    assert requests.post(f"{api}/auth/sign-out-everywhere", headers=person.auth, json={}, timeout=30).ok
    assert subscriptions.for_user(user_id) == []
    assert len(subscriptions.for_user(other_id)) == 1  # nobody else's
