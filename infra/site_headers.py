"""The site's security headers, one definition for CloudFront (infra/cdk) and the local site."""
from __future__ import annotations

from typing import Iterable

# The call room needs camera, microphone and screen sharing, from this origin only.
PERMISSIONS_POLICY = "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=()"


def content_security_policy(websocket_origin: str, *,
                            upload_origin: str | Iterable[str] | None = None) -> str:
    """Only the site's own origin, plus the WebSocket API (a `ws:`/`wss:` origin or pattern) and,
    when given, the uploads bucket the avatar form posts to (one origin or several)."""
    if upload_origin is None:
        upload_origins: tuple[str, ...] = ()
    elif isinstance(upload_origin, str):
        upload_origins = (upload_origin,)
    else:
        upload_origins = tuple(upload_origin)
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "media-src 'self' blob:",
        f"connect-src 'self' {websocket_origin}",
        "object-src 'none'",
        "base-uri 'self'",
        " ".join(("form-action 'self'", *upload_origins)),
        "frame-ancestors 'none'",
    ))


# The downloads distribution's (digital goods, never on the site's origin): the file keeps the
# type it was checked as, never runs as a page (no sources, sandboxed), is never framed and sends
# no referrer. CloudFront adds HSTS too (infra/cdk); over the local stack's http it means nothing.
DOWNLOAD_CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox"
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": DOWNLOAD_CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
