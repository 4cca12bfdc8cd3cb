"""Payments through PayPal, as pure rules: what is paid for, how much (always from stored terms
or settings, never from the browser), and the life of one payment from order to capture."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum

from chalicelib.domain.calls import Call
from chalicelib.domain.errors import Conflict, InvalidInput, PaymentFailed
from chalicelib.domain.fees import PaymentKind, Split
from chalicelib.domain.refunds import RefundState
from chalicelib.domain.store import ShippingRule
from chalicelib.domain.user_text import has_control_characters, one_line, visible_text


class PaymentState(str, Enum):
    CREATED = "created"  # the order exists; the payer approves it at PayPal
    CAPTURED = "captured"  # the money is ours; the ledger has it
    CANCELLED = "cancelled"  # the payer cancelled at PayPal
    DECLINED = "declined"  # PayPal declined the payer's funding
    VOIDED = "voided"  # never captured: what it paid for had moved on (the call ended)
    REFUNDED = "refunded"
    REVERSED = "reversed"  # a chargeback took it back


OPEN = (PaymentState.CREATED,)


class PaymentDeclined(PaymentFailed):
    """PayPal declined the payer's funding source; they may try again while the window lasts."""

    code = "payment_declined"


class PaymentNotApproved(Conflict):
    """The payer has not approved the order at PayPal yet."""

    code = "payment_not_approved"


class PaymentClosed(Conflict):
    """The payment can no longer be captured (cancelled, declined, or its call moved on)."""

    code = "payment_closed"


@dataclass(frozen=True)
class Payment:
    """One PayPal payment, from order to capture (and refund)."""

    payment_id: str
    kind: PaymentKind
    payer_id: str
    helper_id: str | None  # who earns it; None for the platform's own sales (the upgraded plan)
    amount_cents: int
    currency: str
    state: PaymentState
    created_at: int
    description: str
    helper_plan: str = "free"  # the plan whose fees apply, fixed when the order is made
    call_id: str | None = None
    order_id: str | None = None
    approve_url: str | None = None
    capture_id: str | None = None
    paypal_fee_cents: int | None = None
    helper_cents: int | None = None
    platform_cents: int | None = None
    captured_at: int | None = None
    refunded_cents: int = 0
    closed_reason: str | None = None
    release_at: int | None = None  # the helper's share waits to become payable: look again then

    def with_changes(self, **changes: object) -> "Payment":
        return replace(self, **changes)


def call_payment_id(call: Call) -> str:
    """One payment per acceptance of paid terms, named by the call's version at that acceptance
    (fixed while the call awaits payment): a retried request finds the same order, and terms
    accepted again after a cancel or a decline, even within the same second, get a new one."""
    if call.accepted_version is None:  # a call accepted before versions named payments
        return f"call-{call.call_id}-{call.state_deadline}"
    return f"call-{call.call_id}-v{call.accepted_version}"


def check_tip(amount_cents: object, *, minimum: int, maximum: int) -> int:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise InvalidInput("A tip is a whole number of cents.", field="amount_cents")
    if not minimum <= amount_cents <= maximum:
        raise InvalidInput(f"A tip is from {minimum} to {maximum} cents.", field="amount_cents")
    return amount_cents


_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


@dataclass(frozen=True)
class Storefront:
    """A Helper's store: the PayPal email their payouts go to, its name, and how it ships
    physical goods (domain.store)."""

    user_id: str
    paypal_email: str
    name: str
    created_at: int
    updated_at: int
    shipping: ShippingRule = field(default_factory=ShippingRule)


def check_paypal_email(value: object) -> str:
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.match(value.strip()):
        raise InvalidInput("Enter the email address of your PayPal account.", field="paypal_email")
    return value.strip()


def check_store_name(value: object, fallback: str) -> str:
    """The storefront's name as people see it: one visible line (domain.user_text), or `fallback`."""
    if isinstance(value, str):
        value = one_line(value)
    if value is None or value == "":
        return one_line(fallback)
    if not isinstance(value, str) or len(value) > 80 or has_control_characters(value, allowed=""):
        raise InvalidInput("A store name is at most 80 characters.", field="name")
    return value


class RefundAlreadyRequested(Conflict):
    """A payment gets one refund request, decided once."""

    code = "refund_already_requested"


@dataclass(frozen=True)
class RefundRequest:
    """A customer's request for their money back, and ops' decision on it."""

    request_id: str  # the payment's id: one request per payment
    payment_id: str
    payer_id: str
    helper_id: str | None
    paid_cents: int
    refund_cents: int  # what approval gives back: the amount minus PayPal's fee
    currency: str
    reason: str
    state: RefundState
    requested_at: int
    deadline: int  # ops decides by then: 7 business days
    statement: str | None = None  # the Helper's side
    decided_at: int | None = None
    decided_by: str | None = None
    note: str | None = None
    refund_id: str | None = None
    reminded_at: int | None = None

    def with_changes(self, **changes: object) -> "RefundRequest":
        return replace(self, **changes)


def check_text(value: object, *, field: str, label: str, minimum: int = 1, maximum: int = 2000) -> str:
    """Plain text a person wrote (a reason, a statement, a note) that others read: invisible
    characters removed (domain.user_text), trimmed and bounded, control characters refused."""
    text = visible_text(value).replace("\r\n", "\n").strip() if isinstance(value, str) else None
    if text is None or not minimum <= len(text) <= maximum:
        raise InvalidInput(f"{label} is {minimum} to {maximum} characters.", field=field)
    if has_control_characters(text):
        raise InvalidInput(f"{label} may not hold control characters.", field=field)
    return text


def split_of(payment: Payment) -> Split:
    """How a settled payment's amount was split (PayPal's fee, the Helper's share, the platform's)."""
    assert payment.paypal_fee_cents is not None and payment.helper_cents is not None
    return Split(amount_cents=payment.amount_cents, paypal_fee_cents=payment.paypal_fee_cents,
                 helper_cents=payment.helper_cents, platform_cents=payment.platform_cents or 0)
