"""What a Helper's public page shows beside the page itself: the Helper's status, the names of
their categories and their follower count, read together (DynamoDB: one BatchGetItem across the
three tables, where three reads would cost the page more round trips), and an in-memory twin."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Protocol

from chalicelib.domain.presence import Status

if TYPE_CHECKING:  # the twin's stores; the DynamoDB adapter needs neither module
    from chalicelib.adapters.categories import CategoryStore
    from chalicelib.adapters.presence import PresenceStore

MAX_ROUNDS = 5  # DynamoDB may leave keys unprocessed under load; they are asked for again


class PageFacts(Protocol):
    def status_and_names(self, user_id: str, slugs: Iterable[str]) -> tuple[Status, dict[str, str]]:
        """The status of `user_id` (offline when none is recorded) and the names of the categories
        of `slugs` that exist."""
        ...

    def status_names_and_followers(self, user_id: str, slugs: Iterable[str]) -> tuple[Status, dict[str, str], int]:
        """The same, and how many people follow `user_id`."""
        ...


class DynamoPageFacts:
    def status_and_names(self, user_id: str, slugs: Iterable[str]) -> tuple[Status, dict[str, str]]:
        status, names, _ = self._read(user_id, slugs, followers=False)
        return status, names

    def status_names_and_followers(self, user_id: str, slugs: Iterable[str]) -> tuple[Status, dict[str, str], int]:
        return self._read(user_id, slugs, followers=True)

    def _read(self, user_id: str, slugs: Iterable[str], *, followers: bool) -> tuple[Status, dict[str, str], int]:
        from chalicelib.adapters.tables.pages import CategoryRecord, PresenceRecord

        keys = {PresenceRecord: [{"user_id": {"S": user_id}}],
                CategoryRecord: [{"slug": {"S": slug}} for slug in dict.fromkeys(slugs)]}
        if followers:
            from chalicelib.adapters.tables.follows import FollowerCountRecord

            keys[FollowerCountRecord] = [{"helper_id": {"S": user_id}}]
        model_of = {model.Meta.table_name: model for model in keys}
        request = {model.Meta.table_name: {"Keys": wanted} for model, wanted in keys.items() if wanted}
        found: dict[type, list] = {model: [] for model in keys}
        client = PresenceRecord._get_connection().connection.client  # the tables' one client
        for _ in range(MAX_ROUNDS):
            answer = client.batch_get_item(RequestItems=request)
            for table, items in answer.get("Responses", {}).items():
                found[model_of[table]].extend(model_of[table].from_raw_data(item) for item in items)
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError(f"DynamoDB left keys unprocessed {MAX_ROUNDS} times: {sorted(request)}")
        statuses = [Status(record.status) for record in found[PresenceRecord]]
        counts = [int(record.followers or 0) for model, records in found.items() for record in records
                  if model not in (PresenceRecord, CategoryRecord)]
        return (statuses[0] if statuses else Status.OFFLINE,
                {record.slug: record.name for record in found[CategoryRecord]}, counts[0] if counts else 0)


class InMemoryPageFacts:
    """Reads the twins of the presence and category stores."""

    def __init__(self, presence: PresenceStore, categories: CategoryStore, follows: Any = None) -> None:
        self.presence, self.categories, self.follows = presence, categories, follows

    def status_and_names(self, user_id: str, slugs: Iterable[str]) -> tuple[Status, dict[str, str]]:
        return (self.presence.get_many([user_id])[user_id],
                {slug: category.name for slug, category in self.categories.get_many(slugs).items()})

    def status_names_and_followers(self, user_id: str, slugs: Iterable[str]) -> tuple[Status, dict[str, str], int]:
        return (*self.status_and_names(user_id, slugs), self.follows.count(user_id) if self.follows else 0)
