"""Help categories, the Helpers listed in them, search, and who is online."""
from __future__ import annotations

from typing import Iterable

from chalicelib.adapters.categories import CategoryStore, ListingStore
from chalicelib.adapters.helper_pages import HelperPageStore
from chalicelib.adapters.presence import PresenceStore
from chalicelib.adapters.search_index import SearchIndex
from chalicelib.domain import helper_pages as page_rules
from chalicelib.domain.categories import MAX_CATEGORIES_PER_HELPER, SEED, Category, check_category
from chalicelib.domain.cursors import CursorSeal
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.presence import listing_rank
from chalicelib.domain.search import query_terms
from chalicelib.services.helper_pages import Directory, save_and_publish

MAX_PAGE_SIZE = 50
MAX_PRESENCE_IDS = 50


def category_tree(*, categories: CategoryStore) -> list[Category]:
    """Every category, each parent followed by its children, in position order."""
    everything = categories.all()
    children: dict[str | None, list[Category]] = {}
    for category in everything:
        children.setdefault(category.parent, []).append(category)
    ordered: list[Category] = []

    def walk(parent: str | None) -> None:
        for category in sorted(children.get(parent, []), key=lambda c: (c.position, c.slug)):
            ordered.append(category)
            walk(category.slug)

    walk(None)
    known = {c.slug for c in ordered}
    ordered.extend(c for c in everything if c.slug not in known)  # orphans of a removed parent
    return ordered


def show_category(*, slug: str, limit: int, cursor: str | None, categories: CategoryStore,
                  listings: ListingStore, cursors: CursorSeal) -> tuple[Category, list[dict], str | None]:
    """One page of a category's Helpers: online first, then by rating. One Query per page; the
    cursor is sealed (opaque, and refused if altered or taken from another category)."""
    category = categories.get(slug)
    if category is None:
        raise NotFound(f"No category '{slug}'.")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit is 1 to {MAX_PAGE_SIZE}.", field="limit")
    scope = f"category:{slug}"
    found, last_key = listings.page(slug, limit, cursors.open(cursor, scope=scope))
    return category, [page_rules.shown_card(listing.card) for listing in found], cursors.seal(last_key, scope=scope)


def join_category(*, user_id: str, slug: str, pages: HelperPageStore, directory: Directory) -> None:
    if directory.categories.get(slug) is None:
        raise NotFound(f"No category '{slug}'.")
    before = pages.get(user_id)
    if before is None:
        raise Forbidden("Create your Helper page first; then list yourself in categories.")
    if slug in before.categories:
        return
    if len(before.categories) >= MAX_CATEGORIES_PER_HELPER:
        raise InvalidInput(f"You can be listed in at most {MAX_CATEGORIES_PER_HELPER} categories.")
    save_and_publish(before, before.with_changes(categories=before.categories + (slug,)), pages, directory)


def leave_category(*, user_id: str, slug: str, pages: HelperPageStore, directory: Directory) -> None:
    before = pages.get(user_id)
    if before is None or slug not in before.categories:
        return
    save_and_publish(before, before.with_changes(categories=tuple(s for s in before.categories if s != slug)),
                     pages, directory)


def edit_category(*, slug: str, name: str, banner: str, parent: str | None, position: int,
                  pages: HelperPageStore, directory: Directory) -> Category:
    """Creates or edits a category; a new name re-indexes its Helpers so search follows it."""
    category = check_category(slug, name, banner, parent, position)
    if parent is not None and directory.categories.get(parent) is None:
        raise InvalidInput(f"No parent category '{parent}'.", field="parent")
    categories = directory.categories
    before = categories.get(slug)
    categories.put(category)
    if before is not None and before.name != category.name:
        start = None
        while True:
            listed, start = directory.listings.page(slug, MAX_PAGE_SIZE, start)
            for page in pages.get_many(listing.user_id for listing in listed).values():
                save_and_publish(page, page, pages, directory)
            if not start:
                break
    return category


def seed_categories(*, categories: CategoryStore) -> int:
    """Adds the seed categories that are missing; never overwrites an ops edit."""
    return sum(categories.add_if_missing(category) for category in SEED)


def search_helpers(*, query: str, limit: int, index: SearchIndex, pages: HelperPageStore,
                   presence: PresenceStore) -> list[dict]:
    """Helpers matching every word (as a prefix), online first then by rating; no Scan."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit is 1 to {MAX_PAGE_SIZE}.", field="limit")
    terms = query_terms(query)
    if not terms:
        return []
    matches: set[str] | None = None
    for term in sorted(terms, key=len, reverse=True):  # the longest term narrows the most
        found = index.matching(term)
        matches = found if matches is None else matches & found
        if not matches:
            return []
    found_pages = {user_id: page for user_id, page in pages.get_many(sorted(matches or ())).items()
                   if page.disqualified is None}  # the index forgets them too; this covers a race
    statuses = presence.get_many(found_pages)
    ranked = sorted(found_pages.values(),
                    key=lambda p: listing_rank(statuses[p.user_id], p.rating_total, p.rating_count, p.user_id))
    return [page_rules.card(page, statuses[page.user_id].value) for page in ranked[:limit]]


def statuses_of(*, user_ids: Iterable[str], presence: PresenceStore) -> dict[str, str]:
    wanted = [u for u in dict.fromkeys(user_ids) if u]
    if len(wanted) > MAX_PRESENCE_IDS:
        raise InvalidInput(f"Ask for at most {MAX_PRESENCE_IDS} people at a time.", field="users")
    return {user_id: status.value for user_id, status in presence.get_many(wanted).items()}
