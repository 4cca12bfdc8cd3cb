"""Payout runs and items: DynamoDB, and in-memory twins with the same rules.

A run changes by optimistic version (a second job running at once loses the write and reads
again). An item is created only while its run is still collecting (one TransactWriteItems: the
item, and a check of the run), so a run's items are fixed once it sends; a run's items are one
strongly consistent Query (the run is the partition), in helper order."""
from __future__ import annotations

import threading
from typing import Iterable, Protocol

from chalicelib.domain.payouts import ItemState, PayoutItem, PayoutRun, RunState

OPEN = "open"  # the runs' by_queue index key while a run is not done
PAGE = 1000


class PayoutRunStore(Protocol):
    def get(self, run_id: str) -> PayoutRun | None: ...
    def create(self, run: PayoutRun) -> PayoutRun: ...  # the stored one if it exists
    def save(self, run: PayoutRun) -> bool: ...  # False: someone changed it since (version)
    def open_runs(self) -> list[PayoutRun]: ...


class PayoutItemStore(Protocol):
    def create(self, item: PayoutItem) -> str: ...  # "created", "exists" or "run_closed"
    def get(self, run_id: str, helper_id: str) -> PayoutItem | None: ...
    def for_run(self, run_id: str) -> list[PayoutItem]: ...
    def for_helper(self, helper_id: str, limit: int = 50) -> list[PayoutItem]: ...
    def transition(self, item: PayoutItem, *, expected: Iterable[ItemState]) -> bool: ...


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[arg-type]


def _run(r) -> PayoutRun:
    return PayoutRun(run_id=r.run_id, state=RunState(r.state), version=int(r.version), started_at=int(r.started_at),
                     updated_at=int(r.updated_at), pay_by=int(r.pay_by), item_count=int(r.item_count or 0),
                     total_cents=int(r.total_cents or 0), batches=dict(r.batches or {}),
                     finished_at=_optional_int(r.finished_at))


def _run_record(run: PayoutRun):
    from chalicelib.adapters.tables.money import PayoutRunRecord

    return PayoutRunRecord(run.run_id, state=run.state.value, version=run.version, started_at=run.started_at,
                           updated_at=run.updated_at, pay_by=run.pay_by, item_count=run.item_count,
                           total_cents=run.total_cents, batches=dict(run.batches), finished_at=run.finished_at,
                           queue=None if run.state is RunState.DONE else OPEN)


def _item(r) -> PayoutItem:
    return PayoutItem(run_id=r.run_id, helper_id=r.helper_id, amount_cents=int(r.amount_cents), currency=r.currency,
                      receiver=r.receiver, state=ItemState(r.state), created_at=int(r.created_at),
                      updated_at=int(r.updated_at), payout_item_id=r.payout_item_id, paypal_status=r.paypal_status,
                      fee_cents=_optional_int(r.fee_cents), error=r.error)


def _item_record(item: PayoutItem):
    from chalicelib.adapters.tables.money import PayoutItemRecord

    return PayoutItemRecord(item.run_id, item.helper_id, amount_cents=item.amount_cents, currency=item.currency,
                            receiver=item.receiver, state=item.state.value, created_at=item.created_at,
                            updated_at=item.updated_at, payout_item_id=item.payout_item_id,
                            paypal_status=item.paypal_status, fee_cents=item.fee_cents, error=item.error)


class DynamoPayoutRunStore:
    def get(self, run_id: str) -> PayoutRun | None:
        from chalicelib.adapters.tables.money import PayoutRunRecord

        try:
            return _run(PayoutRunRecord.get(run_id, consistent_read=True))
        except PayoutRunRecord.DoesNotExist:
            return None

    def create(self, run: PayoutRun) -> PayoutRun:
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.money import PayoutRunRecord

        try:
            _run_record(run).save(condition=PayoutRunRecord.run_id.does_not_exist())
            return run
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        stored = self.get(run.run_id)
        assert stored is not None
        return stored

    def save(self, run: PayoutRun) -> bool:
        """Writes `run` as version `run.version + 1` if the stored one is still `run.version`."""
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.money import PayoutRunRecord

        try:
            _run_record(run.with_changes(version=run.version + 1)).save(
                condition=PayoutRunRecord.version == run.version)
            return True
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    def open_runs(self) -> list[PayoutRun]:
        from chalicelib.adapters.tables.money import PayoutRunRecord

        open_ids = [r.run_id for r in PayoutRunRecord.by_queue.query(OPEN, attributes_to_get=["run_id"])]
        return [run for run in (self.get(run_id) for run_id in open_ids) if run is not None]


class InMemoryPayoutRunStore:
    def __init__(self) -> None:
        self.runs: dict[str, PayoutRun] = {}
        self._lock = threading.Lock()

    def get(self, run_id: str) -> PayoutRun | None:
        return self.runs.get(run_id)

    def create(self, run: PayoutRun) -> PayoutRun:
        with self._lock:
            return self.runs.setdefault(run.run_id, run)

    def save(self, run: PayoutRun) -> bool:
        with self._lock:
            stored = self.runs.get(run.run_id)
            if stored is None or stored.version != run.version:
                return False
            self.runs[run.run_id] = run.with_changes(version=run.version + 1)
            return True

    def open_runs(self) -> list[PayoutRun]:
        return sorted((r for r in self.runs.values() if r.state is not RunState.DONE), key=lambda r: r.run_id)


class DynamoPayoutItemStore:
    def __init__(self, connection) -> None:
        self._connection = connection  # a pynamodb Connection, for the create transaction

    def create(self, item: PayoutItem) -> str:
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.adapters.tables.money import PayoutItemRecord, PayoutRunRecord

        try:
            with TransactWrite(connection=self._connection) as write:
                write.save(_item_record(item), condition=PayoutItemRecord.helper_id.does_not_exist())
                write.condition_check(PayoutRunRecord, item.run_id,
                                      condition=PayoutRunRecord.state == RunState.COLLECTING.value)
            return "created"
        except TransactWriteError as error:
            # pynamodb sends condition checks first: [the run's check, the item's put]
            reasons = [reason.code if reason else None for reason in error.cancellation_reasons or []]
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return "exists"
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return "run_closed"
            raise

    def get(self, run_id: str, helper_id: str) -> PayoutItem | None:
        from chalicelib.adapters.tables.money import PayoutItemRecord

        try:
            return _item(PayoutItemRecord.get(run_id, helper_id, consistent_read=True))
        except PayoutItemRecord.DoesNotExist:
            return None

    def for_run(self, run_id: str) -> list[PayoutItem]:
        from chalicelib.adapters.tables.money import PayoutItemRecord

        return [_item(r) for r in PayoutItemRecord.query(run_id, consistent_read=True, page_size=PAGE)]

    def for_helper(self, helper_id: str, limit: int = 50) -> list[PayoutItem]:
        from chalicelib.adapters.tables.money import PayoutItemRecord

        return [_item(r) for r in PayoutItemRecord.by_helper.query(helper_id, scan_index_forward=False, limit=limit)]

    def transition(self, item: PayoutItem, *, expected: Iterable[ItemState]) -> bool:
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.money import PayoutItemRecord

        try:
            _item_record(item).save(condition=PayoutItemRecord.state.is_in(*[s.value for s in expected]))
            return True
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise


class InMemoryPayoutItemStore:
    def __init__(self, runs: InMemoryPayoutRunStore) -> None:
        self._runs = runs
        self.items: dict[tuple[str, str], PayoutItem] = {}
        self._lock = threading.Lock()

    def create(self, item: PayoutItem) -> str:
        with self._lock:
            if (item.run_id, item.helper_id) in self.items:
                return "exists"
            run = self._runs.get(item.run_id)
            if run is None or run.state is not RunState.COLLECTING:
                return "run_closed"
            self.items[(item.run_id, item.helper_id)] = item
            return "created"

    def get(self, run_id: str, helper_id: str) -> PayoutItem | None:
        return self.items.get((run_id, helper_id))

    def for_run(self, run_id: str) -> list[PayoutItem]:
        return sorted((i for i in self.items.values() if i.run_id == run_id), key=lambda i: i.helper_id)

    def for_helper(self, helper_id: str, limit: int = 50) -> list[PayoutItem]:
        mine = [i for i in self.items.values() if i.helper_id == helper_id]
        return sorted(mine, key=lambda i: i.created_at, reverse=True)[:limit]

    def transition(self, item: PayoutItem, *, expected: Iterable[ItemState]) -> bool:
        with self._lock:
            stored = self.items.get((item.run_id, item.helper_id))
            if stored is None or stored.state not in set(expected):
                return False
            self.items[(item.run_id, item.helper_id)] = item
            return True
