"""A Helper's page as a home for followers: polls and the votes cast in them. (Posts, follows
and events join here as they are built.)"""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import register

# One counter attribute per option, c0 to c9 (domain.polls.MAX_OPTIONS is 10).


class PollRecord(Model):
    """One poll of one Helper; `poll_id` sorts by creation ("<created_at, 12 digits>-<random>").
    Each option's count is a top-level number (`c0`..`c9`), moved with `if_not_exists(cN, 0) ± 1`
    in the same transaction as the vote, so the counts are exact under any concurrency."""

    class Meta:
        table_name = "polls"

    helper_id = UnicodeAttribute(hash_key=True)
    poll_id = UnicodeAttribute(range_key=True)
    question = UnicodeAttribute()
    options = ListAttribute(of=UnicodeAttribute)
    results = UnicodeAttribute()
    created_at = NumberAttribute()
    closes_at = NumberAttribute(null=True)
    closed_at = NumberAttribute(null=True)
    c0, c1, c2, c3, c4 = (NumberAttribute(null=True) for _ in range(5))
    c5, c6, c7, c8, c9 = (NumberAttribute(null=True) for _ in range(5))


class VoteRecord(Model):
    """A person's vote in a poll (`poll_key`: "<helper_id>/<poll_id>"): the option chosen."""

    class Meta:
        table_name = "poll_votes"

    poll_key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    option = NumberAttribute()
    voted_at = NumberAttribute()


register(PollRecord, VoteRecord)
