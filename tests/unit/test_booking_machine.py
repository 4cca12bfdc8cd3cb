"""Appointments under random sequences (hypothesis, stateful, on the twins): customers book
random slots, pay or walk away, cancel early or late, the Helper cancels, declines or marks a
no-show, time passes and the job runs. After every step: the ledger balances, no two live
bookings share a step of the Helper's time, and every booking's money adds up — what was
captured is what was refunded plus what the Helper keeps (their share and the fees)."""
from __future__ import annotations


from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from chalicelib.domain.bookings import BookingState
from chalicelib.domain.errors import DomainError
from chalicelib.domain.payments import PaymentState
from chalicelib.services import bookings as service
from chalicelib.services import payments
from tests.support.twins import CALLER, HELPER
from tests.unit.test_bookings_service import booking_desk

PARIS = "Europe/Paris"
START = int(datetime(2026, 6, 1, 6, 0, tzinfo=ZoneInfo(PARIS)).timestamp())  # Monday 06:00


class BookingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.desk = booking_desk()
        service.save_rules(helper_id=HELPER, raw={"fee_policy": "half_price", "notice_minutes": 0,
                                                  "buffer_minutes": 10}, desk=self.desk, now=START)
        self.now = START

    def tick(self, seconds: int = 60) -> int:
        self.now += seconds
        return self.now

    def slots(self, length: int) -> list[str]:
        found = service.availability(username="ada", length=length, zone="UTC", days=5, now=self.now,
                                     desk=self.desk)["slots"]
        return [slot["start"] for slot in found]

    def live(self):
        return [b for b in self.desk.bookings.bookings.values() if b.live]

    # -- steps -------------------------------------------------------------------------------------

    @rule(length=st.sampled_from([15, 30, 60]), which=st.integers(0, 200), pays=st.booleans(),
          customer=st.sampled_from([CALLER, "customer-2", "customer-3"]))
    def a_customer_books(self, length, which, pays, customer):
        free = self.slots(length)
        if not free:
            return
        try:
            booking, payment = service.book(customer_id=customer, username="ada", length=length,
                                            start=free[which % len(free)], zone="Asia/Kolkata", note=None,
                                            desk=self.desk, now=self.tick())
        except DomainError:
            event("refused")
            return
        if pays and payment is not None:
            self.desk.payments.gateway.approve(payment.order_id)
            payments.complete_payment(payment_id=payment.payment_id, user_id=customer, desk=self.desk.payments,
                                      now=self.tick())
            event("paid")

    @rule(which=st.integers(0, 50), by_helper=st.booleans())
    def someone_cancels(self, which, by_helper):
        live = self.live()
        if not live:
            return
        booking = live[which % len(live)]
        try:
            service.cancel(booking_id=booking.booking_id, user_id=HELPER if by_helper else booking.customer_id,
                           desk=self.desk, now=self.tick())
            event("cancelled by the Helper" if by_helper else "cancelled by the customer")
        except DomainError:
            event("cancel refused")

    @rule(which=st.integers(0, 50), moves=st.integers(0, 100))
    def someone_reschedules(self, which, moves):
        live = [b for b in self.live() if b.state is not BookingState.HELD]
        if not live:
            return
        booking = live[which % len(live)]
        free = self.slots(booking.length)
        if not free:
            return
        try:
            service.reschedule(booking_id=booking.booking_id, user_id=booking.customer_id,
                               start=free[moves % len(free)], desk=self.desk, now=self.tick())
            event("rescheduled")
        except DomainError:
            event("reschedule refused")

    @rule(which=st.integers(0, 50))
    def the_helper_marks_a_no_show(self, which):
        live = [b for b in self.live() if b.state is BookingState.CONFIRMED]
        if not live:
            return
        booking = live[which % len(live)]
        try:
            service.mark_no_show(booking_id=booking.booking_id, helper_id=HELPER, desk=self.desk,
                                 now=max(self.now, booking.start + 11 * 60))
            event("no-show")
        except DomainError:
            event("no-show refused")

    @rule(hours=st.integers(1, 30))
    def time_passes_and_the_job_runs(self, hours):
        service.run_due(desk=self.desk, now=self.tick(hours * 3600))

    # -- after every step -------------------------------------------------------------------------------

    @invariant()
    def the_ledger_balances(self):
        ledger = self.desk.payments.ledger
        balances = ledger.balances(sorted(ledger.account_balances))
        assert sum(b.debits_cents for b in balances.values()) == sum(b.credits_cents for b in balances.values())

    @invariant()
    def no_two_live_bookings_share_a_step(self):
        seen: dict[int, str] = {}
        for booking in self.live():
            for step in booking.steps:
                assert seen.setdefault(step, booking.booking_id) == booking.booking_id

    @invariant()
    def each_bookings_money_adds_up(self):
        for booking in self.desk.bookings.bookings.values():
            payment = self.desk.payments.payments.get(booking.payment_id) if booking.payment_id else None
            if payment is None or payment.capture_id is None:
                assert booking.refund_cents == 0
                continue
            assert payment.refunded_cents == booking.refund_cents <= payment.amount_cents
            if booking.state is BookingState.CANCELLED:
                assert booking.refund_cents + booking.kept_cents <= payment.amount_cents
                assert payment.state in (PaymentState.REFUNDED, PaymentState.CAPTURED)


TestBookingMachine = BookingMachine.TestCase
TestBookingMachine.settings = settings(max_examples=40, stateful_step_count=25, deadline=None, derandomize=True)

