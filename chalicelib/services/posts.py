"""A Helper's blog: writing a post (a draft, scheduled for a time, or published), its cover and
the pictures in its body (uploaded to S3 under `incoming/`, redrawn into `media/` as product
pictures are), unpublishing and deleting; the publish job that puts scheduled posts out; what
visitors see; and ops hiding a reported post (services/moderation.py). The rules are `domain/posts.py`,
the body's rendering `domain/post_text.py`, the storage `adapters/posts.py`.

The first time a post is published its Helper's followers hear of it (`announce`, the follows
service's, which opens one fan-out per post however often it is called)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote

from chalicelib.domain import posts as rules
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.post_text import PICTURE_CARD, PICTURE_FULL, plain_words, render_post
from chalicelib.domain.posts import Post, PostStatus, SlugTaken
from chalicelib.domain.store import IMAGE_MAX_BYTES, IMAGE_TYPES
from chalicelib.observability import logger
from chalicelib.services.helper_pages import page_named
from chalicelib.services.pictures import INCOMING, publish_upload, upload_id

if TYPE_CHECKING:
    from chalicelib.adapters.posts import PostStore
    from chalicelib.adapters.uploads import UploadStorage

SLUG_TRIES = 20  # an address made from a title that is taken gets "-2", "-3"... (one given is a 409)
PUBLISH_BATCH = 100  # scheduled posts the job publishes per run (the next run, 5 minutes later, goes on)
PAGE_LIMIT = 50
ANNOUNCE = Callable[..., None]


def _no_announcement(**_: Any) -> None:
    """Followers are not told (the follows service is wired in deps.post_desk)."""


@dataclass(frozen=True)
class PostDesk:
    posts: PostStore
    pages: Any  # HelperPageStore
    accounts: Any  # AccountStore (old usernames)
    images: UploadStorage
    settings: Any
    announce: ANNOUNCE = field(default=_no_announcement)
    mailer: Any = None  # a Helper whose post ops hid is told why


def _new_post_id(now: int) -> str:
    return f"{now:012d}-{uuid.uuid4().hex[:8]}"


# -- what people see ----------------------------------------------------------------------------

def post_path(username: str, slug: str) -> str:
    return f"/h/{quote(username, safe='')}/blog/{slug}"


def _card(key: str) -> str:
    return key[: -len(f"{PICTURE_FULL}.webp")] + f"{PICTURE_CARD}.webp" if key.endswith(f"/{PICTURE_FULL}.webp") \
        else key


def post_view(post: Post, *, owner: bool = False, username: str | None = None) -> dict:
    """A post as the API shows it; its Helper also sees the Markdown, status and moderation."""
    view = {"post_id": post.post_id, "slug": post.slug, "title": post.title, "excerpt": post.excerpt,
            "body_html": post.body_html, "published_at": post.published_at if post.status is PostStatus.PUBLISHED
            else None, "date": post.date, "updated_at": post.updated_at,
            "cover": f"/{post.cover_key}" if post.cover_key else None,
            "cover_card": f"/{_card(post.cover_key)}" if post.cover_key else None,
            "url": post_path(username, post.slug) if username else None}
    if owner:
        view.update({"body": post.body, "status": post.status.value, "publish_at": post.publish_at,
                     "first_published_at": post.published_at, "created_at": post.created_at,
                     "images": [f"/{key}" for key in post.images], "hidden": post.hidden_note is not None,
                     "hidden_note": post.hidden_note, "version": post.version})
    return view


# -- the Helper's own posts ---------------------------------------------------------------------

def _page_of(helper_id: str, desk: PostDesk) -> Any:
    page = desk.pages.get(helper_id)
    if page is None:
        raise NotFound("Create your Helper page before writing posts.")
    return page


def _own(helper_id: str, post_id: object, desk: PostDesk) -> Post:
    post = desk.posts.get(helper_id, post_id) if isinstance(post_id, str) and 0 < len(post_id) <= 40 else None
    if post is None:
        raise NotFound("You have no such post.")
    return post


def _announce_if_first(before: Post | None, after: Post, desk: PostDesk, now: int) -> None:
    if not rules.first_published(before, after):
        return
    page = desk.pages.get(after.helper_id)
    if page is None:
        return
    desk.pages.add_section(after.helper_id, "posts")  # the Helper's page shows their latest posts now
    if page.disqualified is not None:  # services.standing: hidden, so their followers hear nothing
        return
    try:
        desk.announce(helper_id=after.helper_id, kind="post", item_id=after.post_id, title=after.title,
                      path=post_path(page.username, after.slug), summary=after.excerpt, now=now)
    except Exception:  # the post is out; its announcement is told again by nobody, so say so loudly
        logger().exception("announcing a post failed", extra={"helper_id": after.helper_id,
                                                              "post_id": after.post_id})


def _checked(fields: dict, *, now: int, current: Post | None) -> rules.PostDraft:
    def given(name: str, default: Any) -> Any:
        return fields[name] if name in fields else default

    status = given("status", current.status.value if current else "draft")
    publish_at = given("publish_at", current.publish_at if current else None)
    slug = given("slug", current.slug if current else None)
    excerpt = given("excerpt", current.excerpt if current else None)
    draft = rules.check_post(title=given("title", current.title if current else None),
                             body=given("body", current.body if current else ""), excerpt=excerpt,
                             status=status, publish_at=publish_at if status == "scheduled" else None, now=now,
                             slug=slug)
    if excerpt:
        return draft
    return replace(draft, excerpt=plain_words(draft.body, rules.EXCERPT_MAX // 2))  # headings' words too


def create_post(*, helper_id: str, fields: dict, desk: PostDesk, now: int) -> Post:
    """A new post; an address made from its title that is taken gets a number, one the Helper
    chose that is taken is refused (slug_taken), and nothing is written."""
    page = _page_of(helper_id, desk)
    draft = _checked(fields, now=now, current=None)
    chosen = bool(fields.get("slug"))
    post = Post(helper_id=helper_id, post_id=_new_post_id(now), title=draft.title, slug=draft.slug,
                body=draft.body, body_html=render_post(draft.body), excerpt=draft.excerpt, status=draft.status,
                created_at=now, updated_at=now, publish_at=draft.publish_at,
                published_at=now if draft.status is PostStatus.PUBLISHED else None)
    for attempt in range(1, SLUG_TRIES + 1):
        candidate = post if attempt == 1 else replace(post, slug=f"{draft.slug[:55]}-{attempt}")
        try:
            desk.posts.create(candidate)
        except SlugTaken:
            if chosen:
                raise
            continue
        _announce_if_first(None, candidate, desk, now)
        logger().info("post created", extra={"helper_id": helper_id, "post_id": candidate.post_id,
                                             "status": candidate.status.value, "username": page.username})
        return candidate
    raise SlugTaken("Your posts already use this title's address; choose one.", field="slug")


def my_posts(*, helper_id: str, desk: PostDesk, limit: int, after: dict | None) -> tuple[list[Post], dict | None]:
    if not 1 <= limit <= PAGE_LIMIT:
        raise InvalidInput(f"limit is 1 to {PAGE_LIMIT}.", field="limit")
    return desk.posts.for_helper(helper_id, limit=limit, after=after)


def my_post(*, helper_id: str, post_id: object, desk: PostDesk) -> Post:
    return _own(helper_id, post_id, desk)


def _changed(before: Post, after: Post, desk: PostDesk) -> Post:
    if not desk.posts.change(before, after):
        raise Conflict("The post was changed in another tab meanwhile; reload it and save again.")
    return after


def update_post(*, helper_id: str, post_id: object, fields: dict, desk: PostDesk, now: int) -> Post:
    """The post as the Helper saved it (a field left out stays as it was). Publishing it for
    the first time tells their followers."""
    post = _own(helper_id, post_id, desk)
    if "version" in fields and fields["version"] != post.version:
        raise Conflict("The post was changed in another tab meanwhile; reload it and save again.")
    draft = _checked(fields, now=now, current=post)
    after = _changed(post, rules.edited(post, draft, body_html=render_post(draft.body), now=now), desk)
    _announce_if_first(post, after, desk, now)
    return after


def unpublish_post(*, helper_id: str, post_id: object, desk: PostDesk, now: int) -> Post:
    """Back to a draft: visitors no longer see it (a scheduled post no longer goes out)."""
    post = _own(helper_id, post_id, desk)
    if post.status is PostStatus.DRAFT:
        return post
    return _changed(post, rules.unpublished(post, now=now), desk)


def delete_post(*, helper_id: str, post_id: object, desk: PostDesk) -> None:
    """The post, its address and its pictures, gone."""
    post = _own(helper_id, post_id, desk)
    desk.posts.delete(post)
    for key in (post.cover_key, *post.images):
        if key:
            for stored in {key, _card(key)}:
                desk.images.delete(stored)


def preview(*, body: object) -> str:
    """The body as the post page will show it (the same renderer and sanitizer)."""
    if not isinstance(body, str) or len(body) > rules.BODY_MAX:
        raise InvalidInput(f"The post is at most {rules.BODY_MAX:,} characters.", field="body")
    return render_post(body)


# -- pictures -------------------------------------------------------------------------------------

def _upload_prefix(post: Post) -> str:
    return f"{INCOMING}posts/{post.helper_id}/{post.post_id}/"


def _picture_sizes(post: Post, picture_id: str) -> dict[str, int]:
    prefix = f"media/posts/{post.helper_id}/{post.post_id}/{picture_id}/"
    return {f"{prefix}{size}.webp": size for size in (PICTURE_FULL, PICTURE_CARD)}


def request_image_upload(*, helper_id: str, post_id: object, content_type: object, desk: PostDesk) -> dict:
    """A presigned POST for a picture of the post (JPEG, PNG or WebP, up to 5 MB; S3 enforces both)."""
    post = _own(helper_id, post_id, desk)
    extension = IMAGE_TYPES.get(content_type) if isinstance(content_type, str) else None
    if extension is None:
        raise InvalidInput("Pictures are JPEG, PNG or WebP.", field="content_type")
    if len(post.images) >= rules.MAX_INLINE_IMAGES:
        raise Conflict(f"A post has at most {rules.MAX_INLINE_IMAGES} pictures.")
    key = f"{_upload_prefix(post)}{uuid.uuid4().hex}.{extension}"
    redirect = f"{desk.settings.site_url}/posts.html?post={post.post_id}"
    upload = desk.images.presigned_post(key=key, content_type=content_type, max_bytes=IMAGE_MAX_BYTES,
                                        redirect=redirect)
    return {"url": upload["url"], "fields": upload["fields"], "key": key, "max_bytes": IMAGE_MAX_BYTES}


def add_image(*, helper_id: str, post_id: object, key: object, cover: bool, desk: PostDesk,
              now: int) -> tuple[Post, str]:
    """An uploaded picture checked and redrawn (the Helper's own upload for this post, a real
    image of its type, within the size): the post's cover (the old one deleted), or one more
    picture for its body. Returns the post and the picture's address."""
    post = _own(helper_id, post_id, desk)
    picture_id = upload_id(key, prefix=_upload_prefix(post), extensions=IMAGE_TYPES.values())
    if picture_id is None:
        raise InvalidInput("That picture is not one of this post's uploads.", field="key")
    sizes = _picture_sizes(post, picture_id)
    shown = next(iter(sizes))
    if shown == post.cover_key or shown in post.images:
        return post, f"/{shown}"  # a retry of a picture already added
    if not cover and len(post.images) >= rules.MAX_INLINE_IMAGES:
        raise Conflict(f"A post has at most {rules.MAX_INLINE_IMAGES} pictures.")
    publish_upload(storage=desk.images, upload_key=key, sizes=sizes, max_bytes=IMAGE_MAX_BYTES,
                   refusal="Pictures are JPEG, PNG or WebP files of at most 5 MB.")
    changes = {"cover_key": shown} if cover else {"images": (*post.images, shown)}
    after = _changed(post, replace(post, **changes, updated_at=now, version=post.version + 1), desk)
    if cover and post.cover_key:
        for stored in {post.cover_key, _card(post.cover_key)}:
            desk.images.delete(stored)
    return after, f"/{shown}"


def remove_cover(*, helper_id: str, post_id: object, desk: PostDesk, now: int) -> Post:
    post = _own(helper_id, post_id, desk)
    if post.cover_key is None:
        return post
    after = _changed(post, replace(post, cover_key=None, updated_at=now, version=post.version + 1), desk)
    for stored in {post.cover_key, _card(post.cover_key)}:
        desk.images.delete(stored)
    return after


# -- the publish job ------------------------------------------------------------------------------

def publish_due_posts(*, desk: PostDesk, now: int, limit: int = PUBLISH_BATCH) -> int:
    """Publishes the scheduled posts whose time has come (each once: a post published by another
    run meanwhile is left alone) and tells followers of those out for the first time; how many."""
    published = 0
    for post in desk.posts.due(now, limit=limit):
        after = rules.published_when_due(post, now=now)
        if after is None or not desk.posts.change(post, after):
            continue
        published += 1
        _announce_if_first(post, after, desk, now)
    if published:
        logger().info("scheduled posts published", extra={"published": published})
    return published


# -- what visitors see ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicPosts:
    page: Any  # the Helper's page (its username may differ from the one asked for: redirect)
    posts: list[Post]
    after: dict | None


def public_posts(*, username: str, desk: PostDesk, now: int, limit: int, after: dict | None = None) -> PublicPosts:
    """The posts visitors see on the Helper's blog, newest first."""
    if not 1 <= limit <= PAGE_LIMIT:
        raise InvalidInput(f"limit is 1 to {PAGE_LIMIT}.", field="limit")
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    found, last = desk.posts.public(page.user_id, now=now, limit=limit, after=after)
    return PublicPosts(page, found, last)


def public_post(*, username: str, slug: object, desk: PostDesk, now: int) -> tuple[Any, Post]:
    page = page_named(username, accounts=desk.accounts, pages=desk.pages)
    post = desk.posts.by_slug(page.user_id, slug) if isinstance(slug, str) and 0 < len(slug) <= 80 else None
    if post is None or not post.is_public(now):
        raise NotFound("No such post.")
    return page, post


# -- moderation (reports are services/moderation.py) --------------------------------------------

def hide_post(*, helper_id: str, post_id: str, note: str, now: int, desk: PostDesk) -> Post | None:
    """Ops hides a reported post: it leaves the blog (its Helper sees why in their editor) and its
    Helper is told by email."""
    from chalicelib.services.emails import tell_hidden

    post = desk.posts.get(helper_id, post_id)
    if post is None or post.hidden_note is not None:
        return post
    after = _changed(post, replace(post, hidden_note=note, version=post.version + 1, updated_at=now), desk)
    tell_hidden(desk, helper_id, what="blog post", title=post.title, note=note, url=f"/posts.html?post={post_id}")
    return after
