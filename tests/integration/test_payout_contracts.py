"""Contract tests: the payout run and item stores, the payable accounts' index and the release
queue behave the same in memory and in DynamoDB (moto over HTTP)."""
from __future__ import annotations

import threading
import uuid

import pytest

from chalicelib.adapters.ledger import InMemoryLedgerStore
from chalicelib.adapters.payments import InMemoryPaymentStore
from chalicelib.adapters.payouts import InMemoryPayoutItemStore, InMemoryPayoutRunStore
from chalicelib.domain import ledger as books
from chalicelib.domain.fees import PaymentKind
from chalicelib.domain.ledger import Direction, Leg, LedgerTransaction
from chalicelib.domain.payments import Payment, PaymentState
from chalicelib.domain.payouts import ItemState, PayoutItem, PayoutRun, RunState

pytestmark = pytest.mark.integration
NOW = 1_800_000_000


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["in-memory", "dynamodb"])
def stores(request):
    if request.param == "in-memory":
        runs = InMemoryPayoutRunStore()
        return runs, InMemoryPayoutItemStore(runs), InMemoryLedgerStore(), InMemoryPaymentStore()
    from chalicelib.adapters.tables import bind_tables

    deps = request.getfixturevalue("app_env")
    bind_tables(deps.settings())
    return deps.payout_runs(), deps.payout_items(), deps.ledger(), deps.payment_store()


def new_run(run_id: str) -> PayoutRun:
    return PayoutRun(run_id=run_id, state=RunState.COLLECTING, version=0, started_at=NOW, updated_at=NOW,
                     pay_by=NOW + 3600)


def new_item(run_id: str, helper_id: str, cents: int = 1234) -> PayoutItem:
    return PayoutItem(run_id=run_id, helper_id=helper_id, amount_cents=cents, currency="USD",
                      receiver=f"{helper_id}@paypal.test", state=ItemState.RESERVED, created_at=NOW, updated_at=NOW)


def close(runs, run_id: str) -> None:
    """Done, so that the shared stack's own payout job leaves this test's run alone."""
    run = runs.get(run_id)
    assert runs.save(run.with_changes(state=RunState.DONE, finished_at=NOW))


def test_a_run_is_created_once_and_changes_by_version(stores):
    runs, *_ = stores
    run_id = unique("2026-12-04-")
    first = runs.create(new_run(run_id))
    assert runs.create(new_run(run_id).with_changes(started_at=NOW + 5)).started_at == first.started_at
    assert runs.save(first.with_changes(state=RunState.SENDING, batches={"0": "B1"}))
    assert not runs.save(first.with_changes(state=RunState.DONE))  # a stale version loses
    stored = runs.get(run_id)
    assert (stored.state, stored.version, dict(stored.batches)) == (RunState.SENDING, 1, {"0": "B1"})
    assert run_id in [r.run_id for r in runs.open_runs()]
    assert runs.save(stored.with_changes(state=RunState.DONE, finished_at=NOW + 9))
    assert run_id not in [r.run_id for r in runs.open_runs()]
    assert runs.get(unique("nope")) is None


def test_items_are_created_once_only_while_their_run_collects(stores):
    runs, items, *_ = stores
    run_id = unique("r")
    assert items.create(new_item(run_id, "h1")) == "run_closed"  # no such run
    run = runs.create(new_run(run_id))
    assert items.create(new_item(run_id, "h2")) == "created"
    assert items.create(new_item(run_id, "h1", 99)) == "created"
    assert items.create(new_item(run_id, "h1", 5)) == "exists"
    assert [(i.helper_id, i.amount_cents) for i in items.for_run(run_id)] == [("h1", 99), ("h2", 1234)]
    runs.save(run.with_changes(state=RunState.SENDING))
    assert items.create(new_item(run_id, "h3")) == "run_closed"
    assert [i.helper_id for i in items.for_run(run_id)] == ["h1", "h2"]
    close(runs, run_id)


def test_item_transitions_are_conditional_and_helpers_see_theirs(stores):
    runs, items, *_ = stores
    run_id, helper = unique("r"), unique("h")
    runs.create(new_run(run_id))
    items.create(new_item(run_id, helper))
    item = items.get(run_id, helper)
    paid = item.with_changes(state=ItemState.PAID, payout_item_id="PI1", paypal_status="SUCCESS", fee_cents=0)
    assert items.transition(paid, expected=[ItemState.RESERVED])
    assert not items.transition(item.with_changes(state=ItemState.RETURNED), expected=[ItemState.RESERVED])
    assert items.get(run_id, helper).state is ItemState.PAID
    assert [i.run_id for i in items.for_helper(helper)] == [run_id]
    close(runs, run_id)


def test_concurrent_creates_of_one_item_make_one(stores):
    runs, items, *_ = stores
    run_id = unique("r")
    runs.create(new_run(run_id))
    outcomes, barrier = [], threading.Barrier(6)

    def create():
        barrier.wait()
        outcomes.append(items.create(new_item(run_id, "same")))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["exists"] * 5
    close(runs, run_id)


def test_payable_accounts_are_listed_page_by_page_from_an_index(stores):
    _, _, ledger, _ = stores
    helpers = sorted(unique("zz-payee-") for _ in range(3))
    for helper in helpers:
        ledger.post(LedgerTransaction(transaction_id=unique("seed:"), kind="seed", occurred_at=NOW, legs=(
            Leg(books.PAYPAL, Direction.DEBIT, 100), Leg(books.helper_payable(helper), Direction.CREDIT, 100))))
        ledger.post(LedgerTransaction(transaction_id=unique("seed:"), kind="seed", occurred_at=NOW, legs=(
            Leg(books.PAYPAL, Direction.DEBIT, 100), Leg(books.helper_pending(helper), Direction.CREDIT, 100))))
    listed = []
    after = books.helper_payable("zz-payee-")[:-len(":payable")]
    while True:
        page = ledger.payable_accounts(after=after, limit=2)
        listed += [a for a in page if a.startswith("helper:zz-payee-")]
        if len(page) < 2:
            break
        after = page[-1]
    assert [a for a in listed if books.helper_of(a) in helpers] == [books.helper_payable(h) for h in helpers]
    assert all(a.endswith(":payable") for a in listed)


def test_the_release_queue_holds_payments_until_they_are_done(stores):
    *_, payments = stores
    payment = Payment(payment_id=unique("pay-"), kind=PaymentKind.SESSION, payer_id="p", helper_id="h",
                      amount_cents=2500, currency="USD", state=PaymentState.CAPTURED, created_at=NOW,
                      description="x", capture_id=unique("CAP"), release_at=NOW + 100)
    payments.create(payment)
    assert payment.payment_id not in [p.payment_id for p in payments.due_for_release(NOW + 99, limit=1000)]
    assert payment.payment_id in [p.payment_id for p in payments.due_for_release(NOW + 100, limit=1000)]
    assert payments.set_release_at(payment, NOW + 500)
    assert not payments.set_release_at(payment, None)  # read before the move: refused
    moved = payments.get(payment.payment_id)
    assert moved.release_at == NOW + 500
    assert payments.set_release_at(moved, None)
    assert payments.get(payment.payment_id).release_at is None
    assert payment.payment_id not in [p.payment_id for p in payments.due_for_release(NOW + 10**6, limit=1000)]


def test_a_runs_postings_are_found_by_their_line_prefix(stores):
    _, _, ledger, _ = stores
    run_id, at = unique("2026-12-"), NOW + 77
    for helper in ("a", "b"):
        ledger.post(LedgerTransaction(transaction_id=unique("seed:"), kind="seed", occurred_at=at, legs=(
            Leg(books.PAYPAL, Direction.DEBIT, 500), Leg(books.helper_payable(helper + run_id), Direction.CREDIT, 500))))
        ledger.post(books.payout_transaction(item_id=f"{run_id}.{helper}{run_id}", run_id=run_id,
                                             helper_id=helper + run_id, cents=500, occurred_at=at))
    ledger.post(books.payout_transaction(item_id=f"{run_id}x.c", run_id=run_id + "x", helper_id="c", cents=1,
                                         occurred_at=at))
    found = ledger.transaction_ids_at(books.PAYOUTS_IN_TRANSIT, f"{at:012d}#payout:{run_id}.")
    assert found == {f"payout:{run_id}.a{run_id}", f"payout:{run_id}.b{run_id}"}
