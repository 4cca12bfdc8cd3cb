"""On the local stack: SES's mailbox simulator (a complaint, a permanent bounce) answers through
SNS to the app's handler, which marks the address so the next email is not sent, and the person's
account says so; the abuse limits at their real defaults: a caller's 7th ring in a minute and an
address's 4th sign-up in an hour are refused with 429 (Retry-After), changing nothing."""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.support.accounts import SignedIn, new_identity, sign_in, sign_up_and_confirm, sign_up_and_in
from tests.support.calls import Peer
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper
from tests.support.payments import eventually

pytestmark = pytest.mark.integration


def me(api, person):
    answer = requests.get(f"{api}/me", headers=person.auth, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def sign_up_again(api, email):
    """A sign-up with an email that has an account: its owner is emailed (through the mailer)."""
    return requests.post(f"{api}/auth/sign-up", json=new_identity("again") | {"email": email}, timeout=30)


@pytest.mark.parametrize("kind", ["complaint", "bounce"])
def test_the_simulators_feedback_marks_the_address_and_the_next_email_is_not_sent(local_stack, kind):
    api, aws = local_stack["api"], local_stack["aws"]
    address = f"{kind}+{uuid.uuid4().hex[:10]}@simulator.amazonses.com"
    who = new_identity(kind) | {"email": address}
    sign_up_and_confirm(api, who)
    person = sign_in(api, SignedIn(address, who["username"], who["display_name"], who["password"], {}))
    assert me(api, person)["email_undeliverable"] is False

    assert sign_up_again(api, address).status_code == 201
    notices = [m for m in emails_to(aws, address) if "tried to sign up" in (m.get("subject") or "")]
    assert len(notices) == 1  # the first email went
    # SES's notification reached the handler through SNS: the account says so.
    assert eventually(lambda: me(api, person)["email_undeliverable"], timeout=20) is True

    again = sign_up_again(api, address)
    assert again.status_code == 201  # the answer is the same as ever: it tells nothing
    assert len([m for m in emails_to(aws, address) if "tried to sign up" in (m.get("subject") or "")]) == 1


def test_an_addresss_fourth_sign_up_in_an_hour_is_refused_and_sends_nothing(local_stack):
    api, aws = local_stack["api"], local_stack["aws"]
    email = f"limit-{uuid.uuid4().hex[:10]}@example.com"
    sign_up_and_confirm(api, new_identity("limit") | {"email": email})  # 1: the code (Cognito)
    assert sign_up_again(api, email).status_code == 201  # 2: a notice
    assert requests.post(f"{api}/auth/resend-code", json={"email": email}, timeout=30).status_code == 200  # 3
    sent = len(emails_to(aws, email))
    tried = new_identity("fourth") | {"email": email}
    refused = requests.post(f"{api}/auth/sign-up", json=tried, timeout=30)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert refused.json()["error"]["details"]["retry_after"] == int(refused.headers["Retry-After"])
    assert requests.post(f"{api}/auth/resend-code", json={"email": email}, timeout=30).status_code == 429
    assert len(emails_to(aws, email)) == sent
    # nothing was created: the username tried is still free for someone else
    other = new_identity("other") | {"username": tried["username"]}
    assert requests.post(f"{api}/auth/sign-up", json=other, timeout=30).status_code == 201


def _ring_until_refused(local_stack, helper, helper_tab, caller):
    """Rings and cancels until a ring is refused; the rings acknowledged, and the refusal."""
    caller_tab = Peer(local_stack, caller)
    acked = 0
    try:
        for n in range(13):
            caller_tab.send(action="call", helper=helper.username, id=f"ring-{n}")
            answer = caller_tab.wait_for(lambda m, n=n: m.get("id") == f"ring-{n}")
            if answer["type"] == "error":
                return acked, answer
            acked += 1
            call_id = answer["call"]["call_id"]
            helper_tab.call_state("ringing", call_id=call_id)
            caller_tab.send(action="cancel", call_id=call_id, id=f"cancel-{n}")
            assert caller_tab.wait_for(lambda m, n=n: m.get("id") == f"cancel-{n}")["type"] == "ack"
        raise AssertionError("no ring was refused")
    finally:
        caller_tab.close()


def test_a_callers_seventh_ring_in_a_minute_is_refused_with_429(local_stack):
    api = local_stack["api"]
    helper = become_helper(api, "ringlimit")
    helper_tab = Peer(local_stack, helper)
    try:
        for _attempt in range(2):  # a minute may turn during the rings: then once more, a new caller
            started = int(time.time()) // 60
            acked, refusal = _ring_until_refused(local_stack, helper, helper_tab, sign_up_and_in(api, "ringer"))
            if int(time.time()) // 60 == started:
                break
        assert acked == 6
        assert refusal["code"] == "rate_limited" and refusal["status"] == 429
        assert 0 < refusal["retry_after"] <= 60
        # the refused ring rang nobody: the Helper's tab got no seventh ringing call
        helper_tab.send(action="ping", id="after")
        assert helper_tab.wait_for(lambda m: m.get("id") == "after" or (
            m.get("type") == "call" and m["call"]["state"] == "ringing"))["type"] == "pong"
    finally:
        helper_tab.close()


def test_confirming_the_address_lifts_the_mark(local_stack, app_env):
    """A sign-up not yet confirmed whose address is complained about (its owner is told of a second
    sign-up, and complains): confirming it (a code got through) lifts the mark."""
    api = local_stack["api"]
    address = f"complaint+{uuid.uuid4().hex[:10]}@simulator.amazonses.com"
    who = new_identity("pending") | {"email": address}
    assert requests.post(f"{api}/auth/sign-up", json=who, timeout=30).status_code == 201
    assert sign_up_again(api, address).status_code == 201
    assert eventually(lambda: app_env.undeliverable().get(address), timeout=20) is not None
    confirmed = requests.post(f"{api}/auth/confirm", json={"email": address, "code": "123456"}, timeout=30)
    assert confirmed.status_code == 200
    person = sign_in(api, SignedIn(address, who["username"], who["display_name"], who["password"], {}))
    assert me(api, person)["email_undeliverable"] is False
    assert app_env.undeliverable().get(address) is None
