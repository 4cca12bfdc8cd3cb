"""The local stack's downloads server does what the CloudFront downloads distribution does: a GET
or HEAD reaches S3 with the same path and signed query, S3's own Host and no browser header, and
comes back with S3's status, body and download headers plus `nosniff`, a sandboxing CSP and no
referrer; any other method is refused before S3 hears of it."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from infra.local.downloads import DownloadServer
from infra.site_headers import DOWNLOAD_HEADERS

PDF = b"%PDF-1.7\n" + bytes(300)
PATH = "/interkanect-files/files/u1/guide/f1?response-content-type=application%2Fpdf&X-Amz-Signature=abc%2B1"


class FakeS3(BaseHTTPRequestHandler):
    """Answers every GET with the file (a 403 for a bad signature) and keeps what it was sent."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, dict[str, str]]] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append((self.command, self.path, dict(self.headers.items())))
        refused = "X-Amz-Signature=bad" in self.path
        body = b"<Error><Code>SignatureDoesNotMatch</Code></Error>" if refused else PDF
        self.send_response(403 if refused else 200)
        self.send_header("Content-Type", "application/xml" if refused else "application/pdf")
        if not refused:
            self.send_header("Content-Disposition", 'attachment; filename="Guide.pdf"')
            self.send_header("ETag", '"0123abcd"')
            self.send_header("Last-Modified", "Fri, 06 Mar 2026 12:00:00 GMT")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "R1")
        self.send_header("Set-Cookie", "s3=1")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET


@pytest.fixture(autouse=True)
def nothing_seen_yet():
    FakeS3.seen = []


@pytest.fixture(scope="module")
def servers():
    s3 = ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
    threading.Thread(target=s3.serve_forever, daemon=True).start()
    s3_url = f"http://127.0.0.1:{s3.server_address[1]}"
    downloads = DownloadServer(s3_url).start()
    yield downloads.url, s3_url
    downloads.stop()
    s3.shutdown()
    s3.server_close()


def test_a_get_reaches_s3_as_signed_and_comes_back_with_the_headers_s3_cannot_add(servers):
    downloads, s3 = servers
    answer = requests.get(downloads + PATH, headers={"Cookie": "session=1", "Authorization": "Bearer t"},
                          timeout=10)
    [(method, path, headers)] = FakeS3.seen
    assert (method, path) == ("GET", PATH)
    assert headers["Host"] == s3.removeprefix("http://")  # what the link was signed for
    assert not {"Cookie", "Authorization"} & set(headers)
    assert answer.status_code == 200 and answer.content == PDF
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="Guide.pdf"'
    assert (answer.headers["ETag"], answer.headers["Content-Length"]) == ('"0123abcd"', str(len(PDF)))
    assert answer.headers["Last-Modified"] == "Fri, 06 Mar 2026 12:00:00 GMT"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert {name: answer.headers[name] for name in DOWNLOAD_HEADERS} == DOWNLOAD_HEADERS
    assert "Set-Cookie" not in answer.headers and "x-amz-request-id" not in answer.headers


def test_a_head_has_the_headers_and_no_body(servers):
    downloads, _ = servers
    answer = requests.head(downloads + PATH, timeout=10)
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["Content-Length"] == str(len(PDF))
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert [seen[0] for seen in FakeS3.seen] == ["HEAD"]


def test_s3s_refusal_comes_back_as_it_is_with_the_headers_added(servers):
    downloads, _ = servers
    answer = requests.get(downloads + PATH.replace("abc%2B1", "bad"), timeout=10)
    assert answer.status_code == 403 and b"SignatureDoesNotMatch" in answer.content
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_refused_and_never_reach_s3(servers, method):
    downloads, _ = servers
    answer = requests.request(method, downloads + PATH, data=b"x", timeout=10)
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, HEAD"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert FakeS3.seen == []


def test_s3_not_answering_is_a_502():
    closed = DownloadServer("http://127.0.0.1:9").start()  # the discard port: nothing listens
    try:
        answer = requests.get(closed.url + PATH, timeout=10)
    finally:
        closed.stop()
    assert answer.status_code == 502 and answer.headers["X-Content-Type-Options"] == "nosniff"
