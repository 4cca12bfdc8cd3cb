"""Refunds: a customer asks within 24 hours of the session's end, the Helper gives their side,
ops decides once within 7 business days; approval gives back the amount minus PayPal's fee
through PayPal and reverses the ledger. Both parties are told by email."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.ops_watch import pacific_time
from chalicelib.domain.payments import PaymentClosed, PaymentState, RefundRequest, check_text, split_of
from chalicelib.domain.refunds import (
    RefundDecision,
    RefundState,
    refund_amount,
    review_deadline,
)
from chalicelib.observability import logger
from chalicelib.services.emails import compose, tell
from chalicelib.services.payments import PaymentDesk, paypal_errors, post_refund

class RefundAlreadyDecided(Conflict):
    """A refund request is decided once."""

    code = "refund_already_decided"


class RefundFailed(Conflict):
    """PayPal refused to refund the capture (it may be disputed or too old)."""

    code = "refund_failed"


def refund_view(request: RefundRequest) -> dict:
    return {
        "request_id": request.request_id, "payment_id": request.payment_id, "state": request.state.value,
        "paid_cents": request.paid_cents, "refund_cents": request.refund_cents, "currency": request.currency,
        "reason": request.reason, "statement": request.statement, "requested_at": request.requested_at,
        "deadline": request.deadline, "decided_at": request.decided_at, "note": request.note,
        "refund_id": request.refund_id, "payer_id": request.payer_id, "helper_id": request.helper_id,
    }


def refundable_until(payment, desk: PaymentDesk) -> int | None:
    """Until when the payer may ask for this payment back (None: not refundable, or not yet)."""
    if payment.state is not PaymentState.CAPTURED:
        return None
    return desk.purpose(payment).refundable_until(payment)


def request_refund(*, payment_id: str, user_id: str, reason: object, desk: PaymentDesk, now: int) -> RefundRequest:
    """The payer asks for their money back, within what the payment's purpose allows (a
    session's 24 hours, a store's windows); ops decides. Asking again is the same request."""
    payment = desk.payments.get(payment_id)
    if payment is None or payment.payer_id != user_id:
        raise NotFound("No such payment.")
    if payment.state not in (PaymentState.CAPTURED, PaymentState.REFUNDED) or payment.capture_id is None or \
            payment.refunded_cents >= payment.amount_cents:
        raise PaymentClosed(f"This payment is {payment.state.value}; there is nothing to refund.")
    text = check_text(reason, field="reason", label="A reason", minimum=10)
    refusal = desk.purpose(payment).refusal(payment, now)
    if refusal is not None:
        raise refusal
    full = refund_amount(split_of(payment), keep_paypal_fee=desk.settings.refund_keeps_paypal_fee)
    request = RefundRequest(
        request_id=payment.payment_id, payment_id=payment.payment_id, payer_id=user_id,
        helper_id=payment.helper_id, paid_cents=payment.amount_cents,
        refund_cents=min(full, payment.amount_cents - payment.refunded_cents),
        currency=payment.currency, reason=text, state=RefundState.OPEN, requested_at=now,
        deadline=review_deadline(now, business_days=desk.settings.refund_review_business_days))
    desk.refunds.create(request)
    tell_requested(request, desk)
    return request


def add_statement(*, request_id: str, helper_id: str, statement: object, desk: PaymentDesk,
                  now: int) -> RefundRequest:
    """The Helper's side of the story, for ops to read; while the request is open."""
    request = desk.refunds.get(request_id)
    if request is None or request.helper_id != helper_id:
        raise NotFound("No such refund request.")
    if request.state is not RefundState.OPEN:
        raise RefundAlreadyDecided("This request has been decided.")
    updated = request.with_changes(statement=check_text(statement, field="statement", label="Your statement"))
    if not desk.refunds.transition(updated, expected=[RefundState.OPEN]):
        raise RefundAlreadyDecided("This request has been decided.")
    return updated


def visible_request(*, request_id: str, user_id: str, is_ops: bool, desk: PaymentDesk) -> RefundRequest:
    request = desk.refunds.get(request_id)
    if request is None or not (is_ops or user_id in (request.payer_id, request.helper_id)):
        raise NotFound("No such refund request.")
    return request


def decide(*, request_id: str, ops_id: str, decision: object, note: object, desk: PaymentDesk,
           now: int, audit: Any = None) -> RefundRequest:
    """Ops decides once. An approval whose PayPal refund failed may be retried (same decision);
    the refund is idempotent by the request's id. The decision is written to the ops audit log
    (`audit`, adapters.audit; None: not logged) once, when it is taken."""
    try:
        chosen = RefundDecision(decision)
    except ValueError:
        raise InvalidInput("The decision is approve or deny.", field="decision") from None
    text = check_text(note, field="note", label="A note", maximum=2000)
    request = desk.refunds.get(request_id)
    if request is None:
        raise NotFound("No such refund request.")
    if request.state is RefundState.OPEN:
        state = RefundState.APPROVED if chosen is RefundDecision.APPROVE else RefundState.DENIED
        decided = request.with_changes(state=state, decided_at=now, decided_by=ops_id, note=text)
        if not desk.refunds.transition(decided, expected=[RefundState.OPEN]):
            raise RefundAlreadyDecided("Someone decided this request a moment ago.")
        request = decided
        if audit is not None:
            _audit(audit, ops_id=ops_id, action=f"{chosen.value}_refund", subject=f"refund:{request_id}",
                   reason=text, now=now)
        if state is RefundState.DENIED:
            _tell_decision(request, desk)
            return request
    elif not (request.state is RefundState.APPROVED and chosen is RefundDecision.APPROVE):
        raise RefundAlreadyDecided(f"This request was already decided ({request.state.value}).")
    return _pay_back(request, desk, now)


def _audit(audit: Any, **entry: Any) -> None:
    """The decision is taken (and its money must move): a log that cannot be written is an error
    for ops' alarms, not a reason to stop."""
    from chalicelib.services.audit import record

    try:
        record(audit, **entry)
    except Exception as error:  # noqa: BLE001
        logger().error("ops action not in the audit log", extra={**entry, "error": str(error)})


def _pay_back(request: RefundRequest, desk: PaymentDesk, now: int) -> RefundRequest:
    payment = desk.payments.get(request.payment_id)
    if payment is None or payment.capture_id is None:
        raise NotFound("The payment of this request is gone.")
    with paypal_errors():
        refund = desk.gateway.refund_capture(
            capture_id=payment.capture_id, amount_cents=request.refund_cents, currency=request.currency,
            request_id=f"refund-{request.request_id}", note=f"Refund approved: {request.note or ''}"[:255])
    if refund.status in ("FAILED", "CANCELLED"):
        failed = request.with_changes(state=RefundState.FAILED, refund_id=refund.refund_id)
        desk.refunds.transition(failed, expected=[RefundState.APPROVED])
        raise RefundFailed("PayPal refused the refund; the request is marked failed for ops to look at.")
    if refund.status != "COMPLETED":  # PENDING: PayPal finishes it later and its webhook posts it
        pending = request.with_changes(refund_id=refund.refund_id)
        desk.refunds.transition(pending, expected=[RefundState.APPROVED])
        return pending
    post_refund(payment=payment, refund_id=refund.refund_id, refunded_cents=refund.amount_cents, desk=desk,
                now=now, reason="Refund approved by interKanect.")
    done = request.with_changes(state=RefundState.REFUNDED, refund_id=refund.refund_id)
    if desk.refunds.transition(done, expected=[RefundState.APPROVED]):
        _tell_decision(done, desk)
    return desk.refunds.get(request.request_id) or done


def _tell_decision(request: RefundRequest, desk: PaymentDesk) -> None:
    if request.state is RefundState.REFUNDED:
        tell(desk, request.payer_id, "refund_approved_customer", refund_cents=request.refund_cents, note=request.note)
        tell(desk, request.helper_id, "refund_approved_helper", note=request.note)
    else:
        tell(desk, request.payer_id, "refund_declined_customer", note=request.note)
        tell(desk, request.helper_id, "refund_declined_helper", note=request.note)


def tell_requested(request: RefundRequest, desk: PaymentDesk) -> None:
    """Ops and the Helper hear of a new request; the Helper is asked for their side."""
    try:
        desk.mailer.send(compose("refund_requested_ops", to=desk.settings.ops_email, settings=desk.settings,
                                 request_id=request.request_id, refund_cents=request.refund_cents,
                                 reason=request.reason, deadline=pacific_time(request.deadline)))
    except Exception as error:  # noqa: BLE001 - email is best effort
        logger().warning("email not sent", extra={"error": str(error)})
    tell(desk, request.helper_id, "refund_requested_helper", paid_cents=request.paid_cents, reason=request.reason,
         review_days=desk.settings.refund_review_business_days)


def queue(*, is_ops: bool, desk: PaymentDesk) -> list[RefundRequest]:
    if not is_ops:
        raise Forbidden("Only ops sees the refund queue.")
    return desk.refunds.queue()
