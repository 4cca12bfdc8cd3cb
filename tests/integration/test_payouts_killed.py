"""The payout job stopped after each of its steps and run again, on DynamoDB (moto over HTTP)
and the local PayPal sandbox over HTTP, on a stack of its own: every helper is paid once, in the
same batches, and the books balance. (tests/unit/test_payouts_service.py does the same with the
twins, more cases; this shows the real stores' conditions and PayPal's idempotency hold.)"""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.support.payments import paypal_get
from tests.support.stack import deps_pointed_at, stack_without_payout_job

pytestmark = pytest.mark.integration


class Killed(Exception):
    """The job stopped here."""


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    yield from stack_without_payout_job(tmp_path_factory, "payouts-killed")


@pytest.fixture
def deps_of(own_stack, monkeypatch):
    yield from deps_pointed_at(own_stack, monkeypatch)


def seed(deps, helper_id: str, cents: int, email: str) -> None:
    from chalicelib.domain import ledger as books
    from chalicelib.domain.ledger import Direction, Leg, LedgerTransaction
    from chalicelib.domain.payments import Storefront

    deps.storefronts().save(Storefront(user_id=helper_id, paypal_email=email, name=helper_id, created_at=0,
                                       updated_at=0))
    deps.ledger().post(LedgerTransaction(
        transaction_id=f"seed:{uuid.uuid4().hex}", kind="seed", occurred_at=1_800_000_000,
        legs=(Leg(f"seed:{helper_id}", Direction.DEBIT, cents), Leg(books.helper_payable(helper_id), Direction.CREDIT, cents))))


def finish(desk, paypal: str, day: str, at: int) -> None:
    """Runs the job until its run is done, the sandbox paying each batch at once."""
    import requests

    from chalicelib.services.payouts import run_payouts

    for tick in range(20):
        if run_payouts(desk=desk, now=at + tick)["runs"] == {}:
            return
        for batch_id in desk.runs.get(day).batches.values():
            requests.post(f"{paypal}/sandbox/payouts/{batch_id}/process", timeout=30)
    raise AssertionError("the run did not finish")


def test_stopped_after_every_step_and_run_again_everyone_is_paid_once(own_stack, deps_of):
    import requests

    from chalicelib.adapters.payments import InMemoryPaymentStore
    from chalicelib.domain import ledger as books
    from chalicelib.domain.ledger import Direction, Leg, LedgerTransaction
    from chalicelib.domain.payout_schedule import local_date, next_payout_day, run_starts_at

    # Releases are the unit tests' business: here only the run (no payment waits on this stack).
    desk = replace(deps_of.payout_desk(), payments=InMemoryPaymentStore(), batch_size=2)
    paypal = own_stack["paypal"]
    requests.post(f"{paypal}/sandbox/payouts/receivers", json={"email": "fails@example.com", "outcome": "FAILED"},
                  timeout=30).raise_for_status()
    day = next_payout_day(desk.schedule, local_date(desk.schedule, 1_800_000_000))
    stop_at, steps_in_a_whole_run = 0, None
    while steps_in_a_whole_run is None or stop_at < steps_in_a_whole_run:
        helpers = {f"k{stop_at:02d}-{n}-{uuid.uuid4().hex[:6]}": 1_000 + n for n in range(3)}
        failing = sorted(helpers)[1]
        for helper_id, cents in helpers.items():
            seed(deps_of, helper_id, cents, "fails@example.com" if helper_id == failing else f"{helper_id}@example.com")
        at, run_id = run_starts_at(desk.schedule, day) + 3600, day.isoformat()
        seen: list[str] = []

        def stop(step, seen=seen, stop_at=stop_at):
            seen.append(step)
            if len(seen) == stop_at + 1:
                raise Killed(step)

        try:
            finish(replace(desk, checkpoint=stop), paypal, run_id, at)
            steps_in_a_whole_run = len(seen)  # never stopped: this is how many steps a run has
        except Killed:
            finish(desk, paypal, run_id, at + 100)

        run = desk.runs.get(run_id)
        assert run.state.value == "done" and (run.item_count, len(run.batches)) == (3, 2), (stop_at, seen[-1:])
        sent = {}
        for batch_id in run.batches.values():
            for item in paypal_get(own_stack, f"/v1/payments/payouts/{batch_id}?page_size=100")["items"]:
                key = item["payout_item"]["sender_item_id"]
                assert key not in sent, f"paid twice when stopped after step {stop_at}: {seen[-1]}"
                sent[key] = item["payout_item"]["amount"]["value"]
        assert sent == {f"{run_id}.{h}": f"{c // 100}.{c % 100:02d}" for h, c in helpers.items()}, seen[-1:]
        for helper_id, cents in helpers.items():
            left = desk.ledger.balance(books.helper_payable(helper_id)).credit_balance
            assert left == (cents if helper_id == failing else 0), (stop_at, seen[-1:], helper_id)
        assert desk.ledger.balance(books.PAYOUTS_IN_TRANSIT).credit_balance == 0
        desk.ledger.post(LedgerTransaction(  # the failing helper leaves, so the next round is three again
            transaction_id=f"unseed:{failing}", kind="seed", occurred_at=1_800_000_000,
            legs=(Leg(books.helper_payable(failing), Direction.DEBIT, helpers[failing]),
                  Leg(f"seed:{failing}", Direction.CREDIT, helpers[failing]))))
        day = next_payout_day(desk.schedule, day + timedelta(days=1))
        stop_at += 1
    assert steps_in_a_whole_run > 10
