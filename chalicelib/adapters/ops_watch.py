"""What ops watches, stored: free sessions counted per Helper and week (each call once), and the
flags raised for ops (each once; the open ones are a sparse index, newest first). DynamoDB, and
in-memory twins with the same behaviour. No Scan: a week's counts are one partition."""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Protocol

from chalicelib.domain.ops_watch import FlagState, OpsFlag

OPEN_QUEUE = "open"  # the `queue` value of flags ops has not closed


class FreeSessionCounter(Protocol):
    def record(self, *, week: str, helper_id: str, call_id: str, expires_at: int) -> bool: ...
    def count(self, week: str, helper_id: str) -> int: ...
    def at_least(self, week: str, threshold: int) -> list[tuple[str, int]]: ...


class OpsFlagStore(Protocol):
    def raise_once(self, flag: OpsFlag) -> bool: ...
    def withdraw(self, flag: OpsFlag) -> bool: ...
    def get(self, flag_id: str) -> OpsFlag | None: ...
    def open_flags(self, limit: int = 100) -> list[OpsFlag]: ...
    def close(self, flag_id: str, *, at: int, by: str, note: str) -> bool: ...
    def for_helper(self, helper_id: str, limit: int = 50) -> list[OpsFlag]: ...  # open and closed, newest first


class DynamoFreeSessionCounter:
    """One item per week and Helper: the count, and the set of calls counted, both changed by one
    conditional UpdateItem (so a retried start of the same call changes nothing)."""

    def record(self, *, week: str, helper_id: str, call_id: str, expires_at: int) -> bool:
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.calls import FreeSessionCountRecord as Count

        try:
            Count(week, helper_id).update(
                actions=[Count.count.add(1), Count.call_ids.add({call_id}), Count.ttl.set(expires_at)],
                condition=Count.call_ids.does_not_exist() | ~Count.call_ids.contains(call_id))
            return True
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    def count(self, week: str, helper_id: str) -> int:
        from chalicelib.adapters.tables.calls import FreeSessionCountRecord as Count

        try:
            return int(Count.get(week, helper_id, consistent_read=True).count)
        except Count.DoesNotExist:
            return 0

    def at_least(self, week: str, threshold: int) -> list[tuple[str, int]]:
        """Helpers with `threshold` or more free sessions in `week`: a Query of the week's partition."""
        from chalicelib.adapters.tables.calls import FreeSessionCountRecord as Count

        hits = Count.query(week, filter_condition=Count.count >= threshold,
                           attributes_to_get=["helper_id", "count"])
        return [(r.helper_id, int(r.count)) for r in hits]


class InMemoryFreeSessionCounter:
    def __init__(self) -> None:
        self._calls: dict[tuple[str, str], set[str]] = {}
        self.expires_at: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def record(self, *, week: str, helper_id: str, call_id: str, expires_at: int) -> bool:
        with self._lock:
            counted = self._calls.setdefault((week, helper_id), set())
            if call_id in counted:
                return False
            counted.add(call_id)
            self.expires_at[(week, helper_id)] = expires_at
            return True

    def count(self, week: str, helper_id: str) -> int:
        return len(self._calls.get((week, helper_id), ()))

    def at_least(self, week: str, threshold: int) -> list[tuple[str, int]]:
        with self._lock:
            found = [(helper, len(calls)) for (w, helper), calls in self._calls.items() if w == week]
        return sorted((helper, n) for helper, n in found if n >= threshold)


def _flag(r) -> OpsFlag:
    return OpsFlag(flag_id=r.flag_id, helper_id=r.helper_id, reason=r.reason, detail=r.detail,
                   flagged_at=int(r.flagged_at), state=FlagState(r.state),
                   closed_at=None if r.closed_at is None else int(r.closed_at), closed_by=r.closed_by,
                   note=r.note)


class DynamoOpsFlagStore:
    def raise_once(self, flag: OpsFlag) -> bool:
        """Writes the flag unless one with its id exists (raised before, even concurrently)."""
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.calls import OpsFlagRecord as Flag

        record = Flag(flag.flag_id, helper_id=flag.helper_id, reason=flag.reason, detail=flag.detail,
                      flagged_at=flag.flagged_at, state=flag.state.value, closed_at=flag.closed_at,
                      closed_by=flag.closed_by, note=flag.note,
                      queue=OPEN_QUEUE if flag.state is FlagState.OPEN else None)
        try:
            record.save(condition=Flag.flag_id.does_not_exist())
            return True
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    def withdraw(self, flag: OpsFlag) -> bool:
        """Takes back the flag this very run raised (ops could not be told), so a later run raises it
        again; a flag ops already handled, or raised by another run, stays."""
        from pynamodb.exceptions import DeleteError

        from chalicelib.adapters.tables.calls import OpsFlagRecord as Flag

        try:
            Flag(flag.flag_id).delete(condition=(Flag.state == FlagState.OPEN.value)
                                      & (Flag.flagged_at == flag.flagged_at))
            return True
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    def get(self, flag_id: str) -> OpsFlag | None:
        from chalicelib.adapters.tables.calls import OpsFlagRecord as Flag

        try:
            return _flag(Flag.get(flag_id, consistent_read=True))
        except Flag.DoesNotExist:
            return None

    def open_flags(self, limit: int = 100) -> list[OpsFlag]:
        from chalicelib.adapters.tables.calls import OpsFlagRecord as Flag

        return [_flag(r) for r in Flag.by_queue.query(OPEN_QUEUE, scan_index_forward=False, limit=limit)]

    def for_helper(self, helper_id: str, limit: int = 50) -> list[OpsFlag]:
        """Every flag raised about a Helper, newest first: one Query of the `by_helper` index."""
        from chalicelib.adapters.tables.calls import OpsFlagRecord as Flag

        return [_flag(r) for r in Flag.by_helper.query(helper_id, scan_index_forward=False, limit=limit)]

    def close(self, flag_id: str, *, at: int, by: str, note: str) -> bool:
        """Closes an open flag (it leaves the queue); False if it is closed already or unknown."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.calls import OpsFlagRecord as Flag

        try:
            Flag(flag_id).update(
                actions=[Flag.state.set(FlagState.CLOSED.value), Flag.closed_at.set(at), Flag.closed_by.set(by),
                         Flag.note.set(note), Flag.queue.remove()],
                condition=Flag.state == FlagState.OPEN.value)
            return True
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise


class InMemoryOpsFlagStore:
    def __init__(self) -> None:
        self._flags: dict[str, OpsFlag] = {}
        self._lock = threading.Lock()

    def raise_once(self, flag: OpsFlag) -> bool:
        with self._lock:
            if flag.flag_id in self._flags:
                return False
            self._flags[flag.flag_id] = flag
            return True

    def withdraw(self, flag: OpsFlag) -> bool:
        with self._lock:
            stored = self._flags.get(flag.flag_id)
            if stored is None or stored.state is not FlagState.OPEN or stored.flagged_at != flag.flagged_at:
                return False
            del self._flags[flag.flag_id]
            return True

    def get(self, flag_id: str) -> OpsFlag | None:
        return self._flags.get(flag_id)

    def open_flags(self, limit: int = 100) -> list[OpsFlag]:
        waiting = [f for f in self._flags.values() if f.state is FlagState.OPEN]
        return sorted(waiting, key=lambda f: f.flagged_at, reverse=True)[:limit]

    def for_helper(self, helper_id: str, limit: int = 50) -> list[OpsFlag]:
        theirs = [f for f in self._flags.values() if f.helper_id == helper_id]
        return sorted(theirs, key=lambda f: f.flagged_at, reverse=True)[:limit]

    def close(self, flag_id: str, *, at: int, by: str, note: str) -> bool:
        with self._lock:
            stored = self._flags.get(flag_id)
            if stored is None or stored.state is not FlagState.OPEN:
                return False
            self._flags[flag_id] = replace(stored, state=FlagState.CLOSED, closed_at=at, closed_by=by, note=note)
            return True
