"""Exceptions named after business facts; the API maps each to one HTTP status."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """Something the user asked for cannot happen; `code` is stable for clients. `problems`
    holds every invalid field of the input when it was checked as a whole (this error is the
    first of them), so a form can mark them all at once."""

    code = "bad_request"
    problems: tuple["DomainError", ...] = ()  # also for subclasses that set their own fields
    details: dict | None = None  # what the client needs to recover (a cart's lines as they are now)

    def __init__(self, message: str, *, field: str | None = None,
                 problems: tuple["DomainError", ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.problems = problems


class InvalidInput(DomainError):
    code = "invalid_input"


class Problems:
    """Collects the refusals of one input's fields instead of stopping at the first."""

    def __init__(self) -> None:
        self._found: list[DomainError] = []

    def add(self, problem: DomainError) -> None:
        self._found.extend(problem.problems or (problem,))

    def check(self, check: Callable[[], T]) -> T | None:
        """The check's result, or None with its refusal kept (one that names a field)."""
        try:
            return check()
        except DomainError as problem:
            if problem.field is None:
                raise
            self.add(problem)
            return None

    def raise_any(self) -> None:
        """Raises the first refusal, carrying all of them; nothing when there were none."""
        if self._found:
            first = self._found[0]
            first.problems = tuple(self._found)
            raise first


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


class RateLimited(TooManyAttempts):
    """An abuse limit of the app (rings a minute, sign-ups an hour): nothing was done; the same
    may be asked again after `retry_after` seconds (the API's Retry-After header)."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after
        self.details = {"retry_after": retry_after}


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
