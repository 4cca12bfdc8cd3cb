"""The site's security headers, one definition for CloudFront (infra/cdk) and the local site."""
from __future__ import annotations

# The call room needs camera, microphone and screen sharing, from this origin only.
PERMISSIONS_POLICY = "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=()"


def content_security_policy(websocket_origin: str) -> str:
    """Only the site's own origin, plus the WebSocket API (a `ws:`/`wss:` origin or pattern)."""
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
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))
