"""The notification centre's store: DynamoDB (`tables/notices.py`) and the in-memory twin, which
the contract tests hold to the same behaviour."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from typing import Protocol

from chalicelib.domain.notices import Notice


@dataclass(frozen=True)
class NoticeState:
    unread: int = 0
    read_through: str | None = None  # the sort key of the newest notice read ("mark all read")
    preferences: dict | None = None  # as stored: category -> {"email": bool, "push": bool}


class NoticeStore(Protocol):
    def add(self, notice: Notice, *, ttl: int | None) -> int:
        """Keeps the notice and counts it unread; the person's unread count after it."""
        ...

    def page(self, user_id: str, *, limit: int, before: str | None = None) -> tuple[list[Notice], bool]:
        """The person's notices newest first, older than the sort key `before` if given, and
        whether there are more."""
        ...

    def state(self, user_id: str) -> NoticeState: ...

    def mark_all_read(self, user_id: str, *, through: str | None) -> None:
        """The unread count is 0 and every notice up to the sort key `through` is read."""
        ...

    def set_preferences(self, user_id: str, preferences: dict) -> None: ...


class InMemoryNoticeStore:
    def __init__(self) -> None:
        self.notices: dict[str, dict[str, Notice]] = {}
        self.ttls: dict[tuple[str, str], int | None] = {}
        self.states: dict[str, NoticeState] = {}
        self._lock = threading.Lock()

    def add(self, notice: Notice, *, ttl: int | None) -> int:
        with self._lock:
            self.notices.setdefault(notice.user_id, {})[notice.sort_key] = notice
            self.ttls[(notice.user_id, notice.sort_key)] = ttl
            state = self.states.get(notice.user_id, NoticeState())
            self.states[notice.user_id] = replace(state, unread=state.unread + 1)
            return state.unread + 1

    def page(self, user_id: str, *, limit: int, before: str | None = None) -> tuple[list[Notice], bool]:
        keys = sorted((k for k in self.notices.get(user_id, {}) if before is None or k < before), reverse=True)
        return [self.notices[user_id][k] for k in keys[:limit]], len(keys) > limit

    def state(self, user_id: str) -> NoticeState:
        return self.states.get(user_id, NoticeState())

    def mark_all_read(self, user_id: str, *, through: str | None) -> None:
        with self._lock:
            state = self.states.get(user_id, NoticeState())
            newest = max(filter(None, (state.read_through, through)), default=None)
            self.states[user_id] = replace(state, unread=0, read_through=newest)

    def set_preferences(self, user_id: str, preferences: dict) -> None:
        with self._lock:
            state = self.states.get(user_id, NoticeState())
            self.states[user_id] = replace(state, preferences=json.loads(json.dumps(preferences)))


class DynamoNoticeStore:
    """A notice is one put and one ADD on the person's state item (two writes, not a transaction:
    the count may lag a notice whose second write failed; reading all sets it right)."""

    def add(self, notice: Notice, *, ttl: int | None) -> int:
        from chalicelib.adapters.tables.notices import NoticeRecord, NoticeStateRecord

        NoticeRecord(notice.user_id, notice.sort_key, notice_id=notice.notice_id, at=notice.at, kind=notice.kind,
                     category=notice.category, title=notice.title, body=notice.body, url=notice.url,
                     ttl=ttl).save()
        state = NoticeStateRecord(notice.user_id)
        state.update(actions=[NoticeStateRecord.unread.add(1)])
        return int(state.unread or 0)

    def page(self, user_id: str, *, limit: int, before: str | None = None) -> tuple[list[Notice], bool]:
        from chalicelib.adapters.tables.notices import NoticeRecord as Record

        condition = Record.sort_key < before if before is not None else None
        records = list(Record.query(user_id, range_key_condition=condition, scan_index_forward=False,
                                    limit=limit + 1, consistent_read=True))
        notices = [Notice(user_id=r.user_id, notice_id=r.notice_id, at=int(r.at), kind=r.kind, category=r.category,
                          title=r.title, body=r.body or "", url=r.url) for r in records[:limit]]
        return notices, len(records) > limit

    def state(self, user_id: str) -> NoticeState:
        from chalicelib.adapters.tables.notices import NoticeStateRecord as Record

        try:
            record = Record.get(user_id, consistent_read=True)
        except Record.DoesNotExist:
            return NoticeState()
        return NoticeState(unread=max(0, int(record.unread or 0)), read_through=record.read_through,
                           preferences=json.loads(record.preferences) if record.preferences else None)

    def mark_all_read(self, user_id: str, *, through: str | None) -> None:
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.notices import NoticeStateRecord as Record

        record = Record(user_id)
        if through is None:
            record.update(actions=[Record.unread.set(0)])
            return
        try:  # read_through only moves forward
            record.update(actions=[Record.unread.set(0), Record.read_through.set(through)],
                          condition=Record.read_through.does_not_exist() | (Record.read_through < through))
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            record.update(actions=[Record.unread.set(0)])

    def set_preferences(self, user_id: str, preferences: dict) -> None:
        from chalicelib.adapters.tables.notices import NoticeStateRecord as Record

        Record(user_id).update(actions=[Record.preferences.set(json.dumps(preferences, sort_keys=True))])
