"""The words Helpers are found by: an inverted index in DynamoDB (no Scan), and a twin."""
from __future__ import annotations

from typing import Iterable, Protocol

from chalicelib.domain.search import partition_of

MAX_MATCHES_PER_TERM = 500


class SearchIndex(Protocol):
    def replace(self, user_id: str, old_terms: Iterable[str], new_terms: Iterable[str]) -> None: ...
    def matching(self, prefix: str) -> set[str]: ...


class DynamoSearchIndex:
    def replace(self, user_id: str, old_terms: Iterable[str], new_terms: Iterable[str]) -> None:
        from chalicelib.adapters.tables.directory import SearchTermRecord

        old, new = set(old_terms), set(new_terms)
        with SearchTermRecord.batch_write() as batch:
            for term in old - new:
                batch.delete(SearchTermRecord(partition_of(term), f"{term}#{user_id}"))
            for term in new - old:
                batch.save(SearchTermRecord(partition_of(term), f"{term}#{user_id}", user_id=user_id))

    def matching(self, prefix: str) -> set[str]:
        """Helpers with a term starting with `prefix`: one Query on the prefix's partition."""
        from chalicelib.adapters.tables.directory import SearchTermRecord

        records = SearchTermRecord.query(partition_of(prefix), SearchTermRecord.term_user.startswith(prefix),
                                         limit=MAX_MATCHES_PER_TERM)
        return {r.user_id for r in records}


class InMemorySearchIndex:
    def __init__(self) -> None:
        self.terms: dict[str, set[str]] = {}

    def replace(self, user_id: str, old_terms: Iterable[str], new_terms: Iterable[str]) -> None:
        for term in set(old_terms) - set(new_terms):
            self.terms.get(term, set()).discard(user_id)
        for term in new_terms:
            self.terms.setdefault(term, set()).add(user_id)

    def matching(self, prefix: str) -> set[str]:
        return {u for term, users in self.terms.items() if term.startswith(prefix) for u in users}
