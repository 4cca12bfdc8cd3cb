"""Text people write that others see: one rule for what of it may be shown.

Bidi controls make `Support \\u202eecilA\\u202c` read as "Support Alice", and zero-width
characters make two names that look alike differ (or hide a word from a check). Every checker of
user text, and every view of text stored before this rule, passes it through `visible_text`,
which removes:

- every format character (Unicode category Cf): bidi embeddings, overrides, isolates and marks
  (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), zero-width space (U+200B), word
  joiner and invisible operators (U+2060-U+2064), soft hyphen (U+00AD), the byte order mark
  (U+FEFF), interlinear annotation, tags, ...;
- characters that draw nothing though they are not Cf: the Hangul fillers, the braille blank,
  the combining grapheme joiner, Khmer's two invisible vowels;
- lone surrogates (DynamoDB cannot store them) and any variation selector after the first one a
  character takes (a run of them is a hidden message, not a glyph).

Two exceptions keep real writing whole. The zero-width joiner and non-joiner (U+200D, U+200C)
stay between two visible characters that are neither ASCII nor Latin letters: emoji sequences
(👩‍💻, 👨‍👩‍👧) need the joiner, and Persian, Arabic and the Indic scripts need both to spell
words. Beside Latin letters, digits, spaces or punctuation, or at either end, they change nothing
a reader sees and only hide things, so they go. Tag characters stay only where they mean
something: in a subdivision flag (🏴 + tag letters + cancel tag, e.g. England's flag).

Control characters (category Cc) are refused, not removed, by the checkers (`has_control_characters`):
a NUL or an escape in a name is a mistake or an attack worth saying no to.
"""
from __future__ import annotations

import re
import unicodedata

JOINERS = frozenset("\u200c\u200d")
# Not Cf, yet they draw nothing: CGJ, Hangul fillers, Khmer inherent vowels, braille blank.
DRAWS_NOTHING = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")
_FLAG_SEQUENCE = re.compile("\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F")


def _is_variation_selector(char: str) -> bool:
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


def _can_join(char: str | None) -> bool:
    """Whether a joiner beside `char` can be part of real writing (an emoji, a non-Latin script)."""
    if char is None or char.isascii():
        return False
    if _is_variation_selector(char):
        return True  # 👁️‍🗨️: the joiner follows the first emoji's selector
    return unicodedata.category(char)[0] in "LMS" and "LATIN" not in unicodedata.name(char, "")


def visible_text(text: str) -> str:
    """`text` without invisible format characters, as the module docstring lists them."""
    if text.isascii():
        return text  # ASCII has no format characters (controls are the checkers' to refuse)
    in_flags = {i for match in _FLAG_SEQUENCE.finditer(text) for i in range(match.start() + 1, match.end())}
    shown: list[str] = []
    for index, char in enumerate(text):
        if index in in_flags:
            shown.append(char)
        elif char in JOINERS:
            following = text[index + 1] if index + 1 < len(text) else None
            if _can_join(shown[-1] if shown else None) and _can_join(following):
                shown.append(char)
        elif _is_variation_selector(char):
            if shown and not (_is_variation_selector(shown[-1]) or shown[-1] in JOINERS or shown[-1].isspace()):
                shown.append(char)
        elif unicodedata.category(char) not in ("Cf", "Cs") and char not in DRAWS_NOTHING:
            shown.append(char)
    return "".join(shown)


def has_control_characters(text: str, allowed: str = "\n\t") -> bool:
    """C0, DEL and C1 controls (Unicode category Cc), but for the whitespace `allowed`."""
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def one_line(text: str) -> str:
    """A visible single line: invisible characters removed, runs of whitespace made one space."""
    return " ".join(visible_text(text).split())


def checked_text(value: object, *, field_name: str, maximum: int, what: str) -> str:
    """Plain text a person wrote (a review, a report's note), shown as text, never as HTML or
    links: "" for none, invisible characters removed, line ends made "\n", at most `maximum`
    characters; InvalidInput on `field_name` otherwise ("Write the <what> as text.")."""
    from chalicelib.domain.errors import InvalidInput

    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"Write the {what} as text.", field=field_name)
    if has_control_characters(value.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise InvalidInput("The text has characters that cannot be shown.", field=field_name)
    text = visible_text(value).replace("\r\n", "\n").strip()
    if len(text) > maximum:
        raise InvalidInput(f"At most {maximum:,} characters.", field=field_name)
    return text
