"""The in-memory PayPal twin's own hooks and rules (approval, declines, fees, replays, refunds,
threads); the behaviour it shares with the real gateway is the contract in
tests/integration/test_paypal_gateway.py."""
from __future__ import annotations

import threading

import pytest

from chalicelib.adapters.paypal import (
    InMemoryPayPalGateway,
    OrderNotApproved,
    PaymentDeclined,
    PayPalNotFound,
    PayPalRejected,
    paypal_fee_cents,
)


def new_order(twin: InMemoryPayPalGateway, *, amount_cents: int = 3000, request_id: str = "order-1"):
    return twin.create_order(request_id=request_id, amount_cents=amount_cents, currency="USD",
                             description="30 minutes with Ada", reference_id="call-1", custom_id="pay-1",
                             return_url="http://127.0.0.1:8080/pay/return",
                             cancel_url="http://127.0.0.1:8080/pay/cancel", brand_name="interKanect")


@pytest.fixture
def twin() -> InMemoryPayPalGateway:
    return InMemoryPayPalGateway(clock=lambda: 1_800_000_000.0)


@pytest.mark.parametrize("amount, fee", [
    (3000, 154),     # 104.7 -> 105, + 49
    (1000, 84),      # 34.9 -> 35, + 49
    (10000, 398),    # 349 + 49
    (1433, 99),      # 50.0117 -> 50, + 49
    (10315, 409),    # 359.99... -> 360, + 49
    (200, 56),       # 6.98 -> 7, + 49
    (50, 50),        # 1.745 -> 2, + 49 = 51: never more than the payment
])
def test_the_fee_is_349_basis_points_rounded_half_up_plus_49_cents(amount, fee) -> None:
    assert paypal_fee_cents(amount) == fee


def test_half_a_cent_rounds_up() -> None:
    # 2000 cents x 0.25% = 5.0 exactly; 200 cents x 0.25% = 0.5 -> 1
    assert paypal_fee_cents(200, basis_points=25, fixed_cents=0) == 1
    assert paypal_fee_cents(199, basis_points=25, fixed_cents=0) == 0


def test_a_capture_reports_fee_and_net_as_paypal_does(twin) -> None:
    order = new_order(twin)
    twin.approve(order.order_id)
    capture = twin.capture_order(order_id=order.order_id, request_id="capture-1").capture
    assert (capture.amount_cents, capture.paypal_fee_cents, capture.net_cents) == (3000, 154, 2846)
    assert capture.create_time == "2027-01-15T08:00:00Z"


def test_fees_follow_the_settings() -> None:
    twin = InMemoryPayPalGateway(fee_basis_points=290, fee_fixed_cents=30)
    order = new_order(twin, amount_cents=10000)
    twin.approve(order.order_id)
    assert twin.capture_order(order_id=order.order_id, request_id="c").capture.paypal_fee_cents == 320


def test_an_order_needs_approval_and_approval_is_once(twin) -> None:
    order = new_order(twin)
    assert order.approve_url == f"https://www.sandbox.paypal.com/checkoutnow?token={order.order_id}"
    with pytest.raises(OrderNotApproved):
        twin.capture_order(order_id=order.order_id, request_id="too-early")
    approved = twin.approve(order.order_id, payer_id="PAYER42")
    assert approved.status == "APPROVED" and approved.payer_id == "PAYER42"
    assert twin.approve(order.order_id).status == "APPROVED"  # the page clicked twice
    twin.capture_order(order_id=order.order_id, request_id="capture-1")
    with pytest.raises(PayPalRejected):
        twin.approve(order.order_id)
    with pytest.raises(PayPalNotFound):
        twin.approve("NOSUCHORDER00000")


def test_a_refusal_is_replayed_for_its_request_id_as_the_sandbox_does(twin) -> None:
    order = new_order(twin)
    with pytest.raises(OrderNotApproved):
        twin.capture_order(order_id=order.order_id, request_id="capture-1")
    twin.approve(order.order_id)
    with pytest.raises(OrderNotApproved):  # the same request id: PayPal's first answer again
        twin.capture_order(order_id=order.order_id, request_id="capture-1")
    assert twin.capture_order(order_id=order.order_id, request_id="capture-2").status == "COMPLETED"


def test_a_declined_instrument_leaves_the_order_approved_for_other_funding(twin) -> None:
    order = new_order(twin)
    twin.approve(order.order_id)
    twin.decline_next_capture("INSTRUMENT_DECLINED")
    with pytest.raises(PaymentDeclined) as info:
        twin.capture_order(order_id=order.order_id, request_id="capture-1")
    assert info.value.issue == "INSTRUMENT_DECLINED" and info.value.status == 422
    assert twin.get_order(order.order_id).status == "APPROVED"
    assert twin.capture_order(order_id=order.order_id, request_id="capture-2").capture.status == "COMPLETED"
    assert twin.captures_made == 1


def test_a_capture_declined_by_paypal_stays_declined(twin) -> None:
    order = new_order(twin)
    twin.approve(order.order_id)
    twin.decline_next_capture()
    with pytest.raises(PaymentDeclined) as info:
        twin.capture_order(order_id=order.order_id, request_id="capture-1")
    declined = info.value.order
    assert declined.status == "COMPLETED" and declined.capture.status == "DECLINED"
    assert declined.capture.paypal_fee_cents is None and declined.capture.net_cents is None
    with pytest.raises(PaymentDeclined):
        twin.capture_order(order_id=order.order_id, request_id="capture-2")
    with pytest.raises(PayPalRejected, match="REFUND_NOT_ALLOWED"):
        twin.refund_capture(capture_id=declined.capture.capture_id, amount_cents=100, currency="USD",
                            request_id="refund-1", note="")
    assert twin.captures_made == 0


def test_refund_refusals_name_paypal_issues(twin) -> None:
    order = new_order(twin)
    twin.approve(order.order_id)
    capture = twin.capture_order(order_id=order.order_id, request_id="capture-1").capture
    refund = dict(capture_id=capture.capture_id, currency="USD", note="sorry")
    with pytest.raises(PayPalRejected, match="REFUND_CAPTURE_CURRENCY_MISMATCH"):
        twin.refund_capture(**{**refund, "currency": "EUR"}, amount_cents=100, request_id="r1")
    with pytest.raises(PayPalRejected, match="REFUND_AMOUNT_EXCEEDED"):
        twin.refund_capture(**refund, amount_cents=3001, request_id="r2")
    twin.refund_capture(**refund, amount_cents=3000, request_id="r3")
    with pytest.raises(PayPalRejected, match="CAPTURE_FULLY_REFUNDED"):
        twin.refund_capture(**refund, amount_cents=1, request_id="r4")
    with pytest.raises(ValueError):
        twin.refund_capture(**refund, amount_cents=0, request_id="r5")


def test_concurrent_captures_capture_once(twin) -> None:
    order = new_order(twin)
    twin.approve(order.order_id)
    results, barrier = [], threading.Barrier(8)

    def capture(n: int) -> None:
        barrier.wait()
        results.append(twin.capture_order(order_id=order.order_id, request_id=f"capture-{n % 2}"))

    threads = [threading.Thread(target=capture, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.capture.capture_id for r in results}) == 1 and twin.captures_made == 1


def test_concurrent_refunds_never_exceed_the_capture(twin) -> None:
    order = new_order(twin, amount_cents=1000)
    twin.approve(order.order_id)
    capture_id = twin.capture_order(order_id=order.order_id, request_id="c").capture.capture_id
    refunded, refused, barrier = [], [], threading.Barrier(6)

    def refund(n: int) -> None:
        barrier.wait()
        try:
            refunded.append(twin.refund_capture(capture_id=capture_id, amount_cents=300, currency="USD",
                                                request_id=f"refund-{n}", note=""))
        except PayPalRejected:
            refused.append(n)

    threads = [threading.Thread(target=refund, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refunded) == 3 and len(refused) == 3
    assert twin.get_capture(capture_id).status == "PARTIALLY_REFUNDED"


def test_tokens_still_work_as_before() -> None:
    now = [1000.0]
    twin = InMemoryPayPalGateway(client_id="id", client_secret="s", clock=lambda: now[0])
    token = twin.access_token()
    assert twin.access_token() == token and twin.fetches == 1
    now[0] += 32400
    assert twin.access_token() != token and twin.fetches == 2
