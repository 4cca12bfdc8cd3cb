"""The rules of a Helper's page: prices, schedule, languages, time zone, links, text, avatar, card."""
import pytest

from chalicelib.domain import helper_pages as rules
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


def test_a_card_shows_what_directories_need_and_nothing_else():
    assert rules.card(make_page(), "online") == {
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
    assert rules.card(make_page(prices={30: 2500}), "offline")["prices"] == {"15": None, "30": 2500, "60": None}


def test_the_rating_average_is_rounded_to_two_decimals_and_none_without_reviews():
    assert make_page(rating_total=14, rating_count=3).rating_average == 4.67
    assert make_page().rating_average is None
