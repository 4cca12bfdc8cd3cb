"""A Helper's blog posts and their followers, as pure rules: a post is a draft, scheduled (a job
publishes it at its time) or published; its address comes from its title; its excerpt, if the
Helper gives none, from its first words. A follower chooses how they hear of new posts and
events: each one, a weekly digest, or nothing; sending to many goes out in batches."""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from chalicelib.domain import slugs
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.rich_text import plain_text
from chalicelib.domain.user_text import visible_text

TITLE_MAX = 150
BODY_MAX = 50_000
EXCERPT_MAX = 300
FURTHEST_SCHEDULE_DAYS = 365
SEND_BATCH = 50  # followers per step of a fan-out job (an email each; the job paces steps to SES's sending rate)


class PostStatus(str, Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


class FollowMode(str, Enum):
    EACH = "each"  # an email for each new post and event
    DIGEST = "digest"  # one email a week
    NONE = "none"  # followed, no email


@dataclass(frozen=True)
class PostDraft:
    """A post as its Helper wrote it (checked)."""

    title: str
    slug: str
    body: str  # the safe Markdown subset; rendered with rich_text.render_markdown
    excerpt: str
    status: PostStatus
    publish_at: int | None  # SCHEDULED: when the job publishes it


def check_post(*, title: object, body: object, excerpt: object, status: object, publish_at: object, now: int,
               slug: object = None) -> PostDraft:
    """A Helper's post, every field checked; the address is made from the title unless given."""
    name = visible_text(title).strip() if isinstance(title, str) else ""
    if not 1 <= len(name) <= TITLE_MAX:
        raise InvalidInput(f"A title of 1 to {TITLE_MAX} characters.", field="title")
    if not isinstance(body, str) or len(body) > BODY_MAX:
        raise InvalidInput(f"The post is at most {BODY_MAX:,} characters.", field="body")
    if excerpt is not None and (not isinstance(excerpt, str) or len(excerpt) > EXCERPT_MAX):
        raise InvalidInput(f"An excerpt is at most {EXCERPT_MAX} characters.", field="excerpt")
    if status not in {s.value for s in PostStatus}:
        raise InvalidInput("A post is a draft, scheduled or published.", field="status")
    state = PostStatus(status)
    when = None
    if state is PostStatus.SCHEDULED:
        if type(publish_at) is not int or not now < publish_at <= now + FURTHEST_SCHEDULE_DAYS * 86_400:
            raise InvalidInput("Schedule it for a time in the coming year.", field="publish_at")
        when = publish_at
    address = slugs.slug_of(name, fallback="post") if slug in (None, "") else slugs.check_slug(slug, what="A post")
    shown = visible_text(excerpt).strip() if excerpt else plain_text(body, max_length=EXCERPT_MAX // 2)
    return PostDraft(title=name, slug=address, body=body, excerpt=shown, status=state, publish_at=when)


def is_public(status: PostStatus, publish_at: int | None, now: int) -> bool:
    """Whether visitors see a post: published, or scheduled and its time has come (before the
    job has run)."""
    return status is PostStatus.PUBLISHED or (status is PostStatus.SCHEDULED and publish_at is not None
                                              and publish_at <= now)


def check_follow_mode(mode: object) -> FollowMode:
    if mode not in {m.value for m in FollowMode}:
        raise InvalidInput("Hear of each new post and event, a weekly digest, or nothing.", field="mode")
    return FollowMode(mode)


def batches(total: int, *, size: int = SEND_BATCH) -> list[tuple[int, int]]:
    """The `[first, last)` ranges a fan-out to `total` followers is sent in, in order (a resumed
    job starts at the first range not yet sent)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [(first, min(first + size, total)) for first in range(0, max(total, 0), size)]


# -- a post as it is kept -------------------------------------------------------------------------

class SlugTaken(Conflict):
    """Another of the Helper's posts has this address."""

    code = "slug_taken"


MAX_INLINE_IMAGES = 30  # pictures uploaded into one post's body


@dataclass(frozen=True)
class Post:
    """One of a Helper's posts. `post_id` sorts by creation ("<created_at, 12 digits>-<random>");
    `published_at` is set the first time it is published (its date, kept when it is unpublished
    and published again, which then announces nothing); `hidden_note` is set when ops hid it."""

    helper_id: str
    post_id: str
    title: str
    slug: str
    body: str
    body_html: str  # body rendered by post_text.render_post (sanitized)
    excerpt: str
    status: PostStatus
    created_at: int
    updated_at: int
    publish_at: int | None = None  # SCHEDULED: when it goes out
    published_at: int | None = None
    cover_key: str | None = None  # "media/posts/<helper>/<post>/<picture>/1600.webp"
    images: tuple[str, ...] = ()  # inline pictures uploaded for the body (their 1600 px keys)
    hidden_note: str | None = None
    version: int = 1

    @property
    def shown_from(self) -> int | None:
        """When visitors start to see it (None: never, as it stands): a published post from its
        date, a scheduled one from its time, even before the publish job has run."""
        if self.hidden_note is not None:
            return None
        if self.status is PostStatus.PUBLISHED:
            return self.published_at
        return self.publish_at if self.status is PostStatus.SCHEDULED else None

    def is_public(self, now: int) -> bool:
        return self.hidden_note is None and is_public(self.status, self.publish_at, now)

    @property
    def date(self) -> int:
        """The date a post shows: when it went (or goes) out, else when it was last saved."""
        return self.published_at or self.publish_at or self.updated_at


def edited(post: Post, draft: PostDraft, *, body_html: str, now: int) -> Post:
    """The post as its Helper saved it; a post published before keeps its first date."""
    published_at = post.published_at
    if draft.status is PostStatus.PUBLISHED and published_at is None:
        published_at = now
    return replace(post, title=draft.title, slug=draft.slug, body=draft.body, body_html=body_html,
                   excerpt=draft.excerpt, status=draft.status, publish_at=draft.publish_at,
                   published_at=published_at, updated_at=now, version=post.version + 1)


def published_when_due(post: Post, *, now: int) -> Post | None:
    """A scheduled post whose time has come, published (dated its scheduled time); None when
    there is nothing to do (not scheduled, or not yet)."""
    if post.status is not PostStatus.SCHEDULED or post.publish_at is None or post.publish_at > now:
        return None
    return replace(post, status=PostStatus.PUBLISHED, published_at=post.published_at or post.publish_at,
                   publish_at=None, version=post.version + 1)


def unpublished(post: Post, *, now: int) -> Post:
    """Back to a draft (a scheduled post is no longer scheduled); its first date is kept."""
    return replace(post, status=PostStatus.DRAFT, publish_at=None, updated_at=now, version=post.version + 1)


def first_published(before: Post | None, after: Post) -> bool:
    """Whether this change published the post for the first time (its followers hear of it)."""
    return after.status is PostStatus.PUBLISHED and (before is None or before.published_at is None)
