"""Helper-written text: a small, safe subset of Markdown rendered to sanitized HTML, or to plain words.

The subset is paragraphs, line breaks, **bold**, *italic*, lists, links, `code` and quotes.
Raw HTML is never passed through (it is escaped as text), and the rendered HTML always goes
through an allowlist sanitizer, so a gap in one layer is closed by the other.
markdown-it-py and nh3 load on first use, not at cold import. A page's text is rendered when the
page is saved (`ShownText`), so showing it needs neither.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.user_text import visible_text

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "blockquote"})
ALLOWED_ATTRIBUTES = {"a": {"href"}, "*": set()}  # "*": no generic ones (nh3 allows title, lang)
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"

# The zero preset enables nothing; these are the only syntaxes Helpers may use. `escape` lets
# people write a literal \*, `entity` turns &amp; into &, and `autolink` is the built-in
# <https://...> form (bare-URL linkify would need another dependency, so it stays off).
_BLOCK_RULES = ["paragraph", "list", "blockquote"]
_INLINE_RULES = ["newline", "escape", "backticks", "emphasis", "link", "autolink", "entity"]

_WHITESPACE = re.compile(r"\s+")
# Raised whenever the subset or the sanitizer changes: text rendered by an older one is rendered
# again when it is read, and stored again at the next save.
RENDERING = 1
SUMMARY_MAX = 200


@dataclass(frozen=True)
class ShownText:
    """A page's Markdown as it is shown, rendered when the page is saved."""

    offer_html: str
    qualifications_html: str
    offer_summary: str  # the offer's words, for the meta description (text: escape it)
    rendering: int = RENDERING


def shown_text(offer: str, qualifications: str) -> ShownText:
    return ShownText(offer_html=render_markdown(offer), qualifications_html=render_markdown(qualifications),
                     offer_summary=plain_text(offer, SUMMARY_MAX))


@functools.lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False,
                                 "typographer": False})
    parser.enable(_BLOCK_RULES + _INLINE_RULES)
    return parser


@functools.lru_cache(maxsize=1)
def _cleaner() -> Any:
    import nh3

    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",  # links are full addresses, as on the rest of the page
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(source: str) -> str:
    """The Helper's Markdown as sanitized HTML, safe to insert into a page unescaped."""
    source = visible_text(source or "")  # text stored before invisible characters were refused
    if not source.strip():
        return ""
    html = _markdown().render(source)
    return _cleaner().clean(html).strip()


def plain_text(source: str, max_length: int = 200) -> str:
    """The Markdown reduced to its words (no markup, no link addresses), for meta descriptions
    and search; cut at a word boundary with an ellipsis when longer than `max_length`.

    The result is text, not HTML: it still needs escaping wherever it is shown.
    """
    if max_length < 1:
        raise ValueError("max_length must be at least 1")
    source = visible_text(source or "")
    if not source.strip():
        return ""
    text = words_of(_markdown().parse(source))
    return _shorten(text, max_length)


def words_of(tokens: Any) -> str:
    """The words of parsed Markdown (markdown-it's block tokens), one space between each and
    none around: its text and inline code, no markup, no link addresses."""
    words: list[str] = []
    for block in tokens:
        if block.type == "inline":
            for token in block.children or ():
                if token.type in ("text", "code_inline"):
                    words.append(token.content)
                elif token.type in ("softbreak", "hardbreak"):
                    words.append(" ")
        elif block.type.endswith("_close"):  # paragraphs and list items end a phrase
            words.append(" ")
    return _WHITESPACE.sub(" ", "".join(words)).strip()


def _shorten(text: str, max_length: int) -> str:
    if len(text) <= max_length:
        return text
    cut = text[: max_length - 1]
    space = cut.rfind(" ")
    if space > max_length // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"
