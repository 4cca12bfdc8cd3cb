"""Disqualifying and restoring a Helper on the whole local stack, on a stack of its own (the payout
job pays every payable Helper): Ada, listed in a category, found by search, selling a guide in the
Marketplace, with money payable from a paid session and a paid booking ahead through the PayPal
sandbox, is disqualified by ops. Her page answers 404, she is in no listing, search or Marketplace,
a call to her is refused, checkout refuses her guide, the booking is refunded in full at PayPal,
she finds the email in the local mailbox and the payout run holds her money. Restored, she is back
everywhere and the next payout run pays her."""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.bookings import book, free_slots
from tests.support.calls import Peer
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import ops_person, paid_call_that_ended
from tests.support.stack import deps_pointed_at, stack_without_payout_job
from tests.support.store import digital_product

pytestmark = pytest.mark.integration
ALL_WEEK = [{"day": day, "start": "00:00", "end": "24:00"} for day in range(7)]
REASON = "Hosted free sessions excessively, after two warnings."


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    yield from stack_without_payout_job(tmp_path_factory, "standing")


@pytest.fixture
def deps_of(own_stack, monkeypatch):
    yield from deps_pointed_at(own_stack, monkeypatch)


def listed(api: str, slug: str) -> list[str]:
    return [h["username"] for h in requests.get(f"{api}/categories/{slug}", timeout=30).json()["helpers"]]


def found(api: str, word: str) -> list[str]:
    return [h["username"] for h in requests.get(f"{api}/search", params={"q": word}, timeout=30).json()["helpers"]]


def on_sale(api: str, word: str, site: str | None = None) -> list[str]:
    """The Marketplace's products matching `word`: its JSON, and (with `site`) the same in its page."""
    answer = requests.get(f"{api}/marketplace/products", params={"q": word}, timeout=30)
    assert answer.status_code == 200, answer.text
    slugs = [p["slug"] for p in answer.json()["products"]]
    if site is not None:
        page = requests.get(f"{site}/marketplace", params={"q": word}, timeout=30)
        assert page.status_code == 200
        assert all(f"/store/{slug}" in page.text for slug in slugs) and (f"Guide {word}" in page.text) == bool(slugs)
    return slugs


def test_a_disqualified_helper_is_hidden_refunded_and_held_then_restored(own_stack, deps_of):
    from chalicelib.domain import ledger as books
    from chalicelib.domain.payout_schedule import next_run_start
    from chalicelib.services.payouts import run_payouts

    api, site = own_stack["api"], own_stack["site"]
    word = f"zq{uuid.uuid4().hex[:8]}"
    slug = requests.get(f"{api}/categories", timeout=30).json()["categories"][0]["slug"]
    ada = become_helper(api, "dq", categories=(slug,), headline=f"Plumber {word}", schedule=ALL_WEEK)
    open_storefront(api, ada)
    ada_id = ada.tokens["user_id"]
    bea = become_helper(api, "kept")
    open_storefront(api, bea)
    customer = sign_up_and_in(api, "dqcustomer")
    guide, _ = digital_product(api, ada, title=f"Guide {word}", pictures=0)
    rules = requests.put(f"{api}/me/booking-rules", headers=ada.auth, timeout=30,
                         json={"lengths": [15], "notice_minutes": 0})
    assert rules.status_code == 200, rules.text
    booking = book(own_stack, customer, ada, free_slots(api, ada, days=14)[-1]["start"])
    assert (booking["state"], booking["price_cents"]) == ("confirmed", 1500)
    paid_call_that_ended(own_stack, ada, customer, price_cents=2500)
    paid_call_that_ended(own_stack, bea, customer, price_cents=1000)
    ended = int(time.time())
    assert requests.get(f"{site}/h/{ada.username}", timeout=30).status_code == 200
    assert ada.username in listed(api, slug) and found(api, word) == [ada.username]
    assert on_sale(api, word, site) == [guide["slug"]]

    ops = ops_person(own_stack, "dqops")
    refused = requests.post(f"{api}/ops/people/{ada_id}/disqualify", headers=customer.auth, timeout=30,
                            json={"reason": REASON})
    assert refused.status_code == 403
    short = requests.post(f"{api}/ops/people/{ada_id}/disqualify", headers=ops.auth, timeout=30, json={"reason": "x"})
    assert short.status_code == 400 and short.json()["error"]["field"] == "reason"
    nobody = requests.post(f"{api}/ops/people/no-such-user/disqualify", headers=ops.auth, timeout=30,
                           json={"reason": REASON})
    assert nobody.status_code == 404
    not_yet = requests.post(f"{api}/ops/people/{ada_id}/restore", headers=ops.auth, timeout=30,
                            json={"reason": "Nothing to restore."})
    assert not_yet.status_code == 409 and not_yet.json()["error"]["code"] == "not_disqualified"

    done = requests.post(f"{api}/ops/people/{ada_id}/disqualify", headers=ops.auth, timeout=30,
                         json={"reason": REASON})
    assert done.status_code == 200, done.text
    assert done.json()["standing"]["reason"] == REASON and done.json()["bookings_cancelled"] == 1
    again = requests.post(f"{api}/ops/people/{ada_id}/disqualify", headers=ops.auth, timeout=30,
                          json={"reason": "Once more."})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_disqualified"

    # hidden everywhere
    for path in ("", "/store", "/blog", "/events", f"/store/{guide['slug']}"):
        assert requests.get(f"{site}/h/{ada.username}{path}", timeout=30).status_code == 404, path
    assert ada.username not in listed(api, slug) and found(api, word) == [] and on_sale(api, word, site) == []
    bought = requests.post(f"{api}/checkout", headers=customer.auth, timeout=30,
                           json={"seller": ada.username, "lines": [{"slug": guide["slug"], "quantity": 1,
                                                                   "variant_id": guide["variants"][0]["variant_id"]}]})
    assert bought.status_code == 404
    slots = requests.get(f"{api}/helpers/{ada.username}/slots", params={"length": 15, "zone": "UTC"}, timeout=30)
    assert slots.status_code == 404
    caller = Peer(own_stack, customer)
    try:
        caller.send(action="call", helper=ada.username, id="ring")
        answer = caller.wait_for(lambda m: m.get("id") == "ring" or m.get("type") == "error")
        assert answer["type"] == "error" and answer["code"] == "helper_unavailable", answer
    finally:
        caller.close()
    # the booking is cancelled and refunded in full at PayPal
    seen = requests.get(f"{api}/bookings/{booking['booking_id']}", headers=customer.auth, timeout=30).json()["booking"]
    assert (seen["state"], seen["refund_cents"]) == ("cancelled", 1500)
    payment = requests.get(f"{api}/payments/{booking['payment_id']}", headers=customer.auth, timeout=30).json()
    assert (payment["state"], payment["refunded_cents"]) == ("refunded", 1500)
    # she is told why; her own page says so
    told = [m for m in emails_to(own_stack["aws"], ada.email) if "suspended" in m["subject"]]
    assert len(told) == 1 and REASON in told[0]["body"]
    mine = requests.get(f"{api}/me/page", headers=ada.auth, timeout=30).json()
    assert mine["standing"]["reason"] == REASON

    # the payout run holds her money (it stays payable) and pays the others
    desk = deps_of.payout_desk()
    friday = next_run_start(desk.schedule, ended + 24 * 3600) + 3600
    run_id = run_payouts(desk=desk, now=friday)["payout_day"]
    assert {item.helper_id for item in desk.items.for_run(run_id)} == {bea.tokens["user_id"]}
    assert desk.ledger.balance(books.helper_payable(ada_id)).credit_balance == 2000

    back = requests.post(f"{api}/ops/people/{ada_id}/restore", headers=ops.auth, timeout=30,
                         json={"reason": "Appeal heard: it was a charity week."})
    assert back.status_code == 200 and back.json()["standing"] is None
    assert requests.get(f"{site}/h/{ada.username}", timeout=30).status_code == 200
    assert ada.username in listed(api, slug) and found(api, word) == [ada.username]
    assert on_sale(api, word, site) == [guide["slug"]]
    assert requests.get(f"{api}/me/page", headers=ada.auth, timeout=30).json()["standing"] is None
    assert any("is back" in m["subject"] for m in emails_to(own_stack["aws"], ada.email))
    seen = requests.get(f"{api}/bookings/{booking['booking_id']}", headers=customer.auth, timeout=30).json()["booking"]
    assert seen["state"] == "cancelled"  # stays cancelled

    next_friday = next_run_start(desk.schedule, friday + 24 * 3600) + 3600
    next_run = run_payouts(desk=desk, now=next_friday)["payout_day"]
    assert next_run != run_id
    [item] = desk.items.for_run(next_run)
    assert (item.helper_id, item.amount_cents) == (ada_id, 2000)
    entries = deps_of.audit_log().for_subject(f"user:{ada_id}")
    assert [(e.action, e.reason) for e in entries] == [("restore", "Appeal heard: it was a charity week."),
                                                       ("disqualify", REASON)]
