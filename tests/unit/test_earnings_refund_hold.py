"""Earnings say when pending money is held by open refund requests about the Helper's sessions."""
from __future__ import annotations

from chalicelib.domain.payments import RefundRequest
from chalicelib.domain.refunds import RefundState
from chalicelib.services.earnings import held_by_refunds


def request(request_id: str, state: RefundState, paid_cents: int, deadline: int) -> RefundRequest:
    return RefundRequest(request_id=request_id, payment_id=request_id, payer_id="payer", helper_id="helper",
                         paid_cents=paid_cents, refund_cents=paid_cents - 100, currency="USD",
                         reason="It did not help at all.", state=state, requested_at=1000, deadline=deadline)


def test_only_open_requests_hold_earnings_and_the_first_deadline_is_said():
    refunds = [request("a", RefundState.OPEN, 2500, 9000), request("b", RefundState.DENIED, 4000, 5000),
               request("c", RefundState.OPEN, 1500, 7000), request("d", RefundState.REFUNDED, 900, 6000)]
    assert held_by_refunds(refunds) == {"count": 2, "paid_cents": 4000, "decide_by": 7000}


def test_nothing_is_held_without_an_open_request():
    assert held_by_refunds([]) is None
    assert held_by_refunds([request("b", RefundState.APPROVED, 4000, 5000)]) is None
