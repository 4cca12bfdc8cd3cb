"""The directory's indexes: the Helpers listed in each category (with their cards) and the words
they are found by."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.tables import register


class ListingsByRank(GlobalSecondaryIndex):
    """A category's helpers, online first then by rating: a page of them is one Query."""

    class Meta:
        index_name = "by_rank"
        projection = AllProjection()

    category = UnicodeAttribute(hash_key=True)
    rank = UnicodeAttribute(range_key=True)


class ListingRecord(Model):
    """A Helper listed in a category, carrying the card the directory shows (denormalised)."""

    class Meta:
        table_name = "listings"

    category = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    rank = UnicodeAttribute()
    card = JSONAttribute()
    by_rank = ListingsByRank()


class SearchTermRecord(Model):
    """One word a Helper is found by; partition = the word's first two letters."""

    class Meta:
        table_name = "search_terms"

    partition = UnicodeAttribute(hash_key=True)
    term_user = UnicodeAttribute(range_key=True)  # "<term>#<user_id>"
    user_id = UnicodeAttribute()


register(ListingRecord, SearchTermRecord)
