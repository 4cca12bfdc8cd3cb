"""Server-rendered HTML of a Helper's blog: the list (`/h/<username>/blog`, newest first, paged)
and a post (`/h/<username>/blog/<slug>`, schema.org `BlogPosting`), shareable and fast like the
Helper's page and the store, and the blog's RSS and Atom feeds (feedgenerator).

Every value is escaped by Jinja's autoescape; only a post's `body_html` (rendered and sanitized by
domain.post_text when it was saved) is inserted as HTML, and the JSON-LD is serialized by
page_html.json_ld. No inline script or style: the page script (/js/pages/blog.js) fills the header
and footer, runs the Report form and fills the polls placed in a post."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import quote, urlencode

from chalicelib.api.page_html import DEFAULT_OG_IMAGE, SITE_NAME, json_ld, render
from chalicelib.domain.post_text import PICTURE_CARD, PICTURE_FULL
from chalicelib.domain.posts import Post
from chalicelib.domain.user_text import visible_text

PAGE_SCRIPT = "/js/pages/blog.js"
DESCRIPTION_MAX = 200


def _when(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def _day(seconds: int) -> str:
    return f"{_when(seconds):%B} {_when(seconds).day}, {_when(seconds).year}"


def _iso(seconds: int) -> str:
    return _when(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def _card_picture(key: str) -> str:
    full = f"/{PICTURE_FULL}.webp"
    return f"{key[:-len(full)]}/{PICTURE_CARD}.webp" if key.endswith(full) else key


def _author(page: Any) -> dict[str, Any]:
    name = visible_text(page.display_name).strip() or page.username
    base = f"/h/{quote(page.username, safe='')}"
    return {"user_id": page.user_id, "username": page.username, "name": name, "page_href": base,
            "store_href": f"{base}/store", "blog_href": f"{base}/blog",
            "avatar": f"/{page.avatar_key}" if getattr(page, "avatar_key", None) else None,
            "initials": "".join(w[0] for w in name.split() if w[:1].isalnum())[:2].upper() or "?"}


def post_card(post: Post, *, username: str) -> dict[str, Any]:
    """A post as lists show it (the blog, the Helper's page)."""
    return {"title": visible_text(post.title), "excerpt": visible_text(post.excerpt),
            "href": f"/h/{quote(username, safe='')}/blog/{post.slug}", "date": _day(post.date),
            "datetime": _iso(post.date),
            "cover": f"/{_card_picture(post.cover_key)}" if post.cover_key else None}


def _blog_url(site_url: str, username: str) -> str:
    return f"{site_url}/h/{quote(username, safe='')}/blog"


def render_blog(*, page: Any, posts: Iterable[Post], next_cursor: str | None, first_page: bool,
                site_url: str) -> str:
    site_url = site_url.rstrip("/")
    author = _author(page)
    url = _blog_url(site_url, page.username)
    cards = [post_card(p, username=page.username) for p in posts]
    data = {"@context": "https://schema.org", "@type": "Blog", "name": f"{author['name']}'s blog", "url": url,
            "author": {"@type": "Person", "name": author["name"], "url": site_url + author["page_href"]},
            "blogPost": [{"@type": "BlogPosting", "headline": c["title"], "url": site_url + c["href"],
                          "datePublished": c["datetime"]} for c in cards]}
    return render("blog_page.html", page_script=PAGE_SCRIPT, site_url=site_url, page_url=url, author=author,
                  posts=cards, first_page=first_page, structured_data=json_ld(data),
                  description=f"Posts by {author['name']} on {SITE_NAME}.",
                  og_image=site_url + (author["avatar"] or DEFAULT_OG_IMAGE),
                  feeds=_feeds(url, author["name"]),
                  next_href=f"{url}?{urlencode({'cursor': next_cursor})}" if next_cursor else None)


def _feeds(blog_url: str, name: str) -> list[dict[str, str]]:
    return [{"href": f"{blog_url}/rss.xml", "type": "application/rss+xml", "title": f"{name}'s blog (RSS)"},
            {"href": f"{blog_url}/atom.xml", "type": "application/atom+xml", "title": f"{name}'s blog (Atom)"}]


def render_post_page(*, page: Any, post: Post, site_url: str) -> str:
    site_url = site_url.rstrip("/")
    author = _author(page)
    blog_url = _blog_url(site_url, page.username)
    url = f"{blog_url}/{post.slug}"
    title = visible_text(post.title)
    description = visible_text(post.excerpt)[:DESCRIPTION_MAX] or f"A post by {author['name']}."
    cover = None
    if post.cover_key:
        full, card = f"/{post.cover_key}", f"/{_card_picture(post.cover_key)}"
        cover = {"full": full, "card": card, "srcset": f"{card} {PICTURE_CARD}w, {full} {PICTURE_FULL}w"}
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "BlogPosting", "headline": title, "description": description,
        "url": url, "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": _iso(post.published_at or post.date), "dateModified": _iso(max(post.updated_at, post.date)),
        "author": {"@type": "Person", "name": author["name"], "url": site_url + author["page_href"]},
        "publisher": {"@type": "Organization", "name": SITE_NAME, "url": site_url}}
    if cover:
        data["image"] = [site_url + cover["full"]]
    return render("post_page.html", page_script=PAGE_SCRIPT, site_url=site_url, page_url=url, author=author,
                  post={"title": title, "slug": post.slug, "body_html": post.body_html, "date": _day(post.date),
                        "report_id": f"{post.helper_id}/{post.post_id}",
                        "datetime": _iso(post.date), "cover": cover},
                  description=description, structured_data=json_ld(data), feeds=_feeds(blog_url, author["name"]),
                  og_image=site_url + (cover["full"] if cover else author["avatar"] or DEFAULT_OG_IMAGE),
                  published_time=_iso(post.published_at or post.date))


FEED_TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}


def render_feed(kind: str, *, page: Any, posts: Iterable[Post], site_url: str) -> tuple[str, str]:
    """The blog's newest posts as an RSS 2.0 or Atom 1.0 feed, and its content type. Each item's
    description is the post's sanitized HTML (readers show it), its link the post's page."""
    from feedgenerator import Atom1Feed, Rss201rev2Feed

    site_url = site_url.rstrip("/")
    author = _author(page)
    blog_url = _blog_url(site_url, page.username)
    feed_class = Atom1Feed if kind == "atom" else Rss201rev2Feed
    feed = feed_class(title=f"{author['name']}'s blog", link=blog_url, description=f"Posts by {author['name']} on "
                      f"{SITE_NAME}.", language="en", author_name=author["name"], feed_url=f"{blog_url}/{kind}.xml",
                      feed_guid=blog_url)
    for post in posts:
        link = f"{blog_url}/{post.slug}"
        feed.add_item(title=visible_text(post.title), link=link, unique_id=f"{site_url}/posts/{post.helper_id}/"
                      f"{post.post_id}", unique_id_is_permalink=False,
                      description=_absolute(post.body_html, site_url) or visible_text(post.excerpt),
                      pubdate=_when(post.published_at or post.date), updateddate=_when(max(post.updated_at,
                                                                                          post.date)),
                      author_name=author["name"])
    return feed.writeString("utf-8"), FEED_TYPES["atom" if kind == "atom" else "rss"]


def _absolute(html: str, site_url: str) -> str:
    """A post's pictures addressed in full: a feed reader shows them from elsewhere."""
    return html.replace('src="/media/', f'src="{site_url}/media/').replace(' /media/', f' {site_url}/media/') \
        .replace('srcset="/media/', f'srcset="{site_url}/media/')


def latest_post_cards(helper_id: str, username: str, *, limit: int = 3) -> list[dict[str, Any]]:
    """The Helper page's "Latest posts" (one Query); none when the blog cannot be read, so the
    page itself is always shown."""
    from chalicelib import deps
    from chalicelib.clock import now_seconds
    from chalicelib.observability import logger

    try:  # the store alone: the blog's desk (its uploads' S3 client, its services) is not the page's to load
        found, _ = deps.post_store().public(helper_id, now=now_seconds(), limit=limit)
        return [post_card(p, username=username) for p in found]
    except Exception:  # noqa: BLE001 - the page shows without its posts rather than fail
        logger().exception("the Helper page's latest posts could not be read", extra={"helper_id": helper_id})
        return []
