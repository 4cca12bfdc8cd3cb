"""Blog posts' and follows' pure rules (chalicelib/domain/posts.py)."""
import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.posts import (
    FollowMode,
    PostStatus,
    batches,
    check_follow_mode,
    check_post,
    is_public,
)

NOW = 1_800_000_000


def post(**changes):
    values = dict(title="Five leaks you can fix", body="First, **turn off the water**.\n\nThen...", excerpt=None,
                  status="draft", publish_at=None, now=NOW)
    values.update(changes)
    return check_post(**values)


def test_a_post_gets_its_address_from_its_title_and_an_excerpt_from_its_words():
    draft = post()
    assert (draft.slug, draft.status, draft.publish_at) == ("five-leaks-you-can-fix", PostStatus.DRAFT, None)
    assert draft.excerpt == "First, turn off the water. Then..."
    assert post(title="Ça coule ?", excerpt=" Mine ").slug == "ca-coule" and post(excerpt=" Mine ").excerpt == "Mine"
    assert post(title="!!!").slug == "post" and post(slug="my-post").slug == "my-post"


def test_a_scheduled_post_waits_for_its_time():
    scheduled = post(status="scheduled", publish_at=NOW + 3600)
    assert scheduled.publish_at == NOW + 3600
    assert not is_public(scheduled.status, scheduled.publish_at, NOW)
    assert is_public(scheduled.status, scheduled.publish_at, NOW + 3600)
    assert is_public(PostStatus.PUBLISHED, None, NOW) and not is_public(PostStatus.DRAFT, None, NOW)
    assert post(status="published", publish_at=NOW - 5).publish_at is None  # only a schedule keeps a time


@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"), ({"title": "x" * 151}, "title"), ({"body": None}, "body"),
    ({"body": "x" * 50_001}, "body"), ({"excerpt": "x" * 301}, "excerpt"), ({"status": "hidden"}, "status"),
    ({"status": "scheduled", "publish_at": NOW}, "publish_at"),
    ({"status": "scheduled", "publish_at": None}, "publish_at"),
    ({"status": "scheduled", "publish_at": NOW + 400 * 86_400}, "publish_at"),
    ({"slug": "Not A Slug"}, "slug"),
])
def test_bad_posts_name_their_field(change, field):
    with pytest.raises(InvalidInput) as refused:
        post(**change)
    assert refused.value.field == field


def test_follow_modes():
    assert [check_follow_mode(m) for m in ("each", "digest", "none")] == list(FollowMode)
    with pytest.raises(InvalidInput):
        check_follow_mode("hourly")


@given(st.integers(0, 25_000), st.integers(1, 500))
def test_batches_cover_every_follower_once_in_order(total, size):
    ranges = batches(total, size=size)
    assert [i for first, last in ranges for i in range(first, last)] == list(range(total))
    assert all(last - first <= size for first, last in ranges)
