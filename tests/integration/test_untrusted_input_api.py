"""The classes of input that once reached a 500, sent to the local stack's REST API: each is a 4xx
JSON error naming what was wrong, and changes nothing."""
import base64
import json
import re

import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.pages import become_helper, page_fields
from tests.support.payments import ops_person

pytestmark = pytest.mark.integration

DEEP = b"[" * 50_000 + b"]" * 50_000


def routes_with_a_body():
    from app import app

    for path, methods in app.routes.items():
        for method in methods:
            if method in ("POST", "PUT", "PATCH"):
                yield method, re.sub(r"\{[^}]+\}", "x", path)


@pytest.fixture(scope="module")
def helper(local_stack):
    return become_helper(local_stack["api"], "hardened", categories=("plumbing",))


def refused(answer, status=400, field=None):
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    if field is not None:
        assert error.get("field") == field, error
    return error


@pytest.mark.parametrize("method, path", sorted(set(routes_with_a_body())))
def test_a_body_nested_50000_deep_is_never_a_server_error_on_any_route_signed_in_or_not(local_stack, method, path):
    """A route that reads a body refuses it (4xx); one that takes none (sign out everywhere) may
    ignore it. A signed-in person of their own: some of these routes end their session."""
    person = become_helper(local_stack["api"], "nested")
    for headers in ({}, person.auth):
        answer = requests.request(method, f"{local_stack['api']}{path}", data=DEEP, timeout=60,
                                  headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code < 500, (method, path, answer.status_code, answer.text[:200])
        assert answer.headers["Content-Type"].startswith("application/json")
        if answer.status_code == 400:
            assert answer.json()["error"]["code"] == "invalid_input"


def test_a_time_zone_that_is_a_tzdata_folder_is_a_400(local_stack, helper):
    answer = requests.put(f"{local_stack['api']}/me/page", json=page_fields(time_zone="America/Argentina"),
                          headers=helper.auth, timeout=30)
    refused(answer, field="time_zone")


def test_a_link_that_urlsplit_cannot_read_is_a_400(local_stack, helper):
    answer = requests.put(f"{local_stack['api']}/me/page", headers=helper.auth, timeout=30,
                          json=page_fields(links=[{"label": "Mine", "url": "http://[abc"}]))
    refused(answer, field="links.0.url")


@pytest.mark.parametrize("prices, field", [({"15": True}, "prices.15"), ({"15": "2500"}, "prices.15"),
                                            ({"30": 4000.0}, "prices.30"), ({"60": 100_000_00}, "prices.60")])
def test_prices_are_strict_integers_under_the_ceiling(local_stack, helper, prices, field):
    api = local_stack["api"]
    answer = requests.put(f"{api}/me/page", json=page_fields(prices=prices), headers=helper.auth, timeout=30)
    refused(answer, field=field)
    page = requests.get(f"{api}/me/page", headers=helper.auth, timeout=30).json()
    assert page["prices"] == {"15": 1500, "30": 0, "60": None}  # unchanged


@pytest.mark.parametrize("cursor", [
    base64.urlsafe_b64encode(b'{"category":"home"}').decode().rstrip("="),  # once a 500
    base64.urlsafe_b64encode(json.dumps({"category": "plumbing", "user_id": "x", "rank": "0"}).encode()).decode(),
    "not a cursor", "a.b", "." * 900])
def test_a_hand_made_directory_cursor_is_a_400(local_stack, helper, cursor):
    answer = requests.get(f"{local_stack['api']}/categories/plumbing", params={"cursor": cursor}, timeout=30)
    refused(answer, field="cursor")


def test_a_cursor_pages_on_but_only_in_its_own_category(local_stack):
    api = local_stack["api"]
    for _ in range(2):
        become_helper(api, "paged", categories=("plumbing", "cooking"))
    first = requests.get(f"{api}/categories/plumbing", params={"limit": 1}, timeout=30).json()
    assert first["next_cursor"]
    following = requests.get(f"{api}/categories/plumbing", params={"limit": 1, "cursor": first["next_cursor"]},
                             timeout=30)
    assert following.status_code == 200 and following.json()["helpers"] != first["helpers"]
    elsewhere = requests.get(f"{api}/categories/cooking", params={"cursor": first["next_cursor"]}, timeout=30)
    refused(elsewhere, field="cursor")


@pytest.mark.parametrize("position", [True, 1.5, "2"])
def test_an_ops_category_position_is_a_whole_number(local_stack, position):
    ops = ops_person(local_stack)
    answer = requests.put(f"{local_stack['api']}/ops/categories/hardening-{len(str(position))}", headers=ops.auth,
                          json={"name": "Hardening", "banner": "b", "position": position}, timeout=30)
    refused(answer, field="position")


def test_a_customer_cannot_be_charged_through_a_loose_tip(local_stack):
    customer = sign_up_and_in(local_stack["api"], "tipper")
    answer = requests.post(f"{local_stack['api']}/calls/x/tips", json={"amount_cents": "500"}, headers=customer.auth,
                           timeout=30)
    assert 400 <= answer.status_code < 500
