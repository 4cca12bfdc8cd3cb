"""The server-rendered Helper page: complete, escaped, shareable, and free of inline code."""
import json
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from chalicelib.api.page_html import format_money, format_price, render_helper_page, render_not_found, star_fills
from chalicelib.domain.rich_text import render_markdown

SITE = "https://interkanect.example"


JSON_LD = "application/ld+json"


class Page(HTMLParser):
    """The elements of a rendered page, with their attributes and the text of a few of them.
    Scripts with a body are code the browser would run; JSON-LD is a data block it never runs,
    kept apart (and out of the page's words)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts_with_body: list[str] = []
        self.json_ld: list[str] = []
        self._script: dict[str, str | None] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._script = dict(attrs) if tag == "script" else None

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None and self._script.get("type") == JSON_LD:
            self.json_ld.append(data)
            return
        if self._script is not None and data.strip():
            self.scripts_with_body.append(data)
        self.text.append(data)

    def scripts(self) -> list[dict[str, str | None]]:
        """The scripts the browser runs (not data blocks)."""
        return [a for a in self.all("script") if a.get("type") != JSON_LD]

    def structured_data(self) -> dict:
        [block] = self.json_ld
        return json.loads(block)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag
                and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def with_attribute(self, name: str) -> list[tuple[str, dict[str, str | None]]]:
        return [(t, a) for t, a in self.elements if name in a]

    def meta(self, key: str) -> str | None:
        for attrs in self.all("meta"):
            if attrs.get("property") == key or attrs.get("name") == key:
                return attrs.get("content")
        return None

    def words(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))


def full_view(**changes) -> dict:
    view = {
        "site_url": SITE + "/",
        "user_id": "u-123",
        "username": "ada",
        "display_name": "Ada Lovelace",
        "headline": "Maths tutor & engine whisperer",
        "offer_html": render_markdown("I help with **maths**.\n\n- algebra\n- [notes](https://ada.example)"),
        "qualifications_html": render_markdown("*MSc* in mathematics"),
        "languages": ["en", "fr"],
        "time_zone": "Europe/London",
        "prices": {"15": 1500, "30": 0, "60": None},
        "schedule": [{"day": 2, "start": "14:00", "end": "18:30"},
                     {"day": 0, "start": "09:00", "end": "12:00"}],
        "links": [{"label": "My blog", "url": "https://blog.ada.example"}],
        "avatar_url": "/media/avatars/u-123.png",
        "categories": [{"slug": "tutoring", "name": "Tutoring"}, {"slug": "maths", "name": "Maths"}],
        "rating": {"average": 4.66, "count": 12},
        "status": "online",
        "description": "Maths tutor & engine whisperer",
    }
    view.update(changes)
    return view


def minimal_view(**changes) -> dict:
    view = {
        "site_url": SITE, "user_id": "u-9", "username": "bob", "display_name": "Bob",
        "headline": "", "offer_html": "", "qualifications_html": "", "languages": [],
        "time_zone": "UTC", "prices": {"15": None, "30": 2550, "60": None}, "schedule": [],
        "links": [], "avatar_url": None, "categories": [], "rating": None, "status": "offline",
        "description": "",
    }
    view.update(changes)
    return view


def test_a_full_page_is_a_complete_document_with_the_site_frame():
    html = render_helper_page(full_view())
    page = Page(html)
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert page.all("link", rel="stylesheet", href="/css/site.css")
    assert page.all("link", rel="stylesheet", href="/css/helper-page.css")
    sheets = [a["href"] for a in page.all("link", rel="stylesheet")]
    assert sheets.index("/css/site.css") < sheets.index("/css/helper-page.css")
    scripts = [a.get("src") for a in page.scripts()]
    assert scripts == ["/config.js", "/js/pages/helper-page.js"]
    assert page.all("script", type="module", src="/js/pages/helper-page.js")
    assert page.all("header", **{"class": "site-header"}) and page.with_attribute("data-site-header")
    assert page.all("footer", **{"class": "site-footer"}) and page.with_attribute("data-site-footer")
    assert page.all("main", id="main")


def test_the_head_has_title_description_canonical_open_graph_and_twitter_tags():
    page = Page(render_helper_page(full_view()))
    assert "Ada Lovelace — interKanect" in page.words()
    assert page.meta("description") == "Maths tutor & engine whisperer"
    assert page.all("link", rel="canonical") == [{"rel": "canonical", "href": f"{SITE}/h/ada"}]
    assert page.meta("og:type") == "profile"
    assert page.meta("og:title") == "Ada Lovelace"
    assert page.meta("og:description") == "Maths tutor & engine whisperer"
    assert page.meta("og:url") == f"{SITE}/h/ada"
    assert page.meta("og:image") == f"{SITE}/media/avatars/u-123.png"
    assert page.meta("og:site_name") == "interKanect"
    assert page.meta("twitter:card") == "summary"
    assert page.meta("twitter:title") == "Ada Lovelace"
    assert page.meta("twitter:image") == f"{SITE}/media/avatars/u-123.png"


def test_without_an_avatar_the_page_shows_initials_and_shares_the_default_image():
    page = Page(render_helper_page(minimal_view(display_name="bob marley")))
    assert not page.all("img")
    assert page.all("span", **{"class": "helper-avatar helper-avatar-initials"})
    assert "BM" in page.words()
    assert page.meta("og:image") == f"{SITE}/img/og-default.png"


def test_the_full_page_shows_every_part_of_the_profile():
    page = Page(render_helper_page(full_view()))
    words = page.words()
    assert page.all("img", src="/media/avatars/u-123.png")
    for text in ("Ada Lovelace", "Maths tutor & engine whisperer", "I help with maths.",
                 "MSc in mathematics", "Times shown in Europe/London", "4.7 · 12 reviews",
                 "My blog", "Tutoring", "Maths"):
        assert text in words, text
    assert [a["data-language"] for a in page.all("li") if "data-language" in a] == ["en", "fr"]
    assert page.all("a", href="/category.html?slug=tutoring")
    assert page.all("a", href="https://blog.ada.example", rel="nofollow noopener noreferrer ugc")
    assert page.all("strong") and page.all("em")


def test_the_live_status_carries_the_user_id_and_the_call_button_shows_when_online():
    page = Page(render_helper_page(full_view()))
    [status] = [a for _, a in page.with_attribute("data-status-for")]
    assert status["data-status-for"] == "u-123" and status["class"] == "status status-online"
    assert "Online" in page.words()
    [button] = [a for _, a in page.with_attribute("data-call-now")]
    assert "disabled" in button and "hidden" not in button
    assert button["data-call-helper"] == "ada"  # the page script enables it and calls this Helper
    assert "Call now" in page.words() and "Video call in your browser" in page.words()
    # Notify me takes Call now's place while the Helper is away: hidden while they are online.
    [notify] = [a for _, a in page.with_attribute("data-notify-me")]
    assert "hidden" in notify and notify["data-when-away"] == "u-123"


@pytest.mark.parametrize("status, label", [("busy", "In a call"), ("offline", "Offline"),
                                           ("weird", "Offline")])
def test_a_helper_who_is_not_online_has_no_call_button_showing(status, label):
    page = Page(render_helper_page(full_view(status=status)))
    [(_, badge)] = page.with_attribute("data-status-for")
    assert badge["class"] == f"status status-{'offline' if status == 'weird' else status}"
    assert label in page.words()
    [button] = [a for _, a in page.with_attribute("data-call-now")]
    assert "hidden" in button and "disabled" in button
    [notify] = [a for _, a in page.with_attribute("data-notify-me")]
    assert "hidden" not in notify
    assert "Notify me when available" in page.words()


def test_the_schedule_rows_carry_day_times_and_time_zone_for_the_visitor_script():
    page = Page(render_helper_page(full_view()))
    rows = [a for _, a in page.with_attribute("data-day")]
    assert [(r["data-day"], r["data-start"], r["data-end"], r["data-time-zone"]) for r in rows] == [
        ("0", "09:00", "12:00", "Europe/London"), ("2", "14:00", "18:30", "Europe/London")]
    assert "Monday 09:00 12:00" in page.words() and "Wednesday 14:00 18:30" in page.words()
    # Beside Call now, a line the script fills with the next usual hours in the visitor's time.
    assert page.with_attribute("data-usually-online")
    assert "Usually online during the weekly hours below." in page.words()


def test_a_minimal_page_leaves_out_what_the_helper_has_not_filled_in():
    html = render_helper_page(minimal_view())
    page = Page(html)
    words = page.words()
    assert "★" not in words and not page.with_attribute("data-rating-summary")
    assert "No reviews yet" in words
    assert "Qualifications" not in words and "Languages" not in words and "Categories" not in words
    assert not page.with_attribute("data-day") and not page.with_attribute("data-usually-online")
    assert "Times shown in UTC" in words and "No weekly hours yet" in words
    assert page.meta("description") == "" and page.meta("og:title") == "Bob"


def test_prices_read_as_dollars_free_or_not_offered():
    words = Page(render_helper_page(full_view())).words()
    assert "15 minutes $15.00" in words
    assert "30 minutes Free" in words
    assert "60 minutes Not offered" in words
    minimal = Page(render_helper_page(minimal_view())).words()
    assert "15 minutes Not offered" in minimal and "30 minutes $25.50" in minimal
    assert "60 minutes Not offered" in minimal


def test_prices_also_read_from_integer_keys():
    words = Page(render_helper_page(full_view(prices={15: 99, 30: None, 60: 123456}))).words()
    assert "15 minutes $0.99" in words and "60 minutes $1,234.56" in words


@pytest.mark.parametrize("cents, text", [(0, "$0.00"), (5, "$0.05"), (1500, "$15.00"),
                                         (2550, "$25.50"), (10_000_000, "$100,000.00"),
                                         (10**20 + 1, "$1,000,000,000,000,000,000.01")])
def test_money_is_formatted_exactly_from_integer_cents(cents, text):
    assert format_money(cents) == text


@pytest.mark.parametrize("bad", [1.5, -1, True, "15", None])
def test_money_refuses_anything_but_whole_non_negative_cents(bad):
    with pytest.raises(ValueError):
        format_money(bad)


def test_a_price_is_not_offered_free_or_money():
    assert [format_price(c) for c in (None, 0, 1)] == ["Not offered", "Free", "$0.01"]


def test_one_review_is_singular():
    page = Page(render_helper_page(full_view(rating={"average": 5, "count": 1,
                                                     "distribution": {"5": 1, "4": 0, "3": 0, "2": 0, "1": 0}})))
    words = page.words()
    assert "5.0 · 1 review" in words and "1 reviews" not in words
    assert "5 stars: 1 review" in words and "1 star: 0 reviews" in words


def test_a_rating_with_no_reviews_is_not_shown():
    assert "★" not in Page(render_helper_page(full_view(rating={"average": 0, "count": 0}))).words()


RATED = {"average": 4.8, "count": 126, "distribution": {"5": 104, "4": 15, "3": 4, "2": 1, "1": 2}}


def attribute_of(page: Page, name: str) -> list[dict[str, str | None]]:
    return [a for _, a in page.with_attribute(name)]


def test_the_rating_summary_shows_the_average_the_count_and_the_stars():
    page = Page(render_helper_page(full_view(rating=RATED)))
    words = page.words()
    assert "4.8 · 126 reviews" in words
    [summary_stars] = [a for a in page.all("span", role="img") if a.get("class") == "stars stars-large"]
    assert summary_stars["aria-label"] == "Rated 4.8 out of 5"
    # The hero's line leads to the reviews.
    [hero] = attribute_of(page, "data-rating")
    assert hero["href"] == "#reviews" and page.all("section", id="reviews")


def test_the_distribution_is_a_bar_per_number_of_stars_five_first_with_its_number_as_text():
    page = Page(render_helper_page(full_view(rating=RATED)))
    rows = attribute_of(page, "data-stars")
    assert [r["data-stars"] for r in rows] == ["5", "4", "3", "2", "1"]
    meters = page.all("meter")
    assert [(m["min"], m["max"], m["value"]) for m in meters] == [
        ("0", "126", "104"), ("0", "126", "15"), ("0", "126", "4"), ("0", "126", "1"), ("0", "126", "2")]
    words = page.words()
    for label in ("5 stars: 104 reviews", "4 stars: 15 reviews", "3 stars: 4 reviews", "2 stars: 1 review",
                  "1 star: 2 reviews"):
        assert label in words, label
    assert not page.with_attribute("style")  # widths come from the meters' values, not inline styles


def test_a_rating_without_its_distribution_shows_the_summary_without_bars():
    page = Page(render_helper_page(full_view(rating={"average": 4.5, "count": 2})))
    assert "4.5 · 2 reviews" in page.words()
    assert not page.all("meter") and not page.all("ul", **{"class": "rating-bars"})


@pytest.mark.parametrize("average, fills", [
    ("5.0", ["full"] * 5), ("4.8", ["full"] * 5), ("4.7", ["full"] * 4 + ["half"]),
    ("4.3", ["full"] * 4 + ["half"]), ("4.2", ["full"] * 4 + ["empty"]), ("1.0", ["full"] + ["empty"] * 4),
    ("2.5", ["full", "full", "half", "empty", "empty"])])
def test_stars_are_lit_to_the_nearest_half(average, fills):
    assert star_fills(Decimal(average)) == fills
    page = Page(render_helper_page(full_view(rating={"average": float(average), "count": 3})))
    shown = [a["class"] for a in page.all("span") if (a.get("class") or "").startswith("star is-")]
    assert shown == [f"star is-{fill}" for fill in fills]


def test_the_reviews_section_has_a_sort_and_placeholders_the_script_replaces():
    page = Page(render_helper_page(full_view(rating=RATED)))
    [section] = attribute_of(page, "data-reviews")
    assert section["data-review-count"] == "126"
    [select] = page.all("select", id="review-sort")
    assert [o["value"] for o in page.all("option")] == ["newest", "highest", "lowest"]
    assert page.all("label", **{"for": "review-sort"})
    [listing] = attribute_of(page, "data-review-list")
    assert listing["aria-busy"] == "true"
    placeholders = page.all("li", **{"class": "review review-placeholder"})
    assert len(placeholders) == 3 and all(p["aria-hidden"] == "true" for p in placeholders)
    assert not attribute_of(page, "data-reviews-empty")
    one = Page(render_helper_page(full_view(rating={"average": 5, "count": 1})))
    assert len(one.all("li", **{"class": "review review-placeholder"})) == 1


def test_without_reviews_the_section_says_so_and_has_no_summary_sort_or_placeholders():
    for view in (minimal_view(), full_view(rating=None), full_view(rating={"average": 0, "count": 0})):
        page = Page(render_helper_page(view))
        assert page.all("section", id="reviews") and attribute_of(page, "data-review-list")
        assert attribute_of(page, "data-reviews-empty") and "No reviews yet" in page.words()
        assert not page.all("select") and not page.all("meter") and not attribute_of(page, "data-rating")
        assert not page.all("li", **{"class": "review review-placeholder"})


def rating_in(data: dict) -> list[dict]:
    return [node["aggregateRating"] for node in data["@graph"] if "aggregateRating" in node]


def test_the_json_ld_describes_the_profile_and_carries_the_real_rating_only_with_reviews():
    data = Page(render_helper_page(full_view(rating=RATED))).structured_data()
    assert data["@context"] == "https://schema.org"
    types = {node["@type"]: node for node in data["@graph"]}
    assert types["ProfilePage"]["url"] == f"{SITE}/h/ada"
    assert types["ProfilePage"]["mainEntity"] == {"@id": types["Person"]["@id"]}
    assert types["Person"]["name"] == "Ada Lovelace" and types["Person"]["alternateName"] == "ada"
    assert types["Person"]["image"] == f"{SITE}/media/avatars/u-123.png"
    assert types["Service"]["provider"] == {"@id": types["Person"]["@id"]}
    assert rating_in(data) == [{"@type": "AggregateRating", "ratingValue": 4.8, "reviewCount": 126,
                                "bestRating": 5, "worstRating": 1}]
    for view in (minimal_view(), full_view(rating=None), full_view(rating={"average": 0, "count": 0})):
        html = render_helper_page(view)
        assert rating_in(Page(html).structured_data()) == [] and "AggregateRating" not in html


def test_the_json_ld_count_is_the_real_count_and_the_value_has_one_decimal():
    data = Page(render_helper_page(full_view(rating={"average": 4.66, "count": 1234}))).structured_data()
    assert rating_in(data)[0]["reviewCount"] == 1234 and rating_in(data)[0]["ratingValue"] == 4.7


def test_the_json_ld_cannot_close_its_script_or_start_markup():
    name = '</script><script>alert(1)</script><!-- & -->'
    html = render_helper_page(full_view(display_name=name, description=name))
    page = Page(html)
    [block] = page.json_ld
    assert "<" not in block and ">" not in block and "&" not in block
    assert page.structured_data()["@graph"][1]["name"] == name  # the same text once parsed
    assert page.scripts_with_body == []
    assert [a.get("src") for a in page.scripts()] == ["/config.js", "/js/pages/helper-page.js"]


EVIL = '<script>alert("x")</script>"\'><img src=x onerror=alert(1)>&amp;'


def test_every_user_field_is_escaped():
    view = full_view(
        display_name=EVIL, headline=EVIL, description=EVIL, username="ada" + EVIL, user_id=EVIL,
        languages=[EVIL], time_zone=EVIL, links=[{"label": EVIL, "url": "https://x.example/" + EVIL}],
        categories=[{"slug": EVIL, "name": EVIL}],
        schedule=[{"day": 0, "start": "09:00", "end": EVIL}],
    )
    html = render_helper_page(view)
    page = Page(html)
    assert "<script>alert" not in html and "<img" not in html.replace('<img class="helper-avatar"', "")
    assert page.scripts_with_body == []
    assert [a.get("src") for a in page.scripts()] == ["/config.js", "/js/pages/helper-page.js"]
    assert not [(t, a) for t, a in page.elements if any(k.startswith("on") for k in a)]
    # The text survives, shown as text.
    assert EVIL in page.words()
    assert page.meta("og:title") == EVIL
    [category] = [a for a in page.all("a") if (a.get("href") or "").startswith("/category.html")]
    assert category["href"].startswith("/category.html?slug=%3Cscript%3E")
    [canonical] = page.all("link", rel="canonical")
    assert canonical["href"].startswith(f"{SITE}/h/ada%3Cscript%3E")


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)",
                                 "\x01javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                 "vbscript:msgbox(1)", "/relative", "//evil.example", "https:no-host",
                                 "https:\\\\evil.example"])
def test_links_that_are_not_full_web_addresses_are_shown_as_text_only(url):
    page = Page(render_helper_page(full_view(links=[{"label": "Mine", "url": url}], offer_html="")))
    assert not [a for a in page.all("a") if a.get("rel") == "nofollow noopener noreferrer ugc"]
    assert "Mine" in page.words()


@pytest.mark.parametrize("avatar", ["javascript:alert(1)", "https://evil.example/a.png",
                                    "//evil.example/a.png", "/media/a b.png", "/\\evil.example"])
def test_an_avatar_that_is_not_a_path_on_this_site_is_not_loaded(avatar):
    page = Page(render_helper_page(full_view(avatar_url=avatar)))
    assert not page.all("img")
    assert page.meta("og:image") == f"{SITE}/img/og-default.png"


def test_the_page_has_no_inline_script_style_or_event_handler():
    html = render_helper_page(full_view())
    page = Page(html)
    assert page.scripts_with_body == []
    assert "<style" not in html
    assert not page.with_attribute("style")
    assert not [(t, a) for t, a in page.elements if any(k.startswith("on") for k in a)]


def test_the_not_found_page_escapes_the_username_and_is_not_indexed():
    html = render_not_found('<script>alert(1)</script>', SITE + "/")
    page = Page(html)
    assert "<script>alert" not in html and page.scripts_with_body == []
    assert "/h/<script>alert(1)</script>" in page.words()
    assert page.meta("robots") == "noindex"
    assert page.with_attribute("data-site-header") and page.with_attribute("data-site-footer")
    assert page.all("link", rel="stylesheet", href="/css/site.css")


INVISIBLE = "\u202e\u2066\u200b\u200f\u00ad\ufeff\u2060\U000E0041"


def test_text_stored_before_the_invisible_character_rule_is_shown_without_it():
    spoof = "Support \u202eecilA\u202c"  # reads "Support Alice" if the override reaches the browser
    html = render_helper_page(full_view(
        display_name=spoof, headline=f"Tutor{INVISIBLE}", description=f"Maths{INVISIBLE} help",
        links=[{"label": f"Blog{INVISIBLE}", "url": "https://blog.ada.example"}],
        categories=[{"slug": "maths", "name": f"Ma\u200bths{INVISIBLE}"}],
        offer_html=render_markdown(f"I **help**{INVISIBLE} with maths"),
        qualifications_html=render_markdown(f"\u2067MSc\u2069{INVISIBLE}")))
    assert not any(c in html for c in INVISIBLE + "\u202c")
    words = Page(html).words()
    assert "Support ecilA" in words and "Tutor" in words and "Blog" in words and "Maths" in words
    assert Page(html).meta("og:title") is None or "\u202e" not in Page(html).meta("og:title")


def test_a_display_name_of_invisible_characters_only_falls_back_to_the_username():
    page = Page(render_helper_page(minimal_view(display_name="\u200b\u202e\u2069")))
    assert page.all("h1") and "bob" in page.words()


@pytest.fixture
def fresh_environment(monkeypatch, tmp_path):
    """The page module with its compiled-templates folder in `tmp_path` and a new Environment."""
    from chalicelib.api import page_html

    monkeypatch.setattr(page_html, "COMPILED_DIR", tmp_path / "compiled")
    page_html._environment.cache_clear()
    yield page_html
    page_html._environment.cache_clear()


def test_templates_compiled_at_packaging_are_read_not_compiled_again(fresh_environment, monkeypatch):
    import jinja2

    expected = render_helper_page(full_view())
    compiled = fresh_environment.compile_templates()
    assert {path.suffix for path in compiled.iterdir()} == {".cache"} and len(list(compiled.iterdir())) >= 3
    fresh_environment._environment.cache_clear()  # a cold start

    def never(*args, **kwargs):
        raise AssertionError("a template was compiled although its compiled form was packaged")

    monkeypatch.setattr(jinja2.Environment, "compile", never)
    assert fresh_environment.render_helper_page(full_view()) == expected
    assert "No Helper here" in fresh_environment.render_not_found("nobody", SITE)


def test_without_compiled_templates_or_a_writable_folder_pages_still_render(fresh_environment):
    # A folder that does not exist stands for Lambda's read-only package: nothing can be kept.
    assert fresh_environment.render_helper_page(full_view()) == render_helper_page(full_view())
    assert not fresh_environment.COMPILED_DIR.exists()
