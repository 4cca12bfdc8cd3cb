"""The rules of a Helper's page: prices, schedule, languages, time zone, links, text, avatar, card."""
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import helper_pages as rules
from chalicelib.domain.categories import check_category
from chalicelib.domain.payments import check_store_name
from chalicelib.domain.payments import check_text as payment_text
from chalicelib.domain.user_text import visible_text
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.helper_pages import HelperPage, Link, Slot

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 28
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 16
HTML = b"<!doctype html><script>alert(1)</script>"


def refused_field(check, *args, **kwargs):
    """The `field` of the InvalidInput that `check` raises."""
    with pytest.raises(InvalidInput) as refused:
        check(*args, **kwargs)
    return refused.value.field


def slot(day=0, start="09:00", end="12:00"):
    return {"day": day, "start": start, "end": end}


# Prices


def test_prices_are_cents_per_length_with_zero_free_and_none_not_offered():
    assert rules.check_prices({"15": 1500, "30": 0, "60": None}) == {15: 1500, 30: 0, 60: None}


def test_a_length_left_out_is_not_offered():
    assert rules.check_prices({"30": 2500}) == {15: None, 30: 2500, 60: None}


def test_prices_keyed_by_whole_minutes_are_read_too():
    assert rules.check_prices({15: 100, 60: 400}) == {15: 100, 30: None, 60: 400}


def test_the_highest_price_is_accepted_and_one_cent_more_is_not():
    assert rules.check_prices({"60": rules.MAX_PRICE_CENTS})[60] == rules.MAX_PRICE_CENTS
    assert refused_field(rules.check_prices, {"60": rules.MAX_PRICE_CENTS + 1}) == "prices.60"


@pytest.mark.parametrize("prices", [{}, {"15": None, "30": None, "60": None}])
def test_at_least_one_session_length_must_be_offered(prices):
    assert refused_field(rules.check_prices, prices) == "prices"


@pytest.mark.parametrize("value", [True, False, 25.0, 25.5, -1, "2500", [2500]])
def test_a_price_that_is_not_whole_non_negative_cents_is_refused_naming_its_length(value):
    assert refused_field(rules.check_prices, {"15": 1500, "30": value}) == "prices.30"


@pytest.mark.parametrize("length", ["45", "0", "120", "fifteen"])
def test_a_price_for_an_unknown_session_length_is_refused(length):
    assert refused_field(rules.check_prices, {"15": 1500, length: 100}) == "prices"


# Schedule


def test_weekly_windows_come_back_sorted_by_day_then_start():
    checked = rules.check_schedule([slot(2, "14:00", "15:00"), slot(0, "13:00", "17:00"), slot(0, "08:00", "09:30")])
    assert checked == (Slot(0, "08:00", "09:30"), Slot(0, "13:00", "17:00"), Slot(2, "14:00", "15:00"))


def test_an_empty_schedule_is_allowed():
    assert rules.check_schedule([]) == ()


def test_back_to_back_windows_do_not_overlap():
    assert len(rules.check_schedule([slot(0, "09:00", "12:00"), slot(0, "12:00", "13:00")])) == 2


def test_the_same_hours_on_different_days_do_not_overlap():
    assert len(rules.check_schedule([slot(0), slot(1), slot(6)])) == 3


@pytest.mark.parametrize("second", [slot(0, "11:59", "13:00"), slot(0, "09:00", "10:00"),
                                    slot(0, "10:00", "11:00"), slot(0, "08:00", "20:00")])
def test_overlapping_windows_on_one_day_are_refused(second):
    assert refused_field(rules.check_schedule, [slot(0, "09:00", "12:00"), second]) == "schedule"


def test_an_overlap_hidden_behind_a_long_window_is_still_found():
    long_day = [slot(3, "08:00", "18:00"), slot(3, "12:00", "13:00"), slot(3, "16:00", "17:00")]
    assert refused_field(rules.check_schedule, long_day) == "schedule"


@pytest.mark.parametrize("start, end", [("12:00", "09:00"), ("09:00", "09:00")])
def test_a_window_must_end_after_it_starts(start, end):
    assert refused_field(rules.check_schedule, [slot(), slot(1, start, end)]) == "schedule.1"


@pytest.mark.parametrize("day", [-1, 7, True, "0", None, 1.0])
def test_a_day_outside_monday_to_sunday_is_refused_naming_the_window(day):
    assert refused_field(rules.check_schedule, [slot(), slot(day)]) == "schedule.1.day"


@pytest.mark.parametrize("start, end", [("9:00", "12:00"), ("09:00", "24:01"), ("09:60", "12:00"),
                                        ("noon", "13:00"), (900, "12:00"), (None, "12:00"),
                                        ("09:00", "25:00"), ("09:00:00", "12:00")])
def test_a_time_that_is_not_hh_mm_is_refused(start, end):
    assert refused_field(rules.check_schedule, [slot(4, start, end)]) == "schedule.0"


def test_a_window_may_end_at_midnight_as_24_00():
    assert rules.check_schedule([slot(5, "22:00", "24:00")]) == (Slot(5, "22:00", "24:00"),)


def test_a_window_may_not_start_at_24_00():
    assert refused_field(rules.check_schedule, [slot(5, "24:00", "24:00")]) == "schedule.0"


def test_a_time_with_a_trailing_newline_is_refused():
    assert refused_field(rules.check_schedule, [slot(0, "09:00\n", "12:00")]) == "schedule.0"


def test_at_most_42_windows_a_week():
    six_a_day = [slot(day, f"{hour:02d}:00", f"{hour:02d}:30") for day in range(7) for hour in range(8, 14)]
    assert len(rules.check_schedule(six_a_day)) == rules.MAX_SLOTS == 42
    assert refused_field(rules.check_schedule, six_a_day + [slot(0, "20:00", "21:00")]) == "schedule"


# Languages


def test_languages_are_short_codes_with_an_optional_region():
    assert rules.check_languages(["en", "pt-BR", "yue"]) == ("en", "pt-BR", "yue")


def test_a_repeated_language_is_kept_once_in_first_order():
    assert rules.check_languages(["fr", "en", "fr", "en"]) == ("fr", "en")


def test_no_languages_is_allowed():
    assert rules.check_languages([]) == ()


@pytest.mark.parametrize("code", ["EN", "english", "pt-br", "pt_BR", "e", "", "en-", "en-USA", 5, None])
def test_a_language_that_is_not_a_code_is_refused(code):
    assert refused_field(rules.check_languages, ["en", code]) == "languages"


def test_at_most_ten_languages():
    codes = ["en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "fi"]
    assert len(rules.check_languages(codes)) == 10
    assert refused_field(rules.check_languages, codes + ["pl"]) == "languages"


def test_a_language_code_with_a_trailing_newline_is_refused():
    assert refused_field(rules.check_languages, ["en\n"]) == "languages"


# Time zones


@pytest.mark.parametrize("name", ["Europe/Paris", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "UTC"])
def test_an_iana_time_zone_is_accepted(name):
    assert rules.check_time_zone(name) == name


@pytest.mark.parametrize("name", ["", "Paris", "Mars/Olympus_Mons", "Europe/", "Europe//Paris", "/etc/localtime",
                                  "../../etc/passwd", "Europe/../Europe/Paris", "Europe/Paris ", "not a zone",
                                  "utc"])
def test_anything_else_is_refused_as_a_time_zone(name):
    assert refused_field(rules.check_time_zone, name) == "time_zone"


# Links


def test_links_are_http_or_https_addresses_with_a_trimmed_label():
    links = rules.check_links([{"label": "  My site ", "url": " https://example.com/me "},
                               {"label": "Blog", "url": "http://blog.example.org"}])
    assert links == (Link("My site", "https://example.com/me"), Link("Blog", "http://blog.example.org"))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<b>x</b>",
                                 "ftp://example.com", "//example.com", "example.com", "https://", "",
                                 "https://example.com/" + "a" * 500])
def test_a_link_that_is_not_a_full_web_address_is_refused_naming_it(url):
    links = [{"label": "Fine", "url": "https://example.com"}, {"label": "Bad", "url": url}]
    assert refused_field(rules.check_links, links) == "links.1.url"


@pytest.mark.parametrize("label", ["", "   ", None, "x" * 61])
def test_a_link_needs_a_label_of_up_to_60_characters(label):
    assert refused_field(rules.check_links, [{"label": label, "url": "https://example.com"}]) == "links.0.label"


def test_at_most_eight_links():
    links = [{"label": f"Link {n}", "url": f"https://example.com/{n}"} for n in range(8)]
    assert len(rules.check_links(links)) == 8
    assert refused_field(rules.check_links, links + [{"label": "One more", "url": "https://example.com"}]) == "links"


def test_a_link_with_control_characters_is_refused():
    assert refused_field(rules.check_links, [{"label": "My\x00site\x1b[2J", "url": "https://example.com"}])


# Text


def test_text_is_trimmed_and_windows_line_endings_become_newlines():
    assert rules.check_text("  line one\r\nline two\n ", field_name="offer", maximum=100) == "line one\nline two"


def test_required_text_may_not_be_blank():
    assert refused_field(rules.check_text, "  \n ", field_name="headline", maximum=120, required=True) == "headline"
    assert rules.check_text("", field_name="qualifications", maximum=3000) == ""


def test_text_is_at_most_its_maximum_after_trimming():
    assert rules.check_text(" " + "x" * 120 + " ", field_name="headline", maximum=120) == "x" * 120
    assert refused_field(rules.check_text, "x" * 121, field_name="headline", maximum=120) == "headline"


def test_tabs_and_newlines_are_allowed_in_text():
    assert rules.check_text("a\tb\nc", field_name="offer", maximum=100) == "a\tb\nc"


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\r", "\x0b", "\x0c"])
def test_control_characters_are_refused_in_text(control):
    assert refused_field(rules.check_text, f"fix{control}it", field_name="offer", maximum=100) == "offer"


# Invisible characters: one rule (domain.user_text) for every text others see

BIDI_SPOOF = "Support \u202eecilA\u202c"  # reads "Support Alice" once rendered


@pytest.mark.parametrize("written, shown", [
    (BIDI_SPOOF, "Support ecilA"),
    ("\u2066Ada\u2069 \u2067x\u2069 \u2068y\u2069 \u202ab\u202c \u202bc\u202c \u202dd\u202c", "Ada x y b c d"),
    ("\u200eleft\u200f right\u061c", "left right"),  # bidi marks
    ("ad\u200bmin", "admin"), ("a\u2060d\u2061m\u2062i\u2063n\u2064", "admin"),  # zero-width, word joiner
    ("\ufeffsoft\u00adhy\u180ephen", "softhyphen"),  # BOM, soft hyphen, Mongolian vowel separator
    ("x\U000E0041\U000E0042\U000E0043", "x"),  # tag characters hiding text
    ("\u3164\u115f\u2800\uffa0", ""), ("a\u034fb", "ab"),  # characters that draw nothing
    ("a\ufe0f\ufe0f\ufe0fb", "a\ufe0fb"),  # one variation selector per character at most
    ("\ud800lone", "lone"),  # a lone surrogate (DynamoDB cannot store it)
    ("a\u200db", "ab"), ("\u200d\U0001F469", "\U0001F469"), ("Ada \u200c", "Ada "),  # joiners beside Latin or at an end
])
def test_invisible_format_characters_are_removed(written, shown):
    assert visible_text(written) == shown


@pytest.mark.parametrize("kept", [
    "\U0001F469\u200d\U0001F4BB",  # woman technologist: an emoji sequence needs its joiner
    "\U0001F468\u200d\U0001F469\u200d\U0001F467",  # family
    "\U0001F441\ufe0f\u200d\U0001F5E8\ufe0f",  # eye in speech bubble (selector, then joiner)
    "\U0001F3F3\ufe0f\u200d\U0001F308",  # rainbow flag
    "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",  # England: tags in a flag
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian needs the non-joiner
    "\u0915\u094d\u200d\u0937",  # Devanagari half form needs the joiner
    "Zo\u00eb, \u65e5\u672c, 1\ufe0f\u20e3, \u00a9\ufe0f", "plain ASCII text",
])
def test_writing_that_needs_joiners_and_selectors_is_kept(kept):
    assert visible_text(kept) == kept


@given(st.text())
def test_visible_text_leaves_no_bidi_control_and_is_stable(written):
    shown = visible_text(written)
    assert visible_text(shown) == shown
    assert not any(unicodedata.category(c) == "Cf" and c not in "\u200c\u200d" and not "\U000E0020" <= c <= "\U000E007F"
                   for c in shown)


def test_page_text_loses_invisible_characters_and_invisible_only_text_is_blank():
    assert rules.check_text(BIDI_SPOOF, field_name="headline", maximum=120) == "Support ecilA"
    assert rules.check_text("Fix \u200bit\n\u2067now\u2069", field_name="offer", maximum=100) == "Fix it\nnow"
    assert refused_field(rules.check_text, "\u200b\u202e\u2066", field_name="headline", maximum=120,
                         required=True) == "headline"


def test_link_labels_lose_invisible_characters_and_addresses_with_them_are_refused():
    [link] = rules.check_links([{"label": "\u202eetis yM\u202c", "url": "https://example.com"}])
    assert link.label == "etis yM"
    assert refused_field(rules.check_links, [{"label": "\u200b", "url": "https://example.com"}]) == "links.0.label"
    assert refused_field(rules.check_links, [{"label": "Me", "url": "https://exa\u200bmple.com"}]) == "links.0.url"
    assert refused_field(rules.check_links, [{"label": "Me", "url": "https://example.com/\u202efdp.exe"}]) == "links.0.url"


def test_cards_show_stored_text_without_invisible_characters():
    page = HelperPage(user_id="u1", username="ada", display_name=BIDI_SPOOF, headline="Plumber\u200b \u2066pro\u2069",
                      offer="o")
    shown = rules.card(page, "online")
    assert shown["display_name"] == "Support ecilA" and shown["headline"] == "Plumber pro"
    stored = {**shown, "display_name": BIDI_SPOOF, "headline": None}  # a listing written before the rule
    assert rules.shown_card(stored) == {**stored, "display_name": "Support ecilA"}


def test_category_names_and_banners_lose_invisible_characters():
    category = check_category("plumbing", " Plu\u200bmbing\u202e ", "Leaks\u2066 fixed", None, 1)
    assert (category.name, category.banner) == ("Plumbing", "Leaks fixed")
    with pytest.raises(InvalidInput):
        check_category("plumbing", "\u200b\u200b", "Banner", None, 1)
    with pytest.raises(InvalidInput):
        check_category("plumbing", "Plumbing", "Bad\x00banner", None, 1)


def test_refund_reasons_statements_notes_and_store_names_lose_invisible_characters():
    assert payment_text("Never \u202ewohs\u202c up\r\nat all", field="reason", label="A reason") == "Never wohs up\nat all"
    with pytest.raises(InvalidInput):
        payment_text("\u200b" * 20, field="reason", label="A reason", minimum=10)
    with pytest.raises(InvalidInput):
        payment_text("An escape \x1b[2J here", field="note", label="A note")
    assert check_store_name("Ada\u2019s \u202eerots\u202c", "Ada") == "Ada\u2019s erots"
    assert check_store_name("\u200b", "Ada \u2066L.\u2069") == "Ada L."


# Avatars


@pytest.mark.parametrize("content_type, head", [("image/jpeg", JPEG), ("image/png", PNG), ("image/webp", WEBP)])
def test_an_avatar_whose_first_bytes_are_the_type_it_claims_matches(content_type, head):
    assert rules.avatar_matches(content_type, head) is True


@pytest.mark.parametrize("content_type, head", [
    ("image/jpeg", PNG),  # a PNG claimed as JPEG
    ("image/png", HTML),  # an HTML file claimed as PNG
    ("image/webp", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 16),  # a RIFF that is sound, not WebP
    ("image/png", b""),
    ("image/gif", b"GIF89a" + b"\x00" * 26),  # not a type we take at all
    ("text/html", HTML),
])
def test_an_avatar_whose_bytes_are_not_the_claimed_image_does_not_match(content_type, head):
    assert rules.avatar_matches(content_type, head) is False


def test_avatars_live_under_their_owners_folder():
    assert rules.avatar_prefix("u1") == "media/avatars/u1/"
    assert set(rules.AVATAR_TYPES) == {"image/jpeg", "image/png", "image/webp"}


# The card


def make_page(**changes):
    page = HelperPage(user_id="u1", username="ada", display_name="Ada L.", headline="Plumber, 20 years",
                      offer="I fix leaks.", prices={15: 1500, 30: None, 60: 0})
    return page.with_changes(**changes)


def test_paid_prices_show_only_once_payouts_can_reach_the_helper_and_free_ones_always():
    assert rules.shown_prices(make_page()) == {"15": None, "30": None, "60": 0}
    assert rules.shown_prices(make_page(payouts_ready=True)) == {"15": 1500, "30": None, "60": 0}
    assert rules.card(make_page(), "online")["prices"] == {"15": None, "30": None, "60": 0}


def test_a_card_shows_what_directories_need_and_nothing_else():
    assert rules.card(make_page(payouts_ready=True), "online") == {
        "user_id": "u1", "username": "ada", "display_name": "Ada L.", "headline": "Plumber, 20 years",
        "avatar_url": None, "page_url": "/h/ada", "prices": {"15": 1500, "30": None, "60": 0},
        "rating": None, "status": "online",
    }


def test_a_card_shows_the_avatar_url_and_the_rating_once_there_is_one():
    shown = rules.card(make_page(avatar_key="media/avatars/u1/a.png", rating_total=47, rating_count=10), "busy")
    assert shown["avatar_url"] == "/media/avatars/u1/a.png"
    assert shown["rating"] == {"average": 4.7, "count": 10}
    assert shown["status"] == "busy"


def test_a_card_lists_every_session_length_even_ones_the_page_never_priced():
    assert rules.card(make_page(prices={30: 2500}, payouts_ready=True), "offline")["prices"] == {
        "15": None, "30": 2500, "60": None}


def test_the_rating_average_is_rounded_to_one_decimal_and_none_without_reviews():
    assert make_page(rating_total=14, rating_count=3).rating_average == 4.7
    assert make_page().rating_average is None
