"""A blog post's Markdown as sanitized HTML: the Helper-text subset of rich_text (paragraphs,
emphasis, lists, links, code, quotes) plus what a post needs — headings (shifted under the page's
own h1), pictures uploaded for the post (only those: a picture from anywhere else is dropped), a
rule, code blocks, and a poll placed on a line of its own as `[poll:<poll_id>]`, which becomes an
empty `<div class="poll-slot" data-poll="<id>">` the page script fills.

As for rich_text, raw HTML is never passed through and the rendered HTML always goes through an
allowlist sanitizer (nh3); markdown-it-py and nh3 load on first use.
"""
from __future__ import annotations

import functools
import re
from typing import Any

from chalicelib.domain import rich_text
from chalicelib.domain.user_text import visible_text

# The pictures a post may show: its own uploads, redrawn at these two widths (`<key>/1600.webp`).
PICTURE_FULL, PICTURE_CARD = 1600, 640
PICTURE_SRC = re.compile(r"/media/posts/[A-Za-z0-9_-]{1,64}/[0-9a-z-]{1,40}/[0-9a-f]{32}/(?:1600|640)\.webp")
POLL_LINE = re.compile(r"<p>\[poll:([0-9a-z-]{1,40})\]</p>")
_NO_SOURCE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")  # a picture from elsewhere, its src dropped

ALLOWED_TAGS = rich_text.ALLOWED_TAGS | {"h2", "h3", "h4", "img", "hr", "pre"}
ALLOWED_ATTRIBUTES = {**rich_text.ALLOWED_ATTRIBUTES,
                      "img": {"src", "srcset", "sizes", "alt", "loading", "decoding"}}
_BLOCK_RULES = rich_text._BLOCK_RULES + ["heading", "hr", "fence", "code"]
_INLINE_RULES = rich_text._INLINE_RULES + ["image"]
IMAGE_SIZES = "(min-width: 46rem) 44rem, 100vw"  # the post's column (post.css)


@functools.lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    parser.enable(_BLOCK_RULES + _INLINE_RULES)
    return parser


def _attribute(tag: str, name: str, value: str) -> str | None:
    """Links are full addresses (as on the rest of the page); pictures only the post's own."""
    if tag == "a" and name == "href":
        return value if re.match(r"(?i)(https?:|mailto:)", value) else None
    if tag == "img" and name == "src":
        return value if PICTURE_SRC.fullmatch(value) else None
    if tag == "img" and name == "srcset":
        return value if all(PICTURE_SRC.fullmatch(part.strip().split(" ")[0]) for part in value.split(",")) \
            else None
    return value


@functools.lru_cache(maxsize=1)
def _cleaner() -> Any:
    import nh3

    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS), clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute, url_schemes=set(rich_text.URL_SCHEMES), url_relative="pass_through",
        link_rel=rich_text.LINK_REL, strip_comments=True)


def _shaped(tokens: list) -> list:
    """Headings under the page's h1 (the post's highest level is h2, the next h3, then h4, so
    none is skipped whether the Helper starts at # or ##); pictures lazy, with both sizes."""
    levels = sorted({int(t.tag[1]) for t in tokens if t.type == "heading_open"})
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(levels.index(int(token.tag[1])) + 2, 4)}"
        for child in token.children or ():
            if child.type == "image":
                src = str(child.attrGet("src") or "")
                child.attrSet("loading", "lazy")
                child.attrSet("decoding", "async")
                if src.endswith(f"/{PICTURE_FULL}.webp"):
                    card = src[: -len(f"{PICTURE_FULL}.webp")] + f"{PICTURE_CARD}.webp"
                    child.attrSet("srcset", f"{card} {PICTURE_CARD}w, {src} {PICTURE_FULL}w")
                    child.attrSet("sizes", IMAGE_SIZES)
    return tokens


def render_post(source: str) -> str:
    """The post's Markdown as sanitized HTML, safe to insert into a page unescaped."""
    source = visible_text(source or "")
    if not source.strip():
        return ""
    parser = _markdown()
    env: dict = {}
    html = parser.renderer.render(_shaped(parser.parse(source, env)), parser.options, env)
    clean = _NO_SOURCE.sub("", _cleaner().clean(html)).strip()
    return POLL_LINE.sub(lambda m: f'<div class="poll-slot" data-poll="{m.group(1)}"></div>', clean)


def poll_ids(source: str) -> list[str]:
    """The polls placed in a post, in order."""
    return re.findall(r"(?m)^\[poll:([0-9a-z-]{1,40})\]\s*$", visible_text(source or ""))


def plain_words(source: str, max_length: int) -> str:
    """The post reduced to its words (headings and code too, no markup), for its excerpt and
    meta description; text, not HTML."""
    source = visible_text(source or "")
    if not source.strip():
        return ""
    words = rich_text.words_of(_markdown().parse(source))
    text = re.sub(r"\s+", " ", re.sub(r"\[poll:[0-9a-z-]{1,40}\]", " ", words)).strip()
    return rich_text._shorten(text, max_length)  # placed polls are not words
