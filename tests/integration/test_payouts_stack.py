"""Payouts on the whole local stack, on a stack of its own (the job pays every payable helper):
paid sessions through the API, the WebSocket and the PayPal sandbox; then the payout job runs
with a frozen clock on the Friday after the refund window, the sandbox receives one batch with
the right amount per helper, PayPal's item webhooks settle it, and the ledger, the earnings page
and its CSV agree."""
from __future__ import annotations

import csv
import io
import time
import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import eventually, ops_person, paid_call_that_ended, paypal_get
from tests.support.stack import deps_pointed_at, stack_without_payout_job

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    yield from stack_without_payout_job(tmp_path_factory, "payouts")


@pytest.fixture
def deps_of(own_stack, monkeypatch):
    yield from deps_pointed_at(own_stack, monkeypatch)


def test_paid_sessions_are_paid_out_on_friday_in_one_batch_and_the_books_agree(own_stack, deps_of):
    from chalicelib.domain import ledger as books
    from chalicelib.domain.payout_schedule import next_run_start
    from chalicelib.services.payouts import run_payouts

    api = own_stack["api"]
    ada, bea = become_helper(api, "earner"), become_helper(api, "earner")
    open_storefront(api, ada, "ada-payouts@example.com")
    open_storefront(api, bea, "bea-payouts@example.com")
    caller = sign_up_and_in(api, "customer")
    paid_call_that_ended(own_stack, ada, caller, price_cents=2500)
    paid_call_that_ended(own_stack, ada, caller, price_cents=4000)
    paid_call_that_ended(own_stack, bea, caller, price_cents=1000)
    ended = int(time.time())
    ada_id, bea_id = ada.tokens["user_id"], bea.tokens["user_id"]

    before = requests.get(f"{api}/me/earnings", headers=ada.auth, timeout=30).json()
    assert (before["pending_cents"], before["payable_cents"]) == (5200, 0)  # 80% of $25 and of $40

    desk = deps_of.payout_desk()
    friday = next_run_start(desk.schedule, ended + 24 * 3600) + 3600  # an hour into the first run after
    outcome = run_payouts(desk=desk, now=friday)
    run_id = outcome["payout_day"]
    assert outcome["runs"] == {run_id: "sent"}
    run = desk.runs.get(run_id)
    assert (run.item_count, run.total_cents) == (2, 5200 + 800)
    [batch_id] = run.batches.values()
    ops = ops_person(own_stack)  # ops watches the run (an open one, whatever its day)
    watched = requests.get(f"{api}/ops/payouts", headers=ops.auth, timeout=30).json()["runs"]
    assert [(r["run_id"], r["state"], r["total_cents"]) for r in watched] == [(run_id, "sent", 6000)]
    assert requests.get(f"{api}/ops/payouts", headers=ada.auth, timeout=30).status_code == 403

    batch = paypal_get(own_stack, f"/v1/payments/payouts/{batch_id}?page_size=100")
    assert batch["batch_header"]["sender_batch_header"]["sender_batch_id"] == f"ik-{run_id}-0"
    sent = {item["payout_item"]["receiver"]: (item["payout_item"]["amount"]["value"],
                                              item["payout_item"]["sender_item_id"]) for item in batch["items"]}
    assert sent == {"ada-payouts@example.com": ("52.00", f"{run_id}.{ada_id}"),
                    "bea-payouts@example.com": ("8.00", f"{run_id}.{bea_id}")}
    assert run_payouts(desk=desk, now=friday + 60)["runs"] in ({run_id: "sent"}, {run_id: "done"})
    assert len([b for b in desk.runs.get(run_id).batches.values()]) == 1  # run again: no second batch

    # the sandbox pays the batch and tells the app by signed webhooks; the next run polls too
    def paid():
        return all(desk.items.get(run_id, h).state.value == "paid" for h in (ada_id, bea_id))

    assert eventually(paid), [desk.items.get(run_id, h) for h in (ada_id, bea_id)]
    # the run is done: by this job's poll, or already by the one above if PayPal had paid by then
    assert run_payouts(desk=desk, now=friday + 600)["runs"] in ({run_id: "done"}, {})
    assert desk.runs.get(run_id).state.value == "done"

    for helper_id in (ada_id, bea_id):
        assert desk.ledger.balance(books.helper_pending(helper_id)).credit_balance == 0
        assert desk.ledger.balance(books.helper_payable(helper_id)).credit_balance == 0
    earnings = requests.get(f"{api}/me/earnings", headers=ada.auth, timeout=30).json()
    assert (earnings["pending_cents"], earnings["payable_cents"], earnings["in_transit_cents"]) == (0, 0, 0)
    assert earnings["payout_email"] == "ada-payouts@example.com"
    assert [(p["payout_day"], p["amount_cents"], p["state"]) for p in earnings["payouts"]] == [(run_id, 5200, "paid")]
    kinds = [row["kind"] for row in earnings["history"]]
    assert kinds.count("capture") == 2 and kinds.count("payout") == 1 and kinds.count("release") == 4
    assert sorted(r["gross_cents"] for r in earnings["history"] if r["kind"] == "capture") == [2500, 4000]

    answer = requests.get(f"{api}/me/earnings/csv", headers=ada.auth, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    ins = sum(int(r["amount_cents"]) for r in rows if r["direction"] == "credit")
    outs = sum(int(r["amount_cents"]) for r in rows if r["direction"] == "debit")
    assert ins - outs == 0 and len(rows) == 2 + 4 + 1  # captures, releases (both sides), the payout
    assert requests.get(f"{api}/me/earnings", timeout=30).status_code == 401
    for bad in ("limit=0", "limit=abc", "limit=201"):
        refused = requests.get(f"{api}/me/earnings?{bad}", headers=ada.auth, timeout=30)
        assert refused.status_code == 400 and refused.json()["error"]["field"] == "limit"
    older = requests.get(f"{api}/me/earnings?limit=2", headers=ada.auth, timeout=30).json()
    rest = requests.get(f"{api}/me/earnings", params={"before": older["next_before"]}, headers=ada.auth,
                        timeout=30).json()
    assert len(older["history"]) == 2 and len(older["history"]) + len(rest["history"]) == len(earnings["history"])
