"""A Helper's page as a home for followers: polls and the votes cast in them. (Posts, follows
and events join here as they are built.)"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import index, register

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
    # Live results (services/poll_live.py): when the counts were last sent to the watchers, and
    # the moment a send has been promised for (at most one send a second, the last vote included).
    pushed_ms = NumberAttribute(null=True)
    promised_ms = NumberAttribute(null=True)


class VoteRecord(Model):
    """A person's vote in a poll (`poll_key`: "<helper_id>/<poll_id>"): the option chosen."""

    class Meta:
        table_name = "poll_votes"

    poll_key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    option = NumberAttribute()
    voted_at = NumberAttribute()


class PollWatcherRecord(Model):
    """A WebSocket connection watching a poll's results (`poll_key`: "<helper_id>/<poll_id>"):
    `sees` whether the results may be sent to it (the poll shows them live, or its person voted,
    or is the Helper). Kept no longer than API Gateway keeps a connection (TTL `ttl`); a
    connection found gone on sending is removed at once."""

    class Meta:
        table_name = "poll_watchers"

    poll_key = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    sees = BooleanAttribute()
    ttl = NumberAttribute()


register(PollRecord, VoteRecord, PollWatcherRecord)


class PostRecord(Model):
    """One of a Helper's posts; `post_id` sorts by creation ("<created_at, 12 digits>-<random>"),
    so the Helper's own list is one Query, newest first. Two sparse indexes: `listed`
    ("<shown_from, 12 digits>#<post_id>", set while visitors see it or will at a scheduled time)
    lists the public posts newest first, those not yet due left out by the key condition; and
    `scheduled` ("due", set only while scheduled) with `publish_at` is what the publish job Queries."""

    class Meta:
        table_name = "posts"

    helper_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute()
    slug = UnicodeAttribute()
    body = UnicodeAttribute(default="")
    body_html = UnicodeAttribute(default="")
    excerpt = UnicodeAttribute(default="")
    status = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    publish_at = NumberAttribute(null=True)
    published_at = NumberAttribute(null=True)
    cover_key = UnicodeAttribute(null=True)
    images = ListAttribute(of=UnicodeAttribute, default=list)
    hidden_note = UnicodeAttribute(null=True)
    version = NumberAttribute()
    listed = UnicodeAttribute(null=True)
    scheduled = UnicodeAttribute(null=True)
    public_newest = index("public_newest", ("helper_id", UnicodeAttribute), ("listed", UnicodeAttribute))()
    due_oldest = index("due_oldest", ("scheduled", UnicodeAttribute), ("publish_at", NumberAttribute))()


class PostSlugRecord(Model):
    """A post's address, held for it: written in the same transaction as the post on condition
    nobody holds it, so two posts of one Helper never share one; a post page reads it first."""

    class Meta:
        table_name = "post_slugs"

    helper_id = UnicodeAttribute(hash_key=True)
    slug = UnicodeAttribute(range_key=True)
    post_id = UnicodeAttribute()


register(PostRecord, PostSlugRecord)
