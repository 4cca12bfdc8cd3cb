"""Contract tests for blog posts: the in-memory twin and DynamoDB (moto over HTTP) pass the same
tests — a post reads back by id and by address (a published one by its old addresses too), the
Helper's posts newest first, the public ones newest first with a scheduled one shown from its
time, an address held by one post at a time, a stale change writes nothing, and the publish job's
due posts (reports of posts: test_report_contracts.py)."""
from __future__ import annotations

import dataclasses
import uuid

import pytest

from chalicelib.adapters.posts import InMemoryPostStore
from chalicelib.domain.posts import Post, PostStatus, SlugTaken, published_when_due, unpublished

pytestmark = pytest.mark.integration

NOW = 1_800_000_000


@pytest.fixture
def tables(app_env):
    """The post tables of this test alone on the stack's moto (a prefix of their own)."""
    from chalicelib.adapters.tables import bind_tables
    from chalicelib.adapters.tables.posts import PostRecord, PostSlugRecord

    connection = bind_tables(dataclasses.replace(app_env.settings(), table_prefix=f"po-{uuid.uuid4().hex[:8]}-"))
    models = (PostRecord, PostSlugRecord)
    for model in models:
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    try:
        yield connection
    finally:
        for model in models:
            model.delete_table()
        bind_tables(app_env.settings())


@pytest.fixture(params=["in-memory", "dynamodb"])
def posts(request):
    if request.param == "in-memory":
        return InMemoryPostStore()
    from chalicelib.adapters.posts import DynamoPostStore

    return DynamoPostStore(request.getfixturevalue("tables"))


def new_post(posts, slug: str, *, created: int = NOW, status: PostStatus = PostStatus.DRAFT, helper_id: str = "ada",
             publish_at: int | None = None, published_at: int | None = None) -> Post:
    post = Post(helper_id=helper_id, post_id=f"{created:012d}-{uuid.uuid4().hex[:8]}", title=slug.title(), slug=slug,
                body="Hello", body_html="<p>Hello</p>", excerpt="Hello", status=status, created_at=created,
                updated_at=created, publish_at=publish_at, published_at=published_at,
                cover_key="media/posts/ada/x/1600.webp" if status is PostStatus.PUBLISHED else None,
                images=("media/posts/ada/x/a/1600.webp",) if status is PostStatus.PUBLISHED else ())
    posts.create(post)
    return post


def test_a_post_reads_back_by_id_and_by_address(posts):
    post = new_post(posts, "first", status=PostStatus.PUBLISHED, published_at=NOW)
    assert posts.get("ada", post.post_id) == post and posts.by_slug("ada", "first") == post
    assert posts.get("ada", "nope") is None and posts.by_slug("ada", "nope") is None
    assert posts.by_slug("bob", "first") is None


def test_an_address_is_held_by_one_post_of_a_helper_at_a_time(posts):
    first = new_post(posts, "leaks")
    with pytest.raises(SlugTaken):
        new_post(posts, "leaks", created=NOW + 1)
    assert new_post(posts, "leaks", helper_id="bob").slug == "leaks"  # another Helper's
    other = new_post(posts, "drips", created=NOW + 2)
    with pytest.raises(SlugTaken):
        posts.change(other, dataclasses.replace(other, slug="leaks", version=2))
    assert posts.by_slug("ada", "drips") == other  # nothing written
    moved = dataclasses.replace(first, slug="pipes", version=2)
    assert posts.change(first, moved)
    assert posts.by_slug("ada", "pipes") == moved and posts.by_slug("ada", "leaks") is None
    assert new_post(posts, "leaks", created=NOW + 3).slug == "leaks"  # the old address is free again


def test_a_stale_change_writes_nothing(posts):
    post = new_post(posts, "stale")
    newer = dataclasses.replace(post, title="Newer", version=2)
    assert posts.change(post, newer)
    assert not posts.change(post, dataclasses.replace(post, title="Lost", version=2))
    assert posts.get("ada", post.post_id).title == "Newer"


def test_the_helpers_posts_come_newest_first_in_pages(posts):
    made = [new_post(posts, f"p{n}", created=NOW + n) for n in range(5)]
    first, after = posts.for_helper("ada", limit=3)
    assert [p.slug for p in first] == ["p4", "p3", "p2"] and after is not None
    rest, _ = posts.for_helper("ada", limit=3, after=after)
    assert [p.slug for p in rest] == ["p1", "p0"]
    assert len(made) == 5


def test_visitors_see_published_posts_newest_first_and_a_scheduled_one_from_its_time(posts):
    new_post(posts, "draft", created=NOW)
    new_post(posts, "old", created=NOW + 1, status=PostStatus.PUBLISHED, published_at=NOW + 10)
    new_post(posts, "new", created=NOW + 2, status=PostStatus.PUBLISHED, published_at=NOW + 20)
    soon = new_post(posts, "soon", created=NOW + 3, status=PostStatus.SCHEDULED, publish_at=NOW + 100)
    new_post(posts, "bobs", created=NOW + 4, status=PostStatus.PUBLISHED, published_at=NOW + 30, helper_id="bob")
    shown, _ = posts.public("ada", now=NOW + 50, limit=10)
    assert [p.slug for p in shown] == ["new", "old"]
    shown, _ = posts.public("ada", now=NOW + 100, limit=10)
    assert [p.slug for p in shown] == ["soon", "new", "old"]
    page, after = posts.public("ada", now=NOW + 100, limit=2)
    assert [p.slug for p in page] == ["soon", "new"] and after is not None
    assert [p.slug for p in posts.public("ada", now=NOW + 100, limit=2, after=after)[0]] == ["old"]
    assert posts.change(soon, unpublished(soon, now=NOW + 60))
    assert [p.slug for p in posts.public("ada", now=NOW + 100, limit=10)[0]] == ["new", "old"]


def test_the_publish_job_finds_scheduled_posts_due_oldest_first_once(posts):
    late = new_post(posts, "late", created=NOW, status=PostStatus.SCHEDULED, publish_at=NOW + 200)
    early = new_post(posts, "early", created=NOW + 1, status=PostStatus.SCHEDULED, publish_at=NOW + 100)
    new_post(posts, "later", created=NOW + 2, status=PostStatus.SCHEDULED, publish_at=NOW + 900)
    new_post(posts, "draft", created=NOW + 3)
    assert [p.slug for p in posts.due(NOW + 300, limit=10)] == ["early", "late"]
    published = published_when_due(early, now=NOW + 300)
    assert posts.change(early, published)
    assert not posts.change(early, published)  # a second run of the job writes nothing
    assert [p.slug for p in posts.due(NOW + 300, limit=10)] == ["late"]
    assert posts.get("ada", early.post_id).status is PostStatus.PUBLISHED
    assert late.slug == "late"


def test_a_published_post_keeps_its_old_addresses_which_lead_to_it(posts):
    post = new_post(posts, "leaks", status=PostStatus.PUBLISHED, published_at=NOW)
    moved = dataclasses.replace(post, slug="pipes", version=2)
    assert posts.change(post, moved)
    assert posts.by_slug("ada", "pipes") == moved and posts.by_slug("ada", "leaks") == moved  # the page moves
    with pytest.raises(SlugTaken):
        new_post(posts, "leaks", created=NOW + 1)  # links to it are out there: not another post's
    back = dataclasses.replace(moved, slug="leaks", version=3)
    assert posts.change(moved, back)  # its own old address again
    assert posts.by_slug("ada", "leaks") == back and posts.by_slug("ada", "pipes") == back
    posts.delete(back)
    assert posts.by_slug("ada", "pipes") is None
    assert new_post(posts, "pipes", created=NOW + 2).slug == "pipes"  # deleted: every address is free


def test_a_deleted_post_frees_its_address(posts):
    post = new_post(posts, "gone")
    posts.delete(post)
    assert posts.get("ada", post.post_id) is None and posts.by_slug("ada", "gone") is None
    new_post(posts, "gone", created=NOW + 5)
