"""Releasing earnings, the payout run, item outcomes and the earnings page — the services with
every adapter's in-memory twin, the PayPal twin's payouts included. The job is stopped at every
step and run again: nobody is paid twice, nobody is skipped."""
from __future__ import annotations

import csv
import io
import threading
import uuid
from dataclasses import replace

import pytest

from chalicelib.adapters.payouts import InMemoryPayoutItemStore, InMemoryPayoutRunStore
from chalicelib.domain import ledger as books
from chalicelib.domain.cursors import CursorSeal
from chalicelib.domain.ledger import Direction, Leg, LedgerTransaction
from chalicelib.domain.payout_schedule import (
    PRESETS,
    PayoutSchedule,
    local_date,
    next_run_start,
)
from chalicelib.domain.payouts import ItemState, RunState
from chalicelib.domain.refunds import RefundState
from chalicelib.services import payments, payouts, refunds
from chalicelib.services.earnings import earnings_csv, earnings_view
from chalicelib.services.payouts import PayoutDesk, release_earnings, run_payouts
from chalicelib.services.webhooks import handle_webhook, joined
from tests.unit.test_payments_service import (  # noqa: F401 - the desk fixture and its helpers
    CALLER,
    HELPER,
    NOW,
    OPS,
    desk,
    ended_paid_call,
    with_storefront,
)

ENDED = NOW + 600  # ended_paid_call ends the session then
WINDOW_CLOSES = ENDED + 24 * 3600


class Killed(Exception):
    """The job stopped here (a Lambda timeout, a crash)."""


def payout_desk(desk, schedule: PayoutSchedule = PRESETS["weekly"], **options) -> PayoutDesk:
    runs = InMemoryPayoutRunStore()
    return PayoutDesk(payments=desk.payments, refunds=desk.refunds, calls=desk.calls.calls, ledger=desk.ledger,
                      storefronts=desk.storefronts, gateway=desk.gateway, runs=runs,
                      items=InMemoryPayoutItemStore(runs), schedule=schedule, settings=desk.settings,
                      mailer=desk.mailer, accounts=desk.accounts, **options)


def friday_after(at: int, schedule: PayoutSchedule = PRESETS["weekly"]) -> int:
    """An hour into the run of the first payout day after `at`."""
    return next_run_start(schedule, at) + 3600


def credit(d, account: str) -> int:
    return d.ledger.balance(account).credit_balance


def seed_payable(d, helper_id: str, cents: int, email: str | None = None) -> None:
    """A helper with `cents` payable (as if released earlier) and a storefront."""
    from chalicelib.domain.payments import Storefront

    d.storefronts.save(Storefront(user_id=helper_id, paypal_email=email or f"{helper_id}@paypal.test",
                                  name=helper_id, created_at=NOW, updated_at=NOW))
    d.ledger.post(LedgerTransaction(
        transaction_id=f"seed:{helper_id}:{uuid.uuid4().hex}", kind="seed", occurred_at=NOW,
        legs=(Leg(books.PAYPAL, Direction.DEBIT, cents), Leg(books.helper_payable(helper_id), Direction.CREDIT, cents))))


def test_earnings_become_payable_when_the_refund_window_closes_then_friday_pays_them(desk):
    with_storefront(desk)
    payment = ended_paid_call(desk)  # $25.00 on the free plan: the helper earns $20.00
    d = payout_desk(desk)
    assert credit(d, books.helper_pending(HELPER)) == 2000

    assert release_earnings(desk=d, now=ENDED + 3600) == 0  # the customer may still ask for a refund
    assert desk.payments.get(payment.payment_id).release_at == WINDOW_CLOSES
    assert release_earnings(desk=d, now=WINDOW_CLOSES) == 2000
    assert release_earnings(desk=d, now=WINDOW_CLOSES + 60) == 0  # once
    assert credit(d, books.helper_pending(HELPER)) == 0 and credit(d, books.helper_payable(HELPER)) == 2000
    assert desk.payments.get(payment.payment_id).release_at is None

    friday = friday_after(WINDOW_CLOSES)
    outcome = run_payouts(desk=d, now=friday)
    run_id = outcome["payout_day"]
    assert outcome["runs"] == {run_id: "sent"}
    [batch] = desk.gateway.payout_batches.values()
    assert [(i.receiver, i.amount_cents, i.sender_item_id) for i in batch.items] == \
        [("ada@paypal.test", 2000, f"{run_id}.{HELPER}")]
    assert credit(d, books.helper_payable(HELPER)) == 0 and credit(d, books.PAYOUTS_IN_TRANSIT) == 2000

    desk.gateway.process_payouts()
    assert run_payouts(desk=d, now=friday + 600)["runs"] == {run_id: "done"}
    assert credit(d, books.PAYOUTS_IN_TRANSIT) == 0
    assert d.items.get(run_id, HELPER).state is ItemState.PAID
    assert run_payouts(desk=d, now=friday + 1200)["runs"] == {}  # nothing open, nothing sent again
    assert len(desk.gateway.payout_batches) == 1

    view = earnings_view(helper_id=HELPER, ledger=d.ledger, items=d.items, schedule=d.schedule,
                         currency="USD", now=friday + 1200, cursors=CursorSeal(b"test"))
    assert (view["pending_cents"], view["payable_cents"], view["in_transit_cents"]) == (0, 0, 0)
    assert view["payouts"][0]["amount_cents"] == 2000 and view["payouts"][0]["state"] == "paid"
    assert [row["kind"] for row in view["history"]] == ["payout", "release", "release", "capture"]
    capture = view["history"][-1]
    assert (capture["gross_cents"], capture["amount_cents"], capture["fees_cents"]) == (2500, 2000, 500)
    assert view["next_payout"]["day"] == run_id  # paid by 7 PM today: today is still the next payout day

    rows = list(csv.DictReader(io.StringIO(earnings_csv(helper_id=HELPER, ledger=d.ledger, currency="USD"))))
    assert [(r["kind"], r["account"], r["direction"], r["amount"]) for r in rows] == [
        ("capture", "pending", "credit", "20.00"), ("release", "pending", "debit", "20.00"),
        ("release", "payable", "credit", "20.00"), ("payout", "payable", "debit", "20.00")]


def test_an_open_refund_request_holds_the_earnings_until_it_is_decided(desk):
    with_storefront(desk)
    payment = ended_paid_call(desk)
    d = payout_desk(desk)
    refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER, reason="It was not what I asked for",
                           desk=desk, now=ENDED + 60)
    assert release_earnings(desk=d, now=WINDOW_CLOSES) == 0
    assert desk.payments.get(payment.payment_id).release_at == WINDOW_CLOSES + 3600
    refunds.decide(request_id=payment.payment_id, ops_id=OPS, decision="deny", note="The session happened.",
                   desk=desk, now=WINDOW_CLOSES + 100)
    assert release_earnings(desk=d, now=WINDOW_CLOSES + 3600) == 2000


def test_an_approved_refund_leaves_nothing_to_release(desk):
    with_storefront(desk)
    payment = ended_paid_call(desk)
    d = payout_desk(desk)
    refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER, reason="The helper never showed up",
                           desk=desk, now=ENDED + 60)
    refunds.decide(request_id=payment.payment_id, ops_id=OPS, decision="approve", note="Fair.", desk=desk,
                   now=ENDED + 120)
    assert release_earnings(desk=d, now=WINDOW_CLOSES) == 0
    assert desk.payments.get(payment.payment_id).release_at is None
    assert credit(d, books.helper_pending(HELPER)) == 0 == credit(d, books.helper_payable(HELPER))


def test_a_session_still_running_is_looked_at_again_later(desk):
    from tests.unit.test_payments_service import paid

    with_storefront(desk)
    _, payment = paid(desk)
    d = payout_desk(desk)
    assert release_earnings(desk=d, now=NOW + 100) == 0
    assert desk.payments.get(payment.payment_id).release_at == NOW + 100 + 3600


def test_the_minimum_waits_and_a_negative_balance_carries_forward(desk):
    d = payout_desk(desk, PRESETS["monthly"])  # $100.00 minimum
    seed_payable(d, "small", 9_999)
    seed_payable(d, "large", 10_000)
    seed_payable(d, "owing", 500)
    d.ledger.post(LedgerTransaction(  # a chargeback after release took more than the balance
        transaction_id="reversal:x", kind="reversal", occurred_at=NOW,
        legs=(Leg(books.helper_payable("owing"), Direction.DEBIT, 1500), Leg(books.PAYPAL, Direction.CREDIT, 1500))))
    run_payouts(desk=d, now=friday_after(NOW, PRESETS["monthly"]))
    [batch] = desk.gateway.payout_batches.values()
    assert [(i.receiver, i.amount_cents) for i in batch.items] == [("large@paypal.test", 10_000)]
    assert credit(d, books.helper_payable("small")) == 9_999
    assert credit(d, books.helper_payable("owing")) == -1000  # owed back from later earnings


@pytest.mark.parametrize("status", ["FAILED", "RETURNED", "UNCLAIMED"])
def test_a_payout_that_does_not_arrive_is_payable_again_and_the_helper_is_told(desk, status):
    d = payout_desk(desk)
    seed_payable(d, HELPER, 4_200, email="old@paypal.test")
    desk.gateway.payout_receiver_outcome("old@paypal.test", status)
    friday = friday_after(NOW)
    run_id = run_payouts(desk=d, now=friday)["payout_day"]
    desk.gateway.process_payouts()
    assert run_payouts(desk=d, now=friday + 600)["runs"] == {run_id: "done"}
    item = d.items.get(run_id, HELPER)
    assert item.state is ItemState.RETURNED
    assert credit(d, books.helper_payable(HELPER)) == 4_200 and credit(d, books.PAYOUTS_IN_TRANSIT) == 0
    [email] = [e for e in desk.mailer.sent if "did not reach" in e.subject]
    assert email.to == f"{HELPER}@example.com" and "$42.00" in email.text and "PayPal email" in email.text
    if status == "UNCLAIMED":  # cancelled at PayPal, so it can no longer be claimed as well
        assert desk.gateway.get_payout_item(item.payout_item_id).status in ("RETURNED", "CANCELED", "CANCELLED")

    seed_payable(d, HELPER, 1, email="new@paypal.test")  # the helper fixed their email (and earned 1 cent)
    next_friday = friday_after(friday + 86400)
    next_run = run_payouts(desk=d, now=next_friday)["payout_day"]
    desk.gateway.process_payouts()
    run_payouts(desk=d, now=next_friday + 600)
    assert d.items.get(next_run, HELPER).amount_cents == 4_201
    assert d.items.get(next_run, HELPER).receiver == "new@paypal.test"
    assert d.items.get(next_run, HELPER).state is ItemState.PAID


def run_until_done(d, at: int, *, ticks: int = 20) -> None:
    for tick in range(ticks):
        d.gateway.process_payouts()
        outcome = run_payouts(desk=d, now=at + tick)
        if outcome["runs"] and set(outcome["runs"].values()) == {"done"}:
            return
        if not outcome["runs"] and tick:
            return
    raise AssertionError("the run did not finish")


HELPERS = {f"h{n}": 1_000 + n for n in range(5)}


def steps_of_a_whole_run(desk) -> list[str]:
    steps: list[str] = []
    d = payout_desk(desk, batch_size=2, checkpoint=steps.append)
    for helper_id, cents in HELPERS.items():
        seed_payable(d, helper_id, cents)
    run_until_done(d, friday_after(NOW))
    return steps


def test_the_job_stopped_at_any_step_and_run_again_pays_everyone_once(desk):
    from tests.unit.test_payments_service import desk_twin

    total = len(steps_of_a_whole_run(desk))
    assert total > 20
    for stop_at in range(total):
        d = payout_desk(desk_twin(), batch_size=2)
        for helper_id, cents in HELPERS.items():
            seed_payable(d, helper_id, cents, email="fails@paypal.test" if helper_id == "h3" else None)
        d.gateway.payout_receiver_outcome("fails@paypal.test", "FAILED")
        seen = []

        def stop(step, seen=seen, stop_at=stop_at):
            seen.append(step)
            if len(seen) == stop_at + 1:
                raise Killed(step)

        killable = replace(d, checkpoint=stop)
        friday = friday_after(NOW)
        with pytest.raises(Killed):
            d.gateway.process_payouts()
            for tick in range(10):
                run_payouts(desk=killable, now=friday + tick)
                d.gateway.process_payouts()
        run_until_done(d, friday + 100)

        sent = [(i.sender_item_id, i.amount_cents) for b in d.gateway.payout_batches.values() for i in b.items]
        assert sorted(sent) == sorted((f"{friday_run(d)}.{h}", c) for h, c in HELPERS.items()), f"stopped at {seen[-1]}"
        assert len(d.gateway.payout_batches) == 3  # chunks of 2: the same three batches however often resumed
        for helper_id, cents in HELPERS.items():
            expected = cents if helper_id == "h3" else 0  # h3's PayPal account failed: payable again
            assert credit(d, books.helper_payable(helper_id)) == expected, (seen[-1], helper_id)
        assert credit(d, books.PAYOUTS_IN_TRANSIT) == 0
        assert [e.to for e in d.mailer.sent if "did not reach" in e.subject] == ["h3@example.com"] or \
            d.accounts.get("h3") is None


def friday_run(d) -> str:
    [run] = d.runs.runs.values()
    return run.run_id


def test_two_jobs_at_once_send_each_batch_once(desk):
    d = payout_desk(desk, batch_size=2)
    for helper_id, cents in HELPERS.items():
        seed_payable(d, helper_id, cents)
    friday = friday_after(NOW)
    barrier = threading.Barrier(4)
    errors = []

    def job():
        barrier.wait()
        try:
            run_payouts(desk=d, now=friday)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=job) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    run_until_done(d, friday + 10)
    sent = sorted(i.sender_item_id for b in d.gateway.payout_batches.values() for i in b.items)
    assert sent == sorted(f"{friday_run(d)}.{h}" for h in HELPERS)
    assert credit(d, books.PAYOUTS_IN_TRANSIT) == 0
    assert all(credit(d, books.helper_payable(h)) == 0 for h in HELPERS)


def test_paypal_item_webhooks_settle_items_once(desk):
    d = payout_desk(desk)
    seed_payable(d, HELPER, 3_000)
    friday = friday_after(NOW)
    run_id = run_payouts(desk=d, now=friday)["payout_day"]
    desk.gateway.process_payouts()
    [batch_id] = d.runs.get(run_id).batches.values()
    [item] = desk.gateway.get_payout_batch(batch_id).items
    resource = {"payout_item_id": item.payout_item_id, "transaction_status": "SUCCESS", "payout_batch_id": batch_id,
                "payout_item_fee": {"currency": "USD", "value": "0.25"},
                "payout_item": {"recipient_type": "EMAIL", "receiver": item.receiver, "sender_item_id": item.sender_item_id,
                                "amount": {"currency": "USD", "value": "30.00"}}}
    handlers = joined(payments.webhook_handlers(desk), payouts.webhook_handlers(d))

    def webhook(event: dict, now: int) -> dict:
        return handle_webhook(event=event, handlers=handlers, events=desk.events, now=now)

    event = {"id": "WH-1", "event_type": "PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "resource": resource}
    assert webhook(event, friday + 5)["outcome"] == "payout item paid"
    assert webhook(event, friday + 6)["outcome"] == "replay ignored"
    again = {**event, "id": "WH-2"}
    assert webhook(again, friday + 7)["outcome"] == "payout item paid"
    assert d.items.get(run_id, HELPER).state is ItemState.PAID
    assert credit(d, books.PAYOUTS_IN_TRANSIT) == 0
    assert d.ledger.balance(books.PAYPAL).debit_balance == -25  # seeded 3,000 in, paid 3,000 and PayPal's fee out
    assert d.ledger.balance(books.PAYPAL_FEES).debit_balance == 25
    assert run_payouts(desk=d, now=friday + 600)["runs"] == {run_id: "done"}
    unknown = {"id": "WH-3", "event_type": "PAYMENT.PAYOUTS-ITEM.FAILED",
               "resource": {**resource, "payout_item": {**resource["payout_item"], "sender_item_id": "x.y"}}}
    assert webhook(unknown, friday + 8)["outcome"] == "unknown payout item"


def test_no_run_before_the_start_hour_and_a_missed_day_is_caught_up(desk):
    from datetime import timedelta

    d = payout_desk(desk)
    friday = friday_after(NOW)
    start = friday - 3600
    this_friday = local_date(d.schedule, start)
    early = run_payouts(desk=d, now=start - 1)  # 8:59:59 Pacific: still the last payout day's run
    assert early["payout_day"] == (this_friday - timedelta(days=7)).isoformat()
    seed_payable(d, HELPER, 2_000)
    late = run_payouts(desk=d, now=friday + 2 * 86400)  # Sunday: Friday's run never happened
    assert late["payout_day"] == this_friday.isoformat()
    assert d.runs.get(late["payout_day"]).state is RunState.SENT
    assert d.items.get(late["payout_day"], HELPER).amount_cents == 2_000


def test_ops_watch_the_runs_and_the_items_that_came_back(desk):
    from chalicelib.domain.errors import Forbidden
    from chalicelib.services.payouts import payouts_overview

    d = payout_desk(desk)
    seed_payable(d, "paid-one", 1_500)
    seed_payable(d, "bounced", 2_500, email="bounced@paypal.test")
    desk.gateway.payout_receiver_outcome("bounced@paypal.test", "FAILED")
    friday = friday_after(NOW)
    run_id = run_payouts(desk=d, now=friday)["payout_day"]
    [sent] = payouts_overview(is_ops=True, desk=d, now=friday + 1)
    assert (sent["run_id"], sent["state"], sent["reserved_count"], sent["total_cents"]) == (run_id, "sent", 2, 4_000)
    desk.gateway.process_payouts()
    run_payouts(desk=d, now=friday + 600)
    [done] = payouts_overview(is_ops=True, desk=d, now=friday + 8 * 86400)  # a week on: still listed
    assert (done["state"], done["paid_count"], done["returned_count"], done["late"]) == ("done", 1, 1, None)
    assert done["returned"][0]["receiver"] == "bounced@paypal.test" and "LOCKED" in done["returned"][0]["error"]
    with pytest.raises(Forbidden):
        payouts_overview(is_ops=False, desk=d, now=friday)


def test_paypal_down_stalls_the_run_until_the_next_tick_and_a_denied_batch_comes_back(desk):
    d = payout_desk(desk)
    seed_payable(d, HELPER, 2_500)
    friday = friday_after(NOW)
    desk.gateway.unavailable_next(1)
    stalled = run_payouts(desk=d, now=friday)
    assert stalled["runs"] == {stalled["payout_day"]: "sending"} and not desk.gateway.payout_batches
    desk.gateway.decline_next_payout_batch()
    assert run_payouts(desk=d, now=friday + 600)["runs"] == {stalled["payout_day"]: "sent"}
    desk.gateway.process_payouts()
    assert run_payouts(desk=d, now=friday + 1200)["runs"] == {stalled["payout_day"]: "done"}
    assert credit(d, books.helper_payable(HELPER)) == 2_500  # PayPal denied it: payable again
    assert d.items.get(stalled["payout_day"], HELPER).state is ItemState.RETURNED


class ErrorLog:
    """The payout job's logger, keeping what it logs as errors (the alarm ops is emailed from)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, message: str, **_: object) -> None:
        self.errors.append(message)

    def __getattr__(self, level: str):
        return lambda *args, **kwargs: None


@pytest.fixture
def error_log(monkeypatch):
    from chalicelib.services import payouts

    log = ErrorLog()
    monkeypatch.setattr(payouts, "logger", lambda: log)
    return log


def test_a_new_deployments_first_run_with_nothing_to_pay_is_not_late(desk, error_log):
    from chalicelib.services.payouts import payouts_overview

    # Given a deployment started on a Monday, days after the latest payout day's pay-by time
    d = payout_desk(desk)
    monday = friday_after(NOW) + 3 * 86400
    # When its payout job runs for the first time
    outcome = run_payouts(desk=d, now=monday)
    # Then the latest payout day's run has nothing to pay, is done, and nobody is told it is late
    run = d.runs.get(outcome["payout_day"])
    assert (run.item_count, run.pay_by < monday) == (0, True)
    assert error_log.errors == []
    run_payouts(desk=d, now=monday + 600)
    [shown] = payouts_overview(is_ops=True, desk=d, now=monday + 700)
    assert (shown["state"], shown["late"]) == ("done", None)


def test_a_run_that_pays_helpers_after_its_pay_by_time_is_late(desk, error_log):
    from chalicelib.services.payouts import payouts_overview

    d = payout_desk(desk)
    seed_payable(d, HELPER, 2_000)
    sunday = friday_after(NOW) + 2 * 86400  # Friday's run never happened (an outage)
    run_id = run_payouts(desk=d, now=sunday)["payout_day"]
    assert error_log.errors == ["payout run late"]
    desk.gateway.process_payouts()
    run_payouts(desk=d, now=sunday + 600)
    [shown] = payouts_overview(is_ops=True, desk=d, now=sunday + 700)
    assert (shown["run_id"], shown["state"], shown["late"]) == (run_id, "done", True)
