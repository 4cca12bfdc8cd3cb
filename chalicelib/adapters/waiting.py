""""Notify me": the people waiting to hear when a Helper is next online and free. DynamoDB (one
item per Helper and person, `tables/bookings.WaitingRecord`) and its in-memory twin."""
from __future__ import annotations

import threading
from typing import Protocol


class WaitingList(Protocol):
    def add(self, helper_id: str, user_id: str, *, now: int) -> None:
        """`user_id` waits for `helper_id` (again: waiting twice is waiting once)."""
        ...

    def remove(self, helper_id: str, user_id: str) -> None: ...

    def is_waiting(self, helper_id: str, user_id: str) -> bool: ...

    def waiting(self, helper_id: str, *, limit: int) -> list[str]:
        """Who waits for the Helper, longest first (one Query)."""
        ...

    def count(self, helper_id: str) -> int:
        """How many wait (one Query, counted by DynamoDB)."""
        ...

    def claim(self, helper_id: str, user_id: str, *, day: str) -> bool:
        """Ends the person's wait and marks them told on `day`, if they still wait and were not
        told that day; False otherwise (someone else told them, or they were told today)."""
        ...


class InMemoryWaitingList:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()

    def add(self, helper_id: str, user_id: str, *, now: int) -> None:
        with self._lock:
            item = self.items.setdefault((helper_id, user_id), {})
            if item.get("since") is None:
                item["since"] = now

    def remove(self, helper_id: str, user_id: str) -> None:
        with self._lock:
            if (helper_id, user_id) in self.items:
                self.items[(helper_id, user_id)]["since"] = None

    def is_waiting(self, helper_id: str, user_id: str) -> bool:
        return self.items.get((helper_id, user_id), {}).get("since") is not None

    def waiting(self, helper_id: str, *, limit: int) -> list[str]:
        found = sorted((item["since"], user) for (helper, user), item in self.items.items()
                       if helper == helper_id and item.get("since") is not None)
        return [user for _, user in found[:limit]]

    def count(self, helper_id: str) -> int:
        return len(self.waiting(helper_id, limit=10**9))

    def claim(self, helper_id: str, user_id: str, *, day: str) -> bool:
        with self._lock:
            item = self.items.get((helper_id, user_id))
            if item is None or item.get("since") is None or item.get("told_on") == day:
                return False
            item.update(since=None, told_on=day)
            return True


class DynamoWaitingList:
    def _record(self):
        from chalicelib.adapters.tables.bookings import WaitingRecord

        return WaitingRecord

    def add(self, helper_id: str, user_id: str, *, now: int) -> None:
        record = self._record()
        record(helper_id, user_id).update(actions=[record.since.set(record.since | now)])

    def remove(self, helper_id: str, user_id: str) -> None:
        record = self._record()
        try:
            record(helper_id, user_id).update(actions=[record.since.remove()],
                                              condition=record.user_id.exists())
        except Exception as error:  # noqa: BLE001 - nobody waiting: nothing to end
            if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise

    def is_waiting(self, helper_id: str, user_id: str) -> bool:
        record = self._record()
        try:
            return record.get(helper_id, user_id, consistent_read=True).since is not None
        except record.DoesNotExist:
            return False

    def waiting(self, helper_id: str, *, limit: int) -> list[str]:
        record = self._record()
        found = sorted((int(item.since), item.user_id) for item in record.query(
            helper_id, filter_condition=record.since.exists()))
        return [user for _, user in found[:limit]]

    def count(self, helper_id: str) -> int:
        record = self._record()
        return record.count(helper_id, filter_condition=record.since.exists())

    def claim(self, helper_id: str, user_id: str, *, day: str) -> bool:
        from pynamodb.exceptions import UpdateError

        record = self._record()
        try:
            record(helper_id, user_id).update(
                actions=[record.since.remove(), record.told_on.set(day)],
                condition=record.since.exists() & ((record.told_on != day) | record.told_on.does_not_exist()))
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
