"""The identity provider port: Amazon Cognito, and an in-memory twin for unit tests."""
from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from chalicelib.domain.accounts import Principal, Session
from chalicelib.domain.errors import (
    AccountNotConfirmed,
    EmailTaken,
    InvalidConfirmationCode,
    InvalidInput,
    InvalidToken,
    ServiceUnavailable,
    TooManyAttempts,
    WeakPassword,
    WrongCredentials,
)
from chalicelib.observability import logger


class IdentityProvider(Protocol):
    def sign_up(self, *, email: str, password: str, display_name: str) -> str: ...
    def confirm(self, *, email: str, code: str) -> None: ...
    def resend_code(self, *, email: str) -> None: ...
    def sign_in(self, *, email: str, password: str) -> Session: ...
    def refresh(self, *, refresh_token: str) -> Session: ...
    def revoke_refresh_token(self, *, refresh_token: str) -> None: ...
    def sign_out_everywhere(self, *, access_token: str, user_id: str) -> None: ...
    def delete_user(self, *, user_id: str) -> None: ...
    def is_confirmed(self, *, user_id: str) -> bool | None: ...
    def users_with_email(self, prefix: str, *, limit: int = 10) -> list[str]: ...  # user ids, for ops' lookup


# Cognito error codes, translated into the product's own facts.
_COGNITO_ERRORS: dict[str, tuple[type, str]] = {
    "UsernameExistsException": (EmailTaken, "An account with this email already exists."),
    "InvalidPasswordException": (WeakPassword, "Password does not meet the policy."),
    "NotAuthorizedException": (WrongCredentials, "Email or password is wrong."),
    "UserNotFoundException": (WrongCredentials, "Email or password is wrong."),
    "UserNotConfirmedException": (AccountNotConfirmed, "Confirm your email address first."),
    "CodeMismatchException": (InvalidConfirmationCode, "That code is not right."),
    "ExpiredCodeException": (InvalidConfirmationCode, "That code has expired; ask for a new one."),
    "InvalidParameterException": (InvalidInput, "Some details are not valid."),
    "TooManyRequestsException": (TooManyAttempts, "Too many attempts; wait a minute."),
    "TooManyFailedAttemptsException": (TooManyAttempts, "Too many attempts; wait a minute."),
    "LimitExceededException": (TooManyAttempts, "Too many attempts; wait a minute."),
    # RevokeToken's refusals: the refresh token is not one of this app client's live tokens.
    "UnauthorizedException": (InvalidToken, "Your session has already ended."),
    "UnsupportedTokenTypeException": (InvalidToken, "Your session has already ended."),
}


class CognitoIdentity:
    """Accounts in an Amazon Cognito user pool; sign-in with email, the `sub` is the user id."""

    def __init__(self, client: Any, *, user_pool_id: str, client_id: str) -> None:
        self._client = client
        self._pool = user_pool_id
        self._app_client = client_id

    def _call(self, operation: str, **params: Any) -> dict:
        try:
            return getattr(self._client, operation)(**params)
        except self._client.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            mapped = _COGNITO_ERRORS.get(code)
            if mapped is None:
                logger().exception("cognito %s failed", operation, extra={"cognito_error": code})
                raise ServiceUnavailable("Accounts are unavailable right now; try again shortly.") from error
            exc_type, message = mapped
            raise exc_type(message) from error

    def sign_up(self, *, email: str, password: str, display_name: str) -> str:
        answer = self._call(
            "sign_up",
            ClientId=self._app_client,
            Username=email,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": display_name}],
        )
        return answer["UserSub"]

    def confirm(self, *, email: str, code: str) -> None:
        """A code that does not confirm is one answer, whether the email has no account, an
        account confirmed already (Cognito: NotAuthorized) or another code: no account is told apart."""
        try:
            self._call("confirm_sign_up", ClientId=self._app_client, Username=email, ConfirmationCode=code)
        except WrongCredentials as error:
            raise InvalidConfirmationCode("That code is not right.") from error

    def resend_code(self, *, email: str) -> None:
        try:
            self._call("resend_confirmation_code", ClientId=self._app_client, Username=email)
        except (WrongCredentials, InvalidInput):
            pass  # no such account, or confirmed already: say "sent" anyway, to reveal no accounts

    def sign_in(self, *, email: str, password: str) -> Session:
        answer = self._call(
            "initiate_auth",
            ClientId=self._app_client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        return _session(answer)

    def refresh(self, *, refresh_token: str) -> Session:
        try:
            answer = self._call(
                "initiate_auth",
                ClientId=self._app_client,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )
        except WrongCredentials as error:
            raise InvalidToken("Your session has ended; sign in again.") from error
        return _session(answer, refresh_token=refresh_token)

    def revoke_refresh_token(self, *, refresh_token: str) -> None:
        """Cognito's RevokeToken: this sign-in's refresh token, and the tokens it issued, end.
        One that already ended (or was never ours) needs nothing more."""
        try:
            self._call("revoke_token", ClientId=self._app_client, Token=refresh_token)
        except InvalidToken:
            pass

    def sign_out_everywhere(self, *, access_token: str, user_id: str) -> None:
        """Cognito's GlobalSignOut: every refresh token of the person is revoked. If Cognito no
        longer honours this access token (its own sign-in was revoked there), the admin call
        does the same by the person's id."""
        try:
            self._call("global_sign_out", AccessToken=access_token)
        except WrongCredentials:
            self._call("admin_user_global_sign_out", UserPoolId=self._pool, Username=user_id)

    def delete_user(self, *, user_id: str) -> None:
        self._call("admin_delete_user", UserPoolId=self._pool, Username=user_id)

    def is_confirmed(self, *, user_id: str) -> bool | None:
        """Whether the account has confirmed its email (None: there is no such account)."""
        try:
            answer = self._call("admin_get_user", UserPoolId=self._pool, Username=user_id)
        except WrongCredentials:
            return None
        return answer.get("UserStatus") != "UNCONFIRMED"


    def users_with_email(self, prefix: str, *, limit: int = 10) -> list[str]:
        """The ids (`sub`) of the accounts whose email starts with `prefix` (an exact address is
        its own prefix): Cognito's ListUsers with a filter, one request. The prefix may not hold
        a quote or a backslash (the filter's syntax)."""
        if '"' in prefix or "\\" in prefix:
            raise InvalidInput("An email has no quotes or backslashes.", field="q")
        answer = self._call("list_users", UserPoolId=self._pool, Filter=f'email ^= "{prefix}"', Limit=limit)
        found = []
        for user in answer.get("Users", []):
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            found.append(attributes.get("sub") or user.get("Username"))
        return [user_id for user_id in found if user_id]


def _session(answer: dict, refresh_token: str | None = None) -> Session:
    result = answer.get("AuthenticationResult")
    if not result:
        raise WrongCredentials("This account needs a sign-in step we do not support yet.")
    return Session(
        access_token=result["AccessToken"],
        id_token=result["IdToken"],
        refresh_token=result.get("RefreshToken", refresh_token),
        expires_in=int(result.get("ExpiresIn", 3600)),
    )


@dataclass
class _Account:
    """An account of the in-memory identity twin, with its confirmation code."""

    user_id: str
    email: str
    password: str
    confirmed: bool = False
    code: str = field(default_factory=lambda: f"{secrets.randbelow(10**6):06d}")


class InMemoryIdentity:
    """The Cognito twin for unit tests: same facts, no network. `codes` holds sent codes;
    `verify` checks an access token as the token verifier would (like a signed JWT, a token
    still verifies after it was revoked here: refusing it is the app's job)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.accounts: dict[str, _Account] = {}
        self.sessions: dict[str, str] = {}  # live token (access or refresh) -> email
        self.codes: dict[str, str] = {}
        self._issued: dict[str, Principal] = {}  # every access token ever issued
        self._origins: dict[str, str] = {}  # refresh token -> its sign-in (origin_jti)
        self._clock = clock

    def sign_up(self, *, email: str, password: str, display_name: str) -> str:
        if email in self.accounts:
            raise EmailTaken("An account with this email already exists.")
        account = _Account(user_id=str(uuid.uuid4()), email=email, password=password)
        self.accounts[email] = account
        self.codes[email] = account.code
        return account.user_id

    def confirm(self, *, email: str, code: str) -> None:
        account = self.accounts.get(email)
        if account is None or code != account.code:
            raise InvalidConfirmationCode("That code is not right.")
        account.confirmed = True

    def resend_code(self, *, email: str) -> None:
        if email in self.accounts:
            self.codes[email] = self.accounts[email].code

    def sign_in(self, *, email: str, password: str) -> Session:
        account = self.accounts.get(email)
        if account is None or account.password != password:
            raise WrongCredentials("Email or password is wrong.")
        if not account.confirmed:
            raise AccountNotConfirmed("Confirm your email address first.")
        return self._issue(email, refresh_token=f"refresh-{secrets.token_hex(8)}")

    def refresh(self, *, refresh_token: str) -> Session:
        email = self.sessions.get(refresh_token)
        if email is None:
            raise InvalidToken("Your session has ended; sign in again.")
        return self._issue(email, refresh_token=refresh_token)

    def revoke_refresh_token(self, *, refresh_token: str) -> None:
        origin = self._origins.get(refresh_token)
        for token in [t for t in self.sessions if t == refresh_token or (
                t in self._issued and self._issued[t].session_id == origin)]:
            del self.sessions[token]

    def sign_out_everywhere(self, *, access_token: str, user_id: str) -> None:
        emails = {e for e, a in self.accounts.items() if a.user_id == user_id}
        for token in [t for t, e in self.sessions.items() if e in emails]:
            del self.sessions[token]

    def verify(self, token: str) -> Principal:
        try:
            return self._issued[token]
        except KeyError:
            raise InvalidToken("That token is not valid; sign in again.") from None

    def delete_user(self, *, user_id: str) -> None:
        for email in [e for e, a in self.accounts.items() if a.user_id == user_id]:
            del self.accounts[email]

    def is_confirmed(self, *, user_id: str) -> bool | None:
        return next((a.confirmed for a in self.accounts.values() if a.user_id == user_id), None)

    def users_with_email(self, prefix: str, *, limit: int = 10) -> list[str]:
        return [a.user_id for email, a in sorted(self.accounts.items()) if email.startswith(prefix)][:limit]

    def _issue(self, email: str, *, refresh_token: str) -> Session:
        access = f"access-{secrets.token_hex(8)}"
        self.sessions[access] = email
        self.sessions[refresh_token] = email
        origin = self._origins.setdefault(refresh_token, f"origin-{secrets.token_hex(8)}")
        self._issued[access] = Principal(self.accounts[email].user_id, session_id=origin,
                                         issued_at=int(self._clock()))
        return Session(access_token=access, id_token=f"id-{secrets.token_hex(8)}",
                       refresh_token=refresh_token, expires_in=3600)
