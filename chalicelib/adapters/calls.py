"""Calls: DynamoDB with version-conditional writes and helper call slots, and a twin."""
from __future__ import annotations

import threading
import zlib
from dataclasses import asdict
from typing import Iterator, Protocol

from chalicelib.domain.calls import Call, CallState, EndReason, Terms
from chalicelib.domain.errors import DomainError
from chalicelib.domain.plans import plan_named

SHARDS = 4
KEEP_ENDED_SECONDS = 90 * 24 * 3600


class HelperBusy(DomainError):
    """The helper's plan allows no more calls at once right now."""

    code = "helper_busy"


class CallChanged(DomainError):
    """Someone else changed the call first (an answer racing a cancel): nothing was written."""

    code = "call_changed"


class CallStore(Protocol):
    def create(self, call: Call, slots: int | None) -> None: ...
    def get(self, call_id: str) -> Call | None: ...
    def save(self, call: Call) -> None: ...
    def due(self, now: int) -> Iterator[Call]: ...
    def live_for(self, user_id: str) -> list[Call]: ...
    def recent_for(self, user_id: str, limit: int = 20) -> list[Call]: ...  # as Helper or caller, newest first


def _shard(call_id: str) -> int:
    return zlib.crc32(call_id.encode()) % SHARDS


def _terms(value: dict | None) -> Terms | None:
    return Terms(int(value["price_cents"]), int(value["minutes"])) if value else None


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[arg-type]


def _call(record) -> Call:
    return Call(
        call_id=record.call_id, caller_id=record.caller_id, helper_id=record.helper_id,
        state=CallState(record.state), version=int(record.version), plan=plan_named(record.plan),
        created_at=int(record.created_at), state_deadline=_optional_int(record.state_deadline),
        caller_connection=record.caller_connection, helper_connection=record.helper_connection,
        proposed=_terms(record.proposed), agreed=_terms(record.agreed), extension=bool(record.extension),
        session_started_at=_optional_int(record.session_started_at),
        session_ends_at=_optional_int(record.session_ends_at), minutes_used=int(record.minutes_used or 0),
        caller_gone_since=_optional_int(record.caller_gone_since),
        helper_gone_since=_optional_int(record.helper_gone_since), ended_at=_optional_int(record.ended_at),
        negotiation_deadline=_optional_int(record.negotiation_deadline),
        accepted_version=_optional_int(record.accepted_version),
        end_reason=EndReason(record.end_reason) if record.end_reason else None, booking_id=record.booking_id,
    )


def _record(call: Call):
    from chalicelib.adapters.tables.calls import CallRecord

    return CallRecord(
        call.call_id, caller_id=call.caller_id, helper_id=call.helper_id, state=call.state.value,
        version=call.version, plan=call.plan.name, created_at=call.created_at,
        state_deadline=call.state_deadline, deadline=call.deadline, shard=_shard(call.call_id),
        caller_connection=call.caller_connection, helper_connection=call.helper_connection,
        proposed=asdict(call.proposed) if call.proposed else None,
        agreed=asdict(call.agreed) if call.agreed else None, extension=call.extension,
        session_started_at=call.session_started_at, session_ends_at=call.session_ends_at,
        minutes_used=call.minutes_used, caller_gone_since=call.caller_gone_since,
        helper_gone_since=call.helper_gone_since, ended_at=call.ended_at,
        negotiation_deadline=call.negotiation_deadline, accepted_version=call.accepted_version,
        end_reason=call.end_reason.value if call.end_reason else None, booking_id=call.booking_id,
        ttl=call.ended_at + KEEP_ENDED_SECONDS if call.ended_at else None,
    )


class DynamoCallStore:
    def __init__(self, connection) -> None:
        self._connection = connection  # a pynamodb Connection, for transactions

    def create(self, call: Call, slots: int | None) -> None:
        """Writes a ringing call; on a plan with a limit it must also take a free slot."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.adapters.tables.calls import CallRecord, CallSlotRecord

        for slot in range(slots) if slots is not None else [None]:
            for _attempt in range(2):
                try:
                    with TransactWrite(connection=self._connection) as transaction:
                        transaction.save(_record(call), condition=CallRecord.call_id.does_not_exist())
                        if slot is not None:
                            transaction.save(CallSlotRecord(call.helper_id, slot, call_id=call.call_id),
                                             condition=CallSlotRecord.helper_id.does_not_exist())
                    return
                except TransactWriteError as error:
                    if error.cause_response_code != "TransactionCanceledException":
                        raise
                if slot is None or not self._free_stale_slot(call.helper_id, slot):
                    break
        raise HelperBusy("The helper is in another call; try again soon.")

    def _free_stale_slot(self, helper_id: str, slot: int) -> bool:
        """A slot held by a call that has ended (its release was interrupted) is freed."""
        from pynamodb.exceptions import DeleteError

        from chalicelib.adapters.tables.calls import CallSlotRecord

        try:
            holder = CallSlotRecord.get(helper_id, slot, consistent_read=True)
        except CallSlotRecord.DoesNotExist:
            return True
        from chalicelib.adapters.tables.calls import CallRecord

        try:  # a strongly consistent read: a call created a moment ago must not look missing
            held = _call(CallRecord.get(holder.call_id, consistent_read=True))
        except CallRecord.DoesNotExist:
            held = None
        if held is not None and held.state is not CallState.ENDED:
            return False
        try:
            holder.delete(condition=CallSlotRecord.call_id == holder.call_id)
        except DeleteError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        return True

    def get(self, call_id: str) -> Call | None:
        from chalicelib.adapters.tables.calls import CallRecord

        try:
            return _call(CallRecord.get(call_id))
        except CallRecord.DoesNotExist:
            return None

    def save(self, call: Call) -> None:
        """Writes the call only if nobody wrote it since the version it came from; an ended call
        then frees its helper's slot (a slot left behind by a crash is freed by `create`)."""
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.calls import CallRecord

        try:
            _record(call).save(condition=CallRecord.version == call.version - 1)
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise CallChanged("The call changed meanwhile; here is where it stands.") from error
            raise
        if call.state is CallState.ENDED:
            self._release(call)

    def _release(self, call: Call) -> None:
        from pynamodb.exceptions import DeleteError

        from chalicelib.adapters.tables.calls import CallSlotRecord

        for slot in range(call.plan.concurrent_calls or 0):
            try:
                CallSlotRecord(call.helper_id, slot).delete(condition=CallSlotRecord.call_id == call.call_id)
            except DeleteError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise

    def due(self, now: int) -> Iterator[Call]:
        from chalicelib.adapters.tables.calls import CallRecord

        for shard in range(SHARDS):
            for record in CallRecord.by_deadline.query(shard, CallRecord.deadline <= now):
                yield _call(record)

    def live_for(self, user_id: str) -> list[Call]:
        """The calls a person is in now, as caller or helper (at most a few)."""
        from chalicelib.adapters.tables.calls import CallRecord

        live = [CallState.NEGOTIATING.value, CallState.AWAITING_PAYMENT.value, CallState.IN_SESSION.value]
        found = []
        for index in (CallRecord.by_helper, CallRecord.by_caller):
            found += [_call(r) for r in index.query(user_id, filter_condition=CallRecord.state.is_in(*live),
                                                    scan_index_forward=False, limit=50)]
        return found

    def recent_for(self, user_id: str, limit: int = 20) -> list[Call]:
        """A person's latest calls as Helper and as caller, newest first: one Query of each index
        (ended calls are kept for KEEP_ENDED_SECONDS, then expire)."""
        from chalicelib.adapters.tables.calls import CallRecord

        found = [_call(r) for index in (CallRecord.by_helper, CallRecord.by_caller)
                 for r in index.query(user_id, scan_index_forward=False, limit=limit)]
        return sorted(found, key=lambda c: (c.created_at, c.call_id), reverse=True)[:limit]


class InMemoryCallStore:
    def __init__(self) -> None:
        self.calls: dict[str, Call] = {}
        self.slots: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def create(self, call: Call, slots: int | None) -> None:
        with self._lock:
            if call.call_id in self.calls:
                raise CallChanged("That call exists already.")
            if slots is not None:
                for key in [k for k, held in self.slots.items() if k[0] == call.helper_id
                            and self.calls.get(held) is not None and self.calls[held].state is CallState.ENDED]:
                    del self.slots[key]  # left behind by an ended call
                free = next((s for s in range(slots) if (call.helper_id, s) not in self.slots), None)
                if free is None:
                    raise HelperBusy("The helper is in another call; try again soon.")
                self.slots[(call.helper_id, free)] = call.call_id
            self.calls[call.call_id] = call

    def get(self, call_id: str) -> Call | None:
        return self.calls.get(call_id)

    def save(self, call: Call) -> None:
        with self._lock:
            stored = self.calls.get(call.call_id)
            if stored is None or stored.version != call.version - 1:
                raise CallChanged("The call changed meanwhile; here is where it stands.")
            self.calls[call.call_id] = call
            if call.state is CallState.ENDED:
                for key in [k for k, v in self.slots.items() if v == call.call_id]:
                    del self.slots[key]

    def due(self, now: int) -> Iterator[Call]:
        return iter([c for c in self.calls.values() if c.deadline is not None and c.deadline <= now])

    def live_for(self, user_id: str) -> list[Call]:
        return [c for c in self.calls.values() if c.live and user_id in (c.caller_id, c.helper_id)]

    def recent_for(self, user_id: str, limit: int = 20) -> list[Call]:
        mine = [c for c in self.calls.values() if user_id in (c.caller_id, c.helper_id)]
        return sorted(mine, key=lambda c: (c.created_at, c.call_id), reverse=True)[:limit]
