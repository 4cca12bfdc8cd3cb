"""Who follows whom, the follower counts, and the fan-outs that email followers: DynamoDB
(`tables/follows.py`) and the in-memory twin, kept honest by the contract tests.

Counts are exact: a follow item and its Helper's count are written in one transaction, on the
condition that the item did not exist (unfollowing: that it did), so following twice or
unfollowing twice moves nothing. A fan-out is opened once per announcement (a conditional put);
each follower is claimed for it by a conditional put before their email goes, so nobody is sent
one twice whatever runs overlap or die; the cursor moves only from the value the job read."""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any, Protocol

from chalicelib.domain.follows import DIGEST_ITEMS_MAX, Announced, FanOut, Follow
from chalicelib.domain.posts import FollowMode

CLAIM_DAYS = 180


class FollowStore(Protocol):
    def follow(self, helper_id: str, follower_id: str, mode: FollowMode, *, now: int) -> bool:
        """Follows (True), or sets the mode of a follow there already (False, the count unmoved)."""
        ...

    def unfollow(self, helper_id: str, follower_id: str) -> bool:
        """False when there was no follow (nothing moved)."""
        ...

    def set_mode(self, helper_id: str, follower_id: str, mode: FollowMode) -> bool:
        """False when the person does not follow the Helper (nothing written)."""
        ...

    def get(self, helper_id: str, follower_id: str) -> Follow | None: ...
    def count(self, helper_id: str) -> int: ...

    def following(self, follower_id: str, *, after: str | None, limit: int) -> list[Follow]:
        """The Helpers a person follows, by helper id, after `after` (one Query of the index)."""
        ...

    def followers(self, helper_id: str, mode: FollowMode, *, after: str | None, limit: int) -> list[str]:
        """Up to `limit` followers of that mode with ids after `after`, in order (Query pages of
        the base table, never a Scan)."""
        ...

    def open_fanout(self, fanout: FanOut, digest: FanOut) -> bool:
        """Opens an announcement's fan-out and adds it to the Helper's digest of the week; False
        (nothing written) when it was opened before."""
        ...

    def get_fanout(self, fanout_id: str) -> FanOut | None: ...

    def due(self, mode: FollowMode, *, now: int, limit: int) -> list[FanOut]:
        """Open fan-outs of `mode` whose time has come, oldest first (one Query of a sparse index)."""
        ...

    def advance(self, fanout: FanOut, *, cursor: str | None, sent: int, done: bool, now: int) -> bool:
        """Moves the cursor on from the one `fanout` was read with, adding `sent`; closes it when
        `done`. False when another run moved it first (nothing written)."""
        ...

    def claim(self, fanout_id: str, follower_id: str, *, now: int) -> bool:
        """True for the one caller who may email this follower for this fan-out."""
        ...

    def release(self, fanout_id: str, follower_id: str) -> None:
        """Gives a claim back, for an email that was not sent (SES throttled it)."""
        ...


class InMemoryFollowStore:
    def __init__(self) -> None:
        self.follows: dict[tuple[str, str], Follow] = {}
        self.counts: dict[str, int] = {}
        self.fanouts: dict[str, FanOut] = {}
        self.claims: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def follow(self, helper_id: str, follower_id: str, mode: FollowMode, *, now: int) -> bool:
        with self._lock:
            key = (helper_id, follower_id)
            if key in self.follows:
                self.follows[key] = replace(self.follows[key], mode=mode)
                return False
            self.follows[key] = Follow(helper_id, follower_id, mode, now)
            self.counts[helper_id] = self.counts.get(helper_id, 0) + 1
            return True

    def unfollow(self, helper_id: str, follower_id: str) -> bool:
        with self._lock:
            if self.follows.pop((helper_id, follower_id), None) is None:
                return False
            self.counts[helper_id] -= 1
            return True

    def set_mode(self, helper_id: str, follower_id: str, mode: FollowMode) -> bool:
        with self._lock:
            key = (helper_id, follower_id)
            if key not in self.follows:
                return False
            self.follows[key] = replace(self.follows[key], mode=mode)
            return True

    def get(self, helper_id: str, follower_id: str) -> Follow | None:
        return self.follows.get((helper_id, follower_id))

    def count(self, helper_id: str) -> int:
        return self.counts.get(helper_id, 0)

    def following(self, follower_id: str, *, after: str | None, limit: int) -> list[Follow]:
        mine = sorted((f for (_, who), f in self.follows.items() if who == follower_id), key=lambda f: f.helper_id)
        return [f for f in mine if after is None or f.helper_id > after][:limit]

    def followers(self, helper_id: str, mode: FollowMode, *, after: str | None, limit: int) -> list[str]:
        found = sorted(who for (helper, who), f in self.follows.items() if helper == helper_id and f.mode is mode)
        return [who for who in found if after is None or who > after][:limit]

    def open_fanout(self, fanout: FanOut, digest: FanOut) -> bool:
        with self._lock:
            if fanout.fanout_id in self.fanouts:
                return False
            self.fanouts[fanout.fanout_id] = fanout
            week = self.fanouts.get(digest.fanout_id, digest)
            if week.done_at is None and week.cursor is None and len(week.items) < DIGEST_ITEMS_MAX:
                self.fanouts[digest.fanout_id] = replace(week, items=week.items + fanout.items)
            return True

    def get_fanout(self, fanout_id: str) -> FanOut | None:
        return self.fanouts.get(fanout_id)

    def due(self, mode: FollowMode, *, now: int, limit: int) -> list[FanOut]:
        found = [f for f in self.fanouts.values() if f.mode is mode and f.done_at is None and f.due_at <= now]
        return sorted(found, key=lambda f: (f.due_at, f.fanout_id))[:limit]

    def advance(self, fanout: FanOut, *, cursor: str | None, sent: int, done: bool, now: int) -> bool:
        with self._lock:
            current = self.fanouts.get(fanout.fanout_id)
            if current is None or current.cursor != fanout.cursor or current.done_at is not None:
                return False
            moved = current.cursor if cursor is None else cursor
            self.fanouts[fanout.fanout_id] = replace(current, cursor=moved, sent=current.sent + sent,
                                                     done_at=now if done else None)
            return True

    def claim(self, fanout_id: str, follower_id: str, *, now: int) -> bool:
        with self._lock:
            if (fanout_id, follower_id) in self.claims:
                return False
            self.claims[(fanout_id, follower_id)] = now
            return True

    def release(self, fanout_id: str, follower_id: str) -> None:
        with self._lock:
            self.claims.pop((fanout_id, follower_id), None)


def _follow(record: Any) -> Follow:
    return Follow(helper_id=record.helper_id, follower_id=record.follower_id, mode=FollowMode(record.mode),
                  since=int(record.since))


def _fanout(record: Any) -> FanOut:
    items = tuple(Announced(kind=i.kind, item_id=i.item_id, title=i.title, path=i.path, summary=i.summary or "")
                  for i in (record.items or []))
    return FanOut(fanout_id=record.fanout_id, helper_id=record.helper_id, mode=FollowMode(record.mode),
                  due_at=int(record.due_at), items=items, cursor=record.cursor, sent=int(record.sent or 0),
                  done_at=int(record.done_at) if record.done_at is not None else None)


def _item(announced: Announced) -> dict:
    return {"M": {"kind": {"S": announced.kind}, "item_id": {"S": announced.item_id},
                  "title": {"S": announced.title}, "path": {"S": announced.path},
                  **({"summary": {"S": announced.summary}} if announced.summary else {})}}


class DynamoFollowStore:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # the tables' shared pynamodb Connection, for transactions

    @property
    def _client(self) -> Any:
        return self._connection.client

    def _count_update(self, helper_id: str, step: int) -> dict:
        from chalicelib.adapters.dynamo_writes import Update
        from chalicelib.adapters.tables.follows import FollowerCountRecord

        update = Update(FollowerCountRecord, {"helper_id": {"S": helper_id}})
        update.adds.append(f"{update.name('followers')} {update.number(step)}")
        return update.item()

    def _moved(self, items: list[dict]) -> bool:
        """Writes the follow change and the count together: False when the follow item's
        condition failed; again when another transaction held one of them."""
        from chalicelib.adapters.dynamo_writes import ATTEMPTS, CONDITION_FAILED, code, conflicted, transact

        for _ in range(ATTEMPTS):
            reasons = transact(self._client, items)
            if reasons is None:
                return True
            if code(reasons[0]) == CONDITION_FAILED:
                return False
            if not conflicted(reasons):
                raise RuntimeError(f"DynamoDB cancelled the follow: {[code(r) for r in reasons]}")
        raise RuntimeError(f"DynamoDB cancelled the follow {ATTEMPTS} times for conflicts")

    def follow(self, helper_id: str, follower_id: str, mode: FollowMode, *, now: int) -> bool:
        from chalicelib.adapters.tables.follows import FollowRecord

        item = FollowRecord(helper_id, follower_id, mode=mode.value, since=now).serialize()
        put = {"Put": {"TableName": FollowRecord.Meta.table_name, "Item": item,
                       "ConditionExpression": "attribute_not_exists(#f)",
                       "ExpressionAttributeNames": {"#f": "follower_id"}}}
        for _ in range(3):  # followed already: set the mode; unfollowed meanwhile: follow again
            if self._moved([put, self._count_update(helper_id, 1)]):
                return True
            if self.set_mode(helper_id, follower_id, mode):
                return False
        raise RuntimeError("a follow and an unfollow kept crossing")

    def unfollow(self, helper_id: str, follower_id: str) -> bool:
        from chalicelib.adapters.tables.follows import FollowRecord

        delete = {"Delete": {"TableName": FollowRecord.Meta.table_name,
                             "Key": {"helper_id": {"S": helper_id}, "follower_id": {"S": follower_id}},
                             "ConditionExpression": "attribute_exists(#f)",
                             "ExpressionAttributeNames": {"#f": "follower_id"}}}
        return self._moved([delete, self._count_update(helper_id, -1)])

    def set_mode(self, helper_id: str, follower_id: str, mode: FollowMode) -> bool:
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.follows import FollowRecord

        try:
            FollowRecord(helper_id, follower_id).update(actions=[FollowRecord.mode.set(mode.value)],
                                                        condition=FollowRecord.follower_id.exists())
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, helper_id: str, follower_id: str) -> Follow | None:
        from chalicelib.adapters.tables.follows import FollowRecord

        try:
            return _follow(FollowRecord.get(helper_id, follower_id, consistent_read=True))
        except FollowRecord.DoesNotExist:
            return None

    def count(self, helper_id: str) -> int:
        from chalicelib.adapters.tables.follows import FollowerCountRecord

        try:
            return int(FollowerCountRecord.get(helper_id).followers or 0)
        except FollowerCountRecord.DoesNotExist:
            return 0

    def following(self, follower_id: str, *, after: str | None, limit: int) -> list[Follow]:
        from chalicelib.adapters.tables.follows import FollowRecord

        condition = FollowRecord.helper_id > after if after is not None else None
        return [_follow(r) for r in FollowRecord.by_follower.query(follower_id, condition, limit=limit)]

    def followers(self, helper_id: str, mode: FollowMode, *, after: str | None, limit: int) -> list[str]:
        from chalicelib.adapters.tables.follows import FollowRecord

        condition = FollowRecord.follower_id > after if after is not None else None
        found = FollowRecord.query(helper_id, condition, filter_condition=FollowRecord.mode == mode.value,
                                   limit=limit, attributes_to_get=["follower_id"])
        return [record.follower_id for record in found]

    def open_fanout(self, fanout: FanOut, digest: FanOut) -> bool:
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.dynamo_writes import Update, written
        from chalicelib.adapters.tables.follows import AnnouncedMap, FanOutRecord

        items = [AnnouncedMap(**{k: v for k, v in vars(i).items() if v != ""}) for i in fanout.items]
        record = FanOutRecord(fanout.fanout_id, helper_id=fanout.helper_id, mode=fanout.mode.value,
                              due_at=fanout.due_at, items=items, queue=fanout.mode.value, sent=0)
        try:
            record.save(condition=FanOutRecord.fanout_id.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        week = Update(FanOutRecord, {"fanout_id": {"S": digest.fanout_id}})
        listed = week.name("items")
        for name, value in (("helper_id", {"S": digest.helper_id}), ("mode", {"S": digest.mode.value}),
                            ("due_at", {"N": str(digest.due_at)}), ("queue", {"S": digest.mode.value}),
                            ("sent", {"N": "0"})):
            week.sets.append(f"{week.name(name)} = if_not_exists({week.name(name)}, {week.value(value)})")
        week.sets.append(f"{listed} = list_append(if_not_exists({listed}, {week.value({'L': []})}), "
                         f"{week.value({'L': [_item(i) for i in fanout.items]})})")
        week.conditions += [f"attribute_not_exists({week.name('cursor')})",
                            f"attribute_not_exists({week.name('done_at')})",
                            f"attribute_not_exists({listed}) OR size({listed}) < {week.number(DIGEST_ITEMS_MAX)}"]
        written(self._client, week)  # a digest begun or full goes without it; the announcement is what counts
        return True

    def get_fanout(self, fanout_id: str) -> FanOut | None:
        from chalicelib.adapters.tables.follows import FanOutRecord

        try:
            return _fanout(FanOutRecord.get(fanout_id, consistent_read=True))
        except FanOutRecord.DoesNotExist:
            return None

    def due(self, mode: FollowMode, *, now: int, limit: int) -> list[FanOut]:
        from chalicelib.adapters.tables.follows import FanOutRecord

        return [_fanout(r) for r in FanOutRecord.open.query(mode.value, FanOutRecord.due_at <= now, limit=limit)]

    def advance(self, fanout: FanOut, *, cursor: str | None, sent: int, done: bool, now: int) -> bool:
        from chalicelib.adapters.dynamo_writes import Update, written
        from chalicelib.adapters.tables.follows import FanOutRecord

        update = Update(FanOutRecord, {"fanout_id": {"S": fanout.fanout_id}})
        at = update.name("cursor")
        if cursor is not None:
            update.sets.append(f"{at} = {update.value({'S': cursor})}")
        if sent:
            update.adds.append(f"{update.name('sent')} {update.number(sent)}")
        if done:
            update.sets.append(f"{update.name('done_at')} = {update.number(now)}")
            update.removes.append(update.name("queue"))
        update.conditions.append(f"attribute_exists({update.name('fanout_id')})")
        update.conditions.append(f"attribute_not_exists({update.name('done_at')})")
        update.conditions.append(f"attribute_not_exists({at})" if fanout.cursor is None
                                 else f"{at} = {update.value({'S': fanout.cursor})}")
        return written(self._client, update)

    def claim(self, fanout_id: str, follower_id: str, *, now: int) -> bool:
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.follows import SendClaimRecord

        try:
            SendClaimRecord(fanout_id, follower_id, claimed_at=now, ttl=now + CLAIM_DAYS * 86_400).save(
                condition=SendClaimRecord.follower_id.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, fanout_id: str, follower_id: str) -> None:
        from chalicelib.adapters.tables.follows import SendClaimRecord

        SendClaimRecord(fanout_id, follower_id).delete()
