"""Helper pages made through the real API, for integration and browser tests."""
from __future__ import annotations

import time

import requests

from tests.support.accounts import SignedIn, sign_up_and_in


def page_fields(**changes) -> dict:
    fields = {
        "headline": "Plumber with twenty years of leaks behind me",
        "offer": "I fix **leaks**, drains and taps. Ask me about [boilers](https://example.com/boilers).",
        "qualifications": "Licensed master plumber",
        "languages": ["en", "pt-BR"],
        "time_zone": "Europe/Paris",
        "prices": {"15": 1500, "30": 0, "60": None},
        "schedule": [{"day": 0, "start": "09:00", "end": "12:00"}, {"day": 4, "start": "14:00", "end": "18:30"}],
        "links": [{"label": "My site", "url": "https://example.com"}],
    }
    fields.update(changes)
    return fields


def become_helper(api: str, prefix: str = "helper", categories: tuple[str, ...] = (), **changes) -> SignedIn:
    helper = sign_up_and_in(api, prefix)
    answer = requests.put(f"{api}/me/page", json=page_fields(**changes), headers=helper.auth, timeout=30)
    assert answer.status_code == 201, answer.text
    helper.tokens["user_id"] = answer.json()["user_id"]
    for slug in categories:
        joined = requests.post(f"{api}/categories/{slug}/helpers", headers=helper.auth, timeout=30)
        assert joined.status_code == 200, joined.text
    return helper


def open_storefront(api: str, helper: SignedIn, paypal_email: str | None = None) -> dict:
    """The Helper's storefront with the PayPal email payouts go to (paid sessions need it)."""
    email = paypal_email or f"payouts-{helper.username}@example.com"
    answer = requests.put(f"{api}/me/storefront", json={"paypal_email": email}, headers=helper.auth, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def wait_until_online(api: str, user_id: str, timeout: float = 20) -> None:
    """Waits until the directory shows `user_id` online (their tab's socket is registered)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = requests.get(f"{api}/presence", params={"users": user_id}, timeout=10).json()["statuses"]
        if statuses.get(user_id) == "online":
            return
        time.sleep(0.25)
    raise AssertionError("the Helper never showed as online")
