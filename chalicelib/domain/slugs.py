"""Addresses made from titles (a product's, a post's): lower-case ASCII words joined by '-'."""
from __future__ import annotations

import re
import unicodedata

from chalicelib.domain.errors import InvalidInput

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 60


def slug_of(title: str, *, fallback: str) -> str:
    """An address from a title; `fallback` when the title has no letter or digit to keep."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    ascii_only = "".join(c for c in folded if c.isascii())
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_only))[:SLUG_MAX].strip("-")
    return slug or fallback


def check_slug(slug: object, *, what: str) -> str:
    if not isinstance(slug, str) or len(slug) > SLUG_MAX or not SLUG_PATTERN.fullmatch(slug):
        raise InvalidInput(f"{what}'s address is lower-case letters, digits and '-', at most {SLUG_MAX}.",
                           field="slug")
    return slug
