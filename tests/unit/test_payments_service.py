"""Paying for calls, tips and the upgraded plan, settling captures into the ledger, webhooks and
refunds — the services with every adapter's in-memory twin."""
from __future__ import annotations

import threading
import uuid

import pytest

from chalicelib.adapters.ledger import InMemoryLedgerStore
from chalicelib.adapters.mailer import InMemoryMailer
from chalicelib.adapters.payments import (
    InMemoryPaymentStore,
    InMemoryPlanStore,
    InMemoryStorefrontStore,
    InMemoryWebhookEventLog,
)
from chalicelib.adapters.paypal import InMemoryPayPalGateway
from chalicelib.adapters.refunds import InMemoryRefundRequestStore
from chalicelib.domain import ledger as books
from chalicelib.domain.calls import CallState, EndReason
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.fees import FeeSchedule, PaymentKind
from chalicelib.domain.payments import PaymentClosed, PaymentDeclined, PaymentNotApproved, PaymentState
from chalicelib.domain.plans import PlanSubscription
from chalicelib.domain.refunds import RefundState
from chalicelib.services import payments, refunds
from chalicelib.services.calls import act, start_call, sweep_calls
from chalicelib.services.payments import PaymentDesk
from chalicelib.services.webhooks import handle_webhook
from chalicelib.settings import Settings
from tests.support.twins import CALLER, HELPER, OPS, call_desk_twin

NOW = 1_790_000_000


def desk_twin() -> PaymentDesk:
    """Paying with every adapter's in-memory twin."""
    storefronts, plans = InMemoryStorefrontStore(), InMemoryPlanStore()
    calls = call_desk_twin(now=NOW, storefronts=storefronts, plans=plans)
    return PaymentDesk(payments=InMemoryPaymentStore(), storefronts=storefronts, plans=plans,
                       ledger=InMemoryLedgerStore(), gateway=InMemoryPayPalGateway(),
                       events=InMemoryWebhookEventLog(), calls=calls, fees=FeeSchedule.default(),
                       settings=Settings(site_url="https://site.test"), mailer=InMemoryMailer(),
                       accounts=calls.accounts, refunds=InMemoryRefundRequestStore())


@pytest.fixture
def desk():
    return desk_twin()


def webhook(event: dict, desk: PaymentDesk, *, now: int) -> dict:
    """A verified PayPal event, handled by the payments' handlers as the webhook route does."""
    return handle_webhook(event=event, handlers=payments.webhook_handlers(desk), events=desk.events, now=now)


def with_storefront(desk):
    payments.save_storefront(user_id=HELPER, paypal_email="ada@paypal.test", name=None, desk=desk, now=NOW)


def agreed_call(desk, *, price_cents=2500, minutes=15, now=NOW):
    """A call whose caller accepted the Helper's terms."""
    call = start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk.calls,
                      now=now, new_id=lambda: uuid.uuid4().hex)
    step = dict(call_id=call.call_id, desk=desk.calls, now=now)
    act(action="answer", user_id=HELPER, connection_id="c-helper", message={}, **step)
    terms = {"price_cents": price_cents, "minutes": minutes}
    act(action="propose", user_id=HELPER, connection_id="c-helper", message=terms, **step)
    return act(action="accept", user_id=CALLER, connection_id="c-caller", message=terms, **step)


def paid(desk, **terms):
    """A call paid for: ordered, approved at PayPal, captured."""
    call = agreed_call(desk, **terms)
    payment = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW + 5)
    desk.gateway.approve(payment.order_id)
    return call, payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk, now=NOW + 30)


def balance(desk, account):
    return desk.ledger.balance(account).credit_balance


def test_paid_terms_need_the_helpers_storefront(desk):
    with pytest.raises(InvalidInput, match="storefront"):
        agreed_call(desk)


def test_a_paid_call_waits_for_payment_then_resumes_with_the_timer_running(desk):
    with_storefront(desk)
    call = agreed_call(desk)
    assert call.state is CallState.AWAITING_PAYMENT
    payment = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW + 5)
    assert payment.amount_cents == 2500 and payment.kind is PaymentKind.SESSION
    assert payment.approve_url and payment.order_id
    again = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW + 6)
    assert again.order_id == payment.order_id  # a retried request finds the same order

    with pytest.raises(PaymentNotApproved):
        payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk, now=NOW + 10)
    desk.gateway.approve(payment.order_id)
    done = payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk, now=NOW + 30)

    assert done.state is PaymentState.CAPTURED and done.paypal_fee_cents == 136  # 3.49% of $25 + 49c
    session = desk.calls.calls.get(call.call_id)
    assert session.state is CallState.IN_SESSION and session.session_ends_at == NOW + 30 + 15 * 60
    assert balance(desk, books.helper_pending(HELPER)) == 2000  # the free plan: 80% of the amount paid


def test_only_the_caller_pays_and_strangers_see_nothing(desk):
    with_storefront(desk)
    call = agreed_call(desk)
    with pytest.raises(Forbidden):
        payments.pay_for_call(call_id=call.call_id, payer_id=HELPER, desk=desk, now=NOW)
    with pytest.raises(Forbidden):
        payments.pay_for_call(call_id=call.call_id, payer_id="stranger", desk=desk, now=NOW)
    payment = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW)
    with pytest.raises(NotFound):
        payments.complete_payment(payment_id=payment.payment_id, user_id="stranger", desk=desk, now=NOW)


def test_completing_twice_or_at_once_captures_and_posts_once(desk):
    with_storefront(desk)
    call = agreed_call(desk)
    payment = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW)
    desk.gateway.approve(payment.order_id)
    results = []

    def complete():
        results.append(payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk,
                                                 now=NOW + 20).state)

    threads = [threading.Thread(target=complete) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [PaymentState.CAPTURED] * 8
    assert balance(desk, books.helper_pending(HELPER)) == 2000
    assert desk.ledger.balance(books.PAYPAL).debits_cents == 2500 - 136


def test_cancel_at_paypal_returns_the_call_to_negotiation_with_the_same_terms(desk):
    with_storefront(desk)
    call = agreed_call(desk)
    payment = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW + 5)
    payments.cancel_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk, now=NOW + 20)
    back = desk.calls.calls.get(call.call_id)
    assert back.state is CallState.NEGOTIATING and back.proposed.price_cents == 2500
    assert back.state_deadline == NOW + 300  # the negotiation window still counts from the answer
    with pytest.raises(PaymentClosed):
        payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk, now=NOW + 30)


def test_a_cancel_after_the_negotiation_window_ends_the_call(desk):
    with_storefront(desk)
    call = agreed_call(desk)
    payment = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW + 5)
    payments.cancel_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk, now=NOW + 301)
    ended = desk.calls.calls.get(call.call_id)
    assert ended.state is CallState.ENDED and ended.end_reason is EndReason.NO_AGREEMENT


def test_a_declined_payment_goes_back_to_negotiation(desk):
    with_storefront(desk)
    call = agreed_call(desk)
    payment = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW)
    desk.gateway.approve(payment.order_id)
    desk.gateway.decline_next_capture("INSTRUMENT_DECLINED")
    with pytest.raises(PaymentDeclined):
        payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk, now=NOW + 20)
    assert desk.payments.get(payment.payment_id).state is PaymentState.DECLINED
    assert desk.calls.calls.get(call.call_id).state is CallState.NEGOTIATING
    assert desk.ledger.balance(books.PAYPAL).debits_cents == 0


def test_a_payment_for_a_call_that_moved_on_is_not_captured(desk):
    with_storefront(desk)
    call = agreed_call(desk)
    payment = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW)
    desk.gateway.approve(payment.order_id)
    sweep_calls(desk=desk.calls, now=NOW + 601)  # the payment window closed
    with pytest.raises(PaymentClosed):
        payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk, now=NOW + 602)
    assert desk.payments.get(payment.payment_id).state is PaymentState.VOIDED


def test_money_captured_for_a_call_that_ended_meanwhile_goes_back_in_full(desk):
    with_storefront(desk)
    call = agreed_call(desk)
    payment = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW)
    desk.gateway.approve(payment.order_id)
    order = desk.gateway.capture_order(order_id=payment.order_id, request_id=f"capture-{payment.payment_id}")
    sweep_calls(desk=desk.calls, now=NOW + 601)  # the call ended while PayPal captured
    settled = payments.settle(payment=payment, capture=order.capture, desk=desk, now=NOW + 602)
    assert settled.state is PaymentState.REFUNDED and settled.refunded_cents == 2500
    assert balance(desk, books.helper_pending(HELPER)) == 0
    assert any("refunded" in email.subject for email in desk.mailer.sent)


def test_webhooks_settle_when_the_browser_never_comes_back_and_replays_change_nothing(desk):
    with_storefront(desk)
    call = agreed_call(desk)
    payment = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW)
    desk.gateway.approve(payment.order_id)
    approved = {"id": "WH-1", "event_type": "CHECKOUT.ORDER.APPROVED",
                "resource": {"id": payment.order_id, "purchase_units": [{"custom_id": payment.payment_id}]}}
    assert webhook(approved, desk, now=NOW + 40)["outcome"] == "payment captured"
    assert desk.calls.calls.get(call.call_id).state is CallState.IN_SESSION
    assert webhook(approved, desk, now=NOW + 41)["outcome"] == "replay ignored"
    capture = desk.gateway.get_capture(desk.payments.get(payment.payment_id).capture_id)
    completed = {"id": "WH-2", "event_type": "PAYMENT.CAPTURE.COMPLETED",
                 "resource": {"id": capture.capture_id, "status": "COMPLETED", "custom_id": payment.payment_id,
                              "amount": {"currency_code": "USD", "value": "25.00"},
                              "seller_receivable_breakdown": {"paypal_fee": {"currency_code": "USD", "value": "1.36"}}}}
    assert webhook(completed, desk, now=NOW + 42)["outcome"] == "already settled"
    assert balance(desk, books.helper_pending(HELPER)) == 2000


@pytest.mark.parametrize("event", [None, [], {"id": "x"}, {"id": 1, "event_type": "A", "resource": {}},
                                   {"id": "WH-9", "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {}}])
def test_a_malformed_webhook_event_is_refused_and_changes_nothing(desk, event):
    with pytest.raises(InvalidInput):
        webhook(event, desk, now=NOW)
    assert not desk.events.events


def test_a_chargeback_takes_the_helpers_share_back(desk):
    with_storefront(desk)
    _, payment = paid(desk)
    reversal = {"id": "WH-R", "event_type": "PAYMENT.CAPTURE.REVERSED",
                "resource": {"id": "RV-1", "status": "COMPLETED", "custom_id": payment.payment_id,
                             "amount": {"currency_code": "USD", "value": "25.00"},
                             "links": [{"rel": "up", "method": "GET",
                                        "href": f"https://api.paypal.com/v2/payments/captures/{payment.capture_id}"}]}}
    assert webhook(reversal, desk, now=NOW + 99)["outcome"] == "reversed"
    assert balance(desk, books.helper_pending(HELPER)) == 0
    assert desk.payments.get(payment.payment_id).state is PaymentState.REVERSED


def test_tips_are_for_upgraded_helpers_during_a_session(desk):
    with_storefront(desk)
    desk.plans.save(PlanSubscription(user_id=HELPER, plan="upgraded", until=NOW + 86400, last_payment_id="p"))
    call, _ = paid(desk)
    with pytest.raises(InvalidInput):
        payments.tip(call_id=call.call_id, payer_id=CALLER, amount_cents=50, desk=desk, now=NOW + 60)
    tip = payments.tip(call_id=call.call_id, payer_id=CALLER, amount_cents=500, desk=desk, now=NOW + 60)
    desk.gateway.approve(tip.order_id)
    payments.complete_payment(payment_id=tip.payment_id, user_id=CALLER, desk=desk, now=NOW + 70)
    told = [m for _, m in desk.calls.sender.sent if m.get("type") == "tip"]
    assert {c for c, m in desk.calls.sender.sent if m.get("type") == "tip"} == {"c-helper", "c-caller"}
    assert told[0]["amount_cents"] == 500
    # upgraded: 100% minus PayPal's fee, on the session ($25 - $1.36) and the tip ($5 - $0.66)
    assert balance(desk, books.helper_pending(HELPER)) == 2364 + 434


def test_no_tips_on_the_free_plan(desk):
    with_storefront(desk)
    call, _ = paid(desk)
    with pytest.raises(Forbidden):
        payments.tip(call_id=call.call_id, payer_id=CALLER, amount_cents=500, desk=desk, now=NOW + 60)


def test_buying_the_upgraded_plan_extends_it_once_per_payment(desk):
    payment = payments.buy_upgrade(user_id=HELPER, desk=desk, now=NOW)
    assert payment.amount_cents == 1500 and payment.helper_id is None
    desk.gateway.approve(payment.order_id)
    payments.complete_payment(payment_id=payment.payment_id, user_id=HELPER, desk=desk, now=NOW + 10)
    payments.complete_payment(payment_id=payment.payment_id, user_id=HELPER, desk=desk, now=NOW + 11)
    view = payments.plan_view(user_id=HELPER, desk=desk, now=NOW + 20)
    assert view["plan"] == "upgraded" and view["until"] == NOW + 10 + 30 * 86400
    assert desk.ledger.balance(books.PLATFORM_REVENUE).credit_balance == 1500  # all of it is the platform's
    assert desk.ledger.balance(books.PAYPAL_FEES).debits_cents == 101  # and PayPal's fee its expense
    with pytest.raises(NotFound):
        payments.buy_upgrade(user_id=CALLER, desk=desk, now=NOW)  # not a Helper


def ended_paid_call(desk):
    call, payment = paid(desk)
    act(action="end", call_id=call.call_id, user_id=CALLER, connection_id="c-caller", message={}, desk=desk.calls,
        now=NOW + 600)
    return payment


def test_a_refund_approved_by_ops_gives_back_the_amount_minus_paypals_fee(desk):
    with_storefront(desk)
    payment = ended_paid_call(desk)
    request = refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER, reason="The helper never showed",
                                     desk=desk, now=NOW + 700)
    assert request.refund_cents == 2500 - 136 and request.state is RefundState.OPEN
    assert request.deadline > NOW + 700 + 7 * 86400  # 7 business days: weekends do not count
    refunds.add_statement(request_id=request.request_id, helper_id=HELPER, statement="I was there.", desk=desk,
                          now=NOW + 800)
    assert [r.request_id for r in refunds.queue(is_ops=True, desk=desk)] == [request.request_id]

    done = refunds.decide(request_id=request.request_id, ops_id=OPS, decision="approve", note="Fair.", desk=desk,
                          now=NOW + 900)
    assert done.state is RefundState.REFUNDED and done.refund_id
    assert desk.gateway.get_capture(payment.capture_id).status in ("REFUNDED", "PARTIALLY_REFUNDED")
    assert balance(desk, books.helper_pending(HELPER)) == 0
    assert desk.payments.get(payment.payment_id).state is PaymentState.REFUNDED
    assert {(e.to, e.subject) for e in desk.mailer.sent} >= {
        (desk.settings.ops_email, f"Refund request {request.request_id}"),
        (f"{HELPER}@example.com", "A customer asked for a refund"),
        (f"{CALLER}@example.com", "Your refund was approved"), (f"{HELPER}@example.com", "A refund was approved")}
    [approved] = [e for e in desk.mailer.sent if e.subject == "Your refund was approved"]
    assert "$23.64" in approved.text and "Fair." in approved.text and "Fair." in approved.html
    with pytest.raises(refunds.RefundAlreadyDecided):
        refunds.decide(request_id=request.request_id, ops_id=OPS, decision="deny", note="No.", desk=desk, now=NOW + 901)
    assert refunds.queue(is_ops=True, desk=desk) == []


def test_refunds_are_asked_once_within_24_hours_of_the_end(desk):
    from chalicelib.domain.payments import RefundAlreadyRequested
    from chalicelib.domain.refunds import RefundWindowClosed

    with_storefront(desk)
    payment = ended_paid_call(desk)
    with pytest.raises(RefundWindowClosed):
        refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER, reason="Too late, I know",
                               desk=desk, now=NOW + 600 + 24 * 3600)
    refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER, reason="Within the day", desk=desk,
                           now=NOW + 600 + 24 * 3600 - 1)
    with pytest.raises(RefundAlreadyRequested):
        refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER, reason="Asking twice", desk=desk,
                               now=NOW + 700)
    with pytest.raises(NotFound):
        refunds.request_refund(payment_id=payment.payment_id, user_id=HELPER, reason="Not my payment", desk=desk,
                               now=NOW + 700)


def test_a_denied_refund_keeps_the_helpers_earnings_and_only_ops_decides(desk):
    with_storefront(desk)
    payment = ended_paid_call(desk)
    request = refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER, reason="Changed my mind",
                                     desk=desk, now=NOW + 700)
    with pytest.raises(Forbidden):
        refunds.queue(is_ops=False, desk=desk)
    denied = refunds.decide(request_id=request.request_id, ops_id=OPS, decision="deny", note="Session was held.",
                            desk=desk, now=NOW + 800)
    assert denied.state is RefundState.DENIED
    assert balance(desk, books.helper_pending(HELPER)) == 2000
    assert {(e.to, e.subject) for e in desk.mailer.sent} >= {
        (f"{CALLER}@example.com", "Your refund request was declined"),
        (f"{HELPER}@example.com", "A refund request was declined")}


def test_a_refund_paypal_refuses_is_marked_failed_and_nothing_is_reversed(desk):
    with_storefront(desk)
    payment = ended_paid_call(desk)
    request = refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER, reason="Nothing was explained",
                                     desk=desk, now=NOW + 700)
    desk.gateway.decline_next_refund()
    with pytest.raises(refunds.RefundFailed):
        refunds.decide(request_id=request.request_id, ops_id=OPS, decision="approve", note="Fair.", desk=desk,
                       now=NOW + 800)
    assert desk.refunds.get(request.request_id).state is RefundState.FAILED
    assert balance(desk, books.helper_pending(HELPER)) == 2000
    assert desk.payments.get(payment.payment_id).state is PaymentState.CAPTURED


def refunded_webhook(event_id, *, refund_id, cents, capture_id):
    """PayPal's PAYMENT.CAPTURE.REFUNDED, as PayPal sends it for a refund we asked for (no
    custom_id: the refund names its capture only)."""
    return {"id": event_id, "event_type": "PAYMENT.CAPTURE.REFUNDED",
            "resource": {"id": refund_id, "status": "COMPLETED",
                         "amount": {"currency_code": "USD", "value": f"{cents // 100}.{cents % 100:02d}"},
                         "links": [{"rel": "up", "method": "GET",
                                    "href": f"https://api.paypal.com/v2/payments/captures/{capture_id}"}]}}


def test_paypals_webhook_for_a_refund_we_recorded_already_is_acknowledged_and_changes_nothing(desk):
    # Given ops approved a refund, recorded in the ledger and on the payment when PayPal answered
    with_storefront(desk)
    payment = ended_paid_call(desk)
    request = refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER, reason="Not helpful",
                                     desk=desk, now=NOW + 700)
    done = refunds.decide(request_id=request.request_id, ops_id=OPS, decision="approve", note="Fair.", desk=desk,
                          now=NOW + 900)
    paypal_before = desk.ledger.balance(books.PAYPAL)
    # When PayPal's webhook for that same refund arrives afterwards (and is delivered again)
    for event_id in ("WH-REFUND-1", "WH-REFUND-2"):
        outcome = webhook(refunded_webhook(event_id, refund_id=done.refund_id, cents=done.refund_cents,
                                           capture_id=payment.capture_id), desk, now=NOW + 950)
        # Then it is answered (PayPal would redeliver a refusal for days) and nothing moves twice
        assert outcome["outcome"] == "payment refunded"
    assert desk.ledger.balance(books.PAYPAL) == paypal_before
    assert desk.payments.get(payment.payment_id).refunded_cents == 2500 - 136


def test_terms_accepted_again_within_the_same_second_after_a_cancel_get_a_new_payment(desk):
    # Given a caller who cancelled at PayPal and accepted the same terms again in the same second
    with_storefront(desk)
    call = agreed_call(desk)
    first = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW)
    payments.cancel_payment(payment_id=first.payment_id, user_id=CALLER, desk=desk, now=NOW)
    act(action="accept", user_id=CALLER, connection_id="c-caller", message={"price_cents": 2500, "minutes": 15},
        call_id=call.call_id, desk=desk.calls, now=NOW)
    # When the caller asks to pay, and that request is retried
    second = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW)
    retried = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW)
    # Then this attempt has a payment and an order of its own, open, and the retry finds them
    assert second.payment_id != first.payment_id and second.order_id != first.order_id
    assert second.state is PaymentState.CREATED and second.approve_url
    assert (retried.payment_id, retried.order_id) == (second.payment_id, second.order_id)
    assert desk.payments.get(first.payment_id).state is PaymentState.CANCELLED
    desk.gateway.approve(second.order_id)
    payments.complete_payment(payment_id=second.payment_id, user_id=CALLER, desk=desk, now=NOW + 1)
    assert desk.calls.calls.get(call.call_id).state is CallState.IN_SESSION


def test_the_caller_coming_back_from_paypal_on_a_new_tab_still_finds_the_same_payment(desk):
    # Given a call awaiting payment whose caller asked for the order
    with_storefront(desk)
    call = agreed_call(desk)
    first = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW)
    # When the caller's tab reconnects meanwhile (the call's version moves on)
    act(action="rejoin", user_id=CALLER, connection_id="c-caller-2", message={}, call_id=call.call_id,
        desk=desk.calls, now=NOW + 20)
    assert desk.calls.calls.get(call.call_id).version > call.version
    # Then asking again is a retry of the same attempt: the same payment and order
    again = payments.pay_for_call(call_id=call.call_id, payer_id=CALLER, desk=desk, now=NOW + 21)
    assert (again.payment_id, again.order_id) == (first.payment_id, first.order_id)
