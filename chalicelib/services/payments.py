"""Paying through PayPal: paid calls and extensions, tips, the upgraded plan, the capture that
settles a payment into the ledger, and PayPal's webhooks. Amounts always come from stored terms
or settings, never from the browser; every step is idempotent under retries and races."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterator, Sequence

from chalicelib.adapters.accounts import AccountStore
from chalicelib.adapters.ledger import LedgerStore
from chalicelib.adapters.mailer import Mailer
from chalicelib.adapters.ops_stats import tally
from chalicelib.adapters.payments import PaymentStore, PlanStore, StorefrontStore, WebhookEventLog
from chalicelib.adapters.refunds import RefundRequestStore
from chalicelib.domain import ledger as books
from chalicelib.domain.calls import CallState, IllegalTransition, Role, apply_timeouts
from chalicelib.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, ServiceUnavailable
from chalicelib.domain.fees import FeeSchedule, PaymentKind, split_payment
from chalicelib.domain.payments import (
    Payment,
    PaymentClosed,
    PaymentDeclined,
    PaymentNotApproved,
    PaymentState,
    Storefront,
    call_payment_id,
    check_paypal_email,
    check_store_name,
    check_tip,
    split_of,
)
from chalicelib.domain.plans import current_plan, extended
from chalicelib.domain.refunds import RefundWindowClosed, refund_window_closes_at
from chalicelib.domain.store import ShippingRule
from chalicelib.observability import PAYMENTS_CAPTURED, REFUNDS, count, logger
from chalicelib.services.calls import CallDesk
from chalicelib.services.emails import tell
from chalicelib.services.reviews import session_refunded
from chalicelib.services.webhooks import Handler
from chalicelib.settings import Settings

SETTLED = (PaymentState.CAPTURED, PaymentState.REFUNDED, PaymentState.REVERSED)
CALL_KINDS = (PaymentKind.SESSION, PaymentKind.EXTENSION)


def _always(payment: Payment, now: int) -> bool:
    return True


def _nothing(payment: Payment, now: int) -> None:
    return None


def _not_refundable(payment: Payment, now: int) -> DomainError:
    return InvalidInput("This payment cannot be refunded.", field="payment_id")


def _no_window(payment: Payment) -> int | None:
    return None


def _refunded_nothing(payment: Payment, cents: int, now: int) -> None:
    return None


@dataclass(frozen=True)
class Purpose:
    """What one kind of payment pays for: whether it is still wanted when the payer comes back
    from PayPal (else nothing is captured), what happens once it is captured (`first` is False
    when the capture was settled before: a retry), and what happens when it fails (cancelled at
    PayPal or declined). And its refunds: the refusal the payer hears asking for one now (None:
    they may), until when they may (None: not known, or never), and what a refund posted in the
    ledger changes (once per refund)."""

    deliver: Callable[[Payment, int, bool], None]
    still_wanted: Callable[[Payment, int], bool] = _always
    failed: Callable[[Payment, int], None] = _nothing
    refusal: Callable[[Payment, int], DomainError | None] = _not_refundable
    refundable_until: Callable[[Payment], int | None] = _no_window
    refunded: Callable[[Payment, int, int], None] = _refunded_nothing


@dataclass(frozen=True)
class PaymentDesk:
    """What paying touches. What each kind of payment pays for is a `Purpose`: this module's own
    (sessions, extensions, tips, the plan), and those other capabilities register in `purposes`
    (the store's orders), so this module imports none of them."""

    payments: PaymentStore
    storefronts: StorefrontStore
    plans: PlanStore
    ledger: LedgerStore
    gateway: Any  # adapters.paypal.PaymentGateway
    events: WebhookEventLog
    calls: CallDesk
    fees: FeeSchedule
    settings: Settings
    mailer: Mailer
    accounts: AccountStore
    refunds: RefundRequestStore
    reviews: Any = None  # services.reviews.ReviewDesk: a refunded session's review is marked
    purposes: dict[PaymentKind, Purpose] = field(default_factory=dict)  # the other capabilities'
    notices: Any = None  # () -> services.notices.NoticeDesk: emails become notices (services/emails.py)
    stats: Any = None  # adapters.ops_stats: the ops dashboard's daily counters; None: not kept

    def purpose(self, payment: Payment) -> Purpose:
        found = self.purposes.get(payment.kind) or _own_purposes(self).get(payment.kind)
        if found is None:
            raise RuntimeError(f"No purpose is registered for {payment.kind.value} payments")
        return found


class PaidThrough:
    """A capability whose money goes through the payment desk (the store, appointments) reads
    the settings, people, mail, pages and storefronts through it too."""

    payments: PaymentDesk

    @property
    def settings(self) -> Any:
        return self.payments.settings

    @property
    def accounts(self) -> Any:
        return self.payments.accounts

    @property
    def mailer(self) -> Any:
        return self.payments.mailer

    @property
    def notices(self) -> Any:
        return getattr(self.payments, "notices", None)

    @property
    def pages(self) -> Any:
        return self.payments.calls.pages

    @property
    def storefronts(self) -> Any:
        return self.payments.storefronts


def payment_view(payment: Payment) -> dict:
    """A payment as its payer (or its Helper) sees it."""
    return {
        "payment_id": payment.payment_id, "kind": payment.kind.value, "state": payment.state.value,
        "amount_cents": payment.amount_cents, "currency": payment.currency, "description": payment.description,
        "call_id": payment.call_id, "helper_id": payment.helper_id, "created_at": payment.created_at,
        "captured_at": payment.captured_at, "refunded_cents": payment.refunded_cents,
        "approve_url": payment.approve_url if payment.state is PaymentState.CREATED else None,
        "closed_reason": payment.closed_reason,
    }


@contextmanager
def paypal_errors() -> Iterator[None]:
    """PayPal being down or refusing our own request is not the user's fault: a clear 503."""
    from chalicelib.adapters import paypal

    try:
        yield
    except (paypal.PayPalUnavailable, paypal.PayPalRejected) as error:
        logger().warning("paypal failed", extra={"error": str(error)})
        raise ServiceUnavailable("PayPal did not answer as expected; try again in a moment.") from None


# -- storefront and plan ---------------------------------------------------------------------

def save_storefront(*, user_id: str, paypal_email: object, name: object, desk: PaymentDesk, now: int) -> Storefront:
    """A Helper sets where payouts go; paid sessions need it."""
    page = desk.calls.pages.get(user_id)
    if page is None:
        raise NotFound("Become a Helper first: a storefront belongs to a Helper page.")
    existing = desk.storefronts.get(user_id)
    storefront = Storefront(user_id=user_id, paypal_email=check_paypal_email(paypal_email),
                            name=check_store_name(name, page.display_name),
                            created_at=existing.created_at if existing else now, updated_at=now,
                            shipping=existing.shipping if existing else ShippingRule())
    desk.storefronts.save(storefront)
    return storefront


def plan_view(*, user_id: str, desk: PaymentDesk, now: int) -> dict:
    subscription = desk.plans.get(user_id)
    plan = current_plan(subscription, now)
    return {"plan": plan.name, "until": subscription.until if subscription and plan.name != "free" else None,
            "upgrade": {"price_cents": desk.settings.upgrade_price_cents, "days": desk.settings.upgrade_days,
                        "currency": desk.settings.currency}}


# -- opening a payment -----------------------------------------------------------------------

def open_payment(payment: Payment, *, desk: PaymentDesk, items: Sequence[Any] = (), shipping_cents: int = 0,
                 ships: bool = False) -> Payment:
    """Records the payment, then its PayPal order (the same order however often it is asked):
    with its line items (adapters.paypal.OrderItem) and shipping when it pays for goods."""
    stored = desk.payments.create(payment)
    if stored.order_id or stored.state is not PaymentState.CREATED:
        return stored
    site = desk.settings.site_url
    goods = {"items": items, "shipping_cents": shipping_cents, "ships": ships} if items else {}
    with paypal_errors():
        order = desk.gateway.create_order(
            request_id=f"order-{stored.payment_id}", amount_cents=stored.amount_cents, currency=stored.currency,
            description=stored.description, reference_id=stored.payment_id, custom_id=stored.payment_id,
            return_url=f"{site}/pay-return.html?payment={stored.payment_id}",
            cancel_url=f"{site}/pay-return.html?payment={stored.payment_id}&cancelled=1",
            brand_name=desk.settings.brand_name, **goods)
    desk.payments.transition(stored.with_changes(order_id=order.order_id, approve_url=order.approve_url),
                             expected=[PaymentState.CREATED])
    return desk.payments.get(stored.payment_id) or stored


def _live_call(call_id: str, user_id: str, desk: PaymentDesk):
    call = desk.calls.calls.get(call_id)
    if call is None:
        raise NotFound("No such call.")
    if call.role_of(user_id) is not Role.CALLER:
        raise Forbidden("Only the caller pays in a call.")
    return call


def pay_for_call(*, call_id: str, payer_id: str, desk: PaymentDesk, now: int) -> Payment:
    """The caller accepted paid terms: the order for exactly those terms (or an extension)."""
    call = apply_timeouts(_live_call(call_id, payer_id, desk), now=now)
    if call.state is not CallState.AWAITING_PAYMENT or call.agreed is None or call.state_deadline is None:
        raise PaymentClosed(f"There is nothing to pay in this call now (it is {call.state.value}).")
    if desk.storefronts.get(call.helper_id) is None:
        raise PaymentClosed("This Helper cannot take payments yet (no storefront).")
    page = desk.calls.pages.get(call.helper_id)
    name = page.display_name if page else "your Helper"
    kind = PaymentKind.EXTENSION if call.extension else PaymentKind.SESSION
    what = "Extension" if call.extension else "Session"
    payment = Payment(
        payment_id=call_payment_id(call), kind=kind, payer_id=payer_id,
        helper_id=call.helper_id, amount_cents=call.agreed.price_cents, currency=desk.settings.currency,
        state=PaymentState.CREATED, created_at=now,
        description=f"{what}: {call.agreed.minutes} minutes with {name} on {desk.settings.brand_name}",
        helper_plan=call.plan.name, call_id=call.call_id)
    return open_payment(payment, desk=desk)


def tip(*, call_id: str, payer_id: str, amount_cents: object, desk: PaymentDesk, now: int,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> Payment:
    """A tip during a session, for Helpers on the upgraded plan."""
    call = apply_timeouts(_live_call(call_id, payer_id, desk), now=now)
    if not call.plan.tips:
        raise Forbidden(f"Tips are for Helpers on the upgraded plan; this call is on the {call.plan.name} plan.")
    if not call.live or call.session_started_at is None:
        raise PaymentClosed("Tips are given during a session.")
    amount = check_tip(amount_cents, minimum=desk.settings.tip_min_cents, maximum=desk.settings.tip_max_cents)
    if desk.storefronts.get(call.helper_id) is None:
        raise PaymentClosed("This Helper cannot take payments yet (no storefront).")
    page = desk.calls.pages.get(call.helper_id)
    payment = Payment(
        payment_id=f"tip-{new_id()}", kind=PaymentKind.TIP, payer_id=payer_id, helper_id=call.helper_id,
        amount_cents=amount, currency=desk.settings.currency, state=PaymentState.CREATED, created_at=now,
        description=f"A tip for {page.display_name if page else 'your Helper'} on {desk.settings.brand_name}",
        helper_plan=call.plan.name, call_id=call.call_id)
    return open_payment(payment, desk=desk)


def buy_upgrade(*, user_id: str, desk: PaymentDesk, now: int,
                new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> Payment:
    """A Helper buys the upgraded plan for a period (price and period are settings)."""
    if desk.calls.pages.get(user_id) is None:
        raise NotFound("Become a Helper first: plans are for Helpers.")
    s = desk.settings
    payment = Payment(
        payment_id=f"plan-{new_id()}", kind=PaymentKind.PLAN, payer_id=user_id, helper_id=None,
        amount_cents=s.upgrade_price_cents, currency=s.currency, state=PaymentState.CREATED, created_at=now,
        description=f"{s.brand_name} upgraded plan, {s.upgrade_days} days")
    return open_payment(payment, desk=desk)


# -- the payer comes back: capture, cancel ---------------------------------------------------

def _own(payment_id: str, user_id: str | None, desk: PaymentDesk) -> Payment:
    payment = desk.payments.get(payment_id)
    if payment is None or (user_id is not None and user_id not in (payment.payer_id, payment.helper_id)):
        raise NotFound("No such payment.")
    return payment


def _call_waits_for(payment: Payment, now: int, *, desk: PaymentDesk) -> bool:
    """A call payment is still wanted while its call waits for exactly this payment."""
    call = desk.calls.calls.get(payment.call_id or "")
    if call is None:
        return False
    call = apply_timeouts(call, now=now)
    return call.state is CallState.AWAITING_PAYMENT and call_payment_id(call) == payment.payment_id


def complete_payment(*, payment_id: str, user_id: str | None, desk: PaymentDesk, now: int) -> Payment:
    """The payer approved at PayPal (the browser came back, or PayPal's webhook said so):
    capture once, settle, and resume the call. Safe to call any number of times at once."""
    from chalicelib.adapters import paypal

    payment = _own(payment_id, user_id, desk)
    if user_id is not None and payment.payer_id != user_id:
        raise Forbidden("Only the payer completes a payment.")
    if payment.state in SETTLED:
        return payment
    if payment.state is not PaymentState.CREATED or not payment.order_id:
        raise PaymentClosed(payment.closed_reason or f"This payment was {payment.state.value}.")
    if not desk.purpose(payment).still_wanted(payment, now):
        reason = ("The call moved on before the payment; nothing was charged." if payment.kind in CALL_KINDS
                  else "This payment is no longer wanted; nothing was charged.")
        _close(payment, PaymentState.VOIDED, reason, desk)
        raise PaymentClosed(reason)
    try:
        with paypal_errors():
            # A fresh request id per attempt: PayPal replays a refusal (not approved yet) to a retry
            # with the same id, and the order itself captures once whatever the ids.
            order = desk.gateway.capture_order(order_id=payment.order_id,
                                               request_id=f"capture-{payment.payment_id}-{uuid.uuid4().hex[:12]}")
    except paypal.OrderNotApproved:
        raise PaymentNotApproved("Approve the payment at PayPal first.") from None
    except paypal.PaymentDeclined:
        return _declined(payment, desk, now, raise_error=True)
    capture = order.capture
    if capture is None or capture.status == "PENDING":
        return payment  # PayPal completes it later; its webhook settles it
    if capture.status != "COMPLETED":
        return _declined(payment, desk, now, raise_error=True)
    return settle(payment=payment, capture=capture, desk=desk, now=now)


def cancel_payment(*, payment_id: str, user_id: str, desk: PaymentDesk, now: int) -> Payment:
    """The payer cancelled at PayPal: the call goes back to negotiating while its window lasts."""
    payment = _own(payment_id, user_id, desk)
    if payment.payer_id != user_id:
        raise Forbidden("Only the payer cancels a payment.")
    if payment.state is not PaymentState.CREATED:
        return payment
    _close(payment, PaymentState.CANCELLED, "Cancelled at PayPal.", desk)
    desk.purpose(payment).failed(payment, now)
    return desk.payments.get(payment_id) or payment


def _close(payment: Payment, state: PaymentState, reason: str, desk: PaymentDesk) -> bool:
    return desk.payments.transition(payment.with_changes(state=state, closed_reason=reason),
                                    expected=[PaymentState.CREATED])


def _call_payment_failed(payment: Payment, now: int, *, desk: PaymentDesk) -> None:
    from chalicelib.services.calls import payment_failed

    if _call_waits_for(payment, now, desk=desk):
        try:
            payment_failed(call_id=payment.call_id or "", desk=desk.calls, now=now)
        except IllegalTransition:
            pass  # the call moved on meanwhile


def _declined(payment: Payment, desk: PaymentDesk, now: int, *, raise_error: bool) -> Payment:
    _close(payment, PaymentState.DECLINED, "PayPal declined the payment.", desk)
    desk.purpose(payment).failed(payment, now)
    if raise_error:
        raise PaymentDeclined("PayPal declined the payment. Try another way to pay, or agree other terms.")
    return desk.payments.get(payment.payment_id) or payment


# -- settling a capture into the ledger ------------------------------------------------------

def settle(*, payment: Payment, capture: Any, desk: PaymentDesk, now: int) -> Payment:
    """A completed capture: into the ledger once (by capture id), the payment marked, then what
    it paid for happens (the call resumes, the tip is told, the plan extends)."""
    fee = capture.paypal_fee_cents if capture.paypal_fee_cents is not None \
        else desk.fees.estimated_paypal_fee(capture.amount_cents)
    if capture.amount_cents != payment.amount_cents:
        logger().warning("captured amount differs", extra={"payment_id": payment.payment_id,
                                                            "captured": capture.amount_cents})
    split = split_payment(amount_cents=capture.amount_cents, paypal_fee_cents=fee,
                          rule=desk.fees.rule(payment.helper_plan, payment.kind))
    desk.ledger.post(books.capture_transaction(
        capture_id=capture.capture_id, split=split, helper_id=payment.helper_id, kind=payment.kind,
        occurred_at=now, memo={"payment_id": payment.payment_id, "kind": payment.kind.value,
                               "payer_id": payment.payer_id, "call_id": payment.call_id or ""}))
    captured = payment.with_changes(
        state=PaymentState.CAPTURED, capture_id=capture.capture_id, amount_cents=capture.amount_cents,
        paypal_fee_cents=split.paypal_fee_cents, helper_cents=split.helper_cents,
        platform_cents=split.platform_cents, captured_at=now, closed_reason=None,
        release_at=now if payment.helper_id else None)  # the payout job releases the helper's share
    first = desk.payments.transition(captured, expected=[PaymentState.CREATED, PaymentState.CANCELLED,
                                                         PaymentState.DECLINED, PaymentState.VOIDED])
    current = captured if first else desk.payments.get(payment.payment_id) or captured  # settled before: as it is
    if first:
        count(PAYMENTS_CAPTURED)
        tally(desk.stats, at=now, payments=1, revenue_cents=split.amount_cents, platform_fee_cents=split.platform_cents,
              paid_sessions=int(payment.kind in (PaymentKind.SESSION, PaymentKind.APPOINTMENT)))
    _deliver(current, desk, now, first=first)
    return desk.payments.get(payment.payment_id) or current


def _deliver(payment: Payment, desk: PaymentDesk, now: int, *, first: bool) -> None:
    if payment.state is PaymentState.CAPTURED:
        desk.purpose(payment).deliver(payment, now, first)


def _extend_plan(payment: Payment, now: int, first: bool, *, desk: PaymentDesk) -> None:
    desk.plans.save(extended(desk.plans.get(payment.payer_id), user_id=payment.payer_id,
                             days=desk.settings.upgrade_days, payment_id=payment.payment_id, now=now))


def _announce_tip(payment: Payment, now: int, first: bool, *, desk: PaymentDesk) -> None:
    from chalicelib.services.calls import tell_participants

    call = desk.calls.calls.get(payment.call_id or "") if first else None
    if call is not None:
        tell_participants(call, {"type": "tip", "call_id": call.call_id, "payment_id": payment.payment_id,
                                 "amount_cents": payment.amount_cents}, desk=desk.calls)


def _resume_call(payment: Payment, now: int, first: bool, *, desk: PaymentDesk) -> None:
    """The session (or its extension) starts; a payment the call no longer waits for is
    refunded whole, unless it already started the session."""
    from chalicelib.adapters.calls import CallChanged
    from chalicelib.services.calls import payment_confirmed

    for _ in range(3):  # a racing call change (a reconnect) is retried
        if not _call_waits_for(payment, now, desk=desk):
            break
        try:
            payment_confirmed(call_id=payment.call_id or "", desk=desk.calls, now=now)
            return
        except CallChanged:
            continue
        except IllegalTransition:
            break
    call = desk.calls.calls.get(payment.call_id or "")
    if call is not None and call.session_started_at is not None and call.session_started_at >= payment.created_at:
        return  # this payment started (or extended) the session already
    refund_in_full(payment=payment, reason="The call ended before your payment arrived, so it was refunded in full.",
                   desk=desk, now=now)


def session_ended_at(call_id: str | None, desk: PaymentDesk) -> int | None:
    call = desk.calls.calls.get(call_id or "")
    return call.ended_at if call is not None and call.state is CallState.ENDED else None


def _session_refundable_until(payment: Payment, *, desk: PaymentDesk) -> int | None:
    """A session, an extension or a tip can be asked back until `refund_request_hours` after
    the session's end."""
    ended = session_ended_at(payment.call_id, desk)
    return None if ended is None else refund_window_closes_at(ended, hours=desk.settings.refund_request_hours)


def _session_refusal(payment: Payment, now: int, *, desk: PaymentDesk) -> DomainError | None:
    closes = _session_refundable_until(payment, desk=desk)
    if closes is None:
        return InvalidInput("You can ask for a refund once the session has ended.", field="payment_id")
    if now >= closes:
        return RefundWindowClosed(f"Refunds can be requested within {desk.settings.refund_request_hours} hours "
                                  "of the session's end.")
    return None


def _session_refunded(payment: Payment, cents: int, now: int, *, desk: PaymentDesk) -> None:
    """A refunded session's review is marked as such (services.reviews)."""
    if desk.reviews is not None and payment.call_id and payment.kind in CALL_KINDS:
        session_refunded(call_id=payment.call_id, desk=desk.reviews)


def _own_purposes(desk: PaymentDesk) -> dict[PaymentKind, Purpose]:
    refunds = {"refusal": partial(_session_refusal, desk=desk),
               "refundable_until": partial(_session_refundable_until, desk=desk),
               "refunded": partial(_session_refunded, desk=desk)}
    call = Purpose(deliver=partial(_resume_call, desk=desk), still_wanted=partial(_call_waits_for, desk=desk),
                   failed=partial(_call_payment_failed, desk=desk), **refunds)
    return {PaymentKind.SESSION: call, PaymentKind.EXTENSION: call,
            PaymentKind.TIP: Purpose(deliver=partial(_announce_tip, desk=desk), **refunds),
            PaymentKind.PLAN: Purpose(deliver=partial(_extend_plan, desk=desk))}


def helper_account(payment: Payment, desk: PaymentDesk) -> str:
    """Where a Helper's share sits now: pending until the refund window releases it."""
    assert payment.helper_id is not None
    if desk.ledger.transaction(f"release:{payment.capture_id}") is not None:
        return books.helper_payable(payment.helper_id)
    return books.helper_pending(payment.helper_id)


def post_refund(*, payment: Payment, refund_id: str, refunded_cents: int, desk: PaymentDesk, now: int,
                reason: str) -> Payment:
    """A refund PayPal made: reversed in the ledger once (by refund id) and counted on the payment
    once. PayPal's webhook for a refund already recorded from PayPal's answer (ours arrive that
    way) finds its transaction and changes nothing: a replay is answered, never refused."""
    posted = False
    if desk.ledger.transaction(books.refund_transaction_id(refund_id)) is None:
        posted = desk.ledger.post(books.refund_transaction(
            refund_id=refund_id, capture_id=payment.capture_id or "", split=split_of(payment),
            refunded_cents=refunded_cents, helper_id=payment.helper_id,
            helper_account=helper_account(payment, desk) if payment.helper_id else None,
            already_refunded_cents=payment.refunded_cents,
            occurred_at=now, memo={"payment_id": payment.payment_id, "reason": reason[:200]}))
    if posted:
        count(REFUNDS)
        tally(desk.stats, at=now, refunds=1, refund_cents=refunded_cents)
        desk.purpose(payment).refunded(payment, refunded_cents, now)
    current = desk.payments.get(payment.payment_id) or payment
    if posted:  # the refunds the ledger counts for this payment, this one included
        shown = payment.refunded_cents + refunded_cents
    elif current.state is not PaymentState.CAPTURED:
        return current  # posted before and recorded (our own refund, now told by the webhook)
    else:  # posted before, but the payment was not marked (a crash in between): mark it now
        shown = max(refunded_cents, current.refunded_cents)
    for _ in range(5):  # refunded_cents is for display; the ledger is the record
        if current.state is PaymentState.REVERSED or (
                current.state is PaymentState.REFUNDED and current.refunded_cents >= shown):
            return current  # reversed, or marked meanwhile by whoever else saw this refund
        refunded = current.with_changes(state=PaymentState.REFUNDED, closed_reason=reason,
                                        refunded_cents=max(current.refunded_cents, shown))
        if desk.payments.transition(refunded, expected=[current.state]):
            return refunded
        current = desk.payments.get(payment.payment_id) or current
    return current


def void_or_deliver(*, payment_id: str | None, reason: str, desk: PaymentDesk, now: int) -> bool:
    """A hold that ran out (a store reservation, a booking's slot): its unpaid payment is voided
    first, so approving it at PayPal afterwards charges nothing. True when the money had arrived
    after all (the payment is then delivered, which changes nothing the second time): the
    caller keeps what it held."""
    payment = desk.payments.get(payment_id) if payment_id else None
    if payment is not None and payment.state is PaymentState.CREATED:
        desk.payments.transition(payment.with_changes(state=PaymentState.VOIDED, closed_reason=reason),
                                 expected=[PaymentState.CREATED])
        payment = desk.payments.get(payment_id)
    if payment is not None and payment.state in (PaymentState.CAPTURED, PaymentState.REFUNDED):
        desk.purpose(payment).deliver(payment, now, False)
        return True
    return False


def refund_part(*, payment: Payment, amount_cents: int, request_id: str, reason: str, desk: PaymentDesk,
                now: int) -> Any:
    """Gives `amount_cents` of a captured payment back through PayPal and posts it (asking again
    with the same `request_id` is the same refund: PayPal-Request-Id). Raises Conflict when PayPal
    refuses; a PENDING refund is posted by PayPal's webhook later. Returns PayPal's answer."""
    with paypal_errors():
        refund = desk.gateway.refund_capture(capture_id=payment.capture_id, amount_cents=amount_cents,
                                             currency=payment.currency, request_id=request_id, note=reason[:255])
    if refund.status in ("FAILED", "CANCELLED"):
        raise Conflict("PayPal refused the refund (the payment may be disputed); nothing was given back.")
    if refund.status == "COMPLETED":
        post_refund(payment=payment, refund_id=refund.refund_id, refunded_cents=refund.amount_cents, desk=desk,
                    now=now, reason=reason)
    return refund


def refund_in_full(*, payment: Payment, reason: str, desk: PaymentDesk, now: int) -> Payment:
    """Money captured for something that did not happen goes back whole, fee included."""
    with paypal_errors():
        refund = desk.gateway.refund_capture(capture_id=payment.capture_id, amount_cents=payment.amount_cents,
                                             currency=payment.currency, request_id=f"void-{payment.payment_id}",
                                             note=reason)
    if refund.status != "COMPLETED":  # PENDING: PayPal's REFUNDED webhook posts it; FAILED: ops must look
        logger().error("automatic refund not completed", extra={"payment_id": payment.payment_id,
                                                                 "status": refund.status})
        return desk.payments.get(payment.payment_id) or payment
    refunded = post_refund(payment=payment, refund_id=refund.refund_id, refunded_cents=refund.amount_cents,
                           desk=desk, now=now, reason=reason)
    tell(desk, payment.payer_id, "payment_refunded", reason=reason, amount_cents=refund.amount_cents)
    return refunded


# -- PayPal's webhooks -----------------------------------------------------------------------

def _payment_for(resource: dict, desk: PaymentDesk, *, order_id: str | None = None) -> Payment | None:
    custom = resource.get("custom_id")
    units = resource.get("purchase_units") or []
    if not custom and units:
        custom = units[0].get("custom_id") or units[0].get("reference_id")
    if isinstance(custom, str) and custom:
        found = desk.payments.get(custom)
        if found is not None:
            return found
    return desk.payments.by_order(order_id) if order_id else None


def _on_order_approved(resource: dict, now: int, *, desk: PaymentDesk) -> str:
    payment = _payment_for(resource, desk, order_id=resource.get("id"))
    if payment is None:
        return "unknown payment"
    try:
        settled = complete_payment(payment_id=payment.payment_id, user_id=None, desk=desk, now=now)
    except (PaymentClosed, PaymentDeclined, PaymentNotApproved) as refusal:
        return f"not captured: {refusal.code}"
    return f"payment {settled.state.value}"


def _on_capture_completed(resource: dict, now: int, *, desk: PaymentDesk) -> str:
    from chalicelib.adapters.paypal import capture_from_paypal

    capture = capture_from_paypal(resource)
    payment = _payment_for(resource, desk, order_id=capture.order_id)
    if payment is None:
        return "unknown payment"
    if payment.state in SETTLED:
        return "already settled"
    return f"payment {settle(payment=payment, capture=capture, desk=desk, now=now).state.value}"


def _on_capture_denied(resource: dict, now: int, *, desk: PaymentDesk) -> str:
    related = ((resource.get("supplementary_data") or {}).get("related_ids") or {})
    payment = _payment_for(resource, desk, order_id=related.get("order_id"))
    if payment is None or payment.state is not PaymentState.CREATED:
        return "nothing to do"
    return f"payment {_declined(payment, desk, now, raise_error=False).state.value}"


def _payment_of_capture(capture_id: str | None, resource: dict, desk: PaymentDesk) -> Payment | None:
    """Our payment behind a capture: by the resource's custom_id, else by asking PayPal for the
    capture (a refund made at PayPal itself names its capture only)."""
    payment = _payment_for(resource, desk)
    if payment is None and capture_id:
        with paypal_errors():
            custom = desk.gateway.get_capture(capture_id).custom_id
        payment = desk.payments.get(custom) if custom else None
    return payment if payment is not None and payment.capture_id is not None else None


def _on_capture_refunded(resource: dict, now: int, *, desk: PaymentDesk) -> str:
    from chalicelib.adapters.paypal import refund_from_paypal

    refund = refund_from_paypal(resource)
    payment = _payment_of_capture(refund.capture_id, resource, desk)
    if payment is None:
        return "unknown payment"
    refunded = post_refund(payment=payment, refund_id=refund.refund_id, refunded_cents=refund.amount_cents,
                           desk=desk, now=now, reason="Refunded at PayPal.")
    return f"payment {refunded.state.value}"


def _on_capture_reversed(resource: dict, now: int, *, desk: PaymentDesk) -> str:
    from chalicelib.adapters.paypal import refund_from_paypal

    reversal = refund_from_paypal(resource)  # PayPal describes a reversal as a refund of the capture
    capture_id = reversal.capture_id or reversal.refund_id
    payment = _payment_of_capture(capture_id, resource, desk)
    if payment is None or payment.capture_id != capture_id:
        return "unknown payment"
    posted = desk.ledger.post(books.reversal_transaction(
        capture_id=capture_id, split=split_of(payment), reversed_cents=abs(reversal.amount_cents) or payment.amount_cents,
        helper_id=payment.helper_id,
        helper_account=helper_account(payment, desk) if payment.helper_id else None,
        already_refunded_cents=payment.refunded_cents, occurred_at=now, memo={"payment_id": payment.payment_id}))
    if posted:
        desk.payments.transition(payment.with_changes(state=PaymentState.REVERSED,
                                                      closed_reason="Reversed by the payer's bank or PayPal."),
                                 expected=[payment.state])
        tell(desk, payment.helper_id, "payment_reversed", description=payment.description,
             amount_cents=payment.amount_cents)
    return "reversed" if posted else "already reversed"


def webhook_handlers(desk: PaymentDesk) -> dict[str, Handler]:
    """The PayPal events about orders and captures, for `services.webhooks`."""
    return {event_type: partial(handler, desk=desk) for event_type, handler in {
        "CHECKOUT.ORDER.APPROVED": _on_order_approved,
        "PAYMENT.CAPTURE.COMPLETED": _on_capture_completed,
        "PAYMENT.CAPTURE.DENIED": _on_capture_denied,
        "PAYMENT.CAPTURE.REFUNDED": _on_capture_refunded,
        "PAYMENT.CAPTURE.REVERSED": _on_capture_reversed,
    }.items()}
