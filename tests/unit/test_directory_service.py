"""Helper pages, categories, search, usernames, avatars and presence against the in-memory twins."""
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.categories import InMemoryCategoryStore, InMemoryListingStore
from chalicelib.domain.cursors import CursorSeal
from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.page_facts import InMemoryPageFacts
from chalicelib.adapters.presence import InMemoryPresenceStore
from chalicelib.adapters.search_index import InMemorySearchIndex
from chalicelib.adapters.uploads import InMemoryUploadStorage
from chalicelib.domain.accounts import Profile
from chalicelib.domain.categories import SEED, Category
from chalicelib.domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    UsernameChangeTooSoon,
    UsernameReserved,
    UsernameTaken,
)
from chalicelib.domain import rich_text
from chalicelib.domain.helper_pages import HelperPage, Link, Slot
from chalicelib.domain.presence import Status
from chalicelib.services import directory, helper_pages
from chalicelib.services.helper_pages import Directory, Redirect
from tests.support.store_seller import png_bytes

PNG = png_bytes(1200, 900)  # a real picture, larger than an avatar is kept
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
MAX_BYTES = 2 * 1024 * 1024
SITE_URL = "https://interkanect.example"


class Clock:
    """Each call is one second later, so created_at and updated_at can be told apart."""

    def __init__(self) -> None:
        self.seconds = 0

    def __call__(self) -> str:
        self.seconds += 1
        return (datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=self.seconds)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")

    def days_pass(self, days: int) -> None:
        self.seconds += days * 86400


@dataclass
class Site:
    accounts: InMemoryAccountStore = field(default_factory=InMemoryAccountStore)
    pages: InMemoryHelperPageStore = field(default_factory=InMemoryHelperPageStore)
    listings: InMemoryListingStore = field(default_factory=InMemoryListingStore)
    search: InMemorySearchIndex = field(default_factory=InMemorySearchIndex)
    categories: InMemoryCategoryStore = field(default_factory=InMemoryCategoryStore)
    presence: InMemoryPresenceStore = field(default_factory=InMemoryPresenceStore)
    uploads: InMemoryUploadStorage = field(default_factory=InMemoryUploadStorage)
    clock: Clock = field(default_factory=Clock)

    @property
    def directory(self) -> Directory:
        return Directory(listings=self.listings, search=self.search, categories=self.categories,
                         presence=self.presence)


@pytest.fixture
def site():
    """Empty stores with the seed categories in place."""
    site = Site()
    directory.seed_categories(categories=site.categories)
    return site


def page_fields(**changes):
    """A valid, complete `PUT /me/page` body; keyword arguments replace single fields."""
    fields = {
        "headline": "Happy to help",
        "offer": "Ask me anything.",
        "qualifications": "",
        "languages": ["en"],
        "time_zone": "Europe/Paris",
        "prices": {"15": 1500, "30": 2500, "60": None},
        "schedule": [{"day": 0, "start": "09:00", "end": "12:30"}],
        "links": [{"label": "My site", "url": "https://example.com"}],
    }
    fields.update(changes)
    return fields


def sign_up(site, user_id="u1", username="ada", display_name="Ada Lovelace"):
    site.accounts.create(Profile(user_id=user_id, email=f"{user_id}@example.com", username=username,
                                 display_name=display_name, created_at="2024-12-31T00:00:00Z"))


def save(site, user_id="u1", **changes):
    return helper_pages.save_page(user_id=user_id, fields=page_fields(**changes), pages=site.pages,
                                  accounts=site.accounts, directory=site.directory, now=site.clock)


def become_helper(site, user_id="u1", username="ada", display_name="Ada Lovelace", **changes):
    sign_up(site, user_id, username, display_name)
    page, _ = save(site, user_id, **changes)
    return page


def join(site, slug, user_id="u1"):
    directory.join_category(user_id=user_id, slug=slug, pages=site.pages, directory=site.directory)


def leave(site, slug, user_id="u1"):
    directory.leave_category(user_id=user_id, slug=slug, pages=site.pages, directory=site.directory)


SEAL = CursorSeal(b"the directory's test secret")


def show(site, slug, limit=20, cursor=None):
    return directory.show_category(slug=slug, limit=limit, cursor=cursor, categories=site.categories, cursors=SEAL,
                                   listings=site.listings)


def cards_in(site, slug):
    _, cards, _ = show(site, slug, limit=50)
    return cards


def set_status(site, user_id, status, at_ms=1000):
    """What the realtime service does when a person's tabs open or close."""
    site.presence.set(user_id, status, at_ms)
    helper_pages.write_listings(site.pages.get(user_id), status, site.listings)


def rate(site, user_id, total, count):
    """As reviews would leave the counters (a page save never writes them)."""
    site.pages.pages[user_id] = site.pages.get(user_id).with_changes(rating_total=total, rating_count=count)


def search(site, query, limit=20):
    return directory.search_helpers(query=query, limit=limit, index=site.search, pages=site.pages,
                                    presence=site.presence)


def found(site, query):
    return [card["username"] for card in search(site, query)]


def rename(site, username, user_id="u1", every_days=30):
    return helper_pages.change_username(user_id=user_id, username=username, pages=site.pages,
                                        accounts=site.accounts, directory=site.directory, now=site.clock,
                                        brand_name="interKanect", change_every_days=every_days)


def public_page(site, username):
    return helper_pages.find_public_page(username=username, accounts=site.accounts, pages=site.pages,
                                         facts=InMemoryPageFacts(site.presence, site.categories))


def request_upload(site, content_type="image/png", user_id="u1"):
    return helper_pages.request_avatar_upload(user_id=user_id, content_type=content_type, pages=site.pages,
                                              storage=site.uploads, max_bytes=MAX_BYTES, site_url=SITE_URL)


def set_avatar(site, key, user_id="u1", max_bytes=MAX_BYTES):
    return helper_pages.set_avatar(user_id=user_id, key=key, pages=site.pages, storage=site.uploads,
                                   max_bytes=max_bytes, directory=site.directory, now=site.clock)


# Saving a page


def test_saving_a_page_the_first_time_creates_it_under_the_profiles_name(site):
    sign_up(site)
    page, created = save(site, headline="  Plumber, 20 years ", languages=["en", "pt-BR", "en"],
                         schedule=[{"day": 2, "start": "14:00", "end": "15:00"},
                                   {"day": 0, "start": "09:00", "end": "12:30"}])
    assert created is True
    assert site.pages.get("u1") == page
    assert (page.username, page.display_name, page.headline) == ("ada", "Ada Lovelace", "Plumber, 20 years")
    assert page.languages == ("en", "pt-BR")
    assert page.prices == {15: 1500, 30: 2500, 60: None}
    assert page.schedule == (Slot(0, "09:00", "12:30"), Slot(2, "14:00", "15:00"))
    assert page.links == (Link("My site", "https://example.com"),)
    assert page.created_at == page.updated_at
    assert page.categories == () and page.avatar_key is None and page.rating_count == 0


def test_saving_again_updates_the_page_and_keeps_avatar_categories_ratings_and_creation_time(site):
    first = become_helper(site)
    join(site, "plumbing")
    site.uploads.objects["incoming/avatars/u1/a.png"] = (PNG, "image/png")
    set_avatar(site, "incoming/avatars/u1/a.png")
    rate(site, "u1", 47, 10)

    page, created = save(site, headline="Now an electrician")

    assert created is False
    assert page.headline == "Now an electrician"
    assert page.avatar_key == "media/avatars/u1/a.webp"
    assert page.categories == ("plumbing",)
    assert (page.rating_total, page.rating_count) == (47, 10)
    assert page.created_at == first.created_at and page.updated_at > first.updated_at


def test_a_saved_page_keeps_its_text_rendered_so_showing_it_renders_nothing(site):
    sign_up(site)
    page, _ = save(site, offer="I **fix** leaks.\n\nCall <b>me</b>", qualifications="*Licensed*")
    stored = site.pages.get("u1").rendered
    assert stored == rich_text.ShownText(offer_html="<p>I <strong>fix</strong> leaks.</p>\n<p>Call &lt;b&gt;me&lt;/b&gt;</p>",
                                         qualifications_html="<p><em>Licensed</em></p>",
                                         offer_summary="I fix leaks. Call <b>me</b>")
    assert page.shown_text() is page.rendered

    edited, _ = save(site, offer="Now *electrics*")
    assert edited.rendered.offer_html == "<p>Now <em>electrics</em></p>"  # never the old offer's


def test_a_page_saved_before_rendering_or_by_an_older_renderer_is_rendered_when_shown():
    page = HelperPage(user_id="u1", username="ada", display_name="Ada", headline="Plumber", offer="I **fix**")
    assert page.shown_text().offer_html == "<p>I <strong>fix</strong></p>"
    stale = page.with_changes(rendered=rich_text.ShownText("<p>old</p>", "", "old", rendering=rich_text.RENDERING - 1))
    assert stale.shown_text().offer_html == "<p>I <strong>fix</strong></p>"


def test_a_page_needs_an_existing_profile(site):
    with pytest.raises(NotFound):
        save(site, user_id="ghost")
    assert site.pages.get("ghost") is None


def test_a_page_with_a_refused_field_is_not_saved_and_names_the_field(site):
    sign_up(site)
    with pytest.raises(InvalidInput) as refused:
        save(site, prices={"15": -5})
    assert refused.value.field == "prices.15"
    assert site.pages.get("u1") is None


def test_editing_the_page_refreshes_its_card_in_every_category(site):
    become_helper(site)
    join(site, "plumbing")
    join(site, "electrical")
    save(site, headline="Leaks and sparks", prices={"15": 0})
    for slug in ("plumbing", "electrical"):
        [card] = cards_in(site, slug)
        assert card["headline"] == "Leaks and sparks"
        assert card["prices"] == {"15": 0, "30": None, "60": None}


def test_paid_prices_show_on_cards_once_the_storefront_is_set_up_and_free_ones_before(site):
    become_helper(site, prices={"15": 1500, "30": 0, "60": None})
    join(site, "plumbing")
    [card] = cards_in(site, "plumbing")
    assert card["prices"] == {"15": None, "30": 0, "60": None}
    assert site.pages.get("u1").prices[15] == 1500  # kept for when payouts can reach the Helper

    helper_pages.payouts_set_up(user_id="u1", pages=site.pages, directory=site.directory)
    [card] = cards_in(site, "plumbing")
    assert card["prices"] == {"15": 1500, "30": 0, "60": None}

    # Saving the page again keeps them shown while the storefront exists.
    helper_pages.save_page(user_id="u1", fields=page_fields(prices={"15": 2000}), pages=site.pages,
                           accounts=site.accounts, directory=site.directory, now=site.clock,
                           payouts_ready=lambda user_id: True)
    [card] = cards_in(site, "plumbing")
    assert card["prices"] == {"15": 2000, "30": None, "60": None}


# Listing yourself in categories


def test_listing_yourself_in_a_category_needs_a_helper_page(site):
    sign_up(site)
    with pytest.raises(Forbidden):
        join(site, "plumbing")
    assert cards_in(site, "plumbing") == []


def test_an_unknown_category_cannot_be_joined(site):
    become_helper(site)
    with pytest.raises(NotFound):
        join(site, "underwater-basket-weaving")


def test_the_card_appears_in_the_category_and_disappears_after_leaving_it(site):
    become_helper(site, headline="Plumber, 20 years")
    join(site, "plumbing")
    [card] = cards_in(site, "plumbing")
    assert card["user_id"] == "u1" and card["headline"] == "Plumber, 20 years" and card["status"] == "offline"
    assert card["page_url"] == "/h/ada"

    leave(site, "plumbing")

    assert cards_in(site, "plumbing") == []
    assert site.pages.get("u1").categories == ()


def test_joining_a_category_twice_lists_you_once(site):
    become_helper(site)
    join(site, "plumbing")
    join(site, "plumbing")
    assert site.pages.get("u1").categories == ("plumbing",)
    assert len(cards_in(site, "plumbing")) == 1


def test_leaving_a_category_you_are_not_in_changes_nothing(site):
    page = become_helper(site)
    leave(site, "plumbing")
    leave(site, "plumbing", user_id="nobody")
    assert site.pages.get("u1") == page


def test_a_helper_is_listed_in_at_most_ten_categories(site):
    become_helper(site)
    children = [c.slug for c in SEED if c.parent]
    for slug in children[:10]:
        join(site, slug)
    with pytest.raises(InvalidInput):
        join(site, children[10])
    assert len(site.pages.get("u1").categories) == 10
    assert cards_in(site, children[10]) == []
    join(site, children[0])  # already listed: still fine at the limit


# Showing a category


def test_an_unknown_category_cannot_be_shown(site):
    with pytest.raises(NotFound):
        show(site, "nowhere")


@pytest.mark.parametrize("limit", [0, -1, 51])
def test_a_category_page_is_1_to_50_helpers(site, limit):
    with pytest.raises(InvalidInput) as refused:
        show(site, "plumbing", limit=limit)
    assert refused.value.field == "limit"


def test_paging_through_a_category_returns_every_helper_exactly_once_online_first_then_by_rating(site):
    for n in range(25):
        become_helper(site, user_id=f"u{n:02d}", username=f"helper-{n:02d}", display_name=f"Helper {n}")
        join(site, "plumbing", user_id=f"u{n:02d}")
        rate(site, f"u{n:02d}", total=(n * 7) % 50, count=10)
    for n in range(25):
        status = Status.ONLINE if n % 4 == 0 else Status.BUSY if n % 5 == 0 else Status.OFFLINE
        set_status(site, f"u{n:02d}", status)

    seen, cursor, pages_read = [], None, 0
    while True:
        category, cards, cursor = show(site, "plumbing", limit=7, cursor=cursor)
        pages_read += 1
        assert category.slug == "plumbing" and len(cards) <= 7
        seen.extend(cards)
        if cursor is None:
            break

    assert pages_read == 4
    assert sorted(card["user_id"] for card in seen) == [f"u{n:02d}" for n in range(25)]
    statuses = [card["status"] for card in seen]
    assert statuses == ["online"] * 7 + ["busy"] * 3 + ["offline"] * 15
    online_ratings = [card["rating"]["average"] for card in seen[:7] if card["rating"]]
    assert online_ratings == sorted(online_ratings, reverse=True)


def test_a_category_that_fits_in_one_page_has_no_next_cursor(site):
    become_helper(site)
    join(site, "plumbing")
    _, cards, cursor = show(site, "plumbing", limit=1)
    assert len(cards) == 1 and cursor is None


def _forged_cursors():
    key = {"category": "plumbing", "user_id": "u1", "rank": "0#500#u1"}
    genuine = SEAL.seal(key, scope="category:plumbing")
    payload, tag = genuine.split(".")
    yield "!!!"
    yield "bm90IGpzb24"
    yield "WzFd"
    yield "eyJjYXRlZ29yeSI6ImhvbWUifQ"  # base64 of {"category":"home"}: unsigned, once a 500
    yield "eyJjYXRlZ29yeSI6ImhvbWUifQ." + tag  # someone else's signature
    yield genuine[:-3]  # a signature cut short
    yield CursorSeal(b"another secret").seal(key, scope="category:plumbing")
    yield SEAL.seal(key, scope="category:gardening")  # a cursor of another category
    yield SEAL.seal(key, scope="category:plumbing") + "."
    yield "." * 2000


@pytest.mark.parametrize("cursor", list(_forged_cursors()))
def test_a_cursor_that_is_not_one_we_gave_out_is_refused(site, cursor):
    become_helper(site)
    join(site, "plumbing")
    with pytest.raises(InvalidInput) as refused:
        show(site, "plumbing", cursor=cursor)
    assert refused.value.field == "cursor"


def test_a_cursor_we_gave_out_pages_on(site):
    for n in range(3):
        become_helper(site, user_id=f"u{n}", username=f"helper{n}")
        join(site, "plumbing", user_id=f"u{n}")
    _, first, cursor = show(site, "plumbing", limit=2)
    _, rest, after = show(site, "plumbing", limit=2, cursor=cursor)
    assert len(first) == 2 and len(rest) == 1 and after is None
    assert "category" not in cursor  # opaque: base64 and a signature, nothing to edit by hand


# Search


@pytest.mark.parametrize("query", ["Lovelace", "ada", "ADA", "leaks", "drains", "gardening", "Gardening leaks"])
def test_a_helper_is_found_by_name_username_headline_offer_and_category(site, query):
    become_helper(site, headline="Leaks fixed fast", offer="I unblock drains.")
    join(site, "gardening")
    become_helper(site, user_id="u2", username="bob", display_name="Bob Builder", headline="Walls",
                  offer="Bricks.")
    assert found(site, query) == ["ada"]


def test_a_word_matches_the_start_of_a_longer_word(site):
    become_helper(site, headline="Plumbing and heating")
    assert found(site, "plumb") == ["ada"]
    assert found(site, "umbing") == []


def test_accents_and_case_do_not_matter_when_searching(site):
    become_helper(site, headline="Électricienne à Paris")
    assert found(site, "electricienne PARIS") == ["ada"]


def test_every_word_of_a_search_must_match(site):
    become_helper(site, headline="Plumber", offer="Leaks and drains.")
    become_helper(site, user_id="u2", username="bob", display_name="Bob", headline="Plumber", offer="Boilers.")
    assert sorted(found(site, "plumber")) == ["ada", "bob"]
    assert found(site, "plumber leaks") == ["ada"]
    assert found(site, "plumber roofs") == []


@pytest.mark.parametrize("query", ["", "   ", "the and a", "?!"])
def test_a_search_without_words_finds_nobody(site, query):
    become_helper(site, headline="The answer")
    assert search(site, query) == []


def test_search_shows_online_helpers_first_then_by_rating(site):
    for n, name in enumerate(["ann", "ben", "cat", "dan"]):
        become_helper(site, user_id=f"u{n}", username=name, display_name=name.title(), headline="Plumber")
    rate(site, "u0", 50, 10)
    rate(site, "u1", 30, 10)
    rate(site, "u2", 40, 10)
    site.presence.set("u1", Status.ONLINE, 1000)
    site.presence.set("u3", Status.BUSY, 1000)
    cards = search(site, "plumber")
    assert [c["username"] for c in cards] == ["ben", "dan", "ann", "cat"]
    assert [c["status"] for c in cards] == ["online", "busy", "offline", "offline"]


def test_search_returns_at_most_limit_cards(site):
    for n in range(5):
        become_helper(site, user_id=f"u{n}", username=f"helper-{n}", display_name="Helper", headline="Plumber")
    assert len(search(site, "plumber", limit=3)) == 3
    for limit in (0, 51):
        with pytest.raises(InvalidInput):
            search(site, "plumber", limit=limit)


def test_editing_the_page_reindexes_it_so_old_words_no_longer_match(site):
    become_helper(site, headline="Plumber", offer="Leaks.")
    save(site, headline="Electrician", offer="Sockets.")
    assert found(site, "plumber") == [] and found(site, "leaks") == []
    assert found(site, "electrician sockets") == ["ada"]


def test_leaving_a_category_stops_search_finding_you_by_its_name(site):
    become_helper(site)
    join(site, "gardening")
    leave(site, "gardening")
    assert found(site, "gardening") == []


def test_a_helper_with_a_long_offer_is_still_found_by_name_and_category(site):
    long_offer = " ".join(f"a{n:03d}" for n in range(450))
    become_helper(site, username="zed", display_name="Zed Zimmer", offer=long_offer)
    join(site, "plumbing")
    assert found(site, "zimmer") == ["zed"]
    assert found(site, "plumbing") == ["zed"]


def test_after_a_category_is_renamed_leaving_it_stops_search_finding_you_by_the_old_name(site):
    become_helper(site)
    join(site, "plumbing")
    directory.edit_category(slug="plumbing", name="Pipes", banner="Pipes and leaks.", parent="home",
                            position=1, pages=site.pages, directory=site.directory)
    assert found(site, "pipes") == ["ada"]
    leave(site, "plumbing")
    assert found(site, "plumbing") == [] and found(site, "pipes") == []


# Usernames and public pages


def test_changing_the_username_moves_the_page_its_cards_and_its_search_words(site):
    become_helper(site, display_name="Augusta King")
    join(site, "plumbing")
    assert rename(site, "countess") == "countess"
    shown = public_page(site, "countess")
    assert shown.page.username == "countess" and shown.status is Status.OFFLINE
    assert shown.category_names == {"plumbing": "Plumbing"}
    [card] = cards_in(site, "plumbing")
    assert card["username"] == "countess" and card["page_url"] == "/h/countess"
    assert found(site, "ada") == [] and found(site, "countess") == ["countess"]


def test_an_old_username_redirects_to_the_current_one(site):
    become_helper(site)
    rename(site, "ada-l")
    assert public_page(site, "ada") == Redirect("ada-l")


def test_a_differently_cased_username_redirects_to_the_real_one(site):
    become_helper(site)
    assert public_page(site, "ADA") == Redirect("ada")
    rename(site, "ada-l")
    assert public_page(site, "Ada") == Redirect("ada-l")


def test_another_user_cannot_take_an_old_username(site):
    become_helper(site)
    rename(site, "ada-l")
    become_helper(site, user_id="u2", username="bob")
    for taken in ("ada", "ADA", "ada-l"):
        with pytest.raises(UsernameTaken):
            rename(site, taken, user_id="u2")
    assert public_page(site, "ada") == Redirect("ada-l")


def test_a_user_can_take_back_their_own_old_username(site):
    become_helper(site)
    rename(site, "ada-l")
    site.clock.days_pass(30)
    rename(site, "ada")
    assert public_page(site, "ada").page.user_id == "u1"
    assert public_page(site, "ada-l") == Redirect("ada")


def test_changing_to_the_current_username_changes_nothing(site):
    page = become_helper(site)
    assert rename(site, "ada") == "ada"
    assert site.pages.get("u1") == page


@pytest.mark.parametrize("username, error", [("a", InvalidInput), ("-ada", InvalidInput),
                                             ("has space", InvalidInput), ("admin", UsernameReserved),
                                             ("ada-admin1", UsernameReserved), ("interkanect_ada", UsernameReserved),
                                             ("0ps-team", UsernameReserved)])
def test_a_username_that_breaks_the_rules_is_refused(site, username, error):
    become_helper(site)
    with pytest.raises(error):
        rename(site, username)
    assert site.accounts.get("u1").username == "ada"


def test_a_username_changes_once_per_period_and_each_refusal_says_when(site):
    become_helper(site)
    rename(site, "ada-l")  # the name chosen at sign-up may be corrected at once
    for attempt in ("ada-2", "ada-3"):
        with pytest.raises(UsernameChangeTooSoon) as error:
            rename(site, attempt)
        assert "30 days" in error.value.message and "January 31, 2025" in error.value.message
    assert site.accounts.get("u1").username == "ada-l" and site.accounts.username_available("ada-2")
    site.clock.days_pass(29)
    with pytest.raises(UsernameChangeTooSoon):
        rename(site, "ada-2")
    site.clock.days_pass(1)
    assert rename(site, "ada-2") == "ada-2"
    with pytest.raises(UsernameChangeTooSoon):
        rename(site, "ada-3")


def test_eight_renames_in_a_row_hold_at_most_one_new_name(site):
    become_helper(site)
    held = []
    for n in range(8):
        try:
            held.append(rename(site, f"ada-{n}"))
        except UsernameChangeTooSoon:
            pass
    assert held == ["ada-0"] and all(site.accounts.username_available(f"ada-{n}") for n in range(1, 8))


def test_keeping_the_same_username_is_not_a_change(site):
    become_helper(site)
    rename(site, "ada-l")
    assert rename(site, "ada-l") == "ada-l"  # no error: nothing changes


def test_a_person_without_a_page_can_still_change_their_username(site):
    sign_up(site)
    rename(site, "ada-l")
    assert site.accounts.get("u1").username == "ada-l"
    with pytest.raises(NotFound):
        public_page(site, "ada-l")


def test_an_unknown_username_has_no_public_page(site):
    with pytest.raises(NotFound):
        public_page(site, "nobody")


def test_the_public_page_shows_the_helpers_live_status(site):
    become_helper(site)
    site.presence.set("u1", Status.BUSY, 1000)
    assert public_page(site, "ada").status is Status.BUSY


def test_the_public_page_reads_alongside_only_the_sections_it_shows_and_nothing_for_a_redirect(site):
    become_helper(site)
    facts = InMemoryPageFacts(site.presence, site.categories)
    reads = {"posts": lambda page: ("posts of", page.user_id), "events": lambda page: ("events of", page.user_id)}
    shown = helper_pages.find_public_page(username="ada", accounts=site.accounts, pages=site.pages, facts=facts,
                                          alongside=reads)
    assert shown.alongside == {}  # no post published, no event announced: neither is read
    site.pages.add_section("u1", "events")
    site.pages.add_section("u1", "events")  # once is enough
    shown = helper_pages.find_public_page(username="ada", accounts=site.accounts, pages=site.pages, facts=facts,
                                          alongside=reads)
    assert shown.alongside == {"events": ("events of", "u1")}
    save(site, headline="A page saved again keeps its sections")
    site.pages.add_section("u1", "posts")
    shown = helper_pages.find_public_page(username="ada", accounts=site.accounts, pages=site.pages, facts=facts,
                                          alongside=reads)
    assert shown.alongside == {"posts": ("posts of", "u1"), "events": ("events of", "u1")}
    asked = []
    moved = helper_pages.find_public_page(username="ADA", accounts=site.accounts, pages=site.pages, facts=facts,
                                          alongside={"posts": asked.append})
    assert moved == Redirect("ada") and asked == []


# Avatars


def test_an_avatar_upload_needs_a_page(site):
    sign_up(site)
    with pytest.raises(NotFound):
        request_upload(site)


@pytest.mark.parametrize("content_type", ["image/gif", "image/svg+xml", "text/html", "", "IMAGE/PNG"])
def test_only_jpeg_png_and_webp_avatars_can_be_uploaded(site, content_type):
    become_helper(site)
    with pytest.raises(InvalidInput) as refused:
        request_upload(site, content_type=content_type)
    assert refused.value.field == "content_type"


@pytest.mark.parametrize("content_type, extension", [("image/jpeg", "jpg"), ("image/png", "png"),
                                                     ("image/webp", "webp")])
def test_an_avatar_upload_goes_to_the_users_folder_and_comes_back_to_the_editor(site, content_type, extension):
    become_helper(site)
    upload = request_upload(site, content_type=content_type)
    key = upload["key"]
    assert key.startswith("incoming/avatars/u1/") and key.endswith(f".{extension}")
    assert upload["max_bytes"] == MAX_BYTES
    assert upload["fields"]["key"] == key and upload["fields"]["Content-Type"] == content_type
    redirect = upload["fields"]["success_action_redirect"]
    assert redirect == f"{SITE_URL}/become-a-helper.html?avatar={key}"
    assert request_upload(site, content_type=content_type)["key"] != key


def test_a_picture_in_another_users_folder_cannot_be_set(site):
    become_helper(site)
    become_helper(site, user_id="u2", username="bob")
    site.uploads.objects["incoming/avatars/u2/b.png"] = (PNG, "image/png")
    site.uploads.objects["media/avatars/u1/c.png"] = (PNG, "image/png")
    for key in ("incoming/avatars/u2/b.png", "incoming/avatars/u1/../u2/b.png", "incoming/avatars/u1x/b.png",
                "b.png", "media/avatars/u1/c.png", "incoming/avatars/u1/c.svg", "incoming/avatars/u1/c.d.png"):
        with pytest.raises(Forbidden):
            set_avatar(site, key)
    assert site.pages.get("u1").avatar_key is None


def test_a_picture_that_never_arrived_cannot_be_set(site):
    become_helper(site)
    with pytest.raises(NotFound):
        set_avatar(site, "incoming/avatars/u1/missing.png")


def test_setting_an_avatar_needs_a_page(site):
    sign_up(site)
    site.uploads.objects["incoming/avatars/u1/a.png"] = (PNG, "image/png")
    with pytest.raises(NotFound):
        set_avatar(site, "incoming/avatars/u1/a.png")


@pytest.mark.parametrize("data, content_type, max_bytes", [
    (PNG + b"\x00" * 1024, "image/png", 1024),  # too large
    (HTML, "image/png", MAX_BYTES),  # an HTML file claimed as a PNG
    (PNG, "image/jpeg", MAX_BYTES),  # a PNG claimed as a JPEG
    (PNG[:200], "image/png", MAX_BYTES),  # a PNG cut short: the right first bytes, then nothing
])
def test_a_bad_upload_is_refused_and_deleted(site, data, content_type, max_bytes):
    become_helper(site)
    key = "incoming/avatars/u1/upload.png"
    site.uploads.objects[key] = (data, content_type)
    with pytest.raises(InvalidInput) as refused:
        set_avatar(site, key, max_bytes=max_bytes)
    assert refused.value.field == "key"
    assert key not in site.uploads.objects
    assert site.pages.get("u1").avatar_key is None


def test_a_good_png_becomes_the_avatar_on_the_page_and_its_cards_redrawn_and_the_upload_deleted(site):
    become_helper(site)
    join(site, "plumbing")
    key = request_upload(site)["key"]
    site.uploads.objects[key] = (PNG, "image/png")

    page = set_avatar(site, key)

    shown = key.replace("incoming/", "media/").replace(".png", ".webp")
    assert page.avatar_key == shown and site.pages.get("u1").avatar_key == shown
    assert key not in site.uploads.objects  # nothing the browser sent is served as it came
    data, content_type = site.uploads.objects[shown]
    with Image.open(io.BytesIO(data)) as drawn:
        assert (content_type, drawn.format, drawn.size) == ("image/webp", "WEBP", (512, 384))
    [card] = cards_in(site, "plumbing")
    assert card["avatar_url"] == f"/{shown}"
    assert set_avatar(site, key) == site.pages.get("u1")  # a retry: the same page, nothing changed


def test_a_new_avatar_deletes_the_one_it_replaces(site):
    become_helper(site)
    keys = [request_upload(site)["key"] for _ in range(2)]
    for key in keys:
        site.uploads.objects[key] = (PNG, "image/png")
    first = set_avatar(site, keys[0]).avatar_key
    second = set_avatar(site, keys[1]).avatar_key
    assert first != second and first not in site.uploads.objects and second in site.uploads.objects


# Categories, as ops edit them


def test_seeding_adds_the_thirty_categories_once():
    fresh = InMemoryCategoryStore()
    assert directory.seed_categories(categories=fresh) == 30
    assert directory.seed_categories(categories=fresh) == 0
    assert len(fresh.all()) == 30


def test_seeding_never_overwrites_a_category_ops_edited(site):
    edited = directory.edit_category(slug="plumbing", name="Pipes & Leaks", banner="Our best plumbers.",
                                     parent="home", position=7, pages=site.pages, directory=site.directory)
    assert directory.seed_categories(categories=site.categories) == 0
    assert site.categories.get("plumbing") == edited


def test_ops_can_create_and_edit_a_category(site):
    created = directory.edit_category(slug="roofing", name=" Roofing ", banner=" Tiles and gutters. ",
                                      parent="home", position=5, pages=site.pages, directory=site.directory)
    assert created == Category("roofing", "Roofing", "Tiles and gutters.", "home", 5)
    assert site.categories.get("roofing") == created
    directory.edit_category(slug="roofing", name="Roofs", banner="Tiles.", parent=None, position=600,
                            pages=site.pages, directory=site.directory)
    assert site.categories.get("roofing") == Category("roofing", "Roofs", "Tiles.", None, 600)


@pytest.mark.parametrize("changes, field_name", [
    ({"slug": "Roofing"}, "slug"), ({"slug": "roof_ing"}, "slug"), ({"slug": "-roofing"}, "slug"),
    ({"slug": "roofing--tiles"}, "slug"), ({"slug": "r" * 61}, "slug"),
    ({"name": "   "}, "name"), ({"name": "n" * 61}, "name"),
    ({"banner": ""}, "banner"), ({"banner": "b" * 301}, "banner"),
    ({"parent": "roofing"}, "parent"), ({"parent": "Home"}, "parent"), ({"parent": "nowhere"}, "parent"),
    ({"position": -1}, "position"), ({"position": 10_001}, "position"),
])
def test_a_category_that_breaks_the_rules_is_refused_naming_the_field(site, changes, field_name):
    category = {"slug": "roofing", "name": "Roofing", "banner": "Tiles and gutters.", "parent": "home",
                "position": 5, **changes}
    with pytest.raises(InvalidInput) as refused:
        directory.edit_category(pages=site.pages, directory=site.directory, **category)
    assert refused.value.field == field_name
    assert site.categories.get(category["slug"]) is None


def test_a_slug_with_a_trailing_newline_is_refused(site):
    with pytest.raises(InvalidInput):
        directory.edit_category(slug="roofing\n", name="Roofing", banner="Tiles.", parent=None, position=5,
                                pages=site.pages, directory=site.directory)


def test_the_category_tree_lists_each_parent_followed_by_its_children(site):
    directory.edit_category(slug="roofing", name="Roofing", banner="Tiles.", parent="home", position=0,
                            pages=site.pages, directory=site.directory)
    tree = [c.slug for c in directory.category_tree(categories=site.categories)]
    assert tree[:6] == ["home", "roofing", "plumbing", "electrical", "gardening", "home-appliances"]
    assert [slug for slug in tree if site.categories.get(slug).parent is None] == \
        ["home", "tech", "learning", "business", "creative", "life"]
    for slug in tree:
        parent = site.categories.get(slug).parent
        if parent:
            assert tree.index(parent) < tree.index(slug)
            between = tree[tree.index(parent) + 1:tree.index(slug)]
            assert all(site.categories.get(s).parent == parent for s in between)


def test_a_category_whose_parent_is_gone_is_still_listed_last(site):
    site.categories.put(Category("orphan", "Orphan", "Lost.", "vanished", 1))
    tree = directory.category_tree(categories=site.categories)
    assert len(tree) == 31 and tree[-1].slug == "orphan"


# Presence


def test_statuses_are_reported_for_each_person_asked_about(site):
    site.presence.set("u1", Status.ONLINE, 1000)
    site.presence.set("u2", Status.BUSY, 1000)
    assert directory.statuses_of(user_ids=["u1", "u2", "u3", "u1", ""], presence=site.presence) == \
        {"u1": "online", "u2": "busy", "u3": "offline"}


def test_at_most_fifty_people_are_asked_about_at_once(site):
    fifty = [f"u{n}" for n in range(50)]
    assert len(directory.statuses_of(user_ids=fifty + fifty, presence=site.presence)) == 50
    with pytest.raises(InvalidInput) as refused:
        directory.statuses_of(user_ids=fifty + ["u50"], presence=site.presence)
    assert refused.value.field == "users"


def test_a_page_with_several_bad_fields_names_them_all_and_saves_nothing(site):
    sign_up(site)
    with pytest.raises(InvalidInput) as refused:
        save(site, headline="", time_zone="America/Argentina", links=[{"label": "x", "url": "http://[abc"}])
    assert [p.field for p in refused.value.problems] == ["headline", "time_zone", "links.0.url"]
    assert site.pages.get("u1") is None


class IndexNotYetUpdated(InMemoryHelperPageStore):
    """The pages' username index as it may be a moment after a save, or for pages saved before it."""

    def find_by_username(self, username):
        return None


def test_a_page_the_username_index_does_not_know_yet_is_found_through_the_username():
    site = Site(pages=IndexNotYetUpdated())
    directory.seed_categories(categories=site.categories)
    become_helper(site)
    join(site, "plumbing")
    shown = public_page(site, "ada")
    assert shown.page.user_id == "u1" and shown.category_names == {"plumbing": "Plumbing"}
    assert public_page(site, "ADA") == Redirect("ada")
    with pytest.raises(NotFound):
        public_page(site, "nobody")
