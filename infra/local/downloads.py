"""The downloads distribution on one machine, as CloudFront is on AWS (infra/cdk/stack.py): buyers'
links to digital goods come here, never to the site's origin. A GET or HEAD goes on to S3 (moto)
with the same path and query (the presigned signature), no browser header and S3's own Host, and
comes back with S3's status, body and the headers a download needs, plus those S3 cannot add
(`nosniff`, a sandboxing CSP, no referrer). Any other method is refused; nothing is cached."""
from __future__ import annotations

import http.client
import logging
import shutil
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import SplitResult, urlsplit

from infra.site_headers import DOWNLOAD_HEADERS
from infra.local.loopback import LoopbackServer

log = logging.getLogger("local-stack.downloads")

# What of S3's answer reaches the browser, besides the status and the body.
FROM_S3 = ("Content-Type", "Content-Disposition", "Content-Length", "ETag", "Last-Modified")


class DownloadServer(LoopbackServer):
    """A loopback server in front of the S3 endpoint at `s3_url`."""

    name = "downloads"

    def __init__(self, s3_url: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("DownloadHandler", (_DownloadHandler,), {"s3": urlsplit(s3_url)})
        super().__init__(handler, host=host, port=port)


class _DownloadHandler(BaseHTTPRequestHandler):
    s3: SplitResult
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see site.py: headers and body go out in separate writes

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug(format, *args)

    def _headers_s3_cannot_add(self) -> None:
        for name, value in DOWNLOAD_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Cache-Control", "no-store")

    def _refuse(self, status: int, message: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(message)))
        for name, value in headers.items():
            self.send_header(name, value)
        self._headers_s3_cannot_add()
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(message)

    def _forward(self) -> None:
        if not self.path.startswith("/"):
            return self._refuse(400, b"Bad request\n")
        s3 = http.client.HTTPConnection(self.s3.hostname, self.s3.port, timeout=60)
        try:
            try:
                s3.request(self.command, self.path)  # Host: S3's own, what the link was signed for
                answer = s3.getresponse()
            except OSError:
                return self._refuse(502, b"S3 is not answering.\n")
            self.send_response(answer.status)
            for name in FROM_S3:
                if answer.getheader(name) is not None:
                    self.send_header(name, answer.getheader(name))
            if answer.getheader("Content-Length") is None:
                self.send_header("Connection", "close")  # the body ends when the connection does
                self.close_connection = True
            self._headers_s3_cannot_add()
            self.end_headers()
            if self.command != "HEAD":
                shutil.copyfileobj(answer, self.wfile, 64 * 1024)
        finally:
            s3.close()

    def _not_allowed(self) -> None:
        self._refuse(405, b"Method not allowed\n", Allow="GET, HEAD")

    do_GET = do_HEAD = _forward
    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _not_allowed
