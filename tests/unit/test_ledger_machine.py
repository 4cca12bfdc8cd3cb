"""The ledger under a storm: hypothesis throws random captures, partial and full refunds,
chargebacks and releases at the in-memory ledger, delivered late, out of order, twice, from
several threads at once, and retried after a crash before or after the write. After every step
the whole ledger balances, every balance equals its lines, nothing is posted twice, and every
helper's balances equal what a small independent model computes with fractions."""
import threading
from dataclasses import dataclass
from fractions import Fraction
from math import floor

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.adapters.ledger import InMemoryLedgerStore
from chalicelib.domain.fees import FeeSchedule, PaymentKind, Split, split_payment
from chalicelib.domain.ledger import (
    PAYPAL,
    PAYPAL_FEES,
    PLATFORM_REVENUE,
    LedgerTransaction,
    capture_transaction,
    helper_payable,
    helper_pending,
    refund_transaction,
    release_transaction,
    reversal_transaction,
)

SCHEDULE = FeeSchedule.default()
HELPERS = ("ann", "bob", "cyd")
EARNINGS = (PaymentKind.SESSION, PaymentKind.EXTENSION, PaymentKind.TIP, PaymentKind.MERCHANDISE)
PAGE = 7  # small, so that reading an account's lines crosses pages


def half_up(value: Fraction) -> int:
    return floor(value + Fraction(1, 2))


@dataclass
class Payment:
    """What PayPal did with one payment, as the model sees it (not as the code computes it)."""

    capture_id: str
    helper_id: str | None
    amount: int
    fee: int
    helper_cents: int
    refunded: int = 0
    reversed: bool = False
    released: bool = False

    @property
    def net(self) -> int:
        return self.amount - self.fee

    def returned(self, refunded_total: int) -> int:
        """The helper's share of `refunded_total`, in proportion to the net, half up, capped."""
        if refunded_total == 0 or self.helper_cents == 0:
            return 0
        if self.net == 0:
            return self.helper_cents
        return min(self.helper_cents, half_up(Fraction(self.helper_cents * refunded_total, self.net)))

    def helper_account(self) -> str:
        return helper_payable(self.helper_id) if self.released else helper_pending(self.helper_id)

    def held_by_helper(self) -> int:
        return 0 if self.reversed else self.helper_cents - self.returned(self.refunded)


@dataclass
class Event:
    """One money event waiting to reach the ledger, and what it must change when it does."""

    txn: LedgerTransaction
    effects: dict[str, int]  # helper accounts: credit balance; PAYPAL: debit balance
    posted: bool = False


class SimulatedCrash(Exception):
    pass


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = InMemoryLedgerStore()
        self.payments: list[Payment] = []
        self.splits: dict[str, Split] = {}  # the code's split of each capture, used to build its events
        self.events: list[Event] = []
        self.expected: dict[str, int] = {}
        self.clock = 1_700_000_000
        self.serial = 0

    # helpers

    def next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def tick(self) -> int:
        self.clock += 7
        return self.clock

    def model_helper_cents(self, plan: str, kind: PaymentKind, amount: int, fee: int) -> int:
        if kind is PaymentKind.PLAN:
            return 0
        if plan == "free":  # 80% of the amount paid; the platform bears PayPal's fee
            return amount - half_up(Fraction(amount * 2000, 10_000))
        return max(0, amount - fee)  # upgraded: everything minus PayPal's fee

    def land(self, event: Event) -> None:
        """The event's effect on the model, once."""
        assert not event.posted
        event.posted = True
        for account, change in event.effects.items():
            self.expected[account] = self.expected.get(account, 0) + change

    def deliver(self, event: Event, posted_now: bool) -> None:
        assert posted_now is (not event.posted), f"post of {event.txn.transaction_id} said {posted_now}"
        if posted_now:
            self.land(event)

    def refundable(self) -> list[Payment]:
        return [p for p in self.payments if not p.reversed and p.refunded < p.amount]

    # money happening at PayPal: each makes an event that reaches the ledger later

    @rule(helper=st.sampled_from(HELPERS + (None,)), plan=st.sampled_from(["free", "upgraded"]),
          amount=st.integers(1, 100_000), data=st.data())
    def capture(self, helper, plan, amount, data):
        kind = PaymentKind.PLAN if helper is None else data.draw(st.sampled_from(EARNINGS))
        fee = data.draw(st.one_of(st.just(SCHEDULE.estimated_paypal_fee(amount)), st.integers(0, amount)))
        split = split_payment(amount_cents=amount, paypal_fee_cents=fee, rule=SCHEDULE.rule(plan, kind))
        payment = Payment(self.next_id("CAP"), helper, amount, fee, self.model_helper_cents(plan, kind, amount, fee))
        assert split.helper_cents == payment.helper_cents
        txn = capture_transaction(capture_id=payment.capture_id, split=split, helper_id=helper, kind=kind,
                                  occurred_at=self.tick(), memo={"plan": plan})
        effects = {PAYPAL: payment.net}
        if helper is not None:
            effects[helper_pending(helper)] = payment.helper_cents
        self.payments.append(payment)
        self.splits[payment.capture_id] = split
        self.events.append(Event(txn, effects))

    @precondition(lambda self: self.refundable())
    @rule(data=st.data())
    def refund(self, data):
        payment = data.draw(st.sampled_from(self.refundable()))
        remaining = payment.amount - payment.refunded
        refunded = data.draw(st.one_of(st.just(min(payment.net, remaining) or remaining), st.integers(1, remaining)))
        account = payment.helper_account() if payment.helper_id else None
        txn = refund_transaction(refund_id=self.next_id("REF"), capture_id=payment.capture_id,
                                 split=self.splits[payment.capture_id], refunded_cents=refunded,
                                 helper_id=payment.helper_id, helper_account=account, occurred_at=self.tick(),
                                 memo={}, already_refunded_cents=payment.refunded)
        effects = {PAYPAL: -refunded}
        if account:
            effects[account] = -(payment.returned(payment.refunded + refunded) - payment.returned(payment.refunded))
        payment.refunded += refunded
        self.events.append(Event(txn, effects))

    @precondition(lambda self: self.refundable())
    @rule(data=st.data())
    def chargeback(self, data):
        payment = data.draw(st.sampled_from(self.refundable()))
        reversed_cents = payment.amount - payment.refunded
        account = payment.helper_account() if payment.helper_id else None
        txn = reversal_transaction(capture_id=payment.capture_id, split=self.splits[payment.capture_id],
                                   reversed_cents=reversed_cents, helper_id=payment.helper_id,
                                   helper_account=account, occurred_at=self.tick(), memo={},
                                   already_refunded_cents=payment.refunded)
        effects = {PAYPAL: -reversed_cents}
        if account:
            effects[account] = -payment.held_by_helper()
        payment.reversed = True
        self.events.append(Event(txn, effects))

    @precondition(lambda self: any(p.helper_id and not p.released and p.held_by_helper() for p in self.payments))
    @rule(data=st.data())
    def release(self, data):
        payment = data.draw(st.sampled_from(
            [p for p in self.payments if p.helper_id and not p.released and p.held_by_helper()]))
        held = payment.held_by_helper()
        txn = release_transaction(release_id=payment.capture_id, helper_id=payment.helper_id, cents=held,
                                  occurred_at=self.tick())
        payment.released = True
        self.events.append(Event(txn, {helper_pending(payment.helper_id): -held,
                                       helper_payable(payment.helper_id): held}))

    # the ledger receiving events: in any order, more than once, at once, after crashes

    @precondition(lambda self: self.events)
    @rule(data=st.data())
    def post(self, data):
        event = data.draw(st.sampled_from(self.events))
        self.deliver(event, self.ledger.post(event.txn))

    @precondition(lambda self: any(e.posted and e.txn.kind == "capture" for e in self.events))
    @rule(data=st.data(), later=st.integers(1, 10**6))
    def replay_a_capture_webhook_later(self, data, later):
        event = data.draw(st.sampled_from([e for e in self.events if e.posted and e.txn.kind == "capture"]))
        replay = LedgerTransaction(event.txn.transaction_id, event.txn.kind, event.txn.occurred_at + later,
                                   event.txn.legs, {**event.txn.memo, "source": "webhook"})
        assert self.ledger.post(replay) is False

    @precondition(lambda self: self.events)
    @rule(data=st.data(), crash_after_write=st.booleans())
    def retry_after_a_crash(self, data, crash_after_write):
        """The first attempt dies before the write or after it (the answer is lost); the retry
        must neither lose the event nor count it twice."""
        event = data.draw(st.sampled_from(self.events))
        was_posted = event.posted
        try:
            if crash_after_write:
                if self.ledger.post(event.txn):
                    self.land(event)
            raise SimulatedCrash()
        except SimulatedCrash:
            pass
        posted_now = self.ledger.post(event.txn)
        assert posted_now is (not was_posted and not crash_after_write)
        if posted_now:
            self.land(event)

    @precondition(lambda self: self.events)
    @rule(data=st.data(), threads=st.integers(2, 8))
    def concurrent_duplicates(self, data, threads):
        event = data.draw(st.sampled_from(self.events))
        start = threading.Barrier(threads)
        results: list[bool] = []

        def post() -> None:
            start.wait()
            results.append(self.ledger.post(event.txn))

        workers = [threading.Thread(target=post) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert results.count(True) == (0 if event.posted else 1)
        if True in results:
            self.land(event)

    # invariants, after every step

    def posted(self) -> list[Event]:
        return [e for e in self.events if e.posted]

    def accounts(self) -> set[str]:
        return {leg.account for e in self.posted() for leg in e.txn.legs}

    @invariant()
    def the_whole_ledger_balances(self):
        balances = self.ledger.balances(sorted(self.accounts()))
        assert sum(b.debits_cents for b in balances.values()) == sum(b.credits_cents for b in balances.values())
        assert set(self.ledger.account_balances) == self.accounts()  # nothing else was touched

    @invariant()
    def every_balance_is_the_sum_of_its_lines(self):
        for account, balance in self.ledger.balances(sorted(self.accounts())).items():
            lines, before = [], None
            while True:
                page = self.ledger.lines(account, limit=PAGE, before=before)
                lines += page
                if len(page) < PAGE:
                    break
                before = page[-1].position
            positions = [line.position for line in lines]
            assert positions == sorted(positions, reverse=True) and len(set(positions)) == len(positions)
            assert all(line.account == account for line in lines)
            assert balance.debits_cents == sum(l.amount_cents for l in lines if l.direction == "debit")
            assert balance.credits_cents == sum(l.amount_cents for l in lines if l.direction == "credit")

    @invariant()
    def nothing_is_posted_twice(self):
        posted = self.posted()
        assert len(self.ledger.transactions) == len(posted)
        for event in posted:
            assert self.ledger.transaction(event.txn.transaction_id) == event.txn
        for event in self.events:
            if not event.posted:
                assert self.ledger.transaction(event.txn.transaction_id) is None
        assert sum(len(lines) for lines in self.ledger.account_lines.values()) == sum(len(e.txn.legs) for e in posted)

    @invariant()
    def helper_balances_match_the_model(self):
        for helper in HELPERS:
            for account in (helper_pending(helper), helper_payable(helper)):
                assert self.ledger.balance(account).credit_balance == self.expected.get(account, 0), account
        assert self.ledger.balance(PAYPAL).debit_balance == self.expected.get(PAYPAL, 0)

    @invariant()
    def once_everything_arrived_no_helper_owes_and_the_platform_nets_its_share(self):
        if not all(e.posted for e in self.events):
            return
        for helper in HELPERS:
            owed = sum(self.ledger.balance(a).credit_balance for a in (helper_pending(helper), helper_payable(helper)))
            assert owed == sum(p.held_by_helper() for p in self.payments if p.helper_id == helper) >= 0
        platform = self.ledger.balance(PLATFORM_REVENUE).credit_balance - self.ledger.balance(PAYPAL_FEES).debit_balance
        kept_by_helpers = sum(p.held_by_helper() for p in self.payments)
        assert platform + kept_by_helpers == self.ledger.balance(PAYPAL).debit_balance


LedgerMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestLedgerUnderAStorm = LedgerMachine.TestCase
