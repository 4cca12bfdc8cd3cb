"""Payments, storefronts, Helper plans and the webhook replay log: DynamoDB, and in-memory twins.
Every state change is a conditional write, so a retried or concurrent request changes a
payment once."""
from __future__ import annotations

import threading
from typing import Iterable, Protocol

from chalicelib.domain.fees import PaymentKind
from chalicelib.domain.payments import Payment, PaymentState, Storefront
from chalicelib.domain.plans import PlanSubscription
from chalicelib.domain.store import ShippingRule

WEBHOOK_EVENT_DAYS = 30
RELEASE_QUEUE = "due"  # the by_release index's one key


class PaymentStore(Protocol):
    def create(self, payment: Payment) -> Payment: ...  # the stored one if it already existed
    def get(self, payment_id: str) -> Payment | None: ...
    def by_order(self, order_id: str) -> Payment | None: ...
    def transition(self, payment: Payment, *, expected: Iterable[PaymentState]) -> bool: ...
    def for_payer(self, payer_id: str, limit: int = 50) -> list[Payment]: ...
    def for_helper(self, helper_id: str, limit: int = 50) -> list[Payment]: ...
    def due_for_release(self, now: int, limit: int = 100) -> list[Payment]: ...
    def set_release_at(self, payment: Payment, release_at: int | None) -> bool: ...


class StorefrontStore(Protocol):
    def get(self, user_id: str) -> Storefront | None: ...
    def get_many(self, user_ids: Iterable[str]) -> dict[str, Storefront]: ...
    def save(self, storefront: Storefront) -> None: ...


class PlanStore(Protocol):
    def get(self, user_id: str) -> PlanSubscription | None: ...
    def save(self, subscription: PlanSubscription) -> bool: ...  # False: that payment was applied


class WebhookEventLog(Protocol):
    def seen(self, event_id: str) -> bool: ...
    def record(self, event_id: str, event_type: str, now: int) -> None: ...


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[arg-type]


def _payment(record) -> Payment:
    return Payment(
        payment_id=record.payment_id, kind=PaymentKind(record.kind), payer_id=record.payer_id,
        helper_id=record.helper_id, amount_cents=int(record.amount_cents), currency=record.currency,
        state=PaymentState(record.state), created_at=int(record.created_at), description=record.description,
        helper_plan=record.helper_plan or "free", call_id=record.call_id, order_id=record.order_id,
        approve_url=record.approve_url, capture_id=record.capture_id,
        paypal_fee_cents=_optional_int(record.paypal_fee_cents), helper_cents=_optional_int(record.helper_cents),
        platform_cents=_optional_int(record.platform_cents), captured_at=_optional_int(record.captured_at),
        refunded_cents=int(record.refunded_cents or 0), closed_reason=record.closed_reason,
        release_at=_optional_int(record.release_at),
    )


def _payment_record(payment: Payment):
    from chalicelib.adapters.tables.money import PaymentRecord

    return PaymentRecord(
        payment.payment_id, kind=payment.kind.value, payer_id=payment.payer_id, helper_id=payment.helper_id,
        amount_cents=payment.amount_cents, currency=payment.currency, state=payment.state.value,
        created_at=payment.created_at, description=payment.description, helper_plan=payment.helper_plan,
        call_id=payment.call_id, order_id=payment.order_id, approve_url=payment.approve_url,
        capture_id=payment.capture_id, paypal_fee_cents=payment.paypal_fee_cents,
        helper_cents=payment.helper_cents, platform_cents=payment.platform_cents,
        captured_at=payment.captured_at, refunded_cents=payment.refunded_cents,
        closed_reason=payment.closed_reason, release_at=payment.release_at,
        release_queue=RELEASE_QUEUE if payment.release_at is not None else None,
    )


class DynamoPaymentStore:
    def create(self, payment: Payment) -> Payment:
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.money import PaymentRecord

        try:
            _payment_record(payment).save(condition=PaymentRecord.payment_id.does_not_exist())
            return payment
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        existing = self.get(payment.payment_id)
        assert existing is not None
        return existing

    def get(self, payment_id: str) -> Payment | None:
        from chalicelib.adapters.tables.money import PaymentRecord

        try:
            return _payment(PaymentRecord.get(payment_id, consistent_read=True))
        except PaymentRecord.DoesNotExist:
            return None

    def by_order(self, order_id: str) -> Payment | None:
        from chalicelib.adapters.tables.money import PaymentRecord

        for record in PaymentRecord.by_order.query(order_id, limit=1):
            return self.get(record.payment_id)  # the index is eventually consistent; the item is not
        return None

    def transition(self, payment: Payment, *, expected: Iterable[PaymentState]) -> bool:
        """Writes the payment only if its stored state is still one of `expected`."""
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.money import PaymentRecord

        states = [state.value for state in expected]
        try:
            _payment_record(payment).save(condition=PaymentRecord.state.is_in(*states))
            return True
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    def for_payer(self, payer_id: str, limit: int = 50) -> list[Payment]:
        from chalicelib.adapters.tables.money import PaymentRecord

        return [_payment(r) for r in PaymentRecord.by_payer.query(payer_id, scan_index_forward=False, limit=limit)]

    def for_helper(self, helper_id: str, limit: int = 50) -> list[Payment]:
        from chalicelib.adapters.tables.money import PaymentRecord

        return [_payment(r) for r in PaymentRecord.by_helper.query(helper_id, scan_index_forward=False, limit=limit)]

    def due_for_release(self, now: int, limit: int = 100) -> list[Payment]:
        """Payments whose helper share may be ready to release (release_at <= now), oldest first:
        one Query on a sparse index holding only the payments still waiting."""
        from chalicelib.adapters.tables.money import PaymentRecord

        return [_payment(r) for r in PaymentRecord.by_release.query(
            RELEASE_QUEUE, PaymentRecord.release_at <= now, limit=limit, page_size=limit)]

    def set_release_at(self, payment: Payment, release_at: int | None) -> bool:
        """Moves (or, with None, ends) the payment's wait for release, if it still waits as read."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.money import PaymentRecord

        if release_at is None:
            actions = [PaymentRecord.release_at.remove(), PaymentRecord.release_queue.remove()]
        else:
            actions = [PaymentRecord.release_at.set(release_at), PaymentRecord.release_queue.set(RELEASE_QUEUE)]
        condition = (PaymentRecord.release_at == payment.release_at) if payment.release_at is not None \
            else PaymentRecord.release_at.does_not_exist()
        try:
            PaymentRecord(payment.payment_id).update(actions=actions, condition=condition)
            return True
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise


class InMemoryPaymentStore:
    def __init__(self) -> None:
        self._payments: dict[str, Payment] = {}
        self._lock = threading.Lock()

    def create(self, payment: Payment) -> Payment:
        with self._lock:
            return self._payments.setdefault(payment.payment_id, payment)

    def get(self, payment_id: str) -> Payment | None:
        return self._payments.get(payment_id)

    def by_order(self, order_id: str) -> Payment | None:
        return next((p for p in self._payments.values() if p.order_id == order_id), None)

    def transition(self, payment: Payment, *, expected: Iterable[PaymentState]) -> bool:
        with self._lock:
            stored = self._payments.get(payment.payment_id)
            if stored is None or stored.state not in set(expected):
                return False
            self._payments[payment.payment_id] = payment
            return True

    def _newest(self, match, limit: int) -> list[Payment]:
        found = [p for p in self._payments.values() if match(p)]
        return sorted(found, key=lambda p: p.created_at, reverse=True)[:limit]

    def for_payer(self, payer_id: str, limit: int = 50) -> list[Payment]:
        return self._newest(lambda p: p.payer_id == payer_id, limit)

    def for_helper(self, helper_id: str, limit: int = 50) -> list[Payment]:
        return self._newest(lambda p: p.helper_id == helper_id, limit)

    def due_for_release(self, now: int, limit: int = 100) -> list[Payment]:
        due = [p for p in self._payments.values() if p.release_at is not None and p.release_at <= now]
        return sorted(due, key=lambda p: p.release_at or 0)[:limit]

    def set_release_at(self, payment: Payment, release_at: int | None) -> bool:
        with self._lock:
            stored = self._payments.get(payment.payment_id)
            if stored is None or stored.release_at != payment.release_at:
                return False
            self._payments[payment.payment_id] = stored.with_changes(release_at=release_at)
            return True


def _storefront(r) -> Storefront:
    shipping = r.shipping or {}
    rule = ShippingRule(flat_cents=int(shipping.get("flat_cents", 0)),
                        free_from_cents=None if shipping.get("free_from_cents") is None
                        else int(shipping["free_from_cents"]),
                        countries=tuple(shipping.get("countries") or ("US",))) if shipping else ShippingRule()
    return Storefront(user_id=r.user_id, paypal_email=r.paypal_email, name=r.name,
                      created_at=int(r.created_at), updated_at=int(r.updated_at), shipping=rule)


def _shipping_json(rule: ShippingRule) -> dict:
    return {"flat_cents": rule.flat_cents, "free_from_cents": rule.free_from_cents, "countries": list(rule.countries)}


class DynamoStorefrontStore:
    def get(self, user_id: str) -> Storefront | None:
        from chalicelib.adapters.tables.money import StorefrontRecord

        try:
            return _storefront(StorefrontRecord.get(user_id))
        except StorefrontRecord.DoesNotExist:
            return None

    def get_many(self, user_ids: Iterable[str]) -> dict[str, Storefront]:
        """Storefronts by BatchGetItem (100 a request, strongly consistent)."""
        from chalicelib.adapters.tables.money import StorefrontRecord

        wanted = list(dict.fromkeys(user_ids))
        if not wanted:
            return {}
        return {r.user_id: _storefront(r) for r in StorefrontRecord.batch_get(wanted, consistent_read=True)}

    def save(self, storefront: Storefront) -> None:
        from chalicelib.adapters.tables.money import StorefrontRecord

        StorefrontRecord(storefront.user_id, paypal_email=storefront.paypal_email, name=storefront.name,
                         created_at=storefront.created_at, updated_at=storefront.updated_at,
                         shipping=_shipping_json(storefront.shipping)).save()


class InMemoryStorefrontStore:
    def __init__(self) -> None:
        self._storefronts: dict[str, Storefront] = {}

    def get(self, user_id: str) -> Storefront | None:
        return self._storefronts.get(user_id)

    def get_many(self, user_ids: Iterable[str]) -> dict[str, Storefront]:
        return {u: self._storefronts[u] for u in user_ids if u in self._storefronts}

    def save(self, storefront: Storefront) -> None:
        self._storefronts[storefront.user_id] = storefront


class DynamoPlanStore:
    def get(self, user_id: str) -> PlanSubscription | None:
        from chalicelib.adapters.tables.money import HelperPlanRecord

        try:
            r = HelperPlanRecord.get(user_id, consistent_read=True)
        except HelperPlanRecord.DoesNotExist:
            return None
        return PlanSubscription(user_id=r.user_id, plan=r.plan, until=int(r.until), last_payment_id=r.last_payment_id)

    def save(self, subscription: PlanSubscription) -> bool:
        """Writes a new period unless this payment's period was written already."""
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.money import HelperPlanRecord

        condition = (HelperPlanRecord.last_payment_id.does_not_exist()
                     | (HelperPlanRecord.last_payment_id != subscription.last_payment_id))
        try:
            HelperPlanRecord(subscription.user_id, plan=subscription.plan, until=subscription.until,
                             last_payment_id=subscription.last_payment_id).save(condition=condition)
            return True
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise


class InMemoryPlanStore:
    def __init__(self) -> None:
        self._plans: dict[str, PlanSubscription] = {}
        self._lock = threading.Lock()

    def get(self, user_id: str) -> PlanSubscription | None:
        return self._plans.get(user_id)

    def save(self, subscription: PlanSubscription) -> bool:
        with self._lock:
            stored = self._plans.get(subscription.user_id)
            if stored is not None and stored.last_payment_id == subscription.last_payment_id:
                return False
            self._plans[subscription.user_id] = subscription
            return True


class DynamoWebhookEventLog:
    def seen(self, event_id: str) -> bool:
        from chalicelib.adapters.tables.money import WebhookEventRecord

        try:
            WebhookEventRecord.get(event_id, consistent_read=True)
            return True
        except WebhookEventRecord.DoesNotExist:
            return False

    def record(self, event_id: str, event_type: str, now: int) -> None:
        from chalicelib.adapters.tables.money import WebhookEventRecord

        WebhookEventRecord(event_id, event_type=event_type, received_at=now,
                           ttl=now + WEBHOOK_EVENT_DAYS * 86400).save()


class InMemoryWebhookEventLog:
    def __init__(self) -> None:
        self.events: dict[str, str] = {}

    def seen(self, event_id: str) -> bool:
        return event_id in self.events

    def record(self, event_id: str, event_type: str, now: int) -> None:
        self.events[event_id] = event_type
