"""Following a Helper: who follows whom and how they hear (with each person's Following list as
an index), each Helper's follower count, the fan-outs that email followers (one per announcement
and one per Helper's week for the digest) and the claims that no follower is sent one twice."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import index, register



class AnnouncedMap(MapAttribute):
    """A post or event as its email names it (domain.follows.Announced)."""

    kind = UnicodeAttribute()
    item_id = UnicodeAttribute()
    title = UnicodeAttribute()
    path = UnicodeAttribute()
    summary = UnicodeAttribute(null=True)


class FollowRecord(Model):
    """`follower_id` follows `helper_id` and hears by `mode` (each / digest / none). The sending
    job Queries a Helper's followers in pages of the base table; `by_follower` lists a person's
    Following."""

    class Meta:
        table_name = "follows"

    helper_id = UnicodeAttribute(hash_key=True)
    follower_id = UnicodeAttribute(range_key=True)
    mode = UnicodeAttribute()
    since = NumberAttribute()
    by_follower = index("by_follower", ("follower_id", UnicodeAttribute), ("helper_id", UnicodeAttribute))()


class FollowerCountRecord(Model):
    """A Helper's follower count, moved in the same transaction as the follow item it counts."""

    class Meta:
        table_name = "follower_counts"

    helper_id = UnicodeAttribute(hash_key=True)
    followers = NumberAttribute(default=0)


class FanOutRecord(Model):
    """One announcement's (`post:<id>`, `event:<id>`) or one week's digest's (`digest:<helper>:<week>`)
    sending to the followers of `mode`. `queue` (the mode) is set while it is open, so the jobs
    find what is due with one Query of the sparse `open` index; `cursor` is the last follower
    whose batch is done, `sent` how many were emailed."""

    class Meta:
        table_name = "fanouts"

    fanout_id = UnicodeAttribute(hash_key=True)
    helper_id = UnicodeAttribute()
    mode = UnicodeAttribute()
    due_at = NumberAttribute()
    items = ListAttribute(of=AnnouncedMap, default=list)  # at most DIGEST_ITEMS_MAX (domain.follows)
    queue = UnicodeAttribute(null=True)
    cursor = UnicodeAttribute(null=True)
    sent = NumberAttribute(default=0)
    done_at = NumberAttribute(null=True)
    open = index("open", ("queue", UnicodeAttribute), ("due_at", NumberAttribute))()


class SendClaimRecord(Model):
    """A follower claimed for one fan-out (a conditional put before the email goes): whoever
    writes it sends, nobody else, however often the job is killed and run again."""

    class Meta:
        table_name = "fanout_sends"

    fanout_id = UnicodeAttribute(hash_key=True)
    follower_id = UnicodeAttribute(range_key=True)
    claimed_at = NumberAttribute()
    ttl = NumberAttribute(null=True)  # a claim outlives its fan-out by far (180 days)


register(FollowRecord, FollowerCountRecord, FanOutRecord, SendClaimRecord)
