"""Words people search helpers by: normalised the same way when indexed and when asked."""
from __future__ import annotations

import re
import unicodedata

MIN_TERM = 2
MAX_TERM = 30
MAX_TERMS_PER_PAGE = 400
MAX_QUERY_WORDS = 5
STOP_WORDS = frozenset("""a an and are as at be by for from has have i in is it its me my of on or our
so that the their this to was we with you your""".split())


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", _fold(text))
            if MIN_TERM <= len(w) <= MAX_TERM and w not in STOP_WORDS]


def index_terms(*texts: str) -> set[str]:
    """The distinct terms a page is found by (name, username, headline, categories, offer), at
    most MAX_TERMS_PER_PAGE: short texts first, so a long offer never crowds out the name."""
    terms: list[str] = []
    for text in sorted(texts, key=len):
        for word in words(text):
            if word not in terms:
                terms.append(word)
                if len(terms) == MAX_TERMS_PER_PAGE:
                    return set(terms)
    return set(terms)


def query_terms(query: str) -> list[str]:
    """The words of a search, each matched as a prefix of an indexed term ("plumb" → plumbing)."""
    unique: list[str] = []
    for word in words(query):
        if word not in unique:
            unique.append(word)
    return unique[:MAX_QUERY_WORDS]


def partition_of(term: str) -> str:
    """Terms are stored under their first two letters, so a prefix is one Query."""
    return term[:MIN_TERM]
