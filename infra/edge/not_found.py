"""Lambda@Edge, origin response of the site's own behaviour: a page the site bucket does not
have is answered with the site's 404 page, status 404; every other answer passes through.

The function ships alone with the built `404.html` beside it (Lambda@Edge has no environment
variables), so it imports nothing from the project.
"""
from __future__ import annotations

from pathlib import Path

PAGE = (Path(__file__).parent / "404.html").read_text(encoding="utf-8")
# S3 answers a missing key with 403, not 404, to a reader that may not list the bucket (the site
# bucket's policy grants CloudFront GetObject only): to the visitor both mean "no such page".
MISSING = {"403", "404"}
HEADERS = {
    "content-type": [{"key": "Content-Type", "value": "text/html; charset=utf-8"}],
    # Short: a page published a minute later is found.
    "cache-control": [{"key": "Cache-Control", "value": "max-age=60"}],
}


def origin_response(record: dict) -> dict:
    """The response CloudFront should give for one origin-response event record."""
    response = record["cf"]["response"]
    if response["status"] not in MISSING:
        return response
    # The origin's headers stay (CloudFront refuses changes to some, e.g. Transfer-Encoding);
    # S3's XML error type and caching are replaced.
    return {**response, "status": "404", "statusDescription": "Not Found",
            "headers": {**response["headers"], **HEADERS},
            "body": PAGE, "bodyEncoding": "text"}


def handler(event: dict, context: object) -> dict:
    return origin_response(event["Records"][0])
