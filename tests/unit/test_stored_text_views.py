"""Text stored before invisible characters were removed is shown without them: the ring pop-up
and the cards kept in category listings (the services that read stored text for others)."""
from dataclasses import replace

from chalicelib.adapters.categories import InMemoryCategoryStore, InMemoryListingStore, Listing
from chalicelib.domain.categories import Category
from chalicelib.domain.cursors import CursorSeal
from chalicelib.services import directory
from chalicelib.services.calls import start_call
from tests.support.twins import CALLER, call_desk_twin

NOW = 1_800_000_000
SPOOF = "Support \u202eecilA\u202c"  # "Support Alice" on screen if the override survives


def test_the_ring_pop_up_shows_a_stored_callers_name_without_bidi_controls():
    desk = call_desk_twin(now=NOW)
    caller = desk.accounts.get(CALLER)
    desk.accounts.profiles[CALLER] = replace(caller, display_name=SPOOF)  # written before the rule
    start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=NOW)
    [ring] = [m for c, m in desk.sender.sent if c == "c-helper" and m.get("caller")]
    assert ring["caller"]["display_name"] == "Support ecilA"


def test_a_caller_whose_stored_name_is_only_invisible_characters_rings_as_someone():
    desk = call_desk_twin(now=NOW)
    desk.accounts.profiles[CALLER] = replace(desk.accounts.get(CALLER), display_name="\u200b\u2066\u2069")
    start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=NOW)
    [ring] = [m for c, m in desk.sender.sent if c == "c-helper" and m.get("caller")]
    assert ring["caller"]["display_name"] == "Someone"


def test_cards_kept_in_a_category_listing_are_shown_without_invisible_characters():
    categories, listings = InMemoryCategoryStore(), InMemoryListingStore()
    categories.put(Category("plumbing", "Plumbing", "Leaks fixed."))
    listings.put(Listing("plumbing", "u1", "0#500#u1", {"user_id": "u1", "username": "ada",
                                                        "display_name": SPOOF, "headline": "Pipes\u200b pro"}))
    _, [card], _ = directory.show_category(slug="plumbing", limit=10, cursor=None, categories=categories,
                                           listings=listings, cursors=CursorSeal(b"test"))
    assert card["display_name"] == "Support ecilA" and card["headline"] == "Pipes pro"
