"""The notification centre on the local stack, through a real flow ("Notify me"): a person waits
for two offline Helpers with call alerts on in a browser (a push service on 127.0.0.1) and a tab
open. The first Helper comes online: the notice is at GET /me/notifications, its email is in the
local mailbox with List-Unsubscribe (RFC 8058), the push decrypts to the notice, and the person's
socket gets the `notices` frame. The one-click POST turns "Notify me" emails off: the second
Helper coming online is recorded, framed and pushed, not emailed. Reading all, preferences, and
the routes' refusals."""
from __future__ import annotations

import email
import json
from email import policy

import pytest
import requests
from websockets.sync.client import connect

from tests.support.accounts import sign_up_and_in
from tests.support.calls import Peer
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper, wait_until_online

pytestmark = pytest.mark.integration


def _online(local_stack: dict, helper):
    return connect(local_stack["websocket"], subprotocols=["interkanect", helper.access_token], open_timeout=30)


def _emails(local_stack: dict, person, subject: str) -> list[dict]:
    return [m for m in emails_to(local_stack["aws"], person.email) if subject in (m.get("subject") or "")]


def _listed(api: str, person) -> dict:
    answer = requests.get(f"{api}/me/notifications", headers=person.auth, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_notify_me_alert_is_listed_emailed_with_one_click_pushed_and_framed(local_stack, push_service):
    api = local_stack["api"]
    helpers = [become_helper(api, "noticed") for _ in range(2)]
    names = [requests.get(f"{api}/me/page", headers=h.auth, timeout=30).json()["display_name"] for h in helpers]
    fan = sign_up_and_in(api, "noticer")
    assert _listed(api, fan) == {"notifications": [], "unread": 0, "next": None}
    prefs = requests.get(f"{api}/me/notification-preferences", headers=fan.auth, timeout=30).json()["categories"]
    assert [c["category"] for c in prefs] == ["calls", "payments", "refunds", "reviews", "bookings", "orders",
                                              "events", "alerts"]
    assert next(c for c in prefs if c["category"] == "alerts") | {"description": ""} == {
        "category": "alerts", "label": "Notify me", "description": "", "email": True, "push": True}
    assert requests.put(f"{api}/me/push-subscriptions", json=push_service.new_subscription(), headers=fan.auth,
                        timeout=30).status_code == 200
    for helper in helpers:
        assert requests.put(f"{api}/helpers/{helper.username}/notify-me", headers=fan.auth, timeout=30).ok

    tab = Peer(local_stack, fan)
    try:
        with _online(local_stack, helpers[0]):
            wait_until_online(api, helpers[0].tokens["user_id"])
            frame = tab.wait_for(lambda m: m.get("type") == "notices")
        latest = frame["latest"]
        assert frame["unread"] == 1
        assert (latest["kind"], latest["category"], latest["title"], latest["read"]) == (
            "helper_online", "alerts", f"{names[0]} is online now", False)
        assert latest["url"] == f"/h/{helpers[0].username}"
        listed = _listed(api, fan)
        assert listed == {"notifications": [latest], "unread": 1, "next": None}

        [sent] = _emails(local_stack, fan, f"{names[0]} is online now")
        raw = email.message_from_string(sent["raw_data"], policy=policy.default)
        assert raw["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = raw["List-Unsubscribe"].strip().strip("<>")
        assert link.startswith(f"{local_stack['site']}/api/notifications/unsubscribe?token=")
        assert f"List-Unsubscribe: <{link}>" in sent["raw_data"]  # as it is, not RFC 2047 words
        assert "Stop emails about \u201cNotify me\u201d alerts" in sent["text"]
        assert f"{local_stack['site']}/unsubscribe.html?kind=notices&amp;token=" in sent["html"]

        [pushed] = push_service.wait_for(1)
        payload = json.loads(pushed.plaintext)
        assert (payload["type"], payload["id"], payload["title"]) == ("notice", latest["id"], latest["title"])
        assert payload["url"].endswith(latest["url"]) and pushed.headers["urgency"] == "normal"

        token_query = link.split("?", 1)[1]
        preview = requests.get(f"{api}/notifications/unsubscribe?{token_query}", timeout=30)
        assert preview.json() == {"category": "alerts", "label": "Notify me", "email": True}
        one_click = requests.post(link, data="List-Unsubscribe=One-Click", timeout=30,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert one_click.status_code == 200, one_click.text
        assert one_click.json() == {"category": "alerts", "label": "Notify me", "email": False}
        tampered = requests.post(link[:-3] + "xyz", data="List-Unsubscribe=One-Click", timeout=30,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert tampered.status_code == 400

        with _online(local_stack, helpers[1]):
            wait_until_online(api, helpers[1].tokens["user_id"])
            second = tab.wait_for(lambda m: m.get("type") == "notices" and m["unread"] == 2)
        assert second["latest"]["title"] == f"{names[1]} is online now"
        assert len(push_service.wait_for(2)) == 2  # still pushed
    finally:
        tab.close()
    # the frame goes after the email would have: none was sent
    assert _emails(local_stack, fan, f"{names[1]} is online now") == []
    listed = _listed(api, fan)
    assert [n["title"] for n in listed["notifications"]] == [f"{names[1]} is online now", f"{names[0]} is online now"]
    assert listed["unread"] == 2

    assert requests.post(f"{api}/me/notifications/read", json={}, headers=fan.auth, timeout=30).json() == {
        "unread": 0}
    listed = _listed(api, fan)
    assert listed["unread"] == 0 and [n["read"] for n in listed["notifications"]] == [True, True]
    prefs = requests.get(f"{api}/me/notification-preferences", headers=fan.auth, timeout=30).json()["categories"]
    alerts = next(c for c in prefs if c["category"] == "alerts")
    assert (alerts["email"], alerts["push"]) == (False, True)


def test_preferences_change_partially_and_bad_input_is_a_400(local_stack):
    api = local_stack["api"]
    person = sign_up_and_in(api, "prefs")
    url = f"{api}/me/notification-preferences"
    changed = requests.put(url, json={"categories": {"orders": {"email": False}, "calls": {"push": False}}},
                           headers=person.auth, timeout=30)
    assert changed.status_code == 200, changed.text
    by = {c["category"]: (c["email"], c["push"]) for c in changed.json()["categories"]}
    assert by["orders"] == (False, False) and by["calls"] == (True, False) and by["bookings"] == (True, True)
    for bad in ({"categories": {"sms": {"email": True}}}, {"categories": {"orders": {"email": "no"}}},
                {"categories": {"orders": {"fax": True}}}, {"categories": []}, {}, {"categories": {}, "x": 1}):
        refused = requests.put(url, json=bad, headers=person.auth, timeout=30)
        assert refused.status_code == 400, (bad, refused.text)
    assert requests.get(url, headers=person.auth, timeout=30).json() == changed.json()


def test_the_centre_is_signed_in_only_and_tokens_must_be_the_sites(local_stack):
    api = local_stack["api"]
    for method, path in (("GET", "/me/notifications"), ("POST", "/me/notifications/read"),
                         ("GET", "/me/notification-preferences"), ("PUT", "/me/notification-preferences")):
        assert requests.request(method, f"{api}{path}", json={}, timeout=30).status_code == 401
    for token in ("", "abc.def", "x" * 2000):
        assert requests.get(f"{api}/notifications/unsubscribe", params={"token": token},
                            timeout=30).status_code == 400
    assert requests.post(f"{api}/notifications/unsubscribe", data="List-Unsubscribe=One-Click", timeout=30,
                         headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 400
    person = sign_up_and_in(api, "cursor")
    assert requests.get(f"{api}/me/notifications", params={"cursor": "forged.cursor"}, headers=person.auth,
                        timeout=30).status_code == 400


def test_the_centres_operations_answer_schemathesis_as_the_document_declares(local_stack):
    """schemathesis (its own engine, as tests/integration/test_api_fuzz.py runs it) on this
    part's operations alone, anonymous and signed in: every answer as declared, never a 500."""
    from tests.integration.test_api_fuzz import _fuzz, _verdict

    person = sign_up_and_in(local_stack["api"], "fuzznotice")
    mine = lambda context: "notification" in context.operation.path  # noqa: E731
    for role, headers in (("notices-anonymous", None), ("notices-signed-in", person.auth)):
        run = _fuzz(local_stack, role, headers=headers, only=mine)
        assert len(run.operations) == 6 and run.requests > len(run.operations), run.summary()
        assert not run.failures and not run.errors, _verdict(run)


def test_a_paid_booking_and_its_cancellation_are_notices_of_both_parties(local_stack):
    """The money path (PayPal sandbox): booking and cancelling (refunded at PayPal) go on as
    before, and each email of both parties is also a notice; the Helper's open tab is sent one
    frame per notice; the customer's invitation email carries List-Unsubscribe too."""
    from tests.integration.test_bookings_api import helper_taking_bookings
    from tests.support.bookings import book, free_slots

    api = local_stack["api"]
    helper = helper_taking_bookings(api, fee_policy="half_price")
    customer = sign_up_and_in(api, "noticebooker")
    helper_tab = Peer(local_stack, helper)
    try:
        booking = book(local_stack, customer, helper, free_slots(api, helper, days=14)[-1]["start"])
        assert booking["state"] == "confirmed"
        first = helper_tab.wait_for(lambda m: m.get("type") == "notices")
        assert first["latest"]["category"] == "bookings"
        cancelled = requests.post(f"{api}/bookings/{booking['booking_id']}/cancel", headers=customer.auth,
                                  timeout=30, json={"reason": "Something came up."})
        assert cancelled.status_code == 200 and cancelled.json()["booking"]["state"] == "cancelled"
        second = helper_tab.wait_for(lambda m: m.get("type") == "notices" and m["latest"]["kind"] ==
                                     "booking_cancelled")
        assert second["unread"] == first["unread"] + 1
    finally:
        helper_tab.close()
    path = f"/booking.html?id={booking['booking_id']}"
    for person in (customer, helper):
        listed = _listed(api, person)["notifications"]
        kinds = [n["kind"] for n in listed]
        # Newest first; two notices of the same second may come in either order.
        assert set(kinds) >= {"booking_cancelled"} and kinds[-1] in (
            "booking_confirmed", "booking_requested", "booking_cancelled"), kinds
        assert all(n["url"] == path for n in listed if n["category"] == "bookings")
    [invited] = [m for m in emails_to(local_stack["aws"], customer.email)
                 if m.get("subject", "").startswith("15 minutes with")]
    assert "List-Unsubscribe: <" in invited["raw_data"] and "text/calendar" in invited["raw_data"]
