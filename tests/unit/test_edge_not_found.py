"""The site's 404 on AWS (infra/edge/not_found.py, Lambda@Edge on the distribution's default
behaviour, origin response): a page the bucket lacks is answered 404 with the site's own built
404 page; everything else the bucket answers passes through untouched. Tested as packaged: the
handler imported from its package beside the built page, as it runs at the edge."""
from __future__ import annotations

import copy
import importlib.util

import pytest

from infra.edge import NOT_FOUND_FILES, package_not_found
from infra.site_build import build


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build(tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="module")
def package(site, tmp_path_factory):
    return package_not_found(site, tmp_path_factory.mktemp("edge") / "not-found")


@pytest.fixture(scope="module")
def not_found(package):
    spec = importlib.util.spec_from_file_location("packaged_not_found", package / "not_found.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def s3_record(status: str, description: str, uri: str = "/no-such-page.html") -> dict:
    """An origin-response event record as CloudFront sends it for the site bucket's answer."""
    return {"cf": {
        "config": {"distributionDomainName": "d111111abcdef8.cloudfront.net",
                   "distributionId": "EDFDVBD6EXAMPLE", "eventType": "origin-response",
                   "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="},
        "request": {"clientIp": "203.0.113.178", "method": "GET", "querystring": "", "uri": uri,
                    "headers": {"host": [{"key": "Host", "value": "bucket.s3.eu-west-3.amazonaws.com"}]}},
        "response": {
            "status": status, "statusDescription": description,
            "headers": {
                "content-type": [{"key": "Content-Type", "value": "application/xml"}],
                "transfer-encoding": [{"key": "Transfer-Encoding", "value": "chunked"}],
                "x-amz-request-id": [{"key": "x-amz-request-id", "value": "EXAMPLE0REQUEST"}],
                "date": [{"key": "Date", "value": "Fri, 13 Feb 2026 10:00:00 GMT"}],
                "server": [{"key": "Server", "value": "AmazonS3"}],
            },
        },
    }}


def header(response: dict, name: str) -> str:
    (entry,) = response["headers"][name]
    return entry["value"]


def test_the_package_holds_the_handler_and_the_built_404_page_only(site, package):
    assert sorted(path.name for path in package.iterdir()) == sorted(NOT_FOUND_FILES)
    assert (package / "404.html").read_bytes() == (site / "404.html").read_bytes()


@pytest.mark.parametrize("status, description", [("404", "Not Found"), ("403", "Forbidden")])
def test_a_page_the_bucket_lacks_is_answered_404_with_the_sites_404_page(
        not_found, site, status, description):
    response = not_found.origin_response(s3_record(status, description))
    assert response["status"] == "404" and response["statusDescription"] == "Not Found"
    assert response["body"] == (site / "404.html").read_text(encoding="utf-8")
    assert response["bodyEncoding"] == "text"
    assert "<h1 id=\"not-found-title\">This page does not exist</h1>" in response["body"]
    assert header(response, "content-type") == "text/html; charset=utf-8"
    assert header(response, "cache-control") == "max-age=60"


def test_the_origins_other_headers_stay_as_cloudfront_refuses_changes_to_some(not_found):
    response = not_found.origin_response(s3_record("404", "Not Found"))
    assert header(response, "transfer-encoding") == "chunked"  # read-only for origin response
    assert header(response, "x-amz-request-id") == "EXAMPLE0REQUEST"


@pytest.mark.parametrize("status, description", [("200", "OK"), ("304", "Not Modified")])
def test_found_and_not_modified_answers_pass_through_unchanged(not_found, status, description):
    record = s3_record(status, description, uri="/index.html")
    before = copy.deepcopy(record)
    assert not_found.origin_response(record) == before["cf"]["response"]
    assert record == before


def test_the_event_record_is_not_changed_in_place(not_found):
    record = s3_record("404", "Not Found")
    before = copy.deepcopy(record)
    not_found.origin_response(record)
    assert record == before


def test_the_handler_answers_the_events_one_record(not_found):
    event = {"Records": [s3_record("404", "Not Found")]}
    response = not_found.handler(event, None)
    assert response["status"] == "404" and response["body"] == not_found.PAGE
