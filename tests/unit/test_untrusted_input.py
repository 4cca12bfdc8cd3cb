"""Input from strangers never reaches a 500 or a crashed handler: bodies and frames are bounded
before parsing, validated strictly, and what a validator can raise is a 400 naming the field."""
import json

import pytest

from chalicelib.api.http import MAX_BODY_BYTES, parse_body
from chalicelib.domain import helper_pages as page_rules
from chalicelib.domain.categories import check_category
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.json_input import MAX_DEPTH, loads, nesting_depth
from chalicelib.services.frames import read_frame, validate_frame

# Parser limits


@pytest.mark.parametrize("body", [b"[" * 50_000 + b"]" * 50_000, b"[" * 50_000, b'{"a":' * 20_000,
                                  b'{"headline": ' + b"[" * 17 + b"]" * 17 + b"}"])
def test_a_body_nested_too_deep_is_a_400_before_the_parser_recurses(body):
    with pytest.raises(InvalidInput, match="nests deeper"):
        parse_body(body, "PageBody")


def test_a_body_over_the_size_limit_is_refused_unread():
    with pytest.raises(InvalidInput, match="at most 128 KB"):
        parse_body(b'{"headline": "' + b"x" * MAX_BODY_BYTES + b'"}', "PageBody")


@pytest.mark.parametrize("body", [b'{"amount_cents": NaN}', b'{"amount_cents": Infinity}', b"\xff\xfe",
                                  b'{"amount_cents": 1' + b"0" * 5000 + b"}", b"", b"null"])
def test_what_python_reads_but_json_is_not_is_refused(body):
    with pytest.raises(InvalidInput):
        parse_body(body, "TipBody")


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = json.dumps({"offer": "[[[[" * 100 + '\\"{{' * 100, "links": [{"label": "]]]"}]})
    assert nesting_depth(text.encode()) == 3
    assert loads(text, max_bytes=MAX_BODY_BYTES)["links"][0]["label"] == "]]]"


def test_the_depth_scan_stops_at_the_limit_and_is_linear_on_unterminated_strings():
    assert nesting_depth(b"[" * 100_000, stop_above=MAX_DEPTH) == MAX_DEPTH + 1
    assert nesting_depth(b'"' + b'\\"' * 60_000) == 0  # one string, never closed: read once


# Validators that trusted the standard library


@pytest.mark.parametrize("zone", ["America/Argentina", "America", "Etc", "posixrules", "../etc/passwd",
                                  "America/../Europe/Paris", "Europe/Paris\x00", "", "Zulu/Nowhere"])
def test_a_time_zone_must_be_one_tzdata_really_has(zone):
    with pytest.raises(InvalidInput) as refused:
        page_rules.check_time_zone(zone)
    assert refused.value.field == "time_zone"


@pytest.mark.parametrize("zone", ["America/Argentina/Salta", "Europe/Paris", "UTC", "Etc/GMT+1"])
def test_real_time_zones_are_accepted(zone):
    assert page_rules.check_time_zone(zone) == zone


@pytest.mark.parametrize("url", ["http://[abc", "https://[::1", "http://a.com:99999", "http://a.com:port",
                                 "https://", "javascript:alert(1)", "http:///path", "https://[zz]/"])
def test_a_link_that_does_not_parse_is_a_400_on_its_field(url):
    with pytest.raises(InvalidInput) as refused:
        page_rules.check_links([{"label": "Site", "url": url}])
    assert refused.value.field == "links.0.url"


# Loose types


@pytest.mark.parametrize("price", [True, False, "2500", 4000.0, 2500.5, -1, 1000_01, [2500], {"cents": 1}])
def test_a_price_is_a_true_integer_of_cents_within_the_ceiling(price):
    with pytest.raises(InvalidInput) as refused:
        page_rules.check_prices({"15": price}, max_cents=1000_00)
    assert refused.value.field == "prices.15"


def test_the_price_ceiling_is_the_settings_one():
    assert page_rules.check_prices({"60": 5000_00}, max_cents=10_000_00)[60] == 5000_00
    with pytest.raises(InvalidInput):
        page_rules.check_prices({"60": 5000_00}, max_cents=1000_00)


@pytest.mark.parametrize("prices", [{"15": True}, {"15": "2500"}, {"15": 4000.0}, {"15": 1.0}])
def test_the_page_body_refuses_loose_numbers_before_the_rules_see_them(prices):
    body = {"headline": "h", "offer": "o", "time_zone": "UTC", "prices": prices}
    with pytest.raises(InvalidInput) as refused:
        parse_body(json.dumps(body).encode(), "PageBody")
    assert refused.value.field.startswith("prices")


@pytest.mark.parametrize("position", [True, 1.0, "3", -1, 10_001])
def test_a_category_position_is_a_whole_number(position):
    with pytest.raises(InvalidInput):
        parse_body(json.dumps({"name": "n", "banner": "b", "position": position}).encode(), "CategoryBody")
    with pytest.raises(InvalidInput):
        check_category("plumbing", "Plumbing", "b", None, position)


# WebSocket frames


@pytest.mark.parametrize("frame, field", [
    ({"action": "signal", "call_id": "c", "data": {"type": ["offer"]}}, "data.type"),
    ({"action": "signal", "call_id": ["c"], "data": {"type": "offer"}}, "call_id"),
    ({"action": "signal", "call_id": "c", "data": "offer"}, "data"),
    ({"action": "propose", "call_id": "c", "price_cents": True, "minutes": 15}, "price_cents"),
    ({"action": "propose", "call_id": "c", "price_cents": "2500", "minutes": 15}, "price_cents"),
    ({"action": "accept", "call_id": "c", "price_cents": 2500, "minutes": 15.0}, "minutes"),
    ({"action": "answer", "call_id": {"$ne": ""}}, "call_id"),
    ({"action": "answer"}, "call_id"),
    ({"action": "call", "helper": ["ada"]}, "helper"),
    ({"action": "ping", "id": 1.5}, "id"),
    ({"action": "ping", "id": True}, "id"),
    ({"action": "ping", "extra": 1}, "extra"),
])
def test_a_frame_with_a_wrong_field_is_refused_naming_it(frame, field):
    with pytest.raises(InvalidInput) as refused:
        validate_frame(read_frame(json.dumps(frame)))
    assert refused.value.field.startswith(field)


def test_a_frame_nested_too_deep_is_refused_before_parsing():
    with pytest.raises(InvalidInput, match="nests deeper"):
        read_frame('{"action": "signal", "data": ' + "[" * 10_000 + "]" * 10_000 + "}")


def test_a_valid_signal_keeps_its_payload_for_the_other_participant():
    frame = {"action": "signal", "call_id": "c1", "data": {"type": "ice", "candidate": {"sdpMid": "0"}}}
    assert validate_frame(read_frame(json.dumps(frame))) == frame
