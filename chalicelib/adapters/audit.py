"""The ops audit log (who did what to whom, when and why): DynamoDB and an in-memory twin.

Append-only by construction: an entry is put on the condition that its id is new, and neither
store has a way to change or remove one. The log reads newest first; the cursor of a page is the
id of its last entry, checked for shape before it reaches DynamoDB."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.errors import InvalidInput

LOG = "ops"
_ENTRY_ID = re.compile(r"^\d{10}#[0-9a-f]{32}$")


@dataclass(frozen=True)
class AuditEntry:
    entry_id: str
    at: int
    ops_id: str
    action: str  # "disqualify", "restore", "hide_review", "close_flag", ...
    subject: str  # "<kind>:<id>"
    reason: str


class AuditLog(Protocol):
    def append(self, entry: AuditEntry) -> None: ...
    def page(self, *, limit: int = 50, cursor: str | None = None) -> tuple[list[AuditEntry], str | None]: ...
    def for_subject(self, subject: str, limit: int = 50) -> list[AuditEntry]: ...


def check_cursor(cursor: str | None) -> str | None:
    if cursor is not None and not _ENTRY_ID.match(cursor):
        raise InvalidInput("This page link is not valid.", field="cursor")
    return cursor


def _entry(record) -> AuditEntry:
    return AuditEntry(entry_id=record.entry_id, at=int(record.at), ops_id=record.ops_id, action=record.action,
                      subject=record.subject, reason=record.reason)


class DynamoAuditLog:
    def append(self, entry: AuditEntry) -> None:
        from chalicelib.adapters.tables.audit import AuditRecord

        AuditRecord(LOG, entry.entry_id, at=entry.at, ops_id=entry.ops_id, action=entry.action,
                    subject=entry.subject, reason=entry.reason).save(
            condition=AuditRecord.entry_id.does_not_exist())

    def page(self, *, limit: int = 50, cursor: str | None = None) -> tuple[list[AuditEntry], str | None]:
        from chalicelib.adapters.tables.audit import AuditRecord

        start = {"log": {"S": LOG}, "entry_id": {"S": check_cursor(cursor)}} if cursor else None
        results = AuditRecord.query(LOG, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        entries = [_entry(r) for r in results]
        last = results.last_evaluated_key
        return entries, (last["entry_id"]["S"] if last and len(entries) == limit else None)

    def for_subject(self, subject: str, limit: int = 50) -> list[AuditEntry]:
        from chalicelib.adapters.tables.audit import AuditRecord

        return [_entry(r) for r in AuditRecord.by_subject.query(subject, scan_index_forward=False, limit=limit)]


class InMemoryAuditLog:
    def __init__(self) -> None:
        self._entries: dict[str, AuditEntry] = {}

    def append(self, entry: AuditEntry) -> None:
        if entry.entry_id in self._entries:
            raise ValueError(f"audit entry {entry.entry_id} exists")
        self._entries[entry.entry_id] = entry

    def _newest_first(self) -> list[AuditEntry]:
        return sorted(self._entries.values(), key=lambda e: e.entry_id, reverse=True)

    def page(self, *, limit: int = 50, cursor: str | None = None) -> tuple[list[AuditEntry], str | None]:
        check_cursor(cursor)
        entries = [e for e in self._newest_first() if cursor is None or e.entry_id < cursor]
        page = entries[:limit]
        return page, (page[-1].entry_id if len(entries) > limit else None)

    def for_subject(self, subject: str, limit: int = 50) -> list[AuditEntry]:
        return [e for e in self._newest_first() if e.subject == subject][:limit]
