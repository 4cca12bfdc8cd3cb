"""Becoming a Helper: the page, its public view, the username in its URL, the avatar."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from chalicelib.domain import accounts as account_rules
from chalicelib.domain import helper_pages as rules
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound, Problems
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.domain.presence import Status, listing_rank
from chalicelib.domain.search import index_terms
from chalicelib.services.pictures import publish_upload, upload_id

if TYPE_CHECKING:  # the stores are arguments: a public page's cold start imports none it does not read
    from chalicelib.adapters.accounts import AccountStore
    from chalicelib.adapters.categories import CategoryStore, ListingStore
    from chalicelib.adapters.helper_pages import HelperPageStore
    from chalicelib.adapters.page_facts import PageFacts
    from chalicelib.adapters.presence import PresenceStore
    from chalicelib.adapters.search_index import SearchIndex
    from chalicelib.adapters.uploads import UploadStorage


@dataclass(frozen=True)
class Directory:
    """Everything that shows a Helper besides the page itself, kept in step with it."""

    listings: ListingStore
    search: SearchIndex
    categories: CategoryStore
    presence: PresenceStore


def search_terms_of(page: HelperPage, categories: CategoryStore) -> set[str]:
    names = [c.name for c in (categories.get(slug) for slug in page.categories) if c]
    return index_terms(page.display_name, page.username, page.headline, *names, page.offer)


def save_and_publish(before: HelperPage | None, after: HelperPage, pages: HelperPageStore,
                     directory: Directory) -> HelperPage:
    """Saves the page and refreshes what shows it elsewhere: its cards in its categories and
    the words it is found by (the page remembers them, so old words can always be removed). The
    text is rendered here, once per save, not on every view."""
    after = after.with_changes(search_terms=tuple(sorted(search_terms_of(after, directory.categories)))).rendered_now()
    if before is not None:  # a save never changes the standing (services.standing does)
        after = after.with_changes(disqualified=before.disqualified)
    pages.save(after)
    if after.disqualified is not None:  # hidden: the page keeps its words and categories for a restore
        return after
    status = directory.presence.get_many([after.user_id])[after.user_id]
    write_listings(after, status, directory.listings)
    for slug in set(before.categories if before else ()) - set(after.categories):
        directory.listings.remove(slug, after.user_id)
    directory.search.replace(after.user_id, before.search_terms if before else (), after.search_terms)
    return after


def write_listings(page: HelperPage, status: Status, listings: ListingStore) -> None:
    from chalicelib.adapters.categories import Listing

    if page.disqualified is not None:  # a disqualified Helper is listed nowhere (services.standing)
        return
    rank = listing_rank(status, page.rating_total, page.rating_count, page.user_id)
    shown = rules.card(page, status.value)
    for slug in page.categories:
        listings.put(Listing(slug, page.user_id, rank, shown))


def save_page(*, user_id: str, fields: dict[str, Any], pages: HelperPageStore, accounts: AccountStore,
              directory: Directory, now: Callable[[], str],
              max_price_cents: int = rules.MAX_PRICE_CENTS,
              payouts_ready: Callable[[str], bool] = lambda user_id: False) -> tuple[HelperPage, bool]:
    """Creates or replaces the signed-in user's page; True when it was created. Its paid prices
    show to visitors once `payouts_ready` (a storefront exists)."""
    profile = accounts.get(user_id)
    if profile is None:
        raise NotFound("No profile exists for this account.")
    before = pages.get(user_id)
    stamp = now()
    problems = Problems()  # every invalid field at once, so the form can mark them all
    checked = {
        "headline": problems.check(lambda: rules.check_text(fields["headline"], field_name="headline",
                                                            maximum=rules.HEADLINE_MAX, required=True)),
        "offer": problems.check(lambda: rules.check_text(fields["offer"], field_name="offer",
                                                         maximum=rules.OFFER_MAX, required=True)),
        "qualifications": problems.check(lambda: rules.check_text(
            fields["qualifications"], field_name="qualifications", maximum=rules.QUALIFICATIONS_MAX)),
        "languages": problems.check(lambda: rules.check_languages(fields["languages"])),
        "time_zone": problems.check(lambda: rules.check_time_zone(fields["time_zone"])),
        "prices": problems.check(lambda: rules.check_prices(fields["prices"], max_price_cents)),
        "schedule": problems.check(lambda: rules.check_schedule(fields["schedule"])),
        "links": problems.check(lambda: rules.check_links(fields["links"])),
    }
    problems.raise_any()
    page = HelperPage(
        user_id=user_id,
        username=profile.username,
        display_name=profile.display_name,
        **checked,
        avatar_key=before.avatar_key if before else None,
        categories=before.categories if before else (),
        rating_total=before.rating_total if before else 0,
        rating_count=before.rating_count if before else 0,
        payouts_ready=payouts_ready(user_id),
        created_at=before.created_at if before else stamp,
        updated_at=stamp,
    )
    return save_and_publish(before, page, pages, directory), before is None


def payouts_set_up(*, user_id: str, pages: HelperPageStore, directory: Directory) -> None:
    """The Helper's storefront now says where payouts go: their paid prices show on their page,
    cards and search from now on."""
    page = pages.get(user_id)
    if page is not None and not page.payouts_ready:
        save_and_publish(page, page.with_changes(payouts_ready=True), pages, directory)


def change_username(*, user_id: str, username: str, pages: HelperPageStore, accounts: AccountStore,
                    directory: Directory, now: Callable[[], str], brand_name: str, change_every_days: int) -> str:
    """Moves the page to a new address; every old address keeps redirecting to the current one,
    so the name changes at most once every `change_every_days` days (old names stay held)."""
    account_rules.check_username(username, brand=brand_name)
    profile = accounts.get(user_id)
    if profile is None:
        raise NotFound("No profile exists for this account.")
    if username == profile.username:
        return username
    stamp = now()
    account_rules.check_username_change(profile.username_changed_at, now=stamp, every_days=change_every_days)
    accounts.change_username(user_id, profile.username, username, changed_at=stamp)
    before = pages.get(user_id)
    if before is not None:
        save_and_publish(before, before.with_changes(username=username, updated_at=stamp), pages, directory)
    return username


@dataclass(frozen=True)
class Redirect:
    """The page moved: the username asked for is an old name of `username`."""

    username: str


@dataclass(frozen=True)
class PublicPage:
    """A Helper's page as the public sees it, with what it shows beside it."""

    page: HelperPage
    status: Status
    category_names: dict[str, str]  # slug -> name, for the categories that exist
    followers: int = 0  # how many people follow the Helper
    alongside: Mapping[str, Any] = field(default_factory=dict)  # what find_public_page's `alongside` reads gave


def page_named(username: str, *, accounts: AccountStore, pages: HelperPageStore) -> HelperPage:
    """The page of whoever is or was called `username` (in any case): one Query of the pages'
    index, and only when it knows nothing (an old name, a page saved before the index or a
    moment ago, no one) the usernames table and the page."""
    if not isinstance(username, str) or not 1 <= len(username) <= 64:  # no one is called that
        raise NotFound(f"No Helper is called '{str(username)[:64]}'.")
    page = pages.find_by_username(username)
    if page is None:
        user_id = accounts.owner_of_username(username)
        page = pages.get(user_id) if user_id else None
    if page is None or page.disqualified is not None:  # a disqualified Helper's pages are gone for everyone
        raise NotFound(f"No Helper is called '{username}'.")
    return page


def find_public_page(*, username: str, accounts: AccountStore, pages: HelperPageStore, facts: PageFacts,
                     alongside: Mapping[str, Callable[[HelperPage], Any]] | None = None) -> PublicPage | Redirect:
    """The page at `/h/<username>`; a Redirect when the name is old or differently cased.
    Two round trips when the pages' index knows the name: the page, then its Helper's status,
    category names and follower count together, and beside that read, at the same time, each of
    `alongside` the page shows (its `sections`: the latest posts, the upcoming events)."""
    page = page_named(username, accounts=accounts, pages=pages)
    if page.username != username:
        return Redirect(page.username)
    reads = {name: read for name, read in (alongside or {}).items() if name in page.sections}
    if not reads:
        return PublicPage(page, *facts.status_names_and_followers(page.user_id, page.categories))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(reads)) as pool:
        others = {name: pool.submit(read, page) for name, read in reads.items()}
        status, names, followers = facts.status_names_and_followers(page.user_id, page.categories)
        return PublicPage(page, status, names, followers, {name: other.result() for name, other in others.items()})


def request_avatar_upload(*, user_id: str, content_type: str, pages: HelperPageStore, storage: UploadStorage,
                          max_bytes: int, site_url: str) -> dict:
    if pages.get(user_id) is None:
        raise NotFound("Create your page before adding a picture.")
    extension = rules.AVATAR_TYPES.get(content_type)
    if extension is None:
        raise InvalidInput("Pictures are JPEG, PNG or WebP.", field="content_type")
    key = f"{rules.avatar_upload_prefix(user_id)}{uuid.uuid4().hex}.{extension}"
    redirect = f"{site_url}/become-a-helper.html?avatar={key}"
    post = storage.presigned_post(key=key, content_type=content_type, max_bytes=max_bytes, redirect=redirect)
    return {"url": post["url"], "fields": post["fields"], "key": key, "max_bytes": max_bytes}


def set_avatar(*, user_id: str, key: str, pages: HelperPageStore, storage: UploadStorage, max_bytes: int,
               directory: Directory, now: Callable[[], str]) -> HelperPage:
    """Shows an uploaded picture once it is checked (the Helper's own upload, a real image of the
    type it claims, within the size) and redrawn at the size it is shown at."""
    picture_id = upload_id(key, prefix=rules.avatar_upload_prefix(user_id), extensions=rules.AVATAR_TYPES.values())
    if picture_id is None:
        raise Forbidden("That picture is not yours.")
    before = pages.get(user_id)
    if before is None:
        raise NotFound("Create your page before adding a picture.")
    shown = f"{rules.avatar_prefix(user_id)}{picture_id}.webp"
    if before.avatar_key == shown:
        return before  # a retry of the picture already shown
    publish_upload(storage=storage, upload_key=key, sizes={shown: rules.AVATAR_SIZE}, max_bytes=max_bytes,
                   refusal=f"Pictures are JPEG, PNG or WebP files of at most {max_bytes // 1024 // 1024} MB.")
    after = save_and_publish(before, before.with_changes(avatar_key=shown, updated_at=now()), pages, directory)
    if before.avatar_key:
        storage.delete(before.avatar_key)  # the old picture is shown nowhere any more
    return after
