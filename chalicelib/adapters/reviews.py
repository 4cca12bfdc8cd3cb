"""Reviews: DynamoDB (one item per session, the Helper's star counters on their page item, both
changed in one transaction), and an in-memory twin."""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.domain.reviews import Moderation, Reply, Review, counts_change

SORTS = ("newest", "highest", "lowest")


class ReviewStore(Protocol):
    def get(self, call_id: str) -> Review | None: ...

    def create(self, review: Review) -> bool:
        """Writes a new review and adds it to its Helper's counters, at once; False when the
        session has a review already (nothing written)."""
        ...

    def change(self, before: Review, after: Review) -> bool:
        """Replaces `before`, if it is still what was read (its version), by `after` (its version
        one higher) and moves its Helper's counters by the difference, at once; False when it
        changed meanwhile (nothing written)."""
        ...

    def for_helper(self, helper_id: str, *, sort: str, limit: int,
                   after: dict | None = None) -> tuple[list[Review], dict | None]:
        """A page of the Helper's shown reviews (hidden ones are not), newest first, or by
        stars (highest: most stars, newest first; lowest: fewest, oldest first), and the key
        to continue after, if more may follow."""
        ...

    def by_caller(self, caller_id: str, *, limit: int, after: dict | None = None) -> tuple[list[Review], dict | None]:
        ...


def _newest_key(review: Review) -> str:
    return f"{review.created_at:012d}#{review.call_id}"


def _stars_key(review: Review) -> str:
    return f"{review.stars}#{_newest_key(review)}"


def _reply_json(reply: Reply | None) -> dict | None:
    return None if reply is None else {"text": reply.text, "created_at": reply.created_at,
                                       "edited_at": reply.edited_at}


def _reply(stored: dict | None) -> Reply | None:
    if not stored:
        return None
    edited = stored.get("edited_at")
    return Reply(text=str(stored["text"]), created_at=int(stored["created_at"]),
                 edited_at=None if edited is None else int(edited))


def _moderation_json(moderation: Moderation | None) -> dict | None:
    return None if moderation is None else {"decision": moderation.decision, "note": moderation.note,
                                            "decided_by": moderation.decided_by,
                                            "decided_at": moderation.decided_at}


def _moderation(stored: dict | None) -> Moderation | None:
    if not stored:
        return None
    return Moderation(decision=str(stored["decision"]), note=str(stored.get("note") or ""),
                      decided_by=str(stored["decided_by"]), decided_at=int(stored["decided_at"]))


def _review(record: Any) -> Review:
    return Review(call_id=record.call_id, helper_id=record.helper_id, caller_id=record.caller_id,
                  stars=int(record.stars), text=record.text or "", created_at=int(record.created_at),
                  session_minutes=int(record.session_minutes), author_name=record.author_name or "",
                  edited_at=None if record.edited_at is None else int(record.edited_at),
                  reply=_reply(record.reply), refunded=bool(record.refunded), hidden=bool(record.hidden),
                  moderation=_moderation(record.moderation), version=int(record.version))


def _record(review: Review) -> Any:
    from chalicelib.adapters.tables.reviews import ReviewRecord

    return ReviewRecord(review.call_id, helper_id=review.helper_id, caller_id=review.caller_id,
                        stars=review.stars, text=review.text, created_at=review.created_at,
                        edited_at=review.edited_at, session_minutes=review.session_minutes,
                        author_name=review.author_name,
                        reply=_reply_json(review.reply), refunded=review.refunded, hidden=review.hidden,
                        moderation=_moderation_json(review.moderation),
                        version=review.version, shown_helper=None if review.hidden else review.helper_id,
                        newest=_newest_key(review), by_stars=_stars_key(review))


def _counter_actions(delta: tuple[int, ...]) -> list:
    """ADDs to the Helper's counters (each attribute once: DynamoDB refuses overlapping paths)."""
    from chalicelib.adapters.tables.pages import HelperPageRecord

    actions = [getattr(HelperPageRecord, f"rating_{stars}").add(change)
               for stars, change in zip((1, 2, 3, 4, 5), delta) if change]
    count, total = sum(delta), sum(stars * change for stars, change in zip((1, 2, 3, 4, 5), delta))
    if count:
        actions.append(HelperPageRecord.rating_count.add(count))
    if total:
        actions.append(HelperPageRecord.rating_total.add(total))
    return actions


class DynamoReviewStore:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # the tables' shared pynamodb Connection, for transactions

    def get(self, call_id: str) -> Review | None:
        from chalicelib.adapters.tables.reviews import ReviewRecord

        try:
            return _review(ReviewRecord.get(call_id, consistent_read=True))
        except ReviewRecord.DoesNotExist:
            return None

    def create(self, review: Review) -> bool:
        from chalicelib.adapters.tables.reviews import ReviewRecord

        return self._write(review, counts_change(None, review), condition=ReviewRecord.call_id.does_not_exist())

    def change(self, before: Review, after: Review) -> bool:
        from chalicelib.adapters.tables.reviews import ReviewRecord

        return self._write(after, counts_change(before, after), condition=ReviewRecord.version == before.version)

    def _write(self, review: Review, delta: tuple[int, ...], *, condition: Any) -> bool:
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.adapters.tables.pages import HelperPageRecord

        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(_record(review), condition=condition)
                counters = _counter_actions(delta)
                if counters:
                    transaction.update(HelperPageRecord(review.helper_id), actions=counters,
                                       condition=HelperPageRecord.user_id.exists())
        except TransactWriteError as error:
            reasons = [reason.code for reason in (error.cancellation_reasons or []) if reason]
            if error.cause_response_code == "TransactionCanceledException" and "ConditionalCheckFailed" in reasons:
                return False
            raise
        return True

    def for_helper(self, helper_id: str, *, sort: str, limit: int,
                   after: dict | None = None) -> tuple[list[Review], dict | None]:
        from chalicelib.adapters.tables.reviews import ReviewRecord

        index = ReviewRecord.helper_newest if sort == "newest" else ReviewRecord.helper_by_stars
        return self._page(index.query(helper_id, scan_index_forward=(sort == "lowest"), limit=limit,
                                      last_evaluated_key=after))

    def by_caller(self, caller_id: str, *, limit: int, after: dict | None = None) -> tuple[list[Review], dict | None]:
        from chalicelib.adapters.tables.reviews import ReviewRecord

        return self._page(ReviewRecord.caller_newest.query(caller_id, scan_index_forward=False, limit=limit,
                                                           last_evaluated_key=after))

    @staticmethod
    def _page(results: Any) -> tuple[list[Review], dict | None]:
        reviews = [_review(record) for record in results]
        return reviews, results.last_evaluated_key


class InMemoryReviewStore:
    """Keeps the counters on the pages of an in-memory page store, as the real one does."""

    def __init__(self, pages: InMemoryHelperPageStore | None = None) -> None:
        self.reviews: dict[str, Review] = {}
        self.pages = pages

    def get(self, call_id: str) -> Review | None:
        return self.reviews.get(call_id)

    def create(self, review: Review) -> bool:
        if review.call_id in self.reviews:
            return False
        self._count(review.helper_id, counts_change(None, review))
        self.reviews[review.call_id] = review
        return True

    def change(self, before: Review, after: Review) -> bool:
        current = self.reviews.get(before.call_id)
        if current is None or current.version != before.version:
            return False
        self._count(after.helper_id, counts_change(before, after))
        self.reviews[after.call_id] = after
        return True

    def _count(self, helper_id: str, delta: tuple[int, ...]) -> None:
        page = self.pages.pages.get(helper_id) if self.pages is not None else None
        if page is None or not any(delta):
            return
        counts = tuple(n + d for n, d in zip(page.rating_counts, delta))
        self.pages.pages[helper_id] = page.with_changes(
            rating_counts=counts, rating_count=sum(counts), rating_total=sum(s * n for s, n in zip((1, 2, 3, 4, 5), counts)))

    def for_helper(self, helper_id: str, *, sort: str, limit: int,
                   after: dict | None = None) -> tuple[list[Review], dict | None]:
        shown = [r for r in self.reviews.values() if r.helper_id == helper_id and not r.hidden]
        key = _newest_key if sort == "newest" else _stars_key
        ordered = sorted(shown, key=key, reverse=(sort != "lowest"))
        return self._page(ordered, key, limit, after, ascending=(sort == "lowest"))

    def by_caller(self, caller_id: str, *, limit: int, after: dict | None = None) -> tuple[list[Review], dict | None]:
        mine = sorted((r for r in self.reviews.values() if r.caller_id == caller_id), key=_newest_key, reverse=True)
        return self._page(mine, _newest_key, limit, after, ascending=False)

    @staticmethod
    def _page(ordered: list[Review], key: Any, limit: int, after: dict | None,
              ascending: bool) -> tuple[list[Review], dict | None]:
        if after is not None:
            mark = after["key"]
            ordered = [r for r in ordered if (key(r) > mark if ascending else key(r) < mark)]
        page = ordered[:limit]
        more = len(ordered) > limit
        return page, ({"key": key(page[-1])} if more and page else None)


REMINDER_SHARDS = 4


@dataclass(frozen=True)
class Reminder:
    """A session whose caller is reminded to rate it, due at `due_at` (epoch seconds)."""

    call_id: str
    caller_id: str
    due_at: int


class ReminderStore(Protocol):
    def schedule(self, reminder: Reminder) -> None:
        """Keeps the reminder (the first one scheduled for a call stays)."""
        ...

    def due(self, now: int, limit: int) -> list[Reminder]:
        """Reminders due by `now`, earliest first in each shard, at most `limit` per shard."""
        ...

    def take(self, reminder: Reminder) -> bool:
        """Removes it; True for the one taker (two jobs at once: one sends)."""
        ...


def _reminder_shard(call_id: str) -> int:
    return zlib.crc32(call_id.encode()) % REMINDER_SHARDS


class DynamoReminderStore:
    def schedule(self, reminder: Reminder) -> None:
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.reviews import ReviewReminderRecord

        try:
            ReviewReminderRecord(reminder.call_id, caller_id=reminder.caller_id, due_at=reminder.due_at,
                                 shard=_reminder_shard(reminder.call_id)).save(
                condition=ReviewReminderRecord.call_id.does_not_exist())
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    def due(self, now: int, limit: int) -> list[Reminder]:
        from chalicelib.adapters.tables.reviews import ReviewReminderRecord

        return [Reminder(r.call_id, r.caller_id, int(r.due_at))
                for shard in range(REMINDER_SHARDS)
                for r in ReviewReminderRecord.by_due.query(shard, ReviewReminderRecord.due_at <= now, limit=limit)]

    def take(self, reminder: Reminder) -> bool:
        from pynamodb.exceptions import DeleteError

        from chalicelib.adapters.tables.reviews import ReviewReminderRecord

        try:
            ReviewReminderRecord(reminder.call_id).delete(condition=ReviewReminderRecord.call_id.exists())
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


class InMemoryReminderStore:
    def __init__(self) -> None:
        self.reminders: dict[str, Reminder] = {}

    def schedule(self, reminder: Reminder) -> None:
        self.reminders.setdefault(reminder.call_id, reminder)

    def due(self, now: int, limit: int) -> list[Reminder]:
        found = sorted((r for r in self.reminders.values() if r.due_at <= now), key=lambda r: r.due_at)
        by_shard: dict[int, list[Reminder]] = {}
        for reminder in found:
            by_shard.setdefault(_reminder_shard(reminder.call_id), []).append(reminder)
        return [r for shard in sorted(by_shard) for r in by_shard[shard][:limit]]

    def take(self, reminder: Reminder) -> bool:
        return self.reminders.pop(reminder.call_id, None) is not None
