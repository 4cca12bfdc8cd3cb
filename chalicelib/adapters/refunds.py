"""Refund requests: DynamoDB (the ops queue is a sparse index, oldest deadline first, never a
Scan), and an in-memory twin. A request is created once per payment and decided once."""
from __future__ import annotations

import threading
from typing import Iterable, Protocol

from chalicelib.domain.payments import RefundAlreadyRequested, RefundRequest
from chalicelib.domain.refunds import RefundState

QUEUED = "open"  # the `queue` value of requests that wait for ops


class RefundRequestStore(Protocol):
    def create(self, request: RefundRequest) -> None: ...  # RefundAlreadyRequested if one exists
    def get(self, request_id: str) -> RefundRequest | None: ...
    def transition(self, request: RefundRequest, *, expected: Iterable[RefundState]) -> bool: ...
    def queue(self, limit: int = 100) -> list[RefundRequest]: ...
    def awaiting_reminder(self, until: int, limit: int = 100) -> list[RefundRequest]: ...
    def mark_reminded(self, request_id: str, at: int) -> bool: ...  # False: reminded already, or decided
    def clear_reminded(self, request_id: str, at: int) -> bool: ...  # the reminder at `at` did not go out
    def for_payer(self, payer_id: str, limit: int = 50) -> list[RefundRequest]: ...
    def for_helper(self, helper_id: str, limit: int = 50) -> list[RefundRequest]: ...


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[arg-type]


def _request(r) -> RefundRequest:
    return RefundRequest(
        request_id=r.request_id, payment_id=r.payment_id, payer_id=r.payer_id, helper_id=r.helper_id,
        paid_cents=int(r.paid_cents), refund_cents=int(r.refund_cents), currency=r.currency, reason=r.reason,
        state=RefundState(r.state), requested_at=int(r.requested_at), deadline=int(r.deadline),
        statement=r.statement, decided_at=_optional_int(r.decided_at), decided_by=r.decided_by, note=r.note,
        refund_id=r.refund_id, reminded_at=_optional_int(r.reminded_at),
    )


def _record(request: RefundRequest):
    from chalicelib.adapters.tables.money import RefundRequestRecord

    return RefundRequestRecord(
        request.request_id, payment_id=request.payment_id, payer_id=request.payer_id,
        helper_id=request.helper_id, paid_cents=request.paid_cents, refund_cents=request.refund_cents,
        currency=request.currency, reason=request.reason, statement=request.statement,
        state=request.state.value, requested_at=request.requested_at, deadline=request.deadline,
        decided_at=request.decided_at, decided_by=request.decided_by, note=request.note,
        refund_id=request.refund_id, reminded_at=request.reminded_at,
        queue=QUEUED if request.state is RefundState.OPEN else None,
    )


class DynamoRefundRequestStore:
    def create(self, request: RefundRequest) -> None:
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.money import RefundRequestRecord

        try:
            _record(request).save(condition=RefundRequestRecord.request_id.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise RefundAlreadyRequested("A refund was already requested for this payment.") from None
            raise

    def get(self, request_id: str) -> RefundRequest | None:
        from chalicelib.adapters.tables.money import RefundRequestRecord

        try:
            return _request(RefundRequestRecord.get(request_id, consistent_read=True))
        except RefundRequestRecord.DoesNotExist:
            return None

    def transition(self, request: RefundRequest, *, expected: Iterable[RefundState]) -> bool:
        """Writes `request` if its stored state is one of `expected`, keeping the stored
        `reminded_at` (the reminder job sets it on its own, between our read and this write)."""
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.money import RefundRequestRecord as Record

        states = [s.value for s in expected]
        for _ in range(3):
            reminded = Record.reminded_at.does_not_exist() if request.reminded_at is None \
                else Record.reminded_at == request.reminded_at
            try:
                _record(request).save(condition=Record.state.is_in(*states) & reminded)
                return True
            except PutError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
            stored = self.get(request.request_id)
            if stored is None or stored.state.value not in states:
                return False
            request = request.with_changes(reminded_at=stored.reminded_at)
        return False

    def queue(self, limit: int = 100) -> list[RefundRequest]:
        from chalicelib.adapters.tables.money import RefundRequestRecord

        return [_request(r) for r in RefundRequestRecord.by_queue.query(QUEUED, limit=limit)]

    def awaiting_reminder(self, until: int, limit: int = 100) -> list[RefundRequest]:
        """Open requests due by `until` whose reminder has not gone out, earliest deadline first:
        a Query of the queue index by deadline."""
        from chalicelib.adapters.tables.money import RefundRequestRecord as Record

        return [_request(r) for r in Record.by_queue.query(
            QUEUED, Record.deadline <= until, filter_condition=Record.reminded_at.does_not_exist(), limit=limit)]

    def mark_reminded(self, request_id: str, at: int) -> bool:
        """Claims the one reminder of an open request; False if it was claimed (even concurrently)
        or the request is decided or unknown."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.money import RefundRequestRecord as Record

        try:
            Record(request_id).update(
                actions=[Record.reminded_at.set(at)],
                condition=Record.reminded_at.does_not_exist() & (Record.state == RefundState.OPEN.value))
            return True
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    def clear_reminded(self, request_id: str, at: int) -> bool:
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.money import RefundRequestRecord as Record

        try:
            Record(request_id).update(actions=[Record.reminded_at.remove()], condition=Record.reminded_at == at)
            return True
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    def for_payer(self, payer_id: str, limit: int = 50) -> list[RefundRequest]:
        from chalicelib.adapters.tables.money import RefundRequestRecord

        return [_request(r) for r in RefundRequestRecord.by_payer.query(payer_id, scan_index_forward=False,
                                                                         limit=limit)]

    def for_helper(self, helper_id: str, limit: int = 50) -> list[RefundRequest]:
        from chalicelib.adapters.tables.money import RefundRequestRecord

        return [_request(r) for r in RefundRequestRecord.by_helper.query(helper_id, scan_index_forward=False,
                                                                          limit=limit)]


class InMemoryRefundRequestStore:
    def __init__(self) -> None:
        self._requests: dict[str, RefundRequest] = {}
        self._lock = threading.Lock()

    def create(self, request: RefundRequest) -> None:
        with self._lock:
            if request.request_id in self._requests:
                raise RefundAlreadyRequested("A refund was already requested for this payment.")
            self._requests[request.request_id] = request

    def get(self, request_id: str) -> RefundRequest | None:
        return self._requests.get(request_id)

    def transition(self, request: RefundRequest, *, expected: Iterable[RefundState]) -> bool:
        with self._lock:
            stored = self._requests.get(request.request_id)
            if stored is None or stored.state not in set(expected):
                return False
            self._requests[request.request_id] = request.with_changes(reminded_at=stored.reminded_at)
            return True

    def queue(self, limit: int = 100) -> list[RefundRequest]:
        waiting = [r for r in self._requests.values() if r.state is RefundState.OPEN]
        return sorted(waiting, key=lambda r: r.deadline)[:limit]

    def awaiting_reminder(self, until: int, limit: int = 100) -> list[RefundRequest]:
        return [r for r in self.queue(limit=len(self._requests)) if r.deadline <= until
                and r.reminded_at is None][:limit]

    def mark_reminded(self, request_id: str, at: int) -> bool:
        with self._lock:
            stored = self._requests.get(request_id)
            if stored is None or stored.reminded_at is not None or stored.state is not RefundState.OPEN:
                return False
            self._requests[request_id] = stored.with_changes(reminded_at=at)
            return True

    def clear_reminded(self, request_id: str, at: int) -> bool:
        with self._lock:
            stored = self._requests.get(request_id)
            if stored is None or stored.reminded_at != at:
                return False
            self._requests[request_id] = stored.with_changes(reminded_at=None)
            return True

    def _newest(self, match, limit: int) -> list[RefundRequest]:
        return sorted((r for r in self._requests.values() if match(r)), key=lambda r: r.requested_at,
                      reverse=True)[:limit]

    def for_payer(self, payer_id: str, limit: int = 50) -> list[RefundRequest]:
        return self._newest(lambda r: r.payer_id == payer_id, limit)

    def for_helper(self, helper_id: str, limit: int = 50) -> list[RefundRequest]:
        return self._newest(lambda r: r.helper_id == helper_id, limit)
