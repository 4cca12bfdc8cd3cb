"""Sign-out rules: a signed-out session, or a person signed out everywhere, ends every access
token issued for it at once, on every route and socket, without waiting for the token to expire.

A *session* is one sign-in: Cognito's `origin_jti`, which every token refreshed from that sign-in
keeps (`jti`, the token's own id, stands in when a token has none).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Revocations:
    """What is on record against one token: its session signed out, and when its person last
    signed out everywhere (epoch seconds)."""

    session_revoked: bool = False
    signed_out_everywhere_at: int | None = None


def session_id_of(claims: Mapping[str, Any]) -> str:
    """The sign-in a token belongs to: `origin_jti`, else the token's own `jti`, else ""."""
    return str(claims.get("origin_jti") or claims.get("jti") or "")


def token_revoked(*, issued_at: int, revocations: Revocations) -> bool:
    """Whether a token of a session is no longer honoured. A token issued in the very second of
    signing out everywhere is refused too: `iat` has whole seconds, so it cannot be told apart
    from one issued just before (a new sign-in a second later works)."""
    if revocations.session_revoked:
        return True
    everywhere = revocations.signed_out_everywhere_at
    return everywhere is not None and issued_at <= everywhere


def revocation_kept_until(*, now: int, session_seconds: int) -> int:
    """How long a revocation is kept: as long as the session could still produce tokens (its
    refresh token's lifetime); every token it issued has expired by then."""
    return now + session_seconds
