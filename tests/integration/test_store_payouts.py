"""Store sales are paid out with sessions, on a stack of its own (the payout job pays every
payable Helper): a digital and a physical order bought through the API and the PayPal sandbox,
the physical one shipped; the payout job, with a frozen clock, releases the digital sale a day
after it was paid and the physical one a week after it shipped, and the next run pays the seller
exactly the net the Sales report shows."""
from __future__ import annotations

import time

import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.stack import deps_pointed_at, stack_without_payout_job
from tests.support.store import buy, digital_product, open_store, physical_product

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    yield from stack_without_payout_job(tmp_path_factory, "store-payouts")


@pytest.fixture
def deps_of(own_stack, monkeypatch):
    yield from deps_pointed_at(own_stack, monkeypatch)


def test_store_earnings_wait_for_their_holds_then_the_payout_carries_the_net_the_sales_report_shows(own_stack,
                                                                                                     deps_of):
    from chalicelib.domain.payout_schedule import next_run_start
    from chalicelib.services.payouts import release_earnings, run_payouts

    api = own_stack["api"]
    seller = open_store(api, "storepayee", flat_cents=400)
    buyer = sign_up_and_in(api, "storebuyer")
    guide, _ = digital_product(api, seller, price_cents=1200, pictures=0)
    mug = physical_product(api, seller, pictures=0)
    digital = buy(own_stack, buyer, seller, guide)
    physical = buy(own_stack, buyer, seller, mug, quantity=2)
    paid_at = int(time.time())

    earnings = requests.get(f"{api}/me/earnings", headers=seller.auth, timeout=30).json()
    report = requests.get(f"{api}/me/store/sales", headers=seller.auth, timeout=30).json()
    assert report["totals"]["orders"] == 2
    assert report["totals"]["gross_cents"] == digital["total_cents"] + physical["total_cents"]
    assert (earnings["pending_cents"], earnings["payable_cents"]) == (report["totals"]["net_cents"], 0)

    desk = deps_of.payout_desk()
    store = deps_of.store_desk()
    digital_net = store.payments.payments.get(digital["payment_id"]).helper_cents
    assert release_earnings(desk=desk, now=paid_at + 23 * 3600) == 0  # the digital sale's day is not over
    assert release_earnings(desk=desk, now=paid_at + 24 * 3600 + 60) == digital_net
    assert release_earnings(desk=desk, now=paid_at + 2 * 86400) == 0  # the parcel has not left yet

    shipped = requests.post(f"{api}/orders/{physical['order_id']}/shipment", headers=seller.auth, timeout=30,
                            json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    assert shipped.status_code == 200, shipped.text
    shipped_at = shipped.json()["order"]["shipped_at"]
    seen = requests.get(f"{api}/orders/{physical['order_id']}", headers=buyer.auth, timeout=30).json()["order"]
    assert (seen["state"], seen["shipment"]["tracking_number"]) == ("shipped", "1Z999AA10123456784")

    week_later = shipped_at + 7 * 86400 + 60
    released = release_earnings(desk=desk, now=week_later)
    assert released == report["totals"]["net_cents"] - digital_net

    outcome = run_payouts(desk=desk, now=next_run_start(desk.schedule, week_later) + 3600)
    run = desk.runs.get(outcome["payout_day"])
    [item] = [i for i in desk.items.for_run(run.run_id) if i.helper_id == seller.tokens["user_id"]]
    assert item.amount_cents == report["totals"]["net_cents"]
