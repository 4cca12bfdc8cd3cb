"""Serves the built site (`infra/site_build.py`) as CloudFront would: security headers, a runtime
`config.js`, `/api/*` forwarded to the REST API (same origin, as the CloudFront `/api/*`
behaviour does) and the public pages (`/h/*`, the stores, `/marketplace`) forwarded with only the
query strings their CloudFront cache policy lets through. A missing file is a 404 with the site's
`404.html`, once it has one. Given a mailbox, it also serves the local stack's own
`/_local/mailbox` pages (never on AWS)."""
from __future__ import annotations

import json
import logging
import mimetypes
import re
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from infra.site_headers import PERMISSIONS_POLICY, content_security_policy
from infra.local.loopback import LoopbackServer

if TYPE_CHECKING:
    from infra.local.mailbox import Mailbox

log = logging.getLogger("local-stack.site")


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Hands redirects (the API's 301s for old usernames) to the browser, as CloudFront does."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# The public pages CloudFront sends to the REST API (infra/cdk/stack.py), first match first, with
# the query strings each one's cache policy forwards: the Helper page none, the stores and the
# Marketplace their paging and search. Others are dropped here as there, so a page that reads
# another one fails locally too.
STORE_PAGE_QUERY_STRINGS = ("cursor", "q", "category")
PUBLIC_PAGES = (
    ("/h/*/store", STORE_PAGE_QUERY_STRINGS),
    ("/h/*/store/*", STORE_PAGE_QUERY_STRINGS),
    ("/h/*/blog", STORE_PAGE_QUERY_STRINGS),  # the blog's pages ("Older posts"), cached as the stores
    ("/h/*", ()),
    ("/marketplace", STORE_PAGE_QUERY_STRINGS),
)


def path_matches(pattern: str, path: str) -> bool:
    """CloudFront's path patterns: `*` is any characters (`/` too), `?` one; case-sensitive."""
    return re.fullmatch("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                        path) is not None


def public_page_query(path: str, query: str) -> str | None:
    """What of `query` CloudFront forwards for a public page at `path`, or None when `path` is not
    one (it goes elsewhere)."""
    for pattern, names in PUBLIC_PAGES:
        if path_matches(pattern, path):
            return urlencode([(name, value) for name, value in parse_qsl(query, keep_blank_values=True)
                              if name in names])
    return None


_NO_REDIRECTS = urllib.request.build_opener(_KeepRedirects)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "host", "content-length"}


class StaticSite(LoopbackServer):
    name = "site"

    def __init__(self, root: Path, *, api_url: str, websocket_url: str, media: "MediaBucket",
                 mailbox: "Mailbox | None" = None, host: str = "127.0.0.1", port: int = 0) -> None:
        config = {"api": "/api", "websocket": websocket_url, "local": True}
        handler = type("SiteHandler", (_SiteHandler,), {
            "root": root.resolve(),
            "api_url": api_url.rstrip("/"),
            "media": media,
            "mailbox": mailbox,
            "config_js": f"window.IK_CONFIG = {json.dumps(config)};\n".encode(),
            "csp": content_security_policy(websocket_url, upload_origin=media.origin),
        })
        super().__init__(handler, host=host, port=port)


class MediaBucket:
    """Reads `/media/*` from the uploads bucket with credentials, as CloudFront's OAC does."""

    def __init__(self, client: Any, bucket: str, endpoint: str) -> None:
        self._client = client
        self._bucket = bucket
        parts = urlsplit(endpoint)
        self.origin = f"{parts.scheme}://{parts.netloc}"  # where avatar forms post to

    def read(self, key: str) -> tuple[bytes, str, str] | None:
        """The object's bytes, type and Cache-Control (CloudFront passes the object's own on,
        a day when it has none)."""
        try:
            answer = self._client.get_object(Bucket=self._bucket, Key=key)
        except self._client.exceptions.NoSuchKey:
            return None
        return (answer["Body"].read(), answer.get("ContentType", "application/octet-stream"),
                answer.get("CacheControl") or "public, max-age=86400")


class _SiteHandler(BaseHTTPRequestHandler):
    root: Path
    api_url: str
    media: MediaBucket
    mailbox: "Mailbox | None"
    config_js: bytes
    csp: str
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm holds
    # the body until the client's delayed ACK (40 ms) on every keep-alive response.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug(format, *args)

    def _security_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "strict-origin-when-cross-origin")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Permissions-Policy", PERMISSIONS_POLICY)

    def _send(self, status: int, body: bytes, content_type: str, cache: str = "no-cache") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self._security_headers()
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _static(self) -> None:
        path = urlsplit(self.path).path
        if path == "/config.js":
            return self._send(200, self.config_js, "text/javascript; charset=utf-8", "no-store")
        relative = path.lstrip("/") or "index.html"
        target = (self.root / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        inside = target == self.root or self.root in target.parents
        if not inside or not target.is_file():
            missing = self.root / "404.html"
            body = missing.read_bytes() if missing.is_file() else b"Not found\n"
            return self._send(404, body, "text/html; charset=utf-8")
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        return self._send(200, target.read_bytes(), content_type)

    def _proxy(self, upstream: str) -> None:
        """Forwards the request to `upstream` with method, headers and body."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        request = urllib.request.Request(upstream, data=body, method=self.command)
        for name, value in self.headers.items():
            if name.lower() not in HOP_BY_HOP:
                request.add_header(name, value)
        try:
            with _NO_REDIRECTS.open(request, timeout=60) as answer:
                status, headers, payload = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, headers, payload = error.code, error.headers, error.read()
        except urllib.error.URLError:
            status, headers = 502, None
            payload = b'{"error":{"code":"bad_gateway","message":"The API is not answering."}}'
        self.send_response(status)
        content_type = headers.get("Content-Type", "application/json") if headers else "application/json"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name in ("Location", "Cache-Control", "Content-Disposition"):
            if headers and headers.get(name):
                self.send_header(name, headers[name])
        if not (headers and headers.get("Cache-Control")):
            self.send_header("Cache-Control", "no-store")
        self._security_headers()
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _media(self) -> None:
        found = self.media.read(unquote(urlsplit(self.path).path).lstrip("/"))
        if found is None:
            return self._send(404, b"Not found\n", "text/plain; charset=utf-8")
        return self._send(200, *found)

    def _mailbox(self) -> None:
        from infra.local.mailbox import EMAIL_HTML_HEADERS

        page = self.mailbox.page(urlsplit(self.path).path)  # type: ignore[union-attr]
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        self.send_header("Cache-Control", "no-store")
        if page.email_html:
            for name, value in EMAIL_HTML_HEADERS.items():
                self.send_header(name, value)
        else:
            self._security_headers()
        for name, value in page.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page.body)

    def _route(self) -> None:
        """The paths CloudFront sends elsewhere: `/api/*` and the public pages to the API,
        `/media/*` to the uploads bucket; the rest is the static site."""
        if self.path == "/api" or self.path.startswith("/api/"):
            return self._proxy(self.api_url + self.path[len("/api"):])
        parts = urlsplit(self.path)
        query = public_page_query(parts.path, parts.query)
        if query is not None:
            return self._proxy(self.api_url + parts.path + (f"?{query}" if query else ""))
        if self.path.startswith("/media/") and self.command in ("GET", "HEAD"):
            return self._media()
        if self.mailbox is not None and self.path.startswith("/_local/mailbox") and self.command in ("GET", "HEAD"):
            return self._mailbox()
        if self.command in ("GET", "HEAD"):
            return self._static()
        return self._send(405, b"Method not allowed\n", "text/plain; charset=utf-8")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _route
