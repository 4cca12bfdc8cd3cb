"""The moderation queue in the browser and over HTTP, for tests of any kind of reported thing."""
from __future__ import annotations

import re

import requests
from playwright.sync_api import Locator, Page, expect


def report(api: str, person, kind: str, subject_id: str, reason: str, note: str = "") -> None:
    """`person` reports the thing (POST /reports): it must be new (201)."""
    answer = requests.post(f"{api}/reports", json={"kind": kind, "id": subject_id, "reason": reason, "note": note},
                           headers=person.auth, timeout=30)
    assert answer.status_code == 201, answer.text


def decide(api: str, ops, kind: str, subject_id: str, decision: str, note: str = "") -> dict:
    answer = requests.post(f"{api}/ops/moderation/decision", headers=ops.auth, timeout=30,
                           json={"kind": kind, "id": subject_id, "decision": decision, "note": note})
    assert answer.status_code == 200, answer.text
    return answer.json()


def queued(api: str, ops) -> set[str]:
    """Every subject (`<kind>:<id>`) waiting in the queue."""
    subjects, cursor = set(), None
    while True:
        page = requests.get(f"{api}/ops/moderation", headers=ops.auth, timeout=30,
                            params={"limit": 50, **({"cursor": cursor} if cursor else {})}).json()
        subjects |= {item["subject"] for item in page["items"]}
        cursor = page["next_cursor"]
        if not cursor:
            return subjects


def case_of(page: Page, subject: str) -> Locator:
    """The thing's card on /ops-reviews.html, paging through older ones (other tests' on a shared
    stack) first."""
    expect(page.locator("[data-ops-status]")).not_to_have_text(re.compile("Loading"))
    card = page.locator(f"[data-testid='ops-case'][data-subject='{subject}']")
    more = page.get_by_role("button", name="Show more", exact=True)
    while card.count() == 0 and more.is_visible():
        more.click()
        expect(more).to_have_text("Show more")
    return card
