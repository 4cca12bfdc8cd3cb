"""Sessions: signing out (this session, or everywhere) and refusing the tokens of ended sessions,
on every route (the authorizer) and socket (`$connect`), at once rather than at their expiry."""
from __future__ import annotations

from typing import Callable

from chalicelib.adapters.identity import IdentityProvider
from chalicelib.adapters.revocations import RevocationStore
from chalicelib.domain import sessions as rules
from chalicelib.domain.accounts import Principal, Session
from chalicelib.domain.errors import InvalidToken

# Closes a person's open sockets of one session (all of them for None); returns how many.
EndConnections = Callable[[str, "str | None"], int]


def refuse_if_signed_out(principal: Principal, *, revocations: RevocationStore) -> Principal:
    """The principal of a verified token, unless its session was signed out (one read)."""
    found = revocations.find(user_id=principal.user_id, session_id=principal.session_id)
    if rules.token_revoked(issued_at=principal.issued_at, revocations=found):
        raise InvalidToken("You signed out of this session; sign in again.")
    return principal


def sign_out(*, principal: Principal, refresh_token: str | None, identity: IdentityProvider,
             revocations: RevocationStore, end_connections: EndConnections, now: int,
             session_seconds: int) -> int:
    """Ends the caller's session: its refresh token is revoked at Cognito when the browser sends
    it, its tokens are refused from now on (refreshed ones too), and its open sockets are closed.
    Returns how many sockets were closed."""
    if refresh_token:
        identity.revoke_refresh_token(refresh_token=refresh_token)
    if principal.session_id:
        revocations.revoke_session(user_id=principal.user_id, session_id=principal.session_id, at=now,
                                   keep_until=rules.revocation_kept_until(now=now, session_seconds=session_seconds))
    return end_connections(principal.user_id, principal.session_id)


def sign_out_everywhere(*, principal: Principal, access_token: str, identity: IdentityProvider,
                        revocations: RevocationStore, end_connections: EndConnections, now: int,
                        session_seconds: int) -> int:
    """Ends every session of the caller on every device: Cognito revokes all their refresh tokens
    first (so no session can make a new token), then every token issued until now is refused and
    all their sockets are closed. Returns how many sockets were closed."""
    identity.sign_out_everywhere(access_token=access_token, user_id=principal.user_id)
    revocations.revoke_everywhere(user_id=principal.user_id, at=now,
                                  keep_until=rules.revocation_kept_until(now=now, session_seconds=session_seconds))
    return end_connections(principal.user_id, None)


def refresh(*, refresh_token: str, identity: IdentityProvider, verify: Callable[[str], Principal],
            revocations: RevocationStore) -> Session:
    """New tokens for a session that was not signed out. A session signed out without its
    refresh token being revoked at Cognito still refreshes there; its new tokens are refused
    here anyway, so say so now rather than hand out tokens that every route refuses."""
    session = identity.refresh(refresh_token=refresh_token)
    refuse_if_signed_out(verify(session.access_token), revocations=revocations)
    return session
