"""Help categories and the Helpers listed in them: DynamoDB, and in-memory twins."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from chalicelib.domain.categories import Category
from chalicelib.domain.errors import InvalidInput


class CategoryStore(Protocol):
    def all(self) -> list[Category]: ...
    def get(self, slug: str) -> Category | None: ...
    def get_many(self, slugs: Iterable[str]) -> dict[str, Category]: ...
    def put(self, category: Category) -> None: ...
    def add_if_missing(self, category: Category) -> bool: ...


@dataclass(frozen=True)
class Listing:
    """A Helper's card in one category, with the rank the directory sorts by."""

    category: str
    user_id: str
    rank: str
    card: dict


class ListingStore(Protocol):
    def put(self, listing: Listing) -> None: ...
    def remove(self, category: str, user_id: str) -> None: ...
    def page(self, category: str, limit: int, start: dict | None) -> tuple[list[Listing], dict | None]:
        """A page of the category after the key `start`, and the key to start the next one from
        (None: no more). Keys come from this store; the service seals them into cursors."""


def _category(record) -> Category:
    return Category(slug=record.slug, name=record.name, banner=record.banner, parent=record.parent,
                    position=int(record.position))


class DynamoCategoryStore:
    def all(self) -> list[Category]:
        from chalicelib.adapters.tables.pages import CategoryRecord

        return [_category(r) for r in CategoryRecord.in_tree.query("categories")]

    def get(self, slug: str) -> Category | None:
        from chalicelib.adapters.tables.pages import CategoryRecord

        try:
            return _category(CategoryRecord.get(slug))
        except CategoryRecord.DoesNotExist:
            return None

    def get_many(self, slugs: Iterable[str]) -> dict[str, Category]:
        """The categories of `slugs` that exist, in one BatchGetItem (a Helper's page names its few)."""
        from chalicelib.adapters.tables.pages import CategoryRecord

        keys = list(dict.fromkeys(slugs))
        if not keys:
            return {}
        return {record.slug: _category(record) for record in CategoryRecord.batch_get(keys)}

    def _record(self, category: Category):
        from chalicelib.adapters.tables.pages import CategoryRecord

        return CategoryRecord(category.slug, name=category.name, banner=category.banner,
                              parent=category.parent, position=category.position)

    def put(self, category: Category) -> None:
        self._record(category).save()

    def add_if_missing(self, category: Category) -> bool:
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.pages import CategoryRecord

        try:
            self._record(category).save(condition=CategoryRecord.slug.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


class DynamoListingStore:
    def put(self, listing: Listing) -> None:
        from chalicelib.adapters.tables.directory import ListingRecord

        ListingRecord(listing.category, listing.user_id, rank=listing.rank, card=listing.card).save()

    def remove(self, category: str, user_id: str) -> None:
        from chalicelib.adapters.tables.directory import ListingRecord

        ListingRecord(category, user_id).delete()

    def page(self, category: str, limit: int, start: dict | None) -> tuple[list[Listing], dict | None]:
        from pynamodb.exceptions import QueryError

        from chalicelib.adapters.tables.directory import ListingRecord

        results = ListingRecord.by_rank.query(category, limit=limit, last_evaluated_key=start)
        try:
            listings = [Listing(r.category, r.user_id, r.rank, r.card) for r in results]
        except QueryError as error:  # a cursor that names no key of this index
            if error.cause_response_code == "ValidationException":
                raise InvalidInput("That page cursor is not valid.", field="cursor") from error
            raise
        return listings, results.last_evaluated_key or None


class InMemoryCategoryStore:
    def __init__(self) -> None:
        self.categories: dict[str, Category] = {}

    def all(self) -> list[Category]:
        return sorted(self.categories.values(), key=lambda c: c.position)

    def get(self, slug: str) -> Category | None:
        return self.categories.get(slug)

    def get_many(self, slugs: Iterable[str]) -> dict[str, Category]:
        return {s: self.categories[s] for s in slugs if s in self.categories}

    def put(self, category: Category) -> None:
        self.categories[category.slug] = category

    def add_if_missing(self, category: Category) -> bool:
        if category.slug in self.categories:
            return False
        self.categories[category.slug] = category
        return True


class InMemoryListingStore:
    def __init__(self) -> None:
        self.listings: dict[tuple[str, str], Listing] = {}

    def put(self, listing: Listing) -> None:
        self.listings[(listing.category, listing.user_id)] = listing

    def remove(self, category: str, user_id: str) -> None:
        self.listings.pop((category, user_id), None)

    def page(self, category: str, limit: int, start: dict | None) -> tuple[list[Listing], dict | None]:
        ordered = sorted((l for l in self.listings.values() if l.category == category), key=lambda l: l.rank)
        if start:
            ordered = [l for l in ordered if l.rank > start.get("rank", "")]
        chosen = ordered[:limit]
        more = len(ordered) > limit
        last = chosen[-1] if chosen and more else None
        return chosen, {"category": last.category, "user_id": last.user_id, "rank": last.rank} if last else None
