"""Exceptions named after business facts; the API maps each to one HTTP status."""
from __future__ import annotations


class DomainError(Exception):
    """Something the user asked for cannot happen; `code` is stable for clients."""

    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    code = "invalid_input"


class UsernameTaken(DomainError):
    code = "username_taken"


class UsernameReserved(DomainError):
    code = "username_reserved"


class EmailTaken(DomainError):
    code = "email_taken"


class WeakPassword(DomainError):
    code = "weak_password"


class WrongCredentials(DomainError):
    code = "wrong_credentials"


class AccountNotConfirmed(DomainError):
    code = "account_not_confirmed"


class InvalidConfirmationCode(DomainError):
    code = "invalid_confirmation_code"


class InvalidToken(DomainError):
    code = "invalid_token"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"


class ServiceUnavailable(DomainError):
    """A service we depend on failed in a way the user cannot fix; safe to retry later."""

    code = "service_unavailable"


class Conflict(DomainError):
    """The thing is not in a state where that can happen (already decided, already closed)."""

    code = "conflict"


class UsernameChangeTooSoon(Conflict):
    """Usernames change at most once per period (a setting): every old one stays held."""

    code = "username_change_too_soon"


class PaymentFailed(DomainError):
    """The payer's money did not come through; they may try again."""

    code = "payment_failed"
