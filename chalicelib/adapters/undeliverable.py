"""Addresses email is not sent to any more: SES said a message to them bounced permanently or
their owner marked one as spam (services/ses_feedback.py). Keyed by the lowercased address;
DynamoDB (`tables/limits.py`) and an in-memory twin. The mark stays until the address is
confirmed again (a new confirmation code got through) or ops clears it."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol


def address_key(address: str) -> str:
    """The address as stored and looked up: trimmed, lowercased (mail providers treat the local
    part case-insensitively in practice, and SES reports it as the sender wrote it)."""
    return address.strip().lower()


@dataclass(frozen=True)
class Undeliverable:
    address: str  # lowercased
    reason: str  # "bounce:Permanent/General", "complaint:abuse"
    at: int
    feedback_id: str | None = None


class UndeliverableStore(Protocol):
    def mark(self, entry: Undeliverable) -> None:
        """Keeps the mark (a later one replaces an earlier one's reason and time)."""
        ...

    def get(self, address: str) -> Undeliverable | None: ...

    def clear(self, address: str) -> bool:
        """Lifts the mark; False when there was none."""
        ...


class InMemoryUndeliverableStore:
    def __init__(self) -> None:
        self.items: dict[str, Undeliverable] = {}
        self._lock = threading.Lock()

    def mark(self, entry: Undeliverable) -> None:
        with self._lock:
            key = address_key(entry.address)
            self.items[key] = Undeliverable(key, entry.reason, entry.at, entry.feedback_id)

    def get(self, address: str) -> Undeliverable | None:
        return self.items.get(address_key(address))

    def clear(self, address: str) -> bool:
        with self._lock:
            return self.items.pop(address_key(address), None) is not None


class DynamoUndeliverableStore:
    """One item per address: a put, a consistent GetItem, a conditional delete."""

    def mark(self, entry: Undeliverable) -> None:
        from chalicelib.adapters.tables.limits import UndeliverableRecord as Record

        Record(address_key(entry.address), reason=entry.reason, at=entry.at, feedback_id=entry.feedback_id).save()

    def get(self, address: str) -> Undeliverable | None:
        from chalicelib.adapters.tables.limits import UndeliverableRecord as Record

        try:
            record = Record.get(address_key(address), consistent_read=True)
        except Record.DoesNotExist:
            return None
        return Undeliverable(record.address, record.reason, int(record.at), record.feedback_id)

    def clear(self, address: str) -> bool:
        from pynamodb.exceptions import DeleteError

        from chalicelib.adapters.tables.limits import UndeliverableRecord as Record

        try:
            Record(address_key(address)).delete(condition=Record.address.exists())
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
