"""A Helper's page, the categories it is listed in and the presence it shows: all a Helper's
public page reads."""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.tables import register


class PagesByUsername(GlobalSecondaryIndex):
    """A Helper's page by the case-folded username in its address: `/h/<username>` in one Query."""

    class Meta:
        index_name = "by_username"
        projection = AllProjection()

    username_key = UnicodeAttribute(hash_key=True)


class HelperPageRecord(Model):
    """A Helper's page: the Markdown sources, and the text as rendered at the last save."""

    class Meta:
        table_name = "helper_pages"

    user_id = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    display_name = UnicodeAttribute()
    headline = UnicodeAttribute()
    offer = UnicodeAttribute()
    qualifications = UnicodeAttribute(default="")
    languages = ListAttribute(of=UnicodeAttribute, default=list)
    time_zone = UnicodeAttribute()
    prices = JSONAttribute()
    schedule = JSONAttribute()
    links = JSONAttribute()
    avatar_key = UnicodeAttribute(null=True)
    categories = ListAttribute(of=UnicodeAttribute, default=list)
    search_terms = ListAttribute(of=UnicodeAttribute, default=list)
    plan = UnicodeAttribute(default="free")
    # Written only by reviews (ADD, in the review's own transaction), never by a page save.
    rating_total = NumberAttribute(default=0)
    rating_count = NumberAttribute(default=0)
    rating_1 = NumberAttribute(null=True)  # how many counted reviews gave 1 star, ...
    rating_2 = NumberAttribute(null=True)
    rating_3 = NumberAttribute(null=True)
    rating_4 = NumberAttribute(null=True)
    rating_5 = NumberAttribute(null=True)
    payouts_ready = BooleanAttribute(default=False)
    # What else the page shows ("posts", "events"), added by the blog and events the first time a
    # post is published or an event announced, never by a page save: a page without them reads
    # neither.
    sections = UnicodeSetAttribute(null=True)
    # Ops' disqualification ({"reason", "at", "by"}; domain.standing), set and removed only by
    # services.standing, never by a page save; absent: in good standing.
    standing = JSONAttribute(null=True)
    username_key = UnicodeAttribute(null=True)  # absent on pages saved before the index
    by_username = PagesByUsername()
    rendered = JSONAttribute(null=True)  # domain.rich_text.ShownText; absent on pages saved before it
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class CategoriesInTree(GlobalSecondaryIndex):
    """All categories in display order: one Query, never a Scan."""

    class Meta:
        index_name = "in_tree"
        projection = AllProjection()

    tree = UnicodeAttribute(hash_key=True)
    position = NumberAttribute(range_key=True)


class CategoryRecord(Model):
    class Meta:
        table_name = "categories"

    slug = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    banner = UnicodeAttribute()
    parent = UnicodeAttribute(null=True)
    position = NumberAttribute()
    tree = UnicodeAttribute(default="categories")
    in_tree = CategoriesInTree()


class PresenceRecord(Model):
    """Whether a person is online, busy (in a call) or offline, and since when."""

    class Meta:
        table_name = "presence"

    user_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    in_call = BooleanAttribute(default=False)
    changed_at = NumberAttribute()


register(HelperPageRecord, CategoryRecord, PresenceRecord)
