"""Web Push: subscriptions checked strictly; a ring pushed to the Helper's browsers only when no
tab of theirs is open, with TTL, Urgency and a per-call Topic; a gone subscription removed; a
failing push never fails the call; and the payload pywebpush encrypts decrypts, at a push service
on 127.0.0.1, to the ring's JSON."""
from __future__ import annotations

import dataclasses
import json

import pytest

from chalicelib.adapters.push import (InMemoryPushSubscriptionStore, RecordingPushSender, WebPushSender,
                                      new_vapid_private_key, vapid_public_key)
from chalicelib.domain import push as rules
from chalicelib.domain.errors import Conflict, InvalidInput, ServiceUnavailable
from chalicelib.services import calls, push
from chalicelib.services.push import PushDesk
from tests.support.push_service import serve
from tests.support.twins import CALLER, HELPER, call_desk_twin

NOW = 1_800_000_000
KEY = "BLlMwmZo6QwbVIA4q_4i1vPiLmwS1dp5EMcj0NIcrrZN-G87K3yEFnflKntH1jC0jrJsVHB-ns9tMS1HEWGCR2o"
AUTH = "AAAAAAAAAAAAAAAAAAAAAA"
ENDPOINT = "https://push.example.com/send/abc"


def _push_desk(sender=None, *, limit=10, allow_local=False) -> PushDesk:
    return PushDesk(subscriptions=InMemoryPushSubscriptionStore(),
                    sender=sender if sender is not None else RecordingPushSender(),
                    public_key=lambda: "public", site_url="https://ik.example", allow_local_endpoints=allow_local,
                    limit=limit)


def _desks(*, helper_tab: bool):
    desk = call_desk_twin(now=NOW)
    if not helper_tab:
        desk.connections.remove("c-helper")
    pushing = _push_desk()
    return dataclasses.replace(desk, push=lambda: pushing), pushing


@pytest.mark.parametrize("endpoint,allow_local", [
    ("http://push.example.com/x", False), ("ftp://push.example.com/x", False), ("https:///x", False),
    ("https://user:pw@push.example.com/x", False), ("http://127.0.0.1:9999/x", False),
    ("http://localhost:9999/x", True), ("https://push.example.com/" + "a" * 2100, False)])
def test_an_endpoint_that_is_not_an_https_push_service_is_refused(endpoint, allow_local):
    with pytest.raises(InvalidInput) as refused:
        rules.check_subscription(endpoint, KEY, AUTH, allow_local=allow_local)
    assert refused.value.field == "endpoint"


def test_http_on_127_0_0_1_only_when_the_settings_say_local():
    rules.check_subscription("http://127.0.0.1:9999/push/x", KEY, AUTH, allow_local=True)
    rules.check_subscription(ENDPOINT, KEY, AUTH, allow_local=False)


@pytest.mark.parametrize("p256dh,auth,field", [
    ("not-a-key", AUTH, "keys.p256dh"), (KEY[:-4], AUTH, "keys.p256dh"), ("C" + KEY[1:], AUTH, "keys.p256dh"),
    (KEY, "short", "keys.auth"), (KEY, "%%%%", "keys.auth")])
def test_keys_must_be_a_p256_point_and_a_16_byte_secret(p256dh, auth, field):
    with pytest.raises(InvalidInput) as refused:
        rules.check_subscription(ENDPOINT, p256dh, auth, allow_local=False)
    assert refused.value.field == field


def test_subscribing_keeps_one_per_endpoint_up_to_the_limit_and_unsubscribing_twice_is_harmless():
    desk = _push_desk(limit=2)
    push.subscribe(user_id=HELPER, endpoint=ENDPOINT, p256dh=KEY, auth=AUTH, desk=desk, now=NOW)
    assert push.subscribe(user_id=HELPER, endpoint=ENDPOINT, p256dh=KEY, auth=AUTH, desk=desk, now=NOW) == {
        "subscribed": True, "subscriptions": 1}
    push.subscribe(user_id=HELPER, endpoint=ENDPOINT + "2", p256dh=KEY, auth=AUTH, desk=desk, now=NOW)
    with pytest.raises(Conflict):
        push.subscribe(user_id=HELPER, endpoint=ENDPOINT + "3", p256dh=KEY, auth=AUTH, desk=desk, now=NOW)
    assert len(desk.subscriptions.for_user(HELPER)) == 2
    push.subscribe(user_id=CALLER, endpoint=ENDPOINT + "3", p256dh=KEY, auth=AUTH, desk=desk, now=NOW)  # per person
    assert push.unsubscribe(user_id=HELPER, endpoint=ENDPOINT, desk=desk)["subscriptions"] == 1
    assert push.unsubscribe(user_id=HELPER, endpoint=ENDPOINT, desk=desk)["subscriptions"] == 1


def test_without_a_vapid_key_push_is_off_and_says_so():
    desk = dataclasses.replace(_push_desk(), sender=None, public_key=lambda: None)
    with pytest.raises(ServiceUnavailable):
        push.public_key(desk=desk)
    with pytest.raises(ServiceUnavailable):
        push.subscribe(user_id=HELPER, endpoint=ENDPOINT, p256dh=KEY, auth=AUTH, desk=desk, now=NOW)
    assert push.push_ring(helper_id=HELPER, call_id="c", caller_name="Bob", expires_at=None, desk=desk) == 0


def test_a_ring_is_pushed_when_the_helper_has_no_tab_open():
    desk, pushing = _desks(helper_tab=False)
    push.subscribe(user_id=HELPER, endpoint=ENDPOINT, p256dh=KEY, auth=AUTH, desk=pushing, now=NOW)
    call = calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk,
                            now=NOW, new_id=lambda: "0123456789abcdef0123456789abcdef")
    [sent] = pushing.sender.sent
    assert (sent.ttl, sent.urgency, sent.topic) == (30, "high", call.call_id)
    assert json.loads(sent.data) == {"type": "ring", "call_id": call.call_id, "caller": "Bob",
                                     "url": f"https://ik.example/call.html?call={call.call_id}&answer=1",
                                     "expires_at": call.state_deadline}


def test_no_push_while_a_tab_is_open():
    desk, pushing = _desks(helper_tab=True)
    push.subscribe(user_id=HELPER, endpoint=ENDPOINT, p256dh=KEY, auth=AUTH, desk=pushing, now=NOW)
    calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=NOW)
    assert pushing.sender.sent == []


def test_a_tab_that_is_gone_is_forgotten_and_the_ring_is_pushed():
    desk, pushing = _desks(helper_tab=True)
    desk.sender.gone.add("c-helper")  # the laptop slept: the socket is on record, but gone
    push.subscribe(user_id=HELPER, endpoint=ENDPOINT, p256dh=KEY, auth=AUTH, desk=pushing, now=NOW)
    calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=NOW)
    assert len(pushing.sender.sent) == 1


def test_with_no_tab_and_no_subscription_the_helper_is_offline():
    desk, _ = _desks(helper_tab=False)
    with pytest.raises(InvalidInput, match="offline"):
        calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=NOW)


def test_a_subscription_the_push_service_calls_gone_is_removed_and_others_still_get_the_ring():
    desk, pushing = _desks(helper_tab=False)
    for endpoint in (ENDPOINT + "/gone", ENDPOINT + "/lost", ENDPOINT + "/down", ENDPOINT):
        push.subscribe(user_id=HELPER, endpoint=endpoint, p256dh=KEY, auth=AUTH, desk=pushing, now=NOW)
    pushing.sender.statuses.update({ENDPOINT + "/gone": 410, ENDPOINT + "/lost": 404})
    pushing.sender.failing[ENDPOINT + "/down"] = ConnectionError("unreachable")
    call = calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk,
                            now=NOW)
    assert call.state.value == "ringing"
    assert sorted(s.endpoint for s in pushing.subscriptions.for_user(HELPER)) == [ENDPOINT, ENDPOINT + "/down"]
    assert len(pushing.sender.sent) == 3


def test_a_push_desk_that_cannot_be_built_never_fails_the_call():
    desk = call_desk_twin(now=NOW)
    desk.sender.gone.add("c-helper")

    def broken():
        raise RuntimeError("secret unreadable")

    call = calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada",
                            desk=dataclasses.replace(desk, push=broken), now=NOW)
    assert call.state.value == "ringing"


def test_the_topic_is_at_most_32_base64url_characters():
    assert rules.topic_for("0123456789abcdef0123456789abcdef") == "0123456789abcdef0123456789abcdef"
    long = rules.topic_for("a call id with spaces and far more than thirty-two characters")
    assert len(long) == 32 and all(c.isalnum() or c in "-_" for c in long)


def test_the_payload_pywebpush_encrypts_decrypts_at_a_local_push_service():
    service, server = serve()
    try:
        private = new_vapid_private_key()
        subscription = service.new_subscription()
        pushing = PushDesk(subscriptions=InMemoryPushSubscriptionStore(),
                           sender=WebPushSender(private, "mailto:support@interkanect.local"),
                           public_key=lambda: vapid_public_key(private), site_url="https://ik.example",
                           allow_local_endpoints=True)
        push.subscribe(user_id=HELPER, endpoint=subscription["endpoint"], desk=pushing, now=NOW,
                       **subscription["keys"])
        gone = service.new_subscription()
        service.statuses[gone["endpoint"][len(service.base_url):]] = 410
        push.subscribe(user_id=HELPER, endpoint=gone["endpoint"], desk=pushing, now=NOW, **gone["keys"])
        assert push.push_ring(helper_id=HELPER, call_id="c1", caller_name="Bob «B» Smith", expires_at=NOW + 45,
                              desk=pushing) == 1
        received = {r.path: r for r in service.wait_for(2)}
        got = received[subscription["endpoint"][len(service.base_url):]]
        assert json.loads(got.plaintext) == {"type": "ring", "call_id": "c1", "caller": "Bob «B» Smith",
                                             "url": "https://ik.example/call.html?call=c1&answer=1",
                                             "expires_at": NOW + 45}
        assert (got.headers["ttl"], got.headers["urgency"], got.headers["topic"]) == ("30", "high", "c1")
        assert got.headers["content-encoding"] == "aes128gcm"
        assert got.vapid_claims["k"] == vapid_public_key(private)  # signed with the key the browser has
        assert got.vapid_claims["aud"] == service.base_url
        assert got.vapid_claims["sub"] == "mailto:support@interkanect.local"
        assert [s.endpoint for s in pushing.subscriptions.for_user(HELPER)] == [subscription["endpoint"]]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("placeholder", ["", "q8ZyU1xwJ3bT4mVd", "not base64!", "A" * 43])
def test_a_vapid_secret_that_is_not_a_key_turns_push_off(monkeypatch, placeholder):
    from chalicelib import deps

    monkeypatch.delenv("IK_VAPID_SECRET_ARN", raising=False)
    monkeypatch.setenv("IK_VAPID_PRIVATE_KEY", placeholder)
    deps.reset()
    try:
        assert deps.vapid_private_key() == "" and deps.vapid_public_key() is None
    finally:
        deps.reset()


def test_a_vapid_key_from_the_settings_gives_its_public_key(monkeypatch):
    from chalicelib import deps

    private = new_vapid_private_key()
    monkeypatch.delenv("IK_VAPID_SECRET_ARN", raising=False)
    monkeypatch.setenv("IK_VAPID_PRIVATE_KEY", private)
    deps.reset()
    try:
        assert deps.vapid_public_key() == vapid_public_key(private)
    finally:
        deps.reset()


def _missed_call_desk(*, helper_tab: bool):
    from types import SimpleNamespace

    from chalicelib.adapters.mailer import InMemoryMailer
    from chalicelib.settings import Settings

    desk, pushing = _desks(helper_tab=helper_tab)
    mailer = InMemoryMailer()
    emails = SimpleNamespace(accounts=desk.accounts, mailer=mailer,
                             settings=Settings(site_url="https://ik.example", support_email="help@ik.example"))
    return dataclasses.replace(desk, missed_call_emails=lambda: emails), pushing, mailer


def test_a_call_that_rings_out_is_emailed_to_the_helper_once():
    desk, pushing, mailer = _missed_call_desk(helper_tab=False)
    push.subscribe(user_id=HELPER, endpoint=ENDPOINT, p256dh=KEY, auth=AUTH, desk=pushing, now=NOW)
    call = calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk,
                            now=NOW)
    assert calls.sweep_calls(desk=desk, now=call.state_deadline + 1) == 1
    assert calls.sweep_calls(desk=desk, now=call.state_deadline + 61) == 0
    [email] = mailer.sent
    assert email.to == f"{HELPER}@example.com"
    assert email.subject == "You missed a call from Bob"
    assert "Call alerts are on in 1 of your browsers" in email.text
    assert "(UTC)" in email.text


def test_an_answered_declined_or_cancelled_call_is_not_emailed():
    for action, user in (("answer", HELPER), ("decline", HELPER), ("cancel", CALLER)):
        desk, _, mailer = _missed_call_desk(helper_tab=True)
        call = calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk,
                                now=NOW)
        calls.act(action=action, call_id=call.call_id, user_id=user, message={}, desk=desk, now=NOW + 1,
                  connection_id="c-helper" if user == HELPER else "c-caller")
        calls.sweep_calls(desk=desk, now=call.state_deadline + 1)
        assert mailer.sent == [], action


def test_a_failing_mailer_never_fails_the_sweep():
    desk, _, mailer = _missed_call_desk(helper_tab=True)

    def broken(email):
        raise RuntimeError("SES down")

    mailer.send = broken
    call = calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=NOW)
    assert calls.sweep_calls(desk=desk, now=call.state_deadline + 1) == 1
    assert desk.calls.get(call.call_id).end_reason.value == "missed"


def test_signing_out_everywhere_forgets_every_browser_of_the_person_only():
    desk = _push_desk()
    for n in range(3):
        push.subscribe(user_id=HELPER, endpoint=f"{ENDPOINT}/{n}", p256dh=KEY, auth=AUTH, desk=desk, now=NOW)
    push.subscribe(user_id=CALLER, endpoint=ENDPOINT, p256dh=KEY, auth=AUTH, desk=desk, now=NOW)
    assert push.forget_everywhere(HELPER, desk=lambda: desk) == 3
    assert desk.subscriptions.for_user(HELPER) == [] and len(desk.subscriptions.for_user(CALLER)) == 1

    def broken():
        raise RuntimeError("secret unreadable")

    assert push.forget_everywhere(HELPER, desk=broken) == 0  # never fails the sign-out
