"""Server-rendered HTML for a Helper's public page (`/h/<username>`) and its 404 page.

Every value from the view is escaped by Jinja's autoescape; only `offer_html` and
`qualifications_html`, already sanitized by `chalicelib.domain.rich_text`, are inserted as HTML,
and the schema.org JSON-LD, which `_structured_data` serializes with `<`, `>` and `&` escaped.
The pages carry no inline script (JSON-LD is a data block browsers never run, so the CSP does
not apply to it) or style, so they work under the site's strict CSP.
Jinja loads on the first render, not at cold import, and reads the templates compiled at
packaging (`compile_templates`).
"""
from __future__ import annotations

import functools
import json
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote, urlsplit

from chalicelib.domain.user_text import visible_text

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
COMPILED_DIR = TEMPLATES_DIR / ".compiled"  # not committed: built by compile_templates()
PAGE_SCRIPT = "/js/pages/helper-page.js"
DEFAULT_OG_IMAGE = "/img/og-default.png"
SITE_NAME = "interKanect"
DESCRIPTION_MAX = 200
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SESSION_MINUTES = (15, 30, 60)
STATUS_LABELS = {"online": "Online", "busy": "In a call", "reachable": "Reachable", "offline": "Offline"}
STARS = (5, 4, 3, 2, 1)  # the distribution's rows, top to bottom
REVIEW_PLACEHOLDERS = 3  # grey review shapes the page script replaces, so the page does not jump
LINK_SCHEMES = ("http", "https")

# Browsers drop these before reading a URL's scheme ("java\tscript:" is "javascript:").
_URL_IGNORED = re.compile(r"[\t\n\r]")
_URL_TRIMMED = "".join(chr(c) for c in range(0x21))
_TIME = re.compile(r"^\d{2}:\d{2}$")


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    return _new_environment()


def _new_environment() -> Any:
    from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined

    class KeptBytecode(FileSystemBytecodeCache):
        """The templates as Jinja compiled them, kept beside them (`compile_templates` fills it
        when the Lambda is packaged), so a cold start reads them instead of compiling (~10 ms).
        Jinja checks each against its template's source: a changed one is compiled again, and
        kept where the folder is writable (not in a Lambda's read-only package)."""

        def dump_bytecode(self, bucket: Any) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    environment = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              bytecode_cache=KeptBytecode(str(COMPILED_DIR)))
    environment.filters["money"] = format_money
    environment.filters["price"] = format_price
    return environment


def compile_templates() -> Path:
    """Compiles the pages' templates into `COMPILED_DIR` (before the CDK stack packages the app,
    and before the cold-start bench); returns the folder."""
    COMPILED_DIR.mkdir(exist_ok=True)
    environment = _new_environment()  # its own: one that has them in memory writes nothing
    for template in sorted(TEMPLATES_DIR.glob("*.html")):  # the pages and their layout
        environment.get_template(template.name)
    return COMPILED_DIR


def render(template: str, **context: Any) -> str:
    """Any of the server-rendered pages' templates (the store's too), with the same environment."""
    return _environment().get_template(template).render(**context)


def json_ld(data: Any) -> str:
    """schema.org data for a `<script type="application/ld+json">`: nothing in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def render_helper_page(view: Mapping[str, Any]) -> str:
    """The complete HTML page for one Helper, from the page view the service builds."""
    return _environment().get_template("helper_page.html").render(**_helper_context(view))


def render_not_found(username: str, site_url: str) -> str:
    """The 404 page for `/h/<username>` when no Helper has (or had) that username."""
    return _environment().get_template("not_found.html").render(
        site_url=site_url.rstrip("/"), username=str(username)[:80], page_script=PAGE_SCRIPT)


def format_money(cents: int) -> str:
    """Whole cents as dollars, "$1,234.05", with integer arithmetic only."""
    if isinstance(cents, bool) or not isinstance(cents, int) or cents < 0:
        raise ValueError(f"money is a non-negative number of whole cents, not {cents!r}")
    dollars, remainder = divmod(cents, 100)
    return f"${dollars:,}.{remainder:02d}"


def format_price(cents: int | None) -> str:
    """A session price: "Not offered" (None), "Free" (0) or dollars."""
    if cents is None:
        return "Not offered"
    if cents == 0 and not isinstance(cents, bool):
        return "Free"
    return format_money(cents)


def _helper_context(view: Mapping[str, Any]) -> dict[str, Any]:
    site_url = str(view["site_url"]).rstrip("/")
    username = str(view["username"])
    # Text stored before invisible characters were refused is shown without them too.
    display_name = visible_text(str(view.get("display_name") or "")).strip() or username
    headline = visible_text(str(view.get("headline") or ""))
    description = visible_text(str(view.get("description") or headline))[:DESCRIPTION_MAX]
    time_zone = str(view.get("time_zone") or "UTC")
    avatar_src = _site_path(view.get("avatar_url"))
    status = view.get("status") if view.get("status") in STATUS_LABELS else "offline"
    page_url = f"{site_url}/h/{quote(username, safe='')}"
    rating = _rating(view.get("rating"))
    context = {
        "site_url": site_url,
        "page_script": PAGE_SCRIPT,
        "user_id": str(view["user_id"]),
        "username": username,
        "page_url": page_url,
        "display_name": display_name,
        "initials": _initials(display_name),
        "headline": headline,
        "description": description,
        "offer_html": str(view.get("offer_html") or ""),
        "qualifications_html": str(view.get("qualifications_html") or ""),
        "languages": [str(code) for code in view.get("languages") or ()],
        "time_zone": time_zone,
        "prices": _price_rows(view.get("prices") or {}),
        "schedule": _schedule_rows(view.get("schedule") or ()),
        "links": [_link(link) for link in view.get("links") or ()],
        "avatar_src": avatar_src,
        "og_image": site_url + (avatar_src or DEFAULT_OG_IMAGE),
        "categories": [_category(category) for category in view.get("categories") or ()],
        "rating": rating,
        "review_placeholders": min(rating["count"], REVIEW_PLACEHOLDERS) if rating else 0,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "posts": list(view.get("posts") or ()),  # api/blog_html.post_card of each
        "events": list(view.get("events") or ()),  # api/events_html.upcoming_event_cards
        "followers": _followers(view.get("followers")),
    }
    context["structured_data"] = _structured_data(context)
    return context


def _followers(count: Any) -> str:
    """"1 follower", "1,204 followers" (none: "No followers yet")."""
    number = int(count) if isinstance(count, (int, Decimal)) and not isinstance(count, bool) else 0
    if number <= 0:
        return "No followers yet"
    return f"{number:,} follower{'' if number == 1 else 's'}"


def _initials(name: str) -> str:
    letters = [word[0] for word in name.split() if word[:1].isalnum()]
    return "".join(letters[:2]).upper() or "?"


def _price_rows(prices: Mapping[Any, Any]) -> list[dict[str, Any]]:
    rows = []
    for minutes in SESSION_MINUTES:
        cents = prices.get(str(minutes), prices.get(minutes))
        if isinstance(cents, Decimal):  # numbers read back from DynamoDB
            cents = int(cents)
        rows.append({"minutes": minutes, "cents": cents})
    return rows


def _schedule_rows(slots: Any) -> list[dict[str, Any]]:
    rows = []
    for slot in slots:
        day, start, end = slot.get("day"), str(slot.get("start", "")), str(slot.get("end", ""))
        if isinstance(day, Decimal):
            day = int(day)
        if (isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6
                or not _TIME.match(start) or not _TIME.match(end)):
            continue  # the domain never stores such a window; never show a broken one
        rows.append({"day": day, "day_name": DAY_NAMES[day], "start": start, "end": end})
    rows.sort(key=lambda row: (row["day"], row["start"]))
    return rows


def _link(link: Mapping[str, Any]) -> dict[str, Any]:
    url = _web_url(link.get("url"))
    return {"label": visible_text(str(link.get("label") or "")).strip() or url or "", "url": url}


def _category(category: Mapping[str, Any]) -> dict[str, str]:
    slug = str(category.get("slug") or "")
    return {"slug": slug, "name": visible_text(str(category.get("name") or "")).strip() or slug,
            "href": f"/category.html?slug={quote(slug, safe='')}"}


def _rating(rating: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The rating summary as shown: "4.8 · 126 reviews", the five stars lit to the nearest
    half, and one bar per number of stars (5 to 1) when the view has the distribution."""
    if not rating:
        return None
    try:
        count = int(rating.get("count") or 0)
        average = Decimal(str(rating.get("average")))
    except (TypeError, ValueError, InvalidOperation):
        return None
    if count <= 0 or not average.is_finite():
        return None
    shown = f"{average:.1f}"
    count_text = f"{count:,} {'review' if count == 1 else 'reviews'}"
    return {"average": shown, "count": count, "count_text": count_text, "summary": f"{shown} · {count_text}",
            "label": f"Rated {shown} out of 5", "stars": star_fills(Decimal(shown)),
            "bars": _rating_bars(rating.get("distribution"), count)}


def star_fills(value: Decimal) -> list[str]:
    """"full", "half" or "empty" for each of five stars, lit to the nearest half star (as
    js/reviews/stars.js draws them)."""
    halves = int((min(max(value, Decimal(0)), Decimal(5)) * 2).to_integral_value(rounding=ROUND_HALF_UP))
    return ["full" if halves >= star * 2 else "half" if halves == star * 2 - 1 else "empty"
            for star in (1, 2, 3, 4, 5)]


def _rating_bars(distribution: Any, count: int) -> list[dict[str, Any]]:
    """One row per number of stars, 5 first, with its number of reviews and its share of
    `count` in whole percent; none when the distribution is missing or unreadable."""
    if not isinstance(distribution, Mapping):
        return []
    bars = []
    for stars in STARS:
        try:
            reviews = int(distribution.get(str(stars), distribution.get(stars)) or 0)
        except (TypeError, ValueError, InvalidOperation):
            return []
        reviews = min(max(reviews, 0), count)
        bars.append({"stars": stars, "count": reviews, "count_text": f"{reviews:,}",
                     "percent": round(100 * reviews / count),
                     "label": f"{stars} star{'' if stars == 1 else 's'}: {reviews:,} "
                              f"{'review' if reviews == 1 else 'reviews'}"})
    return bars


def _structured_data(context: Mapping[str, Any]) -> str:
    """The page as schema.org JSON-LD: a profile page about a person who offers live help, with
    the rating of that help (`AggregateRating`, the real count) only when there are reviews.
    Serialized for a `<script type="application/ld+json">`: nothing in it can close the element."""
    url = context["page_url"]
    person: dict[str, Any] = {"@type": "Person", "@id": f"{url}#person", "name": context["display_name"],
                              "alternateName": context["username"], "url": url}
    if context["avatar_src"]:
        person["image"] = context["og_image"]
    if context["description"]:
        person["description"] = context["description"]
    service: dict[str, Any] = {"@type": "Service", "@id": f"{url}#help", "serviceType": "Live video help",
                               "name": f"Live help from {context['display_name']}", "url": url,
                               "provider": {"@id": f"{url}#person"}}
    rating = context["rating"]
    if rating:
        service["aggregateRating"] = {"@type": "AggregateRating", "ratingValue": float(rating["average"]),
                                      "reviewCount": rating["count"], "bestRating": 5, "worstRating": 1}
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "ProfilePage", "@id": url, "url": url, "name": f"{context['display_name']} — {SITE_NAME}",
         "mainEntity": {"@id": f"{url}#person"}},
        person, service]}
    return json_ld(graph)


def _web_url(value: Any) -> str | None:
    """An absolute http(s) address as a browser would read it, or None for anything else."""
    if not isinstance(value, str):
        return None
    url = _URL_IGNORED.sub("", value).strip(_URL_TRIMMED)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc or "\\" in url:
        return None
    return url


def _site_path(value: Any) -> str | None:
    """A path on this site ("/media/avatars/..."), the only images the CSP lets the page load."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) <= 0x20 for c in value):
        return None
    return value
