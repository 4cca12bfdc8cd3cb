"""Who is online: DynamoDB, and an in-memory twin."""
from __future__ import annotations

from typing import Iterable, Protocol

from chalicelib.domain.presence import Status


class PresenceStore(Protocol):
    def get_many(self, user_ids: Iterable[str]) -> dict[str, Status]: ...
    def set(self, user_id: str, status: Status, changed_at_ms: int) -> bool: ...


class DynamoPresenceStore:
    def get_many(self, user_ids: Iterable[str]) -> dict[str, Status]:
        from chalicelib.adapters.tables.pages import PresenceRecord

        keys = list(dict.fromkeys(user_ids))
        found = {r.user_id: Status(r.status) for r in PresenceRecord.batch_get(keys)} if keys else {}
        return {u: found.get(u, Status.OFFLINE) for u in keys}

    def set(self, user_id: str, status: Status, changed_at_ms: int) -> bool:
        """Records a status unless a later recount is already recorded; True if it changed."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.pages import PresenceRecord

        record = PresenceRecord(user_id)
        try:
            record.update(
                actions=[PresenceRecord.status.set(status.value), PresenceRecord.changed_at.set(changed_at_ms)],
                condition=(PresenceRecord.changed_at.does_not_exist()
                           | (PresenceRecord.changed_at <= changed_at_ms) & (PresenceRecord.status != status.value)),
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


class InMemoryPresenceStore:
    def __init__(self) -> None:
        self.statuses: dict[str, tuple[Status, int]] = {}

    def get_many(self, user_ids: Iterable[str]) -> dict[str, Status]:
        return {u: self.statuses.get(u, (Status.OFFLINE, 0))[0] for u in dict.fromkeys(user_ids)}

    def set(self, user_id: str, status: Status, changed_at_ms: int) -> bool:
        current = self.statuses.get(user_id)
        if current is not None and (current[1] > changed_at_ms or current[0] == status):
            return False
        self.statuses[user_id] = (status, changed_at_ms)
        return True
