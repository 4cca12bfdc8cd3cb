"""A Helper's page: what they offer, prices, languages, time zone, weekly schedule, links."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Mapping
from urllib.parse import urlsplit

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.rich_text import RENDERING, ShownText, shown_text
from chalicelib.domain.user_text import has_control_characters, visible_text

SESSION_LENGTHS = (15, 30, 60)  # minutes a Helper prices
MAX_PRICE_CENTS = 1000_00  # $1,000 per session by default (settings.max_session_price_cents)
HEADLINE_MAX = 120
OFFER_MAX = 5000
QUALIFICATIONS_MAX = 3000
MAX_LANGUAGES = 10
MAX_LINKS = 8
MAX_SLOTS = 42
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")  # always used with fullmatch
TIME_PATTERN = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Slot:
    """A weekly window, in the Helper's own time zone: day 0 is Monday."""

    day: int
    start: str
    end: str


@dataclass(frozen=True)
class Link:
    """A link the Helper shows on their page."""

    label: str
    url: str


@dataclass(frozen=True)
class HelperPage:
    """A Helper's page: what it says, its prices and hours, and its counted reviews."""

    user_id: str
    username: str
    display_name: str
    headline: str
    offer: str
    qualifications: str = ""
    languages: tuple[str, ...] = ()
    time_zone: str = "UTC"
    prices: Mapping[int, int | None] = field(default_factory=dict)  # minutes -> cents; 0 free; None not offered
    schedule: tuple[Slot, ...] = ()
    links: tuple[Link, ...] = ()
    avatar_key: str | None = None
    categories: tuple[str, ...] = ()
    search_terms: tuple[str, ...] = ()  # the words it is indexed under, to remove them later
    plan: str = "free"  # see domain/plans.py
    # The counted reviews (domain.reviews): written by reviews only, never by a page save.
    rating_total: int = 0  # sum of stars
    rating_count: int = 0
    rating_counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)  # how many 1, 2, 3, 4, 5 stars
    payouts_ready: bool = False  # a storefront says where payouts go: paid prices may show
    # What else the page shows, marked by the blog ("posts") and events ("events") the first time
    # (never by a page save): the public page reads only those.
    sections: frozenset[str] = frozenset()
    # Ops disqualified the Helper (domain.standing.Standing): written only by services.standing,
    # never by a page save. None: in good standing.
    disqualified: Any = None
    rendered: ShownText | None = None  # the offer and qualifications as shown, as of the last save
    created_at: str = ""
    updated_at: str = ""

    def with_changes(self, **changes: Any) -> "HelperPage":
        return replace(self, **changes)

    def shown_text(self) -> ShownText:
        """The text as shown: as rendered at the last save, or rendered now for a page saved
        before that (or by an older renderer)."""
        if self.rendered is not None and self.rendered.rendering == RENDERING:
            return self.rendered
        return shown_text(self.offer, self.qualifications)

    def rendered_now(self) -> "HelperPage":
        """This page with its text rendered from its current sources, ready to save."""
        return replace(self, rendered=shown_text(self.offer, self.qualifications))

    @property
    def rating_average(self) -> float | None:
        """To one decimal, as shown ("4.8 · 126 reviews")."""
        return round(self.rating_total / self.rating_count, 1) if self.rating_count else None

    def without_ratings(self) -> "HelperPage":
        return replace(self, rating_total=0, rating_count=0, rating_counts=(0, 0, 0, 0, 0))


def check_prices(prices: Mapping[Any, Any], max_cents: int = MAX_PRICE_CENTS) -> dict[int, int | None]:
    """Cents per 15, 30 and 60 minutes; 0 means free, None (or absent) means not offered. Only
    true integers count: not `true`, "2500" or 4000.0."""
    checked: dict[int, int | None] = {}
    for minutes in SESSION_LENGTHS:
        value = prices.get(str(minutes), prices.get(minutes))
        if value is None:
            checked[minutes] = None
            continue
        if type(value) is not int or not 0 <= value <= max_cents:
            raise InvalidInput(f"The {minutes}-minute price is whole cents from 0 (free) to {max_cents}.",
                               field=f"prices.{minutes}")
        checked[minutes] = value
    unknown = {str(k) for k in prices} - {str(m) for m in SESSION_LENGTHS}
    if unknown:
        raise InvalidInput("Prices are for 15, 30 and 60 minute sessions.", field="prices")
    if all(v is None for v in checked.values()):
        raise InvalidInput("Offer at least one session length (it may be free).", field="prices")
    return checked


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA zones tzdata really has (not its folders, such as America/Argentina)."""
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    if not isinstance(name, str) or ("/" not in name and name != "UTC") or name not in time_zones():
        raise InvalidInput("Choose a time zone such as Europe/Paris.", field="time_zone")
    return name


def web_address(url: str) -> str | None:
    """An absolute http(s) address with a host, or None: never an exception (urlsplit raises
    ValueError on `http://[abc`, and reading a port can raise too)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a bad port raises ValueError here, not later
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    return url


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def check_schedule(slots: list[Mapping[str, Any]]) -> tuple[Slot, ...]:
    """Weekly windows that start before they end and do not overlap on the same day."""
    if len(slots) > MAX_SLOTS:
        raise InvalidInput(f"At most {MAX_SLOTS} weekly windows.", field="schedule")
    checked = []
    for index, raw in enumerate(slots):
        day, start, end = raw.get("day"), raw.get("start"), raw.get("end")
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise InvalidInput("Days are 0 (Monday) to 6 (Sunday).", field=f"schedule.{index}.day")
        if not (isinstance(start, str) and isinstance(end, str) and TIME_PATTERN.fullmatch(start)
                and TIME_PATTERN.fullmatch(end)) or start == "24:00":
            raise InvalidInput("Times are HH:MM, 00:00 to 24:00.", field=f"schedule.{index}")
        if _minutes(start) >= _minutes(end):
            raise InvalidInput("A window ends after it starts.", field=f"schedule.{index}")
        checked.append(Slot(day, start, end))
    checked.sort(key=lambda s: (s.day, s.start))
    for before, after in zip(checked, checked[1:]):
        if before.day == after.day and _minutes(after.start) < _minutes(before.end):
            raise InvalidInput(f"Windows overlap on {DAYS[before.day]}.", field="schedule")
    return tuple(checked)


def check_languages(languages: list[Any]) -> tuple[str, ...]:
    if len(languages) > MAX_LANGUAGES:
        raise InvalidInput(f"At most {MAX_LANGUAGES} languages.", field="languages")
    checked = []
    for code in languages:
        if not isinstance(code, str) or not LANGUAGE_PATTERN.fullmatch(code):
            raise InvalidInput("Languages are codes such as en, es or pt-BR.", field="languages")
        if code not in checked:
            checked.append(code)
    return tuple(checked)


def check_links(links: list[Mapping[str, Any]]) -> tuple[Link, ...]:
    if len(links) > MAX_LINKS:
        raise InvalidInput(f"At most {MAX_LINKS} links.", field="links")
    checked = []
    for index, raw in enumerate(links):
        label, url = raw.get("label"), raw.get("url")
        url = url.strip() if isinstance(url, str) else ""
        label = label.strip() if isinstance(label, str) else ""
        label = visible_text(label).strip()
        if (len(url) > 500 or _has_control_characters(url) or " " in url or visible_text(url) != url
                or web_address(url) is None):
            raise InvalidInput("Links are full http(s) addresses.", field=f"links.{index}.url")
        if not 1 <= len(label) <= 60 or _has_control_characters(label, allowed=""):
            raise InvalidInput("Each link has a label of up to 60 characters.", field=f"links.{index}.label")
        checked.append(Link(label, url))
    return tuple(checked)


def check_text(value: str, *, field_name: str, maximum: int, required: bool = False) -> str:
    """Plain or Markdown text others will read: invisible format characters removed
    (domain.user_text), trimmed, bounded; control characters refused."""
    text = visible_text(value).strip().replace("\r\n", "\n")
    if required and not text:
        raise InvalidInput(f"Fill in the {field_name.replace('_', ' ')}.", field=field_name)
    if len(text) > maximum:
        raise InvalidInput(f"The {field_name.replace('_', ' ')} is at most {maximum} characters.",
                           field=field_name)
    if _has_control_characters(text):
        raise InvalidInput("Control characters are not allowed.", field=field_name)
    return text


_has_control_characters = has_control_characters  # one rule for every checker: domain.user_text


AVATAR_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def avatar_matches(content_type: str, head: bytes) -> bool:
    """Whether the file's first bytes are the image type it claims (not a renamed script)."""
    if content_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if content_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return False


AVATAR_SIZE = 512  # the longest side of the picture kept: sharp at 160 px on a 3x screen


def avatar_prefix(user_id: str) -> str:
    """Where a Helper's avatars are shown from (each redrawn from an upload)."""
    return f"media/avatars/{user_id}/"


def avatar_upload_prefix(user_id: str) -> str:
    """Where the browser uploads a new avatar; nothing serves it from there."""
    return f"incoming/avatars/{user_id}/"


def shown_prices(page: HelperPage) -> dict[str, int | None]:
    """The prices visitors see: free sessions always, paid ones only once payouts can reach the
    Helper (a storefront), so nobody finds a price they cannot pay in the middle of a call."""
    shown: dict[str, int | None] = {}
    for minutes in SESSION_LENGTHS:
        cents = page.prices.get(minutes)
        shown[str(minutes)] = cents if cents == 0 or (cents is not None and page.payouts_ready) else None
    return shown


def rating_view(page: HelperPage) -> dict | None:
    """The rating as the Helper's page shows it: average to one decimal, count, and how many
    reviews gave each number of stars; None without reviews."""
    if not page.rating_count:
        return None
    return {"average": page.rating_average, "count": page.rating_count,
            "distribution": {str(stars): page.rating_counts[stars - 1] for stars in (5, 4, 3, 2, 1)}}


def card(page: HelperPage, status: str) -> dict:
    """What directories and search show of a Helper."""
    return {
        "user_id": page.user_id,
        "username": page.username,
        "display_name": visible_text(page.display_name),  # text stored before the rule, too
        "headline": visible_text(page.headline),
        "avatar_url": f"/{page.avatar_key}" if page.avatar_key else None,
        "page_url": f"/h/{page.username}",
        "prices": shown_prices(page),
        "rating": ({"average": page.rating_average, "count": page.rating_count}
                   if page.rating_count else None),
        "status": status,
    }


def shown_card(stored: Mapping[str, Any]) -> dict:
    """A card kept in a listing, its text shown by the same rule as a new card's (listings
    written before invisible characters were removed still hold them)."""
    return {**stored, **{name: visible_text(stored[name]) for name in ("display_name", "headline")
                         if isinstance(stored.get(name), str)}}
