"""Contract tests for the directory's adapters: each in-memory twin and its DynamoDB or S3
adapter (moto over HTTP) pass the same tests."""
import uuid

import pytest

from chalicelib.adapters.categories import (
    InMemoryCategoryStore,
    InMemoryListingStore,
    Listing,
)
from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.presence import InMemoryPresenceStore
from chalicelib.adapters.search_index import InMemorySearchIndex
from chalicelib.adapters.uploads import InMemoryUploadStorage
from chalicelib.domain.categories import Category
from chalicelib.domain.helper_pages import HelperPage, Link, Slot
from chalicelib.domain.presence import Status

pytestmark = pytest.mark.integration


def twin_or_real(twin, real_name):
    @pytest.fixture(params=["in-memory", "real"])
    def fixture(request):
        if request.param == "in-memory":
            return twin()
        return getattr(request.getfixturevalue("app_env"), real_name)()
    return fixture


pages = twin_or_real(InMemoryHelperPageStore, "helper_pages")
categories = twin_or_real(InMemoryCategoryStore, "categories")
listings = twin_or_real(InMemoryListingStore, "listings")
presence = twin_or_real(InMemoryPresenceStore, "presence")
search_index = twin_or_real(InMemorySearchIndex, "search_index")
uploads = twin_or_real(InMemoryUploadStorage, "uploads")


def unique(prefix="x"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def test_a_page_round_trips_every_field(pages):
    page = HelperPage(
        user_id=unique("u"), username="ada", display_name="Ada", headline="Plumber", offer="I **fix** leaks",
        qualifications="Licensed", languages=("en", "pt-BR"), time_zone="Europe/Paris",
        prices={15: 1500, 30: 0, 60: None}, schedule=(Slot(0, "09:00", "12:00"), Slot(4, "14:00", "24:00")),
        links=(Link("Site", "https://example.com"),), avatar_key="media/avatars/u/a.png",
        categories=("plumbing", "home"), search_terms=("ada", "plumber"),
        created_at="2026-11-22T00:00:00+00:00", updated_at="2026-11-22T00:00:01+00:00").rendered_now()
    pages.save(page)
    assert pages.get(page.user_id) == page
    assert page.rendered.offer_html == "<p>I <strong>fix</strong> leaks</p>"
    unrendered = page.with_changes(user_id=unique("u"), rendered=None)  # saved before pages kept their HTML
    pages.save(unrendered)
    assert pages.get(unrendered.user_id) == unrendered
    assert pages.get_many([page.user_id, "nobody", page.user_id]) == {page.user_id: page}
    assert pages.get("nobody") is None and pages.get_many([]) == {}


def test_categories_are_listed_in_position_order_and_seeding_never_overwrites(categories):
    first, second = Category(unique("c"), "First", "b", None, 10_001), Category(unique("c"), "Second", "b", None, 10_002)
    categories.put(second)
    assert categories.add_if_missing(first) is True
    assert categories.add_if_missing(Category(first.slug, "Changed", "b", None, 10_001)) is False
    assert categories.get(first.slug) == first
    ordered = [c.slug for c in categories.all() if c.slug in (first.slug, second.slug)]
    assert ordered == [first.slug, second.slug]


def test_categories_are_read_by_slug_and_unknown_slugs_are_left_out(categories):
    first, second = Category(unique("c"), "First", "b", None, 10_001), Category(unique("c"), "Second", "b", None, 10_002)
    categories.put(first)
    categories.put(second)
    assert categories.get_many([second.slug, "no-such", first.slug, second.slug]) == {first.slug: first,
                                                                                    second.slug: second}
    assert categories.get_many([]) == {}


def test_a_category_is_paged_in_rank_order_with_every_listing_exactly_once(listings):
    category = unique("cat")
    ranks = [f"{status}#{500 - n:03d}#{unique('u')}" for n, status in enumerate([2, 0, 1, 2, 0, 2, 2])]
    for rank in ranks:
        listings.put(Listing(category, rank.rsplit("#", 1)[1], rank, {"rank": rank}))
    seen, cursor = [], None
    while True:
        page, cursor = listings.page(category, 3, cursor)
        seen += [listing.rank for listing in page]
        if not cursor:
            break
    assert seen == sorted(ranks)
    listings.remove(category, ranks[0].rsplit("#", 1)[1])
    assert len(listings.page(category, 50, None)[0]) == len(ranks) - 1


def test_presence_keeps_the_latest_recount(presence):
    person = unique("p")
    assert presence.get_many([person]) == {person: Status.OFFLINE}
    assert presence.set(person, Status.ONLINE, 1000) is True
    assert presence.set(person, Status.ONLINE, 2000) is False  # no change
    assert presence.set(person, Status.OFFLINE, 500) is False  # an older recount arriving late
    assert presence.get_many([person])[person] is Status.ONLINE
    assert presence.set(person, Status.OFFLINE, 3000) is True
    assert presence.get_many([person, unique("q")])[person] is Status.OFFLINE


def test_the_search_index_matches_prefixes_and_forgets_replaced_words(search_index):
    person, word = unique("p"), unique("zz")
    search_index.replace(person, (), {word, "plumbing"})
    assert person in search_index.matching(word[:4]) and person in search_index.matching("plumb")
    search_index.replace(person, {word, "plumbing"}, {"cooking"})
    assert person not in search_index.matching(word[:4]) and person in search_index.matching("cook")


def test_an_upload_is_described_by_size_type_and_first_bytes_then_deleted(uploads, app_env):
    key = f"media/avatars/{unique('u')}/a.png"
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    if isinstance(uploads, InMemoryUploadStorage):
        uploads.objects[key] = (png, "image/png")
    else:
        app_env.aws_client("s3").put_object(Bucket=app_env.settings().uploads_bucket, Key=key, Body=png,
                                            ContentType="image/png")
    stored = uploads.describe(key)
    assert (stored.size, stored.content_type, stored.head) == (108, "image/png", png[:32])
    uploads.delete(key)
    assert uploads.describe(key) is None
    post = uploads.presigned_post(key=key, content_type="image/png", max_bytes=10, redirect="https://x/y")
    assert post["fields"]["key"] == key and post["fields"]["success_action_redirect"] == "https://x/y"


def test_the_presigned_post_policy_limits_size_type_key_and_redirect(app_env):
    import base64
    import json

    post = app_env.uploads().presigned_post(key="media/avatars/u/a.png", content_type="image/png",
                                           max_bytes=2048, redirect="https://site/become-a-helper.html")
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 2048] in conditions
    assert {"Content-Type": "image/png"} in conditions and {"key": "media/avatars/u/a.png"} in conditions
    assert {"success_action_redirect": "https://site/become-a-helper.html"} in conditions
    assert policy["expiration"]


def test_a_page_save_never_writes_the_rating_counters(pages):
    page = HelperPage(user_id=unique("u"), username=unique("ada"), display_name="Ada", headline="h", offer="o",
                      rating_total=47, rating_count=10, rating_counts=(0, 0, 1, 5, 4))
    pages.save(page)
    assert pages.get(page.user_id) == page.without_ratings()  # only reviews add to them


def test_the_sections_a_page_shows_are_added_once_and_kept_by_page_saves(pages):
    page = HelperPage(user_id=unique("u"), username=unique("ada"), display_name="Ada", headline="h", offer="o")
    pages.save(page)
    pages.add_section(page.user_id, "posts")
    pages.add_section(page.user_id, "posts")
    pages.save(page.with_changes(headline="Saved again"))
    pages.add_section(page.user_id, "events")
    assert pages.get(page.user_id).sections == {"posts", "events"}
    assert pages.find_by_username(page.username).sections == {"posts", "events"}


def test_a_standing_is_set_once_kept_by_page_saves_and_removed_once(pages):
    from chalicelib.domain.standing import Standing

    page = HelperPage(user_id=unique("u"), username=unique("ada"), display_name="Ada", headline="h", offer="o")
    pages.save(page)
    first, second = Standing("Hosted free sessions excessively.", 1_800_000_000, "ops-1"), Standing("x", 1, "o")
    assert pages.set_standing(page.user_id, first) is True
    assert pages.set_standing(page.user_id, second) is False  # disqualified already: nothing written
    pages.save(page.with_changes(headline="Saved again"))  # a page save never touches the standing
    assert pages.get(page.user_id).disqualified == first
    assert pages.get_many([page.user_id])[page.user_id].disqualified == first
    assert pages.find_by_username(page.username).disqualified == first
    assert pages.set_standing(page.user_id, None) is True
    assert pages.set_standing(page.user_id, None) is False  # in good standing already
    assert pages.get(page.user_id).disqualified is None and pages.get(page.user_id).headline == "Saved again"
    assert pages.set_standing(unique("nobody"), first) is False  # no page: nothing created


def test_a_page_is_found_by_its_current_username_in_any_case(pages):
    name = unique("Ada")
    page = HelperPage(user_id=unique("u"), username=name, display_name="Ada", headline="Plumber", offer="Hi")
    pages.save(page)
    assert pages.find_by_username(name) == page
    assert pages.find_by_username(name.upper()) == page  # the caller redirects to the real case
    renamed = page.with_changes(username=unique("Countess"))
    pages.save(renamed)
    assert pages.find_by_username(renamed.username) == renamed
    assert pages.find_by_username(name) is None  # an old name is the usernames table's to answer
    assert pages.find_by_username(unique("nobody")) is None


def test_a_page_saved_before_the_username_index_is_not_found_by_it(app_env):
    from chalicelib.adapters.tables.pages import HelperPageRecord

    pages = app_env.helper_pages()
    old = HelperPage(user_id=unique("u"), username=unique("old"), display_name="Old", headline="h", offer="o")
    pages.save(old)
    record = HelperPageRecord.get(old.user_id)
    record.username_key = None  # as pages were written before the index
    record.save()
    assert pages.find_by_username(old.username) is None
    assert pages.get(old.user_id) == old


@pytest.fixture(params=["in-memory", "real"])
def page_facts(request):
    from chalicelib.adapters.page_facts import DynamoPageFacts, InMemoryPageFacts

    if request.param == "in-memory":
        presence_store, category_store = InMemoryPresenceStore(), InMemoryCategoryStore()
        return InMemoryPageFacts(presence_store, category_store), presence_store, category_store
    app_env = request.getfixturevalue("app_env")
    app_env.helper_pages()  # binds the tables
    return DynamoPageFacts(), app_env.presence(), app_env.categories()


def test_a_helpers_status_and_category_names_are_read_together(page_facts):
    facts, presence_store, category_store = page_facts
    user_id, first, second = unique("u"), Category(unique("c"), "First", "b", None, 1), Category(unique("c"), "Second", "b", None, 2)
    category_store.put(first)
    category_store.put(second)
    assert facts.status_and_names(user_id, []) == (Status.OFFLINE, {})
    presence_store.set(user_id, Status.BUSY, 1_000)
    status, names = facts.status_and_names(user_id, [second.slug, "no-such", first.slug, second.slug])
    assert status is Status.BUSY and names == {first.slug: "First", second.slug: "Second"}
