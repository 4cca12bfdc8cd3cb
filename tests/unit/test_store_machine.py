"""The store under random carts: hypothesis checks out random carts (some too big, some with a
price the buyer did not see), pays, cancels, lets reservations run out, refunds part of orders and
restocks, on the in-memory twins with the PayPal twin. After every step no stock is negative,
every unit is on the shelf, held by a reservation or sold, the whole ledger balances, and the
Sales totals are exactly what the orders and the ledger say."""
from __future__ import annotations

from datetime import date

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.domain import ledger as books
from chalicelib.domain.errors import DomainError
from chalicelib.domain.store import OrderState
from chalicelib.services import payments
from chalicelib.services import store as shop
from chalicelib.services.sales import sales_report
from tests.support.twins import CALLER, HELPER
from tests.unit.test_payments_service import NOW
from tests.unit.test_store_service import store_desk

STOCK = (3, 5)  # the two limited variants' first stock


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.desk = store_desk()
        self.now = NOW
        shop.save_shipping(seller_id=HELPER, fields={"flat_cents": 350, "free_from_cents": 4000, "countries": ["US"]},
                           desk=self.desk, now=self.now)
        self.product = shop.create_product(seller_id=HELPER, fields={
            "title": "Mug", "kind": "physical", "status": "active",
            "variants": [{"name": "Blue", "price_cents": 1299, "stock": STOCK[0]},
                         {"name": "Red", "price_cents": 999, "stock": STOCK[1]},
                         {"name": "Gold", "price_cents": 2500, "stock": None}]}, desk=self.desk, now=self.now)
        self.added = {v.variant_id: 0 for v in self.product.variants}  # restocked units
        self.open: list = []  # (order, payment) not paid yet

    def tick(self, seconds: int = 60) -> int:
        self.now += seconds
        return self.now

    def variants(self):
        return self.desk.products.get(HELPER, self.product.slug).variants

    @rule(quantities=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3)), min_size=1, max_size=3),
          wrong_price=st.sampled_from([False, False, False, False, True]))
    def check_out(self, quantities, wrong_price):
        variants = self.variants()
        lines = [{"slug": self.product.slug, "variant_id": variants[i].variant_id, "quantity": q,
                  "seen_price_cents": variants[i].price_cents + (1 if wrong_price else 0)} for i, q in quantities]
        try:
            order, payment = shop.checkout(buyer_id=CALLER, seller="ada", lines=lines, desk=self.desk,
                                           now=self.tick())
        except DomainError as refused:
            assert refused.code in ("sold_out", "cart_changed", "invalid_input"), refused
            event(f"checkout refused: {refused.code}")
            return
        assert not wrong_price
        self.open.append((order, payment))

    @precondition(lambda self: self.open)
    @rule(which=st.integers(0, 10), outcome=st.sampled_from(["pay", "pay", "pay", "cancel", "decline"]))
    def come_back_from_paypal(self, which, outcome):
        order, payment = self.open.pop(which % len(self.open))
        gateway = self.desk.payments.gateway
        try:
            if outcome == "cancel":
                payments.cancel_payment(payment_id=payment.payment_id, user_id=CALLER, desk=self.desk.payments,
                                        now=self.tick())
                return
            gateway.approve(payment.order_id)
            if outcome == "decline":
                gateway.decline_next_capture()
            done = payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=self.desk.payments,
                                             now=self.tick())
            event(f"payment {done.state.value}")
        except DomainError as refused:
            event(f"refused: {refused.code}")  # declined, or the reservation ran out first: nothing charged

    @rule(minutes=st.integers(1, 45))
    def time_passes_and_reservations_run_out(self, minutes):
        shop.expire_reservations(desk=self.desk, now=self.tick(minutes * 60))

    @rule(which=st.integers(0, 10), cents=st.integers(1, 3000))
    def the_seller_refunds_part_of_an_order(self, which, cents):
        paid = [o for o in self.desk.orders.orders.values() if o.paid and o.refunded_cents < o.total_cents]
        if not paid:
            return
        order = paid[which % len(paid)]
        amount = min(cents, order.total_cents - order.refunded_cents)
        shop.refund_order(order_id=order.order_id, seller_id=HELPER, amount_cents=amount, reason="Sorry",
                          desk=self.desk, now=self.tick())
        event("refunded")

    @rule(units=st.integers(1, 3), which=st.integers(0, 1))
    def the_seller_restocks(self, units, which):
        before = self.desk.products.get(HELPER, self.product.slug)
        fields = {"title": before.title, "status": "active", "variants": [
            {"variant_id": v.variant_id, "name": v.name, "price_cents": v.price_cents,
             "stock": None if v.stock is None else v.stock + (units if i == which else 0)}
            for i, v in enumerate(before.variants)]}
        shop.update_product(seller_id=HELPER, slug=before.slug, fields=fields, desk=self.desk, now=self.tick())
        self.added[before.variants[which].variant_id] += units

    # -- after every step ------------------------------------------------------------------------

    @invariant()
    def no_stock_is_negative_and_every_unit_is_somewhere(self):
        held: dict[str, int] = {}
        for order in self.desk.orders.orders.values():
            if order.state is not OrderState.CANCELLED:
                for line in order.lines:
                    held[line.variant_id] = held.get(line.variant_id, 0) + line.quantity
        for variant, first in zip(self.variants(), STOCK):
            assert variant.stock >= 0
            assert variant.stock + held.get(variant.variant_id, 0) == first + self.added[variant.variant_id]

    @invariant()
    def the_ledger_balances_and_the_sales_say_what_the_orders_and_the_ledger_say(self):
        ledger = self.desk.payments.ledger
        balances = ledger.balances(sorted(ledger.account_balances))
        assert sum(b.debits_cents for b in balances.values()) == sum(b.credits_cents for b in balances.values())
        today = date.fromtimestamp(self.now)
        found = sales_report(seller_id=HELPER, first=date.fromtimestamp(NOW).isoformat(), last=today.isoformat(),
                             by="day", desk=self.desk, today=today)["totals"]
        paid = [o for o in self.desk.orders.orders.values() if o.paid]
        assert found["orders"] == len(paid)
        assert found["gross_cents"] == sum(o.total_cents for o in paid)
        assert found["refunded_cents"] == sum(o.refunded_cents for o in paid)
        earned = ledger.balance(books.helper_pending(HELPER)).credit_balance + \
            ledger.balance(books.helper_payable(HELPER)).credit_balance
        assert found["net_cents"] == earned


TestStoreMachine = StoreMachine.TestCase
TestStoreMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None, derandomize=True)
