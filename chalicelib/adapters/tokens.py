"""Verifies Cognito access tokens in-process: signature against the pool's JWKS, issuer,
app client, token use and expiry. The same check runs on AWS, locally and in tests."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import InvalidToken
from chalicelib.domain.sessions import session_id_of

BEARER = "bearer "


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header (a bare token is accepted too)."""
    value = (header or "").strip()
    if value.lower().startswith(BEARER):
        value = value[len(BEARER):].strip()
    if not value:
        raise InvalidToken("Sign in first: no token was sent.")
    return value


class CognitoTokenVerifier:
    """Checks an access token; keys are fetched once from the JWKS URL and cached."""

    def __init__(self, *, issuer: str, client_id: str, jwks_url: str, leeway_seconds: int = 0) -> None:
        import jwt  # imported on first use: keeps the Lambda's cold import lean

        self._jwt = jwt
        self._issuer = issuer
        self._client_id = client_id
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=6 * 3600, timeout=5)
        self._leeway = leeway_seconds

    def verify(self, token: str) -> Principal:
        jwt = self._jwt
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("Your session has expired; sign in again.") from error
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken("That token is not valid; sign in again.") from error
        if claims.get("token_use") != "access":
            raise InvalidToken("Send the access token, not the id token.")
        if claims.get("client_id") != self._client_id:
            raise InvalidToken("That token was issued to another application.")
        groups = claims.get("cognito:groups") or []
        return Principal(user_id=claims["sub"], groups=tuple(groups), session_id=session_id_of(claims),
                         issued_at=int(claims["iat"]))


class InMemoryTokenVerifier:
    """The verifier's twin for unit tests: tokens are whatever `issue` handed out."""

    def __init__(self) -> None:
        self.tokens: dict[str, Principal] = {}

    def issue(self, token: str, principal: Principal) -> str:
        self.tokens[token] = principal
        return token

    def verify(self, token: str) -> Principal:
        try:
            return self.tokens[token]
        except KeyError:
            raise InvalidToken("That token is not valid; sign in again.") from None
