"""Contract tests for the review store: the in-memory twin and DynamoDB (moto over HTTP) pass the
same tests — one review per session, changes only over the version read, the Helper's counters
moving with them, and the Helper's and the caller's listings in order and paged."""
from __future__ import annotations

import uuid

import pytest

from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.reviews import InMemoryReviewStore
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.domain.reviews import Reply, Review

pytestmark = pytest.mark.integration


@pytest.fixture(params=["in-memory", "real"])
def stores(request):
    if request.param == "in-memory":
        pages = InMemoryHelperPageStore()
        return InMemoryReviewStore(pages), pages
    app_env = request.getfixturevalue("app_env")
    return app_env.review_store(), app_env.helper_pages()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def helper_page(pages) -> str:
    user_id = unique("h")
    pages.save(HelperPage(user_id=user_id, username=unique("ada"), display_name="Ada", headline="h", offer="o"))
    return user_id


def review(helper_id: str, *, stars: int = 4, created_at: int = 1_800_000_000, caller_id: str = "caller") -> Review:
    return Review(call_id=unique("c"), helper_id=helper_id, caller_id=caller_id, stars=stars, text="Good",
                  created_at=created_at, session_minutes=30, author_name="Carol")


def test_a_session_has_one_review_and_the_helper_counts_it_once(stores):
    reviews, pages = stores
    helper_id = helper_page(pages)
    first = review(helper_id, stars=4)
    assert reviews.create(first) is True
    assert reviews.create(first.with_changes(stars=1)) is False  # the same session again
    assert reviews.get(first.call_id) == first
    page = pages.get(helper_id)
    assert (page.rating_total, page.rating_count, page.rating_counts) == (4, 1, (0, 0, 0, 1, 0))
    assert reviews.get("no-such-review") is None


def test_a_change_is_written_only_over_the_version_read_and_moves_the_counters(stores):
    reviews, pages = stores
    helper_id = helper_page(pages)
    first = review(helper_id, stars=2)
    reviews.create(first)
    changed = first.with_changes(stars=5, edited_at=first.created_at + 60,
                                 reply=Reply("Thanks", first.created_at + 90), version=2)
    assert reviews.change(first, changed) is True
    assert reviews.change(first, first.with_changes(stars=1, version=2)) is False  # read before the change
    assert reviews.get(first.call_id) == changed
    refunded = changed.with_changes(refunded=True, version=3)
    assert reviews.change(changed, refunded) is True
    page = pages.get(helper_id)
    assert (page.rating_total, page.rating_count, page.rating_counts) == (0, 0, (0, 0, 0, 0, 0))


def test_a_page_save_keeps_the_counters_reviews_wrote(stores):
    reviews, pages = stores
    helper_id = helper_page(pages)
    reviews.create(review(helper_id, stars=5))
    pages.save(pages.get(helper_id).with_changes(headline="Read before the review landed").without_ratings())
    assert pages.get(helper_id).rating_counts == (0, 0, 0, 0, 1)


def test_a_helpers_reviews_are_listed_by_newest_or_stars_and_paged_hidden_ones_left_out(stores):
    reviews, pages = stores
    helper_id = helper_page(pages)
    made = [review(helper_id, stars=stars, created_at=1_800_000_000 + n) for n, stars in enumerate((3, 5, 1, 4, 5))]
    for one in made:
        reviews.create(one)
    hidden = review(helper_id, stars=2, created_at=1_900_000_000)
    reviews.create(hidden)
    reviews.change(hidden, hidden.with_changes(hidden=True, version=2))

    def every(sort):
        seen, after = [], None
        while True:
            found, after = reviews.for_helper(helper_id, sort=sort, limit=2, after=after)
            seen += found
            if after is None:
                return seen

    assert [r.call_id for r in every("newest")] == [r.call_id for r in reversed(made)]
    assert [r.stars for r in every("highest")] == [5, 5, 4, 3, 1]
    assert every("highest")[0].call_id == made[4].call_id  # the newer of the two fives
    assert [r.stars for r in every("lowest")] == [1, 3, 4, 5, 5]
    assert reviews.for_helper(unique("nobody"), sort="newest", limit=5) == ([], None)


def test_a_callers_reviews_are_listed_newest_first(stores):
    reviews, pages = stores
    caller = unique("u")
    made = [review(helper_page(pages), caller_id=caller, created_at=1_800_000_000 + n) for n in range(3)]
    for one in made:
        reviews.create(one)
    found, after = reviews.by_caller(caller, limit=2)
    rest, end = reviews.by_caller(caller, limit=2, after=after)
    assert [r.call_id for r in found + rest] == [r.call_id for r in reversed(made)] and end is None


@pytest.fixture(params=["in-memory", "real"])
def reminders(request):
    from chalicelib.adapters.reviews import InMemoryReminderStore

    if request.param == "in-memory":
        return InMemoryReminderStore()
    return request.getfixturevalue("app_env").review_reminders()


def test_a_reminder_is_kept_once_found_when_due_and_taken_once(reminders):
    from chalicelib.adapters.reviews import Reminder

    base = 2_000_000_000 + int(uuid.uuid4().int % 1_000_000) * 1000  # this test's own stretch of time
    due = [Reminder(unique("c"), "caller", base + n) for n in range(6)]
    later = Reminder(unique("c"), "caller", base + 10_000)
    for reminder in due + [later]:
        reminders.schedule(reminder)
    reminders.schedule(Reminder(due[0].call_id, "caller", base + 99_999))  # the first one stays
    found = [r for r in reminders.due(base + 5, limit=100) if base <= r.due_at < base + 10_000]
    assert sorted(found, key=lambda r: r.due_at) == due
    assert reminders.take(due[0]) is True and reminders.take(due[0]) is False
    assert due[0] not in reminders.due(base + 5, limit=100)
