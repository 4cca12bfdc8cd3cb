"""Polls and their votes: the in-memory twin and DynamoDB (`tables/posts.py`). A vote and the
counts it moves are written together, on condition that the poll is still open and that the
person's vote is still the one read, so the counts stay exact however many vote at once."""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any, Protocol

from chalicelib.domain.polls import Poll, ResultsShown, VoteChange


class PollStore(Protocol):
    def create(self, poll: Poll) -> None: ...
    def get(self, helper_id: str, poll_id: str) -> Poll | None: ...

    def for_helper(self, helper_id: str, *, limit: int) -> list[Poll]:
        """The Helper's polls, newest first (one Query)."""
        ...

    def counts(self, poll: Poll) -> dict[int, int]:
        """Each option's votes (read with the poll: one GetItem)."""
        ...

    def vote_of(self, poll: Poll, user_id: str) -> int | None: ...

    def cast(self, poll: Poll, user_id: str, change: VoteChange, *, now: int) -> bool:
        """Writes the person's vote and moves the counts, at once; False when the poll closed
        or their vote changed meanwhile (nothing written: read again)."""
        ...

    def close(self, poll: Poll, *, now: int) -> Poll: ...

    def claim_send(self, poll: Poll, *, now_ms: int, gap_ms: int) -> int | None:
        """Claims sending the results now: None if it is this caller's (none was sent in the
        last `gap_ms`), else when the last send was."""
        ...

    def promise_send(self, poll: Poll, *, at_ms: int) -> bool:
        """Promises a send at `at_ms`: True for the one caller that promised it first (no send
        was promised for that moment or later yet)."""
        ...

    def watch(self, poll: Poll, connection_id: str, *, user_id: str, sees: bool, until: int) -> None: ...
    def unwatch(self, poll: Poll, connection_id: str) -> None: ...

    def watchers(self, poll: Poll, *, now: int, everyone: bool = False) -> list[str]:
        """The connections watching the poll that may be sent its results, or `everyone`
        watching it (a closed poll); one Query."""
        ...


class InMemoryPollStore:
    def __init__(self) -> None:
        self.polls: dict[tuple[str, str], Poll] = {}
        self.tallies: dict[tuple[str, str], dict[int, int]] = {}
        self.votes: dict[tuple[str, str, str], int] = {}
        self.sent_ms: dict[tuple[str, str], int] = {}
        self.promised_ms: dict[tuple[str, str], int] = {}
        self.watching: dict[tuple[str, str], dict[str, tuple[bool, int]]] = {}
        self._lock = threading.Lock()

    def create(self, poll: Poll) -> None:
        with self._lock:
            self.polls[(poll.helper_id, poll.poll_id)] = poll
            self.tallies[(poll.helper_id, poll.poll_id)] = {}

    def get(self, helper_id: str, poll_id: str) -> Poll | None:
        return self.polls.get((helper_id, poll_id))

    def for_helper(self, helper_id: str, *, limit: int) -> list[Poll]:
        mine = [p for (helper, _), p in self.polls.items() if helper == helper_id]
        return sorted(mine, key=lambda p: p.poll_id, reverse=True)[:limit]

    def counts(self, poll: Poll) -> dict[int, int]:
        return dict(self.tallies.get((poll.helper_id, poll.poll_id), {}))

    def vote_of(self, poll: Poll, user_id: str) -> int | None:
        return self.votes.get((poll.helper_id, poll.poll_id, user_id))

    def cast(self, poll: Poll, user_id: str, change: VoteChange, *, now: int) -> bool:
        key = (poll.helper_id, poll.poll_id)
        with self._lock:
            current = self.polls.get(key)
            if current is None or not current.is_open(now) or self.votes.get((*key, user_id)) != change.lost:
                return False
            tally = self.tallies[key]
            tally[change.gained] = tally.get(change.gained, 0) + 1
            if change.lost is not None:
                tally[change.lost] -= 1
            self.votes[(*key, user_id)] = change.gained
            return True

    def close(self, poll: Poll, *, now: int) -> Poll:
        with self._lock:
            closed = replace(self.polls[(poll.helper_id, poll.poll_id)], closed_at=now)
            self.polls[(poll.helper_id, poll.poll_id)] = closed
            return closed

    def claim_send(self, poll: Poll, *, now_ms: int, gap_ms: int) -> int | None:
        key = (poll.helper_id, poll.poll_id)
        with self._lock:
            last = self.sent_ms.get(key)
            if last is not None and last > now_ms - gap_ms:
                return last
            self.sent_ms[key] = now_ms
            return None

    def promise_send(self, poll: Poll, *, at_ms: int) -> bool:
        key = (poll.helper_id, poll.poll_id)
        with self._lock:
            if self.promised_ms.get(key, -1) >= at_ms:
                return False
            self.promised_ms[key] = at_ms
            return True

    def watch(self, poll: Poll, connection_id: str, *, user_id: str, sees: bool, until: int) -> None:
        with self._lock:
            self.watching.setdefault((poll.helper_id, poll.poll_id), {})[connection_id] = (sees, until)

    def unwatch(self, poll: Poll, connection_id: str) -> None:
        with self._lock:
            self.watching.get((poll.helper_id, poll.poll_id), {}).pop(connection_id, None)

    def watchers(self, poll: Poll, *, now: int, everyone: bool = False) -> list[str]:
        with self._lock:
            found = self.watching.get((poll.helper_id, poll.poll_id), {})
            return sorted(c for c, (sees, until) in found.items() if (sees or everyone) and until > now)


def _poll(record: Any) -> Poll:
    return Poll(poll_id=record.poll_id, helper_id=record.helper_id, question=record.question,
                options=tuple(record.options), results=ResultsShown(record.results), created_at=int(record.created_at),
                closes_at=int(record.closes_at) if record.closes_at is not None else None,
                closed_at=int(record.closed_at) if record.closed_at is not None else None)


def _key(poll: Poll) -> str:
    return f"{poll.helper_id}/{poll.poll_id}"


class DynamoPollStore:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # the tables' shared pynamodb Connection, for transactions

    def create(self, poll: Poll) -> None:
        from chalicelib.adapters.tables.posts import PollRecord

        PollRecord(poll.helper_id, poll.poll_id, question=poll.question, options=list(poll.options),
                   results=poll.results.value, created_at=poll.created_at, closes_at=poll.closes_at).save(
            condition=PollRecord.poll_id.does_not_exist())

    def _record(self, helper_id: str, poll_id: str) -> Any:
        from chalicelib.adapters.tables.posts import PollRecord

        try:
            return PollRecord.get(helper_id, poll_id, consistent_read=True)
        except PollRecord.DoesNotExist:
            return None

    def get(self, helper_id: str, poll_id: str) -> Poll | None:
        record = self._record(helper_id, poll_id)
        return _poll(record) if record is not None else None

    def for_helper(self, helper_id: str, *, limit: int) -> list[Poll]:
        from chalicelib.adapters.tables.posts import PollRecord

        return [_poll(r) for r in PollRecord.query(helper_id, scan_index_forward=False, limit=limit)]

    def counts(self, poll: Poll) -> dict[int, int]:
        record = self._record(poll.helper_id, poll.poll_id)
        if record is None:
            return {}
        return {n: int(getattr(record, f"c{n}")) for n in range(len(poll.options))
                if getattr(record, f"c{n}") is not None}

    def vote_of(self, poll: Poll, user_id: str) -> int | None:
        from chalicelib.adapters.tables.posts import VoteRecord

        try:
            return int(VoteRecord.get(_key(poll), user_id, consistent_read=True).option)
        except VoteRecord.DoesNotExist:
            return None

    def cast(self, poll: Poll, user_id: str, change: VoteChange, *, now: int) -> bool:
        from chalicelib.adapters.dynamo_writes import CONDITION_FAILED, Update, code, transact
        from chalicelib.adapters.tables.posts import PollRecord, VoteRecord

        counts = Update(PollRecord, {"helper_id": {"S": poll.helper_id}, "poll_id": {"S": poll.poll_id}})
        for option, step in ((change.gained, 1), (change.lost, -1)):
            if option is not None:
                name = counts.name(f"c{option}")
                counts.sets.append(f"{name} = if_not_exists({name}, {counts.number(0)}) + {counts.number(step)}")
        closes, closed = counts.name("closes_at"), counts.name("closed_at")
        counts.conditions += [f"attribute_not_exists({closed})",
                              f"attribute_not_exists({closes}) OR {closes} > {counts.number(now)}"]
        vote = VoteRecord(_key(poll), user_id, option=change.gained, voted_at=now).serialize()
        if change.lost is None:
            was = {"ConditionExpression": "attribute_not_exists(#user)",
                   "ExpressionAttributeNames": {"#user": "user_id"}}
        else:
            was = {"ConditionExpression": "#option = :was", "ExpressionAttributeNames": {"#option": "option"},
                   "ExpressionAttributeValues": {":was": {"N": str(change.lost)}}}
        items = [{"Put": {"TableName": VoteRecord.Meta.table_name, "Item": vote, **was}}, counts.item()]
        for _ in range(3):
            reasons = transact(self._connection.client, items)
            if reasons is None:
                return True
            if any(code(reason) == CONDITION_FAILED for reason in reasons):
                return False
        raise RuntimeError("DynamoDB cancelled the vote 3 times for conflicts")

    def close(self, poll: Poll, *, now: int) -> Poll:
        from chalicelib.adapters.tables.posts import PollRecord

        PollRecord(poll.helper_id, poll.poll_id).update(actions=[PollRecord.closed_at.set(now)],
                                                        condition=PollRecord.poll_id.exists())
        return replace(poll, closed_at=now)

    def claim_send(self, poll: Poll, *, now_ms: int, gap_ms: int) -> int | None:
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.posts import PollRecord

        record = PollRecord(poll.helper_id, poll.poll_id)
        try:
            record.update(actions=[PollRecord.pushed_ms.set(now_ms)],
                          condition=PollRecord.poll_id.exists() & (PollRecord.pushed_ms.does_not_exist()
                                                                   | (PollRecord.pushed_ms <= now_ms - gap_ms)))
            return None
        except UpdateError as error:
            if not _condition_failed(error):
                raise
        found = self._record(poll.helper_id, poll.poll_id)
        return int(found.pushed_ms) if found is not None and found.pushed_ms is not None else now_ms

    def promise_send(self, poll: Poll, *, at_ms: int) -> bool:
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.posts import PollRecord

        try:
            PollRecord(poll.helper_id, poll.poll_id).update(
                actions=[PollRecord.promised_ms.set(at_ms)],
                condition=PollRecord.poll_id.exists() & (PollRecord.promised_ms.does_not_exist()
                                                         | (PollRecord.promised_ms < at_ms)))
            return True
        except UpdateError as error:
            if not _condition_failed(error):
                raise
            return False

    def watch(self, poll: Poll, connection_id: str, *, user_id: str, sees: bool, until: int) -> None:
        from chalicelib.adapters.tables.posts import PollWatcherRecord

        PollWatcherRecord(_key(poll), connection_id, user_id=user_id, sees=sees, ttl=until).save()

    def unwatch(self, poll: Poll, connection_id: str) -> None:
        from chalicelib.adapters.tables.posts import PollWatcherRecord

        PollWatcherRecord(_key(poll), connection_id).delete()

    def watchers(self, poll: Poll, *, now: int, everyone: bool = False) -> list[str]:
        from chalicelib.adapters.tables.posts import PollWatcherRecord

        live = PollWatcherRecord.ttl > now
        shown = live if everyone else live & (PollWatcherRecord.sees == True)  # noqa: E712
        return [r.connection_id for r in PollWatcherRecord.query(_key(poll), filter_condition=shown)]


def _condition_failed(error: Exception) -> bool:
    cause = getattr(error, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"
